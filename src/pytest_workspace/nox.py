"""nox helpers: keep a component repository's ``noxfile.py`` short.

.. code-block:: python

    import nox
    from pytest_workspace import nox as workspace

    @nox.session
    @nox.parametrize("bundle", workspace.bundles())
    def integration(session, bundle):
        session.install("-e", ".", "pytest", "pytest-workspace")
        session.run("pytest", "--bundle", bundle, *session.posargs)

    @nox.session
    @nox.parametrize("path", workspace.upgrade_paths())
    def upgrade(session, path):
        session.install("-e", ".", "pytest", "pytest-workspace")
        session.run("pytest", "--upgrade-path", path, *session.posargs)

Only this module imports nox, and only when it is used.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from .core.workspace import Workspace
    from .envs.spec import IndexOptions
    from .model.matrix import Matrix

__all__ = ["bundles", "install", "install_args", "matrix", "upgrade_paths"]

PathLike = Union[str, "os.PathLike[str]"]


def _workspace(path: PathLike | None, index: IndexOptions | None = None) -> Workspace:
    from pathlib import Path

    from .core.workspace import Settings, Workspace
    from .loading.discover import pytest_ini_layer
    from .settings import environment_layer

    # As the plugin reads its settings: the argument, the environment, the pytest
    # configuration (nox runs beside the noxfile), the default locations.
    given: dict[str, Any] = {"matrix": os.fspath(path) if path is not None else None}
    if index is not None:
        given.update(index_url=index.index_url, find_links=index.find_links, offline=index.offline)
    layers = (given, environment_layer(), pytest_ini_layer(Path.cwd()))
    return Workspace(Settings.layered(*layers, hint="matrix=PATH"))


def matrix(path: PathLike | None = None) -> Matrix:
    """The matrix: ``path``, else the pytest configuration's ``workspace_matrix``, else
    ``$PYTEST_WORKSPACE_MATRIX``, else ``versions.toml`` or
    ``version-management/versions.toml`` beside the noxfile (nox runs from there)."""
    return _workspace(path).matrix


def bundles(path: PathLike | None = None, *, pattern: str = "all") -> list[Any]:
    """``nox.param`` per bundle, with the bundle name as its id::

    @nox.parametrize("bundle", workspace.bundles())          # integration(stable-3.2)
    @nox.parametrize("bundle", workspace.bundles(pattern="lts-*"))
    """
    import nox

    from .core.selection import select_bundles

    chosen = select_bundles(matrix(path), [pattern])
    return [nox.param(bundle.name, id=bundle.name) for bundle in chosen]


def upgrade_paths(path: PathLike | None = None, *, pattern: str = "all") -> list[Any]:
    """``nox.param`` per upgrade path, ids like ``lts-3.1:stable-3.2``::

    @nox.parametrize("path", workspace.upgrade_paths())

    ``pattern="derived"``: the paths ``explore upgrades`` derives from the bundles'
    release dates (``pytest --upgrade-path`` takes each id as it takes a declared one).
    """
    import nox

    loaded = matrix(path)
    if not loaded.upgrades and pattern != "derived":
        return []
    from .core.selection import select_upgrades

    return [nox.param(p.id, id=p.id) for p in select_upgrades(loaded, [pattern])]


def install_args(
    bundle: str,
    path: PathLike | None = None,
    *,
    index: IndexOptions | None = None,
    exclude: Iterable[str] = (),
) -> list[str]:
    """The ``install`` arguments for a bundle's pins: index options, then requirements,
    leaving out the distributions in ``exclude``. Both pip and uv understand them::

        session.install(*workspace.install_args("stable-3.2"))
    """
    from .envs.installers import PipInstaller

    workspace = _workspace(path, index)
    plan = workspace.install_plan(workspace.matrix.bundle(bundle), sources={}).without(exclude)
    assert plan.index is not None
    return PipInstaller.index_args(plan.index) + list(plan.pins)


def _checkouts(args: Sequence[str]) -> list[str]:
    """The distributions of the local checkouts among ``session.install`` arguments
    (``-e PATH``, ``--editable PATH``, ``-ePATH``, ``--editable=PATH``, or a bare
    directory), so their pins are left out: uv refuses ``pkg==1.4.0 -e .``."""
    from pathlib import Path

    from .envs.checkouts import project_distribution

    paths: list[str] = []
    for position, arg in enumerate(args):
        if arg in ("-e", "--editable") and position + 1 < len(args):
            paths.append(args[position + 1])
        elif arg.startswith("--editable="):
            paths.append(arg.partition("=")[2])
        elif arg.startswith("-e") and len(arg) > 2:
            paths.append(arg[2:])
        elif not arg.startswith("-") and (arg in (".", "..") or "/" in arg or os.sep in arg):
            paths.append(arg)
    found = []
    for candidate in paths:
        name = project_distribution(Path(candidate)) if Path(candidate).is_dir() else None
        if name is not None:
            found.append(name)
    return found


def install(
    session: Any,
    bundle: str,
    *args: str,
    matrix_path: PathLike | None = None,
    offline: bool = False,
    **kwargs: Any,
) -> None:
    """Install a bundle's pins into the session's own venv, for suites that import the
    components in-process; nox's uv backend (``venv_backend="uv"``) installs with uv.
    Then let the plugin verify the running env::

        workspace.install(session, "stable-3.2", "-e", ".", "pytest")
        session.run("pytest", "--bundle", "stable-3.2", "--workspace-env", "current")

    Extra ``args`` are passed to ``session.install`` (e.g. ``"pytest"``). A local
    checkout among them (``"-e", "."``) replaces the pin of the component it provides.
    """
    from .envs.spec import IndexOptions

    index = IndexOptions(offline=offline)
    pinned = install_args(bundle, matrix_path, index=index, exclude=_checkouts(args))
    session.install(*pinned, *args, **kwargs)
