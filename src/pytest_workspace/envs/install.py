"""What to install for a bundle, whatever installs it: the install plan.

One :class:`InstallPlan` says it once: the bundle's pins (minus the components a local
checkout replaces), the other requirements beside them, the checkouts (editable or as
snapshots), the constraints that bound what the pins pull in, the index options and the
lock. The env cache builds from it, an upgrade path moves an env with it, and the
front-ends that install into an env they do not own take their part of it: tox's install
mode (``deps`` and a constraints file), the nox helpers (``session.install`` arguments)
and ``workspace setup`` (the siblings editable, the bundle's other pins as constraints).
The core hands plans out (:meth:`..core.workspace.Workspace.install_plan`).

Constraints files are written by :func:`.constraints.write_constraints` only: a
constraint line never carries extras (pip refuses ``pkg[extra]==1.0`` there), and the
file is rewritten only when its content changes.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..model.names import normalize
from .constraints import write_constraints

if TYPE_CHECKING:
    from ..model.matrix import Pin
    from .pylock import Lock
    from .spec import EnvSpec, IndexOptions

__all__ = ["InstallPlan"]


@dataclass(frozen=True)
class InstallPlan:
    """What to install for one bundle (see the module docstring)."""

    #: the pins' requirements, minus the components a checkout replaces
    pins: tuple[str, ...]
    #: requirements beside the pins (test dependencies, the test runner, extras)
    extras: tuple[str, ...] = ()
    #: checkouts installed editable, and as snapshots (``path`` or ``path[extras]``)
    editables: tuple[str, ...] = ()
    snapshots: tuple[str, ...] = ()
    #: ranges that keep what the pins pull in within the matrix's rows
    constraints: tuple[str, ...] = ()
    index: IndexOptions | None = None
    #: the bundle's lock: the whole lock goes in when nothing else does, else its
    #: versions (minus the checkouts' distributions) are constraints
    lock: Lock | None = None
    #: normalised distribution names that the checkouts provide
    sourced: frozenset[str] = frozenset()

    @classmethod
    def of(cls, spec: EnvSpec) -> InstallPlan:
        """The plan that builds the env ``spec`` describes."""
        return cls(
            pins=tuple(_pins(spec.pins, spec.sourced)),
            extras=tuple(spec.extras),
            editables=tuple(s.target for s in spec.sources if s.editable),
            snapshots=tuple(s.target for s in spec.sources if not s.editable),
            constraints=tuple(spec.constraints),
            index=spec.index,
            lock=spec.lock,
            sourced=spec.sourced,
        )

    @classmethod
    def moving(
        cls,
        pins: Sequence[Pin],
        editables: Sequence[str],
        sourced: frozenset[str],
        constraints: Sequence[str],
        index: IndexOptions,
    ) -> InstallPlan:
        """The plan that moves an env to other pins in place (an upgrade path)."""
        return cls(
            pins=tuple(_pins(pins, sourced)),
            editables=tuple(editables),
            constraints=tuple(constraints),
            index=index,
            sourced=sourced,
        )

    def without(self, distributions: Iterable[str]) -> InstallPlan:
        """This plan with the pins of ``distributions`` left out (checkouts that the
        caller installs itself)."""
        import dataclasses

        names = {normalize(name) for name in distributions}
        kept = tuple(line for line in self.pins if normalize(_requirement_name(line)) not in names)
        return dataclasses.replace(self, pins=kept, sourced=self.sourced | names)

    @property
    def exact_lock(self) -> bool:
        """The lock alone decides the env (nothing is installed beside it)."""
        return self.lock is not None and not (self.editables or self.snapshots or self.extras)

    @property
    def requirements(self) -> list[str]:
        """What the installer is asked for by name (nothing when the lock is exact)."""
        return [] if self.exact_lock else [*self.pins, *self.extras]

    def options(self, installer: str, scratch: Path) -> list[str]:
        """The installer's arguments for the lock and the constraints (files written in
        ``scratch``); index options are the installer's own (:meth:`Installer.index_args`)."""
        options: list[str] = []
        if self.lock is not None:
            from .pylock import install_args

            options += install_args(
                self.lock, installer, scratch, exact=self.exact_lock, leave_out=self.sourced
            )
        if self.constraints:
            path = write_constraints(scratch / "constraints.txt", self.constraints)
            options += ["-c", str(path)]
        return options

    def pin_constraints(self, path: Path) -> Path:
        """The pins as a constraints file (for tools that install other things beside
        them: tox's deps, a shared env of checkouts)."""
        return write_constraints(path, self.pins)


def _requirement_name(line: str) -> str:
    from packaging.requirements import Requirement

    return Requirement(line).name


def _pins(pins: Iterable[Pin], sourced: frozenset[str]) -> list[str]:
    return [pin.requirement for pin in pins if normalize(pin.distribution) not in sourced]
