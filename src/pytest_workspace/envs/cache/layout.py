"""The env cache's layout in ``os`` terms only: what a manifest file holds, and which
envs it has (where the cache lives and what it trusts is :mod:`...userdirs`). The CLI's
remembered answers (:mod:`...cli.memo`) and ``cache list`` need nothing heavier;
:mod:`.store` and :mod:`.manifest` build on this.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SHARED_ENV = "PYTEST_WORKSPACE_SHARED_CACHE"
#: the manifest file of an env (see :mod:`.manifest`)
MANIFEST = "pytest-workspace.json"
SCHEMA = 2
#: each manifest key with its type and, when it may be absent (older manifests), default
FIELDS: dict[str, tuple[type | tuple[type, ...], object]] = {
    "key": (str, ...),
    "label": (str, ...),
    "pins": (dict, ...),
    "requirements": (list, ...),
    "sources": (list, ...),
    "installed": (dict, ...),
    "files": (list, ...),
    "installer": (str, ...),
    "installer-version": (str, ...),
    "python": (str, ...),
    "python-version": (str, ...),
    "index": (str, ...),
    "created": (str, ...),
    "created-at": (float, ...),
    "build-seconds": (float, ...),
    "private": (bool, ...),
    "size": (int, 0),
    "last-install-seconds": ((float, type(None)), None),
    # what a reuse compares (see .integrity), and why a check found the env changed
    "tree": (dict, {}),
    "damaged": ((str, type(None)), None),
}


def parse_manifest(text: str | bytes) -> dict[str, Any]:
    """A manifest's values by key, every one present and typed (defaults filled in);
    ``ValueError`` for anything else, which always means "not a complete env"."""
    import json

    data = json.loads(text)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError("not a manifest of this schema")
    values: dict[str, Any] = {}
    for name, (kind, default) in FIELDS.items():
        value = data.get(name, default)
        if value is ...:
            raise ValueError(f"missing {name!r}")
        if not _is(value, kind):
            raise ValueError(f"{name!r} has the wrong type")
        values[name] = value
    return values


def _is(value: object, kind: type | tuple[type, ...]) -> bool:
    if isinstance(kind, tuple):
        return any(_is(value, k) for k in kind)
    if isinstance(value, bool) and kind is not bool:
        return False
    if kind is float:
        return isinstance(value, (int, float))
    if kind is dict:
        return isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
    if kind is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, kind)


def scan(root: str) -> list[tuple[str, dict[str, Any] | None, float]]:
    """Every env directory in the cache at ``root``, sorted: its key, its manifest's
    values (None unless complete: valid, and of this key) and when it was last used."""
    envs = os.path.join(root, "envs")
    try:
        names = sorted(os.listdir(envs))
    except OSError:
        return []
    found = []
    for name in names:
        path = os.path.join(envs, name)
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode):
            continue
        manifest = os.path.join(path, MANIFEST)
        values: dict[str, Any] | None
        try:
            with open(manifest, "rb") as stream:
                values = parse_manifest(stream.read())
            last_used = os.stat(manifest).st_mtime
        except (OSError, ValueError, RecursionError):
            values, last_used = None, info.st_mtime
        if values is not None and values["key"] != name:
            values = None
        found.append((name, values, last_used))
    return found
