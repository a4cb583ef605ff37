"""Sphinx configuration: the user documentation of pytest-workspace (``nox -s docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

from pytest_workspace import __version__  # noqa: E402

project = "pytest-workspace"
author = "the pytest-workspace developers"
copyright = "2026, the pytest-workspace developers"
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = ["workspace_docs"]
templates_path: list[str] = []
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "pytest-workspace"
html_static_path = ["_static"]
# The schemas are published beside the pages, for editors' `#:schema` lines.
html_extra_path = ["schemas"]
# Offline: nothing is fetched while building.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}
nitpicky = True
