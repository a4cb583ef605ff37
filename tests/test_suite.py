"""Whole-suite mode (``--workspace-env=bundle``): a component repository's own tests,
run inside each bundle's env through pytest-xdist, reported per bundle."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_workspace.loading.compat import tomllib
from pytest_workspace.plugin.wholesuite.testenv import PLUGIN_REQUIRES

from .helpers import MATRIX
from .wheels import add_in_tree_backend, build_wheel

# A checkout of pwt-platform (a component) whose tests import it and pwt-core, the
# dependency the two bundles pin at different versions.
PYPROJECT = """
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]

[project]
name = "pwt-platform"
dynamic = ["version"]

[dependency-groups]
lint = ["pwt-plugin-a"]
test = ["pwt-runner-helper", {include-group = "lint"}]
"""

SUITE_TESTS = """
import os
import sys

import pwt_core
import pwt_platform
import pwt_runner_helper
import pytest


@pytest.mark.parametrize("n", range(3))
def test_platform_sees_core(n, record_property):
    record_property("saw_core", pwt_core.VERSION)
    record_property("prefix", sys.prefix)
    assert pwt_platform.core_version() == pwt_core.VERSION


def test_bundle_fixture(bundle, bundle_env):
    assert bundle.name == os.environ["PYTEST_WORKSPACE_BUNDLE"]
    assert bundle_env.installed()["pwt-core"] == pwt_core.VERSION
    # The checkout is platform at its own version, not at the matrix's pin.
    assert bundle.versions()["platform"] == bundle_env.pins["platform"] == "1.2.0.dev0"
    assert pwt_runner_helper.VERSION == "1.0.0"


@pytest.mark.workspace(core=">=1.1")
def test_new_core_only():
    assert pwt_core.VERSION == "1.1.0"


@pytest.mark.workspace(platform=">=1.2.0.dev0")
def test_gated_on_the_checkout_version():
    pass
"""

PLATFORM = "import pwt_core\n\n\ndef core_version():\n    return pwt_core.VERSION\n"
BROKEN = "def core_version():\n    return 'broken'\n"


@pytest.fixture
def component(pytester: pytest.Pytester, wheelhouse: Path, suite_wheels: Path) -> pytest.Pytester:
    root = pytester.path
    # The shared two-bundle matrix (its upgrade path is not selected here).
    pytester.makefile(".toml", pyproject=PYPROJECT, versions=MATRIX.format(links=str(wheelhouse)))
    add_in_tree_backend(root, "pwt-platform", requires=["pwt-core>=1.0,<2"])
    (root / "VERSION").write_text("1.2.0.dev0")
    (root / "src" / "pwt_platform").mkdir(parents=True)
    (root / "src" / "pwt_platform" / "__init__.py").write_text(PLATFORM)
    (root / "tests").mkdir()
    (root / "tests" / "test_platform.py").write_text(textwrap.dedent(SUITE_TESTS))
    pytester.makeini(
        textwrap.dedent(
            f"""
            [pytest]
            filterwarnings = error
            workspace_env = bundle
            workspace_test_groups = test
            workspace_find_links =
                {wheelhouse}
                {suite_wheels}
            """
        )
    )
    return pytester


#: each whole-suite case runs with one worker per bundle and with -n 2 (xdist's load
#: scheduling within each bundle)
ONE_WORKER_AND_N2 = pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-worker", "n2"])


def run_suite(project: pytest.Pytester, cache: Path, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--workspace-cache={cache}", "--workspace-offline", *args
    )


def run_reported(
    project: pytest.Pytester, cache: Path, tmp_path: Path, *args: str
) -> tuple[pytest.RunResult, Path, Path]:
    """Every bundle, with a JUnit file and a results JSON (returned beside the result)."""
    junit, report = tmp_path / "junit.xml", tmp_path / "results.json"
    result = run_suite(
        project, cache, "--bundle=all", f"--junitxml={junit}", f"--workspace-report={report}", *args
    )
    return result, junit, report


def junit_cases(path: Path) -> list[dict[str, str]]:
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        properties = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
        cases.append({"name": case.get("name", ""), **properties})
    return cases


@ONE_WORKER_AND_N2
def test_the_suite_runs_once_per_bundle_in_its_env(
    workers: list[str], component: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    result, junit, report = run_reported(component, plugin_cache, tmp_path, *workers)
    # 3 + 2 tests in each bundle; the core gate skips one test in old only, the
    # platform gate lets the checkout (1.2.0.dev0, pinned 1.0.0 / 1.1.0) through.
    result.assert_outcomes(passed=11, skipped=1)
    per_bundle = 2 if workers else 1
    result.stdout.fnmatch_lines(
        [
            "workspace: bundle old: core 1.0.0, platform 1.2.0.dev0",
            "workspace: bundle new: core 1.1.0, platform 1.2.0.dev0",
            f"workspace: the whole suite runs in each bundle's env ({per_bundle} worker*): old *",
            f"{2 * per_bundle} workers: old [6 items], new [6 items]",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "bundle  passed  failed  errors  skipped  verdict  env",
            "old          5       0       0        1  passed   * (uv)",
            "new          6       0       0        0  passed   * (uv)",
        ]
    )
    cases = junit_cases(junit)
    assert len(cases) == 12
    seen = {
        (case["workspace_bundle"], case["saw_core"], case["prefix"])
        for case in cases
        if "saw_core" in case
    }
    assert {(bundle, core) for bundle, core, _ in seen} == {("old", "1.0.0"), ("new", "1.1.0")}
    # Each bundle's tests ran in that bundle's own env (in the cache, not this venv).
    prefixes = {bundle: prefix for bundle, _, prefix in seen}
    assert len(set(prefixes.values())) == 2
    assert all(Path(p).parent == plugin_cache / "envs" for p in prefixes.values())
    document = json.loads(report.read_text())
    by_bundle: dict[str, list[str]] = {}
    for test in document["tests"]:
        by_bundle.setdefault(test["bundle"], []).append(test["outcome"])
    assert sorted(by_bundle["old"]) == ["passed"] * 5 + ["skipped"]
    assert sorted(by_bundle["new"]) == ["passed"] * 6


def test_a_break_in_the_checkout_fails_in_every_bundle(
    component: pytest.Pytester, plugin_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on many CI machines: the workers keep the setting, no bytecode for the checkout.
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    (component.path / "src" / "pwt_platform" / "__init__.py").write_text(BROKEN)
    report = tmp_path / "results.json"
    result = run_suite(component, plugin_cache, "--bundle=all", f"--workspace-report={report}")
    result.assert_outcomes(passed=5, failed=6, skipped=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "old          2       3       0        1  failed  *",
            "new          3       3       0        0  failed  *",
            "failed in old: tests/test_platform.py::test_platform_sees_core?0?*",
        ]
    )
    failed = {
        (test["bundle"], test["nodeid"])
        for test in json.loads(report.read_text())["tests"]
        if test["outcome"] == "failed"
    }
    assert {bundle for bundle, _ in failed} == {"old", "new"}
    assert len(failed) == 6
    assert not stray_bytecode(component.path)
    assert not list(plugin_cache.rglob("test_platform*.pyc"))


def stray_bytecode(root: Path) -> list[Path]:
    """Bytecode under ``root`` other than our own modules' kept code (pytester's HOME is
    ``root``, so the user's cache, and pytest_workspace.imports' bytecode, are there)."""
    kept = root / ".cache" / "pytest-workspace" / "bytecode"
    ours = list(kept.glob("*.pyc"))
    assert all(path.name.startswith("pytest_workspace.") for path in ours), ours
    return [path for path in root.rglob("*.pyc") if path.parent != kept]


REWRITES = """
import importlib
import os
import sys
from pathlib import Path

# One directory per bundle: the bundles run at once in one checkout.
GENERATED = Path(__file__).parent / "generated" / os.environ.get("PYTEST_WORKSPACE_BUNDLE", "")


def load(value):
    # As migration tools do: one path rewritten, same size, same mtime.
    GENERATED.mkdir(parents=True, exist_ok=True)
    path = GENERATED / "step.py"
    path.write_text(f"VALUE = {value}\\n")
    os.utime(path, (1_000_000_000, 1_000_000_000))
    sys.modules.pop("step", None)
    importlib.invalidate_caches()
    sys.path.insert(0, str(GENERATED))
    try:
        return importlib.import_module("step").VALUE
    finally:
        sys.path.remove(str(GENERATED))


def test_first():
    assert load(1) == 1


def test_second():
    assert load(2) == 2
"""


def test_a_suite_that_rewrites_a_module_in_place_imports_what_it_wrote(
    component: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Workers lifted PYTHONDONTWRITEBYTECODE and shared one pycache_prefix tree between
    # bundles: the second write read the first one's bytecode (mtime and size unchanged).
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    (component.path / "tests" / "test_rewrites.py").write_text(REWRITES)
    plain = component.runpytest_subprocess("-p", "no:cacheprovider", "tests/test_rewrites.py")
    plain.assert_outcomes(passed=2)
    cache = tmp_path / "cache"
    for _ in range(2):  # the second run reads the bytecode the first one's workers wrote
        result = run_suite(component, cache, "--bundle=all", "tests/test_rewrites.py")
        result.assert_outcomes(passed=4)
        assert result.ret == 0
    assert not stray_bytecode(component.path)
    # What the workers imported from their envs is compiled there, checked-hash (flags 3).
    compiled = list(cache.glob("envs/*/lib/*/site-packages/_pytest/__pycache__/main.*.pyc"))
    assert len(compiled) == 2
    assert {int.from_bytes(pyc.read_bytes()[4:8], "little") for pyc in compiled} == {0b11}


TAMPERS = """
import pwt_core


def test_writes_into_its_env():
    assert not hasattr(pwt_core, "TAMPERED")
    with open(pwt_core.__file__, "a") as module:
        module.write("TAMPERED = True\\n")
"""


def test_a_suite_that_writes_into_its_env_gets_a_fresh_one_next_time(
    component: pytest.Pytester, tmp_path: Path
) -> None:
    # Whole-suite tests run inside the shared cached env: an edit in place there (uv
    # hardlinks it from its cache, too) broke the env for every later run.
    (component.path / "tests" / "test_tampers.py").write_text(TAMPERS)
    cache = tmp_path / "cache"
    first = run_suite(component, cache, "--bundle=all", "tests/test_tampers.py")
    first.assert_outcomes(passed=2)
    said = first.stdout.str()
    for bundle in ("old", "new"):
        assert f"warning: this run changed the cached env of {bundle} (lib/" in said
    assert "pwt_core/__init__.py was changed during a test run); it is rebuilt" in said
    second = run_suite(component, cache, "--bundle=all", "tests/test_tampers.py")
    second.assert_outcomes(passed=2)  # a fresh env: the module as released
    assert "warning: rebuilt the env of old: it had changed (" in second.stdout.str()


def test_the_packed_plugin_requires_what_pyproject_toml_says() -> None:
    # The plugin's wheel for a bundle's env spells these out instead of reading our
    # installed metadata at every run; they must not drift apart.
    from packaging.requirements import Requirement

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    needed = {"pytest", "packaging", "tomli"}
    assert list(PLUGIN_REQUIRES) == [r for r in declared if Requirement(r).name in needed]


def test_without_a_bundle_it_is_a_plain_run(component: pytest.Pytester, plugin_cache: Path) -> None:
    # workspace_env = bundle in the ini, nothing selected: the suite runs here, as is.
    (component.path / "tests" / "test_platform.py").write_text("def test_here():\n    pass\n")
    result = run_suite(component, plugin_cache)
    result.assert_outcomes(passed=1)
    assert "whole suite" not in result.stdout.str()


def test_a_dependency_group_that_is_not_there_is_one_error(
    component: pytest.Pytester, plugin_cache: Path
) -> None:
    result = run_suite(component, plugin_cache, "--bundle=old", "-o", "workspace_test_groups=docs")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: */pyproject.toml: dependency-groups.docs: no such group (groups: lint, test)"]
    )
    assert "Traceback" not in result.stderr.str()


FLAT_PYPROJECT = """
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "pwt-platform"
version = "1.2.0.dev0"
dependencies = ["pwt-core>=1.0,<2"]

[tool.setuptools]
packages = ["pwt_platform"]
"""

FLAT_TESTS = """
import importlib.metadata

import pwt_core
import pwt_platform


def test_platform_sees_core():
    assert pwt_platform.core_version() == pwt_core.VERSION
    assert importlib.metadata.version("pwt-platform") == "1.2.0.dev0"
"""


def test_a_flat_layout_setuptools_checkout_whose_tests_are_a_package(
    component: pytest.Pytester, plugin_cache: Path
) -> None:
    # The build leaves pwt_platform.egg-info in the checkout root, which the tests
    # package's rootdir puts first on sys.path: the worker's check read that metadata
    # and refused every bundle ("installed from a release, not from a checkout", exit 4).
    root = component.path
    for name in ("src", "tests", "backend.py", "VERSION", "pyproject.toml"):
        path = root / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    (root / "pyproject.toml").write_text(FLAT_PYPROJECT)
    (root / "pwt_platform").mkdir()
    (root / "pwt_platform" / "__init__.py").write_text(PLATFORM)
    (root / "tests").mkdir()
    (root / "tests" / "__init__.py").write_text("")
    # Loaded before the worker's env check: its package's rootdir goes first on sys.path.
    (root / "tests" / "conftest.py").write_text("import pytest\n")
    (root / "tests" / "test_flat.py").write_text(FLAT_TESTS)
    ini = root / "tox.ini"  # no dependency groups here: pytest comes with the bundle env
    ini.write_text(ini.read_text().replace("workspace_test_groups = test\n", ""))
    for attempt in ("built", "reused"):
        result = run_suite(component, plugin_cache, "--bundle=all")
        assert result.ret == 0, (attempt, result.stdout.str(), result.stderr.str())
        result.assert_outcomes(passed=2)
    assert list(root.glob("*.egg-info")), "the shape under test: metadata in the checkout"


def test_source_none_runs_the_suite_against_the_release(
    component: pytest.Pytester, plugin_cache: Path
) -> None:
    (component.path / "tests" / "test_platform.py").write_text(
        textwrap.dedent(
            """
            import importlib.metadata, os
            import pwt_platform

            def test_released_platform():
                wanted = {"old": "1.0.0", "new": "1.1.0"}[os.environ["PYTEST_WORKSPACE_BUNDLE"]]
                assert importlib.metadata.version("pwt-platform") == wanted
                assert "site-packages" in pwt_platform.__file__
            """
        )
    )
    result = run_suite(component, plugin_cache, "--bundle=all", "--workspace-source=none")
    result.assert_outcomes(passed=2)
    assert "from local checkout" not in result.stdout.str()


BREAK_OLD_ENV = """
import os

from pytest_workspace.core import workspace
from pytest_workspace.errors import WorkspaceError

# As if bundle old's env had changed under the controller's feet: its workers' own
# check of the env fails (the controller's, in a process without the variable, passes).
if os.environ.get("PYTEST_WORKSPACE_BUNDLE") == "old":
    def check_current(self, bundle, **given):
        raise WorkspaceError("the running environment does not hold bundle old: tampered")

    workspace.Workspace.check_current = check_current
"""


def test_a_worker_whose_env_fails_its_check_says_so_in_one_line(
    component: pytest.Pytester, plugin_cache: Path
) -> None:
    # Raised in the worker, the error used to crash it, and xdist restarted it forever.
    (component.path / "conftest.py").write_text(BREAK_OLD_ENV)
    result = run_suite(component, plugin_cache, "--bundle=all", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(
        [
            "4 workers: old [0 items], new [6 items]",
            "old          0       0       0        0  not run  *",
            "new          6       0       0        0  passed  *",
            "error: bundle old not run: its env failed the check: the running environment "
            "does not hold bundle old: "
            "tampered",
        ]
    )
    assert "crashed" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


RECORD_GATEWAYS = """
import pathlib

def pytest_configure(config):
    global CONFIG
    CONFIG = config

def pytest_xdist_newgateway(gateway):
    # The controller, as xdist sets up each worker: how many interpreters run already.
    group = CONFIG.pluginmanager.getplugin("dsession").nodemanager.group
    with open(pathlib.Path(__file__).parent / "gateways.txt", "a") as out:
        out.write(f"{gateway.id} {len(group)}\\n")
"""


def test_the_bundles_workers_start_together(component: pytest.Pytester, plugin_cache: Path) -> None:
    # pytest-xdist alone makes each gateway after the previous one has started.
    (component.path / "conftest.py").write_text(RECORD_GATEWAYS)
    result = run_suite(component, plugin_cache, "--bundle=all", "-n", "2")
    result.assert_outcomes(passed=11, skipped=1)
    lines = (component.path / "gateways.txt").read_text().splitlines()
    assert lines == ["gw0 4", "gw1 4", "gw2 4", "gw3 4"]


CRASHES_IN_OLD = """
import os

import pytest


@pytest.mark.parametrize("n", range(4))
def test_numbered(n):
    if n == 1 and os.environ["PYTEST_WORKSPACE_BUNDLE"] == "old":
        os._exit(3)  # the worker dies mid-test, as on a segfault
"""


@ONE_WORKER_AND_N2
def test_a_worker_that_dies_fails_its_test_in_its_bundle_and_the_rest_still_runs(
    workers: list[str], component: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    (component.path / "tests" / "test_platform.py").write_text(CRASHES_IN_OLD)
    result, junit, report = run_reported(component, plugin_cache, tmp_path, *workers)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=7, failed=1)
    result.stdout.fnmatch_lines(
        [
            "worker 'gw*' crashed while running 'tests/test_platform.py::test_numbered?1?' "
            "in bundle old's env",
            "old          3       1       0        0  failed  *",
            "new          4       0       0        0  passed  *",
            "failed in old: tests/test_platform.py::test_numbered?1?*",
        ]
    )
    outcomes = sorted(
        (test["bundle"], test["nodeid"].rpartition("::")[2], test["outcome"])
        for test in json.loads(report.read_text())["tests"]
    )
    assert [o for o in outcomes if o[0] == "old"] == [
        ("old", f"test_numbered[{n}]", "failed" if n == 1 else "passed") for n in range(4)
    ]
    # JUnit has it (as an error: pytest's junitxml counts any phase but "call" so);
    # pytest writes properties at a test's teardown, which a crashed test never
    # reaches, so the message names the bundle.
    problems = [
        problem.text or ""
        for case in ET.parse(junit).getroot().iter("testcase")
        for problem in [*case.iter("failure"), *case.iter("error")]
    ]
    assert [problem.partition("' ")[2] for problem in problems] == [
        "crashed while running 'tests/test_platform.py::test_numbered[1]' in bundle old's env"
    ]


UPGRADE_TEST = """
import os
import sys


def test_upgrade(upgrade_path, record_property):
    record_property("prefix", sys.prefix)
    record_property("virtual_env", os.environ.get("VIRTUAL_ENV", "unset"))
    import beside_the_tests  # at the root, importable as in the controller (python -m)
    assert upgrade_path.env.installed()["pwt-core"] == "1.0.0"
    upgrade_path.upgrade()
    assert upgrade_path.env.installed()["pwt-core"] == "1.1.0"
"""


@ONE_WORKER_AND_N2
def test_upgrade_paths_run_once_each_beside_the_bundles(
    workers: list[str],
    component: pytest.Pytester,
    plugin_cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (component.path / "tests" / "test_upgrade.py").write_text(UPGRADE_TEST)
    (component.path / "beside_the_tests.py").write_text("")
    # The bundles' workers activate their envs; the upgrade-path ones run the controller's
    # interpreter with its environment and sys.path, as pytest-xdist gives them.
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    result, junit, report = run_reported(
        component, plugin_cache, tmp_path, "--upgrade-path=all", *workers
    )
    # The bundles' 11 + 1 as before, and the upgrade path once (not once per bundle).
    result.assert_outcomes(passed=12, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "workspace: upgrade path old:new: *",
            "workspace: the whole suite runs in each bundle's env *",
            "workspace: the upgrade-path tests run once per path, in this interpreter (*)",
            # Exact (brackets are fnmatch classes): each group's own count.
            f"{3 * (2 if workers else 1)} workers: old [6 items], new [6 items], "
            "upgrade paths [1 item]",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "old          5       0       0        1  passed  *",
            "new          6       0       0        0  passed  *",
        ]
    )
    upgrades = [case for case in junit_cases(junit) if case["name"].startswith("test_upgrade")]
    assert [(c["name"], c["workspace_upgrade_path"]) for c in upgrades] == [
        ("test_upgrade[old:new]", "old:new")
    ]
    # It ran where an isolated run would: in the interpreter running pytest.
    assert Path(upgrades[0]["prefix"]) == Path(sys.prefix)
    assert upgrades[0]["virtual_env"] == "unset"
    document = json.loads(report.read_text())
    paths = [t for t in document["tests"] if t.get("upgrade_path")]
    assert [(t["upgrade_path"], t["outcome"]) for t in paths] == [("old:new", "passed")]


def test_an_upgrade_path_test_the_outer_interpreter_cannot_import_is_an_error(
    component: pytest.Pytester, plugin_cache: Path
) -> None:
    # Its module imports the dependency, which only the bundles' envs hold: the
    # bundles' workers leave the test to the upgrade-path worker, which cannot import it.
    (component.path / "tests" / "test_upgrade.py").write_text(f"import pwt_core\n{UPGRADE_TEST}")
    result = run_suite(component, plugin_cache, "--bundle=all", "--upgrade-path=all")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=11, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "error: upgrade-path test tests/test_upgrade.py::test_upgrade did not run: "
            f"tests/test_upgrade.py cannot be imported by {sys.executable}: "
            "ModuleNotFoundError: No module named 'pwt_core'"
        ]
    )


def test_an_upgrade_path_worker_that_dies_fails_the_test_in_its_path(
    component: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    crash = "import os\n\n\ndef test_upgrade(upgrade_path):\n    os._exit(3)\n"
    (component.path / "tests" / "test_upgrade.py").write_text(crash)
    result, _, report = run_reported(component, plugin_cache, tmp_path, "--upgrade-path=all")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=11, failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "worker 'gw*' crashed while running 'tests/test_upgrade.py::test_upgrade?old:new?' "
            "in upgrade path old:new",
            "failed in upgrade path old:new: tests/test_upgrade.py::test_upgrade?old:new?",
        ]
    )
    # It ran (and crashed): not also reported as an upgrade-path test that did not run.
    assert "did not run" not in result.stdout.str()
    paths = [t for t in json.loads(report.read_text())["tests"] if t.get("upgrade_path")]
    assert [(t["upgrade_path"], t["outcome"]) for t in paths] == [("old:new", "failed")]


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        ("t.py::test_upgrade[old:new]", "old:new"),
        ("t.py::test_upgrade[lts-3.1:stable-3.2]", "lts-3.1:stable-3.2"),
        ("t.py::test_upgrade[lts-3.1:stable-3.2-sqlite]", "lts-3.1:stable-3.2"),
        ("t.py::test_upgrade[sqlite-lts-3.1:stable-3.2]", "lts-3.1:stable-3.2"),
        ("t.py::test_upgrade[a-lts-3.1:stable-3.2-b]", "lts-3.1:stable-3.2"),
        ("t.py::test_upgrade[new:old]", None),
        ("t.py::test_upgrade", None),
    ],
)
def test_a_crashed_tests_upgrade_path_is_read_from_its_parameters(
    nodeid: str, expected: str | None
) -> None:
    from pytest_workspace.plugin.wholesuite.controller import upgrade_path_of

    ids = ["old:new", "lts-3.1:stable-3.2", "3.1:stable"]
    assert upgrade_path_of(nodeid, ids) == expected


# -- verdicts: nothing is green that did not run and pass ----------------------------------

CONFTEST_FAILS_IN_OLD = """
import os

if os.environ.get("PYTEST_WORKSPACE_BUNDLE") == "old":
    {body}
"""


def verdicts(report: Path) -> dict[str, tuple[str, str]]:
    bundles = json.loads(report.read_text())["bundles"]
    return {name: (info["verdict"], info["why"]) for name, info in bundles.items()}


@pytest.mark.parametrize("workers", [[], ["-n", "1"], ["-n", "2"]], ids=["default", "n1", "n2"])
def test_a_bundle_whose_workers_crash_while_starting_is_crashed_and_the_others_run(
    workers: list[str], component: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    # Without -n xdist would replace the crashed worker forever; with -n it gave up on
    # the whole run after 4 crashes, said "no tests ran" and exited 0.
    body = "import not_in_old  # noqa: F401"
    (component.path / "conftest.py").write_text(CONFTEST_FAILS_IN_OLD.format(body=body))
    report = tmp_path / "results.json"
    result = component.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        f"--workspace-cache={plugin_cache}",
        "--workspace-offline",
        "--bundle=all",
        f"--workspace-report={report}",
        *workers,
        timeout=300,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(
        [
            "old          0       0       0        0  crashed  *",
            "new          6       0       0        0  passed   *",
            "error: bundle old crashed: workers crashed while starting: *ConftestImportFailure: "
            "ModuleNotFoundError: No module named 'not_in_old'*",
        ]
    )
    assert "replacing crashed worker" not in result.stdout.str()
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    found = verdicts(report)
    assert found["new"] == ("passed", "")
    assert found["old"][0] == "crashed"
    assert found["old"][1].startswith("workers crashed while starting: ")
    merged = subprocess.run(
        [sys.executable, "-m", "pytest_workspace", "report", str(report)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert merged.returncode == 1
    assert "**1/2 bundles green" in merged.stdout
    assert "❌ crashed" in merged.stdout
    assert merged.stderr.startswith("bundle old: crashed: workers crashed while starting: ")


def test_a_worker_that_exits_while_starting_names_its_exit_code(
    component: pytest.Pytester, plugin_cache: Path
) -> None:
    body = "os._exit(3)"
    (component.path / "conftest.py").write_text(CONFTEST_FAILS_IN_OLD.format(body=body))
    result = run_suite(component, plugin_cache, "--bundle=all")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(
        ["error: bundle old crashed: workers crashed while starting (exit code 3): *"]
    )


ONLY_IN_NEW = """
import os

if os.environ["PYTEST_WORKSPACE_BUNDLE"] == "old":
    import not_in_old  # noqa: F401


def test_new_feature():
    pass
"""


def test_a_module_that_cannot_be_imported_in_one_bundle_is_an_error_of_that_bundle(
    component: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    # The ERROR line named no bundle, JUnit had no workspace_bundle, the table said
    # 0 0 0, and `report` called the bundle passing.
    (component.path / "tests" / "test_new_feature.py").write_text(ONLY_IN_NEW)
    result, junit, report = run_reported(component, plugin_cache, tmp_path)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=12, skipped=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "old          5       0       1        1  error    *",
            "new          7       0       0        0  passed   *",
        ]
    )
    result.stdout.fnmatch_lines(["ERROR ?old? tests/test_new_feature.py - *"])
    errors = [
        {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in ET.parse(junit).getroot().iter("testcase")
        if list(case.iter("error"))
    ]
    assert errors == [{"workspace_bundle": "old"}]
    assert verdicts(report) == {"old": ("error", "1 error"), "new": ("passed", "")}
    document = json.loads(report.read_text())
    (error,) = [t for t in document["tests"] if t["outcome"] == "error"]
    assert (error["bundle"], error["nodeid"]) == ("old", "tests/test_new_feature.py")
    assert "not_in_old" in error["message"]


def test_a_module_the_outer_env_has_and_a_bundle_lacks_says_where_it_goes(
    component: pytest.Pytester, plugin_cache: Path
) -> None:
    # An adopter whose tox deps held a test helper saw ModuleNotFoundError in every
    # bundle, and had to find workspace_extras (and its spelling) alone.
    tests = component.path / "tests"
    (tests / "test_helpers.py").write_text(
        "import hypothesis\nimport pwt_tools\n\n\ndef test_ok():\n    pass\n"
    )
    result = run_suite(component, plugin_cache, "--bundle=old", "tests/test_helpers.py")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "hint: bundle old's env lacks hypothesis (this env has it): the bundle's env holds"
            " its pins, the project (with workspace_test_extras), workspace_test_groups, "
            "workspace_test_requirements and workspace_extras (tox passes its env's deps as "
            "test requirements); add it to one of them"
        ]
    )
    # Two on one line, as pytest's whitespace-separated ini lists; one with a space.
    ini = component.path / "tox.ini"
    requirements = "workspace_test_requirements = pwt-tools  pwt-plugin-a>=0.1\n"
    ini.write_text(ini.read_text().rstrip("\n") + "\n" + requirements + "    hypothesis >= 6\n")
    result = run_suite(component, plugin_cache, "--bundle=old", "tests/test_helpers.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # hypothesis is not in the find-links
    assert "hypothesis" in result.stderr.str()
    ini.write_text(ini.read_text().replace("    hypothesis >= 6\n", ""))
    (tests / "test_helpers.py").write_text("import pwt_tools\n\n\ndef test_ok():\n    pass\n")
    result = run_suite(component, plugin_cache, "--bundle=old", "tests/test_helpers.py")
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=1)


def test_a_bundle_in_which_nothing_ran_fails_the_run_unless_allowed(
    component: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    gated = "import pytest\n\n\n@pytest.mark.bundles('new')\ndef test_new_only():\n    pass\n"
    (component.path / "tests" / "test_platform.py").write_text(gated)
    report = tmp_path / "results.json"
    result = run_suite(component, plugin_cache, "--bundle=all", f"--workspace-report={report}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "old          0       0       0        1  not run  *",
            "error: bundle old not run: no tests ran in old: 1 skipped",
        ]
    )
    assert verdicts(report)["old"] == ("not run", "no tests ran in old: 1 skipped")
    # -k deselects in every bundle's workers: pytest's final line still counts them.
    result = run_suite(component, plugin_cache, "--bundle=all", "-k", "nothing_matches")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED  # pytest's own word for it
    result.stdout.fnmatch_lines(
        [
            "error: bundle old not run: no tests ran in old: 1 deselected",
            "error: bundle new not run: no tests ran in new: 1 deselected",
            "*= 2 deselected in *",
        ]
    )
    # Gating whole bundles away on purpose: allowed, and said so.
    result = run_suite(
        component, plugin_cache, "--bundle=all", "-o", "workspace_allow_not_run=true"
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "workspace: a bundle or upgrade path in which no test runs does not fail the run "
            "(workspace_allow_not_run)",
            "note: bundle old not run: no tests ran in old: 1 skipped (allowed)",
        ]
    )


FORKS_IN_OLD = """
import os


def test_forks():
    if os.environ["PYTEST_WORKSPACE_BUNDLE"] == "old":
        os.fork()  # the child carries on running tests, as a careless test would


def test_after():
    pass
"""

EXITS_IN_OLD = """
import os

import pytest


def test_gives_up():
    if os.environ["PYTEST_WORKSPACE_BUNDLE"] == "old":
        pytest.exit("no database here", returncode={code})


def test_after():
    pass
"""


@pytest.mark.parametrize(
    ("tests", "why"),
    [
        (
            FORKS_IN_OLD,
            "tests/test_platform.py::test_forks forked a process that went on running tests "
            "(it was stopped)",
        ),
        (
            EXITS_IN_OLD.format(code=0),
            "stopped by pytest.exit(): no database here while running "
            "tests/test_platform.py::test_gives_up",
        ),
        (
            EXITS_IN_OLD.format(code=None),
            "stopped by pytest.exit(): no database here while running "
            "tests/test_platform.py::test_gives_up",
        ),
    ],
    ids=["fork", "exit-0", "exit-interrupted"],
)
def test_a_worker_that_misbehaves_ends_its_bundle_not_the_run(
    tests: str, why: str, component: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    # Each was an INTERNALERROR (exit 3) with wrong counts, or interrupted every bundle.
    (component.path / "tests" / "test_platform.py").write_text(tests)
    report = tmp_path / "results.json"
    result = component.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        f"--workspace-cache={plugin_cache}",
        "--workspace-offline",
        "--bundle=all",
        f"--workspace-report={report}",
        timeout=300,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert "Interrupted" not in output
    result.stdout.fnmatch_lines(["new          2       0       0        0  passed   *"])
    result.stdout.fnmatch_lines([f"error: bundle old crashed: {why}"])
    found = verdicts(report)
    assert found["new"] == ("passed", "")
    assert found["old"][0] == "crashed"


# Absolute: pytester changes the working directory.
OLD_PYTEST = os.environ.get("PWT_OLD_PYTEST_WHEELS") and os.path.abspath(
    os.environ["PWT_OLD_PYTEST_WHEELS"]
)

WARNS_AS_OLD_PYTEST_CAN = """
import warnings

import pytest


def test_warns_with_a_class_only_old_pytest_has():
    # PytestUnhandledCoroutineWarning is gone from pytest 8.4; the controller (the outer
    # pytest) must still take the report of a worker that records one.
    if hasattr(pytest, "PytestUnhandledCoroutineWarning"):
        warnings.warn(pytest.PytestUnhandledCoroutineWarning("only old pytest has this"))


def test_plain():
    pass
"""


@pytest.mark.skipif(
    OLD_PYTEST is None, reason="needs PWT_OLD_PYTEST_WHEELS (nox -s tests downloads it)"
)
def test_a_bundle_that_pins_the_oldest_supported_pytest(
    component: pytest.Pytester, plugin_cache: Path, wheelhouse: Path
) -> None:
    # A plugin's own repository tests against several pytests; the worker side of this
    # plugin runs on the oldest one pyproject.toml allows, and a warning class the
    # outer pytest lacks was an INTERNALERROR (AttributeError, then KeyError).
    assert OLD_PYTEST is not None
    (wheel,) = Path(OLD_PYTEST).glob("pytest-*.whl")
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    floor = next(r for r in declared if r.startswith("pytest>="))[len("pytest>=") :]
    version = wheel.name.split("-")[1]
    assert version.startswith(f"{floor}."), f"{wheel.name} is not pytest {floor}.x"
    matrix = MATRIX.format(links=str(wheelhouse))
    matrix += (
        f'\n[bundles.oldest-pytest]\ncore = "1.1.0"\nplatform = "1.1.0"\npytest = "{version}"\n'
    )
    component.makefile(".toml", versions=matrix)
    (component.path / "tests" / "test_platform.py").write_text(WARNS_AS_OLD_PYTEST_CAN)
    ini = component.path / "tox.ini"
    ini.write_text(ini.read_text().rstrip("\n") + f"\n    {OLD_PYTEST}\n")
    result = run_suite(
        component,
        plugin_cache,
        "--bundle=new",
        "--bundle=oldest-pytest",
        "-W",
        "default::pytest.PytestWarning",
    )
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert result.ret == pytest.ExitCode.OK, output
    result.assert_outcomes(passed=4, warnings=1)
    result.stdout.fnmatch_lines(
        [
            f"workspace: bundle oldest-pytest: core 1.1.0, platform 1.2.0.dev0, pytest {version}",
            "*PytestWarning: PytestUnhandledCoroutineWarning: only old pytest has this",
            "new                 2       0       0        0  passed   *",
            "oldest-pytest       2       0       0        0  passed   *",
        ]
    )


XDIST_PLUGIN = """
import pytest

KEY = "pwt_state_{major}"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    node.workerinput[KEY] = "{version}"


def pytest_configure(config):
    workerinput = getattr(config, "workerinput", None)
    # A worker takes what this version's controller side sent; a plain run, its own.
    config.pwt_state = "{version}" if workerinput is None else workerinput[KEY]
"""


def test_a_plugin_that_talks_to_its_workers_must_be_one_version_on_both_sides(
    component: pytest.Pytester,
    plugin_cache: Path,
    suite_wheels: Path,
    workspace_wheels: Path,
    tmp_path: Path,
) -> None:
    # As SQLAlchemy's pytest plugin at 2.0 outside and 1.4 in a bundle: the controller's
    # pytest_configure_node sent one version's state, every worker wanted the other's
    # (KeyError: 'memoized_config'), and every bundle "ran no tests".
    from pytest_workspace.envs.installers import find_uv

    plugins = tmp_path / "plugin-wheels"
    plugins.mkdir()
    for version in ("1.0.0", "2.0.0"):
        module = XDIST_PLUGIN.format(major=version[0], version=version)
        build_wheel(
            plugins, "pwt-xdistplugin", version, files={"pwt_xdistplugin/plugin.py": module}
        )
    root = component.path
    pyproject = (root / "pyproject.toml").read_text()
    (root / "pyproject.toml").write_text(
        pyproject.replace("test = [", 'test = ["pwt-xdistplugin==2.0.0", ')
    )
    ini = root / "tox.ini"
    ini.write_text(ini.read_text().replace(str(suite_wheels), f"{suite_wheels}\n    {plugins}"))
    (root / "tests" / "conftest.py").write_text('pytest_plugins = ["pwt_xdistplugin.plugin"]\n')
    (root / "tests" / "test_platform.py").write_text(
        "def test_state(request):\n    assert request.config.pwt_state == '2.0.0'\n"
    )

    uv, outer = str(find_uv()), tmp_path / "outer"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(outer)], check=True)
    links = ["--offline", "--find-links", str(workspace_wheels), "--find-links", str(suite_wheels)]
    links += ["--find-links", str(plugins)]

    def install(*requirements: str) -> None:
        argv = [uv, "pip", "install", "-q", "--python", str(outer / "bin" / "python"), *links]
        subprocess.run([*argv, *requirements], check=True)

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)

    install("pytest-workspace", "pytest-xdist", "pwt-xdistplugin==1.0.0")
    options = ["-p", "no:cacheprovider", f"--workspace-cache={plugin_cache}", "--workspace-offline"]
    result = run(str(outer / "bin" / "python"), "-m", "pytest", *options, "--bundle=all")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line]
    assert line.startswith(
        "ERROR: the pytest plugin pwt_xdistplugin.plugin hands state to its pytest-xdist "
        "workers, so this process and each bundle's workers must run one pwt-xdistplugin: "
        "1.0.0 here, 2.0.0 in bundle old, 2.0.0 in bundle new. Install "
        "pwt-xdistplugin==2.0.0 here, or run the bundle in its env alone: "
    )
    assert "created:" not in result.stdout  # no worker started
    # The way out the line gives works as written.
    alone = line.rsplit(": ", 1)[1].split()
    assert run(*alone, "-p", "no:cacheprovider").returncode == 0
    # One version on both sides: the state reaches every bundle's workers.
    install("pwt-xdistplugin==2.0.0")
    result = run(str(outer / "bin" / "python"), "-m", "pytest", *options, "--bundle=all")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
