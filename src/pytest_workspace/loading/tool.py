"""The ``workspace_*`` settings as values, and ``[tool.pytest-workspace]`` in
``pyproject.toml``: what every front-end reads beside the pytest configuration. Small
on purpose: every pytest run reads the table, selecting something or not.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["TOOL_TABLE", "ini_value", "tool_layer"]


#: the pyproject.toml table only pytest-workspace reads: pytest never sees its keys, so
#: a project's envs without the plugin get no "Unknown config option" warning (an error
#: under filterwarnings = error)
TOOL_TABLE = "pytest-workspace"


def tool_layer(rootdir: Path) -> dict[str, Any]:
    """The settings of ``[tool.pytest-workspace]`` in ``rootdir/pyproject.toml``, by
    setting name: its keys are the ini keys without ``workspace_`` (``matrix``,
    ``env``, ``find-links`` or ``find_links``), in TOML types. An unknown key or a wrong
    type is one error naming the file and key."""
    path = rootdir / "pyproject.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return {}
    if TOOL_TABLE not in text:
        return {}  # the common case: no table, and no TOML parsed for it
    from ..errors import WorkspaceError
    from ..settings import SETTINGS
    from .compat import tomllib

    try:
        data = tomllib.loads(text)
    except ValueError:
        return {}
    table = data.get("tool", {}).get(TOOL_TABLE)
    if table is None:
        return {}
    where = f"{path}: tool.{TOOL_TABLE}"
    if not isinstance(table, dict):
        raise WorkspaceError(f"{where}: expected a table, got {table!r}")
    known = {str(e.ini).removeprefix("workspace_"): e for e in SETTINGS if e.ini}
    layer: dict[str, Any] = {}
    for key, value in table.items():
        entry = known.get(key.replace("-", "_"))
        if entry is None:
            names = ", ".join(sorted(n.replace("_", "-") for n in known))
            raise WorkspaceError(f"{where}.{key}: unknown key; expected one of {names}")
        lists = entry.kind in ("list", "args")
        if lists and not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise WorkspaceError(f"{where}.{key}: expected a list of strings, got {value!r}")
        if entry.kind == "flag" and not isinstance(value, bool):
            raise WorkspaceError(f"{where}.{key}: expected true or false, got {value!r}")
        if not lists and entry.kind != "flag" and not isinstance(value, str):
            raise WorkspaceError(f"{where}.{key}: expected a string, got {value!r}")
        layer[entry.name] = ini_value(entry.kind, value)
    return layer


def ini_value(kind: str, value: Any) -> Any:
    """An ini value as pytest's ``addini`` type gives it (TOML arrays taken as lists)."""
    if kind in ("list", "args"):
        if isinstance(value, list):
            return [str(item) for item in value]
        if kind == "args":
            import shlex

            return shlex.split(str(value))
        return [line.strip() for line in str(value).splitlines() if line.strip()]
    if kind == "flag":
        return value if isinstance(value, bool) else str(value).strip().lower() in _TRUE
    return str(value).strip() or None


_TRUE = ("true", "1", "yes", "on", "y", "t")
