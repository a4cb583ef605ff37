from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
PROVISIONING = DATA / "provisioning-versions.toml"

WriteMatrix = Callable[..., Path]


@pytest.fixture
def write_matrix(tmp_path: Path) -> WriteMatrix:
    """Write a matrix file (dedented) into tmp_path and return its path."""

    def write(text: str, name: str = "versions.toml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return write


@pytest.fixture
def provisioning(tmp_path: Path) -> Path:
    """A private copy of the users' matrix, exactly as they wrote it."""
    path = tmp_path / "versions.toml"
    shutil.copy(PROVISIONING, path)
    return path
