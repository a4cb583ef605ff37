"""What the fixtures hand out once a run uses them: the env factory behind
``workspace_env_factory`` / ``bundle_env`` and the upgrade run behind ``upgrade_path``.
Apart from :mod:`.fixtures` because every pytest run imports that one (without bytecode
each imported line is compiled again at every run) and few runs use these.

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
    from ..model.matrix import Bundle, Pin, UpgradePath
    from .run import Run

__all__ = ["WorkspaceEnvFactory", "upgrade_run"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


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


def upgrade_run(run: Run, path: UpgradePath, factory: WorkspaceEnvFactory) -> UpgradeRun:
    """A private env at ``path``'s source end, ready to move to its target."""
    from ..model.matrix import Bundle

    # A bundle end keeps its metadata (python = "3.12"); component@version ends have none.
    source = run.matrix.bundles.get(path.source.bundle or "") or Bundle(
        name=path.source.label, pins=path.source.pins
    )
    workspace = run.workspace()
    ends = {"source": path.source, "target": path.target}
    constraints = {
        name: workspace.completion(Bundle(name=end.label, pins=end.pins))
        for name, end in ends.items()
        if end.bundle is None
    }
    sources = run.selection.path_sources.get(path.id, {}) if run.selection else {}
    checkouts = {c.key: c.after for c in run.path_changes(path) if c.checkout and c.after}
    env = factory.released(source)
    return _upgrade_run()(path, env, constraints, sources, checkouts)
