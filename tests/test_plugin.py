"""The plugin as users run it: pytester projects, real envs from self-built wheels."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_workspace.envs.cache.manifest import MANIFEST
from pytest_workspace.envs.cache.store import EnvCache

from .helpers import MATRIX, run
from .wheels import add_in_tree_backend, make_checkout, repack_installed


def test_bundles_and_upgrade_paths(project: pytest.Pytester, plugin_cache: Path) -> None:
    result = run(project, plugin_cache, "--bundle", "all", "--upgrade-path", "all", "-v", "-rs")
    result.assert_outcomes(passed=6, skipped=1)
    result.stdout.fnmatch_lines(
        [
            f"workspace: matrix {project.path / 'versions.toml'}, installer uv *, "
            f"cache {plugin_cache}",
            "workspace: bundle old: core 1.0.0, platform 1.0.0",
            "workspace: bundle new: core 1.1.0, platform 1.1.0",
            "workspace: upgrade path old:new: core 1.0.0 -> 1.1.0 (upgrade), "
            "platform 1.0.0 -> 1.1.0 (upgrade)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*test_core_version?old? PASSED*",
            "*test_new_only?old? SKIPPED*",
            "*test_old_only?old? PASSED*",
            "*test_upgrade?old:new? PASSED*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*= workspace =*",
            "bundle  passed  failed  errors  skipped  verdict  env",
            "old          2       0       0        1  passed   * (uv)",
            "new          2       0       0        0  passed   * (uv)",
            "upgrade path  verdict",
            "old:new       passed (1 test)",
        ]
    )
    result.stdout.fnmatch_lines(
        ["SKIPPED ?1? test_sample.py:*: bundle old has core 1.0.0, test needs core >=1.1"]
    )
    assert "test_old_only[new]" not in result.stdout.str()


def test_xdist_same_counts_and_one_build_per_env(project: pytest.Pytester, tmp_path: Path) -> None:
    cache = tmp_path / "fresh-cache"
    result = run(project, cache, "--bundle", "all", "--upgrade-path", "all", "-n", "2")
    result.assert_outcomes(passed=6, skipped=1)
    result.stdout.fnmatch_lines(
        ["old          2       0       0        1  passed   built in * s (uv)"]
    )
    builds = [json.loads(line) for line in (cache / "builds.log").read_text().splitlines()]
    assert sorted(build["label"] for build in builds) == ["new", "old"]
    # The upgrade test worked on a private env; the shared env of "old" never moved.
    (old,) = [entry for entry in EnvCache(cache).entries() if entry.label == "old"]
    manifest = json.loads((old.path / MANIFEST).read_text())
    assert manifest["installed"]["pwt-core"] == "1.0.0"
    assert EnvCache(cache).entries()[0].complete


def test_without_selection_bundle_tests_are_skipped_with_how_to(
    project: pytest.Pytester, plugin_cache: Path
) -> None:
    result = run(project, plugin_cache, "-rs")
    result.assert_outcomes(passed=1, skipped=4)
    output = result.stdout.str()
    no_bundle = (
        "no bundle selected: pass --bundle NAME (a name, a glob or 'all') or set "
        "workspace_bundles in the pytest configuration"
    )
    no_path = (
        "no upgrade path selected: pass --upgrade-path FROM:TO (or 'all') or set "
        "workspace_upgrade_paths in the pytest configuration"
    )
    assert (output.count(no_bundle), output.count(no_path)) == (3, 1)
    assert "workspace:" not in result.stdout.str()


def test_ini_defaults_select(project: pytest.Pytester, plugin_cache: Path) -> None:
    project.makeini("[pytest]\nworkspace_bundles = new\nworkspace_upgrade_paths = old:new\n")
    result = run(project, plugin_cache, "-rs")
    result.assert_outcomes(passed=4, skipped=1)
    result.stdout.fnmatch_lines(["*no selected bundle matches bundles('old')*"])


@pytest.mark.parametrize("version_in", ["VERSION", "backend"])
def test_project_under_test_replaces_its_pin(
    version_in: str, project: pytest.Pytester, plugin_cache: Path
) -> None:
    make_checkout(project.path)
    if version_in == "backend":
        # As with setuptools-scm: no file says the version, only the build does.
        (project.path / "VERSION").unlink()
        add_in_tree_backend(project.path, "pwt-core", version="1.5.0.dev0")
    project.makepyfile(
        test_local="""
        import pytest

        def test_local(bundle_env):
            assert bundle_env.installed()["pwt-core"] == "1.5.0.dev0"
            assert bundle_env.installed()["pwt-platform"] == "1.0.0"
            # The checkout's own version, not the matrix's pin of core (1.0.0).
            assert bundle_env.pins == {"core": "1.5.0.dev0", "platform": "1.0.0"}

        @pytest.mark.workspace(core=">=1.5.0.dev0")
        def test_gated_on_the_checkout(bundle):
            pass

        @pytest.mark.workspace(core="<1.5.0.dev0")
        def test_gated_on_the_pin(bundle):
            pass
        """
    )
    xml = project.path / "junit.xml"
    result = run(
        project, plugin_cache, "--bundle", "old", "test_local.py", "-rs", f"--junitxml={xml}"
    )
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "workspace: bundle old: core 1.5.0.dev0, platform 1.0.0",
            f"workspace: core from local checkout {project.path} (editable)",
            "*bundle old has core 1.5.0.dev0, test needs core <1.5.0.dev0*",
        ]
    )
    assert 'value="core=1.5.0.dev0,platform=1.0.0"' in xml.read_text()


def test_source_option_for_any_component(
    project: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    checkout = make_checkout(tmp_path / "core-checkout", version="1.9.0")
    project.makepyfile(
        test_local="""
        def test_local(bundle_env):
            assert bundle_env.installed()["pwt-core"] == "1.9.0"
        """
    )
    result = run(
        project,
        plugin_cache,
        "--bundle",
        "old",
        f"--workspace-source=core={checkout}",
        "test_local.py",
    )
    result.assert_outcomes(passed=1)


def test_junit_properties_and_results_json(
    project: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "results.json"
    result = run(
        project,
        plugin_cache,
        "--bundle",
        "all",
        "--upgrade-path",
        "all",
        f"--junitxml={junit}",
        f"--workspace-report={report}",
    )
    result.assert_outcomes(passed=6, skipped=1)
    properties = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in ET.parse(junit).getroot().iter("testcase")
    }
    assert properties["test_core_version[new]"] == {
        "workspace_bundle": "new",
        "workspace_pins": "core=1.1.0,platform=1.1.0",
    }
    assert properties["test_upgrade[old:new]"] == {"workspace_upgrade_path": "old:new"}
    assert properties["test_plain"] == {}

    document = json.loads(report.read_text())
    tests = {test["nodeid"]: test for test in document["tests"]}
    assert set(tests) == {
        "test_sample.py::test_core_version[old]",
        "test_sample.py::test_core_version[new]",
        "test_sample.py::test_new_only[old]",
        "test_sample.py::test_new_only[new]",
        "test_sample.py::test_old_only[old]",
        "test_sample.py::test_upgrade[old:new]",
    }
    assert tests["test_sample.py::test_new_only[old]"]["outcome"] == "skipped"
    assert tests["test_sample.py::test_upgrade[old:new]"]["upgrade_path"] == "old:new"
    assert all(test["duration"] >= 0 for test in tests.values())
    old = document["bundles"]["old"]
    assert old["pins"] == {"core": "1.0.0", "platform": "1.0.0"}
    assert old["installer"] == "uv"
    assert old["outcomes"] == {"passed": 2, "skipped": 1}
    assert (old["verdict"], old["why"], old["deselected"]) == ("passed", "", 0)
    assert len(old["env"]) == 20
    assert isinstance(old["build_seconds"], float)
    assert document["upgrade_paths"] == {
        "old:new": {
            "from": "old",
            "to": "new",
            "verdict": "passed",
            "why": "",
            "outcomes": {"passed": 1},
            "deselected": 0,
            "changes": [
                {"key": "core", "from": "1.0.0", "to": "1.1.0", "change": "upgrade"},
                {"key": "platform", "from": "1.0.0", "to": "1.1.0", "change": "upgrade"},
            ],
        }
    }
    assert document["matrix"] == str(project.path / "versions.toml")


def test_combination_runs_with_a_warning(project: pytest.Pytester, plugin_cache: Path) -> None:
    result = run(project, plugin_cache, "--combination", "core=1.1.0,platform=1.0.0", "-v")
    # test_old_only is limited to bundles("old"); no upgrade path is selected.
    result.assert_outcomes(passed=3, skipped=2)
    result.stdout.fnmatch_lines(["*test_core_version?core=1.1.0,platform=1.0.0? PASSED*"])


def test_invalid_combination_warns_or_fails_strict(
    project: pytest.Pytester, plugin_cache: Path
) -> None:
    spec = "core=1.0.0,platform=1.1.0"
    message = (
        f"--combination {spec}: core 1.0.0 does not satisfy "
        'compatibility.platform."1.1.0": core = "^1.1" (needs >=1.1,<2) required by platform 1.1.0'
    )
    result = run(project, plugin_cache, "--combination", spec, "test_sample.py::test_plain")
    result.stdout.fnmatch_lines([f"workspace: warning: {message}"])
    result = run(project, plugin_cache, "--combination", spec, "--workspace-strict")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.lines == [f"ERROR: {message}", ""] or result.stderr.lines == [
        f"ERROR: {message}"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bundle", "stabel"], "unknown bundle 'stabel'; known: old, new"),
        (["--bundle", "lts-*"], "no bundle matches 'lts-*'; known: old, new"),
        (
            ["--upgrade-path", "nope:old"],
            "invalid upgrade path 'nope:old': unknown bundle 'nope'; known: old, new; "
            "declared paths: old:new",
        ),
        (["--upgrade-path", "o*:x"], "unknown upgrade path 'o*:x'; known: old:new"),
        (
            ["--combination", "core"],
            "invalid combination 'core': expected COMPONENT=VERSION, got 'core'",
        ),
        (
            ["--workspace-source=core", "--bundle", "old"],
            "invalid source 'core': expected COMPONENT=PATH",
        ),
    ],
)
def test_usage_errors(
    project: pytest.Pytester, plugin_cache: Path, args: list[str], message: str
) -> None:
    result = run(project, plugin_cache, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line] == [f"ERROR: {message}"]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_bundle_without_matrix(pytester: pytest.Pytester, plugin_cache: Path) -> None:
    pytester.makepyfile(test_x="def test_x(bundle_env): pass")
    result = run(pytester, plugin_cache, "--bundle", "old")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    root = pytester.path
    assert [line for line in result.stderr.lines if line] == [
        f"ERROR: --bundle needs a matrix file: no matrix file found; looked for "
        f"{root}/versions.toml, {root}/version-management/versions.toml "
        "(pass --workspace-matrix PATH or set PYTEST_WORKSPACE_MATRIX)"
    ]


def test_failed_env_build_is_one_clear_error(
    project: pytest.Pytester, plugin_cache: Path, wheelhouse: Path
) -> None:
    project.makefile(
        ".toml",
        versions=MATRIX.format(links=str(wheelhouse)) + '[bundles.ghost]\ncore = "9.9.9"\n',
    )
    result = run(project, plugin_cache, "--bundle", "ghost", "-k", "core_version")
    result.assert_outcomes(errors=1)
    message = (
        "cannot install bundle ghost: pwt-core 9.9.9 (core) is not available from "
        f"find-links {wheelhouse}; no index (offline) (found there: 1.0.0, 1.1.0, 2.0.0)"
    )
    output = result.stdout.str()
    # Exactly one report line is the message (the short summary may quote it too).
    assert result.stdout.lines.count(message) == 1
    assert "Traceback" not in output
    assert "During handling" not in output


def test_current_environment_mode(pytester: pytest.Pytester, plugin_cache: Path) -> None:
    packaging = importlib.metadata.version("packaging")
    pytester.makefile(
        ".toml",
        versions=f'[bundles.here]\npackaging = "{packaging}"\n'
        '[bundles.elsewhere]\npackaging = "0.1"\npwt-core = "1.0.0"\n',
    )
    pytester.makepyfile(
        test_current=f"""
        import sys
        from pathlib import Path

        def test_running_interpreter(bundle_env):
            assert bundle_env.python == Path(sys.executable)
            assert bundle_env.installed()["packaging"] == {packaging!r}
            assert bundle_env.run_python("print(1)").stdout == "1\\n"

        def test_without_the_fixture():
            import packaging  # runs in the bundle's env as much as the other test
        """
    )
    result = run(pytester, plugin_cache, "--bundle", "here", "--workspace-env", "current")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*, running environment * (--workspace-env current)"])
    # The summary counts every test (each runs in the bundle) and says where they ran;
    # it said 0 passed for a test without the bundle fixture.
    result.stdout.fnmatch_lines(
        ["here         2       0       0        0  passed   running environment"]
    )

    result = run(pytester, plugin_cache, "--bundle", "elsewhere", "--workspace-env", "current")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line] == [
        f"ERROR: the running environment ({sys.prefix}) does not hold bundle elsewhere: "
        f"packaging: packaging {packaging} is installed, the bundle pins 0.1; "
        "pwt-core: pwt-core is not installed (pin 1.0.0)"
    ]


def test_rebuild_once_per_run_across_workers(project: pytest.Pytester, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run(project, cache, "--bundle", "old").assert_outcomes(passed=3, skipped=2)
    result = run(project, cache, "--bundle", "old", "--workspace-rebuild", "-n", "2")
    result.assert_outcomes(passed=3, skipped=2)
    builds = [json.loads(line)["label"] for line in (cache / "builds.log").read_text().splitlines()]
    assert builds == ["old", "old"]


def test_github_step_summary_is_appended(
    project: pytest.Pytester,
    plugin_cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run(project, plugin_cache, "--bundle", "new")
    text = summary.read_text()
    assert text.startswith("earlier step\n### pytest-workspace\n")
    assert "**1/1 bundles green**" in text
    assert "| **new**<br>core 1.1.0, platform 1.1.0 | ✅ passing | 2 passed |" in text


def test_empty_selection_values_are_ignored(project: pytest.Pytester, plugin_cache: Path) -> None:
    # One CI job template: `--bundle=${{ matrix.bundle }} --upgrade-path=${{ matrix.upgrade_path }}`
    result = run(project, plugin_cache, "--bundle=", "--upgrade-path=old:new")
    result.assert_outcomes(passed=2, skipped=3)


def test_bad_lock_timeout_is_a_usage_error(
    project: pytest.Pytester, plugin_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_WORKSPACE_LOCK_TIMEOUT", "nan")
    result = run(project, plugin_cache, "--bundle", "old")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line] == [
        "ERROR: PYTEST_WORKSPACE_LOCK_TIMEOUT='nan': expected a finite number of seconds "
        ">= 0 (default 900); waits are always bounded"
    ]


def test_unwritable_report_is_a_usage_error_before_any_test(
    project: pytest.Pytester, plugin_cache: Path
) -> None:
    blocker = project.path / "file.txt"
    blocker.write_text("not a directory")
    target = blocker / "results.json"
    result = run(project, plugin_cache, "--bundle", "old", f"--workspace-report={target}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line] == [
        f"ERROR: --workspace-report {target}: {blocker} is not a directory"
    ]
    assert "passed" not in result.stdout.str()


def test_xfail_path_whose_env_cannot_be_built_is_an_error(
    project: pytest.Pytester, plugin_cache: Path, wheelhouse: Path
) -> None:
    project.makefile(
        ".toml",
        versions=MATRIX.format(links=str(wheelhouse))
        + '[bundles.ghost]\ncore = "9.9.9"\n'
        + '[[upgrades]]\nfrom = "ghost"\nto = "new"\nxfail = "known broken"\n',
    )
    result = run(project, plugin_cache, "--upgrade-path", "ghost:new", "-k", "test_upgrade")
    result.assert_outcomes(errors=1)
    assert "xfailed" not in result.stdout.str()


# -- bundle_env.pytest(): a wrapper test is never a false green ---------------------------

PYTEST_DISTRIBUTIONS = ("pytest", "pluggy", "iniconfig", "packaging", "pygments")
WRAPPER = """
def test_inner_suite(bundle_env):
    bundle_env.pytest("inner", "-q", "-p", "no:cacheprovider")


def test_inner_suite_unchecked(bundle_env):
    result = bundle_env.pytest("inner", "-q", "-p", "no:cacheprovider", check=False)
    print("INNER EXIT", result.returncode)
"""


@pytest.fixture(scope="session")
def pytest_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pytest and its dependencies as wheels, repacked from this environment (offline)."""
    directory = tmp_path_factory.mktemp("pytest-wheels")
    for name in PYTEST_DISTRIBUTIONS:
        repack_installed(directory, name)
    return directory


@pytest.mark.parametrize(
    ("inner", "why", "code"),
    [
        ("import pwt_core\n\ndef test_ok():\n    assert pwt_core.VERSION == '1.0.0'\n", None, 0),
        ("def test_bad():\n    assert False\n", "tests failed", 1),
        ("import not_installed_anywhere\n", "collection errors, or the run was interrupted", 2),
        ("# no tests here\n", "no tests were collected", 5),
    ],
    ids=["passes", "fails", "errors", "collects-nothing"],
)
def test_wrapper_test_fails_unless_the_inner_suite_passes(
    inner: str,
    why: str | None,
    code: int,
    project: pytest.Pytester,
    plugin_cache: Path,
    wheelhouse: Path,
    pytest_wheels: Path,
) -> None:
    # filterwarnings = error: the inner pytest (no plugin there) must not trip on our keys.
    project.makeini("[pytest]\nfilterwarnings = error\nworkspace_extras = pytest\n")
    (project.path / "inner").mkdir()
    (project.path / "inner" / "test_inner.py").write_text(inner)
    project.makepyfile(test_wrapper=WRAPPER)
    result = run(
        project,
        plugin_cache,
        "--bundle",
        "old",
        f"--workspace-find-links={wheelhouse}",
        f"--workspace-find-links={pytest_wheels}",
        "-s",
        "test_wrapper.py",
    )
    if why is None:
        result.assert_outcomes(passed=2)
    else:
        result.assert_outcomes(passed=1, failed=1)
        result.stdout.fnmatch_lines([f"*the inner pytest run did not pass: {why}*"])
    result.stdout.fnmatch_lines([f"*INNER EXIT {code}*"])


def test_current_mode_checks_the_checkout_really_is_the_checkout(
    pytester: pytest.Pytester, plugin_cache: Path
) -> None:
    """This very package is installed editable from its checkout in the test env."""
    import pytest_workspace

    repo = Path(pytest_workspace.__file__).resolve().parents[2]
    version = importlib.metadata.version("pytest-workspace")
    pytester.makefile(".toml", versions=f'[bundles.here]\npytest-workspace = "{version}"\n')
    pytester.makepyfile(test_x="def test_x(bundle_env):\n    pass\n")
    mode = ("--bundle", "here", "--workspace-env", "current")
    result = run(pytester, plugin_cache, *mode, f"--workspace-source=pytest-workspace={repo}")
    result.assert_outcomes(passed=1)

    other = pytester.mkdir("other")
    result = run(pytester, plugin_cache, *mode, f"--workspace-source=pytest-workspace={other}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line] == [
        f"ERROR: the running environment ({sys.prefix}) does not hold bundle here: "
        f"pytest-workspace: pytest-workspace is installed from {repo}; expected {other}"
    ]
    # As released: no checkout is swapped in, so only the version is checked.
    run(pytester, plugin_cache, *mode, "--workspace-source=none").assert_outcomes(passed=1)


def test_bundle_declared_xfail_is_strict(
    project: pytest.Pytester, plugin_cache: Path, wheelhouse: Path
) -> None:
    broken = '[bundles.broken]\ncore = "1.0.0"\nplatform = "1.0.0"\nxfail = "core 1.0 lacks it"\n'
    project.makefile(".toml", versions=MATRIX.format(links=str(wheelhouse)) + broken)
    project.makepyfile(
        test_gate="""
        def test_needs_new_core(bundle_env):
            assert bundle_env.installed()["pwt-core"] == "1.1.0"

        def test_passes_anyway(bundle):
            pass
        """
    )
    result = run(project, plugin_cache, "--bundle", "broken", "test_gate.py", "-rxX")
    result.assert_outcomes(xfailed=1, failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*core 1.0 lacks it*"])


def test_upgrade_path_declared_xfail_is_strict(
    project: pytest.Pytester, plugin_cache: Path, wheelhouse: Path
) -> None:
    # Was a green "xpassed": a path declared broken that works is news, as for bundles.
    path = '[[upgrades]]\nfrom = "core@1.0.0"\nto = "core@1.1.0"\nxfail = "lost servers"\n'
    project.makefile(".toml", versions=MATRIX.format(links=str(wheelhouse)) + path)
    project.makepyfile(test_path="def test_moves(upgrade_path):\n    upgrade_path.upgrade()\n")
    result = run(project, plugin_cache, "--upgrade-path=core@1.0.0:core@1.1.0", "test_path.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*lost servers*"])


def test_upgrade_path_honours_the_source_bundles_python(
    project: pytest.Pytester, plugin_cache: Path, wheelhouse: Path
) -> None:
    old_python = '[bundles.ancient]\npython = "2.6"\ncore = "1.0.0"\nplatform = "1.0.0"\n'
    path = '[[upgrades]]\nfrom = "ancient"\nto = "new"\n'
    project.makefile(".toml", versions=MATRIX.format(links=str(wheelhouse)) + old_python + path)
    result = run(
        project, plugin_cache, "--upgrade-path", "ancient:new", "-k", "test_upgrade", "-rs"
    )
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*Python 2.6 is not available (no python2.6 on PATH)*"])


def test_ad_hoc_upgrade_path(project: pytest.Pytester, plugin_cache: Path) -> None:
    adhoc = "--upgrade-path=old:core@1.1.0,platform@1.1.0"
    result = run(project, plugin_cache, adhoc, "-k", "test_upgrade", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "workspace: upgrade path old:core@1.1.0,platform@1.1.0 (ad hoc): core 1.0.0 -> 1.1.0*",
            "*test_upgrade?old:core@1.1.0,platform@1.1.0? PASSED*",
        ]
    )
    # A path that goes backwards is a warning, and an error with --workspace-strict.
    result = run(project, plugin_cache, "--upgrade-path=new:old", "--collect-only")
    result.stdout.fnmatch_lines(
        [
            "workspace: warning: --upgrade-path new:old: new:old is a downgrade: core goes from "
            "1.1.0 to 1.0.0"
        ]
    )
    result = run(project, plugin_cache, "--upgrade-path=new:old", "--workspace-strict")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line] == [
        "ERROR: --upgrade-path new:old: new:old is a downgrade: core goes from 1.1.0 to 1.0.0"
    ]


def test_invalid_matrix_is_reported_as_invalid_not_missing(
    pytester: pytest.Pytester, plugin_cache: Path
) -> None:
    pytester.makefile(".toml", versions='[bundles.b]\ncore = "not a version"\n')
    pytester.makepyfile(test_x="def test_x(bundle): pass")
    result = run(pytester, plugin_cache, "--bundle", "b")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line] == [
        f"ERROR: {pytester.path / 'versions.toml'}: bundles.b.core: expected a PEP 440 "
        "version, got 'not a version'"
    ]


def test_a_bundle_in_which_no_test_ran_is_not_green(
    project: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    # Only the test that uses no bundle runs: every selected bundle ran nothing.
    report = tmp_path / "results.json"
    result = run(
        project, plugin_cache, "--bundle=all", "-k", "test_plain", f"--workspace-report={report}"
    )
    result.assert_outcomes(passed=1, deselected=6)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "old          0       0       0        0  not run  *",
            "error: bundle old not run: no tests ran in old: 3 deselected",
            "error: bundle new not run: no tests ran in new: 2 deselected",
            "*= 1 passed, 6 deselected in *",
        ]
    )
    bundles = json.loads(report.read_text())["bundles"]
    assert (bundles["old"]["verdict"], bundles["old"]["deselected"]) == ("not run", 3)
    merged = subprocess.run(
        [sys.executable, "-m", "pytest_workspace", "report", str(report)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert merged.returncode == 1
    assert "**0/2 bundles green, 0/1 upgrade paths green, 3 not run**" in merged.stdout
    assert "bundle old: not run: no tests ran in old: 3 deselected" in merged.stderr


def test_a_collection_error_is_an_error_of_every_selected_bundle(
    project: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    project.makepyfile(test_broken="import not_installed_anywhere\n")
    report = tmp_path / "results.json"
    result = run(project, plugin_cache, "--bundle=all", f"--workspace-report={report}")
    assert result.ret == pytest.ExitCode.INTERRUPTED  # pytest stops on collection errors
    result.stdout.fnmatch_lines(
        [
            "old          0       0       1        0  error    *",
            "new          0       0       1        0  error    *",
        ]
    )
    bundles = json.loads(report.read_text())["bundles"]
    assert {name: info["verdict"] for name, info in bundles.items()} == {
        "old": "error",
        "new": "error",
    }


UPGRADE_TO_THE_CHECKOUT = """
import pytest


def test_upgrade_to_my_code(upgrade_path, tmp_path):
    env = upgrade_path.env
    core = "import pwt_core; print(pwt_core.VERSION)"
    # Users upgrade from the release they have installed...
    assert env.installed()["pwt-core"] == "1.0.0"
    assert env.run_python(core).stdout.strip() == "1.0.0"
    assert upgrade_path.to_versions == {"core": "1.5.0.dev0", "platform": "1.1.0"}
    # ...to this checkout (editable), the rest of the target as released.
    upgrade_path.upgrade()
    assert env.installed()["pwt-core"] == "1.5.0.dev0"
    assert env.run_python(core).stdout.strip() == "checkout"
    assert env.installed()["pwt-platform"] == "1.1.0"
    assert env.pins == {"core": "1.5.0.dev0", "platform": "1.1.0"}
    # And back to the release, the checkout gone from the env.
    upgrade_path.downgrade()
    assert env.run_python(core).stdout.strip() == "1.0.0"
"""

UPGRADE_BETWEEN_RELEASES = """
def test_releases_only(upgrade_path):
    env = upgrade_path.env
    upgrade_path.upgrade()
    assert env.run_python("import pwt_core; print(pwt_core.VERSION)").stdout.strip() == "1.1.0"
"""


def test_an_upgrade_path_in_a_component_repository_ends_at_the_checkout(
    project: pytest.Pytester, plugin_cache: Path, tmp_path: Path
) -> None:
    # The checkout was swapped in at neither end: the path tested two releases, none of
    # this repository's code.
    make_checkout(project.path)
    project.makepyfile(test_local=UPGRADE_TO_THE_CHECKOUT)
    report = tmp_path / "results.json"
    result = run(
        project,
        plugin_cache,
        "--upgrade-path=old:new",
        "test_local.py",
        f"--workspace-report={report}",
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "workspace: upgrade path old:new: core 1.0.0 -> checkout 1.5.0.dev0 (upgrade), "
            "platform 1.0.0 -> 1.1.0 (upgrade)"
        ]
    )
    changes = json.loads(report.read_text())["upgrade_paths"]["old:new"]["changes"]
    assert changes[0] == {
        "key": "core",
        "from": "1.0.0",
        "to": "1.5.0.dev0",
        "change": "upgrade",
        "checkout": True,
    }
    # --workspace-source=none: releases only, as before.
    project.makepyfile(test_local=UPGRADE_BETWEEN_RELEASES)
    result = run(
        project, plugin_cache, "--upgrade-path=old:new", "test_local.py", "--workspace-source=none"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["workspace: upgrade path old:new: core 1.0.0 -> 1.1.0 (upgrade), platform *"]
    )


def test_an_environment_variable_beats_the_ini_key(
    project: pytest.Pytester, plugin_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Documented first, the variable was ignored without a word when the ini set the key.
    matrix = project.path / "versions.toml"
    matrix.rename(project.path / "chosen.toml")
    project.makeini("[pytest]\nworkspace_matrix = not-this-one.toml\n")
    monkeypatch.setenv("PYTEST_WORKSPACE_MATRIX", str(project.path / "chosen.toml"))
    result = run(project, plugin_cache, "--bundle=old", "-k", "core_version")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"workspace: matrix {project.path / 'chosen.toml'}, *"])
    # The command line beats both.
    result = run(project, plugin_cache, "--bundle=old", "--workspace-matrix=nowhere.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --bundle needs a matrix file: *nowhere.toml*"])


def test_settings_in_a_table_pytest_never_reads(
    project: pytest.Pytester, plugin_cache: Path
) -> None:
    # workspace_* keys in [tool.pytest.ini_options] break the project's envs that run
    # without the plugin under filterwarnings = error (PytestConfigWarning: Unknown
    # config option); [tool.pytest-workspace] is read by the plugin alone.
    matrix = project.path / "versions.toml"
    (project.path / "m").mkdir()
    matrix.rename(project.path / "m" / "versions.toml")
    project.makepyprojecttoml(
        '[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n'
        '[tool.pytest-workspace]\nmatrix = "m/versions.toml"\nbundles = ["new"]\n'
    )
    project.makepyfile(test_alone="def test_alone():\n    pass\n")
    plain = ("-p", "no:workspace", "-p", "no:cacheprovider", "test_alone.py")
    without = project.runpytest_subprocess(*plain)
    without.assert_outcomes(passed=1)  # no plugin, no warning
    result = run(project, plugin_cache, "-k", "test_core_version")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*matrix */m/versions.toml*"])
    # The same keys in the pytest section: what the table avoids.
    project.makepyprojecttoml(
        '[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n'
        'workspace_matrix = "m/versions.toml"\n'
    )
    broken = project.runpytest_subprocess(*plain)
    assert broken.ret != 0
    said = broken.stdout.str() + broken.stderr.str()
    assert "Unknown config option: workspace_matrix" in said
    # A key the table does not know is one line naming the file and key.
    project.makepyprojecttoml('[tool.pytest-workspace]\nmatirx = "m/versions.toml"\n')
    wrong = run(project, plugin_cache)
    assert wrong.ret == pytest.ExitCode.USAGE_ERROR
    wrong.stderr.fnmatch_lines(["*pyproject.toml: tool.pytest-workspace.matirx: unknown key*"])
