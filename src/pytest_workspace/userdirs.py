"""The user's cache directory, and what in it we trust: only what the user (or root)
owns and nobody else can write, never through a symlink -- the rule ssh applies to
``~/.ssh``, because what the cache holds runs (envs, remembered answers, our bytecode).
``os`` terms only: every process that uses the cache imports it, most of them early.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "CACHE_ENV",
    "NOFOLLOW",
    "default_root",
    "new_private_file",
    "own_directory",
    "read_own",
    "why_untrusted",
]

CACHE_ENV = "PYTEST_WORKSPACE_CACHE"
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: as tempfile opens its files: not inherited by children, no newline translation
_NOINHERIT = (
    getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOINHERIT", 0) | getattr(os, "O_BINARY", 0)
)


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


def own_directory(path: str) -> bool:
    """Create ``path`` (private) if needed; whether it is a directory we may trust."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        info = os.lstat(path)
    except OSError:
        return False  # a read-only home, say
    return stat.S_ISDIR(info.st_mode) and why_untrusted(info) is None


def read_own(path: str) -> bytes | None:
    """``path``'s bytes if it is a file of ours that nobody else may write; None if it is
    missing or is not (never read through a symlink)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode) or why_untrusted(info) is not None:
            return None
        return stream.read()


def new_private_file(path: str) -> tuple[int, str]:
    """A new file beside ``path``, to be renamed over it: opened for writing, mode 0600,
    a name no one else can have made (never through a symlink planted at it), as
    ``tempfile.mkstemp`` makes one -- without tempfile's imports (random, shutil), which
    cost the processes that write into the cache more than their writes."""
    for _ in range(100):
        temporary = f"{path}.{os.urandom(6).hex()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | _NOINHERIT
        try:
            return os.open(temporary, flags, 0o600), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")
