"""Copied into every env the cache builds, as ``_pytest_workspace_bytecode.py`` beside a
``.pth`` line that imports it when Python is told not to write bytecode.

The user's bytecode setting is kept in our envs: a suite that rewrites a module at one
path must import what it wrote, as with plain pytest. But with ``PYTHONDONTWRITEBYTECODE``
set (common on CI), every process started in an env (each whole-suite worker, each
``bundle_env.run_pytest``) would compile pytest and the env's packages again: a third of
a second per start. So at exit a process compiles the modules it imported from *this
env's own site-packages*, into the env: per env (never shared between bundles), never
the checkout or the suite (an editable install leaves only a ``.pth`` file there).

The files are checked-hash ``.pyc`` (PEP 552): the import system compares the source's
hash, not its mtime and size, so a module replaced in place (an upgrade; wheels carry
fixed timestamps) can never be shadowed by its old bytecode.

This file must stay self-contained (standard library only): it runs in the env's
interpreter, whatever its version.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import sys


def compile_imported() -> None:
    """Compile the modules imported from this env's site-packages that lack bytecode."""
    import importlib.util
    import py_compile
    import sysconfig

    paths = sysconfig.get_paths()
    site = {os.path.join(os.path.realpath(paths[key]), "") for key in ("purelib", "platlib")}
    for module in list(sys.modules.values()):
        origin = getattr(getattr(module, "__spec__", None), "origin", None)
        if not isinstance(origin, str) or not origin.endswith(".py"):
            continue
        if not any(os.path.realpath(origin).startswith(root) for root in site):
            continue
        try:
            cached = importlib.util.cache_from_source(origin)
            if os.path.exists(cached):
                continue
            py_compile.compile(
                origin,
                cached,
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
            )
        except (OSError, ValueError, SyntaxError, py_compile.PyCompileError):
            continue  # an env we may not write, a file that is gone: only speed is lost


def register() -> None:
    import atexit

    atexit.register(compile_imported)
