"""What the env cache may touch: ownership and permission checks, build locks, and removal.

An env runs code, so the cache trusts only what the current user (or root) owns and
nobody else can write — the rule ssh applies to ``~/.ssh``. A symlink where an env, a
lock or a log should be is refused, never followed, and nothing is removed that is not
a directory the cache built. Builds hold an exclusive lock on ``<env>.lock`` (the build lock);
users of an env hold a shared ``flock`` on its ``.use`` file for the life of the
process (the in-use hold), which ``prune`` tests before removing anything.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ...errors import EnvError, LockTimeout, UntrustedCacheError
from ...userdirs import NOFOLLOW, why_untrusted
from .manifest import MANIFEST

__all__ = ["InUse", "build_lock", "check_trusted", "hold", "unused", "wipe"]

LOCK_TIMEOUT_ENV = "PYTEST_WORKSPACE_LOCK_TIMEOUT"

#: ``.use`` files this process holds open (and so shared-locked) until it exits; per
#: process, not per cache object, because that is the lifetime of the envs' users.
_HELD: dict[str, IO[bytes]] = {}


class InUse(Exception):
    """Control flow: a running session holds this env; prune leaves it alone."""


def check_trusted(path: Path, what: str, info: os.stat_result | None = None) -> None:
    """Refuse what another user could have planted: not ours (or root's), writable by
    the group or others, or a symlink."""
    if sys.platform == "win32":
        return
    why = why_untrusted(info or os.lstat(path))
    if why is not None:
        raise UntrustedCacheError(f"refusing {what} {path}: {why}")


@contextlib.contextmanager
def build_lock(path: Path, label: str, timeout: float, *, shared: bool = False) -> Iterator[None]:
    """Hold the build lock of the env at ``path`` (at most ``timeout`` seconds' wait)."""
    lock_path = path.with_name(path.name + ".lock")
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(os.lstat(lock_path).st_mode):
            raise UntrustedCacheError(
                f"refusing the build lock {lock_path}: it is not a regular file (a symlink or "
                "a directory that pytest-workspace did not create); remove it"
            )
    # The lock file stays after release: unlinking it would let two builders lock two
    # different inodes of the same name.
    mode = 0o644 if shared else 0o600
    try:
        release = _acquire(lock_path, timeout, mode)
    except TimeoutError:
        raise LockTimeout(
            f"timed out after {timeout:g} s waiting for {lock_path}: another "
            f"process is building env {label}; wait for it or raise {LOCK_TIMEOUT_ENV}"
        ) from None
    except OSError as error:
        raise EnvError(f"cannot take the build lock {lock_path}: {error}") from None
    try:
        yield  # an OSError of the build is the build's, not the build lock's
    finally:
        release()


def _acquire(lock_path: Path, timeout: float, mode: int) -> Callable[[], None]:
    """Lock ``lock_path`` exclusively; the function that releases it. POSIX: ``flock``
    on the file, as ``filelock`` takes it (so the two exclude each other), without
    importing ``filelock`` 4, which costs more than a warm env's whole reuse (asyncio,
    logging, inspect); elsewhere ``filelock``."""
    if sys.platform == "win32":
        from filelock import FileLock, Timeout

        lock = FileLock(str(lock_path), timeout=timeout, mode=mode)
        try:
            lock.acquire()
        except Timeout:
            raise TimeoutError from None
        return lock.release
    import fcntl

    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT | NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError from None
                time.sleep(min(0.05, left))
    except BaseException:
        os.close(descriptor)
        raise
    return lambda: os.close(descriptor)  # closing the descriptor releases the flock


def hold(path: Path, *, shared: bool = False) -> None:
    """Take a shared lock on the env's ``.use`` file until this process exits."""
    if str(path) in _HELD or sys.platform == "win32":
        return
    import fcntl

    use = path.with_name(path.name + ".use")
    try:
        flags = os.O_RDWR | os.O_CREAT | NOFOLLOW
        descriptor = os.open(use, flags, 0o644 if shared else 0o600)
    except OSError:
        # Another user's shared cache (or a read-only mount): a shared lock needs only
        # read access, and its owner's prune must see this use too.
        try:
            descriptor = os.open(use, os.O_RDONLY | NOFOLLOW)
        except OSError:
            return  # no .use file we may open: nothing to hold
    stream = os.fdopen(descriptor, "rb")
    try:
        fcntl.flock(stream, fcntl.LOCK_SH)
    except OSError:
        stream.close()
        return
    _HELD[str(path)] = stream


@contextlib.contextmanager
def unused(path: Path) -> Iterator[None]:
    """Hold the env's ``.use`` file exclusively; raise :class:`InUse` if anyone uses it."""
    if sys.platform == "win32":
        yield
        return
    import fcntl

    try:
        descriptor = os.open(path.with_name(path.name + ".use"), os.O_RDWR | NOFOLLOW)
    except FileNotFoundError:
        yield
        return
    except OSError as error:
        raise EnvError(f"cannot check whether {path} is in use: {error}") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InUse from None
        yield
    finally:
        os.close(descriptor)


def wipe(path: Path) -> None:
    """Remove an env the cache built. A symlink is never followed (only a real directory
    is removed), and the manifest goes first so no reader takes a half-deleted env."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        raise UntrustedCacheError(
            f"refusing to replace {path}: it is not a directory that pytest-workspace "
            "built (a symlink or a file); remove it"
        )
    try:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            (path / MANIFEST).unlink()
    except OSError as error:
        raise EnvError(f"cannot remove env {path}: {error.strerror} ({error.filename})") from None
    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):
        raise EnvError(f"cannot remove env {path} completely (read-only or immutable files?)")
