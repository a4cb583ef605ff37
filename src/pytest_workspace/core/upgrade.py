"""The upgrade-run type that the ``upgrade_path`` fixture hands out.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from ..envs.env import Env
    from ..model.matrix import Pin, UpgradePath

__all__ = ["UpgradeRun"]


class UpgradeRun:
    """An upgrade path under test: ``env`` starts at the source end (a private env),
    :meth:`upgrade` installs the target versions in place, :meth:`downgrade` goes back.
    The ``upgrade_path`` fixture hands these out."""

    def __init__(
        self,
        path: UpgradePath,
        env: Env,
        constraints: Mapping[str, Sequence[str]] | None = None,
        sources: Mapping[str, Path] | None = None,
        checkout_versions: Mapping[str, str] | None = None,
    ) -> None:
        self.path = path
        self.env = env
        #: per end ("source", "target"): row ranges completing a ``component@version`` end
        self.constraints = dict(constraints or {})
        #: the checkouts (component to path) installed at the target end instead of
        #: their releases: a component repository upgrades from its last release to
        #: its own code
        self.sources = dict(sources or {})
        self.id = path.id
        #: component (``core``, ``extensions@mongodb``) to version, at each end (a
        #: checkout at its own version, when known)
        self.from_versions = path.source.versions()
        self.to_versions = {**path.target.versions(), **(checkout_versions or {})}

    def __repr__(self) -> str:
        return f"<UpgradeRun {self.id}>"

    def upgrade(self) -> Env:
        """Install the target versions in place (the checkouts, editable); returns the env."""
        return self._move(self.path.target.pins, "target")

    def downgrade(self) -> Env:
        """Go back to the source versions (as released) in place; returns the env."""
        return self._move(self.path.source.pins, "source")

    def _move(self, pins: Sequence[Pin], end: str) -> Env:
        return self.env.install(
            pins,
            label=f"{self.id} ({end})",
            constraints=self.constraints.get(end, ()),
            sources=self.sources if end == "target" else {},
        )
