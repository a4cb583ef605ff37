"""Where things are inside a virtual environment, per platform.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["bin_dir", "python_in", "site_packages"]


def bin_dir(path: Path) -> Path:
    return path / ("Scripts" if sys.platform == "win32" else "bin")


def python_in(path: Path) -> Path:
    return bin_dir(path) / ("python.exe" if sys.platform == "win32" else "python")


def site_packages(path: Path) -> list[Path]:
    if sys.platform == "win32":
        return [path / "Lib" / "site-packages"]
    return sorted(path.glob("lib/*/site-packages"))
