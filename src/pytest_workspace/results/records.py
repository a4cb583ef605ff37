"""Test results attributed to bundles and upgrade paths, for one run.

The plugin feeds reports in (:meth:`Results.record`); this module knows nothing of
pytest's types. The results file is :mod:`.document`'s.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .verdict import Verdict, judge

if TYPE_CHECKING:
    from ..envs.env import Env

__all__ = [
    "OUTCOMES",
    "EnvRecord",
    "Outcome",
    "Results",
    "TestResult",
    "classify",
    "counts",
    "describe_counts",
    "excerpt",
]

Outcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]

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


# -- reading a results file back ----------------------------------------------------------
