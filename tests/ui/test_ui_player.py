"""The review player on real analysed footage: sync, exact frames, overlays, heatmaps (offscreen)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor

from retail_desktop.project import Project
from retail_desktop.ui.player.frames import SCALES, scale_frame
from retail_desktop.ui.player.overlay import OverlayLayers, track_colour
from retail_desktop.ui.player.player import HeatmapSettings, grid_shape
from retail_desktop.analytics.heatmap import HeatmapWindow
from retail_desktop.video import VideoReader, probe


def open_in_player(window, qtbot, folder):
    with qtbot.waitSignal(window.review_loaded, timeout=60000):
        window.open_project(folder)
    qtbot.waitUntil(lambda: not window.is_busy(), timeout=30000)
    return window.player


def settled(player):
    """Every camera shows the frame the clock asks for (or none, beyond its footage)."""
    return all(v.shown_frame == v.wanted_frame for cid, v in player.views.items() if cid in player.servers)


def seek_and_wait(player, qtbot, t):
    player.seek(t)
    qtbot.waitUntil(lambda: settled(player), timeout=10000)


def test_grid_layout_sizes():
    assert [grid_shape(n) for n in (1, 2, 3, 4, 5, 9, 10)] == [(1, 1), (1, 2), (2, 2), (2, 2), (2, 3), (3, 3), (3, 4)]
    assert grid_shape(2, 700, 700) == (2, 1)  # 16:9 frames stack in a square area
    assert grid_shape(2, 1600, 500) == (1, 2)  # and sit side by side in a wide one
    assert grid_shape(4, 1600, 900) == (2, 2)
    assert grid_shape(3, 1800, 400) == (1, 3)


def test_two_cameras_stay_in_sync_with_different_offsets(window, qtbot, multicam_project):
    player = open_in_player(window, qtbot, multicam_project)
    assert window.pages.currentWidget() is player
    cam1, cam2 = list(player.views)
    infos = {cid: probe(player.cameras[cid].video) for cid in (cam1, cam2)}
    with qtbot.waitSignal(window.set_camera_offset(cam2, 1.5).finished, timeout=10000):
        pass
    with Project.open(multicam_project) as project:  # saved for the next session
        assert project.camera_by_id(cam2).offset_s == 1.5
    assert player.clock.end_s == pytest.approx(max(infos[cam1].timestamps[-1] + 1 / infos[cam1].fps,
                                                   1.5 + infos[cam2].timestamps[-1] + 1 / infos[cam2].fps))

    def expected(cid, t, offset):
        ts = infos[cid].timestamps
        local = t - offset
        if local < 0 or local >= ts[-1] + 1 / infos[cid].fps:
            return None
        return int(np.searchsorted(ts, local + 1e-6, side="right")) - 1

    for t in (0.0, 0.5, 1.49, 1.5, 2.0, 3.3, 4.2, 4.6):
        seek_and_wait(player, qtbot, t)
        assert player.views[cam1].shown_frame == expected(cam1, t, 0.0), t
        assert player.views[cam2].shown_frame == expected(cam2, t, 1.5), t
        beyond = expected(cam2, t, 1.5) is None
        assert player.views[cam2].message.isVisible() == beyond
        if beyond:
            assert "Beyond footage" in player.views[cam2].message.textItem.toPlainText()
    # Playing keeps both cameras on the clock: after a pause each shows the frame of the paused time.
    seek_and_wait(player, qtbot, 1.0)
    player.playback.play()
    qtbot.wait(800)
    player.playback.pause()
    qtbot.waitUntil(lambda: settled(player), timeout=10000)
    t = player.position
    assert t > 1.2
    assert player.views[cam1].shown_frame == expected(cam1, t, 0.0)
    assert player.views[cam2].shown_frame == expected(cam2, t, 1.5)


def test_the_frame_shown_after_seeks_is_exactly_that_frame(window, qtbot, multicam_project):
    player = open_in_player(window, qtbot, multicam_project)
    cid = next(iter(player.views))
    view = player.views[cid]
    info = probe(player.cameras[cid].video)
    rng = np.random.default_rng(7)
    frames = [int(i) for i in rng.integers(0, info.frame_count, 8)] + [0, info.frame_count - 1, 5, 4]
    server = player.servers[cid]
    qtbot.waitUntil(lambda: server.scale < 1.0)  # the view is smaller than the video: shrunk pictures
    with VideoReader(info.path, info) as reader:
        for index in frames:
            player.seek_to(cid, index)
            qtbot.waitUntil(lambda: view.shown_frame == index, timeout=10000)
            shown = view.image.image
            # The picture was shrunk at the scale in force when it was decoded (the layout may still be
            # settling, which changes the scale and re-requests the frame): read it off the picture.
            scale = next(s for s in SCALES if round(info.width * s) == shown.shape[1])
            assert np.array_equal(shown, scale_frame(reader.read(index).image, scale)), index
            # The overlay on screen belongs to the same frame.
            assert view.overlay.data.frame == index
        # Zoomed in, the view shows the video's own pixels, bit for bit.
        view.box.scaleBy((0.2, 0.2))
        qtbot.waitUntil(lambda: server.scale == 1.0 and view.shown_frame == frames[-1], timeout=10000)
        assert np.array_equal(view.image.image, reader.read(frames[-1]).image[..., ::-1])
    # Frame steps move one frame of the current camera.
    player.seek_to(cid, 10)
    qtbot.waitUntil(lambda: view.shown_frame == 10)
    window.playback_actions[1].trigger()  # Right
    qtbot.waitUntil(lambda: view.shown_frame == 11)
    window.playback_actions[2].trigger()  # Left
    qtbot.waitUntil(lambda: view.shown_frame == 10)


def _box_frame(project_folder, camera_id):
    """A frame of the camera with one stored box well inside the picture, and that box."""
    with Project.open(project_folder) as project:
        df = project.store.track_array(project.store.latest_run(camera_id).id)
    df = df[(df.x2 - df.x1 > 60) & (df.y2 - df.y1 > 100)]
    assert len(df), "the analysis found no usable boxes"
    row = df.iloc[len(df) // 2]
    return int(row.frame), int(row.track_id), (row.x1, row.y1, row.x2, row.y2)


def _colour_near(image, x, y, colour: QColor, radius=2, tolerance=60):
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            c = QColor(image.pixel(int(x) + dx, int(y) + dy))
            if abs(c.red() - colour.red()) + abs(c.green() - colour.green()) + abs(c.blue() - colour.blue()) < tolerance:
                return True
    return False


@pytest.mark.parametrize("zoom", [1.0, 0.5])
def test_overlay_boxes_are_drawn_where_the_stored_boxes_are(window, qtbot, multicam_project, zoom):
    player = open_in_player(window, qtbot, multicam_project)
    cid = next(iter(player.views))
    view = player.views[cid]
    frame, track, (x1, y1, x2, y2) = _box_frame(multicam_project, cid)
    player.set_layers(OverlayLayers(boxes=True, ids=False, labels=False, trails=False))
    player.seek_to(cid, frame)
    qtbot.waitUntil(lambda: view.shown_frame == frame, timeout=10000)
    if zoom != 1.0:
        view.box.scaleBy((zoom, zoom), center=QPointF((x1 + x2) / 2, (y1 + y2) / 2))
    qtbot.wait(50)

    def to_widget(x, y):
        return view.mapFromScene(view.box.mapViewToScene(QPointF(x, y)))

    colour = track_colour(track)
    image = view.grab().toImage()
    mid_y = (y1 + y2) / 2
    left, right = to_widget(x1, mid_y), to_widget(x2, mid_y)
    top = to_widget((x1 + x2) / 2, y1)
    visible = [p for p in (left, right, top) if 3 <= p.x() < image.width() - 3 and 3 <= p.y() < image.height() - 3]
    assert len(visible) >= 2
    for p in visible:
        assert _colour_near(image, p.x(), p.y(), colour), (p, colour.name())
    inside = to_widget(x1 + (x2 - x1) * 0.3, mid_y)
    assert not _colour_near(image, inside.x(), inside.y(), colour, radius=0, tolerance=20)
    # Boxes layer off: the same pixels show the video again.
    player.set_layers(OverlayLayers(boxes=False, ids=False, labels=False, trails=False))
    qtbot.wait(50)
    image = view.grab().toImage()
    assert sum(_colour_near(image, p.x(), p.y(), colour, radius=0, tolerance=30) for p in visible) < len(visible)


def test_heatmap_layer_follows_the_window_and_playhead(window, qtbot, multicam_project):
    player = open_in_player(window, qtbot, multicam_project)
    cid = next(iter(player.views))
    view = player.views[cid]
    acc = player.cameras[cid].heatmap
    assert len(acc) == len(player.cameras[cid].tracks) > 0
    player.set_heatmap(HeatmapSettings(visible=True, window=HeatmapWindow("all")))
    assert view.heatmap.isVisible()
    assert np.allclose(player.heatmap_grid(cid), acc.grid("presence"))
    # Cells lie where their points were binned: cell (r, c) covers pixels c*cell.., r*cell.. of the frame.
    rect = view.heatmap.mapRectToParent(view.heatmap.boundingRect())
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (0, 0, *acc.extent)
    assert acc.extent[0] >= view.frame_size[0] > acc.extent[0] - acc.cell_px
    total = acc.grid("presence").sum()
    first, last = acc.time_range
    mid = (first + last) / 2
    player.set_heatmap(HeatmapSettings(visible=True, window=HeatmapWindow("last", seconds=1.0)))
    seek_and_wait(player, qtbot, mid)
    assert np.allclose(player.heatmap_grid(cid), acc.grid("presence", mid - 1.0, mid))
    assert 0 < player.heatmap_grid(cid).sum() < total
    shown = view.heatmap.image.copy()
    seek_and_wait(player, qtbot, last)
    assert not np.array_equal(shown, view.heatmap.image)  # the layer moved with the playhead
    player.set_heatmap(HeatmapSettings(visible=False))
    assert not view.heatmap.isVisible()


def test_heatmap_png_export(window, qtbot, multicam_project, tmp_path):
    player = open_in_player(window, qtbot, multicam_project)
    cid = next(iter(player.views))
    player.set_heatmap(HeatmapSettings(visible=True))
    seek_and_wait(player, qtbot, 1.0)
    out = tmp_path / "heat.png"
    with qtbot.waitSignal(window.save_heatmap_png(cid, out).finished, timeout=20000):
        pass
    import cv2

    image = cv2.imread(str(out))
    info = player.cameras[cid].info
    assert image.shape == (info.height, info.width, 3)
    # The view shows a shrunk picture, yet the PNG lies over the frame's own pixels: where no heat is,
    # it is that frame, exactly (not black).
    view = player.views[cid]
    assert view.image.image.shape[1] < info.width
    grid = player.heatmap_grid(cid)
    cell = player.cameras[cid].heatmap.cell_px
    rows = (np.arange(info.height) // cell).clip(0, grid.shape[0] - 1)
    cols = (np.arange(info.width) // cell).clip(0, grid.shape[1] - 1)
    cold = grid[rows][:, cols] == 0
    assert cold.mean() > 0.3
    with VideoReader(info.path, info) as reader:
        frame = reader.read(view.shown_frame).image
    assert np.array_equal(image[cold], frame[cold])
    assert not np.array_equal(image[~cold], frame[~cold])


def test_behaviour_labels_are_drawn_only_when_given(window, qtbot, multicam_project):
    player = open_in_player(window, qtbot, multicam_project)
    # The window reads the stored labels after opening; let that finish, or it may clear ours below.
    qtbot.waitUntil(lambda: not window.is_busy(), timeout=30000)
    cid = next(iter(player.views))
    view = player.views[cid]
    frame, track, (x1, y1, x2, y2) = _box_frame(multicam_project, cid)
    player.set_layers(OverlayLayers(boxes=False, ids=False, labels=True, trails=False))
    player.seek_to(cid, frame)
    qtbot.waitUntil(lambda: view.shown_frame == frame, timeout=10000)
    anchor = view.mapFromScene(view.box.mapViewToScene(QPointF(x1, y1)))
    # The tag sits above the box's top-left corner, or just inside it when that is off the view.
    probe = (anchor.x() + 4, anchor.y() - 4 if anchor.y() >= 20 else anchor.y() + 4)

    def tag_colour_there():
        image = view.grab().toImage()
        return _colour_near(image, *probe, track_colour(track), radius=3, tolerance=40)

    assert not tag_colour_there()
    player.set_behaviour_labels(cid, {track: "browsing"})
    # The frame is shown again with its labels once the decoder hands it back (at once when cached).
    qtbot.waitUntil(lambda: view.overlay._labels == {track: "browsing"} and view.shown_frame == frame, timeout=10000)
    assert tag_colour_there()
    player.set_behaviour_labels(cid, None)
    qtbot.waitUntil(lambda: not view.overlay._labels and view.shown_frame == frame, timeout=10000)
    assert not tag_colour_there()
