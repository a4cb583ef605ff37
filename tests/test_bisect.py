"""``pytest-workspace bisect``: the user's own pytest command run against combinations
between two bundles, real envs from the cache, the cause named (one change, a pair the
rows move together, the first bad release from the find-links)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_workspace.cli import main

BREAKS_ON = """
def test_core(bundle_env):
    installed = bundle_env.installed()
    assert not ({condition}), installed
"""


@pytest.fixture
def bisecting(
    project: pytest.Pytester, plugin_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> pytest.Pytester:
    monkeypatch.chdir(project.path)
    monkeypatch.setenv("PYTEST_WORKSPACE_CACHE", str(plugin_cache))
    return project


def bisect(
    capsys: pytest.CaptureFixture[str], condition: str, *argv: str
) -> tuple[int, list[str], dict[str, Any]]:
    Path("test_break.py").write_text(BREAKS_ON.format(condition=condition))
    args = ["--", "-p", "no:cacheprovider", "--workspace-offline", "test_break.py"]
    code = main(["bisect", *argv, *args])
    out = capsys.readouterr().out.splitlines()
    return code, out, json.loads(Path("bisect.json").read_text())


def test_one_change_is_named(
    bisecting: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, report = bisect(capsys, 'installed["pwt-core"] == "1.1.0"', "old", "new")
    assert code == 0
    assert out[-1] == "first bad change: core 1.0.0 -> 1.1.0 (everything else as in old)"
    assert out[-2] == (
        "reproduce: pytest -p no:cacheprovider --workspace-offline test_break.py "
        "--combination=core=1.1.0,platform=1.0.0"
    )
    assert report["culprit"] == ["core 1.0.0 -> 1.1.0"]
    assert [step["outcome"] for step in report["steps"]][:2] == ["pass", "fail"]


def test_a_break_that_needs_two_changes_is_that_pair(
    bisecting: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    condition = 'installed["pwt-core"] == "1.1.0" and installed["pwt-platform"] == "1.1.0"'
    code, out, _ = bisect(capsys, condition, "old", "new")
    assert code == 0
    # platform alone the rows refuse (its row needs core ^1.1): skipped, never run.
    assert any("platform 1.0.0 -> 1.1.0 -> skipped: the rows refuse it" in line for line in out)
    assert out[-1] == (
        "first bad changes, together: core 1.0.0 -> 1.1.0 and platform 1.0.0 -> 1.1.0 "
        "(everything else as in old; each alone does not fail)"
    )


def test_from_index_finds_the_first_bad_release(
    bisecting: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    # core 1.0.0, 1.1.0 and 2.0.0 are in the find-links: 1.1.0 is the first bad one.
    condition = 'installed["pwt-core"] != "1.0.0"'
    code, out, report = bisect(capsys, condition, "core=1.0.0", "core=2.0.0", "--from-index")
    assert code == 0
    assert out[-1] == (
        "first bad change: core: 1.0.0 passes, 1.1.0 fails (first bad; everything else as in "
        "core=1.0.0)"
    )
    assert report["first_bad"] == ["core", "1.0.0", "1.1.0"]


def test_good_that_fails_is_said_plainly(
    bisecting: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = bisect(capsys, "True", "old", "new")
    assert code == 1
    assert (
        out[-1]
        == "error: GOOD does not pass: there is nothing to bisect from (steps in bisect.json)"
    )
    code, out, _ = bisect(capsys, "False", "old", "new")
    assert code == 1
    assert out[-1] == "error: BAD does not fail: there is no break to find (steps in bisect.json)"
    assert main(["bisect", "old", "nope", "--", "test_break.py"]) == 2


LOCKED = """
[components.platform]
package = "pwt-platform"
[index]
find-links = ["links"]
[bundles.old]
platform = "1.0.0"
[bundles.new]
platform = "1.0.0"
"""


def test_with_locks_a_dependency_of_a_dependency_can_be_the_cause(
    tmp_path: Path,
    plugin_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from .wheels import build_wheel

    # Both bundles pin the same platform; their locks were written a release of
    # pwt-core apart, and the suite breaks on the newer pwt-core.
    links = tmp_path / "links"
    links.mkdir()
    build_wheel(links, "pwt-core", "1.0.0")
    build_wheel(links, "pwt-platform", "1.0.0", requires=["pwt-core>=1.0,<2"])
    (tmp_path / "versions.toml").write_text(LOCKED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTEST_WORKSPACE_CACHE", str(plugin_cache))
    assert main(["lock", "old", "--offline"]) == 0
    build_wheel(links, "pwt-core", "1.1.0")
    assert main(["lock", "new", "--offline"]) == 0
    capsys.readouterr()
    code, out, report = bisect(capsys, 'installed["pwt-core"] == "1.1.0"', "old", "new")
    assert code == 0, out
    assert out[-1] == (
        "first bad change: pwt-core 1.0.0 -> 1.1.0 (a dependency) (everything else as in old)"
    )
    assert out[-2].endswith("--combination=platform=1.0.0,pwt-core=1.1.0")
    assert report["culprit"] == ["pwt-core 1.0.0 -> 1.1.0 (a dependency)"]
