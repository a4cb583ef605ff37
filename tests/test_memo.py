"""``pytest-workspace env`` answers a repeated cache hit from its record (``_memo``):
the same answer as the slow path, or the slow path itself whenever an input changed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

MATRIX = """
[index]
find-links = [{links!r}]
[bundles.b]
pwt-core = "{core}"
"""


class Cli:
    """Runs ``env`` as a user does and tells whether the matrix was loaded at all."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache

    def env(
        self, cwd: Path, *argv: str, environ: Mapping[str, str] | None = None
    ) -> tuple[str, str, bool]:
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "pytest_workspace", "env", *argv],
            cwd=cwd,
            env={**os.environ, "PYTEST_WORKSPACE_CACHE": str(self.cache), **(environ or {})},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        said = [line for line in result.stderr.splitlines() if not line.startswith("import ")]
        loaded = "pytest_workspace.loading.matrixfile" in result.stderr
        return result.stdout.splitlines()[-1], "\n".join(said), loaded


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "cache")


def test_a_repeated_hit_is_answered_without_loading_the_matrix(
    cli: Cli, tmp_path: Path, wheelhouse: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    matrix = project / "versions.toml"
    matrix.write_text(MATRIX.format(links=str(wheelhouse), core="1.0.0"))

    first, said, loaded = cli.env(project, "b", "--offline")
    assert loaded
    assert said.startswith("built env b")
    again, said, loaded = cli.env(project, "b", "--offline")
    assert (again, loaded) == (first, False)
    assert said.startswith("reused env b with uv in")
    assert Path(first, "lib").is_dir()

    # The matrix changes: the slow path answers, with the new env.
    matrix.write_text(MATRIX.format(links=str(wheelhouse), core="1.1.0"))
    newer, said, loaded = cli.env(project, "b", "--offline")
    assert loaded
    assert newer != first
    assert said.startswith("built env b")
    assert cli.env(project, "b", "--offline")[::2] == (newer, False)

    # A resolution variable enters the env's key, so it must miss the record too.
    varied, _, loaded = cli.env(project, "b", "--offline", environ={"UV_PRERELEASE": "allow"})
    assert loaded
    assert varied != newer
    # One record per command line and directory: back in the first environment, the
    # slow path answers once (the same env), then the record again.
    assert cli.env(project, "b", "--offline")[::2] == (newer, True)
    assert cli.env(project, "b", "--offline")[::2] == (newer, False)

    # --rebuild always rebuilds.
    rebuilt, said, loaded = cli.env(project, "b", "--offline", "--rebuild")
    assert (rebuilt, loaded) == (newer, True)
    assert said.startswith("built env b")

    # A damaged env is not reused from the record: the slow path rebuilds it.
    manifest = Path(newer, "pytest-workspace.json")
    listed = next(Path(newer, "lib").glob("python*/site-packages/pwt_core"))
    subprocess.run(["rm", "-r", str(listed)], check=True)
    repaired, said, loaded = cli.env(project, "b", "--offline")
    assert (repaired, loaded) == (newer, True)
    assert said.startswith("rebuilt env b")
    assert "it had changed since its build" in said
    assert manifest.is_file()


def test_a_matrix_found_first_in_a_new_place_is_not_missed(
    cli: Cli, tmp_path: Path, wheelhouse: Path
) -> None:
    project = tmp_path / "project"
    (project / "version-management").mkdir(parents=True)
    deeper = project / "version-management" / "versions.toml"
    deeper.write_text(MATRIX.format(links=str(wheelhouse), core="1.0.0"))
    first, _, _ = cli.env(project, "b", "--offline")
    assert cli.env(project, "b", "--offline")[::2] == (first, False)

    # versions.toml at the root comes first in discovery; it did not exist before.
    (project / "versions.toml").write_text(MATRIX.format(links=str(wheelhouse), core="1.1.0"))
    other, _, loaded = cli.env(project, "b", "--offline")
    assert loaded
    assert other != first
    # Another working directory is another command: its own record.
    elsewhere, _, loaded = cli.env(project / "version-management", "b", "--offline")
    assert (elsewhere, loaded) == (first, True)


def test_a_record_someone_else_could_write_is_ignored(
    cli: Cli, tmp_path: Path, wheelhouse: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "versions.toml").write_text(MATRIX.format(links=str(wheelhouse), core="1.0.0"))
    first, _, _ = cli.env(project, "b", "--offline")
    (record,) = (cli.cache / "resolved").iterdir()
    assert record.stat().st_mode & 0o077 == 0

    record.chmod(0o666)
    assert cli.env(project, "b", "--offline")[::2] == (first, True)
    # The slow path wrote a private record again, which is then used.
    assert record.stat().st_mode & 0o077 == 0
    assert cli.env(project, "b", "--offline")[::2] == (first, False)

    # A record pointing at an env that is not a complete env of that key is not trusted.
    record.write_text(record.read_text().replace(Path(first).name, "0" * 20))
    record.chmod(0o600)
    assert cli.env(project, "b", "--offline")[::2] == (first, True)

    # A manifest the full path would call incomplete (a mistyped field) is not reused.
    manifest = Path(first, "pytest-workspace.json")
    manifest.write_text(manifest.read_text().replace('"size": ', '"size": "x", "_": '))
    again, said, loaded = cli.env(project, "b", "--offline")
    assert (again, loaded) == (first, True)
    assert said.startswith("built env b")


def test_prune_forgets_the_records(cli: Cli, tmp_path: Path, wheelhouse: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "versions.toml").write_text(MATRIX.format(links=str(wheelhouse), core="1.0.0"))
    first, _, _ = cli.env(project, "b", "--offline")
    assert [path.suffix for path in (cli.cache / "resolved").iterdir()] == [".json"]
    pruned = subprocess.run(
        [sys.executable, "-m", "pytest_workspace", "cache", "prune", "--max-size", "0"],
        env={**os.environ, "PYTEST_WORKSPACE_CACHE": str(cli.cache)},
        capture_output=True,
        check=True,
    )
    assert pruned.returncode == 0
    assert not Path(first).exists()
    assert list((cli.cache / "resolved").iterdir()) == []
    again, said, loaded = cli.env(project, "b", "--offline")
    assert (again, loaded) == (first, True)
    assert said.startswith("built env b")


@pytest.mark.parametrize("change", ["delete", "add", "rename"])
def test_a_changed_env_is_rebuilt_by_the_remembered_answer_too(
    cli: Cli, tmp_path: Path, wheelhouse: Path, change: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "versions.toml").write_text(MATRIX.format(links=str(wheelhouse), core="1.0.0"))
    first, _, _ = cli.env(project, "b", "--offline")
    assert cli.env(project, "b", "--offline")[2] is False  # remembered
    (site,) = Path(first).glob("lib/*/site-packages")
    module = site / "pwt_core" / "__init__.py"
    if change == "delete":
        module.unlink()
    elif change == "add":
        (site / "pwt_core" / "planted.py").write_text("")
    else:
        module.rename(module.with_name("moved.py"))
    again, said, loaded = cli.env(project, "b", "--offline")
    assert loaded  # the record is not trusted for a changed env
    assert again == first
    assert "rebuilt env b with uv in" in said
    assert "it had changed since its build (a file in lib/" in said
    assert module.is_file()
    assert not (site / "pwt_core" / "planted.py").exists()
    assert not (site / "pwt_core" / "moved.py").exists()
    assert cli.env(project, "b", "--offline")[::2] == (first, False)


def test_cache_verify_finds_a_file_edited_in_place(
    cli: Cli, tmp_path: Path, wheelhouse: Path
) -> None:
    # An edit in place changes no directory: the reuse check cannot see it (its budget
    # allows one stat per directory); `cache verify` reads every file.
    project = tmp_path / "project"
    project.mkdir()
    (project / "versions.toml").write_text(MATRIX.format(links=str(wheelhouse), core="1.0.0"))
    first, _, _ = cli.env(project, "b", "--offline")
    verify = [sys.executable, "-m", "pytest_workspace", "cache", "verify"]
    environ = {**os.environ, "PYTEST_WORKSPACE_CACHE": str(cli.cache)}
    done = subprocess.run(verify, env=environ, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("ok ")
    (site,) = Path(first).glob("lib/*/site-packages")
    module = site / "pwt_core" / "__init__.py"
    original = module.read_text()
    with module.open("a") as stream:
        stream.write("BROKEN = True\n")
    done = subprocess.run(verify, env=environ, capture_output=True, text=True, check=False)
    assert done.returncode == 1
    assert "changed" in done.stdout
    assert "pwt_core/__init__.py: changed; rebuilt on next use" in done.stdout
    assert "1 envs checked, 1 changed" in done.stderr
    again, said, loaded = cli.env(project, "b", "--offline")
    assert (again, loaded) == (first, True)
    assert "rebuilt env b" in said
    assert module.read_text() == original


def _env_run(
    cwd: Path, cache: Path, environ: Mapping[str, str], *argv: str
) -> subprocess.CompletedProcess[str]:
    merged = {**os.environ, "PYTEST_WORKSPACE_CACHE": str(cache), **environ}
    for name in ("UV_NO_CONFIG", "PIP_CONFIG_FILE"):  # the suite's hermetic settings
        merged.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "pytest_workspace", "env", "b", "--offline", *argv],
        cwd=cwd,
        env=merged,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_installer_configuration_is_keyed_or_not_read(
    tmp_path: Path, wheelhouse: Path, installer: str
) -> None:
    # Wheels refused by a configuration file: a build that reads it fails.
    refuse = {
        "uv": ("uv.toml", '[pip]\nno-binary = ["pwt-core"]\n'),
        "pip": ("pip.conf", "[global]\nno-binary = pwt-core\n"),
    }[installer]
    cache = tmp_path / "cache"
    matrix = MATRIX.format(links=str(wheelhouse), core="1.0.0")
    home = tmp_path / "home"
    home.mkdir()
    clean = {"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "no-config")}
    # A project's own uv.toml where the command runs is not read: the env in the cache
    # is shared with every other directory, whose commands never saw that file.
    project = tmp_path / "project"
    project.mkdir()
    (project / "versions.toml").write_text(matrix)
    (project / refuse[0]).write_text(refuse[1])
    built = _env_run(project, cache, clean, "--installer", installer)
    assert built.returncode == 0, built.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "versions.toml").write_text(matrix)
    reused = _env_run(elsewhere, cache, clean, "--installer", installer)
    assert reused.returncode == 0, reused.stderr
    assert reused.stdout == built.stdout
    # The user's own configuration is read, and enters the key: never the env built
    # without it (both remembered answer and slow path).
    config = tmp_path / "xdg" / installer / refuse[0]
    config.parent.mkdir(parents=True)
    config.write_text(refuse[1])
    configured = {**clean, "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    refused = _env_run(elsewhere, cache, configured, "--installer", installer)
    assert refused.returncode == 2, refused.stdout
    assert "cannot" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert refused.stdout == ""


OTHER_PYTHON = "/usr/bin/python3.11"


@pytest.mark.skipif(
    not os.path.exists(OTHER_PYTHON)
    or os.path.realpath(OTHER_PYTHON) == os.path.realpath(sys._base_executable),  # type: ignore[attr-defined]
    reason=f"needs a second interpreter at {OTHER_PYTHON}",
)
def test_an_interpreter_a_shim_chose_is_looked_up_afresh(
    cli: Cli, tmp_path: Path, wheelhouse: Path
) -> None:
    # pyenv's way: python3.X.Y on PATH is a script that picks by .python-version.
    version = subprocess.run(
        [OTHER_PYTHON, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / f"python{version}"
    shim.write_text(
        "#!/bin/sh\n"
        '[ -f .python-version ] || { echo "pyenv: no version set here" >&2; exit 127; }\n'
        f'exec {OTHER_PYTHON} "$@"\n'
    )
    shim.chmod(0o755)
    project = tmp_path / "project"
    project.mkdir()
    matrix = MATRIX.format(links=str(wheelhouse), core="1.0.0")
    (project / "versions.toml").write_text(
        matrix.replace("[bundles.b]\n", f'[bundles.b]\npython = "{version}"\n')
    )
    (project / ".python-version").write_text(version + "\n")
    path = {"PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}
    first, _, _ = cli.env(project, "b", "--offline", environ=path)
    assert Path(first, "pyvenv.cfg").read_text().count(version) >= 1
    again, _, loaded = cli.env(project, "b", "--offline", environ=path)
    assert (again, loaded) == (first, True)  # looked up again, not remembered
    (project / ".python-version").unlink()
    fresh = subprocess.run(
        [sys.executable, "-m", "pytest_workspace", "env", "b", "--offline"],
        cwd=project,
        env={**os.environ, "PYTEST_WORKSPACE_CACHE": str(cli.cache), **path},
        capture_output=True,
        text=True,
        check=False,
    )
    assert fresh.returncode == 2, fresh.stdout
    assert f"Python {version} at {shim} does not run" in fresh.stderr
