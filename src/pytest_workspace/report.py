"""Renderings of a matrix and of results: CI job matrices (more to come).

pytest is imported only where a renderer needs its objects, so the CLI stays quick.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .matrix import Bundle

__all__ = ["ci_matrix"]

CI_FORMATS = ("github", "gitlab")


def ci_matrix(bundles: Sequence[Bundle], fmt: str = "github") -> str:
    """The bundles as a CI job matrix.

    ``github`` is one line of JSON for ``strategy.matrix: ${{ fromJSON(...) }}``;
    ``gitlab`` is a ``parallel: matrix:`` fragment (JSON strings are valid YAML scalars).
    """
    names = [bundle.name for bundle in bundles]
    if fmt == "github":
        return json.dumps({"include": [{"bundle": name} for name in names]})
    if fmt == "gitlab":
        return "parallel:\n  matrix:\n    - BUNDLE: " + json.dumps(names)
    raise ValueError(f"expected a CI format, one of {', '.join(CI_FORMATS)}, got {fmt!r}")
