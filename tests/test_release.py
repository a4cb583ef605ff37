"""Bundles as releases: diff, export and `bundle new` on the users' own matrix file."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_workspace import load_matrix
from pytest_workspace.cli import main
from pytest_workspace.envs.installers import find_uv

from .wheels import build_wheel, repack_closure


def test_bundle_new_adds_a_bundle_and_leaves_every_other_byte(
    provisioning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = provisioning.read_text()
    argv = ["bundle", "new", "stable-3.3", "--from", "stable-3.2", "--matrix", str(provisioning)]
    # COMPONENT=VERSION items may follow the options; a family given replaces the base's.
    argv += ["extensions=mongodb@1.2.0", "extensions=redis@1.1.0", "--release-date", "2026-11-20"]
    assert main([*argv, "--title", "Stable 3.3 Bundle"]) == 0
    assert "added bundle stable-3.3" in capsys.readouterr().out
    after = provisioning.read_text()
    assert after.startswith(before)  # nothing removed or changed, comments and all
    assert after[len(before) :].splitlines() == [
        "",
        '[bundles."stable-3.3"]',
        'name = "Stable 3.3 Bundle"',
        'release-date = "2026-11-20"',
        'core = "3.2.1"',
        'platform = "2.5.3"',
        'workspace = "1.4.0"',
        'extensions = ["mongodb@1.2.0", "redis@1.1.0"]',
    ]
    bundle = load_matrix(provisioning).bundles["stable-3.3"]
    assert bundle.versions() == {
        "core": "3.2.1",
        "platform": "2.5.3",
        "workspace": "1.4.0",
        "extensions@mongodb": "1.2.0",
        "extensions@redis": "1.1.0",
    }
    assert str(bundle.release_date) == "2026-11-20"


def test_bundle_new_refuses_a_violation_and_names_the_rule(
    provisioning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = provisioning.read_bytes()
    argv = ["bundle", "new", "broken", "core=3.2.1", "platform=2.4.8"]
    assert main([*argv, "--matrix", str(provisioning)]) == 2
    err = capsys.readouterr().err
    assert "refusing bundle 'broken' (pass --allow-violations to add it)" in err
    assert 'compatibility.core."3.2.1": platform = "^2.5"' in err
    assert provisioning.read_bytes() == before
    assert main(["bundle", "new", "stable-3.2", "core=3.2.1", "--matrix", str(provisioning)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main([*argv, "--allow-violations", "--matrix", str(provisioning)]) == 0
    assert capsys.readouterr().out.startswith("error: bundles.broken: platform 2.4.8 does not")
    assert "broken" in load_matrix(provisioning).bundles


def test_bundle_diff_and_export(provisioning: Path, capsys: pytest.CaptureFixture[str]) -> None:
    matrix = ["--matrix", str(provisioning)]
    assert main(["bundle", "diff", "lts-3.1", "stable-3.2", *matrix]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "core 3.1.5 -> 3.2.1 (upgrade)",
        "platform 2.4.8 -> 2.5.3 (upgrade)",
        "workspace 1.3.0 -> 1.4.0 (upgrade)",
        "extensions@mongodb added 1.2.0",
        "extensions@redis added 1.1.0",
        "extensions@azure added 2.0.0",
    ]
    assert main(["bundle", "diff", "stable-3.2", "core@3.1.0", "--json", *matrix]) == 0
    changes = json.loads(capsys.readouterr().out)["changes"]
    assert changes[0] == {"key": "core", "from": "3.2.1", "to": "3.1.0", "change": "downgrade"}
    assert changes[1] == {"key": "platform", "from": "2.5.3", "to": None, "change": "removed"}
    assert main(["bundle", "export", "lts-3.1", "--format", "constraints", *matrix]) == 0
    assert capsys.readouterr().out == "core==3.1.5\nplatform==2.4.8\nworkspace==1.3.0\n"
    assert main(["bundle", "export", "lts-3.1", "--format", "pylock", *matrix]) == 2
    assert "run `pytest-workspace lock lts-3.1` first" in capsys.readouterr().err


def test_bundle_publish_builds_a_meta_package_that_installs_exactly_the_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    links = tmp_path / "links"
    links.mkdir()
    build_wheel(links, "pwt-core", "1.1.0")
    build_wheel(links, "pwt-core", "1.2.0")
    build_wheel(links, "pwt-plugin-a", "0.1.0", requires=["pwt-core>=1"])
    build_wheel(links, "pwt-plugin-a", "0.2.0", requires=["pwt-core>=1"])
    backend = repack_closure(tmp_path / "backend", "hatchling")  # offline: a real backend
    matrix = tmp_path / "versions.toml"
    matrix.write_text(
        '[components.core]\npackage = "pwt-core"\n'
        '[components.plugins]\npackage = "pwt-plugin-{name}"\n'
        '[publish]\npackage = "pwt-{bundle}"\n'
        '[bundles."r-1.1"]\nrelease-date = "2026-03-04"\ncore = "1.1.0"\nplugins = ["a@0.1.0"]\n'
    )
    argv = ["bundle", "publish", "r-1.1", "--matrix", str(matrix), "--out", str(tmp_path / "out")]
    argv += ["--offline", "--find-links", str(links), "--find-links", str(backend)]
    assert main(argv) == 0
    built = [Path(line) for line in capsys.readouterr().out.split()]
    assert [path.name for path in built] == [
        "pwt_r_1_1-2026.3.4-py2.py3-none-any.whl",
        "pwt_r_1_1-2026.3.4.tar.gz",
    ]
    uv = find_uv()
    assert uv is not None
    venv = tmp_path / "fresh"
    subprocess.run([uv, "venv", "-q", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = [uv, "pip", "install", "-q", "--python", str(python), "--offline", "--no-index"]
    subprocess.run([*install, "--find-links", str(links), str(built[0])], check=True)
    code = (
        "import importlib.metadata as m, json; "
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout
    # Exactly the pins, though newer releases of both are in the find-links.
    assert json.loads(out) == {
        "pwt-r-1.1": "2026.3.4",
        "pwt-core": "1.1.0",
        "pwt-plugin-a": "0.1.0",
    }


def test_bundle_publish_needs_a_name_and_a_version(
    provisioning: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bundle", "publish", "stable-3.2", "--matrix", str(provisioning)]
    assert main(argv) == 2
    assert '[publish] package: expected a name like "acme-{bundle}"' in capsys.readouterr().err


def _bundle_new_argv(matrix: Path, name: str) -> list[str]:
    # stable-3.2's own extensions break a rule; these two keep the new bundle valid.
    argv = ["bundle", "new", name, "--from", "stable-3.2", "--matrix", str(matrix)]
    argv += ["extensions=mongodb@1.2.0", "extensions=redis@1.1.0"]
    return [sys.executable, "-m", "pytest_workspace", *argv]


def _bundle_new(matrix: Path, name: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _bundle_new_argv(matrix, name),
        capture_output=True,
        text=True,
        check=False,
    )


def test_bundle_new_runs_at_once_lose_no_bundle(provisioning: Path) -> None:
    # 8 runs at once all exited 0, and only 2-3 of the 8 bundles were in the file.
    names = [f"stable-3.3-rc{n}" for n in range(8)]
    processes = [
        subprocess.Popen(
            _bundle_new_argv(provisioning, n),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for n in names
    ]
    assert [process.wait() for process in processes] == [0] * 8
    assert set(names) <= set(load_matrix(provisioning).bundles)


def test_bundle_new_keeps_the_files_mode_and_its_symlink(
    tmp_path: Path, provisioning: Path
) -> None:
    # It replaced the file: 0644 became 0600, and a symlinked matrix became a plain file
    # while the link's target never got the bundle.
    provisioning.chmod(0o640)
    link = tmp_path / "linked" / "versions.toml"
    link.parent.mkdir()
    link.symlink_to(provisioning)
    assert _bundle_new(link, "stable-3.3").returncode == 0
    assert link.is_symlink()
    assert "stable-3.3" in load_matrix(provisioning).bundles
    assert stat.S_IMODE(provisioning.stat().st_mode) == 0o640


def test_bundle_new_refuses_a_read_only_file(provisioning: Path) -> None:
    # A 0444 file was rewritten with exit 0 (as root too: root may write anything).
    provisioning.chmod(0o444)
    before = provisioning.read_bytes()
    result = _bundle_new(provisioning, "stable-3.3")
    assert result.returncode == 2
    assert result.stderr == (
        f"pytest-workspace: error: {provisioning}: the file is read-only (mode 444); "
        "make it writable to add a bundle\n"
    )
    assert provisioning.read_bytes() == before
