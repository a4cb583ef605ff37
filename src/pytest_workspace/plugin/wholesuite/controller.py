"""Whole-suite mode (``--workspace-env=bundle``): the session's own tests run inside
each selected bundle's env, and their reports come back into this session.

The engine is pytest-xdist: every bundle gets ``popen`` workers whose interpreter is its
env's Python, one :class:`~.scheduling.BundleScheduling` runs a scheduler per bundle (so
each bundle runs the whole suite, and ``-n N`` gives each bundle N workers), and
:mod:`.remote` keeps each worker on its own env's ``sys.path``. The workers are
:class:`~.worker.BundleWorker` objects (running-environment mode for their bundle); the
upgrade-path tests run once per path in :class:`~.worker.UpgradeWorker` objects on this
interpreter. :class:`SuiteController` is this process's role: it builds the envs, runs
xdist's controller session under its crash policy (:mod:`.xdist`) and reports per bundle.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from ..run import Run
from .worker import function_id
from .xdist import BUNDLE_VARIABLE, BundleScheduling, bundle_of

if TYPE_CHECKING:
    from ...core.selection import Selection
    from ...envs.env import Env

__all__ = ["UPGRADE_SPEC", "DeselectedIn", "SuiteController", "Worker", "upgrade_path_of"]

#: the workers that run the upgrade-path tests, once per path: on this interpreter, as
#: an isolated run would (they build envs, which a bundle's env has no means to do)
UPGRADE_SPEC = "popen//env:PYTEST_WORKSPACE_ROLE=upgrade-paths"


@dataclass(frozen=True)
class Worker:
    """One bundle's share of the run: its env and the xdist specs of its workers."""

    bundle: str
    env: Env
    specs: tuple[str, ...]


@dataclass(frozen=True)
class DeselectedIn:
    """A test that a bundle's workers deselected, as the controller's terminal counts it
    (pytest keeps the deselected items; here they live in the workers)."""

    nodeid: str
    bundle: str


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


def _missing_module(text: str) -> str | None:
    """The top-level module a ``ModuleNotFoundError`` names, when this env has it."""
    import importlib.util
    import re

    found = re.search(r"ModuleNotFoundError: No module named '([\w.]+)'", text)
    if found is None:
        return None
    top = found.group(1).partition(".")[0]
    try:
        return top if importlib.util.find_spec(top) is not None else None
    except (ImportError, ValueError):
        return None


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


class SuiteController(Run):
    """Whole-suite mode's controller: the bundles' envs, their workers, and the results
    per bundle. It is also xdist's crash policy (:class:`.xdist.CrashPolicy`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ...errors import WorkspaceError

        problem = _refuse(self.config)
        if problem:
            raise WorkspaceError(problem)
        self.workers, self.upgraders, self._selection = self._prepare()
        from .plugins import differing_plugins

        problem = differing_plugins(self.config, {w.bundle: w.env for w in self.workers})
        if problem:
            raise WorkspaceError(problem)
        #: bundles whose workers found their env unusable (it ran nothing)
        self.broken_bundles: dict[str, str] = {}
        #: the tests the bundles' workers left to the upgrade-path workers, and the
        #: modules those could not import
        self.left_to_upgraders: set[str] = set()
        self.unimportable: dict[str, str] = {}
        self.deselected: dict[str, list[str]] = {}
        #: bundle to the modules its tests could not import that this env has
        self.missing: dict[str, set[str]] = {}
        self.scheduler: BundleScheduling | None = None
        self.pytest_session: pytest.Session | None = None
        from .xdist import bundle_session

        specs = [spec for worker in self.workers for spec in worker.specs]
        bundle_session(self.config, [*specs, *self.upgraders], self, self.make_scheduler)

    @property
    def selection(self) -> Selection:
        return self._selection

    def _prepare(self) -> tuple[list[Worker], tuple[str, ...], Selection]:
        """Build (or reuse) each selected bundle's test env; each bundle's xdist specs
        (and this interpreter's for the upgrade paths, when some are selected). The
        selection comes back with each checkout at the version it installed as."""
        from ...errors import InterpreterNotFound, WorkspaceError
        from .testenv import suite_spec

        config = self.config
        selection = self.planned.selection
        workspace = self.workspace()
        workspace.cache  # noqa: B018 - bad cache settings are usage errors, before any test
        per_bundle = self.planned.workers
        workers: list[Worker] = []
        for chosen in selection.bundles:
            try:
                spec = suite_spec(
                    workspace,
                    chosen,
                    sources=selection.sources,
                    test_extras=config.getini("workspace_test_extras"),
                    test_groups=config.getini("workspace_test_groups"),
                )
            except InterpreterNotFound as error:
                if workspace.settings.strict:
                    raise
                self.results.not_run[chosen.name] = str(error)
                continue
            env = workspace.env_of(spec, chosen, rebuild_before=selection.request.rebuild_before)
            self.obtained(chosen.name, env)
            tx = f"popen//python={env.python}//env:{BUNDLE_VARIABLE}={chosen.name}"
            workers.append(Worker(chosen.name, env, (tx,) * per_bundle))
        if not workers:
            raise WorkspaceError("--workspace-env=bundle: no selected bundle can run here")
        upgraders = (UPGRADE_SPEC,) * per_bundle if selection.upgrades else ()
        built = {worker.bundle: worker.env for worker in workers}
        bundles = tuple(
            b.with_versions(built[b.name].installed_sources()) if b.name in built else b
            for b in selection.bundles
        )
        return workers, upgraders, dataclasses.replace(selection, bundles=bundles)

    def make_scheduler(self) -> BundleScheduling:
        groups = {worker.bundle: len(worker.specs) for worker in self.workers}
        if self.upgraders:
            groups[""] = len(self.upgraders)
        self.scheduler = BundleScheduling(self.config, None, groups, self.pytest_session)
        return self.scheduler

    # -- the crash policy (.xdist.CrashPolicy) ----------------------------------------------

    def group_of(self, node: Any) -> str:
        return bundle_of(node) or ""

    def restarts(self, group: str) -> int | None:
        given = self.config.getoption("maxworkerrestart", None)
        if given is not None:
            return int(given)
        workers = {worker.bundle: len(worker.specs) for worker in self.workers}
        return 4 * workers.get(group, len(self.upgraders) or 1)

    def gave_up(self, group: str, why: str) -> None:
        if group:
            self.results.crashed.setdefault(group, why)
            return
        for path in self.selection.upgrades:
            if not self.results.counts(path.id, path=True):
                self.results.crashed.setdefault(path.id, f"the upgrade-path workers {why}")

    def crash_message(self, node: Any, nodeid: str, why: str) -> str:
        bundle = bundle_of(node)
        if bundle is not None:
            where = f"bundle {bundle}'s env"
        else:
            path = self._path_of(nodeid)
            where = f"upgrade path {path}" if path else "the upgrade-path workers"
        return f"worker {node.gateway.id!r} {why} while running {nodeid!r} in {where}"

    def _path_of(self, nodeid: str) -> str | None:
        return upgrade_path_of(nodeid, [path.id for path in self.selection.upgrades])

    # -- what the run says ---------------------------------------------------------------

    def header_lines(self) -> list[str]:
        """Which env each bundle's workers run in, and where the upgrade-path tests run."""
        n = len(self.workers[0].specs)
        lines = [
            f"the whole suite runs in each bundle's env ({n} worker{'' if n == 1 else 's'} "
            "each): " + ", ".join(f"{w.bundle} ({w.env.python})" for w in self.workers)
        ]
        if self.upgraders:
            count = len(self.upgraders)
            lines.append(
                "the upgrade-path tests run once per path, in this interpreter "
                f"({sys.executable}; {count} worker{'' if count == 1 else 's'})"
            )
        return lines

    def summary_lines(self) -> list[str]:
        # One nodeid per bundle: say which bundle (or upgrade path) each failure is in.
        lines = [
            f"{result.outcome} in {result.bundle or f'upgrade path {result.upgrade_path}'}: "
            f"{result.nodeid}"
            for result in self.results.tests.values()
            if result.outcome in ("failed", "error")
        ]
        for bundle, modules in sorted(self.missing.items()):
            # The outer env has what the tests import; the bundle's env is built anew.
            names = ", ".join(sorted(modules))
            lines.append(
                f"hint: bundle {bundle}'s env lacks {names} (this env has it): the bundle's "
                "env holds its pins, the project (with workspace_test_extras), "
                "workspace_test_groups, workspace_test_requirements and workspace_extras "
                "(tox passes its env's deps as test requirements); add it to one of them"
            )
        return lines

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # The workers deselected; pytest's final line counts them here, once per bundle.
        terminal = session.config.pluginmanager.getplugin("terminalreporter")
        if terminal is not None:
            for bundle, nodeids in self.deselected.items():
                found = terminal.stats.setdefault("deselected", [])
                found.extend(DeselectedIn(nodeid, bundle) for nodeid in nodeids)
        if self.upgraders and not (session.shouldstop or session.shouldfail):
            self.errors.extend(self._lost_upgrade_tests())
        for bundle, reason in self.broken_bundles.items():
            self.results.not_run.setdefault(bundle, f"its env failed the check: {reason}")
        super().pytest_sessionfinish(session)
        if self.broken_bundles and session.exitstatus in (0, 1):
            session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def _lost_upgrade_tests(self) -> list[str]:
        """Each upgrade-path test that the bundles' workers left to the upgrade-path
        workers and that none of them ran, with the reason when known."""
        ran = {function_id(r.nodeid) for r in self.results.tests.values() if r.upgrade_path}
        lost = []
        for test in sorted(self.left_to_upgraders - ran):
            module = test.split("::", 1)[0]
            why = self.unimportable.get(module)
            lost.append(
                f"upgrade-path test {test} did not run"
                + (f": {module} cannot be imported by {sys.executable}: {why}" if why else "")
            )
        return lost

    # -- pytest-xdist's hooks ----------------------------------------------------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.pytest_session = session

    def pytest_configure_node(self, node: Any) -> None:
        # The controller decides the selection once; workers receive it.
        payload = self.payload()
        payload["inside"] = bundle_of(node)
        payload["upgraders"] = len(self.upgraders)
        node.workerinput["workspace"] = payload

    def pytest_testnodeready(self, node: Any) -> None:
        from .xdist import label_worker

        bundle = bundle_of(node)
        label_worker(node, f"bundle {bundle}" if bundle else "upgrade paths")

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", {})
        bundle = bundle_of(node)
        broken = output.get("workspace_broken")
        if broken is not None:
            self.broken_bundles[bundle or node.gateway.id] = broken
        if bundle is not None and "workspace_deselected" in output:
            # Every worker of a bundle collects (and deselects) the same tests.
            self.deselected[bundle] = list(output["workspace_deselected"])
            self.results.deselected[bundle] = len(self.deselected[bundle])
        self.left_to_upgraders.update(output.get("workspace_path_tests", ()))
        self.unimportable.update(output.get("workspace_unimportable", {}))
        if bundle is None:  # the bundles' envs are this process's own records
            from ...results.records import EnvRecord

            for record in output.get("workspace_envs", {}).values():
                self.remember_env(EnvRecord(**record))

    def pytest_handlecrashitem(self, crashitem: str, report: Any, sched: Any) -> None:
        # The report made for a worker that died mid-test has none of the worker's
        # properties: it gets the bundle of the worker (or the upgrade path of the test).
        bundle = bundle_of(report.node)
        if bundle is not None:
            report.user_properties.append(("workspace_bundle", bundle))
            return
        path = self._path_of(crashitem)
        if path is not None:
            report.user_properties.append(("workspace_upgrade_path", path))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_report_teststatus(self, report: Any) -> Any:
        """``FAILED [stable-3.2] tests/test_x.py::test_y``: each test runs once per
        bundle, so its failure lines say which."""
        outcome = yield
        where = dict(getattr(report, "user_properties", ()) or ())
        name = where.get("workspace_bundle") or where.get("workspace_upgrade_path")
        name = name or getattr(report, "workspace_bundle", None)
        found = outcome.get_result()
        if not name or not found or found[0] not in ("failed", "error"):
            return
        category, letter, word = found
        marked = (f"{word[0]} [{name}]", word[1]) if isinstance(word, tuple) else f"{word} [{name}]"
        outcome.force_result((category, letter, marked))

    @pytest.hookimpl(trylast=True)  # after JUnit's, which made the entry
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A test module that a bundle's worker could not import is an error of that
        bundle (the worker tagged its report): in the results and in JUnit."""
        bundle = getattr(report, "workspace_bundle", None)
        if report.failed and isinstance(bundle, str):
            from .xdist import junit_property

            self.record_collect_error(report, [bundle], [])
            junit_property(self.config, report, "workspace_bundle", bundle)
            module = _missing_module(report.longreprtext)
            if module is not None:
                self.missing.setdefault(bundle, set()).add(module)

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_getremotemodule(self) -> Any:
        from .xdist import remote

        return remote

    @pytest.hookimpl(trylast=True)
    def pytest_xdist_setupnodes(self, config: pytest.Config) -> None:
        from .xdist import show_status, start_together

        start_together(config)
        show_status(config, lambda: self.scheduler.status() if self.scheduler else None)
