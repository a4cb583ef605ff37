"""The results file (``--workspace-report``): written by :func:`results_document` from a
run's :class:`~.records.Results`, and read back through :func:`read_results`, which
checks every value it takes and turns it into typed records (like packaging's
``pylock``), so a malformed file is one error naming the file, the key and what was
expected. A recorded verdict is never taken as better than the file's own tests say.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .records import OUTCOMES, Outcome, Results
from .verdict import VERDICTS, Verdict, judge, worst

__all__ = [
    "SCHEMA",
    "RecordedBundle",
    "RecordedPath",
    "RecordedTest",
    "ResultsFile",
    "check_report_target",
    "read_results",
    "results_document",
]

SCHEMA = 1


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
