"""Whether combinations are valid: the rows that apply, both directions, family members
each, dates, coverage and names, and upgrade paths. (How names read to tox is
:mod:`.envnames`' concern, and ``check`` asks it too.) Read-only over a
:class:`~.matrix.Matrix`; a large matrix asks the same questions thousands of times, so
answers are memoised on the matrix (``rule_for``, ``allows``, and :mod:`.memo`).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import datetime
import functools
import itertools
import operator
from collections.abc import Iterable, Sequence
from typing import cast

from .matrix import Bundle, Matrix, Notice, Pin, Rule, UpgradePath
from .memo import Judge, Record, Verdict

__all__ = ["check_matrix", "check_pins", "check_upgrade", "completion"]


def _judge(matrix: Matrix) -> Judge:
    """The memo of verdicts this matrix keeps across calls (made on first use)."""
    found = matrix.memos.get("judge")
    if not isinstance(found, Judge):
        found = matrix.memos["judge"] = Judge()
    return found


def check_pins(matrix: Matrix, pins: Sequence[Pin], key: str) -> list[Notice]:
    """Validate a combination in both directions: every row that applies to one of
    its pins must be satisfied by every other pin it names (family members each)."""
    notices: list[Notice] = []
    _check_pins(matrix, pins, key, notices)
    return notices


_VERDICT, _BIT = operator.itemgetter(0), operator.itemgetter(2)
_SEEN, _FAILING = operator.attrgetter("seen"), operator.attrgetter("failing")
_COMPONENT, _LEVEL = operator.attrgetter("component"), operator.attrgetter("level")


def _check_pins(
    matrix: Matrix,
    pins: Sequence[Pin],
    key: str,
    notices: list[Notice],
    pinned: frozenset[str] = frozenset(),
    uncovered: list[Notice] | None = None,
) -> None:
    """:func:`check_pins` into ``notices``; with ``uncovered``, also the components that
    an applying row names but ``pinned`` (the bundle's components) leaves out.

    The per-bundle steps run through ``map`` over the judge's bit masks (see
    :mod:`.memo`): at 5,000 bundles a Python-level step per pin is most of the time.
    """
    judge = _judge(matrix)
    known = list(map(judge.records.get, map(id, pins)))
    if None in known:
        records = [judge.record(matrix, pin) for pin in pins]
    else:
        records = cast("list[Record]", known)
    bits = list(map(_BIT, records))
    mask = functools.reduce(operator.or_, bits, 0)
    verdicts = list(map(_VERDICT, records))
    if not all(map(mask.__eq__, map(mask.__and__, map(_SEEN, verdicts)))):
        for verdict in verdicts:
            if verdict.seen & mask != mask:
                judge.judge(matrix, verdict, pins, bits)
    if mask & judge.special or (uncovered is not None and not judge.named <= pinned):
        for pin, (verdict, inherited, _, rule) in zip(pins, records):
            _check_pin(matrix, pin, rule, verdict, inherited, pins, bits, key, notices)
            if uncovered is not None and rule is not None and not rule.components <= pinned:
                uncovered.extend(
                    Notice(
                        "warning",
                        key,
                        f"{rule.key} ({pin}) requires {constraint.text}, but the bundle "
                        f"pins no {constraint.component}",
                    )
                    for constraint in rule.requires
                    if constraint.component not in pinned
                )
        return
    failing = map(mask.__and__, map(_FAILING, verdicts))
    for pin, (verdict, _, _, rule) in itertools.compress(zip(pins, records), failing):
        assert rule is not None  # a pin without a row fails nothing
        _errors(pin, rule, verdict, pins, bits, key, notices)


def _check_pin(
    matrix: Matrix,
    pin: Pin,
    rule: Rule | None,
    verdict: Verdict,
    inherited: bool,
    pins: Sequence[Pin],
    bits: Sequence[int],
    key: str,
    notices: list[Notice],
) -> None:
    """One pin's own notices (no row, an inherited row), then its row's errors."""
    if rule is None:
        rows = matrix.rules.get(pin.component)
        if rows:
            listed = ", ".join(str(row.version) for row in rows)
            notices.append(
                Notice(
                    "warning",
                    key,
                    f"{pin} has no compatibility row "
                    f"(compatibility.{pin.component} lists {listed})",
                )
            )
        return
    if inherited:
        series = ".".join(str(part) for part in pin.version.release[:2])
        notices.append(
            Notice(
                "info",
                key,
                f"{pin} uses the row of {rule.version} ({rule.key}), "
                f"inherited within the {series} series",
            )
        )
    if verdict.failing:
        _errors(pin, rule, verdict, pins, bits, key, notices)


def _errors(
    pin: Pin,
    rule: Rule,
    verdict: Verdict,
    pins: Sequence[Pin],
    bits: Sequence[int],
    key: str,
    notices: list[Notice],
) -> None:
    failing = verdict.failing
    for other in itertools.compress(pins, map(failing.__and__, bits)):
        for constraint in verdict.reasons[id(other)]:
            notices.append(
                Notice(
                    "error",
                    key,
                    f"{other} does not satisfy {rule.key}: {constraint.text} "
                    f"(needs {constraint.expanded}) required by {pin}",
                )
            )


def check_matrix(matrix: Matrix, today: datetime.date | None = None) -> list[Notice]:
    """Every finding about this matrix: load notes, bundles, dates, upgrade paths."""
    today = today or datetime.date.today()
    notices = list(matrix.notes)
    notices.extend(_check_row_names(matrix))
    invalid: set[str] = set()
    declared = matrix.components.keys()
    for bundle in matrix.bundles.values():
        found: list[Notice] = []
        uncovered: list[Notice] = []
        pinned = frozenset(map(_COMPONENT, bundle.pins))
        _check_pins(matrix, bundle.pins, bundle.key, found, pinned, uncovered)
        if found and "error" in map(_LEVEL, found):
            invalid.add(bundle.name)
        notices.extend(found)
        if declared and not pinned <= declared:
            notices.extend(_undeclared_pins(matrix, bundle))
        notices.extend(uncovered)
        if bundle.lts_until is not None and bundle.lts_until < today:
            notices.append(
                Notice(
                    "warning",
                    bundle.key,
                    f"out of support since {bundle.lts_until.isoformat()} (lts-until)",
                )
            )
    first: dict[str, int] = {}
    for index, path in enumerate(matrix.upgrades):
        key = f"upgrades[{index}]"
        if path.id in first:
            notices.append(
                Notice(
                    "error",
                    key,
                    f"{path.id} is declared twice (also upgrades[{first[path.id]}])",
                )
            )
        first.setdefault(path.id, index)
        if path.source.label == path.target.label:
            notices.append(Notice("error", key, f"{path.id} goes from and to the same place"))
        notices.extend(check_upgrade(matrix, path, key, invalid))
    return notices


def _undeclared(matrix: Matrix, name: str, key: str) -> Notice | None:
    """With ``[components]`` declared, a name it does not list is likely a typo."""
    if not matrix.components or name in matrix.components:
        return None
    import difflib

    close = difflib.get_close_matches(name, list(matrix.components), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    known = ", ".join(matrix.components)
    return Notice("warning", key, f"{name!r} is not a declared component ({known}){hint}")


def _check_row_names(matrix: Matrix) -> list[Notice]:
    notices = []
    for component, rules in matrix.rules.items():
        found = _undeclared(matrix, component, f"compatibility.{component}")
        if found:
            notices.append(found)
        names = {constraint.component for rule in rules for constraint in rule.requires}
        for name in sorted(names):
            found = _undeclared(matrix, name, f"compatibility.{component}")
            if found:
                notices.append(found)
    return notices


def _undeclared_pins(matrix: Matrix, bundle: Bundle) -> list[Notice]:
    notices = []
    for component in dict.fromkeys(pin.component for pin in bundle.pins):
        found = _undeclared(matrix, component, f"{bundle.key}.{component}")
        if found:
            notices.append(found)
    return notices


def check_upgrade(
    matrix: Matrix, path: UpgradePath, key: str, invalid: Iterable[str] = ()
) -> list[Notice]:
    """Both ends valid (``invalid`` names bundles already found invalid; ends that
    are not bundles are checked here) and nothing moves backwards."""
    invalid = set(invalid)
    notices: list[Notice] = []
    for end, name in ((path.source, "from"), (path.target, "to")):
        if end.bundle is not None:
            if end.bundle in invalid:
                notices.append(Notice("error", key, f"{name} bundle {end.bundle!r} is not valid"))
        else:
            found = check_pins(matrix, end.pins, f"{key}.{name}")
            notices.extend(notice for notice in found if notice.level == "error")
    source = {pin.key: pin for pin in path.source.pins}
    for pin in path.target.pins:
        old = source.get(pin.key)
        if old is not None and pin.version < old.version:
            notices.append(
                Notice(
                    "error",
                    key,
                    f"{path.id} is a downgrade: {pin.key} goes from {old.version} to {pin.version}",
                )
            )
    return notices


def completion(matrix: Matrix, pins: Sequence[Pin]) -> tuple[str, ...]:
    """Constraints that keep a partial combination (``core@3.2.1``, ``--combination
    core=3.2.1``) within the matrix: each component it leaves out gets the ranges the
    applying rows of its pins give it, so that what gets pulled in does not float to
    whatever is newest. Constraints, not requirements: nothing is added that the pins
    do not pull in."""
    pinned = {pin.component for pin in pins} | {pin.key for pin in pins}
    ranges: dict[str, list[str]] = {}
    for pin in pins:
        rule, _ = matrix.rule_for(pin.component, pin.version)
        for constraint in rule.requires if rule else ():
            name, _, member = constraint.component.partition("@")
            if constraint.component in pinned or name in pinned:
                continue
            component = matrix.component(name)
            if component.family and not member:
                continue  # a range for every member: the members left out are unknown
            specifier = str(constraint.specifier)
            if specifier:
                ranges.setdefault(component.distribution(member or None), []).append(specifier)
    return tuple(f"{name}{','.join(found)}" for name, found in sorted(ranges.items()))
