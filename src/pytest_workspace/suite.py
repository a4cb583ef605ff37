"""Whole-suite mode (``--workspace-env=bundle``): the session's own tests run inside
each selected bundle's env, and their reports come back into this session.

The engine is pytest-xdist, unchanged: every bundle gets ``popen`` workers whose
interpreter is its env's Python (``--tx popen//python=...``), one
:class:`BundleScheduling` runs a load-balancing scheduler per bundle (so each bundle
runs the whole suite, and ``-n N`` gives each bundle N workers), and
:mod:`._remote` keeps each worker on its own env's ``sys.path``. Workers run this plugin
in running-environment mode for their bundle, which checks that the env holds the
bundle and the checkout, and tags every report with the bundle's name.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .env import Env, Kind
    from .session import WorkspaceSession
    from .workspace import Selection

__all__ = [
    "BUNDLE_VARIABLE",
    "BundleScheduling",
    "Worker",
    "XdistHooks",
    "enter",
    "prepare",
]

#: set in each worker's environment: the bundle whose env it runs in
BUNDLE_VARIABLE = "PYTEST_WORKSPACE_BUNDLE"
#: where a worker writes bytecode when PYTHONDONTWRITEBYTECODE is set (read by _remote)
PYCACHE_VARIABLE = "PYTEST_WORKSPACE_PYCACHE"


@dataclass(frozen=True)
class Worker:
    """One bundle's share of the run: its env and the xdist specs of its workers."""

    bundle: str
    env: Env
    specs: tuple[str, ...]


def _refuse(config: pytest.Config) -> str | None:
    if not config.pluginmanager.hasplugin("xdist"):
        return (
            "--workspace-env=bundle runs the suite in each bundle's env through "
            "pytest-xdist; install it (pip install pytest-xdist)"
        )
    if config.getoption("usepdb", False):
        return "--workspace-env=bundle runs tests in worker processes; --pdb needs -p no:xdist"
    if config.getoption("tx", None) and not config.getoption("numprocesses", None):
        return "--workspace-env=bundle makes the workers itself; --tx cannot be combined with it"
    return None


def prepare(session: WorkspaceSession) -> tuple[list[Worker], Selection]:
    """Build (or reuse) each selected bundle's test env and point pytest-xdist at them;
    the selection comes back with each checkout at the version it installed as (for the
    header and the report)."""
    from .errors import InterpreterNotFound, WorkspaceError
    from .results import EnvRecord
    from .testenv import suite_spec

    config = session.config
    problem = _refuse(config)
    if problem:
        raise WorkspaceError(problem)
    assert session.selection is not None
    workspace = session.workspace()
    per_bundle = int(config.getoption("numprocesses", None) or 1)
    workers: list[Worker] = []
    for chosen in session.selection.bundles:
        try:
            spec = suite_spec(
                workspace,
                chosen,
                sources=session.selection.sources,
                test_extras=config.getini("workspace_test_extras"),
                test_groups=config.getini("workspace_test_groups"),
            )
        except InterpreterNotFound as error:
            if workspace.settings.strict:
                raise
            session.notes.append(f"bundle {chosen.name} not run: {error}")
            continue
        kind: Kind = "combination" if chosen.adhoc else "bundle"
        rebuild = session.selection.request.rebuild_before
        env = workspace.cache.get(spec, workspace.installer, rebuild_before=rebuild, kind=kind)
        session.remember_env(
            EnvRecord(
                chosen.name, env.key, workspace.installer.name, env.fresh, env.build_seconds,
                env.pins,
            )
        )  # fmt: skip
        tx = f"popen//python={env.python}//env:{BUNDLE_VARIABLE}={chosen.name}"
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            # As Env.run does: bytecode once, in the cache's pycache tree (see _remote).
            tx += f"//env:{PYCACHE_VARIABLE}={workspace.cache.pycache}"
        specs = (tx,) * per_bundle
        workers.append(Worker(chosen.name, env, specs))
    if not workers:
        raise WorkspaceError("--workspace-env=bundle: no selected bundle can run here")
    config.option.tx = [spec for worker in workers for spec in worker.specs]
    if config.getoption("dist", "no") == "no":
        config.option.dist = "load"  # any mode: BundleScheduling replaces it
    built = {worker.bundle: worker.env for worker in workers}
    bundles = tuple(
        b.with_versions(built[b.name].installed_sources()) if b.name in built else b
        for b in session.selection.bundles
    )
    return workers, dataclasses.replace(session.selection, bundles=bundles)


def enter(session: WorkspaceSession, name: str) -> Selection:
    """A worker: this process runs in bundle ``name``'s env, so it is running-environment
    mode for that one bundle (checked like it), upgrade paths aside (they build envs of
    their own, once, in an isolated run)."""
    from .env import read_installed
    from .siblings import checkout_versions

    assert session.selection is not None
    chosen = next(b for b in session.selection.bundles if b.name == name)
    sources = session.selection.sources
    installed = read_installed()  # one scan of the env's metadata serves both
    session.workspace().check_current(chosen, sources=sources, installed=installed)
    # Gates, properties and fixtures see the checkout at the version it installed as.
    chosen = chosen.with_versions(checkout_versions(chosen.pins, sources, installed))
    return dataclasses.replace(session.selection, bundles=(chosen,), upgrades=())


def describe(workers: Sequence[Worker]) -> str:
    """The header's line: which env each bundle's workers run in."""
    n = len(workers[0].specs)
    return (
        f"the whole suite runs in each bundle's env ({n} worker{'' if n == 1 else 's'} each): "
        + ", ".join(f"{w.bundle} ({w.env.python})" for w in workers)
    )


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
        session: pytest.Session | None = None,
    ) -> None:
        from xdist.scheduler import EachScheduling, LoadScheduling

        self._session = session
        self._groups: dict[str, Any] = {}
        for worker in workers:
            # One worker has nothing to balance: it gets the whole list in one message
            # (no batches to wait for), and a crashed one is replaced by a worker that
            # goes on after the test that crashed.
            kind = EachScheduling if len(worker.specs) == 1 else LoadScheduling
            scheduler = kind(config, log)
            scheduler.numnodes = len(worker.specs)
            self._groups[worker.bundle] = scheduler

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


class XdistHooks:
    """Registered only with pytest-xdist, whose hooks pytest would not know otherwise."""

    def __init__(self, session: WorkspaceSession) -> None:
        self.session = session
        self.pytest_session: pytest.Session | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.pytest_session = session

    def pytest_configure_node(self, node: Any) -> None:
        # pytest-xdist: the controller decides the selection once; workers receive it.
        payload = self.session.payload()
        if self.session.workers:
            payload["inside"] = bundle_of(node)
        node.workerinput["workspace"] = payload

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        broken = getattr(node, "workeroutput", {}).get("workspace_broken")
        if broken is not None:
            self.session.broken_bundles[bundle_of(node) or node.gateway.id] = broken
        records = getattr(node, "workeroutput", {}).get("workspace_envs", {})
        if records and not self.session.workers:
            from .results import EnvRecord

            for record in records.values():
                self.session.results.remember_env(EnvRecord(**record))

    def pytest_handlecrashitem(self, crashitem: str, report: Any, sched: Any) -> None:
        # The report pytest-xdist makes for a worker that died mid-test has none of the
        # worker's properties: it gets the bundle of the worker, its message too.
        bundle = bundle_of(report.node) if self.session.workers else None
        if bundle is not None:
            report.user_properties.append(("workspace_bundle", bundle))
            if isinstance(report.longrepr, str):
                report.longrepr += f" in bundle {bundle}'s env"

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_getremotemodule(self) -> Any:
        if not self.session.workers:
            return None
        from . import _remote

        return _remote

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        if not self.session.workers:
            return None
        return BundleScheduling(config, log, self.session.workers, self.pytest_session)
