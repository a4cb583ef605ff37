"""The fixtures: ``workspace_matrix``, ``bundle``, ``bundle_env``,
``workspace_env_factory`` and ``upgrade_path`` (their names and signatures are the
public API). Each asks the run's role object (:class:`~.modes.Run`) for what the core
built, and turns a user error into one clean failure line. Declarations only: every
pytest run imports this module; what they hand out is in :mod:`.factory`.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ..core.upgrade import UpgradeRun
    from ..envs.env import Env
    from ..model.matrix import Bundle, Matrix
    from .factory import WorkspaceEnvFactory
    from .run import Run

__all__ = ["bundle", "bundle_env", "upgrade_path", "workspace_env_factory", "workspace_matrix"]


def _run(config: pytest.Config) -> Run:
    from .idle import RUN

    # Idle answers what the fixtures ask of a run that selected nothing.
    run: Run = config.stash[RUN]
    return run


@pytest.fixture(scope="session")
def workspace_matrix(request: pytest.FixtureRequest) -> Matrix:
    """The loaded, validated compatibility matrix."""
    from ..errors import WorkspaceError

    try:
        return _run(request.config).matrix
    except WorkspaceError as error:
        problem = str(error)
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def bundle(request: pytest.FixtureRequest) -> Bundle:
    """The bundle this test runs against (parametrized over ``--bundle``)."""
    from ..model.matrix import Bundle

    value = getattr(request, "param", None)
    if not isinstance(value, Bundle):
        pytest.fail("the bundle fixture is parametrized by pytest-workspace only", pytrace=False)
    return value


@pytest.fixture(scope="session")
def workspace_env_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> WorkspaceEnvFactory:
    """Build an env for any bundle or combination."""
    from .factory import WorkspaceEnvFactory

    return WorkspaceEnvFactory(_run(request.config), tmp_path_factory)


@pytest.fixture(scope="session")
def bundle_env(bundle: Bundle, workspace_env_factory: WorkspaceEnvFactory) -> Env:
    """The bundle's env, shared read-only by every test of the bundle (and every worker)."""
    return workspace_env_factory(bundle)


@pytest.fixture
def upgrade_path(
    request: pytest.FixtureRequest, workspace_env_factory: WorkspaceEnvFactory
) -> UpgradeRun:
    """A private env at the source end of the path; ``upgrade()`` moves it to the target."""
    from ..model.matrix import UpgradePath

    path = getattr(request, "param", None)
    if not isinstance(path, UpgradePath):
        pytest.fail(
            "the upgrade_path fixture is parametrized by pytest-workspace only", pytrace=False
        )
    from .factory import upgrade_run

    return upgrade_run(_run(request.config), path, workspace_env_factory)
