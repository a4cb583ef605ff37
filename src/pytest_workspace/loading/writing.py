"""Writing the matrix file back (``bundle new``): one table added, every other byte as
it was (tomlkit keeps comments, order and quoting), and the file read back before the
write is trusted.

A matrix file is shared: CI jobs and people run ``bundle new`` at once, editors and
repositories hold it, it may be a symlink into a checkout of the ``version-management``
repository. So the write is serialised (an exclusive lock on the file's directory, held
from reading to reading back: no update is lost), goes to the symlink's target (the link
stays a link), keeps the file's mode, replaces it atomically, and is refused for a file
that is not writable.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import InvalidMatrixError, WorkspaceError

__all__ = ["add_bundle", "directory_lock"]


@contextlib.contextmanager
def directory_lock(directory: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` (POSIX ``flock`` on the directory itself:
    nothing is created in the user's directory); ``waiting`` is called once when another
    process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: writers are not serialised
        yield
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _target(path: Path) -> Path:
    """The file a write goes to: the symlink's target (the link is left as it is)."""
    try:
        return path.resolve(strict=True)
    except (OSError, RuntimeError) as error:
        raise WorkspaceError(f"{path}: cannot write: {error}") from None


def add_bundle(
    path: Path, name: str, table: Mapping[str, Any], versions: Mapping[str, str]
) -> None:
    """Add ``[bundles."NAME"]`` (``table``: its keys and values) to the matrix file at
    ``path``; it must read back as a bundle with exactly ``versions`` (pin key to
    version), else the file is restored and the problem named."""
    import tomlkit

    target = _target(path)
    info = os.stat(target)
    if not info.st_mode & stat.S_IWUSR or not os.access(target, os.W_OK):
        raise WorkspaceError(
            f"{path}: the file is read-only (mode {stat.S_IMODE(info.st_mode):o}); "
            "make it writable to add a bundle"
        )
    with directory_lock(target.parent):
        old = target.read_bytes()  # as it is now: another writer may have added a bundle
        document = tomlkit.parse(old.decode("utf-8"))
        bundles = document.get("bundles")
        if bundles is None:
            document["bundles"] = tomlkit.table(is_super_table=True)
            bundles = document["bundles"]
        if name in bundles:
            raise WorkspaceError(f"bundle {name!r} already exists in {path}")
        entry = tomlkit.table()
        for key, value in table.items():
            entry[key] = value
        bundles[name] = entry
        _replace(target, tomlkit.dumps(document).encode("utf-8"), stat.S_IMODE(info.st_mode))
        problem = _read_back(target, name, versions)
        if problem is not None:
            _replace(target, old, stat.S_IMODE(info.st_mode))
            raise WorkspaceError(
                f"{path}: the written bundle {name!r} did not read back: {problem}"
            )


def _replace(target: Path, data: bytes, mode: int) -> None:
    """Replace ``target``'s content atomically, keeping its mode."""
    import tempfile

    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_back(target: Path, name: str, versions: Mapping[str, str]) -> str | None:
    from .matrixfile import load_matrix

    try:
        written = load_matrix(target).bundles.get(name)
    except InvalidMatrixError as error:
        return str(error)
    return None if written and written.versions() == dict(versions) else "pins differ"
