"""Test results attributed to bundles and upgrade paths, and the results JSON.

The plugin feeds reports in (:meth:`Results.record`); this module knows nothing of
pytest's types, so the CLI's ``report`` command and other front-ends read the same data.
A results file is read back through :func:`read_results`, which checks every value it
takes and turns it into typed records (like packaging's ``pylock``), so a malformed file
is one error naming the file, the key and what was expected.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .verdict import VERDICTS, Verdict, judge, worst

if TYPE_CHECKING:
    from ..envs.env import Env

__all__ = [
    "OUTCOMES",
    "EnvRecord",
    "Outcome",
    "RecordedBundle",
    "RecordedPath",
    "RecordedTest",
    "Results",
    "ResultsFile",
    "TestResult",
    "check_report_target",
    "classify",
    "counts",
    "describe_counts",
    "excerpt",
    "read_results",
    "results_document",
]

Outcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
SCHEMA = 1

OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


@dataclass
class TestResult:
    nodeid: str
    outcome: Outcome
    duration: float
    bundle: str | None = None
    upgrade_path: str | None = None
    #: the first lines of why it failed or errored (for the report page)
    message: str | None = None


@dataclass
class EnvRecord:
    """How one bundle's env was obtained in this run."""

    label: str
    key: str
    installer: str
    fresh: bool
    build_seconds: float
    pins: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, label: str, env: Env, installer: str) -> EnvRecord:
        """The record of a cached env just obtained (built or reused) for ``label``."""
        return cls(label, env.key, installer, env.fresh, env.build_seconds, env.pins)


def counts(results: Iterable[TestResult], attribute: str) -> dict[str, Counter[str]]:
    table: dict[str, Counter[str]] = {}
    for result in results:
        name = getattr(result, attribute)
        if name is not None:
            table.setdefault(name, Counter())[result.outcome] += 1
    return table


def describe_counts(counter: Mapping[str, int]) -> str:
    """``2 passed, 1 xfailed`` (``no tests`` when empty), outcomes in pytest's order."""
    return ", ".join(f"{counter[o]} {o}" for o in OUTCOMES if counter.get(o)) or "no tests"


def excerpt(longrepr: str, lines: int = 6) -> str | None:
    """The first lines of why a test failed: pytest's ``E`` lines when there are any
    (the assertion and its explanation), else the end of the report."""
    text = longrepr.splitlines()
    errors = [line for line in text if line.startswith("E ")]
    chosen = errors[:lines] or text[-lines:]
    return "\n".join(chosen)[:1000] or None


def classify(when: str, passed: bool, skipped: bool, xfail: bool) -> Outcome | None:
    """One phase of a test (``setup``, ``call``, ``teardown``) as an outcome; None for a
    phase that says nothing (a passing setup or teardown). As pytest counts them, only
    setup and teardown make errors: pytest-xdist's report of a crashed worker ("???")
    is a failure."""
    if when not in ("setup", "teardown"):
        if passed:
            return "xpassed" if xfail else "passed"
        if skipped:
            return "xfailed" if xfail else "skipped"
        return "failed"
    if not (passed or skipped):
        return "error"
    if skipped:
        return "xfailed" if xfail else "skipped"
    return None


@dataclass
class Results:
    """Outcomes per test, how each bundle's env was obtained, and what else decides a
    verdict (deselections, crashes, envs that could not be used), for one run."""

    tests: dict[tuple[str, str | None], TestResult] = field(default_factory=dict)
    envs: dict[str, EnvRecord] = field(default_factory=dict)
    #: tests deselected, per bundle name or upgrade path id
    deselected: Counter[str] = field(default_factory=Counter)
    #: bundle name or path id to why its test processes crashed (nothing reported)
    crashed: dict[str, str] = field(default_factory=dict)
    #: bundle name or path id to why nothing could run in it (its env is unusable)
    not_run: dict[str, str] = field(default_factory=dict)

    def record(
        self,
        nodeid: str,
        outcome: Outcome | None,
        duration: float,
        *,
        when: str,
        bundle: str | None,
        upgrade_path: str | None,
        message: str | None = None,
    ) -> None:
        # Whole-suite mode runs one nodeid once per bundle.
        result = self.tests.get((nodeid, bundle))
        if result is None:
            result = TestResult(nodeid, "passed", 0.0, bundle, upgrade_path)
            self.tests[nodeid, bundle] = result
        result.duration += duration
        # A teardown error does not hide a failed call; any other phase's word wins.
        if outcome is not None and (result.outcome == "passed" or when != "teardown"):
            result.outcome = outcome
            if outcome in ("failed", "error") and message and result.message is None:
                result.message = message

    def remember_env(self, record: EnvRecord) -> None:
        known = self.envs.get(record.label)
        # Across workers, the one that built the env tells the story.
        if known is None or (record.fresh and not known.fresh):
            self.envs[record.label] = record

    def counts(self, name: str, *, path: bool = False) -> Counter[str]:
        """Outcome counts of bundle ``name`` (of upgrade path ``name`` with ``path``)."""
        attribute = "upgrade_path" if path else "bundle"
        found: Counter[str] = Counter()
        for result in self.tests.values():
            if getattr(result, attribute) == name:
                found[result.outcome] += 1
        return found

    def verdict(self, name: str, *, path: bool = False) -> Verdict:
        """The verdict of bundle (or upgrade path) ``name`` in this run."""
        return judge(
            name,
            self.counts(name, path=path),
            crashed=self.crashed.get(name),
            not_run=self.not_run.get(name),
            deselected=self.deselected[name],
        )


def results_document(
    *,
    matrix: str | None,
    installer: str,
    started: float,
    finished: float,
    results: Results,
    bundles: Mapping[str, Mapping[str, str]],
    upgrades: Mapping[str, tuple[str, str]],
    #: upgrade path -> what it changes (``bundle diff``'s JSON), when known
    changes: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    sources: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``--workspace-report`` JSON: what ran, against which pins, with what result
    and verdict; ``sources``: the local checkouts swapped in (path, branch, commit,
    dirty)."""

    def stamp(when: float) -> str:
        moment = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
        # Milliseconds: shards re-run within one second must still order correctly.
        return moment.isoformat(timespec="milliseconds")

    envs = results.envs

    def verdict(name: str, *, path: bool = False) -> dict[str, Any]:
        found = results.verdict(name, path=path)
        return {
            "verdict": found.word,
            "why": found.why,
            "outcomes": dict(results.counts(name, path=path)),
            "deselected": results.deselected[name],
        }

    return {
        "schema": SCHEMA,
        "matrix": matrix,
        "installer": installer,
        "started": stamp(started),
        "finished": stamp(finished),
        "tests": [
            {
                "nodeid": result.nodeid,
                "bundle": result.bundle,
                "upgrade_path": result.upgrade_path,
                "outcome": result.outcome,
                "duration": round(result.duration, 4),
                **({"message": result.message} if result.message else {}),
            }
            for result in results.tests.values()
        ],
        "bundles": {
            name: {
                "pins": dict(pins),
                "env": envs[name].key if name in envs else None,
                "build_seconds": envs[name].build_seconds if name in envs else None,
                "built": envs[name].fresh if name in envs else None,
                "installer": envs[name].installer if name in envs else installer,
                **verdict(name),
            }
            for name, pins in bundles.items()
        },
        "sources": {name: dict(info) for name, info in (sources or {}).items()},
        "upgrade_paths": {
            name: {
                "from": source,
                "to": target,
                **verdict(name, path=True),
                **({"changes": list(changes[name])} if changes and name in changes else {}),
            }
            for name, (source, target) in upgrades.items()
        },
    }


# -- reading a results file back ----------------------------------------------------------


@dataclass(frozen=True)
class RecordedTest:
    nodeid: str
    outcome: Outcome
    bundle: str | None = None
    upgrade_path: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class RecordedBundle:
    name: str
    pins: Mapping[str, str]
    verdict: Verdict


@dataclass(frozen=True)
class RecordedPath:
    id: str
    source: str
    target: str
    verdict: Verdict
    #: (component key, from, to, kind) per component that the path changes
    changes: tuple[tuple[str, str | None, str | None, str], ...] = ()


@dataclass(frozen=True)
class ResultsFile:
    """One results file, every value checked and typed."""

    source: str
    started: datetime.datetime
    matrix: str | None = None
    tests: tuple[RecordedTest, ...] = ()
    bundles: Mapping[str, RecordedBundle] = field(default_factory=dict)
    paths: Mapping[str, RecordedPath] = field(default_factory=dict)


class _Reader:
    """Typed access to one results document; every failure names file, key and value."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, expected: str, value: Any) -> Exception:
        from ..errors import WorkspaceError

        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return WorkspaceError(f"{self.source}: {key}: expected {expected}, got {shown}")

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "a table", value)
        return value

    def text(self, value: Any, key: str, *, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.fail(key, "a string" + (" or null" if optional else ""), value)
        return value

    def moment(self, value: Any, key: str) -> datetime.datetime:
        try:
            moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is None:
            raise self.fail(key, "an ISO 8601 timestamp", value)
        # Written by us in UTC; a hand-made file without an offset is read as UTC too, so
        # naive and aware timestamps order together.
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)

    def verdict(self, info: Mapping[str, Any], key: str, name: str, judged: Verdict) -> Verdict:
        """The recorded verdict, never better than what the file's own tests say."""
        word = info.get("verdict")
        if word is None:  # written before verdicts were recorded
            return judged
        if word not in VERDICTS:
            raise self.fail(f"{key}.verdict", f"one of {', '.join(VERDICTS)}", word)
        why = self.text(info.get("why", ""), f"{key}.why")
        recorded = Verdict(word, why or "")
        return worst([recorded, judged]) or recorded

    def outcomes(self, tests: Iterable[RecordedTest], attribute: str, name: str) -> Counter[str]:
        found: Counter[str] = Counter()
        for test in tests:
            if getattr(test, attribute) == name:
                found[test.outcome] += 1
        return found


def read_results(document: object, source: str) -> ResultsFile:
    """Check a results document (``--workspace-report``) and type it; raise one
    :class:`~.errors.WorkspaceError` naming the file, the key and what was expected."""
    read = _Reader(source)
    if not isinstance(document, dict):
        raise read.fail("(top level)", "a results object (pytest --workspace-report)", document)
    if document.get("schema") != SCHEMA:
        raise read.fail(
            "schema", f"{SCHEMA} (a pytest-workspace results file)", document.get("schema")
        )
    started = read.moment(document.get("started"), "started")
    if document.get("finished") is not None:
        read.moment(document["finished"], "finished")
    matrix = read.text(document.get("matrix"), "matrix", optional=True)
    raw_tests = document.get("tests", [])
    if not isinstance(raw_tests, list):
        raise read.fail("tests", "an array", raw_tests)
    tests = []
    for index, test in enumerate(raw_tests):
        key = f"tests[{index}]"
        if not isinstance(test, dict) or not isinstance(test.get("nodeid"), str):
            raise read.fail(
                f"{key}.nodeid", "a test id", test.get("nodeid") if isinstance(test, dict) else test
            )
        if test.get("outcome") not in OUTCOMES:
            raise read.fail(f"{key}.outcome", f"one of {', '.join(OUTCOMES)}", test.get("outcome"))
        values = {
            name: read.text(test.get(name), f"{key}.{name}", optional=True)
            for name in ("bundle", "upgrade_path", "message")
        }
        tests.append(RecordedTest(test["nodeid"], test["outcome"], **values))
    bundles = {}
    for name, info in read.table(document.get("bundles", {}), "bundles").items():
        key = f"bundles.{name}"
        pins = info.get("pins") if isinstance(info, dict) else None
        if not isinstance(pins, dict) or not all(isinstance(v, str) for v in pins.values()):
            raise read.fail(f"{key}.pins", "a table of component versions", pins)
        judged = judge(
            name, read.outcomes(tests, "bundle", name), deselected=_count(info, read, key)
        )
        bundles[name] = RecordedBundle(name, pins, read.verdict(info, key, name, judged))
    paths = {}
    for name, info in read.table(document.get("upgrade_paths", {}), "upgrade_paths").items():
        key = f"upgrade_paths.{name}"
        ends = []
        for end in ("from", "to"):
            value = info.get(end) if isinstance(info, dict) else None
            if not isinstance(value, str):
                raise read.fail(f"{key}.{end}", "a bundle or component@version", value)
            ends.append(value)
        changes = _changes(info.get("changes", []), read, f"{key}.changes")
        judged = judge(
            name, read.outcomes(tests, "upgrade_path", name), deselected=_count(info, read, key)
        )
        paths[name] = RecordedPath(
            name, ends[0], ends[1], read.verdict(info, key, name, judged), changes
        )
    return ResultsFile(source, started, matrix, tuple(tests), bundles, paths)


def _count(info: Mapping[str, Any], read: _Reader, key: str) -> int:
    value = info.get("deselected", 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise read.fail(f"{key}.deselected", "a count of tests", value)
    return value


def _changes(
    value: Any, read: _Reader, key: str
) -> tuple[tuple[str, str | None, str | None, str], ...]:
    if not isinstance(value, list):
        raise read.fail(key, "an array of changes", value)
    found = []
    for index, change in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(change, dict):
            raise read.fail(where, "a table with key, from, to and change", change)
        found.append(
            (
                str(read.text(change.get("key"), f"{where}.key")),
                read.text(change.get("from"), f"{where}.from", optional=True),
                read.text(change.get("to"), f"{where}.to", optional=True),
                str(read.text(change.get("change", ""), f"{where}.change")),
            )
        )
    return tuple(found)


def check_report_target(target: str | None) -> None:
    """Fail at the start, not after the tests ran, when the report cannot be written."""
    if not target:
        return
    import os
    from pathlib import Path

    from ..errors import WorkspaceError

    path = Path(target)
    parent = path.parent
    problem = None
    if parent.exists() and not parent.is_dir():
        problem = f"{parent} is not a directory"
    elif path.is_dir():
        problem = "it is a directory"
    else:
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            problem = f"cannot create {parent}: {error.strerror}"
        else:
            if not os.access(parent, os.W_OK):
                problem = f"{parent} is not writable"
    if problem:
        raise WorkspaceError(f"--workspace-report {target}: {problem}")
