"""Plugins that live on both sides of whole-suite mode: this process (the controller,
which runs the outer env's packages) and the workers (which run each bundle's).

Most plugins only act where tests run, in the workers, and may differ freely between
the two sides. A plugin that implements pytest-xdist's own hooks is different: it hands
state from the controller to its workers (SQLAlchemy's pytest plugin puts its
``memoized_config`` into ``pytest_configure_node``), and when the controller runs another
version than a bundle's workers the two sides disagree (a ``KeyError`` in every worker,
"no tests ran"). The controller cannot take the bundle's plugin state, so such a version
difference stops the run before any worker starts, with one line that says which
package, both versions, and the two ways out.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import importlib.metadata
import sys
import types
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...model.names import normalize

if TYPE_CHECKING:
    import pytest

    from ...envs.env import Env

__all__ = ["differing_plugins"]

#: plugins whose two sides are ours or pytest-xdist's, kept in step by the bundle's env
_OWN = ("_pytest", "pytest", "xdist", "pytest_workspace", "execnet", "pluggy")


def _distribution_of(module: types.ModuleType) -> str | None:
    """The distribution that installed ``module`` here (None: a conftest, the user's own
    file, the same on both sides)."""
    top = module.__name__.partition(".")[0]
    if top in _OWN or not getattr(module, "__file__", None):
        return None
    if sys.version_info < (3, 10):  # pragma: no cover - no packages_distributions()
        return None
    owners = importlib.metadata.packages_distributions().get(top, [])
    return owners[0] if owners else None


def _talking_plugins(config: pytest.Config) -> dict[str, str]:
    """Plugin name to its distribution, for the plugins that implement xdist's hooks."""
    from .xdist import xdist_hooks

    hooks = xdist_hooks()
    found: dict[str, str] = {}
    for name, plugin in config.pluginmanager.list_name_plugin():
        if not isinstance(plugin, types.ModuleType) or not any(
            hasattr(plugin, hook) for hook in hooks
        ):
            continue
        distribution = _distribution_of(plugin)
        if distribution is not None:
            found[plugin.__name__ or name] = distribution
    return found


def differing_plugins(config: pytest.Config, envs: Mapping[str, Env]) -> str | None:
    """Why the run cannot start: a plugin that talks to its workers through pytest-xdist
    is at another version here than in a bundle's env (``envs``: bundle to its env;
    None: nothing differs)."""
    for plugin, distribution in sorted(_talking_plugins(config).items()):
        try:
            here = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
        there: dict[str, str] = {}
        for bundle, env in envs.items():
            installed = env.built.installed if env.built else env.installed()
            version = installed.get(normalize(distribution))
            if version is not None and version != here:
                there[bundle] = version
        if not there:
            continue
        first, version = next(iter(there.items()))
        bundles = ", ".join(f"{v} in bundle {b}" for b, v in there.items())
        python = envs[first].python
        return (
            f"the pytest plugin {plugin} hands state to its pytest-xdist workers, so this "
            f"process and each bundle's workers must run one {distribution}: {here} here, "
            f"{bundles}. Install {distribution}=={version} here, or run the bundle in its "
            f"env alone: {python} -m pytest --bundle={first} --workspace-env=current"
        )
    return None
