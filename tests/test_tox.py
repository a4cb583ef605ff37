"""The tox plugin, through real tox (and tox-uv) in subprocesses, offline."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_workspace import load_matrix
from pytest_workspace.model.envnames import collisions, tox_label

from .helpers import WriteMatrix, run_cli
from .wheels import make_checkout

pytest.importorskip("tox")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "provisioning"
ENVS = {
    "bundle-stable-v3.2": "Stable 3.2 Bundle: core 3.2.1, platform 2.5.3, "
    "extensions@mongodb 1.2.0, extensions@redis 1.1.0, extensions@azure 2.0.0, "
    "workspace 1.4.0",
    "bundle-lts-v3.1": "LTS 3.1 Bundle: core 3.1.5, platform 2.4.8, workspace 1.3.0",
    "upgrade-lts-v3.1-to-stable-v3.2": "upgrade lts-3.1 -> stable-3.2",
    "upgrade-core_v3.1.0-to-core_v3.2.1": "upgrade core@3.1.0 -> core@3.2.1",
    "upgrade-core_v3.1.0-to-core_v3.2.0": "upgrade core@3.1.0 -> core@3.2.0 (expected to "
    "fail: core 3.2.0 drops servers when it migrates a 3.1 state file (fixed in 3.2.1))",
}


# -- names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("stable-3.2", "stable-v3.2"),
        ("lts-3.1", "lts-v3.1"),
        ("nightly", "nightly"),
        ("py3-compat", "vpy3-compat"),
        ("release-2025", "release-v2025"),
        ("pypy-3.10t", "vpypy-v3.10t"),
        ("core@3.1.0", "core_v3.1.0"),
        ("extensions@mongodb@1.2.0", "extensions_mongodb_v1.2.0"),
        ("core@3.1.0,platform@2.5.0", "core_v3.1.0__platform_v2.5.0"),
    ],
)
def test_tox_names_hold_no_part_tox_reads_as_a_python(label: str, expected: str) -> None:
    # tox's own patterns (private, so a tox change that matters shows up here).
    from tox.config.loader.ini.factor import _FACTOR_RE
    from tox.session.env_select import _DYNAMIC_ENV_FACTORS
    from tox.tox_env.python.api import PY_FACTORS_RE

    name = tox_label(label)
    assert name == expected
    for factor in name.split("-"):
        assert _FACTOR_RE.fullmatch(factor), factor
        assert not _DYNAMIC_ENV_FACTORS.fullmatch(factor), factor
        assert not PY_FACTORS_RE.fullmatch(factor), factor


def test_check_reports_names_that_are_one_tox_env(write_matrix: WriteMatrix) -> None:
    path = write_matrix(
        """
        [bundles.stable-3.2]
        core = "1.0"
        [bundles.stable-v3.2]
        core = "1.1"
        """
    )
    assert collisions(load_matrix(path)) == [
        ("bundle-stable-v3.2", ["bundle 'stable-3.2'", "bundle 'stable-v3.2'"])
    ]
    result = run_cli("check", "--matrix", str(path))
    assert (
        f"warning: {path}: bundle 'stable-3.2' and bundle 'stable-v3.2' both map to tox env "
        "'bundle-stable-v3.2'; rename one"
    ) in result.stdout.splitlines()


# -- real tox --------------------------------------------------------------------------


@pytest.fixture
def tox_env(
    workspace_wheels: Path, plugin_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The environment tox runs in: every installer offline, our cache shared."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(workspace_wheels))
    monkeypatch.setenv("UV_NO_INDEX", "1")
    monkeypatch.setenv("UV_FIND_LINKS", str(workspace_wheels))
    monkeypatch.setenv("PYTEST_WORKSPACE_CACHE", str(plugin_cache))
    monkeypatch.delenv("TOX_WORK_DIR", raising=False)
    monkeypatch.delenv("TOXENV", raising=False)
    return dict(os.environ)


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example workspace with its components built."""
    copy = tmp_path / "provisioning"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("dist", ".tox", "__pycache__"))
    subprocess.run([sys.executable, str(copy / "build.py")], check=True, capture_output=True)
    return copy


def tox(
    where: Path, env: dict[str, str], command: str, *args: str, driver_deps: bool = True
) -> subprocess.CompletedProcess[str]:
    # The example installs pytest-workspace from its checkout (needs hatchling from an
    # index); offline, the driver envs take the repacked wheel instead.
    override = ["-x", "env_run_base.deps=pytest-workspace"] if driver_deps else []
    return subprocess.run(
        [sys.executable, "-m", "tox", command, *override, *args],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _listed(output: str) -> dict[str, str]:
    listed = {}
    for line in output.split("additional environments:")[-1].splitlines():
        name, arrow, description = line.partition("->")
        if arrow:
            listed[name.strip()] = description.strip()
    return listed


def test_tox_lists_the_matrix_envs(example: Path, tox_env: dict[str, str]) -> None:
    result = tox(example, tox_env, "l")
    assert result.returncode == 0, result.stderr
    assert _listed(result.stdout) == ENVS
    result = tox(example, tox_env, "l", "-m", "upgrades")
    assert list(_listed(result.stdout)) == [name for name in ENVS if name.startswith("upgrade")]


def test_tox_lists_derived_upgrade_paths_when_asked(example: Path, tox_env: dict[str, str]) -> None:
    # The example's bundles have release dates: lts-3.1 (2025) before stable-3.2.
    ini = example / "pytest.ini"
    ini.write_text(ini.read_text() + "workspace_upgrade_paths = derived\n")
    matrix = example / "versions.toml"
    declared = '[[upgrades]]\nfrom = "lts-3.1"\nto = "stable-3.2"\n'
    assert declared in matrix.read_text()
    matrix.write_text(matrix.read_text().replace(declared, ""))
    result = tox(example, tox_env, "l", "-m", "upgrades")
    assert result.returncode == 0, result.stderr
    # No longer declared, lts-3.1 -> stable-3.2 is derived from the release dates.
    listed = list(_listed(result.stdout))
    assert "upgrade-lts-v3.1-to-stable-v3.2" in listed
    assert "upgrade-stable-v3.2-to-lts-v3.1" not in listed


def test_tox_without_a_matrix_adds_nothing(tmp_path: Path, tox_env: dict[str, str]) -> None:
    (tmp_path / "tox.toml").write_text('env_list = ["lint"]\n')
    result = tox(tmp_path, tox_env, "l")
    assert (result.returncode, result.stderr) == (0, "")
    assert "additional environments" not in result.stdout
    assert "bundle-" not in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-e", "bundle-stable-3.2"],
            "ROOT: HandledError| pytest-workspace: no tox env 'bundle-stable-3.2'; did you "
            "mean 'bundle-stable-v3.2'? (tox reads a part like 3.2 as a Python version, so "
            "it gets a v)",
        ),
        (
            ["-e", "upgrade-lts-3.1:stable-3.2"],
            "ROOT: HandledError| pytest-workspace: no tox env 'upgrade-lts-3.1:stable-3.2'; "
            "did you mean 'upgrade-lts-v3.1-to-stable-v3.2'? (tox reads a part like 3.2 as "
            "a Python version, so it gets a v)",
        ),
        (
            ["-e", "bundle-lts-v3.1", "-x", "env_run_base.workspace_mode=instal"],
            "ROOT: HandledError| pytest-workspace: tox env bundle-lts-v3.1: workspace_mode = "
            "'instal': expected 'driver' or 'install'",
        ),
        # Names under our prefixes that are none of our envs: tox accepted them (their
        # factors are ours) and ran the plain suite with no bundle at all.
        (
            ["-e", "bundle-stable"],
            "ROOT: HandledError| pytest-workspace: no tox env 'bundle-stable': did you mean "
            "'bundle-stable-v3.2'? the envs named bundle-* and upgrade-* are the matrix's (",
        ),
        (
            ["-e", "upgrade-lts-v3.1-stable-v3.2"],
            "ROOT: HandledError| pytest-workspace: no tox env 'upgrade-lts-v3.1-stable-v3.2': "
            "did you mean 'upgrade-lts-v3.1-to-stable-v3.2'? the envs named bundle-* and "
            "upgrade-* are the matrix's (",
        ),
    ],
    ids=["bundle-literal", "upgrade-literal", "bad-mode", "bundle-prefix", "upgrade-without-to"],
)
def test_tox_refuses_what_it_would_get_wrong(
    args: list[str], message: str, example: Path, tox_env: dict[str, str]
) -> None:
    result = tox(example, tox_env, "run", *args)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not (example / ".tox" / "bundle-stable-3.2").exists()


def test_tox_with_a_broken_matrix_says_so_in_one_line(
    example: Path, tox_env: dict[str, str]
) -> None:
    matrix = example / "versions.toml"
    matrix.write_text(matrix.read_text().replace('core = "3.1.5"', 'core = "three"'))
    result = tox(example, tox_env, "l")
    assert result.returncode != 0
    assert result.stdout.splitlines() == [
        f"ROOT: HandledError| pytest-workspace: {matrix}: bundles.lts-3.1.core: "
        "expected a PEP 440 version, got 'three'"
    ]
    version = tox(example, tox_env, "--version", driver_deps=False)
    assert version.returncode == 0
    assert "pytest-workspace" in version.stdout


def _report(example: Path, env: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((example / ".tox" / env / "workspace.json").read_text())
    return data


@pytest.mark.parametrize("runner", ["uv-venv-runner", "virtualenv"])
def test_tox_runs_bundles_and_upgrade_paths(
    runner: str, example: Path, tox_env: dict[str, str]
) -> None:
    envs = "bundle-stable-v3.2,upgrade-lts-v3.1-to-stable-v3.2"
    result = tox(example, tox_env, "run", "--runner", runner, "-e", envs)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bundle-stable-v3.2: OK" in result.stdout
    assert "upgrade-lts-v3.1-to-stable-v3.2: OK" in result.stdout
    bundles = _report(example, "bundle-stable-v3.2")["bundles"]
    assert isinstance(bundles, dict)
    assert bundles["stable-3.2"]["outcomes"] == {"passed": 6}
    paths = _report(example, "upgrade-lts-v3.1-to-stable-v3.2")["upgrade_paths"]
    assert isinstance(paths, dict)
    assert paths["lts-3.1:stable-3.2"]["verdict"] == "passed"
    # -m bundles: both bundles; posargs reach pytest.
    result = tox(example, tox_env, "run", "--runner", runner, "-m", "bundles", "--", "-k", "cli")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.findall(r"^  (bundle-\S+): OK \(", result.stdout, re.MULTILINE) == [
        "bundle-stable-v3.2",
        "bundle-lts-v3.1",
    ]
    assert "deselected" in result.stdout


def test_tox_upgrade_env_that_runs_no_upgrade_test_fails(
    example: Path, tox_env: dict[str, str]
) -> None:
    # The suite given has no upgrade_path test: the env ran nothing of what it names.
    env = "upgrade-lts-v3.1-to-stable-v3.2"
    result = tox(example, tox_env, "run", "-e", env, "--", "tests/test_bundles.py")
    assert result.returncode != 0, result.stdout
    assert f"{env}: FAIL" in result.stdout
    assert (
        "error: upgrade path lts-3.1:stable-3.2 not run: no tests ran in lts-3.1:stable-3.2"
        in result.stdout
    )


def test_tox_driver_env_without_pytest_workspace(example: Path, tox_env: dict[str, str]) -> None:
    result = tox(
        example,
        tox_env,
        "run",
        "-e",
        "bundle-lts-v3.1",
        "-x",
        "env_run_base.deps=pytest",
        driver_deps=False,
    )
    assert result.returncode != 0
    assert (
        "bundle-lts-v3.1: failed with pytest-workspace is not installed in tox env "
        'bundle-lts-v3.1: add it to the env\'s deps (env_run_base.deps = ["pytest-workspace"]) '
        "or its package's extras"
    ) in result.stdout


INSTALL_MODE = """
[env_run_base]
package = "editable"
deps = ["pytest-workspace"]
workspace_mode = "install"
"""

CHECKOUT_TESTS = """
import importlib.metadata
import sys
from pathlib import Path

import pwt_core


def test_the_checkout_is_swapped_into_the_bundle(bundle_env):
    assert pwt_core.VERSION == "checkout"
    assert importlib.metadata.version("pwt-platform") == "1.1.0"
    assert bundle_env.path == Path(sys.prefix)
"""


@pytest.mark.parametrize("runner", ["uv-venv-runner", "virtualenv"])
def test_tox_install_mode_runs_a_suite_that_imports_the_components(
    runner: str,
    tmp_path: Path,
    wheelhouse: Path,
    workspace_wheels: Path,
    tox_env: dict[str, str],
) -> None:
    checkout = make_checkout(tmp_path / "core")
    (checkout / "tox.toml").write_text(INSTALL_MODE)
    (checkout / "versions.toml").write_text(
        textwrap.dedent(
            f"""
            [components.core]
            package = "pwt-core"
            [components.platform]
            package = "pwt-platform"
            [index]
            find-links = ["{wheelhouse}", "{workspace_wheels}"]
            [bundles.new]
            core = "1.1.0"
            platform = "1.1.0"
            """
        )
    )
    (checkout / "tests").mkdir()
    (checkout / "tests" / "test_core.py").write_text(CHECKOUT_TESTS)
    result = tox(
        checkout, tox_env, "run", "--runner", runner, "-e", "bundle-new", driver_deps=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "running environment" in result.stdout
    constraints = checkout / ".tox" / ".pytest-workspace" / "bundle-new.constraints.txt"
    # The checkout provides pwt-core: its pin is left out.
    assert constraints.read_text() == "pwt-platform==1.1.0\n"


WHOLE_SUITE_TOX_INI = """
[testenv]
skip_install = true
deps =
    pytest-workspace
    pytest-xdist
    pwt-runner-helper
{pass_env} = PWT_SECRET
{set_env} =
    PWT_FLAG = on

[pytest]
workspace_env = bundle
"""

WHOLE_SUITE_TESTS = """
import os

import pwt_runner_helper


def test_the_tox_envs_deps_and_settings_reach_the_bundle():
    assert pwt_runner_helper.VERSION == "1.0.0"
    assert os.environ["PWT_SECRET"] == "s3cret"
    assert os.environ["PWT_FLAG"] == "on"
"""


@pytest.mark.parametrize(("pass_env", "set_env"), [("passenv", "setenv"), ("pass_env", "set_env")])
def test_whole_suite_mode_gets_the_tox_envs_deps_and_settings(
    pass_env: str,
    set_env: str,
    tmp_path: Path,
    wheelhouse: Path,
    workspace_wheels: Path,
    suite_wheels: Path,
    tox_env: dict[str, str],
) -> None:
    # In whole-suite mode the tests run in the bundle's env: tox's deps never reached it
    # (ModuleNotFoundError), and `passenv = X` in tox.ini lost X in our envs only (our
    # seed read the user's pass_env without tox's alias spellings).
    links = tmp_path / "links"
    links.mkdir()
    for wheel in [*workspace_wheels.glob("*.whl"), *suite_wheels.glob("*.whl")]:
        if not (links / wheel.name).exists():  # both hold pytest and its dependencies
            (links / wheel.name).symlink_to(wheel)
    checkout = make_checkout(tmp_path / "core")
    ini = WHOLE_SUITE_TOX_INI.format(pass_env=pass_env, set_env=set_env)
    (checkout / "tox.ini").write_text(ini)
    (checkout / "versions.toml").write_text(
        textwrap.dedent(
            f"""
            [components.core]
            package = "pwt-core"
            [index]
            find-links = ["{wheelhouse}", "{links}"]
            [bundles.old]
            core = "1.0.0"
            """
        )
    )
    (checkout / "tests").mkdir()
    (checkout / "tests" / "test_core.py").write_text(WHOLE_SUITE_TESTS)
    environ = {**tox_env, "PIP_FIND_LINKS": str(links), "UV_FIND_LINKS": str(links)}
    environ["PWT_SECRET"] = "s3cret"
    result = tox(checkout, environ, "run", "-e", "bundle-old", driver_deps=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "whole suite" in result.stdout
    assert "1 passed" in result.stdout
