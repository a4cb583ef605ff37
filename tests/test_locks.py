"""Locked bundles: `lock` resolves every transitive version into a PEP 751 file, envs are
built from it (uv natively, pip hash-checked), `check` reports a stale one. Real uv and
pip, a find-links directory the test grows."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_workspace.cli import main

from .wheels import build_wheel, make_checkout

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


class _SimpleIndex(http.server.SimpleHTTPRequestHandler):
    """Static PEP 691 JSON pages (``simple/<name>/index.json``) with the JSON content type
    that makes uv read their ``upload-time``; files from the same directory."""

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        if str(path).endswith("index.json"):
            return "application/vnd.pypi.simple.v1+json"
        return super().guess_type(path)

    def send_head(self) -> Any:
        if self.path.startswith("/simple/") and self.path.endswith("/"):
            self.path += "index.json"
        return super().send_head()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def dated_index(tmp_path: Path) -> Iterator[str]:
    """pwt-core 1.1.0 uploaded 2025-01-10, 1.2.0 on 2025-09-01; pwt-platform 1.0.0 (needs
    pwt-core>=1.0,<2) on 2025-01-10: an index that says when each file appeared."""
    root = tmp_path / "index"
    files = root / "files"
    files.mkdir(parents=True)
    uploads: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
        "pwt-core": [("1.1.0", "2025-01-10T12:00:00Z", ()), ("1.2.0", "2025-09-01T12:00:00Z", ())],
        "pwt-platform": [("1.0.0", "2025-01-10T12:00:00Z", ("pwt-core>=1.0,<2",))],
    }
    for name, releases in uploads.items():
        entries = []
        for version, uploaded, requires in releases:
            wheel = build_wheel(files, name, version, requires=requires)
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            entries.append(
                {
                    "filename": wheel.name,
                    "url": f"../../files/{wheel.name}",
                    "hashes": {"sha256": digest},
                    "upload-time": uploaded,
                }
            )
        page = {"meta": {"api-version": "1.1"}, "name": name, "files": entries}
        (root / "simple" / name).mkdir(parents=True)
        (root / "simple" / name / "index.json").write_text(json.dumps(page))
    handler = functools.partial(_SimpleIndex, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    finally:
        server.shutdown()
        server.server_close()


def test_exclude_newer_rebuilds_an_old_bundle_as_it_was_released(
    tmp_path: Path, dated_index: str, capsys: pytest.CaptureFixture[str]
) -> None:
    matrix = tmp_path / "versions.toml"
    matrix.write_text(
        f'[index]\nurl = "{dated_index}"\nexclude-newer = "release-date"\n'
        '[components.platform]\npackage = "pwt-platform"\n'
        '[bundles.old]\nrelease-date = "2025-06-01"\nplatform = "1.0.0"\n'
        '[bundles.undated]\nplatform = "1.0.0"\n'
    )

    def core_in(bundle: str) -> str:
        argv = ["env", bundle, "--matrix", str(matrix), "--cache", str(tmp_path / "cache")]
        assert main(argv) == 0
        path = Path(capsys.readouterr().out.strip())
        [info] = path.glob("lib/python*/site-packages/pwt_core-*.dist-info")
        return info.name.removesuffix(".dist-info").split("-")[1]

    assert core_in("old") == "1.1.0"  # pwt-core 1.2.0 came out after 2025-06-01
    assert core_in("undated") == "1.2.0"  # the control: no date, the newest
    # A find-links directory has no upload times: said once, not silently ignored.
    links = tmp_path / "links"
    links.mkdir()
    argv = ["env", "old", "--matrix", str(matrix), "--cache", str(tmp_path / "cache")]
    assert main([*argv, "--find-links", str(links)]) == 0
    assert (
        "note: exclude-newer 2025-06-02: find-links directories give no upload times, "
        "so their files are not filtered by date" in capsys.readouterr().err
    )


def test_a_checkout_swapped_into_a_locked_bundle(
    locked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a checkout, the lock's versions constrain the rest; the checkout's own
    distribution is left out of them (its locked 1.1.0 would contradict 1.5.0.dev0)."""
    matrix_file = locked / "versions.toml"
    matrix_file.write_text(
        matrix_file.read_text()
        .replace("[index]", '[components.core]\npackage = "pwt-core"\n[index]')
        .replace('platform = "1.0.0"', 'platform = "1.0.0"\ncore = "1.1.0"')
    )
    assert main(["lock", "--matrix", str(matrix_file), "--offline"]) == 0
    build_wheel(locked / "links", "pwt-core", "1.2.0")
    checkout = make_checkout(locked / "core-checkout")
    capsys.readouterr()
    installed = env(locked, capsys, "--source", f"core={checkout}")
    assert installed == {"pwt_core": "1.5.0.dev0", "pwt_platform": "1.0.0"}


def test_bundles_whose_lock_files_collide(locked: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # PEP 751 allows no dot in a lock's name, so x.1 and x_1 both map to pylock.x_1.toml.
    matrix_file = locked / "versions.toml"
    matrix_file.write_text(
        MATRIX + '[bundles."x.1"]\nplatform = "1.1.0"\n[bundles.x_1]\nplatform = "1.0.0"\n'
    )
    matrix = ["--matrix", str(matrix_file)]
    assert main(["check", *matrix]) == 1
    assert "bundles 'x.1' and 'x_1' share the lock file pylock.x_1.toml" in (
        capsys.readouterr().out
    )
    assert main(["lock", "x.1", *matrix, "--offline"]) == 0
    capsys.readouterr()
    # The lock says whom it is for: x_1 neither installs x.1's pins nor overwrites it.
    argv = ["env", "x_1", *matrix, "--offline", "--cache", str(locked / "cache")]
    assert main(argv) == 2
    lock = locked / "locks" / "pylock.x_1.toml"
    assert f"{lock}: this lock is for bundle 'x.1', not 'x_1'" in capsys.readouterr().err
    assert main(["lock", "x_1", *matrix, "--offline"]) == 2
    assert "is the lock of bundle 'x.1'; bundle 'x_1' maps to the same file name" in (
        capsys.readouterr().err
    )
    assert main(["bundle", "export", "x_1", "--format", "pylock", *matrix]) == 2
    assert "this lock is for bundle 'x.1'" in capsys.readouterr().err


HOSTILE_LOCKS = {
    "packages-a-table": ("packages = {a = 1}\n", "packages: expected an array of tables"),
    "packages-strings": ('packages = ["a", "b"]\n', "packages[0]: expected a table"),
    "wheels-strings": (
        '[[packages]]\nname = "a"\nversion = "1"\nwheels = ["a.whl"]\n',
        "packages[0].wheels[0]: expected a table",
    ),
    "no-version": ('[[packages]]\nname = "a"\n', "packages[0].version: expected a string"),
    "deep": ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    "not-utf-8": ("\udcff", "not UTF-8 (byte 0)"),
}


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["env", "b-1.0"],
        ["env", "b-1.0", "--installer", "pip"],
        ["bundle", "export", "b-1.0", "--format", "pylock"],
    ],
    ids=["check", "env", "env-pip", "export"],
)
@pytest.mark.parametrize("content", list(HOSTILE_LOCKS), ids=list(HOSTILE_LOCKS))
def test_a_hostile_lock_is_one_line(
    locked: Path, capsys: pytest.CaptureFixture[str], command: list[str], content: str
) -> None:
    text, expected = HOSTILE_LOCKS[content]
    lock = locked / "locks" / "pylock.b-1_0.toml"
    lock.parent.mkdir()
    lock.write_bytes(text.encode("utf-8", "surrogateescape"))
    argv = [*command, "--matrix", str(locked / "versions.toml")]
    if command[0] == "env":
        argv += ["--offline", "--cache", str(locked / "cache")]
    code = main(argv)
    captured = capsys.readouterr()
    said = captured.out if command == ["check"] else captured.err
    assert code == (1 if command == ["check"] else 2)
    assert f"{lock}: " in said
    assert expected in said
    assert "Traceback" not in captured.out + captured.err
    assert not (locked / "cache").exists() or not any((locked / "cache").glob("envs/*/bin"))


def test_a_bundle_name_too_long_for_a_file_name(
    locked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "b" * 5000
    matrix_file = locked / "versions.toml"
    assert main(["bundle", "new", name, "platform=1.0.0", "--matrix", str(matrix_file)]) == 2
    assert "at most 100 characters" in capsys.readouterr().err
    assert name not in matrix_file.read_text()
    matrix_file.write_text(MATRIX + f'[bundles.{name}]\nplatform = "1.0.0"\n')
    assert main(["check", "--matrix", str(matrix_file)]) == 2
    said = capsys.readouterr().out
    assert "at most 100 characters" in said
    assert len(said) < 400  # the name is shown shortened, not 5,000 characters of it
    assert main(["lock", "all", "--matrix", str(matrix_file), "--offline"]) == 2
    assert "at most 100 characters" in capsys.readouterr().err
