"""Whole-suite mode runs its own controller session, :func:`bundle_session`: pytest-xdist's
``DSession`` with a policy per bundle, because xdist's assumes one suite in one env.

- **Crashes are per bundle.** A worker that dies while starting (its conftest cannot be
  imported in that env, it exits) is not replaced: its replacement would start the same
  way. One that dies mid-test is replaced, up to ``--max-worker-restart`` (default: 4 per
  worker of the bundle, xdist's own rule, counted per bundle). A bundle past that is
  given up: its verdict is ``crashed``, with why, and the other bundles go on.
- **A bundle's process cannot take the run down.** Events xdist cannot decode (a warning
  class the bundle's older pytest has and ours does not), a worker that reports a test it
  was not running (a test forked a process that went on running tests), ``pytest.exit()``
  or an internal error in a worker: each ends that bundle with a message, never as an
  INTERNALERROR of the run. Events of a worker given up are dropped.

The workers of each bundle start together (xdist makes each gateway after the previous
one started, 60-100 ms apart), and the status line says what each bundle collected.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .scheduling import SchedulingBroken

if TYPE_CHECKING:
    from .scheduling import BundleScheduling

__all__ = [
    "SUPPORTED",
    "CrashPolicy",
    "bundle_session",
    "check_versions",
    "junit_property",
    "label_worker",
    "show_status",
    "start_together",
    "xdist_hooks",
]

#: the versions whole-suite mode is tested with (the oldest and the newest: nox -s xdist)
SUPPORTED = {"pytest-xdist": ("3.5", "4"), "execnet": ("2.1", "3")}


@functools.cache
def check_versions() -> str | None:
    """Why the installed pytest-xdist or execnet cannot run whole-suite mode, or None."""
    import importlib.metadata

    from packaging.version import Version

    for name, (low, high) in SUPPORTED.items():
        try:
            found = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            return f"--workspace-env=bundle needs {name} (pip install pytest-xdist)"
        if not Version(low) <= found < Version(high):
            return f"--workspace-env=bundle supports {name} >={low},<{high}; {found} is installed"
    return None


class CrashPolicy(Protocol):
    """What whole-suite mode's controller decides for the session."""

    def group_of(self, node: Any) -> str:
        """The bundle a worker runs in, ``""`` for the upgrade-path workers."""

    def restarts(self, group: str) -> int | None:
        """How many crashed workers of ``group`` are replaced (None: no bound)."""

    def gave_up(self, group: str, why: str) -> None:
        """``group`` runs no more tests: record why (its verdict is ``crashed``)."""

    def crash_message(self, node: Any, nodeid: str, why: str) -> str:
        """The failure text of a test whose worker died (or stopped) while running it."""


def _last_line(error: object) -> str:
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[-1] if lines else str(error)


def exit_code(node: Any) -> int | None:
    """The exit code of a ``popen`` worker's process, once it has ended (else None)."""
    popen = getattr(getattr(node.gateway, "_io", None), "popen", None)
    wait = getattr(popen, "wait", None)
    if wait is None:
        return None
    import subprocess

    try:
        code = wait(timeout=1)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return code if isinstance(code, int) else None


# -- decoding what workers send ------------------------------------------------------------


def _readable_warning(data: dict[str, Any]) -> dict[str, Any]:
    """A serialised warning whose classes this interpreter may lack (the bundle's pytest
    is older or newer than ours): unknown classes become ``pytest.PytestWarning`` with
    the original class named in the text."""
    import importlib

    def known(module: str | None, name: str | None) -> bool:
        if not module:
            return True
        try:
            return hasattr(importlib.import_module(module), str(name))
        except ImportError:
            return False

    if known(data.get("category_module"), data.get("category_class_name")) and known(
        data.get("message_module"), data.get("message_class_name")
    ):
        return data
    original = f"{data.get('category_class_name')}: {data.get('message_str')}"
    return {
        **data,
        "message_module": None,
        "message_class_name": None,
        "message_args": None,
        "message_str": original,
        "category_module": "pytest",
        "category_class_name": "PytestWarning",
    }


def _worker_class() -> type:
    """xdist's ``WorkerController``, deciding each event before xdist does: one it cannot
    decode ends that worker (the controller gives its bundle up) instead of printing an
    INTERNALERROR and going on with a worker it has half forgotten."""
    from xdist.workermanage import WorkerController

    class Worker(WorkerController):
        _down: bool  # xdist's: the worker is known to be down

        def process_from_remote(self, eventcall: Any) -> None:
            if isinstance(eventcall, tuple) and len(eventcall) == 2:
                name, kwargs = eventcall
                try:
                    if name == "warning_recorded":
                        data = kwargs["warning_message_data"]
                        kwargs["warning_message_data"] = _readable_warning(data)
                    elif name in ("testreport", "collectreport", "teardownreport"):
                        # As xdist does, decoded here so that a failure is ours to report.
                        index = kwargs.pop("item_index", None)
                        report = self.config.hook.pytest_report_from_serializable(
                            config=self.config, data=kwargs["data"]
                        )
                        if index is not None:
                            report.item_index = index
                        self.notify_inproc(name, node=self, rep=report)
                        return
                except Exception as error:  # any event this pytest cannot decode
                    if not self._down:
                        self._down = True
                        why = f"its worker sent a {name} this pytest cannot read: {error!r}"
                        self.notify_inproc("errordown", node=self, error=Undecodable(why))
                        self.shutdown()
                    return
            super().process_from_remote(eventcall)

    return Worker


class Undecodable(Exception):
    """A worker sent an event the controller cannot decode (the message says which)."""


# -- the controller session ----------------------------------------------------------------


def bundle_session(
    config: Any, specs: Sequence[str], policy: CrashPolicy, make_scheduler: Callable[[], Any]
) -> Any:
    """Register and return whole-suite mode's controller session, with xdist's own
    ``DSession`` kept out (it is made only when ``--tx`` or ``-n`` is set)."""
    import pytest
    from xdist import dsession, workermanage

    config.option.tx = []  # xdist's pytest_configure (trylast) now makes no DSession

    class BundleSession(dsession.DSession):
        terminal: Any  # xdist's: the terminal reporter, when there is one
        sched: BundleScheduling  # mypy checks it against xdist's Scheduling protocol

        def __init__(self) -> None:
            super().__init__(config)
            self._max_worker_restart = None  # bounded per bundle by the policy
            self._crashes: dict[str, int] = {}
            self._collected: set[Any] = set()
            #: workers whose events are dropped: given up, or down already
            self._gone: set[Any] = set()
            self._patched: dict[str, Any] = {}

        @pytest.hookimpl(trylast=True)
        def pytest_sessionstart(self, session: Any) -> None:
            if self.terminal is None:
                # Made at our pytest_configure, before the terminal's: what xdist's
                # DSession sets up in its __init__ for the terminal, done now.
                self.terminal = config.pluginmanager.getplugin("terminalreporter")
                if self.terminal:
                    self.trdist = dsession.TerminalDistReporter(config)
                    config.pluginmanager.register(self.trdist, "terminaldistreporter")
            if self.terminal:
                self.terminal.showfspath = False  # as xdist does for its own session
            # The workers are ours (their events decided first); setup_node and the
            # clones of crashed workers look the class up in xdist's module.
            self._patched = {"WorkerController": workermanage.WorkerController}
            setattr(workermanage, "WorkerController", _worker_class())  # noqa: B010
            self.nodemanager = workermanage.NodeManager(config, specs=list(specs))
            nodes = self.nodemanager.setup_nodes(putevent=self.queue.put)
            self._active_nodes.update(nodes)
            self._session = session

        @pytest.hookimpl
        def pytest_sessionfinish(self) -> None:
            import inspect

            # pytest-xdist 3.5 declares (and ignores) a session argument; later ones none.
            finish: Any = super().pytest_sessionfinish
            finish(*([None] if "session" in inspect.signature(finish).parameters else []))
            for name, value in self._patched.items():
                setattr(workermanage, name, value)

        @pytest.hookimpl(tryfirst=True)
        def pytest_xdist_make_scheduler(self, config: Any, log: Any) -> Any:
            return make_scheduler()

        # -- events of workers that are gone are dropped --------------------------------

        def worker_workerready(self, node: Any, workerinfo: Any) -> None:
            if node not in self._gone:
                super().worker_workerready(node, workerinfo)

        def worker_collectionfinish(self, node: Any, ids: Sequence[str]) -> None:
            if node not in self._gone:
                self._collected.add(node)
                super().worker_collectionfinish(node, ids)

        def worker_logstart(self, node: Any, nodeid: str, location: Any) -> None:
            if node not in self._gone:
                super().worker_logstart(node, nodeid, location)

        def worker_logfinish(self, node: Any, nodeid: str, location: Any) -> None:
            if node not in self._gone:
                super().worker_logfinish(node, nodeid, location)

        def worker_testreport(self, node: Any, rep: Any) -> None:
            if node not in self._gone:
                super().worker_testreport(node, rep)

        def worker_collectreport(self, node: Any, rep: Any) -> None:
            if node not in self._gone:
                super().worker_collectreport(node, rep)

        def worker_unscheduled(self, node: Any, indices: Sequence[int]) -> None:
            if node not in self._gone:
                self._scheduled(
                    lambda: super(BundleSession, self).worker_unscheduled(node, indices)
                )

        def worker_runtest_protocol_complete(
            self, node: Any, item_index: int, duration: float
        ) -> None:
            if node not in self._gone:
                self._scheduled(lambda: self.sched.mark_test_complete(node, item_index, duration))

        def worker_internal_error(self, node: Any, formatted_error: str) -> None:
            if node not in self._gone:
                why = f"pytest hit an internal error in its worker: {_last_line(formatted_error)}"
                self._down(node, error=formatted_error)
                self._give_up(policy.group_of(node), why)

        # -- workers that end ------------------------------------------------------------

        def worker_workerfinished(self, node: Any) -> None:
            if node in self._gone:
                self._active_nodes.discard(node)
                return
            output = node.workeroutput
            stopped = output.get("workspace_exit")
            forked = output.get("workspace_forked")
            if forked:
                tests = ", ".join(forked)
                self._down(node, error=None)
                self._give_up(
                    policy.group_of(node),
                    f"{tests} forked a process that went on running tests (it was stopped)",
                )
                return
            if output.get("exitstatus") == 2 and not stopped:
                # A real keyboard interrupt: the whole run stops, as in xdist.
                self.shouldstop = f"{node} received keyboard-interrupt"
                self._down(node, "keyboard-interrupt")
                return
            if stopped or not (output.get("shouldfail") or output.get("shouldstop")):
                self._gone.add(node)
                self.config.hook.pytest_testnodedown(node=node, error=None)
                crashitem = self._remove(node)
                self._active_nodes.discard(node)
                if crashitem:
                    why = f"stopped by {stopped}" if stopped else "stopped early"
                    self._crash_report(node, crashitem, why)
                    self._give_up(policy.group_of(node), f"{why} while running {crashitem}")
                return
            super().worker_workerfinished(node)

        def worker_errordown(self, node: Any, error: object) -> None:
            if node in self._gone:
                self._active_nodes.discard(node)
                return
            group = policy.group_of(node)
            starting = node not in self._collected
            crashitem = self._down(node, error)
            if crashitem:
                self._crash_report(node, crashitem, "crashed")
            if isinstance(error, Undecodable):
                self._give_up(group, str(error))
                return
            if starting:
                code = exit_code(node) if "Not properly terminated" in str(error) else None
                shown = f" (exit code {code})" if code is not None else ""
                self._give_up(group, f"workers crashed while starting{shown}: {_last_line(error)}")
                return
            self._crashes[group] = crashes = self._crashes.get(group, 0) + 1
            bound = policy.restarts(group)
            if bound is not None and crashes > bound:
                why = f"workers crashed {crashes} times (--max-worker-restart replaces {bound})"
                self._give_up(group, why)
                return
            self.report_line(f"\nreplacing crashed worker {node.gateway.id}")
            self.shuttingdown = False
            self._clone_node(node)

        # -- helpers -------------------------------------------------------------------

        def _remove(self, node: Any) -> str | None:
            try:
                crashitem: str | None = self.sched.remove_node(node)
            except KeyError:  # never added: it died before it was ready
                return None
            return crashitem

        def _down(self, node: Any, error: object) -> str | None:
            """Forget a worker that went down; the test it was running, if any."""
            self._gone.add(node)
            self.config.hook.pytest_testnodedown(node=node, error=error)
            crashitem = self._remove(node)
            self._active_nodes.discard(node)
            return crashitem

        def _crash_report(self, node: Any, nodeid: str, why: str) -> None:
            # As xdist's handle_crashitem, with the policy's message.
            fspath = nodeid.split("::")[0]
            report = pytest.TestReport(
                nodeid=nodeid,
                location=(fspath, None, fspath),
                keywords={},
                outcome="failed",
                longrepr=policy.crash_message(node, nodeid, why),
                when="???",  # type: ignore[arg-type]
            )
            report.node = node  # type: ignore[attr-defined]  # as xdist does
            self.config.hook.pytest_handlecrashitem(
                crashitem=nodeid, report=report, sched=self.sched
            )
            self.config.hook.pytest_runtest_logreport(report=report)

        def _scheduled(self, call: Callable[[], None]) -> None:
            try:
                call()
            except SchedulingBroken as broken:
                self._give_up(broken.group, broken.why)

        def _give_up(self, group: str, why: str) -> None:
            """``group`` runs nothing more: its live workers are shut down and dropped."""
            policy.gave_up(group, why)
            self.sched.give_up(group)
            for node in list(self._active_nodes):
                if policy.group_of(node) == group:
                    node.shutdown()
                    self._gone.add(node)
            # The others may have been waiting for this group's collection: schedule
            # them first (xdist counts a collected, unscheduled group as finished).
            if self.sched.collection_is_completed:
                self.sched.schedule()
            if self.sched.tests_finished:
                self.triggershutdown()

    session = BundleSession()
    config.pluginmanager.register(session, "dsession")
    return session


# -- controller objects of xdist and pytest that whole-suite mode adjusts ------------------


def start_together(config: Any) -> bool:
    """Start every spec's gateway now, in parallel (from ``pytest_xdist_setupnodes``).
    False when xdist's node manager is not where this expects it (nothing started)."""
    dsession = config.pluginmanager.getplugin("dsession")
    manager = getattr(dsession, "nodemanager", None)
    group = getattr(manager, "group", None)
    specs = list(getattr(manager, "specs", ()))
    make = getattr(group, "makegateway", None)
    if (
        group is None
        or make is None
        or len(specs) < 2
        or "makegateway" in vars(group)  # already ours (or someone else's)
        or any(getattr(spec, "id", None) is None or spec.via for spec in specs)
    ):
        return False
    made: dict[str, Any] = {}

    def start(spec: Any) -> None:
        try:
            made[spec.id] = make(spec)
        except BaseException as error:  # re-raised in xdist's own call
            made[spec.id] = error

    threads = [threading.Thread(target=start, args=(spec,), daemon=True) for spec in specs]
    for thread in threads:
        thread.start()

    def makegateway(spec: Any = None) -> Any:
        for thread in threads:
            thread.join()
        gateway = made.pop(str(getattr(spec, "id", "")), None)
        if gateway is None:  # a spec made later (a restarted worker): xdist's own way
            return make(spec)
        if isinstance(gateway, BaseException):
            raise gateway
        return gateway

    group.makegateway = makegateway
    return True


def show_status(config: Any, status: Callable[[], str | None]) -> None:
    """The terminal's ``N workers [M items]`` line becomes ``status()`` once it has
    something to say (xdist's shows the first worker's count as everyone's)."""
    reporter = config.pluginmanager.getplugin("terminaldistreporter")
    plain = getattr(reporter, "getstatus", None)
    if plain is None:
        return

    def getstatus() -> str:
        return status() or str(plain())

    reporter.getstatus = getstatus


def label_worker(node: Any, label: str) -> None:
    """Name ``label`` (the bundle) in the ``[gw0] linux -- Python ...`` line that pytest
    prints with each of the worker's failures (it shows the env's interpreter path)."""
    info = getattr(node, "workerinfo", None)
    if isinstance(info, dict) and "id" in info:
        info["id"] = f"{info['id']} {label}"


def junit_property(config: Any, report: Any, name: str, value: str) -> None:
    """Add a property to the JUnit entry of a collection error (pytest adds a test's
    ``user_properties`` only; a collect report has none)."""
    try:
        from _pytest.junitxml import xml_key
    except ImportError:
        return
    xml = config.stash.get(xml_key, None)
    if xml is not None:
        xml.node_reporter(report).add_property(name, value)


@functools.cache
def xdist_hooks() -> frozenset[str]:
    """The hooks pytest-xdist adds (its ``newhooks``): a plugin implementing one of them
    takes part in the controller's side of a distributed run."""
    from xdist import newhooks

    return frozenset(name for name in dir(newhooks) if name.startswith("pytest_"))
