"""Merged reports from CI shards, and CI fan-out filters."""

from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pytest_workspace.cli import main

from .helpers import MATRIX, WriteMatrix, run

FAILING_OLD = """
def test_breaks_on_old(bundle):
    assert bundle.name != "old"
"""


class Table(HTMLParser):
    """Rows of the report table: row header text, then each cell's text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.extend(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data + " ")


@pytest.fixture
def shards(
    project: pytest.Pytester, plugin_cache: Path, wheelhouse: Path, tmp_path: Path
) -> tuple[Path, list[Path]]:
    """Three real runs: old, then new + the upgrade path, then old again with a new
    failing test (the newer run of old must win)."""
    matrix = MATRIX.format(links=str(wheelhouse)) + '[bundles.later]\ncore = "2.0.0"\n'
    project.makefile(".toml", versions=matrix)
    first, second, rerun = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    run(project, plugin_cache, "--bundle", "old", f"--workspace-report={first}")
    run(
        project,
        plugin_cache,
        "--bundle",
        "new",
        "--upgrade-path",
        "all",
        f"--workspace-report={second}",
    )
    project.makepyfile(test_more=FAILING_OLD)
    result = run(project, plugin_cache, "--bundle", "old", f"--workspace-report={rerun}")
    result.assert_outcomes(passed=3, skipped=2, failed=1)
    return project.path / "versions.toml", [rerun, first, second]


def test_merged_report_newest_run_wins(
    shards: tuple[Path, list[Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    matrix, results = shards
    html_file, markdown_file = tmp_path / "report.html", tmp_path / "report.md"
    code = main(
        [
            "report",
            *map(str, results),
            "--matrix",
            str(matrix),
            f"--html={html_file}",
            f"--markdown={markdown_file}",
        ]
    )
    assert code == 1  # a bundle is failing
    headline = "1/3 bundles green, 1/1 upgrade paths green, 1 not run"
    assert capsys.readouterr().out == headline + "\n"

    markdown = markdown_file.read_text()
    assert f"**{headline}**" in markdown
    lines = markdown.splitlines()
    assert "| bundle / upgrade path | status | test_more.py | test_sample.py | ran |" in lines
    old = next(line for line in lines if line.startswith("| **old**"))
    assert "❌ failing" in old
    assert "| 1 failed | 2 passed, 1 skipped |" in old
    new = next(line for line in lines if line.startswith("| **new**"))
    assert "✅ passing" in new
    assert "| — | 2 passed |" in new
    later = next(line for line in lines if line.startswith("| **later**"))
    assert "⚪ not run" in later
    assert later.endswith("| not run |")
    path = next(line for line in lines if line.startswith("| **old:new**"))
    assert "old → new" in path
    assert "✅ passing" in path
    assert "- `old`: `test_more.py::test_breaks_on_old[old]`" in lines

    table = Table()
    table.feed(html_file.read_text())
    rows = {row[0].split()[0]: row for row in table.rows[1:]}
    assert table.rows[0] == [
        "bundle / upgrade path",
        "status",
        "test_more.py",
        "test_sample.py",
        "ran",
    ]
    assert rows["old"][1] == "✘ failing"
    # The failing cell names the test and shows why: pytest's E lines.
    assert rows["old"][2].startswith(
        "1 failed test_more.py::test_breaks_on_old[old] E AssertionError: assert 'old' != 'old'"
    )
    assert rows["old"][3] == "2 passed, 1 skipped"
    document = json.loads(results[0].read_text())
    (failed,) = [test for test in document["tests"] if test["outcome"] == "failed"]
    assert failed["message"].splitlines()[0] == "E       AssertionError: assert 'old' != 'old'"
    assert rows["new"][1:4] == ["✔ passing", "—", "2 passed"]
    assert rows["later"][1] == "not run"
    assert rows["later"][-1] == "not run"
    assert rows["old:new"][1:4] == ["✔ passing", "—", "1 passed"]
    # The report says when each ran: the newer shard's start time.
    started = datetime.datetime.fromisoformat(json.loads(results[0].read_text())["started"])
    assert rows["old"][-1] == started.strftime("%Y-%m-%d %H:%M:%S UTC")


def test_html_is_self_contained_and_well_formed(
    shards: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    matrix, results = shards
    html_file = tmp_path / "report.html"
    main(["report", *map(str, results), "--matrix", str(matrix), f"--html={html_file}"])
    text = html_file.read_text()
    assert text.startswith("<!DOCTYPE html>\n")
    ET.fromstring(text.split("\n", 1)[1])  # well-formed markup (XHTML-compatible)
    table = Table()
    table.feed(text)
    assert not {"script", "link", "img", "iframe"} & table.tags
    assert not [value for name, value in table.attributes if name in ("src", "href")]
    assert not re.search(r"url\(|@import|https?://", text)
    assert "prefers-color-scheme: dark" in text
    assert 'name="viewport"' in text
    assert "<details><summary>1 failed</summary>" in text


def test_report_without_failures_exits_zero(
    project: pytest.Pytester,
    plugin_cache: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    results = tmp_path / "r.json"
    run(project, plugin_cache, "--bundle", "new", f"--workspace-report={results}")
    assert main(["report", str(results)]) == 0
    out = capsys.readouterr().out
    # The matrix is found from the results file; "old" was never run.
    assert "**1/2 bundles green, 0/1 upgrade paths green, 2 not run**" in out


BAD_RESULTS = [
    ('{"tests": []}', "schema: expected 1 (a pytest-workspace results file), got None"),
    ("[1, 2]", "(top level): expected a results object (pytest --workspace-report), got [1, 2]"),
    (
        '{"schema": 1, "started": "yesterday"}',
        "started: expected an ISO 8601 timestamp, got 'yesterday'",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", '
        '"tests": [{"nodeid": "t", "outcome": "exploded"}]}',
        "tests[0].outcome: expected one of passed, failed, error, skipped, xfailed, xpassed, "
        "got 'exploded'",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00+00:00", "bundles": {"b": {"pins": 5}}}',
        "bundles.b.pins: expected a table of component versions, got 5",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", "tests": [{"nodeid": 3}]}',
        "tests[0].nodeid: expected a test id, got 3",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", "upgrade_paths": {"a:b": {"from": "a"}}}',
        "upgrade_paths.a:b.to: expected a bundle or component@version, got None",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", "matrix": 5}',
        "matrix: expected a string or null, got 5",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", "finished": "later"}',
        "finished: expected an ISO 8601 timestamp, got 'later'",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", "bundles": 5}',
        "bundles: expected a table, got 5",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", '
        '"bundles": {"b": {"pins": {}, "verdict": "green"}}}',
        "bundles.b.verdict: expected one of crashed, failed, error, not run, passed, got 'green'",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", '
        '"bundles": {"b": {"pins": {}, "deselected": -1}}}',
        "bundles.b.deselected: expected a count of tests, got -1",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", '
        '"upgrade_paths": {"a:b": {"from": "a", "to": "b", "changes": 5}}}',
        "upgrade_paths.a:b.changes: expected an array of changes, got 5",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", '
        '"upgrade_paths": {"a:b": {"from": "a", "to": "b", "changes": [{"key": 1}]}}}',
        "upgrade_paths.a:b.changes[0].key: expected a string, got 1",
    ),
    (
        '{"schema": 1, "started": "2026-01-01T00:00:00", '
        '"tests": [{"nodeid": "t", "outcome": "passed", "bundle": 7}]}',
        "tests[0].bundle: expected a string or null, got 7",
    ),
    ("[" * 100000 + "]" * 100000, None),
]


@pytest.mark.parametrize(("text", "message"), BAD_RESULTS)
def test_bad_results_file(
    text: str, message: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text(text)
    assert main(["report", str(bogus)]) == 2
    err = capsys.readouterr().err
    if message is None:
        assert err.startswith(f"pytest-workspace: error: {bogus}: cannot read results JSON:")
    else:
        assert err == f"pytest-workspace: error: {bogus}: {message}\n"


def test_naive_and_aware_timestamps_merge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = {"schema": 1, "tests": [{"nodeid": "t", "bundle": "b", "outcome": "passed"}]}
    older = {**base, "started": "2026-01-01T00:00:00", "bundles": {"b": {"pins": {"core": "1"}}}}
    newer = {
        **base,
        "started": "2026-01-02T00:00:00+00:00",
        "bundles": {"b": {"pins": {"core": "2"}}},
    }
    paths = []
    for name, document in (("a.json", older), ("b.json", newer)):
        (tmp_path / name).write_text(json.dumps(document))
        paths.append(str(tmp_path / name))
    assert main(["report", *paths]) == 0
    assert "core 2" in capsys.readouterr().out


CHANGED = """
[components.ext]
package = "acme-ext-{name}"
[bundles.a]
core = "1.0"
platform = "2.0"
[bundles.b]
core = "1.1"
ext = ["x@1.0"]
[bundles.c]
platform = "2.1"
[[upgrades]]
from = "a"
to = "b"
[[upgrades]]
from = "platform@2.0"
to = "platform@2.1"
"""


def _entry(kind: str, name: str, tox_env: str) -> dict[str, str]:
    return {kind: name, "tox_env": tox_env}


A, B, C = (_entry("bundle", name, f"bundle-{name}") for name in "abc")
AB = _entry("upgrade_path", "a:b", "upgrade-a-to-b")
PLATFORM = _entry(
    "upgrade_path", "platform@2.0:platform@2.1", "upgrade-platform_v2.0-to-platform_v2.1"
)


@pytest.mark.parametrize(
    ("args", "github"),
    [
        ([], [A, B, C]),
        (["--bundles", "[ab]"], [A, B]),
        (["--upgrade-paths", "--changed", "platform"], [A, C, AB, PLATFORM]),
        (["--upgrade-paths", "--changed", "acme-ext-x"], [B, AB]),
        (["--upgrade-paths", "platform@*", "--changed", "core"], [A, B]),
    ],
)
def test_ci_matrix_filters(
    capsys: pytest.CaptureFixture[str],
    write_matrix: WriteMatrix,
    args: list[str],
    github: list[dict[str, str]],
) -> None:
    path = str(write_matrix(CHANGED))
    assert main(["ci-matrix", "--matrix", path, *args]) == 0
    assert json.loads(capsys.readouterr().out) == {"include": github}
    # GitLab: one entry per job (variables listed in one entry would multiply).
    gitlab = ["parallel:", "  matrix:"]
    for entry in github:
        (kind, name), (_, tox_env) = entry.items()
        gitlab += [f"    - {kind.upper()}: {json.dumps(name)}", f'      TOX_ENV: "{tox_env}"']
    assert main(["ci-matrix", "--format", "gitlab", "--matrix", path, *args]) == 0
    assert capsys.readouterr().out.splitlines() == gitlab


def test_ci_matrix_unknown_changed_component(
    capsys: pytest.CaptureFixture[str], write_matrix: WriteMatrix
) -> None:
    path = str(write_matrix(CHANGED))
    assert main(["ci-matrix", "--matrix", path, "--changed", "cor"]) == 2
    assert capsys.readouterr().err == (
        "pytest-workspace: error: --changed: unknown component 'cor'; known: "
        "acme-ext-x, core, ext, platform\n"
    )


def test_markdown_escapes_what_a_name_could_inject() -> None:
    from pytest_workspace.results.report import Merged, Row, render_markdown

    row = Row("bundle", "evil|<img src=x>", "core 1.0 | <b>x</b>", started=None)
    row.failures["m.py"] = ["m.py::test[`|`]"]
    text = render_markdown(Merged([row], []))
    assert "**evil\\|&lt;img src=x&gt;**<br>core 1.0 \\| &lt;b&gt;x&lt;/b&gt;" in text
    (table_row,) = [line for line in text.splitlines() if line.startswith("| **evil")]
    assert "<" not in table_row.replace("<br>", "")
    # Failing tests are listed in code spans, where nothing is rendered as HTML.
    assert "- `evil|<img src=x>`: `` m.py::test[`|`] ``" in text


def test_require_all_makes_not_run_a_failure(
    shards: tuple[Path, list[Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    matrix, results = shards
    green = [path for path in results if "old" not in json.loads(path.read_text())["bundles"]]
    assert main(["report", *map(str, green), "--matrix", str(matrix)]) == 0
    capsys.readouterr()
    assert main(["report", *map(str, green), "--matrix", str(matrix), "--require-all"]) == 1
    assert capsys.readouterr().err.startswith("not run: ")


@pytest.mark.parametrize(
    ("bundle", "tests", "status", "problem"),
    [
        # A run in which nothing ran in the bundle: not green, whatever else passed.
        (
            {"pins": {}},
            [],
            "⚪ not run<br>no tests ran in b: no test selected it",
            "not run: no tests ran in b: no test selected it",
        ),
        # A recorded verdict is never better than the file's own tests.
        ({"pins": {}, "verdict": "passed"}, [("failed", "b")], "❌ failing", "failed: 1 failed"),
        # Whole-suite workers that crashed: nothing else in the file says so.
        (
            {"pins": {}, "verdict": "crashed", "why": "workers crashed while starting: boom"},
            [],
            "❌ crashed<br>workers crashed while starting: boom",
            "crashed: workers crashed while starting: boom",
        ),
    ],
    ids=["nothing-ran", "recorded-better-than-its-tests", "crashed"],
)
def test_a_bundle_that_did_not_run_and_pass_is_not_green(
    bundle: dict[str, object],
    tests: list[tuple[str, str]],
    status: str,
    problem: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = {
        "schema": 1,
        "started": "2026-01-01T00:00:00+00:00",
        "bundles": {"b": bundle},
        "tests": [{"nodeid": "t.py::t", "outcome": o, "bundle": b} for o, b in tests],
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(document))
    assert main(["report", str(path)]) == 1
    out, err = capsys.readouterr()
    (row,) = [line for line in out.splitlines() if line.startswith("| **b**")]
    assert f"| {status} |" in row
    assert err == f"bundle b: {problem}\n"
