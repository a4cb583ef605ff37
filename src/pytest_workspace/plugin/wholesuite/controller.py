"""Whole-suite mode (``--workspace-env=bundle``): the session's own tests run inside
each selected bundle's env, and their reports come back into this session.

The engine is pytest-xdist, unchanged: every bundle gets ``popen`` workers whose
interpreter is its env's Python (``--tx popen//python=...``), one
:class:`~.scheduling.BundleScheduling` runs a load-balancing scheduler per bundle (so
each bundle runs the whole suite, and ``-n N`` gives each bundle N workers), and
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

from .scheduling import BUNDLE_VARIABLE, BundleScheduling, bundle_of

if TYPE_CHECKING:
    from ...core.workspace import Selection
    from ...envs.env import Env, Kind
    from ..session import WorkspaceSession

__all__ = [
    "UPGRADE_SPEC",
    "OuterCollection",
    "Worker",
    "XdistHooks",
    "enter",
    "join",
    "lost_upgrade_tests",
    "prepare",
    "split",
    "upgrade_path_of",
]

#: where a worker writes bytecode when PYTHONDONTWRITEBYTECODE is set (read by _remote)
PYCACHE_VARIABLE = "PYTEST_WORKSPACE_PYCACHE"
#: the workers that run the upgrade-path tests, once per path: on this interpreter, as
#: an isolated run would (they build envs, which a bundle's env has no means to do)
UPGRADE_SPEC = "popen//env:PYTEST_WORKSPACE_ROLE=upgrade-paths"


@dataclass(frozen=True)
class DeselectedIn:
    """A test that a bundle's workers deselected, as the controller's terminal counts it
    (pytest keeps the deselected items; here they live in the workers)."""

    nodeid: str
    bundle: str


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
    from .xdist import check_versions

    problem = check_versions()
    if problem:
        return problem
    if config.getoption("usepdb", False):
        return "--workspace-env=bundle runs tests in worker processes; --pdb needs -p no:xdist"
    if config.getoption("tx", None) and not config.getoption("numprocesses", None):
        return "--workspace-env=bundle makes the workers itself; --tx cannot be combined with it"
    return None


def prepare(session: WorkspaceSession) -> tuple[list[Worker], tuple[str, ...], Selection]:
    """Build (or reuse) each selected bundle's test env and point pytest-xdist at them
    (and at this interpreter for the upgrade paths, when some are selected); the
    selection comes back with each checkout at the version it installed as (for the
    header and the report)."""
    from ...errors import InterpreterNotFound, WorkspaceError
    from ...results.records import EnvRecord
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
            session.results.not_run[chosen.name] = str(error)
            continue
        kind: Kind = "combination" if chosen.adhoc else "bundle"
        rebuild = session.selection.request.rebuild_before
        env = workspace.cache.get(spec, workspace.installer, rebuild_before=rebuild, kind=kind)
        session.remember_env(EnvRecord.of(chosen.name, env, workspace.installer.name))
        tx = f"popen//python={env.python}//env:{BUNDLE_VARIABLE}={chosen.name}"
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            # As Env.run does: bytecode once, in the cache's pycache tree (see _remote).
            tx += f"//env:{PYCACHE_VARIABLE}={workspace.cache.pycache}"
        specs = (tx,) * per_bundle
        workers.append(Worker(chosen.name, env, specs))
    if not workers:
        raise WorkspaceError("--workspace-env=bundle: no selected bundle can run here")
    upgraders = (UPGRADE_SPEC,) * per_bundle if session.selection.upgrades else ()
    built = {worker.bundle: worker.env for worker in workers}
    bundles = tuple(
        b.with_versions(built[b.name].installed_sources()) if b.name in built else b
        for b in session.selection.bundles
    )
    return workers, upgraders, dataclasses.replace(session.selection, bundles=bundles)


def join(session: WorkspaceSession, payload: Mapping[str, Any]) -> bool:
    """A whole-suite worker takes its part: a bundle's (True: running-environment mode
    in that env) or, when the controller made some, the upgrade paths' (an isolated
    run of those alone)."""
    from ...errors import WorkspaceError

    assert session.selection is not None
    session.config.pluginmanager.register(ForkGuard(session.config), "workspace-fork-guard")
    session.upgrades_apart = bool(payload.get("upgraders"))
    name = payload.get("inside")
    if not name:
        if session.upgrades_apart:
            session.mode = "isolated"
            session.selection = dataclasses.replace(session.selection, bundles=())
            config = session.config
            config.pluginmanager.register(OuterCollection(config), "workspace-outer-collection")
        return False
    session.mode, session.inside = "current", name
    try:
        session.selection = enter(session, name)
    except WorkspaceError as error:
        # Raised, it would crash the worker and xdist would restart it forever;
        # instead it runs nothing and the controller says why.
        session.broken = str(error)
    return True


def enter(session: WorkspaceSession, name: str) -> Selection:
    """A worker: this process runs in bundle ``name``'s env, so it is running-environment
    mode for that one bundle (checked like it), upgrade paths aside (they build envs of
    their own, once, in an isolated run)."""
    from ...envs.env import read_installed
    from ...meta.siblings import checkout_versions

    assert session.selection is not None
    chosen = next(b for b in session.selection.bundles if b.name == name)
    sources = session.selection.sources
    installed = read_installed()  # one scan of the env's metadata serves both
    session.workspace().check_current(chosen, sources=sources, installed=installed)
    # Gates, properties and fixtures see the checkout at the version it installed as.
    chosen = chosen.with_versions(checkout_versions(chosen.pins, sources, installed))
    return dataclasses.replace(session.selection, bundles=(chosen,), upgrades=())


def describe(workers: Sequence[Worker], upgraders: Sequence[str]) -> list[str]:
    """The header's lines: which env each bundle's workers run in, and where the
    upgrade-path tests run."""
    n = len(workers[0].specs)
    lines = [
        f"the whole suite runs in each bundle's env ({n} worker{'' if n == 1 else 's'} each): "
        + ", ".join(f"{w.bundle} ({w.env.python})" for w in workers)
    ]
    if upgraders:
        import sys

        lines.append(
            "the upgrade-path tests run once per path, in this interpreter "
            f"({sys.executable}; {len(upgraders)} worker{'' if len(upgraders) == 1 else 's'})"
        )
    return lines


def _function_id(nodeid: str) -> str:
    """A test's nodeid without its parameters (its upgrade path's id, its bundle's)."""
    return nodeid.split("[", 1)[0]


def split(session: WorkspaceSession, items: list[pytest.Item]) -> None:
    """A worker of a run that has upgrade-path workers: the upgrade-path tests are
    theirs, the rest belong to the bundles' workers. A bundle's worker tells the
    controller which upgrade-path tests it left to them."""
    paths_here = session.inside is None
    kept: list[pytest.Item] = []
    gone: list[pytest.Item] = []
    for item in items:
        is_path = "upgrade_path" in getattr(item, "fixturenames", ())
        (kept if is_path == paths_here else gone).append(item)
    if gone:
        session._splitting = True  # not the user's deselection: they run elsewhere
        try:
            session.config.hook.pytest_deselected(items=gone)
        finally:
            session._splitting = False
        items[:] = kept
    output = getattr(session.config, "workeroutput", None)
    if not paths_here and output is not None:
        output["workspace_path_tests"] = sorted({_function_id(item.nodeid) for item in gone})


class ForkGuard:
    """A whole-suite worker's guard against a test that forks a process which returns
    into pytest instead of exiting: it would run the rest of the suite a second time
    over the worker's one channel. The child stops as soon as the test returns and tells
    the parent (through a pipe both hold), whose controller then gives the bundle up."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.pid = os.getpid()
        self.read, self.write = os.pipe()
        os.set_blocking(self.read, False)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        yield
        if os.getpid() != self.pid:
            os.write(self.write, f"{item.nodeid}\n".encode())
            os._exit(0)

    def pytest_sessionfinish(self) -> None:
        try:
            found = os.read(self.read, 1 << 16).decode()
        except BlockingIOError:
            found = ""
        output = getattr(self.config, "workeroutput", None)
        if found and output is not None:
            output["workspace_forked"] = sorted(set(found.split()))


class OuterCollection:
    """The upgrade-path workers' collection, in the outer interpreter: a test module it
    cannot import (the checkout and its dependencies live in the bundles' envs) is
    left to the bundles' workers, which import it and report its errors. The
    controller then checks that no upgrade-path test was lost that way."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.unimportable: dict[str, str] = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Any:
        outcome = yield
        report = outcome.get_result()
        if report.failed and isinstance(collector, pytest.Module):
            lines = [line for line in report.longreprtext.splitlines() if line.startswith("E ")]
            self.unimportable[report.nodeid] = (lines[-1][1:] if lines else "").strip()
            report.outcome, report.longrepr, report.result = "passed", None, []

    def pytest_sessionfinish(self) -> None:
        output = getattr(self.config, "workeroutput", None)
        if output is not None:
            output["workspace_unimportable"] = self.unimportable


def lost_upgrade_tests(
    session: WorkspaceSession, left: set[str], unimportable: Mapping[str, str]
) -> list[str]:
    """The controller: each upgrade-path test that the bundles' workers left to the
    upgrade-path workers and that none of them ran, with the reason when known."""
    import sys

    ran = {_function_id(r.nodeid) for r in session.results.tests.values() if r.upgrade_path}
    lost = []
    for test in sorted(left - ran):
        module = test.split("::", 1)[0]
        why = unimportable.get(module)
        lost.append(
            f"upgrade-path test {test} did not run"
            + (f": {module} cannot be imported by {sys.executable}: {why}" if why else "")
        )
    return lost


def upgrade_path_of(nodeid: str, ids: Sequence[str]) -> str | None:
    """Which of the upgrade paths ``ids`` a test's parameters name (pytest joins the ids
    of several parameters with ``-``, which path ids may contain too: the longest wins)."""
    _, bracket, params = nodeid.partition("[")
    params = params[:-1] if bracket and params.endswith("]") else ""
    named = [
        id_
        for id_ in ids
        if params == id_
        or params.startswith(f"{id_}-")
        or params.endswith(f"-{id_}")
        or f"-{id_}-" in params
    ]
    return max(named, key=len, default=None)


class XdistHooks:
    """Registered only with pytest-xdist, whose hooks pytest would not know otherwise.
    In whole-suite mode it is also the controller's policy for crashed workers (see
    :func:`._xdist.bundle_session`)."""

    def __init__(self, session: WorkspaceSession) -> None:
        self.session = session
        self.pytest_session: pytest.Session | None = None
        #: whole-suite mode with upgrade paths: the tests the bundles' workers left to
        #: the upgrade-path workers, and the modules those could not import
        self.left_to_upgraders: set[str] = set()
        self.unimportable: dict[str, str] = {}
        self.scheduler: BundleScheduling | None = None
        #: whole-suite mode: the tests each bundle's workers deselected
        self.deselected: dict[str, list[str]] = {}

    def start(self, config: pytest.Config) -> None:
        """Whole-suite mode: run the bundles' workers under this controller's policy."""
        from .xdist import bundle_session

        specs = [spec for worker in self.session.workers for spec in worker.specs]
        bundle_session(
            config, [*specs, *self.session.upgraders], self, lambda: self.make_scheduler(config)
        )

    def make_scheduler(self, config: pytest.Config) -> BundleScheduling:
        groups = {worker.bundle: len(worker.specs) for worker in self.session.workers}
        if self.session.upgraders:
            groups[""] = len(self.session.upgraders)
        self.scheduler = BundleScheduling(config, None, groups, self.pytest_session)
        return self.scheduler

    # -- the crash policy (CrashPolicy) ---------------------------------------------------

    def group_of(self, node: Any) -> str:
        return bundle_of(node) or ""

    def restarts(self, group: str) -> int | None:
        given = self.session.config.getoption("maxworkerrestart", None)
        if given is not None:
            return int(given)
        workers = {worker.bundle: len(worker.specs) for worker in self.session.workers}
        return 4 * workers.get(group, len(self.session.upgraders) or 1)

    def gave_up(self, group: str, why: str) -> None:
        results = self.session.results
        if group:
            results.crashed.setdefault(group, why)
            return
        selection = self.session.selection
        for path in selection.upgrades if selection else ():
            if not results.counts(path.id, path=True):
                results.crashed.setdefault(path.id, f"the upgrade-path workers {why}")

    def crash_message(self, node: Any, nodeid: str, why: str) -> str:
        bundle = bundle_of(node)
        if bundle is not None:
            where = f"bundle {bundle}'s env"
        else:
            path = self._path_of(nodeid)
            where = f"upgrade path {path}" if path else "the upgrade-path workers"
        return f"worker {node.gateway.id!r} {why} while running {nodeid!r} in {where}"

    def _path_of(self, nodeid: str) -> str | None:
        selection = self.session.selection
        return upgrade_path_of(nodeid, [p.id for p in selection.upgrades] if selection else [])

    # -- hooks ---------------------------------------------------------------------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.pytest_session = session

    def pytest_configure_node(self, node: Any) -> None:
        # pytest-xdist: the controller decides the selection once; workers receive it.
        payload = self.session.payload()
        if self.session.workers:
            payload["inside"] = bundle_of(node)
            payload["upgraders"] = len(self.session.upgraders)
        node.workerinput["workspace"] = payload

    def pytest_testnodeready(self, node: Any) -> None:
        if self.session.workers:
            from .xdist import label_worker

            bundle = bundle_of(node)
            label_worker(node, f"bundle {bundle}" if bundle else "upgrade paths")

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", {})
        bundle = bundle_of(node)
        broken = output.get("workspace_broken")
        if broken is not None:
            self.session.broken_bundles[bundle or node.gateway.id] = broken
        if bundle is not None and "workspace_deselected" in output:
            # Every worker of a bundle collects (and deselects) the same tests.
            self.deselected[bundle] = list(output["workspace_deselected"])
            self.session.results.deselected[bundle] = len(self.deselected[bundle])
        self.left_to_upgraders.update(output.get("workspace_path_tests", ()))
        self.unimportable.update(output.get("workspace_unimportable", {}))
        records = output.get("workspace_envs", {})
        # Whole-suite mode: the bundles' envs are the controller's own records.
        if records and (not self.session.workers or bundle is None):
            from ...results.records import EnvRecord

            for record in records.values():
                self.session.results.remember_env(EnvRecord(**record))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.session.workers:
            return
        # The workers deselected; pytest's final line counts them here, once per bundle.
        terminal = session.config.pluginmanager.getplugin("terminalreporter")
        if terminal is not None:
            for bundle, nodeids in self.deselected.items():
                found = terminal.stats.setdefault("deselected", [])
                found.extend(DeselectedIn(nodeid, bundle) for nodeid in nodeids)
        if not self.session.upgraders or session.shouldstop or session.shouldfail:
            return
        lost = lost_upgrade_tests(self.session, self.left_to_upgraders, self.unimportable)
        self.session.errors.extend(lost)

    def pytest_handlecrashitem(self, crashitem: str, report: Any, sched: Any) -> None:
        # The report pytest-xdist makes for a worker that died mid-test has none of the
        # worker's properties: it gets the bundle of the worker (or the upgrade path of
        # the test).
        if not self.session.workers:
            return
        bundle = bundle_of(report.node)
        if bundle is not None:
            report.user_properties.append(("workspace_bundle", bundle))
            return
        path = self._path_of(crashitem)
        if path is not None:
            report.user_properties.append(("workspace_upgrade_path", path))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_report_teststatus(self, report: Any) -> Any:
        """``FAILED [stable-3.2] tests/test_x.py::test_y``: whole-suite mode runs each
        test once per bundle, so its failure lines say which."""
        outcome = yield
        if not self.session.workers:
            return
        where = dict(getattr(report, "user_properties", ()) or ())
        name = where.get("workspace_bundle") or where.get("workspace_upgrade_path")
        name = name or getattr(report, "workspace_bundle", None)
        found = outcome.get_result()
        if not name or not found or found[0] not in ("failed", "error"):
            return
        category, letter, word = found
        marked = (f"{word[0]} [{name}]", word[1]) if isinstance(word, tuple) else f"{word} [{name}]"
        outcome.force_result((category, letter, marked))

    @pytest.hookimpl(trylast=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        bundle = getattr(report, "workspace_bundle", None)
        if self.session.workers and report.failed and isinstance(bundle, str):
            from .xdist import junit_property

            junit_property(self.session.config, report, "workspace_bundle", bundle)

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_getremotemodule(self) -> Any:
        if not self.session.workers:
            return None
        from . import remote

        return remote

    @pytest.hookimpl(trylast=True)
    def pytest_xdist_setupnodes(self, config: pytest.Config) -> None:
        if not self.session.workers:
            return
        from .xdist import show_status, start_together

        start_together(config)
        show_status(config, lambda: self.scheduler.status() if self.scheduler else None)
