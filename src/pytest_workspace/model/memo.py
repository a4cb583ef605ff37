"""Memoised verdicts for ``check``: which pins fail which compatibility rows.

A 5,000-bundle matrix asks ~660,000 "does this pin satisfy that row" questions about a
few hundred distinct pins (the loader shares equal :class:`~.matrix.Pin` objects, and
rows that say the same thing share one ``requires`` tuple). Each distinct pin gets a
bit; each distinct ``requires`` a :class:`Verdict` holding the mask of the pins judged
against it and of those that fail it. A bundle is then the mask of its pins, and "is
every pair judged, does any pin fail a row" are a few integer operations per bundle that
``map`` runs without a Python-level step per pin.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .matrix import Constraint, Matrix, Pin, Rule

__all__ = ["Judge", "Record", "Verdict"]


class Verdict:
    """What one row's constraints say of the pins judged against them so far."""

    __slots__ = ("failing", "on", "reasons", "seen")

    def __init__(self, requires: tuple[Constraint, ...] | None) -> None:
        self.on: dict[str, list[Constraint]] = {}
        for constraint in requires or ():
            self.on.setdefault(constraint.component, []).append(constraint)
        #: mask of the pins judged (all of them when there is no row)
        self.seen = 0 if requires is not None else -1
        #: mask of the pins that fail, and the constraints each fails, per pin id
        self.failing = 0
        self.reasons: dict[int, tuple[Constraint, ...]] = {}


#: a pin's verdict, whether its row is inherited from its series, its bit, and its row
Record = tuple[Verdict, bool, int, "Rule | None"]


class Judge:
    """The memo one matrix keeps across ``check_pins`` calls."""

    __slots__ = ("named", "pins", "records", "special", "verdicts")

    def __init__(self) -> None:
        #: every pin judged, kept alive so that no id is reused; its index is its bit
        self.pins: list[Pin] = []
        self.records: dict[int, Record] = {}
        #: per ``id(rule.requires)``; the rules keep those tuples alive
        self.verdicts: dict[int, Verdict] = {}
        #: mask of the pins that carry a notice of their own (no row, or an inherited one)
        self.special = 0
        #: every component that a row recorded so far names
        self.named: frozenset[str] = frozenset()

    def record(self, matrix: Matrix, pin: Pin) -> Record:
        found = self.records.get(id(pin))
        if found is not None:
            return found
        rule, inherited = matrix.rule_for(pin.component, pin.version)
        requires = None if rule is None else rule.requires
        verdict = self.verdicts.get(id(requires))
        if verdict is None:
            verdict = self.verdicts[id(requires)] = Verdict(requires)
        if rule is not None and not rule.components <= self.named:
            self.named |= rule.components
        bit = 1 << len(self.pins)
        self.pins.append(pin)
        if inherited or (rule is None and matrix.rules.get(pin.component)):
            self.special |= bit
        found = self.records[id(pin)] = (verdict, inherited, bit, rule)
        return found

    @staticmethod
    def judge(matrix: Matrix, verdict: Verdict, pins: Sequence[Pin], bits: Sequence[int]) -> None:
        """Judge the pins (recorded, with these bits) that ``verdict`` has not seen."""
        on, seen = verdict.on, verdict.seen
        for pin, bit in zip(pins, bits):
            if seen & bit:
                continue
            seen |= bit
            constraints = on.get(pin.component)
            if constraints is None:
                continue
            failed = tuple(c for c in constraints if not matrix.allows(c, pin.version))
            if failed:
                verdict.failing |= bit
                verdict.reasons[id(pin)] = failed
        verdict.seen = seen
