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

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from packaging.version import Version

from ..model.matrix import Matrix, Pin
from ..model.validity import check_pins

__all__ = ["Bisection", "Change", "Step", "bisect", "combination_of", "narrow"]

Outcome = Literal["pass", "fail", "skip"]
#: runs the user's command against a ``--combination`` spec; the outcome and why
Run = Callable[[str], tuple[Outcome, str]]


@dataclass(frozen=True)
class Change:
    """One pin key moving from GOOD's version to BAD's (None: absent on that side); or,
    with ``dependency``, a distribution the two locks hold at different versions."""

    key: str
    good: Pin | None
    bad: Pin | None
    #: a dependency of a dependency (from the locks): versions as text, no pins
    dependency: tuple[str | None, str | None] | None = None

    def __str__(self) -> str:
        if self.dependency is not None:
            old, new = (version or "absent" for version in self.dependency)
            return f"{self.key} {old} -> {new} (a dependency)"
        old = str(self.good.version) if self.good else "absent"
        new = str(self.bad.version) if self.bad else "absent"
        return f"{self.key} {old} -> {new}"


def dependency_changes(good: Mapping[str, str], bad: Mapping[str, str]) -> list[Change]:
    """The distributions two locks (name -> version, components left out) hold at
    different versions, or one of them only."""
    return [
        Change(name, None, None, (good.get(name), bad.get(name)))
        for name in sorted({*good, *bad})
        if good.get(name) != bad.get(name)
    ]


def constraints_of(good: Mapping[str, str], changes: Sequence[Change]) -> dict[str, str]:
    """GOOD's locked dependencies with ``changes``' dependency moves applied."""
    found = dict(good)
    for change in changes:
        if change.dependency is None:
            continue
        new = change.dependency[1]
        if new is None:
            found.pop(change.key, None)
        else:
            found[change.key] = new
    return found


@dataclass(frozen=True)
class Step:
    """One run: the combination, its outcome and why it was skipped (if it was)."""

    number: int
    spec: str
    applied: tuple[str, ...]
    outcome: Outcome
    why: str = ""
    #: the locked dependencies the step held at their versions (name -> version)
    constraints: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Bisection:
    steps: list[Step] = field(default_factory=list)
    culprit: tuple[Change, ...] = ()
    #: the first bad release of the culprit component (``--from-index``), if narrowed
    first_bad: tuple[str, str | None, str] | None = None
    #: the combination that reproduces the verdict, and the locked dependencies with it
    reproduce: str = ""
    constraints: Mapping[str, str] = field(default_factory=dict)


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
        if change.dependency is not None:
            continue  # a lock's dependency: constraints_of
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
        run: Run,
        report: Callable[[Step], None],
        bisection: Bisection,
    ) -> None:
        self.matrix, self.run, self.report, self.bisection = matrix, run, report, bisection
        self.seen: dict[str, Outcome] = {}

    def outcome(
        self,
        pins: Sequence[Pin],
        applied: Sequence[str],
        constraints: Mapping[str, str] | None = None,
    ) -> Outcome:
        constraints = dict(constraints or {})
        # Locked dependencies are pinned like components (a name the matrix does not
        # declare is its own distribution), so one spec says all a step tests.
        spec = combination_of([*pins, *_dependency_pins(constraints)])
        memo = _memo(spec, constraints)
        if memo in self.seen:
            return self.seen[memo]
        refused = [n for n in check_pins(self.matrix, pins, "bisect") if n.level == "error"]
        if refused:
            outcome: Outcome = "skip"
            why = f"the rows refuse it: {refused[0].message}"
        else:
            outcome, why = self.run(spec)
        step = Step(len(self.bisection.steps) + 1, spec, tuple(applied), outcome, why, constraints)
        self.bisection.steps.append(step)
        self.report(step)
        self.seen[memo] = outcome
        return outcome


def _dependency_pins(constraints: Mapping[str, str]) -> list[Pin]:
    return [Pin(name, Version(version), name) for name, version in sorted(constraints.items())]


def _memo(spec: str, constraints: Mapping[str, str]) -> str:
    return spec + "".join(f";{k}=={v}" for k, v in sorted(constraints.items()))


def bisect(
    matrix: Matrix,
    good: Sequence[Pin],
    bad: Sequence[Pin],
    run: Run,
    report: Callable[[Step], None] = lambda step: None,
    locked: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
) -> tuple[Bisection, str | None]:
    """The smallest set of changes from ``good`` to ``bad`` that fails; with the
    problem when GOOD does not pass or BAD does not fail (nothing is searched then).
    ``locked``: the dependencies GOOD's and BAD's locks hold (components left out),
    which take part as changes too; every step holds them at GOOD's versions but for
    the ones it moves."""
    bisection = Bisection()
    runner = _Runner(matrix, run, report, bisection)
    changes = changes_between(good, bad)
    before, after = locked or ({}, {})
    changes += dependency_changes(before, after)
    if runner.outcome(good, ["GOOD"], before) != "pass":
        return bisection, "GOOD does not pass: there is nothing to bisect from"
    if runner.outcome(bad, ["BAD"], after) != "fail":
        return bisection, "BAD does not fail: there is no break to find"
    if not changes:
        return bisection, "GOOD and BAD pin the same versions"

    def fails(subset: Sequence[Change]) -> bool:
        pins = apply(good, subset)
        applied = [str(c) for c in subset]
        return runner.outcome(pins, applied, constraints_of(before, subset)) == "fail"

    culprit = _ddmin(changes, fails)
    bisection.culprit = tuple(culprit)
    bisection.constraints = constraints_of(before, culprit)
    pins = [*apply(good, culprit), *_dependency_pins(bisection.constraints)]
    bisection.reproduce = combination_of(pins)
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
    run: Run,
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
    runner.seen.update({_memo(s.spec, s.constraints): s.outcome for s in bisection.steps})
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
        moved = [f"{culprit.key} {culprit.good.version} -> {pin.version}"]
        outcome = runner.outcome(pins, moved, bisection.constraints)
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
