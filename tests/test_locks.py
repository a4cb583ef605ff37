"""Locked bundles: `lock` resolves every transitive version into a PEP 751 file, envs are
built from it (uv natively, pip hash-checked), `check` reports a stale one. Real uv and
pip, a find-links directory the test grows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_workspace.cli import main

from .wheels import build_wheel

MATRIX = """\
[components.platform]
package = "pwt-platform"
[index]
find-links = ["links"]
[bundles."b-1.0"]
platform = "1.0.0"
"""


@pytest.fixture
def locked(tmp_path: Path) -> Path:
    links = tmp_path / "links"
    links.mkdir()
    build_wheel(links, "pwt-core", "1.1.0")
    build_wheel(links, "pwt-platform", "1.0.0", requires=["pwt-core>=1.0,<2"])
    build_wheel(links, "pwt-platform", "1.1.0", requires=["pwt-core>=1.1,<2"])
    (tmp_path / "versions.toml").write_text(MATRIX)
    return tmp_path


def env(root: Path, capsys: pytest.CaptureFixture[str], *options: str) -> dict[str, str]:
    """Build (always afresh) the bundle's env; the versions installed in it."""
    argv = ["env", "b-1.0", "--matrix", str(root / "versions.toml"), "--offline", "--rebuild"]
    assert main([*argv, "--cache", str(root / "cache"), *options]) == 0
    path = Path(capsys.readouterr().out.strip())
    installed = {}
    for info in path.glob("lib/python*/site-packages/*.dist-info"):
        name, version = info.name[: -len(".dist-info")].rsplit("-", 1)
        installed[name] = version
    return installed


def test_lock_env_upgrade_and_stale(locked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    matrix = ["--matrix", str(locked / "versions.toml")]
    assert main(["lock", *matrix, "--offline"]) == 0
    lock = locked / "locks" / "pylock.b-1_0.toml"  # PEP 751 allows no dot in the name
    assert f"b-1.0: {lock} (2 packages, written)" in capsys.readouterr().out
    text = lock.read_text()
    # Portable: the find-links files are paths relative to the lock, with their hashes.
    assert 'path = "../links/pwt_core-1.1.0-py3-none-any.whl"' in text
    assert "sha256 = " in text
    assert "file://" not in text
    assert env(locked, capsys)["pwt_core"] == "1.1.0"

    # A newer transitive release appears: an unlocked env would take it, the lock holds.
    build_wheel(locked / "links", "pwt-core", "1.2.0")
    assert env(locked, capsys)["pwt_core"] == "1.1.0"
    assert env(locked, capsys, "--installer", "pip")["pwt_core"] == "1.1.0"  # hash-checked
    assert main(["lock", "b-1.0", *matrix, "--offline"]) == 0
    assert "unchanged" in capsys.readouterr().out
    shutil.move(lock, locked / "aside.toml")
    assert env(locked, capsys)["pwt_core"] == "1.2.0"  # the control: no lock, newest
    shutil.move(locked / "aside.toml", lock)

    assert main(["lock", "b-1.0", "--upgrade", *matrix, "--offline"]) == 0
    assert "(2 packages, written)" in capsys.readouterr().out
    assert env(locked, capsys)["pwt_core"] == "1.2.0"
    assert main(["bundle", "export", "b-1.0", "--format", "pylock", *matrix]) == 0
    assert 'version = "1.2.0"' in capsys.readouterr().out

    # The bundle moves on without its lock: check says so, and no env is guessed.
    matrix_file = locked / "versions.toml"
    matrix_file.write_text(matrix_file.read_text().replace('"1.0.0"', '"1.1.0"'))
    assert main(["check", "--json", *matrix]) == 1
    errors = [n for n in json.loads(capsys.readouterr().out)["notices"] if n["level"] == "error"]
    assert errors == [
        {
            "level": "error",
            "key": "bundles.b-1.0",
            "message": "stale lock pylock.b-1_0.toml: pwt-platform is 1.0.0 in the lock, "
            "1.1.0 in the bundle; run `pytest-workspace lock b-1.0`",
        }
    ]
    argv = ["env", "b-1.0", *matrix, "--offline", "--cache", str(locked / "cache")]
    assert main(argv) == 2
    assert "stale lock of bundle 'b-1.0': pwt-platform is 1.0.0 in the lock" in (
        capsys.readouterr().err
    )


def test_locked_true_asks_for_a_lock(locked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    matrix_file = locked / "versions.toml"
    matrix_file.write_text(matrix_file.read_text().replace("[index]\n", "[index]\nlocked = true\n"))
    assert main(["check", "--matrix", str(matrix_file)]) == 1
    out = capsys.readouterr().out
    assert "bundles.b-1.0: no lock file" in out
    assert "[index] locked = true" in out
