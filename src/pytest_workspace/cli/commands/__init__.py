"""The ``pytest-workspace`` commands, one module each (as tox's ``session/cmd``): ``HELP``,
``add_arguments(parser)`` and ``run(args) -> exit code``; a group of actions (``cache``,
``workspace``, ``bundle``) sets each action's own ``run``. Only the command being run is
imported, and each imports what it needs when it runs, so ``--help`` and a cheap
command never pay for the installers, the cache or ``importlib.metadata``.

Exit codes: 0 ok, 1 findings (an invalid matrix, failed tests), 2 usage or input errors.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from ...core.workspace import Workspace
    from ...model.matrix import Matrix

__all__ = ["FINDINGS", "OK", "USAGE", "core", "layer", "matrix", "plural"]

OK, FINDINGS, USAGE = 0, 1, 2


def layer(args: argparse.Namespace) -> dict[str, Any]:
    """This command line's settings, by name (the flags are the settings table's)."""
    from ...settings import SETTINGS

    found = {entry.name: getattr(args, entry.name, None) for entry in SETTINGS if entry.flag}
    found["editable"] = not getattr(args, "no_editable", False)
    return found


def core(args: argparse.Namespace, **fixed: Any) -> Workspace:
    """The core, with this command line's settings: flag > environment variable > the
    ``workspace_*`` keys of the pytest configuration that applies here (as pytest
    itself reads them) > the matrix's own."""
    from pathlib import Path

    from ...core.workspace import Settings, Workspace
    from ...loading.discover import pytest_config_dir, pytest_ini_layer
    from ...settings import environment_layer

    # The CLI builds what it is told; only pytest swaps in the project under test.
    fixed.setdefault("detect_project", False)
    here = Path.cwd()
    configured, _ = pytest_config_dir(here)
    if configured is None:
        return Workspace(Settings.layered(layer(args), environment_layer(), **fixed))
    fixed.setdefault("rootdir", configured)
    fixed.setdefault("search", (here,))
    ini = pytest_ini_layer(configured)
    return Workspace(Settings.layered(layer(args), environment_layer(), ini, **fixed))


def matrix(args: argparse.Namespace) -> Matrix:
    return core(args).matrix


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
