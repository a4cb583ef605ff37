"""The upgrade-run type that the ``upgrade_path`` fixture hands out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .env import Env
    from .matrix import Pin, UpgradePath

__all__ = ["UpgradeRun"]


class UpgradeRun:
    """An upgrade path under test: ``env`` starts at the source end (a private env),
    :meth:`upgrade` installs the target versions in place, :meth:`downgrade` goes back.
    The ``upgrade_path`` fixture hands these out."""

    def __init__(
        self, path: UpgradePath, env: Env, constraints: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.path = path
        self.env = env
        #: per end ("source", "target"): row ranges completing a ``component@version`` end
        self.constraints = dict(constraints or {})
        self.id = path.id
        #: component (``core``, ``extensions@mongodb``) to version, at each end
        self.from_versions = path.source.versions()
        self.to_versions = path.target.versions()

    def __repr__(self) -> str:
        return f"<UpgradeRun {self.id}>"

    def upgrade(self) -> Env:
        """Install the target versions in place; returns the env."""
        return self._move(self.path.target.pins, "target")

    def downgrade(self) -> Env:
        """Go back to the source versions in place; returns the env."""
        return self._move(self.path.source.pins, "source")

    def _move(self, pins: Sequence[Pin], end: str) -> Env:
        return self.env.install(
            pins, label=f"{self.id} ({end})", constraints=self.constraints.get(end, ())
        )
