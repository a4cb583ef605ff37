"""The pytest face (the ``pytest11`` entry point): ``pytest --bundle stable-3.2``.

The options come from the settings table (:mod:`.options`); :func:`pytest_configure`
asks :func:`.modes.start` for the run's role object (the core's plan carried out with
pytest's hooks) and registers it; the fixtures are in :mod:`.fixtures`. Nothing heavy is
imported until a run selects a bundle or an upgrade path, so having the plugin installed
costs a run that selects nothing next to nothing.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

# Registered with this module: pytest finds fixtures on the plugin object it loaded.
from .fixtures import (  # noqa: F401
    bundle,
    bundle_env,
    upgrade_path,
    workspace_env_factory,
    workspace_matrix,
)

if TYPE_CHECKING:
    from .run import Run


def pytest_addoption(parser: pytest.Parser) -> None:
    from .options import add_options

    add_options(parser)


def _role(name: str) -> Callable[..., Run]:
    """The class of a role of :mod:`..core.plan`, imported when it is the run's."""

    def make(*args: Any, **kwargs: Any) -> Run:
        from . import modes

        role: type[Run]
        if name == "suite-controller":
            from .wholesuite.controller import SuiteController

            role = SuiteController
        elif name in ("bundle-worker", "upgrade-worker"):
            from .wholesuite import worker

            role = worker.BundleWorker if name == "bundle-worker" else worker.UpgradeWorker
        else:
            role = modes.RunningEnvRun if name == "running-env" else modes.IsolatedRun
        return role(*args, **kwargs)

    return make


ROLES = {
    name: _role(name)
    for name in ("isolated", "running-env", "suite-controller", "bundle-worker", "upgrade-worker")
}


def pytest_configure(config: pytest.Config) -> None:
    from .idle import RUN, Idle
    from .options import layers, selects

    config.addinivalue_line(
        "markers",
        "workspace(**ranges): skip for bundles whose pins do not satisfy the ranges, "
        'e.g. workspace(core=">=3.2")',
    )
    config.addinivalue_line(
        "markers", 'bundles(*patterns): run only for bundles matching a pattern, e.g. "stable-*"'
    )
    try:
        options, inis = layers(config)
    except Exception as error:
        from ..errors import WorkspaceError

        if isinstance(error, WorkspaceError):  # [tool.pytest-workspace]: one line
            raise pytest.UsageError(str(error)) from None
        raise
    # An empty payload: the controller selected nothing, and neither does a worker.
    worker = getattr(config, "workerinput", {}).get("workspace") or None
    if worker is None and not selects(options, inis):
        idle = Idle(config, options, inis)  # most runs: nothing more is imported
        config.stash[RUN] = idle
        config.pluginmanager.register(idle, "workspace-run")
        return
    from .modes import XdistRelay, start

    run = start(config, ROLES, options, inis)
    config.stash[RUN] = run
    config.pluginmanager.register(run, "workspace-run")
    single = run.plan is not None and run.plan.role in ("isolated", "running-env")
    if single and config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistRelay(run), "workspace-xdist")
