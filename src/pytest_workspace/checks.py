"""Whether combinations are valid: the rows that apply, both directions, family members
each, dates, coverage and names, and upgrade paths. Read-only over a
:class:`~.matrix.Matrix`; a large matrix asks the same questions thousands of times, so
answers are memoised on the matrix (``rule_for``, ``allows``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from .matrix import Bundle, Matrix, Notice, Pin, UpgradePath

__all__ = ["check_matrix", "check_pins", "check_upgrade", "completion"]


def check_pins(matrix: Matrix, pins: Sequence[Pin], key: str) -> list[Notice]:
    """Validate a combination in both directions: every row that applies to one of
    its pins must be satisfied by every other pin it names (family members each)."""
    by_component: dict[str, list[Pin]] = {}
    for pin in pins:
        by_component.setdefault(pin.component, []).append(pin)
    # allows() is inlined below (660,000 calls at 5,000 bundles); its memo is read directly.
    memo = matrix._allows_memo
    notices: list[Notice] = []
    for pin in pins:
        rule, inherited = matrix.rule_for(pin.component, pin.version)
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
            continue
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
        for constraint in rule.requires:
            clause = id(constraint.specifier)
            for other in by_component.get(constraint.component, ()):
                # allows(), inlined: this loop runs 660,000 times at 5,000 bundles.
                allowed = memo.get((clause, id(other.version)))
                if allowed is None:
                    allowed = matrix.allows(constraint, other.version)
                if not allowed:
                    notices.append(
                        Notice(
                            "error",
                            key,
                            f"{other} does not satisfy {rule.key}: "
                            f"{constraint.text} (needs {constraint.expanded}) "
                            f"required by {pin}",
                        )
                    )
    return notices


def check_matrix(matrix: Matrix, today: datetime.date | None = None) -> list[Notice]:
    """Every finding about this matrix: load notes, bundles, dates, upgrade paths."""
    today = today or datetime.date.today()
    notices = list(matrix.notes)
    notices.extend(_check_row_names(matrix))
    invalid: set[str] = set()
    for bundle in matrix.bundles.values():
        found = check_pins(matrix, bundle.pins, bundle.key)
        if any(notice.level == "error" for notice in found):
            invalid.add(bundle.name)
        notices.extend(found)
        notices.extend(_check_coverage(matrix, bundle))
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
    notices.extend(_check_tox_names(matrix))
    return notices


def _check_tox_names(matrix: Matrix) -> list[Notice]:
    """tox reads ``3.2`` as a Python, so the tox plugin renames parts (``v3.2``); two
    names that end up the same would be one tox env."""
    from .envnames import collisions

    return [
        Notice("warning", "", f"{' and '.join(items)} both map to tox env {name!r}; rename one")
        for name, items in collisions(matrix)
    ]


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


def _check_coverage(matrix: Matrix, bundle: Bundle) -> list[Notice]:
    """Undeclared names in the bundle, and components that an applying row asks
    for but the bundle does not pin (the row cannot be checked for them)."""
    notices = []
    pinned = {pin.component for pin in bundle.pins}
    if matrix.components and not pinned <= matrix.components.keys():
        for component in dict.fromkeys(pin.component for pin in bundle.pins):
            found = _undeclared(matrix, component, f"{bundle.key}.{component}")
            if found:
                notices.append(found)
    for pin in bundle.pins:
        rule, _ = matrix.rule_for(pin.component, pin.version)
        if rule is None or rule.components <= pinned:
            continue
        for constraint in rule.requires:
            if constraint.component not in pinned:
                notices.append(
                    Notice(
                        "warning",
                        bundle.key,
                        f"{rule.key} ({pin}) requires {constraint.text}, but the bundle "
                        f"pins no {constraint.component}",
                    )
                )
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
