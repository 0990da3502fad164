import pytest

from retail_desktop.analytics.zone_edit import ZoneEditModel
from retail_desktop.analytics.zones import load_zones
from retail_desktop.errors import UserError
from retail_desktop.project import Project

SQUARE = [[10, 10], [100, 10], [100, 100], [10, 100]]


def test_edits_undo_redo():
    m = ZoneEditModel("cam1", frame_size=(320, 240))
    calls = []
    m.subscribe(lambda: calls.append(1))
    m.add_area(SQUARE, name="queue", purpose="queue")
    m.add_line((0, 200), (300, 200))
    assert m.names() == ["queue", "Line 1"]
    m.move_vertex("queue", 2, 120, 110)
    m.insert_vertex("queue", 1, 50, 0)
    m.delete_vertex("queue", 3)
    m.move_zone("queue", 5, 5)
    m.rename("queue", "tills")
    m.set_color("tills", "#112233")
    m.set_purpose("tills", "checkout")
    m.reverse_line("Line 1")
    z = m.zone("tills")
    assert z.points == [[15, 15], [55, 5], [105, 15], [15, 105]]
    assert (z.purpose, z.color) == ("checkout", "#112233")
    assert m.zone("Line 1").points == [[300, 200], [0, 200]]
    assert len(calls) == 10
    for _ in range(8):
        m.undo()
    assert m.zone("queue").points == SQUARE and m.zone("Line 1").points == [[0, 200], [300, 200]]
    m.redo()
    assert m.zone("queue").points[2] == [120, 110]
    m.undo()
    m.undo()
    m.undo()
    assert m.names() == [] and not m.can_undo
    m.redo()
    assert m.names() == ["queue"]
    m.add_area([[0, 0], [5, 0], [5, 5]])  # a new edit drops the redo history
    assert not m.can_redo


@pytest.mark.parametrize("edit, message", [
    (lambda m: m.move_vertex("a", 0, 100, 100), "crosses itself"),          # bow tie
    (lambda m: m.add_area([[0, 0], [400, 0], [400, 10]]), "outside"),
    (lambda m: m.add_area(SQUARE, name="a"), "already exists"),
    (lambda m: m.rename("a", "  "), "non-empty"),
    (lambda m: m.delete_vertex("a", 0), "cannot lose"),
    (lambda m: m.set_purpose("a", "lounge"), "purpose"),
    (lambda m: m.add_line((5, 5), (5, 5)), "must differ"),
    (lambda m: m.delete_zone("nope"), "no zone"),
])
def test_refused_edits_change_nothing(edit, message):
    m = ZoneEditModel("cam1", frame_size=(320, 240))
    m.add_area([[0, 0], [100, 0], [100, 100]], name="a")
    before = m.zones
    with pytest.raises(UserError, match=message):
        edit(m)
    assert m.zones == before and len(m._undo) == 1


def test_save_and_reopen_keeps_other_cameras(tmp_path):
    with Project.create(tmp_path / "p") as p:
        p.add_camera("A", tmp_path / "a.mp4")
        p.add_camera("B", tmp_path / "b.mp4")
        m_b = ZoneEditModel("cam2")
        m_b.add_area(SQUARE, name="b-zone")
        m_b.save(p)
        m = ZoneEditModel("cam1", load_zones(p))
        m.add_area(SQUARE, name="a-zone")
        assert m.dirty
        m.save(p)
        assert not m.dirty
    with Project.open(tmp_path / "p") as p:
        zones = load_zones(p)
        assert sorted((z.camera_id, z.name) for z in zones) == [("cam1", "a-zone"), ("cam2", "b-zone")]
        assert ZoneEditModel("cam1", zones).names() == ["a-zone"]


def test_mark_saved_takes_the_snapshot_that_was_stored():
    # the window saves a snapshot on a worker; an edit made meanwhile must stay "unsaved"
    m = ZoneEditModel("cam1")
    m.add_area(SQUARE, name="a")
    snapshot = m.zones
    m.rename("a", "b")
    m.mark_saved(snapshot)
    assert m.dirty
    m.undo()
    assert not m.dirty
