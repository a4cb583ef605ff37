"""A run that selects nothing (no bundle, combination or upgrade path): the tests that
use the bundle fixtures skip, saying how to select; every other test runs as usual.

This is most pytest runs of a project that has the plugin installed, so this module is
all they import beside the options and the fixtures: small, because without bytecode
(``PYTHONDONTWRITEBYTECODE``, common on CI) every module imported is compiled again at
every run (``benchmarks/bench_startup.py``).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..core.workspace import Workspace
    from ..envs.env import Env
    from ..model.matrix import Matrix

__all__ = ["NO_BUNDLE", "NO_UPGRADE", "RUN", "Idle", "own_parameters", "workspace_of"]

#: the run's role object: :class:`Idle`, or a :class:`~.run.Run` (typed loosely: this
#: module must not import the one that imports it)
RUN: pytest.StashKey[Any] = pytest.StashKey()

NO_BUNDLE = (
    "no bundle selected: pass --bundle NAME (a name, a glob or 'all') or set "
    "workspace_bundles in the pytest configuration"
)
NO_UPGRADE = (
    "no upgrade path selected: pass --upgrade-path FROM:TO (or 'all') or set "
    "workspace_upgrade_paths in the pytest configuration"
)


def own_parameters(metafunc: pytest.Metafunc) -> set[str]:
    """The arguments the test parametrizes itself (left alone by the plugin)."""
    return {
        name.strip()
        for mark in metafunc.definition.iter_markers("parametrize")
        for name in (mark.args[0].split(",") if isinstance(mark.args[0], str) else mark.args[0])
    }


class Idle:
    """Nothing selected (see the module docstring)."""

    plan = None
    selection = None
    inside = None

    def __init__(
        self, config: pytest.Config, options: Mapping[str, Any], inis: Mapping[str, Any]
    ) -> None:
        self.config = config
        self._layers = (options, inis)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        own = own_parameters(metafunc)
        if "bundle" in metafunc.fixturenames and "bundle" not in own:
            skip = pytest.mark.skip(reason=NO_BUNDLE)
            metafunc.parametrize("bundle", [pytest.param(None, marks=skip, id="no-bundle")])
        if "upgrade_path" in metafunc.fixturenames and "upgrade_path" not in own:
            skip = pytest.mark.skip(reason=NO_UPGRADE)
            metafunc.parametrize("upgrade_path", [pytest.param(None, marks=skip, id="no-path")])

    @property
    def matrix(self) -> Matrix:
        """The matrix the settings name (``workspace_matrix`` works without a selection)."""
        return workspace_of(self.config, *self._layers, None).matrix

    def env_for(self, *args: Any, **kwargs: Any) -> Env:
        from ..errors import WorkspaceError

        raise WorkspaceError(f"workspace_env_factory: {NO_BUNDLE}")


def workspace_of(
    config: pytest.Config, options: Mapping[str, Any], inis: Mapping[str, Any], matrix: str | None
) -> Workspace:
    """The core with the run's settings: options > environment > pytest configuration."""
    from ..core.workspace import Settings, Workspace
    from ..settings import environment_layer

    fixed: dict[str, Any] = {"hint": "--workspace-matrix PATH"}
    if matrix is not None:
        fixed["matrix"] = matrix  # a worker takes the controller's
    settings = Settings.layered(
        options,
        environment_layer(),
        inis,
        rootdir=Path(str(config.rootpath)),
        search=(Path(config.invocation_params.dir),),
        **fixed,
    )
    return Workspace(settings)
