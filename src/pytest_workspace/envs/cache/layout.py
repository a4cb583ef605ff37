"""The env cache's layout in ``os`` terms only: where it lives, what it trusts, what a
manifest file holds, and which envs it has. The CLI's remembered answers
(:mod:`._memo`) and ``cache list`` need nothing heavier; :mod:`.cache` and
:mod:`.manifest` build on this.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

CACHE_ENV = "PYTEST_WORKSPACE_CACHE"
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


def default_root(environ: Mapping[str, str] | None = None) -> str:
    """``$PYTEST_WORKSPACE_CACHE``, else the platform's user cache directory."""
    environ = os.environ if environ is None else environ
    home = os.path.expanduser("~")
    if environ.get(CACHE_ENV):
        # Like pathlib's absolute(): joined to the working directory, never normalised.
        return os.path.join(os.getcwd(), os.path.expanduser(environ[CACHE_ENV]))
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "pytest-workspace", "Cache")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "pytest-workspace")
    base = environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return os.path.join(base, "pytest-workspace")


def why_untrusted(info: os.stat_result) -> str | None:
    """Why a cache entry (``lstat`` of it) could have been planted by someone else: a
    symlink, not ours (or root's), writable by the group or others; None if it is fine."""
    if sys.platform == "win32":
        return None
    if stat.S_ISLNK(info.st_mode):
        return "it is a symlink"
    if info.st_uid not in (os.geteuid(), 0):
        return (
            f"it is owned by uid {info.st_uid}, not by you (uid {os.geteuid()}); "
            "an env runs code, so the cache trusts only your files"
        )
    if info.st_mode & 0o022:
        return (
            f"it is writable by others (mode {stat.S_IMODE(info.st_mode):o}); "
            "run chmod go-w on it, or use a cache of your own"
        )
    return None


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
