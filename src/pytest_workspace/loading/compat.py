"""Interpreter-version shims.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on old interpreters only
    import tomli as tomllib

__all__ = ["tomllib"]
