"""Finding the cause between two combinations: which component changes turn a passing
suite red (``pytest-workspace bisect GOOD BAD``).

The changes are the pin keys whose versions differ between GOOD and BAD (or that one
of them lacks). A step applies some of them to GOOD and asks the caller's ``run`` for
the outcome of the user's own test command against that combination. The search is
delta debugging (Zeller and Hildebrandt's *ddmin*): it narrows the set of changes to a
1-minimal one that still fails, so a break that needs two changes at once is found as
that pair. A step whose combination the rows refuse (changes the rows force to move
together, applied apart) or that cannot be built is *unresolved*: ddmin treats it as not
failing, so such changes end up in the result together.

Then, for a culprit that is one component, ``narrow`` bisects the releases between its
two versions (``--from-index``) to the first bad one, skipping versions that cannot be
judged, as ``git bisect skip`` does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from packaging.version import Version

from ..model.matrix import Matrix, Pin
from ..model.validity import check_pins

__all__ = ["Bisection", "Change", "Step", "bisect", "combination_of", "narrow"]

Outcome = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Change:
    """One pin key moving from GOOD's version to BAD's (None: absent on that side)."""

    key: str
    good: Pin | None
    bad: Pin | None

    def __str__(self) -> str:
        old = str(self.good.version) if self.good else "absent"
        new = str(self.bad.version) if self.bad else "absent"
        return f"{self.key} {old} -> {new}"


@dataclass(frozen=True)
class Step:
    """One run: the combination, its outcome and why it was skipped (if it was)."""

    number: int
    spec: str
    applied: tuple[str, ...]
    outcome: Outcome
    why: str = ""


@dataclass
class Bisection:
    steps: list[Step] = field(default_factory=list)
    culprit: tuple[Change, ...] = ()
    #: the first bad release of the culprit component (``--from-index``), if narrowed
    first_bad: tuple[str, str | None, str] | None = None
    #: the combination that reproduces the verdict
    reproduce: str = ""


def combination_of(pins: Sequence[Pin]) -> str:
    """A ``--combination`` spec: ``core=3.1.5,extensions=mongodb@1.2.0``."""
    return ",".join(
        f"{pin.component}={pin.member}@{pin.version}" if pin.member else f"{pin.key}={pin.version}"
        for pin in pins
    )


def changes_between(good: Sequence[Pin], bad: Sequence[Pin]) -> list[Change]:
    before = {pin.key: pin for pin in good}
    after = {pin.key: pin for pin in bad}
    keys = list(dict.fromkeys([*before, *after]))
    return [
        Change(key, before.get(key), after.get(key))
        for key in keys
        if before.get(key) is None
        or after.get(key) is None
        or before[key].version != after[key].version
    ]


def apply(good: Sequence[Pin], changes: Sequence[Change]) -> tuple[Pin, ...]:
    pins = {pin.key: pin for pin in good}
    for change in changes:
        if change.bad is None:
            pins.pop(change.key, None)
        else:
            pins[change.key] = change.bad
    return tuple(pins.values())


class _Runner:
    """Runs (and remembers) steps: the rows are asked first; a combination they refuse
    is skipped without running anything."""

    def __init__(
        self,
        matrix: Matrix,
        run: Callable[[str], tuple[Outcome, str]],
        report: Callable[[Step], None],
        bisection: Bisection,
    ) -> None:
        self.matrix, self.run, self.report, self.bisection = matrix, run, report, bisection
        self.seen: dict[str, Outcome] = {}

    def outcome(self, pins: Sequence[Pin], applied: Sequence[str]) -> Outcome:
        spec = combination_of(pins)
        if spec in self.seen:
            return self.seen[spec]
        refused = [n for n in check_pins(self.matrix, pins, "bisect") if n.level == "error"]
        if refused:
            outcome: Outcome = "skip"
            why = f"the rows refuse it: {refused[0].message}"
        else:
            outcome, why = self.run(spec)
        step = Step(len(self.bisection.steps) + 1, spec, tuple(applied), outcome, why)
        self.bisection.steps.append(step)
        self.report(step)
        self.seen[spec] = outcome
        return outcome


def bisect(
    matrix: Matrix,
    good: Sequence[Pin],
    bad: Sequence[Pin],
    run: Callable[[str], tuple[Outcome, str]],
    report: Callable[[Step], None] = lambda step: None,
) -> tuple[Bisection, str | None]:
    """The smallest set of changes from ``good`` to ``bad`` that fails; with the
    problem when GOOD does not pass or BAD does not fail (nothing is searched then)."""
    bisection = Bisection()
    runner = _Runner(matrix, run, report, bisection)
    changes = changes_between(good, bad)
    if runner.outcome(good, ["GOOD"]) != "pass":
        return bisection, "GOOD does not pass: there is nothing to bisect from"
    if runner.outcome(bad, ["BAD"]) != "fail":
        return bisection, "BAD does not fail: there is no break to find"
    if not changes:
        return bisection, "GOOD and BAD pin the same versions"

    def fails(subset: Sequence[Change]) -> bool:
        pins = apply(good, subset)
        return runner.outcome(pins, [str(c) for c in subset]) == "fail"

    culprit = _ddmin(changes, fails)
    bisection.culprit = tuple(culprit)
    bisection.reproduce = combination_of(apply(good, culprit))
    return bisection, None


def _ddmin(changes: list[Change], fails: Callable[[Sequence[Change]], bool]) -> list[Change]:
    """Zeller's ddmin: a 1-minimal failing subset (every change in it is needed)."""
    current = list(changes)
    granularity = 2
    while len(current) >= 2:
        size = len(current)
        chunks = [
            current[size * n // granularity : size * (n + 1) // granularity]
            for n in range(granularity)
        ]
        chunks = [chunk for chunk in chunks if chunk]
        reduced = False
        for chunk in chunks:  # a subset that fails alone
            if fails(chunk):
                current, granularity, reduced = chunk, 2, True
                break
        if not reduced:
            for chunk in chunks:  # a complement that fails
                complement = [c for c in current if c not in chunk]
                if len(chunks) > 2 and fails(complement):
                    current = complement
                    granularity = max(granularity - 1, 2)
                    reduced = True
                    break
        if not reduced:
            if granularity >= len(current):
                break
            granularity = min(granularity * 2, len(current))
    return current


def narrow(
    matrix: Matrix,
    good: Sequence[Pin],
    culprit: Change,
    others: Sequence[Change],
    releases: Sequence[Version],
    run: Callable[[str], tuple[Outcome, str]],
    bisection: Bisection,
    report: Callable[[Step], None] = lambda step: None,
) -> tuple[str, str | None, str] | None:
    """The first bad release of the culprit component between its GOOD and BAD
    versions (``releases``: what the index offers), everything else as GOOD plus
    ``others`` (the rest of a multi-change culprit): ``(key, last good, first bad)``."""
    assert culprit.good is not None
    assert culprit.bad is not None
    low, high = culprit.good.version, culprit.bad.version
    between = sorted(v for v in releases if low < v < high)
    if not between:
        return None
    runner = _Runner(matrix, run, report, bisection)
    runner.seen.update({s.spec: s.outcome for s in bisection.steps})
    candidates = [*between, high]  # the first bad one is among these
    last_good: Version | None = low
    lo, hi = 0, len(candidates) - 1  # candidates[hi] is known to fail
    skipped: set[int] = set()
    while lo < hi:
        middle = (lo + hi) // 2
        probe = next((m for m in range(middle, hi) if m not in skipped), None)
        if probe is None:
            break
        pin = dataclasses.replace(culprit.bad, version=candidates[probe])
        pins = apply(apply(good, others), [Change(culprit.key, culprit.good, pin)])
        outcome = runner.outcome(pins, [f"{culprit.key} {culprit.good.version} -> {pin.version}"])
        if outcome == "skip":
            skipped.add(probe)
            continue
        if outcome == "fail":
            hi = probe
        else:
            lo = probe + 1
            last_good = candidates[probe]
    first_bad = candidates[hi]
    unjudged = [str(candidates[i]) for i in sorted(skipped) if i < hi]
    before = str(last_good) if last_good is not None else None
    if unjudged:
        before = None  # a skipped release sits between: the last good one is not known
    return culprit.key, before, str(first_bad)
