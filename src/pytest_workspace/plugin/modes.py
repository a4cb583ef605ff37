"""The run's roles, one plugin object each: what the core decided (a
:class:`~..core.plan.RunPlan`) carried out with pytest's hooks.

:func:`start` reads the settings, asks the core for a selection and a plan, and returns
the role's object: :class:`IsolatedRun` (fixtures build
envs), :class:`RunningEnvRun` (``--workspace-env current``), or whole-suite mode's
controller and workers (:mod:`.wholesuite`, handed in by the entry point). What they
share is :class:`~.run.Run`.

A run that selects nothing never imports this module (:mod:`.idle`).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .idle import workspace_of
from .run import Run

if TYPE_CHECKING:
    from ..envs.env import Env
    from ..model.matrix import Bundle

__all__ = ["IsolatedRun", "RunningEnvRun", "XdistRelay", "start"]


class IsolatedRun(Run):
    """The tests run here; fixtures build (or reuse) each bundle's env."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace().cache  # noqa: B018 - bad cache settings are usage errors, before any test

    def tested_bundles(self) -> dict[str, Bundle]:
        """The bundles a checkout changes, at the checkout's version as its project file
        says; a version only the checkout's build knows (setuptools-scm, a backend's own
        scheme) is read from the bundle's env, built or reused now."""
        selection = self.selection
        if not (selection and selection.sources):
            return {}
        from ..envs.checkouts import checkout_versions
        from ..errors import WorkspaceError

        sources = selection.sources
        pins = [pin for chosen in selection.bundles for pin in chosen.pins]
        found = checkout_versions(pins, sources)
        tested = {}
        for chosen in selection.bundles:
            versions = found
            if not chosen.sourced(sources) <= found.keys():
                # The fixtures reuse this env (same spec); gating on the matrix's pin
                # instead would test the checkout as a version it is not.
                try:
                    env = self.env_for(chosen)
                except WorkspaceError:
                    pass  # the test that needs the env reports why, in one line
                else:
                    versions = {**found, **env.installed_sources()}
            tested[chosen.name] = chosen.with_versions(versions)
        return tested


class RunningEnvRun(Run):
    """``--workspace-env current``: the running interpreter is the bundle's env. It is
    checked once (the pins, and each checkout installed editable from itself), every
    test is attributed to the bundle, and fixtures hand out the running env."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not hasattr(self.config, "workerinput"):  # its xdist workers share the env
            assert self.selection is not None
            chosen = self.selection.bundles[0]
            self.workspace().check_current(chosen, sources=self.selection.sources)

    def env_for(
        self,
        chosen: Bundle,
        *,
        extras: Sequence[str] = (),
        private: Path | None = None,
        sources: Mapping[str, Path] | None = None,
    ) -> Env:
        if private is not None:
            return super().env_for(chosen, extras=extras, private=private, sources=sources)
        from ..results.records import EnvRecord

        self.results.remember_env(
            EnvRecord(chosen.name, "", "current", False, 0.0, chosen.versions())
        )
        selection = self.selection
        return self.workspace().current_env(
            chosen, sources=selection.sources if selection else sources
        )

    def tested_bundles(self) -> dict[str, Bundle]:
        selection = self.selection
        if not (selection and selection.sources):
            return {}
        from ..envs.checkouts import checkout_versions
        from ..envs.installed import read_installed

        chosen = selection.bundles[0]
        found = checkout_versions(chosen.pins, selection.sources, read_installed())
        return {chosen.name: chosen.with_versions(found)}


class XdistRelay:
    """For a run that is not whole-suite mode but runs under pytest-xdist (``-n 2``):
    the workers receive the controller's selection, and the controller the records of
    how the workers got their envs. (Registered only with pytest-xdist, whose hooks
    pytest would not know otherwise.)"""

    def __init__(self, run: Run) -> None:
        self.run = run

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["workspace"] = self.run.payload()

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        from ..results.records import EnvRecord

        for record in getattr(node, "workeroutput", {}).get("workspace_envs", {}).values():
            self.run.remember_env(EnvRecord(**record))


def start(
    config: pytest.Config,
    roles: Mapping[str, Callable[..., Run]],
    options: Mapping[str, Any],
    inis: Mapping[str, Any],
) -> Run:
    """The run's role object: settings read, the selection and the plan made; ``roles``
    maps each role of :mod:`..core.plan` to its class (whole-suite mode's live above
    this module)."""
    try:
        return _start(config, roles, options, inis)
    except Exception as error:
        from ..errors import WorkspaceError

        if isinstance(error, WorkspaceError):
            raise pytest.UsageError(str(error)) from None
        raise


def _start(
    config: pytest.Config,
    roles: Mapping[str, Callable[..., Run]],
    options: Mapping[str, Any],
    inis: Mapping[str, Any],
) -> Run:
    worker = getattr(config, "workerinput", {}).get("workspace") or None
    if worker is None:
        bundles = options["bundles"] or inis["bundles"]
        combinations = options["combinations"]
        upgrades = options["upgrades"] or inis["upgrades"]
    from ..core.plan import plan_run
    from ..core.selection import Request
    from ..errors import MatrixNotFound, WorkspaceError

    if worker is not None:
        started = float(worker["started"])
        request = Request.from_payload(worker)
    else:
        started = time.time()
        rebuild = started if options["rebuild"] else None
        request = Request(tuple(bundles), tuple(combinations), tuple(upgrades), rebuild)
    workspace = workspace_of(config, options, inis, worker["matrix"] if worker else None)
    what = (
        "--bundle"
        if request.bundles
        else ("--combination" if request.combinations else "--upgrade-path")
    )
    try:
        workspace.matrix  # noqa: B018 - load it now, for a message that names the option
    except MatrixNotFound as error:
        raise WorkspaceError(f"{what} needs a matrix file: {error}") from None
    # An invalid matrix speaks for itself: file, key path, what was expected.
    selection = workspace.select(request)
    if worker is None and options["report"]:
        from ..results.document import check_report_target

        check_report_target(options["report"])
    plan = plan_run(
        mode=options["mode"] or inis["mode"],
        selection=selection,
        started=started,
        worker=worker,
        collect_only=bool(config.getoption("collectonly")),
        numprocesses=config.getoption("numprocesses", None),
        allow_not_run=bool(inis["allow_not_run"]),
    )
    return roles[plan.role](
        config, workspace, plan, sources=worker.get("sources") if worker else None
    )
