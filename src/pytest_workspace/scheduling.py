"""Whole-suite mode's scheduling: which pytest-xdist worker runs what.

Each bundle's workers share the whole suite between them (xdist's load scheduling, once
per bundle), and the upgrade-path workers share the upgrade-path tests. A worker's
bundle comes from its xdist spec, which a restarted worker keeps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .suite import Worker

__all__ = ["BUNDLE_VARIABLE", "BundleScheduling", "bundle_of"]

#: set in each worker's environment: the bundle whose env it runs in
BUNDLE_VARIABLE = "PYTEST_WORKSPACE_BUNDLE"


def bundle_of(node: Any) -> str | None:
    """The bundle an xdist worker runs in (from its spec, so a restarted worker keeps it)."""
    env: Mapping[str, str] = getattr(node.gateway.spec, "env", None) or {}
    return env.get(BUNDLE_VARIABLE)


class BundleScheduling:
    """pytest-xdist's load scheduling, once per bundle: each bundle's workers share
    the whole suite between them. Bundles may collect different tests (a test
    parametrised by what is installed), so collections are compared per bundle only."""

    def __init__(
        self,
        config: pytest.Config,
        log: Any,
        workers: Sequence[Worker],
        upgraders: int = 0,
        session: pytest.Session | None = None,
    ) -> None:
        self._session = session
        #: each bundle's scheduler, and the upgrade paths' under ""
        self._groups: dict[str, Any] = {}
        for worker in workers:
            self._groups[worker.bundle] = self._scheduler(config, log, len(worker.specs))
        if upgraders:
            self._groups[""] = self._scheduler(config, log, upgraders)

    @staticmethod
    def _scheduler(config: pytest.Config, log: Any, n: int) -> Any:
        from xdist.scheduler import EachScheduling, LoadScheduling

        # One worker has nothing to balance: it gets the whole list in one message
        # (no batches to wait for), and a crashed one is replaced by a worker that
        # goes on after the test that crashed.
        scheduler = (EachScheduling if n == 1 else LoadScheduling)(config, log)
        scheduler.numnodes = n
        return scheduler

    def _of(self, node: Any) -> Any:
        return self._groups[bundle_of(node) or ""]

    @property
    def nodes(self) -> list[Any]:
        return [node for group in self._groups.values() for node in group.nodes]

    @property
    def collection_is_completed(self) -> bool:
        return all(group.collection_is_completed for group in self._groups.values())

    @property
    def tests_finished(self) -> bool:
        return all(group.tests_finished for group in self._groups.values())

    @property
    def has_pending(self) -> bool:
        return any(group.has_pending for group in self._groups.values())

    def add_node(self, node: Any) -> None:
        self._of(node).add_node(node)

    def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
        self._of(node).add_node_collection(node, collection)
        if self._session is not None:
            # pytest-xdist counts one worker's collection, the terminal's progress counts
            # distinct nodeids: the run's are those of every bundle together.
            self._session.testscollected = len(
                {
                    nodeid
                    for group in self._groups.values()
                    for nodeid in next(iter(group.node2collection.values()), ())
                }
            )

    def status(self) -> str | None:
        """Once every worker has collected: what each group collected (pytest-xdist's
        own line shows the first worker's count as everyone's)."""
        if not self.collection_is_completed:
            return None
        parts = []
        for name, group in self._groups.items():
            n = len(next(iter(group.node2collection.values()), ()))
            parts.append(f"{name or 'upgrade paths'} [{n} item{'' if n == 1 else 's'}]")
        return f"{len(self.nodes)} workers: {', '.join(parts)}"

    def mark_test_complete(self, node: Any, item_index: int, duration: float = 0) -> None:
        self._of(node).mark_test_complete(node, item_index, duration)

    def mark_test_pending(self, item: str) -> None:
        # A crashed test's nodeid names no bundle: rescheduling it would be a guess.
        raise NotImplementedError("whole-suite mode does not reschedule crashed tests")

    def remove_pending_tests_from_node(self, node: Any, indices: Sequence[int]) -> None:
        self._of(node).remove_pending_tests_from_node(node, indices)

    def remove_node(self, node: Any) -> str | None:
        crashed: str | None = self._of(node).remove_node(node)
        return crashed

    def schedule(self) -> None:
        for group in self._groups.values():
            if group.collection_is_completed:
                group.schedule()
