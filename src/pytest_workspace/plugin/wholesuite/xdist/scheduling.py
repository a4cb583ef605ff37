"""Whole-suite mode's scheduling: which pytest-xdist worker runs what.

Each bundle's workers share the whole suite between them (xdist's load scheduling, once
per bundle), and the upgrade-path workers share the upgrade-path tests. A worker's
bundle comes from its xdist spec, which a restarted worker keeps. A bundle given up (its
workers crashed, see :mod:`.session`) no longer holds the others back, and a worker that
reports what it was never sent ends its bundle, not the run.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import pytest

if TYPE_CHECKING:
    from xdist.scheduler import Scheduling
    from xdist.workermanage import WorkerController

__all__ = ["BUNDLE_VARIABLE", "BundleScheduling", "SchedulingBroken", "bundle_of"]

#: set in each worker's environment: the bundle whose env it runs in
BUNDLE_VARIABLE = "PYTEST_WORKSPACE_BUNDLE"


class SchedulingBroken(Exception):
    """Control flow: a bundle's worker told the scheduler something impossible."""

    def __init__(self, group: str, why: str) -> None:
        super().__init__(why)
        self.group, self.why = group, why


def bundle_of(node: Any) -> str | None:
    """The bundle an xdist worker runs in (from its spec, so a restarted worker keeps it)."""
    env: Mapping[str, str] = getattr(node.gateway.spec, "env", None) or {}
    return env.get(BUNDLE_VARIABLE)


class _Sized:
    """The run's config as one group's scheduler must see it: xdist's schedulers count
    their workers from ``--tx``, which whole-suite mode leaves empty (it starts the
    workers itself, see :func:`.session.bundle_session`)."""

    def __init__(self, config: pytest.Config, workers: int) -> None:
        self._config = config
        self._workers = workers

    def getvalue(self, name: str) -> Any:
        return ["popen"] * self._workers if name == "tx" else self._config.getvalue(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._config, name)


class BundleScheduling:
    """pytest-xdist's load scheduling, once per bundle: each bundle's workers share
    the whole suite between them. Bundles may collect different tests (a test
    parametrised by what is installed), so collections are compared per bundle only.
    The upgrade-path workers are the group ``""``."""

    def __init__(
        self,
        config: pytest.Config,
        log: Any,
        groups: Mapping[str, int],
        session: pytest.Session | None = None,
    ) -> None:
        from xdist.scheduler import EachScheduling, LoadScheduling

        self._session = session
        #: each group's scheduler (one worker: the whole list in one message, and a
        #: crashed one's replacement goes on after the test that crashed)
        self._groups: dict[str, Scheduling] = {
            # A Config in all but what xdist's schedulers count their workers from.
            name: (EachScheduling if n == 1 else LoadScheduling)(
                cast("pytest.Config", _Sized(config, n)), log
            )
            for name, n in groups.items()
        }
        self._given_up: set[str] = set()

    def _of(self, node: WorkerController) -> Scheduling:
        return self._groups[bundle_of(node) or ""]

    @property
    def _live(self) -> list[Scheduling]:
        return [group for name, group in self._groups.items() if name not in self._given_up]

    def give_up(self, group: str) -> None:
        """``group`` runs nothing more (its workers are gone or going)."""
        self._given_up.add(group)

    @property
    def nodes(self) -> list[WorkerController]:
        return [node for group in self._groups.values() for node in group.nodes]

    @property
    def collection_is_completed(self) -> bool:
        return all(group.collection_is_completed for group in self._live)

    @property
    def tests_finished(self) -> bool:
        return all(group.tests_finished for group in self._live)

    @property
    def has_pending(self) -> bool:
        return any(group.has_pending for group in self._live)

    def add_node(self, node: WorkerController) -> None:
        self._of(node).add_node(node)

    def add_node_collection(self, node: WorkerController, collection: Sequence[str]) -> None:
        self._of(node).add_node_collection(node, collection)
        if self._session is not None:
            # pytest-xdist counts one worker's collection, the terminal's progress counts
            # distinct nodeids: the run's are those of every bundle together.
            self._session.testscollected = len(
                {nodeid for name in self._groups for nodeid in self.collected(name)}
            )

    def collected(self, group: str) -> Sequence[str]:
        """What ``group``'s first worker collected (every worker of a group collects the
        same suite)."""
        found: Mapping[Any, Sequence[str]] = getattr(self._groups[group], "node2collection", {})
        return next(iter(found.values()), ())

    def status(self) -> str | None:
        """Once every worker has collected: what each group collected (pytest-xdist's
        own line shows the first worker's count as everyone's)."""
        if not self.collection_is_completed:
            return None
        parts = []
        for name in self._groups:
            n = len(self.collected(name))
            gone = " (given up)" if name in self._given_up else ""
            parts.append(f"{name or 'upgrade paths'} [{n} item{'' if n == 1 else 's'}]{gone}")
        return f"{len(self.nodes)} workers: {', '.join(parts)}"

    def mark_test_complete(
        self, node: WorkerController, item_index: int, duration: float = 0
    ) -> None:
        try:
            self._of(node).mark_test_complete(node, item_index, duration)
        except (KeyError, ValueError, IndexError):
            raise SchedulingBroken(
                bundle_of(node) or "",
                f"worker {node.gateway.id} reported test #{item_index} as done, which it was "
                "not running: a test forked a process that went on running tests?",
            ) from None

    def mark_test_pending(self, item: str) -> None:
        # A crashed test's nodeid names no bundle: rescheduling it would be a guess.
        raise NotImplementedError("whole-suite mode does not reschedule crashed tests")

    def remove_pending_tests_from_node(
        self, node: WorkerController, indices: Sequence[int]
    ) -> None:
        try:
            self._of(node).remove_pending_tests_from_node(node, indices)
        except (KeyError, ValueError, IndexError):
            raise SchedulingBroken(
                bundle_of(node) or "", f"worker {node.gateway.id} gave back tests it did not have"
            ) from None

    def remove_node(self, node: WorkerController) -> str | None:
        crashed: str | None = self._of(node).remove_node(node)
        return crashed

    def schedule(self) -> None:
        for group in self._live:
            if group.collection_is_completed:
                group.schedule()


if TYPE_CHECKING:
    # The scheduler is pytest-xdist's protocol: mypy checks it here.
    _PROTOCOL: type[Scheduling] = BundleScheduling
