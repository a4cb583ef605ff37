"""Env: commands, bytecode, in-place upgrades, local sources, interpreters."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_workspace import load_matrix
from pytest_workspace.envs.cache.manifest import MANIFEST
from pytest_workspace.envs.cache.store import EnvCache
from pytest_workspace.envs.env import CommandError
from pytest_workspace.envs.interpreters import find_interpreter
from pytest_workspace.envs.spec import EnvSpec, IndexOptions
from pytest_workspace.errors import EnvError, InterpreterNotFound
from pytest_workspace.model.matrix import Matrix

from .helpers import packages, spec_for
from .wheels import make_checkout

BACKENDS = ["uv", "pip"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_private_env_upgrades_and_downgrades_in_place(
    backend: str, pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    old, new = pwt_matrix.bundle("old"), pwt_matrix.bundle("new")
    spec = spec_for(pwt_matrix, "old", index=offline)
    shared = cache.get(spec, backend)
    shared_manifest = (shared.path / MANIFEST).read_text()

    private = cache.private(spec, tmp_path / "private", backend)
    assert (private.shared, private.path) == (False, tmp_path / "private")
    state = tmp_path / "state.txt"
    private.run_python(f"import pwt_core; open({str(state)!r}, 'w').write(pwt_core.VERSION)")

    assert private.install(new.pins) is private
    assert packages(private) == {
        "pwt-core": "1.1.0",
        "pwt-platform": "1.1.0",
        "pwt-plugin-a": "0.2.0",
    }
    assert private.pins == {"core": "1.1.0", "platform": "1.1.0", "plugins@a": "0.2.0"}
    assert state.read_text() == "1.0.0"

    private.install(old.pins)
    assert private.run_python("import pwt_core; print(pwt_core.VERSION)").stdout == "1.0.0\n"

    # The shared env of the source bundle never moved.
    assert shared.installed()["pwt-core"] == "1.0.0"
    assert (shared.path / MANIFEST).read_text() == shared_manifest
    with pytest.raises(EnvError, match="refusing to change the shared env old"):
        shared.install(new.pins)


def test_failed_command_shows_everything(
    pwt_matrix: Matrix, offline: IndexOptions, shared_cache: EnvCache
) -> None:
    env = shared_cache.get(spec_for(pwt_matrix, "old", index=offline))
    with pytest.raises(CommandError) as info:
        env.run_python("import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)")
    message = str(info.value)
    assert message.startswith(f"command failed with exit code 3: {env.python} -c import sys")
    assert message.endswith("--- stdout ---\nout\n\n--- stderr ---\nerr\n")
    assert env.run_python("raise SystemExit(4)", check=False).returncode == 4


def test_commands_in_an_env_keep_the_users_bytecode_setting(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Env.run lifted PYTHONDONTWRITEBYTECODE and pointed every env at one shared
    # PYTHONPYCACHEPREFIX tree, where a module rewritten in place read stale bytecode.
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = EnvCache(tmp_path / "cache").get(spec_for(pwt_matrix, "old", index=offline))
    site = next(env.path.glob("lib/*/site-packages"))
    assert not list(site.rglob("pwt_core/**/*.pyc")), "a build compiles nothing"
    probe = "import os, sys; print(sys.dont_write_bytecode, os.environ.get('PYTHONPYCACHEPREFIX'))"
    assert env.run_python(probe).stdout == "True None\n"
    # What a process imported from the env is compiled into it at exit, checked-hash;
    # the user's own module is not.
    (tmp_path / "mine.py").write_text("VALUE = 1\n")
    env.run_python("import mine, pwt_core", cwd=tmp_path)
    (compiled,) = site.rglob("pwt_core/__pycache__/__init__.*.pyc")
    assert int.from_bytes(compiled.read_bytes()[4:8], "little") == 0b11  # PEP 552 flags
    assert not (tmp_path / "__pycache__").exists()


def test_missing_interpreter(write_matrix: Callable[..., Path]) -> None:
    matrix = load_matrix(write_matrix('[bundles.b]\npython = "2.6"\ncore = "1.0"\n'))
    with pytest.raises(InterpreterNotFound) as info:
        spec_for(matrix, "b")
    assert str(info.value) == "Python 2.6 is not available (no python2.6 on PATH)"
    assert find_interpreter(None) == find_interpreter(".".join(map(str, sys.version_info[:2])))


@pytest.mark.parametrize("editable", [True, False], ids=["editable", "snapshot"])
def test_local_source_replaces_the_pin(
    editable: bool, pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    checkout = make_checkout(tmp_path / "checkout")
    cache = EnvCache(tmp_path / "cache")

    def spec_now() -> EnvSpec:
        return spec_for(
            pwt_matrix, "old", index=offline, sources={"core": checkout}, editable=editable
        )

    spec = spec_now()
    env = cache.get(spec)
    assert env.installed()["pwt-core"] == "1.5.0.dev0"
    assert env.installed()["pwt-platform"] == "1.0.0"
    assert env.run_python("import pwt_core; print(pwt_core.VERSION)").stdout == "checkout\n"
    (checkout / "src" / "pwt_core" / "__init__.py").write_text("VERSION = 'edited'\n")
    changed = spec_now()
    # Editable sources follow edits in place; snapshots are keyed by their files.
    assert (changed == spec) is editable
    env = cache.get(changed)
    assert env.run_python("import pwt_core; print(pwt_core.VERSION)").stdout == "edited\n"


def test_installed_answers_names_as_people_write_them(
    pwt_matrix: Matrix, offline: IndexOptions, shared_cache: EnvCache
) -> None:
    installed = shared_cache.get(spec_for(pwt_matrix, "old", index=offline)).installed()
    assert installed["pwt-core"] == installed["PWT_Core"] == installed["pwt.core"] == "1.0.0"
    assert "Pwt_Platform" in installed
    assert installed.get("PWT-PLUGIN-A") == "0.1.0"


def test_component_extras_are_installed(
    write_matrix: Callable[..., Path], offline: IndexOptions, shared_cache: EnvCache
) -> None:
    matrix = load_matrix(
        write_matrix(
            '[components.tools]\npackage = "pwt-tools"\nextras = ["fast"]\n'
            '[bundles.b]\ntools = "1.0.0"\n'
        )
    )
    assert matrix.bundle("b").pins[0].requirement == "pwt-tools[fast]==1.0.0"
    env = shared_cache.get(spec_for(matrix, "b", index=offline))
    assert packages(env) == {"pwt-core": "2.0.0", "pwt-tools": "1.0.0"}
