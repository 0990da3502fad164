"""Fixtures for pytest-qt tests of the window: isolated settings and small real projects."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings


def load_project_maker():
    """``make_project`` from ``projects.py`` beside this file, loaded by path so that the e2e tests
    can share it without relying on sys.path or on a module named ``conftest``."""
    spec = importlib.util.spec_from_file_location("retail_desktop_ui_test_projects", Path(__file__).with_name("projects.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_project


make_project = load_project_maker()


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"retail_desktop_ui_test_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


analysed = _load("analysed")


@pytest.fixture(scope="session")
def multicam_analysed(tmp_path_factory):
    """Both real multicam cameras analysed once per session (read-only: use ``multicam_project``)."""
    from datafiles import data_file

    return analysed.analysed_multicam(tmp_path_factory.mktemp("analysed"), data_file)


@pytest.fixture
def multicam_project(multicam_analysed, tmp_path):
    """A private copy of the analysed multicam project, free to change."""
    return analysed.copy_project(multicam_analysed, tmp_path / "multicam")


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path_factory):
    """Whatever code builds a default QSettings() during a test writes under a temporary folder."""
    folder = tmp_path_factory.mktemp("qsettings")
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    yield


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    from retail_desktop.ui.main_window import MainWindow

    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    for runner in list(win._runners):
        runner.cancel()
        runner.wait(5)


@pytest.fixture
def project_dir(tmp_path):
    video = tmp_path / "checkout.mp4"
    video.write_bytes(b"")  # only its existence matters to the overview
    return make_project(
        tmp_path / "shop",
        [("Checkout", str(video)), ("Entrance", str(tmp_path / "missing.mp4"))],
    )
