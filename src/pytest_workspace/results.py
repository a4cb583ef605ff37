"""Test results attributed to bundles and upgrade paths, and the results JSON.

The plugin feeds reports in (:meth:`Results.record`); this module knows nothing of
pytest's types, so the CLI's ``report`` command and other front-ends read the same data.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .env import Env

__all__ = [
    "OUTCOMES",
    "EnvRecord",
    "Outcome",
    "Results",
    "TestResult",
    "check_document",
    "check_report_target",
    "classify",
    "counts",
    "excerpt",
    "path_outcome",
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


def path_outcome(counter: Counter[str]) -> str:
    """One word for an upgrade path: failed beats error beats xpassed beats the rest."""
    for outcome in ("failed", "error", "xpassed", "passed", "xfailed", "skipped"):
        if counter[outcome]:
            return outcome
    return "not run"


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
    """Outcomes per test, and how each bundle's env was obtained, for one run."""

    tests: dict[tuple[str, str | None], TestResult] = field(default_factory=dict)
    envs: dict[str, EnvRecord] = field(default_factory=dict)

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


def results_document(
    *,
    matrix: str | None,
    installer: str,
    started: float,
    finished: float,
    results: Sequence[TestResult],
    bundles: Mapping[str, Mapping[str, str]],
    upgrades: Mapping[str, tuple[str, str]],
    #: upgrade path -> what it changes (``bundle diff``'s JSON), when known
    changes: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    envs: Mapping[str, EnvRecord],
    sources: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The ``--workspace-report`` JSON: what ran, against which pins, with what result;
    ``sources``: the local checkouts swapped in (path, branch, commit, dirty)."""

    def stamp(when: float) -> str:
        moment = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
        # Milliseconds: shards re-run within one second must still order correctly.
        return moment.isoformat(timespec="milliseconds")

    by_bundle = counts(results, "bundle")
    by_path = counts(results, "upgrade_path")
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
            for result in results
        ],
        "bundles": {
            name: {
                "pins": dict(pins),
                "env": envs[name].key if name in envs else None,
                "build_seconds": envs[name].build_seconds if name in envs else None,
                "built": envs[name].fresh if name in envs else None,
                "installer": envs[name].installer if name in envs else installer,
                "outcomes": dict(by_bundle.get(name, Counter())),
            }
            for name, pins in bundles.items()
        },
        "sources": {name: dict(info) for name, info in (sources or {}).items()},
        "upgrade_paths": {
            name: {
                "from": source,
                "to": target,
                "outcome": path_outcome(by_path.get(name, Counter())),
                "outcomes": dict(by_path.get(name, Counter())),
                **({"changes": list(changes[name])} if changes and name in changes else {}),
            }
            for name, (source, target) in upgrades.items()
        },
    }


def check_document(document: object, source: str) -> dict[str, Any]:
    """Validate a results file (``--workspace-report``) before anything reads it; raise
    one :class:`~.errors.WorkspaceError` naming the file, the key and what was expected."""
    from .errors import WorkspaceError

    def fail(key: str, expected: str, value: Any) -> WorkspaceError:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return WorkspaceError(f"{source}: {key}: expected {expected}, got {shown}")

    if not isinstance(document, dict):
        raise fail("(top level)", "a results object (pytest --workspace-report)", document)
    if document.get("schema") != SCHEMA:
        raise fail("schema", f"{SCHEMA} (a pytest-workspace results file)", document.get("schema"))
    try:
        moment = datetime.datetime.fromisoformat(str(document.get("started")))
    except ValueError:
        raise fail("started", "an ISO 8601 timestamp", document.get("started")) from None
    if moment.tzinfo is None:
        # Written by us in UTC; a hand-made file without an offset is read as UTC too, so
        # naive and aware timestamps can be ordered together.
        document = {**document, "started": moment.replace(tzinfo=datetime.timezone.utc).isoformat()}
    for name in ("bundles", "upgrade_paths"):
        if not isinstance(document.get(name, {}), dict):
            raise fail(name, "a table", document.get(name))
    for name, info in document.get("bundles", {}).items():
        pins = info.get("pins") if isinstance(info, dict) else None
        if not isinstance(pins, dict) or not all(isinstance(v, str) for v in pins.values()):
            raise fail(f"bundles.{name}.pins", "a table of component versions", pins)
    for name, info in document.get("upgrade_paths", {}).items():
        for end in ("from", "to"):
            value = info.get(end) if isinstance(info, dict) else None
            if not isinstance(value, str):
                raise fail(f"upgrade_paths.{name}.{end}", "a bundle or component@version", value)
    tests = document.get("tests", [])
    if not isinstance(tests, list):
        raise fail("tests", "an array", tests)
    for index, test in enumerate(tests):
        key = f"tests[{index}]"
        if not isinstance(test, dict) or not isinstance(test.get("nodeid"), str):
            raise fail(
                f"{key}.nodeid", "a test id", test.get("nodeid") if isinstance(test, dict) else test
            )
        if test.get("outcome") not in OUTCOMES:
            raise fail(f"{key}.outcome", f"one of {', '.join(OUTCOMES)}", test.get("outcome"))
        for name in ("bundle", "upgrade_path", "message"):
            if not isinstance(test.get(name), (str, type(None))):
                raise fail(f"{key}.{name}", "a string or null", test.get(name))
    return document


def check_report_target(target: str | None) -> None:
    """Fail at the start, not after the tests ran, when the report cannot be written."""
    if not target:
        return
    import os
    from pathlib import Path

    from .errors import WorkspaceError

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
