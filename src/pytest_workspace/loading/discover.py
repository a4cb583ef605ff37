"""Where the matrix file is: the same discovery for every front-end.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import MatrixNotFound
from .tool import ini_value, tool_layer

__all__ = [
    "DEFAULT_LOCATIONS",
    "MATRIX_ENV",
    "find_matrix",
    "matrix_candidates",
    "pytest_ini_layer",
    "pytest_ini_matrix",
]

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
    candidates = matrix_candidates(explicit, rootdir=rootdir, environ=environ, also=also)
    if explicit or environ.get(MATRIX_ENV):
        (path,) = candidates
        if not path.is_file():
            origin = "" if explicit else f" (from ${MATRIX_ENV})"
            raise MatrixNotFound(f"matrix file not found: {path}{origin}")
        return path
    for candidate in candidates:
        if candidate.is_file():
            return candidate.absolute()
    looked = ", ".join(str(candidate) for candidate in candidates)
    raise MatrixNotFound(
        f"no matrix file found; looked for {looked} (pass {hint} or set {MATRIX_ENV})"
    )


def matrix_candidates(
    explicit: str | os.PathLike[str] | None = None,
    *,
    rootdir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    also: Sequence[Path] = (),
) -> list[Path]:
    """Every path :func:`find_matrix` may look at, in its order (the first file wins)."""
    environ = os.environ if environ is None else environ
    rootdir = rootdir or Path.cwd()
    given = explicit or environ.get(MATRIX_ENV)
    if given:
        return [Path(os.path.normpath((rootdir / Path(given)).absolute()))]
    roots = [rootdir, *(root for root in also if root != rootdir)]
    return [root / location for root in roots for location in DEFAULT_LOCATIONS]


def pytest_ini_layer(rootdir: Path) -> dict[str, Any]:
    """The settings that the pytest configuration in ``rootdir`` sets, by setting name
    (its ``workspace_*`` keys: the first of pytest.ini, .pytest.ini, pyproject.toml,
    tox.ini, setup.cfg that configures pytest, as pytest picks it). For the front-ends
    that are not pytest (tox, nox, the meta-repository's commands), which must read the
    same settings as the plugin does; a relative path is relative to ``rootdir``."""
    raw = _pytest_ini(rootdir) or {}
    from ..settings import SETTINGS

    tool = tool_layer(rootdir)
    layer: dict[str, Any] = {}
    for entry in SETTINGS:
        value = raw.get(str(entry.ini)) if entry.ini else None
        if value is not None:
            layer[entry.name] = ini_value(entry.kind, value)
        elif entry.name in tool:
            layer[entry.name] = tool[entry.name]
    return layer


#: pytest's configuration files, in the order it prefers them, with their section
PYTEST_CONFIGS = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", None),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)


def pytest_config_dir(start: Path) -> tuple[Path | None, list[Path]]:
    """The directory whose pytest configuration applies at ``start`` (the nearest one
    upwards that configures pytest, as pytest finds its inifile), and every file looked
    at on the way (the CLI's remembered answers depend on them)."""
    looked: list[Path] = []
    for directory in (start, *start.parents):
        looked += [directory / name for name, _ in PYTEST_CONFIGS]
        if _pytest_ini(directory) is not None or tool_layer(directory):
            return directory, looked
    return None, looked


def _pytest_ini(rootdir: Path) -> dict[str, Any] | None:
    """The ``workspace_*`` keys of the pytest configuration in ``rootdir``, raw."""
    for name, section in PYTEST_CONFIGS:
        path = rootdir / name
        if not path.is_file():
            continue
        if section is None:
            from .compat import tomllib

            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            options = data.get("tool", {}).get("pytest", {}).get("ini_options")
            if not isinstance(options, dict):
                continue
            return {k: v for k, v in options.items() if k.startswith("workspace_")}
        import configparser

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, configparser.Error):
            continue
        if parser.has_section(section):
            found = parser[section]
            return {k: v for k, v in found.items() if k.startswith("workspace_")}
        if name in ("pytest.ini", ".pytest.ini"):
            return {}
    return None


def pytest_ini_matrix(rootdir: Path) -> str | None:
    """``workspace_matrix`` from the pytest configuration in ``rootdir`` (see
    :func:`pytest_ini_layer`); None when not set."""
    value = pytest_ini_layer(rootdir).get("matrix")
    return value if isinstance(value, str) and value else None
