"""The run plan: what one pytest process does, decided before any test runs and without
pytest. The plugin registers the plan's role as one object (see :mod:`..plugin.modes`),
so no hook asks "which mode am I in" at run time.

Roles:

- ``isolated``: the tests run here and fixtures build bundle envs (also each xdist
  worker of such a run);
- ``running-env``: the running interpreter is the one bundle's env (``--workspace-env
  current``; also each xdist worker of such a run);
- ``suite-controller``: whole-suite mode's controller: it builds each bundle's env and
  starts pytest-xdist workers in them, and collects nothing itself;
- ``bundle-worker``: a whole-suite worker inside one bundle's env;
- ``upgrade-worker``: a whole-suite worker that runs the upgrade-path tests (on the
  controller's interpreter, as an isolated run would).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import WorkspaceError
from .selection import Request, Selection

__all__ = ["MODES", "Role", "RunPlan", "plan_run"]

Role = Literal["isolated", "running-env", "suite-controller", "bundle-worker", "upgrade-worker"]
#: what ``--workspace-env`` / ``workspace_env`` may say
MODES = ("isolated", "current", "bundle")


@dataclass(frozen=True)
class RunPlan:
    role: Role
    selection: Selection
    #: ``time.time()`` of the run's start (the controller's, in every worker)
    started: float
    #: the bundle whose env this process runs in (running-env, bundle-worker)
    inside: str | None = None
    #: whole-suite mode: workers per bundle, and for the upgrade paths
    workers: int = 1
    #: whole-suite mode, in a bundle's worker: upgrade-path tests belong to other workers
    upgrades_apart: bool = False
    #: a selected bundle or path in which nothing ran does not fail the run
    allow_not_run: bool = False

    @property
    def request(self) -> Request:
        return self.selection.request

    @property
    def worker(self) -> bool:
        """A worker process of a run (its controller prints and reports)."""
        return self.role in ("bundle-worker", "upgrade-worker")


def plan_run(
    *,
    mode: str | None,
    selection: Selection,
    started: float,
    worker: Mapping[str, Any] | None = None,
    collect_only: bool = False,
    numprocesses: int | None = None,
    allow_not_run: bool = False,
) -> RunPlan:
    """Decide this process's role. ``worker`` is the payload a pytest-xdist controller
    handed this process (None: this is the controller, or the only process)."""
    mode = mode or "isolated"
    if mode not in MODES:
        raise WorkspaceError(
            f"workspace_env = {mode!r}: expected {', '.join(repr(m) for m in MODES)}"
        )
    common: dict[str, Any] = {"started": started, "allow_not_run": allow_not_run}
    if worker is not None and worker.get("inside"):
        bundle = str(worker["inside"])
        if bundle not in {chosen.name for chosen in selection.bundles}:
            raise WorkspaceError(f"whole-suite worker for an unselected bundle {bundle!r}")
        return RunPlan(
            "bundle-worker",
            selection,
            inside=bundle,
            upgrades_apart=bool(worker.get("upgraders")),
            **common,
        )
    if worker is not None and worker.get("upgraders"):
        return RunPlan("upgrade-worker", selection, upgrades_apart=True, **common)
    if mode == "current":
        if len(selection.bundles) != 1:
            raise WorkspaceError(
                "--workspace-env current checks the running environment against one "
                f"bundle; got {len(selection.bundles)}"
            )
        return RunPlan("running-env", selection, inside=selection.bundles[0].name, **common)
    if mode == "bundle" and worker is None and selection.bundles and not collect_only:
        return RunPlan("suite-controller", selection, workers=numprocesses or 1, **common)
    # Upgrade paths alone have no bundle env to run in; collection-only runs nothing.
    return RunPlan("isolated", selection, **common)
