"""How this package's own modules are imported: plainly under pytest, and from bytecode
of our own when Python is told not to write any.

pytest claims every module of a distribution that provides a plugin for its assertion
rewriter, which -- with no bytecode it may read -- parses each module into AST objects
at every import (2.3 times a plain compile) only to find the docstring's
PYTEST_DONT_REWRITE and compile it unchanged. And with ``PYTHONDONTWRITEBYTECODE`` (common
on CI images) after an install that compiled nothing (uv's default), every process
compiles every module it imports, again: ~35 ms for a pytest run that selects nothing,
more for a worker that runs the core. :class:`OwnImports`, first on ``sys.meta_path``,
finds ``pytest_workspace.*`` as Python's own finder does and, in that second case, loads
the code through :class:`CachedCode`, which keeps it in the user's cache
(``<cache>/bytecode``), never beside the source: that is what the setting forbids.

The cached files are checked-hash ``.pyc`` (PEP 552): valid only for the exact source
bytes, so another install's module at the same path, or an edited checkout, is compiled
afresh. Since loading bytecode runs it, the directory and each file must be the user's
own and writable by nobody else (the env cache's rule); anything else is ignored and the
module compiled as usual. Other packages' imports go on to the finders after this one.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import types
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from importlib.util import MAGIC_NUMBER, cache_from_source, source_hash

__all__ = ["CachedCode", "OwnImports", "install", "prune_bytecode"]

PREFIX = "pytest_workspace."
#: PEP 552 flags: hash-based, checked against the source at every import
_CHECKED_HASH = (0b11).to_bytes(4, "little")
#: the bytecode directory, once found trustworthy (False: none may be used)
_DIRECTORY: list[str | bool] = []


class OwnImports:
    """A ``sys.meta_path`` finder for ``pytest_workspace.*`` only (see the module)."""

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if not name.startswith(PREFIX):
            return None
        spec = PathFinder.find_spec(name, path)  # type: ignore[arg-type]
        loader = spec.loader if spec is not None else None
        if (
            sys.dont_write_bytecode
            and type(loader) is SourceFileLoader
            # Bytecode compiled at install, beside the source, is used as Python uses it.
            and not os.path.exists(cache_from_source(loader.path))
        ):
            spec.loader = CachedCode(loader.name, loader.path)  # type: ignore[union-attr]
        return spec


class CachedCode(SourceFileLoader):
    """Python's source loader, with the bytecode kept in our cache (see the module)."""

    def get_code(self, fullname: str) -> types.CodeType:
        path = self.get_filename(fullname)
        source = self.get_data(path)
        header = MAGIC_NUMBER + _CHECKED_HASH + source_hash(source)
        target = _target(fullname, path)
        if target is not None:
            from .userdirs import read_own

            cached = read_own(target)
            if cached is not None and cached[:16] == header:
                try:
                    code = marshal.loads(cached[16:])
                except (EOFError, ValueError, TypeError):
                    code = None  # a torn or foreign file: compiled and replaced below
                if isinstance(code, types.CodeType):
                    return code
        code = self.source_to_code(source, path)
        if target is not None:
            _write_own(target, header + marshal.dumps(code))
        return code


def install() -> None:
    """Put :class:`OwnImports` first on ``sys.meta_path`` (once per process)."""
    if not any(isinstance(finder, OwnImports) for finder in sys.meta_path):
        sys.meta_path.insert(0, OwnImports())


def prune_bytecode(root: str, older_than: float, now: float) -> int:
    """Remove the kept code written more than ``older_than`` seconds ago (an import
    writes it again when needed); how many files went."""
    from .userdirs import why_untrusted

    directory = os.path.join(root, "bytecode")
    removed = 0
    try:
        if why_untrusted(os.lstat(directory)) is not None:
            return 0
        names = os.listdir(directory)
    except OSError:
        return 0
    for name in names:
        path = os.path.join(directory, name)
        with contextlib.suppress(OSError):
            info = os.lstat(path)
            if name.endswith(".pyc") and now - info.st_mtime > older_than:
                os.unlink(path)
                removed += 1
    return removed


def _target(fullname: str, path: str) -> str | None:
    directory = _directory()
    if directory is None:
        return None
    # Per source path: two installs (two venvs, a checkout) keep their own files.
    digest = source_hash(path.encode("utf-8", "surrogateescape")).hex()
    return os.path.join(directory, f"{fullname}.{digest}.{sys.implementation.cache_tag}.pyc")


def _directory() -> str | None:
    if not _DIRECTORY:
        _DIRECTORY.append(False)  # while looking, the modules it takes load plainly
        _DIRECTORY[0] = _trusted_directory() or False
    found = _DIRECTORY[0]
    return found if isinstance(found, str) else None


def _trusted_directory() -> str | None:
    if sys.platform == "win32":
        return None  # no ownership to check: compiled as usual
    from .userdirs import default_root, own_directory

    directory = os.path.join(default_root(), "bytecode")
    return directory if own_directory(directory) else None


def _write_own(target: str, data: bytes) -> None:
    """Replace ``target`` atomically (another process may read it at any moment); no
    fsync: a torn file fails its header or marshal check and is compiled again."""
    from .userdirs import new_private_file

    try:
        descriptor, temporary = new_private_file(target)
    except OSError:
        return  # a read-only or full directory: the next import compiles again
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except OSError:
        # A full disk: the next import compiles again.
        with contextlib.suppress(OSError):
            os.unlink(temporary)
