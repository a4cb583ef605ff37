"""pytest-workspace: test separately released packages against each other.

The names below are what the fixtures hand out (``Env``, ``UpgradeRun``, ``Bundle``,
``Matrix``) plus the errors and the loader. They are imported on first use (PEP 562),
so ``import pytest_workspace`` — which every pytest run with the plugin installed, and
every CLI start, does — costs nothing until one of them is needed.

The package's own modules are imported as :mod:`.imports` says: not through pytest's
assertion rewriter, and from bytecode of our own where Python may write none. Every
module's docstring says PYTEST_DONT_REWRITE (checked by ``tests/unit/test_package.py``)
for the two that pytest imports before that.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import importlib
import sys

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


# Our modules, imported plainly under pytest and from cached bytecode where none may be
# written (see .imports); elsewhere Python's own import is already that.
if "_pytest.assertion.rewrite" in sys.modules or sys.dont_write_bytecode:
    from importlib.machinery import PathFinder
    from importlib.util import module_from_spec

    # Loaded as the standard library's recipe loads a source file: pytest's rewriter,
    # which it is there to step around, would parse it into AST objects first.
    _spec = PathFinder.find_spec(f"{__name__}.imports", __path__)
    if _spec is not None and _spec.loader is not None:
        _imports = sys.modules[_spec.name] = module_from_spec(_spec)
        _spec.loader.exec_module(_imports)
        _imports.install()


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pytest_workspace' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
