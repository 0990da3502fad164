"""Where the GUI finds its icons and style sheet.

``resources/`` sits at the repository root (beside ``retail_desktop/``) so that the installer, the
desktop entry and the app share one copy. A PyInstaller bundle unpacks it under ``sys._MEIPASS``, and
``RETAIL_DESKTOP_RESOURCES`` overrides both for packagers who put it elsewhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtGui import QIcon

ICON_SIZES = (16, 32, 48, 64, 128, 256)


def resources_dir() -> Path:
    override = os.environ.get("RETAIL_DESKTOP_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(name: str) -> Path:
    return resources_dir() / name


def app_icon() -> QIcon:
    """The app icon from pre-rendered PNGs, so it shows even where Qt's SVG plug-in is missing."""
    icon = QIcon()
    for size in ICON_SIZES:
        png = resource_path(f"icons/retail-desktop-{size}.png")
        if png.is_file():
            icon.addFile(str(png))
    return icon


def style_sheet() -> str:
    """The application style sheet, or "" (Qt's default look) when resources are not installed.
    ``@RESOURCES@`` in the sheet becomes the resources folder (Qt resolves ``url()`` against the
    working directory otherwise)."""
    path = resource_path("style.qss")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    return text.replace("@RESOURCES@", resources_dir().resolve().as_posix())
