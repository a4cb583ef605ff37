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
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from .matrix import Matrix
    from .spec import IndexOptions
    from .workspace import Workspace

__all__ = ["bundles", "install", "install_args", "matrix", "upgrade_paths"]

PathLike = Union[str, "os.PathLike[str]"]


def _workspace(path: PathLike | None, index: IndexOptions | None = None) -> Workspace:
    from .workspace import Settings, Workspace

    layer: dict[str, Any] = {"matrix": os.fspath(path) if path is not None else None}
    if index is not None:
        layer.update(index_url=index.index_url, find_links=index.find_links, offline=index.offline)
    return Workspace(Settings.layered(layer, hint="matrix=PATH"))


def matrix(path: PathLike | None = None) -> Matrix:
    """The matrix: ``path``, else ``$PYTEST_WORKSPACE_MATRIX``, else ``versions.toml`` or
    ``version-management/versions.toml`` beside the noxfile (nox runs from there)."""
    return _workspace(path).matrix


def bundles(path: PathLike | None = None, *, pattern: str = "all") -> list[Any]:
    """``nox.param`` per bundle, with the bundle name as its id::

    @nox.parametrize("bundle", workspace.bundles())          # integration(stable-3.2)
    @nox.parametrize("bundle", workspace.bundles(pattern="lts-*"))
    """
    import nox

    chosen = matrix(path).select_bundles([pattern])
    return [nox.param(bundle.name, id=bundle.name) for bundle in chosen]


def upgrade_paths(path: PathLike | None = None, *, pattern: str = "all") -> list[Any]:
    """``nox.param`` per upgrade path, ids like ``lts-3.1:stable-3.2``::

    @nox.parametrize("path", workspace.upgrade_paths())
    """
    import nox

    loaded = matrix(path)
    if not loaded.upgrades:
        return []
    return [nox.param(p.id, id=p.id) for p in loaded.select_upgrades([pattern])]


def install_args(
    bundle: str,
    path: PathLike | None = None,
    *,
    index: IndexOptions | None = None,
) -> list[str]:
    """The ``install`` arguments for a bundle's pins: index options, then requirements.
    Both pip and uv understand them::

        session.install(*workspace.install_args("stable-3.2"))
    """
    from .installers import PipInstaller

    workspace = _workspace(path, index)
    pins = workspace.matrix.bundle(bundle).pins
    return PipInstaller.index_args(workspace.index) + [pin.requirement for pin in pins]


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

        workspace.install(session, "stable-3.2")
        session.run("pytest", "--bundle", "stable-3.2", "--workspace-env", "current")

    Extra ``args`` are passed to ``session.install`` (e.g. ``"pytest"``).
    """
    from .spec import IndexOptions

    index = IndexOptions(offline=offline)
    session.install(*install_args(bundle, matrix_path, index=index), *args, **kwargs)
