"""Where the env cache lives, in ``os.path`` terms only: the CLI's remembered answers
(:mod:`._memo`) look there before anything heavier than ``os`` is imported."""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

CACHE_ENV = "PYTEST_WORKSPACE_CACHE"
SHARED_ENV = "PYTEST_WORKSPACE_SHARED_CACHE"
#: the manifest file of an env (see :mod:`.manifest`)
MANIFEST = "pytest-workspace.json"


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
