"""Where the matrix file is: the same discovery for every front-end."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .errors import MatrixNotFound

__all__ = ["DEFAULT_LOCATIONS", "MATRIX_ENV", "find_matrix"]

DEFAULT_LOCATIONS = ("versions.toml", "version-management/versions.toml")
MATRIX_ENV = "PYTEST_WORKSPACE_MATRIX"


def find_matrix(
    explicit: str | os.PathLike[str] | None = None,
    *,
    rootdir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    also: Sequence[Path] = (),
    hint: str = "--matrix PATH",
) -> Path:
    """The matrix file to use: an explicit path, ``$PYTEST_WORKSPACE_MATRIX``, or the
    first of ``versions.toml`` and ``version-management/versions.toml`` under rootdir
    (then under each directory of ``also``)."""
    environ = os.environ if environ is None else environ
    rootdir = rootdir or Path.cwd()
    given = explicit or environ.get(MATRIX_ENV)
    if given:
        path = (rootdir / Path(given)).absolute()
        if not path.is_file():
            origin = "" if explicit else f" (from ${MATRIX_ENV})"
            raise MatrixNotFound(f"matrix file not found: {path}{origin}")
        return path
    roots = [rootdir, *(root for root in also if root != rootdir)]
    candidates = [root / location for root in roots for location in DEFAULT_LOCATIONS]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.absolute()
    looked = ", ".join(str(candidate) for candidate in candidates)
    raise MatrixNotFound(
        f"no matrix file found; looked for {looked} (pass {hint} or set {MATRIX_ENV})"
    )
