"""What counts as green: one rule, for every front-end.

A bundle, combination or upgrade path is green only when at least one test ran in it
and nothing failed, errored or crashed there. Each gets one verdict:

- ``crashed``: its test processes died before they could report (whole-suite workers
  that crash while starting, or more often than the restart bound allows);
- ``failed``: a test failed (an unexpected pass of a strict ``xfail`` included);
- ``error``: a test errored in setup or teardown, or a test module failed to import;
- ``not run``: nothing ran in it (every test deselected or skipped, its env not usable),
  with why;
- ``passed``: at least one test ran (passed, or failed as declared with ``xfail``) and
  nothing above happened.

The pytest plugin (every mode), tox, nox, ``report`` and the results file all take the
verdict from here, and exit codes follow it: a run that did not test what it was asked
to test never looks like a pass. Pure functions, no pytest.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["RAN", "VERDICTS", "Verdict", "Word", "judge", "nothing_ran", "worst"]

Word = Literal["passed", "failed", "error", "crashed", "not run"]
#: the verdicts, worst first
VERDICTS: tuple[Word, ...] = ("crashed", "failed", "error", "not run", "passed")
#: outcomes of a test that ran (a skip did not; an expected failure did)
RAN = ("passed", "failed", "error", "xfailed", "xpassed")


@dataclass(frozen=True)
class Verdict:
    """The one word for a bundle or upgrade path, and why when it is not ``passed``."""

    word: Word
    why: str = ""

    @property
    def green(self) -> bool:
        return self.word == "passed"

    def fails(self, *, allow_not_run: bool = False) -> bool:
        """Whether this verdict makes the run fail (``allow_not_run``: the user gates
        whole bundles away on purpose, ini ``workspace_allow_not_run``)."""
        return not (self.green or (allow_not_run and self.word == "not run"))

    def __str__(self) -> str:
        return f"{self.word}: {self.why}" if self.why else self.word


def _errors(count: int) -> str:
    return f"{count} error{'' if count == 1 else 's'}"


def nothing_ran(name: str, outcomes: Mapping[str, int], deselected: int = 0) -> str:
    """``no tests ran in lts-3.1: 3 deselected, 2 skipped`` (or ``none selected``)."""
    parts = []
    if deselected:
        parts.append(f"{deselected} deselected")
    if outcomes.get("skipped"):
        parts.append(f"{outcomes['skipped']} skipped")
    return f"no tests ran in {name}: {', '.join(parts) or 'no test selected it'}"


def judge(
    name: str,
    outcomes: Mapping[str, int],
    *,
    crashed: str | None = None,
    not_run: str | None = None,
    deselected: int = 0,
) -> Verdict:
    """The verdict of bundle (or upgrade path) ``name`` from its tests' outcomes
    (outcome to count), why its processes crashed, and why it could not run at all."""
    if crashed:
        return Verdict("crashed", crashed)
    failed, errors = outcomes.get("failed", 0), outcomes.get("error", 0)
    if failed:
        return Verdict("failed", f"{failed} failed" + (f", {_errors(errors)}" if errors else ""))
    if errors:
        return Verdict("error", _errors(errors))
    if not any(outcomes.get(outcome) for outcome in RAN):
        return Verdict("not run", not_run or nothing_ran(name, outcomes, deselected))
    return Verdict("passed")


def worst(verdicts: Iterable[Verdict]) -> Verdict | None:
    """The worst of ``verdicts`` (None when there are none)."""
    return min(verdicts, key=lambda verdict: VERDICTS.index(verdict.word), default=None)
