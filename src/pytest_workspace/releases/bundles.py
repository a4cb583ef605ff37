"""``bundle new``: a new bundle's pins (from the command line, over another bundle's),
checked against the rows, then written into the matrix file
(:func:`..loading.writing.add_bundle`: every other byte kept, writers serialised).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import SelectionError, WorkspaceError

if TYPE_CHECKING:
    from ..model.matrix import Bundle, Matrix, Notice, Pin

__all__ = ["new_bundle", "new_pins"]


def new_pins(matrix: Matrix, assignments: Sequence[str], base: Bundle | None) -> list[Pin]:
    """The base bundle's pins with ``COMPONENT=VERSION`` items laid over them: a
    component given on the command line replaces all of that component's base pins
    (``extensions=mongodb@1.3.0`` twice gives a family of two)."""
    from ..loading.values import parse_combination

    given = list(parse_combination(matrix, ",".join(assignments))) if assignments else []
    replaced = {pin.component for pin in given}
    pins = [pin for pin in (base.pins if base else ()) if pin.component not in replaced]
    pins += given
    if not pins:
        raise SelectionError("a new bundle needs COMPONENT=VERSION items or --from BUNDLE")
    seen: set[str] = set()
    for pin in pins:
        if pin.key in seen:
            raise SelectionError(f"{pin.key} is given twice")
        seen.add(pin.key)
    order = {name: position for position, name in enumerate(matrix.components)}
    return sorted(pins, key=lambda pin: order.get(pin.component, len(order)))


def new_bundle(
    matrix: Matrix,
    name: str,
    pins: Sequence[Pin],
    *,
    title: str | None = None,
    release_date: datetime.date | None = None,
    lts_until: datetime.date | None = None,
    allow_violations: bool = False,
) -> list[Notice]:
    """Check ``pins`` against the rows, then add ``[bundles."NAME"]`` to the matrix file.

    Returns the findings that were allowed (warnings, or errors with
    ``allow_violations``); raises :class:`WorkspaceError` naming the violated rule
    otherwise, leaving the file untouched.
    """
    from ..loading.writing import add_bundle
    from ..model.matrix import versions
    from ..model.names import NAME, NAME_LIMIT, shown

    if not NAME.match(name):
        raise SelectionError(
            f"bundle name: expected letters, digits, '.', '_', '-' (at most {NAME_LIMIT} "
            f"characters), got {shown(name)}"
        )
    if name in matrix.bundles:
        raise SelectionError(f"bundle {name!r} already exists in {matrix.path}")
    from ..model.validity import check_pins

    findings = [n for n in check_pins(matrix, pins, f"bundles.{name}") if n.level != "info"]
    errors = [n for n in findings if n.level == "error"]
    if errors and not allow_violations:
        lines = "\n".join(str(notice) for notice in errors)
        raise WorkspaceError(
            f"refusing bundle {name!r} (pass --allow-violations to add it):\n{lines}"
        )

    table: dict[str, Any] = {}
    if title:
        table["name"] = title
    if release_date:
        table["release-date"] = release_date.isoformat()
    if lts_until:
        table["lts-until"] = lts_until.isoformat()
    table.update(_values(pins))
    add_bundle(matrix.path, name, table, versions(pins))
    return findings


def _values(pins: Sequence[Pin]) -> Mapping[str, str | list[str]]:
    values: dict[str, str | list[str]] = {}
    for pin in pins:
        if pin.member is None:
            values[pin.component] = str(pin.version)
        else:
            members = values.setdefault(pin.component, [])
            assert isinstance(members, list)
            members.append(f"{pin.member}@{pin.version}")
    return values
