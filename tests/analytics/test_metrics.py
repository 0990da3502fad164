"""Every metric on hand-made tracks; expected figures are worked out by hand in the comments."""

import pytest

from retail_desktop.analytics.metrics import MetricOptions, camera_metrics
from retail_desktop.analytics.zones import Zone
from retail_desktop.errors import UserError

from zone_tracks import make_tracks, walk

FPS = 10.0
SQUARE = [[100, 0], [200, 0], [200, 100], [100, 100]]  # feet at y=50 are inside when 100 < x < 200


def area(name="shop", points=SQUARE, purpose="other"):
    return Zone(name, "area", "cam1", [list(p) for p in points], purpose)


def line(name="door", a=(100, 100), b=(100, 0)):
    # A below B on a vertical line: the "in" normal points to +x, so walking right is "in".
    return Zone(name, "line", "cam1", [list(a), list(b)], "entrance")


TRACKS = {
    # 1: walks in and out; inside on frames 2-5 (x 110..190): 1 entry (frame 2), 1 exit (frame 6), 0.4 s
    1: walk(range(0, 10), [50, 80, 110, 140, 170, 190, 210, 230, 250, 270]),
    # 2: first seen inside (not an entry), leaves on frame 3; inside frames 0-2: 0.3 s
    2: walk(range(0, 5), [150, 160, 170, 205, 220]),
    # 3: leaves and comes back: inside frames 1, 4, 5 -> entries on 1 and 4, exits on 2 and 6; 0.3 s
    3: walk(range(0, 8), [90, 120, 210, 215, 180, 150, 90, 80]),
    # 4: a gap (frames 2-19 missing): outside at 1, inside at 20 -> entry on frame 20; 0.2 s, no exit
    4: [(0, 50.0, 50.0), (1, 60.0, 50.0), (20, 150.0, 50.0), (21, 160.0, 50.0)],
}


def rows(tracks, zones, n_frames=30, **opts):
    return camera_metrics("cam", make_tracks(tracks), zones, FPS, n_frames, MetricOptions(**opts)).rows


def test_area_whole_range():
    (r,) = rows(TRACKS, [area()])
    assert (r.visitors, r.entries, r.exits) == (4, 4, 4)
    assert r.dwell_s_total == pytest.approx(1.2)
    assert r.dwell_by_track == pytest.approx({1: 0.4, 2: 0.3, 3: 0.3, 4: 0.2})
    assert r.dwell_s_mean == pytest.approx(0.3)
    assert r.dwell_s_median == pytest.approx(0.3)
    assert r.dwell_s_p90 == pytest.approx(0.37)  # sorted .2 .3 .3 .4, position 0.9*3 = 2.7
    # 12 inside points over 30 frames; frames 1, 2, 4, 5 have two people inside
    assert r.occupancy_mean == pytest.approx(0.4)
    assert r.occupancy_peak == 2
    assert r.frames == 30
    assert r.tracks["entries"] == [1, 3, 4] and r.tracks["exits"] == [1, 2, 3]
    assert r.line_in is None and r.queue_visitors is None


def test_dwell_equals_occupancy_integral():
    for r in rows(TRACKS, [area()], bin_s=0.7):
        assert r.occupancy_mean * r.frames / FPS == pytest.approx(r.dwell_s_total)


def test_bins_date_events_by_the_later_point():
    rs = rows(TRACKS, [area()], bin_s=1.0)
    assert [(r.bin_start_s, r.bin_end_s) for r in rs] == [(0, 1), (1, 2), (2, 3)]
    assert [r.entries for r in rs] == [3, 0, 1]
    assert [r.exits for r in rs] == [4, 0, 0]
    assert [r.visitors for r in rs] == [3, 0, 1]
    assert [r.frames for r in rs] == [10, 10, 10]


def test_range_start_uses_the_point_before_it():
    # track 4's point before frame 20 lies outside the range [1.95, 3): still an entry
    (r,) = rows(TRACKS, [area()], start_s=1.95, end_s=3.0)
    assert (r.visitors, r.entries, r.exits, r.frames) == (1, 1, 0, 10)
    assert r.dwell_s_total == pytest.approx(0.2)


def test_anchor_centre_vs_feet():
    low = [[0, 0], [400, 0], [400, 45], [0, 45]]  # boxes are 20 high: feet y=50, centre y=40
    tracks = {1: walk(range(3), [10, 20, 30])}
    (feet,) = rows(tracks, [area(points=low)], n_frames=3)
    (centre,) = rows(tracks, [area(points=low)], n_frames=3, anchor="center")
    assert feet.visitors == 0 and centre.visitors == 1 and centre.dwell_s_total == pytest.approx(0.3)


def test_line_in_out_and_extent():
    tracks = {
        1: walk(range(4), [80, 90, 110, 120]),          # left -> right: in
        2: walk(range(4), [130, 110, 90, 70]),          # right -> left: out
        3: walk(range(4), [80, 90, 110, 120], y=150),   # passes below the end of the segment: nothing
        4: walk(range(4), [80, 95, 97, 70]),            # comes close, turns back: nothing
        5: [(0, 80.0, 50.0), (10, 120.0, 50.0)],        # crosses during a gap: in
    }
    (r,) = rows(tracks, [line()], n_frames=12)
    assert (r.line_in, r.line_out) == (2, 1)
    assert r.tracks == {"line_in": [1, 5], "line_out": [2]}


def test_line_jitter_is_counted_once():
    jitter = {1: walk(range(7), [80, 99, 101, 99, 102, 98, 120])}
    (r,) = rows(jitter, [line()], n_frames=7)
    assert (r.line_in, r.line_out) == (1, 0)
    # without the dead band every wobble would count: in, out, in, out, in
    (raw,) = rows(jitter, [line()], n_frames=7, line_band_px=0.0)
    assert (raw.line_in, raw.line_out) == (3, 2)


def test_line_first_seen_on_the_line_is_not_a_crossing():
    (r,) = rows({1: walk(range(3), [101, 110, 130])}, [line()], n_frames=3)
    assert (r.line_in, r.line_out) == (0, 0)


def test_queue_wait_per_visitor():
    (r,) = rows(TRACKS, [area(purpose="queue")])
    # 1: entry frame 2 -> exit frame 6 = 0.4 s; 3: (2-1) + (6-4) frames = 0.3 s;
    # 2 was first seen inside and 4 never leaves: no complete visit
    assert r.wait_by_track == pytest.approx({1: 0.4, 3: 0.3})
    assert r.queue_visitors == 2
    assert r.queue_wait_s_mean == pytest.approx(0.35)
    assert r.queue_wait_s_median == pytest.approx(0.35)


def test_transitions():
    a = area("A", [[0, 0], [100, 0], [100, 100], [0, 100]])
    b = area("B", SQUARE)
    c = area("C", [[200, 0], [300, 0], [300, 100], [200, 100]])
    tracks = {
        1: walk(range(6), [50, 150, 250, 260, 150, 150]),  # A -> B -> C -> B
        2: walk(range(3), [50, 60, 150]),                   # A -> B
        3: walk(range(3), [150, 350, 250]),                 # B -> (nowhere) -> C counts as B -> C
    }
    cm = camera_metrics("cam", make_tracks(tracks), [a, b, c], FPS, 10)
    got = {(t.from_zone, t.to_zone): (t.count, t.tracks) for t in cm.transitions}
    assert got == {("A", "B"): (2, [1, 2]), ("B", "C"): (2, [1, 3]), ("C", "B"): (1, [1])}


def test_staff_exclusion():
    staff = area("back office", [[300, 0], [400, 0], [400, 100], [300, 100]], purpose="staff-only")
    tracks = dict(TRACKS)
    # 5: 8 of 10 points in the staff zone, 2 in the shop
    tracks[5] = walk(range(10), [150, 160] + [350] * 8)
    (shop, office) = rows(tracks, [area(), staff])
    assert shop.visitors == 5 and office.visitors == 1
    (shop, office) = rows(tracks, [area(), staff], staff_share=0.5)
    assert shop.visitors == 4 and office.visitors == 0
    (shop, _) = rows(tracks, [area(), staff], staff_share=0.8)  # "more than" 0.8: kept
    assert shop.visitors == 5


def test_empty_bins_and_no_tracks():
    (r,) = rows({}, [area()], n_frames=20)
    assert (r.visitors, r.entries, r.dwell_s_total, r.occupancy_mean, r.occupancy_peak) == (0, 0, 0.0, 0.0, 0)
    assert r.dwell_s_mean is None


@pytest.mark.parametrize("opts, message", [
    (dict(anchor="top"), "anchor"),
    (dict(bin_s=0.0), "--bin"),
    (dict(start_s=5.0, end_s=2.0), "--to"),
    (dict(start_s=50.0), "empty"),
    (dict(staff_share=2.0), "staff"),
])
def test_bad_options(opts, message):
    with pytest.raises(UserError, match=message):
        rows(TRACKS, [area()], **opts)


def test_event_frames_point_at_the_moment():
    (r,) = rows(TRACKS, [area()])
    assert r.event_frames["entries"] == {1: 2, 3: 1, 4: 20}
    assert r.event_frames["exits"] == {1: 6, 2: 3, 3: 2}
    assert r.event_frames["visitors"] == {1: 2, 2: 0, 3: 1, 4: 20}
