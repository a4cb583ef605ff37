"""What a run is asked for and what it selects: bundles by name, glob or ``all``,
ad-hoc combinations, and upgrade paths (declared ones, or ad hoc between two ends).

:class:`Request` is plain data that every process of a run agrees on (the pytest-xdist
controller hands it to its workers); :class:`Selection` is what the core resolved it
to against the matrix.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SelectionError
from ..loading.values import parse_upgrade_path
from ..model.matrix import Bundle, Matrix, UpgradePath

__all__ = ["Request", "Selection", "select_bundles", "select_upgrades"]


@dataclass(frozen=True)
class Request:
    """What was asked for, as plain data: the pytest-xdist controller hands it to the
    workers (through ``workerinput``), so every process agrees on one selection."""

    bundles: tuple[str, ...] = ()
    combinations: tuple[str, ...] = ()
    upgrades: tuple[str, ...] = ()
    #: a ``time.time()``: envs built before it are stale (``--workspace-rebuild``)
    rebuild_before: float | None = None

    def __bool__(self) -> bool:
        return bool(self.bundles or self.combinations or self.upgrades)

    def to_payload(self) -> dict[str, Any]:
        return {
            "bundles": list(self.bundles),
            "combinations": list(self.combinations),
            "upgrades": list(self.upgrades),
            "rebuild_before": self.rebuild_before,
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Request:
        return cls(
            tuple(payload["bundles"]),
            tuple(payload["combinations"]),
            tuple(payload["upgrades"]),
            payload["rebuild_before"],
        )


@dataclass(frozen=True)
class Selection:
    """The bundles (ad-hoc combinations included) and upgrade paths of one run."""

    request: Request
    bundles: tuple[Bundle, ...] = ()
    upgrades: tuple[UpgradePath, ...] = ()
    #: component (or ``family@member``) to the local checkout that replaces its pin
    sources: Mapping[str, Path] = field(default_factory=dict)
    #: warnings to show once (an invalid bundle or combination that still runs)
    notes: tuple[str, ...] = ()
    #: per upgrade path id, the checkouts swapped in at its target end (its source end
    #: is installed as released: what users upgrade from)
    path_sources: Mapping[str, Mapping[str, Path]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.bundles or self.upgrades)


def select_bundles(matrix: Matrix, patterns: Iterable[str]) -> tuple[Bundle, ...]:
    """Bundles matching names or globs (``all`` is every bundle), in file order."""
    wanted: list[str] = []
    for pattern in patterns:
        if pattern == "all":
            matched = list(matrix.bundles)
        elif any(char in pattern for char in "*?["):
            matched = fnmatch.filter(matrix.bundles, pattern)
            if not matched:
                raise SelectionError(
                    f"no bundle matches {pattern!r}; known: {', '.join(matrix.bundles)}"
                )
        else:
            matched = [matrix.bundle(pattern).name]
        wanted.extend(name for name in matched if name not in wanted)
    return tuple(bundle for name, bundle in matrix.bundles.items() if name in wanted)


def select_upgrades(matrix: Matrix, patterns: Iterable[str]) -> tuple[UpgradePath, ...]:
    """Upgrade paths by id (``lts-3.1:stable-3.2``), glob, ``all`` or ``derived`` (from
    the bundles' release dates); a ``FROM:TO``
    that the matrix does not declare is an ad-hoc path between two bundles or
    ``component@version[,...]`` ends (checked like a combination by the caller)."""
    known = {path.id: path for path in matrix.upgrades}
    wanted: list[str] = []
    adhoc: dict[str, UpgradePath] = {}
    for pattern in patterns:
        if pattern == "derived":
            # From the bundles' release dates (explore upgrades): run like declared ones.
            from ..model.explore import derived_upgrades

            for path in derived_upgrades(matrix):
                if path.id in known:
                    wanted.extend([path.id] if path.id not in wanted else [])
                else:
                    adhoc.setdefault(path.id, path)
            continue
        matched = list(known) if pattern == "all" else fnmatch.filter(known, pattern)
        if not matched and pattern.count(":") == 1 and not any(c in pattern for c in "*?["):
            adhoc[pattern] = parse_upgrade_path(matrix, pattern)
            continue
        if not matched:
            raise SelectionError(
                f"unknown upgrade path {pattern!r}; known: {', '.join(known) or '(none)'}"
            )
        wanted.extend(name for name in matched if name not in wanted)
    declared = tuple(known[name] for name in known if name in wanted)
    return declared + tuple(path for path in adhoc.values() if path.id not in known)
