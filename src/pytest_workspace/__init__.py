"""pytest-workspace: test separately released packages against each other."""

from __future__ import annotations

from .errors import MatrixError, MatrixErrors, SelectionError, WorkspaceError
from .matrix import Bundle, Component, Matrix, Pin, Rule, UpgradePath, find_matrix, load_matrix

__version__ = "0.1.0"

__all__ = [
    "Bundle",
    "Component",
    "Matrix",
    "MatrixError",
    "MatrixErrors",
    "Pin",
    "Rule",
    "SelectionError",
    "UpgradePath",
    "WorkspaceError",
    "__version__",
    "find_matrix",
    "load_matrix",
]
