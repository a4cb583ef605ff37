"""What changes between two sets of pins (bundles, ``component@version`` ends, a
checkout swapped in): ``bundle diff``, the upgrade-path header, the results file.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from packaging.version import Version

if TYPE_CHECKING:
    from ..model.matrix import Pin

__all__ = ["Change", "Kind", "diff"]

Kind = Literal["upgrade", "downgrade", "added", "removed", "unchanged", "checkout"]


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
