from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pytest_workspace.envs.cache.manifest import write_atomic


def test_written_whole_private_and_nothing_left_beside(tmp_path: Path) -> None:
    target = tmp_path / "pytest-workspace.json"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == [target.name]
    write_atomic(target, "shared", readable=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "pytest-workspace.json"
    write_atomic(target, "old")

    def crash(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == [target.name]


def test_a_name_someone_else_made_is_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A symlink planted at the temporary name must not be followed or written through:
    # the next name is taken instead.
    target = tmp_path / "pytest-workspace.json"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched", encoding="utf-8")
    names = iter([b"\x00" * 6, b"\x01" * 6])
    monkeypatch.setattr(os, "urandom", lambda size: next(names))
    planted = tmp_path / f".{target.name}.{'00' * 6}.tmp"
    planted.symlink_to(elsewhere)
    write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert elsewhere.read_text(encoding="utf-8") == "untouched"
    assert planted.is_symlink()
