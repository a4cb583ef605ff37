"""Rules every module of the package keeps."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import pytest_workspace

PACKAGE = Path(pytest_workspace.__file__).parent
MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path.read_text(encoding="utf-8").strip())


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_pytest_does_not_rewrite_our_modules(path: Path) -> None:
    # pytest rewrites every module of a plugin's distribution unless its docstring opts
    # out; without bytecode that costs 2.5x a compile at every import (see __init__.py).
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring is not None, f"{path}: no module docstring"
    assert "PYTEST_DONT_REWRITE" in docstring, f"{path}: docstring lacks PYTEST_DONT_REWRITE"
