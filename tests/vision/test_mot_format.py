"""MOTChallenge txt: round trips, lenient parsing of real-world variants, one-line errors for bad files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from datafiles import data_file

from retail_desktop.errors import UserError
from retail_desktop.vision import mot_format
from retail_desktop.vision.mot_format import MOT_COLUMNS, empty_mot, read_mot, write_mot

MOT15 = ("TUD-Campus", "ETH-Sunnyday", "KITTI-17", "PETS09-S2L1")


def one_line_error(path: Path, *needles: str) -> str:
    """Read ``path`` expecting a UserError; check it is one line naming the file and the needles."""
    with pytest.raises(UserError) as err:
        read_mot(path)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    for needle in needles:
        assert needle in message, message
    return message


def sample() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frame": [2, 1, 1, 3],
            "id": [5, 7, 3, 5],
            "left": [10.5, -3.25, 0.0, 1234.56],
            "top": [20.0, 4.75, 1.0, 7.1],
            "width": [30.12, 40.0, 2.5, 0.0],
            "height": [60.0, 80.99, 5.0, 9.0],
            "conf": [0.9876, 1.0, 0.5, 0.0001],
        }
    )


# ---- round trip and format ------------------------------------------------------------------------------


def test_round_trip_preserves_values_sorted_by_frame_then_id(tmp_path):
    path = write_mot(sample(), tmp_path / "out.txt")
    back = read_mot(path)
    expected = sample().sort_values(["frame", "id"]).reset_index(drop=True)
    assert list(back.columns) == list(MOT_COLUMNS) + ["x", "y", "z"]
    assert back["frame"].dtype == np.int64 and back["id"].dtype == np.int64
    pd.testing.assert_frame_equal(back[list(MOT_COLUMNS)], expected, check_dtype=False)
    assert (back[["x", "y", "z"]] == -1).all().all()


def test_written_text_is_compact_with_unused_world_columns(tmp_path):
    path = write_mot(sample(), tmp_path / "out.txt")
    assert path.read_text().splitlines() == [
        "1,3,0,1,2.5,5,0.5,-1,-1,-1",
        "1,7,-3.25,4.75,40,80.99,1,-1,-1,-1",
        "2,5,10.5,20,30.12,60,0.9876,-1,-1,-1",
        "3,5,1234.56,7.1,0,9,0.0001,-1,-1,-1",
    ]


def test_write_rounds_boxes_to_2_and_conf_to_4_decimals(tmp_path):
    path = write_mot([(1, 1, 1.23456, 2.0, 3.999, 4.005001, 0.123456)], tmp_path / "r.txt")
    assert path.read_text() == "1,1,1.23,2,4,4.01,0.1235,-1,-1,-1\n"


def test_write_accepts_rows_with_and_without_conf(tmp_path):
    path = write_mot([(1, 2, 10, 20, 30, 40), [2, 2, 11, 21, 31, 41, 0.5]], tmp_path / "rows.txt")
    back = read_mot(path)
    assert back["conf"].tolist() == [1.0, 0.5]
    assert back[["left", "top", "width", "height"]].to_numpy().tolist() == [[10, 20, 30, 40], [11, 21, 31, 41]]


def test_write_without_conf_column_writes_one(tmp_path):
    frame = sample().drop(columns="conf")
    assert (read_mot(write_mot(frame, tmp_path / "n.txt"))["conf"] == 1.0).all()


def test_empty_round_trip(tmp_path):
    path = write_mot(empty_mot(), tmp_path / "empty.txt")
    assert path.read_text() == ""
    back = read_mot(path)
    assert back.empty and list(back.columns) == list(MOT_COLUMNS)


def test_write_creates_parent_folders_and_replaces_existing_file(tmp_path):
    target = tmp_path / "a" / "b" / "res.txt"
    write_mot(sample(), target)
    write_mot(sample().head(1), target)
    assert len(read_mot(target)) == 1
    assert sorted(p.name for p in target.parent.iterdir()) == ["res.txt"]  # no temp files left behind


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "res.txt"
    write_mot(sample(), target)
    before = target.read_text()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(mot_format.os, "replace", broken_replace)
    with pytest.raises(UserError) as err:
        write_mot(sample().head(1), target)
    assert str(target) in str(err.value) and "No space left" in str(err.value)
    assert target.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["res.txt"]


def test_unwritable_destination_is_user_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UserError) as err:
        write_mot(sample(), blocker / "res.txt")
    assert str(blocker / "res.txt") in str(err.value)


@pytest.mark.parametrize(
    "row, problem",
    [
        ((0, 1, 0, 0, 1, 1), "1-based"),
        ((1.5, 1, 0, 0, 1, 1), "whole number"),
        ((1, 1, 0, 0, -1, 1), "negative"),
        ((1, 1, float("nan"), 0, 1, 1), "nan"),
    ],
)
def test_write_rejects_invalid_rows_as_programming_errors(tmp_path, row, problem):
    with pytest.raises(ValueError, match=problem):
        write_mot([row], tmp_path / "bad.txt")
    assert not (tmp_path / "bad.txt").exists()


def test_write_rejects_duplicate_track_in_frame(tmp_path):
    with pytest.raises(ValueError, match="twice in frame 4"):
        write_mot([(4, 9, 0, 0, 1, 1), (4, 9, 5, 5, 1, 1)], tmp_path / "dup.txt")


def test_write_rejects_missing_columns(tmp_path):
    with pytest.raises(ValueError, match="lacks columns"):
        write_mot(sample().drop(columns="height"), tmp_path / "x.txt")


# ---- lenient reading ------------------------------------------------------------------------------------


def test_reads_whitespace_separated_six_columns(tmp_path):
    path = tmp_path / "ws.txt"
    path.write_text("1 1 10 20 30 40\n\n2\t1\t11  21 31 41\n")
    frame = read_mot(path)
    assert list(frame.columns) == list(MOT_COLUMNS)
    assert frame["frame"].tolist() == [1, 2]
    assert frame["conf"].tolist() == [1.0, 1.0]
    assert frame["left"].tolist() == [10.0, 11.0]


def test_mixed_widths_get_world_columns_filled_with_minus_one(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_text("# comment\n1,1,10,20,30,40,0.5\n1, 2, 50, 60, 70, 80, 1, 3.5, 4.5, 5.5\n2,1,1,2,3,4,1,9\n")
    frame = read_mot(path)
    assert list(frame.columns) == list(MOT_COLUMNS) + ["x", "y", "z"]
    assert frame[["x", "y", "z"]].to_numpy().tolist() == [[-1, -1, -1], [3.5, 4.5, 5.5], [9, -1, -1]]
    assert frame["conf"].tolist() == [0.5, 1.0, 1.0]


def test_windows_line_endings(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"1,1,10,20,30,40,1,-1,-1,-1\r\n2,1,10,20,30,40,1,-1,-1,-1\r\n")
    assert read_mot(path)["frame"].tolist() == [1, 2]


def test_detections_with_id_minus_one_are_not_duplicates(tmp_path):
    path = tmp_path / "det.txt"
    path.write_text("1,-1,0,0,10,10,0.9\n1,-1,5,5,10,10,0.8\n")
    assert read_mot(path)["id"].tolist() == [-1, -1]


# ---- bad files ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, needles",
    [
        ("1,1,10,20,30,40,1\n1,2,10,20\n", ("line 2", "6 to 10 values", "found 4")),
        ("1,1,10,20,30,40,1,1,1,1,1\n", ("line 1", "found 11")),
        ("1,1,10,20,30,40,1\n2,1,ten,20,30,40,1\n", ("line 2", "'ten' is not a number")),
        ("0,1,10,20,30,40,1\n", ("line 1", "1-based")),
        ("\n\n3.5,1,10,20,30,40,1\n", ("line 3", "whole number")),
        ("1,1.5,10,20,30,40,1\n", ("line 1", "track id")),
        ("1,1,10,20,-30,40,1\n", ("line 1", "negative")),
        ("1,1,10,20,30,nan,1\n", ("line 1", "finite")),
        (
            "1,4,10,20,30,40,1\n2,4,10,20,30,40,1\n2,4,50,20,30,40,1\n",
            ("line 3", "track id 4 appears twice in frame 2"),
        ),
    ],
)
def test_bad_file_names_file_and_line(tmp_path, content, needles):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    one_line_error(path, *needles)


def test_missing_file(tmp_path):
    one_line_error(tmp_path / "nope.txt", "not found")


def test_folder_instead_of_file(tmp_path):
    one_line_error(tmp_path, "folder")


def test_binary_file(tmp_path):
    path = tmp_path / "video.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42\xff\xfe\x80")
    one_line_error(path, "not a text file")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path):
    path = tmp_path / "locked.txt"
    path.write_text("1,1,1,1,1,1\n")
    path.chmod(0)
    try:
        one_line_error(path, "cannot read")
    finally:
        path.chmod(0o600)


# ---- real MOT15 files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seq", MOT15)
def test_reads_real_mot15_ground_truth(seq):
    path = data_file(f"labeled/mot15/{seq}/gt/gt.txt")
    frame = read_mot(path)
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert len(frame) == len(lines)
    assert list(frame.columns) == list(MOT_COLUMNS) + ["x", "y", "z"]
    assert frame["frame"].min() == 1
    assert (frame["id"] > 0).all()
    first = [float(v) for v in lines[0].split(",")]
    assert frame.iloc[0].tolist() == pytest.approx(first)
    assert set(frame["conf"].unique()) <= {0.0, 1.0}


def test_real_ground_truth_ignore_rows_are_kept_for_the_evaluator():
    frame = read_mot(data_file("labeled/mot15/ETH-Sunnyday/gt/gt.txt"))
    assert int((frame["conf"] == 0).sum()) == 43
    assert len(frame) == 1901


def test_real_public_detections_have_no_ids():
    frame = read_mot(data_file("labeled/mot15/TUD-Campus/det/det.txt"))
    assert (frame["id"] == -1).all()
    assert len(frame) == 322


def test_real_ground_truth_survives_write_and_read(tmp_path):
    gt = read_mot(data_file("labeled/mot15/PETS09-S2L1/gt/gt.txt"))
    back = read_mot(write_mot(gt, tmp_path / "gt.txt"))
    expected = gt.sort_values(["frame", "id"], kind="stable").reset_index(drop=True)
    assert back["frame"].tolist() == expected["frame"].tolist()
    assert back["id"].tolist() == expected["id"].tolist()
    boxes = ["left", "top", "width", "height"]
    np.testing.assert_allclose(back[boxes].to_numpy(), expected[boxes].to_numpy(), atol=0.005 + 1e-9)
    assert (back[["x", "y", "z"]] == -1).all().all()
