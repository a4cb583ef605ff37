"""Whole-suite mode's workers, one role object each (registered by
:func:`..modes.start` in a pytest-xdist worker whose controller made it one):

- :class:`BundleWorker`: runs in one bundle's env (started there by the controller, see
  :mod:`.remote`), checks that the env holds the bundle and the checkout, runs every
  test as that bundle's and tags what it reports with the bundle's name;
- :class:`UpgradeWorker`: runs the upgrade-path tests once per path, in the
  controller's interpreter, as an isolated run would (they build envs of their own).

Both tell the controller, through ``workeroutput``, what it cannot see: why the env
failed its check, what was deselected, which tests forked or called ``pytest.exit()``.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

import pytest

from ..modes import IsolatedRun
from ..run import Run

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ...core.selection import Selection

__all__ = ["BundleWorker", "ForkGuard", "OuterCollection", "UpgradeWorker", "function_id"]


def function_id(nodeid: str) -> str:
    """A test's nodeid without its parameters (its upgrade path's id, its bundle's)."""
    return nodeid.split("[", 1)[0]


class _WorkerSide:
    """What every whole-suite worker does beside its role: guard against forking
    tests, report ``pytest.exit()``, and hand the controller its findings."""

    config: pytest.Config
    _splitting = False

    def _start_worker(self) -> None:
        self.config.pluginmanager.register(ForkGuard(self.config), "workspace-fork-guard")

    def split(self, items: list[pytest.Item], paths_here: bool) -> list[pytest.Item]:
        """The upgrade-path tests belong to the upgrade-path workers, the rest to the
        bundles' workers; the other side's are deselected here (not the user's doing)."""
        kept: list[pytest.Item] = []
        gone: list[pytest.Item] = []
        for item in items:
            is_path = "upgrade_path" in getattr(item, "fixturenames", ())
            (kept if is_path == paths_here else gone).append(item)
        if gone:
            self._splitting = True
            try:
                self.config.hook.pytest_deselected(items=gone)
            finally:
                self._splitting = False
            items[:] = kept
        return gone

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # pytest.exit() ends this worker's session: the controller gives its bundle up
        # with this reason (a real interrupt stops the whole run, as in xdist).
        output = getattr(self.config, "workeroutput", None)
        if output is not None and excinfo.errisinstance(pytest.exit.Exception):
            output["workspace_exit"] = f"pytest.exit(): {getattr(excinfo.value, 'msg', '')}"


class BundleWorker(_WorkerSide, Run):
    """A worker in bundle ``plan.inside``'s env: running-environment mode for that one
    bundle, checked like it; upgrade paths aside (they run in other workers)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ...errors import WorkspaceError

        self._start_worker()
        #: why this worker's env failed its check: it runs nothing, the controller says why
        self.broken: str | None = None
        self.deselected_nodeids: list[str] = []
        self._here = self._narrowed()
        try:
            self._here = self._enter()
        except WorkspaceError as error:
            # Raised, it would crash the worker, which xdist would replace again and
            # again; instead it runs nothing and the controller says why.
            self.broken = str(error)

    def _narrowed(self) -> Selection:
        selection = self.planned.selection
        chosen = next(b for b in selection.bundles if b.name == self.planned.inside)
        return dataclasses.replace(selection, bundles=(chosen,), upgrades=())

    def _enter(self) -> Selection:
        from ...envs.checkouts import checkout_versions
        from ...envs.installed import read_installed

        selection = self._narrowed()
        chosen = selection.bundles[0]
        installed = read_installed()  # one scan of the env's metadata serves both
        self.workspace().check_current(chosen, sources=selection.sources, installed=installed)
        # Gates, properties and fixtures see the checkout at the version it installed as.
        chosen = chosen.with_versions(checkout_versions(chosen.pins, selection.sources, installed))
        return dataclasses.replace(selection, bundles=(chosen,))

    @property
    def selection(self) -> Selection:
        return self._here

    def env_for(self, chosen: Any, **given: Any) -> Any:
        if given.get("private") is not None:
            return super().env_for(chosen, **given)
        from ...results.records import EnvRecord

        self.results.remember_env(
            EnvRecord(chosen.name, "", "current", False, 0.0, chosen.versions())
        )
        return self.workspace().current_env(chosen, sources=self._here.sources)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if self.broken is not None:
            self.config.hook.pytest_deselected(items=list(items))
            items[:] = []
            return
        if self.planned.upgrades_apart:
            gone = self.split(items, paths_here=False)
            output = getattr(self.config, "workeroutput", None)
            if output is not None:
                # The controller checks that the upgrade-path workers ran them all.
                output["workspace_path_tests"] = sorted({function_id(i.nodeid) for i in gone})
        super().pytest_collection_modifyitems(items)

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        if self.broken is None and not self._splitting:
            super().pytest_deselected(items)

    def deselected_here(self, item: pytest.Item) -> None:
        self.deselected_nodeids.append(item.nodeid)

    @pytest.hookimpl(tryfirst=True)  # tagged before xdist sends it
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # The controller records it, as an error of this bundle.
        if report.failed:
            report.workspace_bundle = self.inside  # type: ignore[attr-defined]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        output = getattr(self.config, "workeroutput", None)
        if output is None:
            return
        if self.broken is not None:
            output["workspace_broken"] = self.broken
        output["workspace_deselected"] = self.deselected_nodeids


class UpgradeWorker(_WorkerSide, IsolatedRun):
    """A worker that runs the upgrade-path tests, once per path, on the controller's
    interpreter: an isolated run of those tests alone."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._start_worker()
        self.config.pluginmanager.register(
            OuterCollection(self.config), "workspace-outer-collection"
        )

    @property
    def selection(self) -> Selection:
        return dataclasses.replace(self.planned.selection, bundles=())

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.split(items, paths_here=True)
        super().pytest_collection_modifyitems(items)

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        if not self._splitting:
            super().pytest_deselected(items)


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
