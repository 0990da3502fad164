"""Start Retail Desktop's window: ``python main.py [PROJECT]`` (the same as ``retail-desktop [PROJECT]``)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="main.py", description="Start the Retail Desktop window.")
    parser.add_argument("project", nargs="?", help="project folder to open (one that holds project.json)")
    args, qt_args = parser.parse_known_args(argv)  # leave Qt's own options (-platform, -style...) to Qt
    # Imported here so that `python main.py --help` works even where Qt cannot load.
    from retail_desktop.ui.app import run_gui

    return run_gui([sys.argv[0], *qt_args], project=args.project)


if __name__ == "__main__":
    sys.exit(main())
