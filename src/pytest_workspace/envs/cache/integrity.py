"""Has a cached env changed since it was built? Three checks of rising cost.

- On every reuse (:func:`why_changed`), within a small budget: a file added, removed or
  renamed anywhere in the env changes its directory's mtime, so the build records the
  mtime of every directory (``tree`` in the manifest) and a reuse compares them, one
  ``lstat`` per directory (an env of 5,000 files has ~600; ``benchmarks/bench_integrity.py``).
  ``__pycache__`` directories are left out: bytecode is written there at run time
  (the build creates them beside every module, so writing bytecode never changes the
  directory above).
- After a pytest session used an env (:func:`changed_since`): every file's mtime against
  the session's start, which also finds a file edited in place (a test writing into
  site-packages), and the env is marked damaged so the next reuse rebuilds it.
- On demand (``pytest-workspace cache verify``, :func:`verify`): every installed file
  against the sha256 its distribution's ``RECORD`` gives.

Only ``os`` here: the CLI's remembered answers run :func:`why_changed` too.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

__all__ = ["Change", "changed_since", "owners", "record_tree", "verify", "why_changed"]

_PYCACHE = "__pycache__"


def _directories(path: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """The env's directories below its root, never through a link, without bytecode."""
    for name in sorted(os.listdir(path)):
        top = os.path.join(path, name)
        if not os.path.islink(top) and os.path.isdir(top):
            for directory, subdirectories, files in os.walk(top):
                subdirectories[:] = sorted(d for d in subdirectories if d != _PYCACHE)
                yield directory, subdirectories, files


def record_tree(path: str) -> dict[str, str]:
    """Give every directory holding modules a ``__pycache__`` (so bytecode written at run
    time changes nothing above it), then every directory's mtime (nanoseconds, as text),
    by path relative to the env."""
    tree = {}
    for directory, _, files in _directories(path):
        if any(name.endswith(".py") for name in files):
            os.makedirs(os.path.join(directory, _PYCACHE), exist_ok=True)
        tree[os.path.relpath(directory, path)] = str(os.lstat(directory).st_mtime_ns)
    return tree


def why_changed(
    path: str, files: Sequence[str], tree: Mapping[str, str], damaged: str | None
) -> str | None:
    """Why the env at ``path`` is no longer what was built (its manifest's ``files``,
    ``tree`` and ``damaged``), or None; the reuse check, one ``lstat`` per directory."""
    if damaged:
        return damaged
    # Root-level files are not in the tree (the env's root also holds locks and the
    # manifest, which change with use); a manifest from before trees lists more.
    checked = files if not tree else ("pyvenv.cfg",)
    for relative in checked:
        if not os.path.lexists(os.path.join(path, relative)):
            return f"{relative} was removed"
    for relative, mtime in tree.items():
        try:
            info = os.lstat(os.path.join(path, relative))
        except OSError:
            return f"{relative} was removed"
        if str(info.st_mtime_ns) != mtime or not stat.S_ISDIR(info.st_mode):
            return f"a file in {relative} was added, removed or renamed"
    return None


class Change:
    """What a check found: the first change, said, and every file edited in place
    (relative to the env; uv's cache may hold the same file, see :func:`owners`)."""

    # A plain class: this module is imported by the remembered answers' fast path,
    # which does not import typing.
    __slots__ = ("edited", "why")

    def __init__(self, why: str, edited: tuple[str, ...] = ()) -> None:
        self.why = why
        self.edited = edited


def changed_since(path: str, since: float) -> Change | None:
    """What changed in the env at or after ``since`` (a ``time.time()``), bytecode
    aside; None when the run left the env as it was."""
    limit = int(since * 1e9)
    first = None
    edited = []
    for directory, _, files in _directories(path):
        if first is None and os.lstat(directory).st_mtime_ns >= limit:
            first = f"a file in {os.path.relpath(directory, path)} was added or removed"
        for name in files:
            file = os.path.join(directory, name)
            try:
                info = os.lstat(file)
            except OSError:
                continue  # removed meanwhile: its directory says so
            if info.st_mtime_ns >= limit:
                edited.append(os.path.relpath(file, path))
    if edited:
        return Change(first or f"{edited[0]} was changed", tuple(edited))
    return Change(first) if first else None


def owners(path: str, site_packages: Sequence[str], files: Sequence[str]) -> list[str]:
    """The distributions (their ``*.dist-info`` names, ``name-version``) whose
    ``RECORD`` lists any of ``files`` (relative to the env at ``path``)."""
    import csv

    wanted = {os.path.normpath(os.path.join(path, file)) for file in files}
    found = []
    for site in site_packages:
        for info in sorted(n for n in os.listdir(site) if n.endswith(".dist-info")):
            try:
                with open(os.path.join(site, info, "RECORD"), encoding="utf-8", newline="") as f:
                    listed = {
                        os.path.normpath(os.path.join(site, row[0])) for row in csv.reader(f) if row
                    }
            except OSError:
                continue
            if listed & wanted:
                found.append(info[: -len(".dist-info")])
    return found


def verify(path: str, site_packages: list[str]) -> list[str]:
    """Every installed file that differs from its distribution's ``RECORD`` (sha256),
    or is missing, as ``relative/path: why``; the on-demand full check."""
    import base64
    import csv
    import hashlib

    problems = []
    for site in site_packages:
        try:
            infos = sorted(n for n in os.listdir(site) if n.endswith(".dist-info"))
        except OSError:
            continue
        for info in infos:
            try:
                with open(os.path.join(site, info, "RECORD"), encoding="utf-8", newline="") as f:
                    rows = list(csv.reader(f))
            except OSError:
                problems.append(f"{os.path.relpath(os.path.join(site, info), path)}: no RECORD")
                continue
            for row in rows:
                if len(row) < 2 or not row[1].startswith("sha256="):
                    continue  # RECORD itself, and files installers write unhashed
                file = os.path.normpath(os.path.join(site, row[0]))
                relative = os.path.relpath(file, path)
                try:
                    with open(file, "rb") as stream:
                        digest = hashlib.sha256(stream.read()).digest()
                except FileNotFoundError:
                    problems.append(f"{relative}: removed")
                    continue
                except OSError as error:
                    problems.append(f"{relative}: cannot read ({error.strerror})")
                    continue
                expected = row[1][len("sha256=") :]
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != expected:
                    problems.append(f"{relative}: changed")
    return problems
