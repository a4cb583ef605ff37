"""The fixtures: ``workspace_matrix``, ``bundle``, ``bundle_env``,
``workspace_env_factory`` and ``upgrade_path`` (their names and signatures are the
public API). Each asks the run's role object (:class:`~.modes.Run`) for what the core
built, and turns a user error into one clean failure line.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ..core.upgrade import UpgradeRun
    from ..envs.env import Env
    from ..model.matrix import Bundle, Matrix, Pin
    from .run import Run

__all__ = ["WorkspaceEnvFactory"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _run(config: pytest.Config) -> Run:
    from .idle import RUN

    # Idle answers what the fixtures ask of a run that selected nothing.
    run: Run = config.stash[RUN]
    return run


class WorkspaceEnvFactory:
    """Builds (or reuses) an env for any bundle or combination: the ``workspace_env_factory``
    fixture.

    >>> env = workspace_env_factory("stable-3.2")
    >>> env = workspace_env_factory(combination="core=3.1.5,platform=2.4.8")
    >>> env = workspace_env_factory("lts-3.1", private=True)   # may be changed by the test
    """

    def __init__(self, run: Run, tmp: pytest.TempPathFactory) -> None:
        self._run = run
        self._tmp = tmp

    def __call__(
        self,
        bundle: str | Bundle | None = None,
        *,
        combination: str | None = None,
        extras: Sequence[str] = (),
        private: bool = False,
    ) -> Env:
        return self._one_line(lambda: self._build(bundle, combination, extras, private))

    def released(self, bundle: Bundle) -> Env:
        """A private env of ``bundle`` exactly as released: no checkout swapped in (an
        upgrade path's source end is what users have installed)."""
        return self._one_line(lambda: self._private(bundle, (), sources={}))

    def _one_line(self, build: Callable[[], Env]) -> Env:
        from ..errors import InterpreterNotFound, WorkspaceError

        try:
            return build()
        except InterpreterNotFound as error:
            problem, skip = str(error), not self._run.strict
        except WorkspaceError as error:
            problem, skip = str(error), False
        # Outside the handler: the report shows one clean line, no exception chain.
        if skip:
            pytest.skip(problem)
        pytest.fail(problem, pytrace=False)

    def _build(
        self,
        bundle: str | Bundle | None,
        combination: str | None,
        extras: Sequence[str],
        private: bool,
    ) -> Env:
        from ..errors import WorkspaceError

        run = self._run
        if isinstance(bundle, str):
            bundle = run.matrix.bundle(bundle)
        if combination is not None:
            bundle, _ = run.workspace().combination(combination)
        if bundle is None:
            raise WorkspaceError("workspace_env_factory needs a bundle or a combination")
        if not private:
            return run.env_for(bundle, extras=extras)
        return self._private(bundle, extras)

    def _private(
        self, bundle: Bundle, extras: Sequence[str], sources: Mapping[str, Path] | None = None
    ) -> Env:
        path = self._tmp.mktemp(f"env-{_UNSAFE.sub('_', bundle.name)}") / "env"
        return self._run.env_for(bundle, extras=extras, private=path, sources=sources)


@functools.cache
def _upgrade_run() -> type[UpgradeRun]:
    """:class:`~..core.upgrade.UpgradeRun` whose failures read as one line in the
    report; made on first use (a run without upgrade paths never imports the core)."""
    from ..core.upgrade import UpgradeRun

    class PytestUpgradeRun(UpgradeRun):
        def _move(self, pins: Sequence[Pin], end: str) -> Env:
            from ..errors import WorkspaceError

            try:
                return super()._move(pins, end)
            except WorkspaceError as error:
                if self.path.xfail:
                    # A path declared broken may break here: its expected failure.
                    raise UpgradeFailed(str(error)) from None
                problem = str(error)
            pytest.fail(problem, pytrace=False)

    return PytestUpgradeRun


class UpgradeFailed(Exception):
    """An upgrade of a path declared ``xfail`` failed, as the matrix says it does."""


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
    from ..model.matrix import Bundle, UpgradePath

    path = getattr(request, "param", None)
    if not isinstance(path, UpgradePath):
        pytest.fail(
            "the upgrade_path fixture is parametrized by pytest-workspace only", pytrace=False
        )
    session = _run(request.config)
    # A bundle end keeps its metadata (python = "3.12"); component@version ends have none.
    source = session.matrix.bundles.get(path.source.bundle or "") or Bundle(
        name=path.source.label, pins=path.source.pins
    )
    workspace = session.workspace()
    ends = {"source": path.source, "target": path.target}
    constraints = {
        name: workspace.completion(Bundle(name=end.label, pins=end.pins))
        for name, end in ends.items()
        if end.bundle is None
    }
    sources = session.selection.path_sources.get(path.id, {}) if session.selection else {}
    checkouts = {c.key: c.after for c in session.path_changes(path) if c.checkout and c.after}
    env = workspace_env_factory.released(source)
    return _upgrade_run()(path, env, constraints, sources, checkouts)
