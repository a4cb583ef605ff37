"""The nox helpers, through a real nox run of a small noxfile (offline)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_workspace import nox as workspace
from pytest_workspace.envs.spec import IndexOptions

from .helpers import MATRIX
from .wheels import make_checkout

NOXFILE = """
import nox
from pytest_workspace import nox as workspace

MATRIX = {matrix!r}


@nox.session(venv_backend={backend!r})
@nox.parametrize("bundle", workspace.bundles(MATRIX))
def check(session, bundle):
    workspace.install(session, bundle, matrix_path=MATRIX, offline=True)
    session.run("python", "-c", "import pwt_core; print('CORE', pwt_core.VERSION)")


@nox.session(venv_backend="none")
@nox.parametrize("path", workspace.upgrade_paths(MATRIX))
def paths(session, path):
    print("PATH", path)
"""


@pytest.fixture
def matrix(tmp_path: Path, wheelhouse: Path) -> Path:
    path = tmp_path / "versions.toml"
    path.write_text(MATRIX.format(links=str(wheelhouse)))
    return path


def nox(noxfile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "nox",
            "-f",
            str(noxfile),
            "--envdir",
            str(noxfile.parent / ".nox"),
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("backend", ["uv", "virtualenv"])
def test_noxfile_with_helpers(backend: str, matrix: Path, tmp_path: Path) -> None:
    noxfile = tmp_path / "noxfile.py"
    noxfile.write_text(textwrap.dedent(NOXFILE.format(matrix=str(matrix), backend=backend)))
    listed = nox(noxfile, "--list")
    assert listed.returncode == 0, listed.stderr
    for session in ("check(old)", "check(new)", "paths(old:new)"):
        assert f"- {session}" in listed.stdout or f"* {session}" in listed.stdout

    result = nox(noxfile, "-s", "check", "paths")
    assert result.returncode == 0, result.stderr
    assert "CORE 1.0.0" in result.stdout + result.stderr
    assert "CORE 1.1.0" in result.stdout + result.stderr
    assert "PATH old:new" in result.stdout + result.stderr


def test_install_args(matrix: Path, wheelhouse: Path) -> None:
    assert workspace.install_args("old", matrix, index=IndexOptions(offline=True)) == [
        "--find-links",
        str(wheelhouse),
        "--no-index",
        "pwt-core==1.0.0",
        "pwt-platform==1.0.0",
    ]
    assert workspace.install_args(
        "new", matrix, index=IndexOptions(index_url="https://example.org/simple")
    ) == [
        "--index-url",
        "https://example.org/simple",
        "--find-links",
        str(wheelhouse),
        "pwt-core==1.1.0",
        "pwt-platform==1.1.0",
    ]


def test_helpers_find_the_matrix_like_the_cli(
    matrix: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert [param.id for param in workspace.bundles()] == ["old", "new"]
    assert [param.id for param in workspace.bundles(pattern="n*")] == ["new"]
    assert [param.id for param in workspace.upgrade_paths()] == ["old:new"]


EDITABLE_NOXFILE = """
import nox
from pytest_workspace import nox as workspace


@nox.session(venv_backend={backend!r})
def swap(session):
    workspace.install(session, "old", "-e", {checkout!r}, matrix_path={matrix!r}, offline=True)
    session.run("python", "-c", "import pwt_core, pwt_platform; print('CORE', pwt_core.VERSION)")
"""


@pytest.mark.parametrize("backend", ["uv", "virtualenv"])
def test_install_with_the_checkout_leaves_out_its_pin(
    backend: str, matrix: Path, tmp_path: Path
) -> None:
    checkout = make_checkout(tmp_path / "checkout")
    noxfile = tmp_path / "noxfile.py"
    noxfile.write_text(
        textwrap.dedent(
            EDITABLE_NOXFILE.format(backend=backend, checkout=str(checkout), matrix=str(matrix))
        )
    )
    result = nox(noxfile, "-s", "swap")
    assert result.returncode == 0, result.stderr
    assert "CORE checkout" in result.stdout + result.stderr


def test_install_args_exclude(matrix: Path) -> None:
    assert workspace.install_args("old", matrix, exclude=["PWT_Core"])[-1:] == [
        "pwt-platform==1.0.0"
    ]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", "[pytest]\nworkspace_matrix = deps/matrix.toml\n"),
        ("pyproject.toml", '[tool.pytest.ini_options]\nworkspace_matrix = "deps/matrix.toml"\n'),
        ("tox.ini", "[tox]\n[pytest]\nworkspace_matrix = deps/matrix.toml\n"),
        ("setup.cfg", "[tool:pytest]\nworkspace_matrix = deps/matrix.toml\n"),
    ],
)
def test_helpers_find_the_matrix_like_the_plugin(
    name: str, text: str, matrix: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "deps").mkdir(parents=True)
    (project / "deps" / "matrix.toml").write_text(matrix.read_text())
    (project / name).write_text(text)
    monkeypatch.chdir(project)
    assert [param.id for param in workspace.bundles()] == ["old", "new"]
    assert workspace.matrix().path == project / "deps" / "matrix.toml"


README_NOXFILE = """
import nox
from pytest_workspace import nox as workspace


@nox.session(venv_backend="virtualenv")
@nox.parametrize("bundle", workspace.bundles())
def integration(session, bundle):
    session.install("pytest-workspace[uv]", "pytest")
    session.run("pytest", "-p", "no:cacheprovider", "--bundle", bundle, *session.posargs)
"""

INTEGRATION_TEST = """
def test_core(bundle_env):
    assert bundle_env.installed()["pwt-core"]
"""


def test_the_readme_session_run_again_reuses_each_bundles_env(
    matrix: Path, workspace_wheels: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each run re-creates the session venv, pip reinstalls uv into it (a new mtime), and
    # the uv binary's stat was in the env's key: 4 runs, 4 copies of one bundle.
    (tmp_path / "noxfile.py").write_text(README_NOXFILE)
    (tmp_path / "test_integration.py").write_text(INTEGRATION_TEST)
    cache = tmp_path / "cache"
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(workspace_wheels))
    monkeypatch.setenv("PYTEST_WORKSPACE_CACHE", str(cache))
    for _ in range(3):
        result = nox(tmp_path / "noxfile.py", "-s", "integration", "--", "--workspace-offline")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "installer uv" in result.stdout + result.stderr
    envs = [path for path in (cache / "envs").iterdir() if path.is_dir()]
    assert len(envs) == 2  # old and new, each built once
