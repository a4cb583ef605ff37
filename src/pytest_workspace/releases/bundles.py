"""Bundles as releases: what changes between two, their pins as files, and a new one
written into the matrix file without disturbing a byte of the rest.

``diff`` is pure (the upgrade-path header and the results JSON use it too); ``new_bundle``
is the only code that writes a matrix file, through tomlkit so that comments, order and
quoting survive.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from packaging.version import Version

from ..errors import SelectionError, WorkspaceError

if TYPE_CHECKING:
    from ..model.matrix import Bundle, Matrix, Notice, Pin

__all__ = ["Change", "diff", "export", "new_bundle"]

Kind = Literal["upgrade", "downgrade", "added", "removed", "unchanged", "checkout"]
EXPORT_FORMATS = ("requirements", "constraints", "pylock")


@dataclass(frozen=True)
class Change:
    """One component (or family member) between two sets of pins."""

    key: str
    before: str | None
    after: str | None
    #: the second side is a local checkout swapped in ("" for ``after``: a version only
    #: its build knows)
    checkout: bool = False

    @property
    def kind(self) -> Kind:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        if not self.after:
            return "checkout"
        old, new = Version(self.before), Version(self.after)
        return "upgrade" if new > old else "downgrade" if new < old else "unchanged"

    def __str__(self) -> str:
        after = f"checkout {self.after}".strip() if self.checkout else self.after
        if self.kind == "added":
            return f"{self.key} added {after}"
        if self.kind == "removed":
            return f"{self.key} removed (was {self.before})"
        if self.kind == "unchanged" and not self.checkout:
            return f"{self.key} {self.before} unchanged"
        if self.kind == "checkout":
            return f"{self.key} {self.before} -> {after}"
        return f"{self.key} {self.before} -> {after} ({self.kind})"

    def as_json(self) -> dict[str, str | bool | None]:
        found: dict[str, str | bool | None] = {
            "key": self.key,
            "from": self.before,
            "to": self.after,
            "change": self.kind,
        }
        return {**found, "checkout": True} if self.checkout else found


def diff(
    before: Sequence[Pin], after: Sequence[Pin], checkouts: Mapping[str, str] | None = None
) -> list[Change]:
    """Every key of either side, in the first side's order, then the second's new keys;
    ``checkouts``: the second side's keys that a local checkout replaces, with the
    checkout's version ("" when only its build knows it)."""
    old = {pin.key: str(pin.version) for pin in before}
    new = {pin.key: str(pin.version) for pin in after}
    new.update(checkouts or {})
    keys = [*old, *(key for key in new if key not in old)]
    return [
        Change(key, old.get(key), new.get(key), checkout=key in (checkouts or {})) for key in keys
    ]


def export(bundle: Bundle, fmt: str, lock: Path | None = None) -> str:
    """The bundle's pins as a requirements or constraints file, or its PEP 751 lock."""
    if fmt == "requirements":
        lines = [pin.requirement for pin in bundle.pins]
    elif fmt == "constraints":
        # A constraints file may not carry extras; the versions are what it constrains.
        lines = [f"{pin.distribution}=={pin.version}" for pin in bundle.pins]
    elif fmt == "pylock":
        if lock is None or not lock.is_file():
            where = f" ({lock})" if lock else ""
            raise SelectionError(
                f"bundle {bundle.name!r} has no lock file{where}; "
                f"run `pytest-workspace lock {bundle.name}` first"
            )
        return lock.read_text(encoding="utf-8").rstrip("\n")
    else:
        raise SelectionError(f"expected one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    return "\n".join(lines)


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
    import tomlkit

    from ..model.names import NAME

    if not NAME.match(name):
        raise SelectionError(f"bundle name: expected letters, digits, '.', '_', '-', got {name!r}")
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

    text = matrix.path.read_text(encoding="utf-8")
    document = tomlkit.parse(text)
    table = tomlkit.table()
    if title:
        table["name"] = title
    if release_date:
        table["release-date"] = release_date.isoformat()
    if lts_until:
        table["lts-until"] = lts_until.isoformat()
    for component, value in _values(pins).items():
        table[component] = value
    bundles = document.get("bundles")
    if bundles is None:
        document["bundles"] = tomlkit.table(is_super_table=True)
        bundles = document["bundles"]
    bundles[name] = table
    _write_checked(matrix.path, tomlkit.dumps(document), name, pins)
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


def _write_checked(path: Path, text: str, name: str, pins: Sequence[Pin]) -> None:
    """Write atomically, then read the file back: the new bundle must load with exactly
    these pins, else the old text is restored and the problem named."""
    import os
    import tempfile

    from ..errors import InvalidMatrixError
    from ..loading.matrixfile import load_matrix
    from ..model.matrix import versions

    old = path.read_bytes()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
        stream.write(text)
    os.replace(temporary, path)
    try:
        written = load_matrix(path).bundles.get(name)
        problem = None if written and written.versions() == versions(pins) else "pins differ"
    except InvalidMatrixError as error:
        problem = str(error)
    if problem is not None:
        path.write_bytes(old)
        raise WorkspaceError(f"{path}: the written bundle {name!r} did not read back: {problem}")
