"""pytest-workspace: test separately released packages against each other.

The names below are what the fixtures hand out (``Env``, ``UpgradeRun``, ``Bundle``,
``Matrix``) plus the errors and the loader. They are imported on first use (PEP 562),
so ``import pytest_workspace`` — which every pytest run with the plugin installed, and
every CLI start, does — costs nothing until one of them is needed.

Under pytest, the package's own modules are imported as Python imports them
(:class:`_PlainImports`), and every module's docstring says PYTEST_DONT_REWRITE (checked
by ``tests/unit/test_package.py``) for the two that pytest imports first.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import importlib
import sys
from importlib.machinery import ModuleSpec, PathFinder

# The typing module costs more than the rest of a CLI start; mypy and ruff read this
# spelling of TYPE_CHECKING as they read typing's.
TYPE_CHECKING = False

__version__ = "0.1.0"

_EXPORTS = {
    "Bundle": "model.matrix",
    "Component": "model.matrix",
    "Constraint": "model.matrix",
    "Matrix": "model.matrix",
    "Pin": "model.matrix",
    "Rule": "model.matrix",
    "UpgradePath": "model.matrix",
    "Env": "envs.env",
    "CommandError": "envs.env",
    "UpgradeRun": "core.upgrade",
    "Settings": "core.workspace",
    "Workspace": "core.workspace",
    "find_matrix": "loading.discover",
    "load_matrix": "loading.matrixfile",
    "WorkspaceError": "errors",
    "MatrixError": "errors",
    "InvalidMatrixError": "errors",
    "MatrixNotFound": "errors",
    "SelectionError": "errors",
    "EnvError": "errors",
    "InstallError": "errors",
    "InterpreterNotFound": "errors",
    "LockTimeout": "errors",
    "UntrustedCacheError": "errors",
}

__all__ = [
    "Bundle",
    "CommandError",
    "Component",
    "Constraint",
    "Env",
    "EnvError",
    "InstallError",
    "InterpreterNotFound",
    "InvalidMatrixError",
    "LockTimeout",
    "Matrix",
    "MatrixError",
    "MatrixNotFound",
    "Pin",
    "Rule",
    "SelectionError",
    "Settings",
    "UntrustedCacheError",
    "UpgradePath",
    "UpgradeRun",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "find_matrix",
    "load_matrix",
]

if TYPE_CHECKING:
    from .core.upgrade import UpgradeRun
    from .core.workspace import Settings, Workspace
    from .envs.env import CommandError, Env
    from .errors import (
        EnvError,
        InstallError,
        InterpreterNotFound,
        InvalidMatrixError,
        LockTimeout,
        MatrixError,
        MatrixNotFound,
        SelectionError,
        UntrustedCacheError,
        WorkspaceError,
    )
    from .loading.discover import find_matrix
    from .loading.matrixfile import load_matrix
    from .model.matrix import Bundle, Component, Constraint, Matrix, Pin, Rule, UpgradePath


class _PlainImports:
    """Imports this package's modules as Python would, ahead of pytest's assertion
    rewriter. pytest claims every module of a distribution that provides a plugin and,
    without bytecode (``PYTHONDONTWRITEBYTECODE``, common on CI), parses each into AST
    objects at every import -- 2.3 times a plain compile -- only to find the docstring's
    PYTEST_DONT_REWRITE (our asserts are invariants, not tests) and compile it unchanged.
    The modules are the same; other packages' imports go on to the finders after it."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if not name.startswith("pytest_workspace."):
            return None
        return PathFinder.find_spec(name, path)  # type: ignore[arg-type]


# Only where pytest's rewriter is loaded: elsewhere (the CLI, tox, nox) there is nothing
# to step ahead of.
if "_pytest.assertion.rewrite" in sys.modules and not any(
    isinstance(finder, _PlainImports) for finder in sys.meta_path
):
    sys.meta_path.insert(0, _PlainImports())


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_workspace' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
