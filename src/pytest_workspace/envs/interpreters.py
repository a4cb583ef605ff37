"""The interpreters envs are built on: the running one (inside a venv, the base it was
made from), or the one a bundle asks for (``python = "3.12"``), never a shim.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass

from ..errors import InterpreterNotFound

__all__ = ["Interpreter", "current_interpreter", "find_interpreter", "found_by_path_alone"]


@dataclass(frozen=True)
class Interpreter:
    """A real interpreter binary (never a shim: pyenv and friends re-dispatch on PATH)."""

    path: str
    implementation: str
    version: str

    @property
    def series(self) -> str:
        return ".".join(self.version.split(".")[:2])


def current_interpreter() -> Interpreter:
    """The running interpreter; inside a venv, the base interpreter it was made from."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return Interpreter(
        path=os.path.realpath(base),
        implementation=sys.implementation.name,
        version=python_version(),
    )


def python_version() -> str:
    """``platform.python_version()`` of the running interpreter (part of every env's
    key), read as platform reads it: the version that ``sys.version`` starts with, a
    missing micro number added. Importing platform for it (nine regular expressions
    compiled) was a noticeable part of every cache hit's start-up."""
    text = sys.version
    # platform's parser takes the leading run of word characters, dots and pluses.
    end = 0
    while end < len(text) and (text[end].isalnum() or text[end] in "._+"):
        end += 1
    version = text[:end]
    parts = version.split(".")
    return ".".join([*parts, "0"]) if len(parts) == 2 else version


_PROBE = (
    "import sys, platform; print(sys.executable); print(sys.implementation.name); "
    "print(platform.python_version())"
)


@functools.cache
def find_interpreter(request: str | None = None) -> Interpreter:
    """The interpreter for ``python = "3.12"`` (or the running one for None).

    A ``python3.12`` found on PATH may be a shim, so it is asked for its real
    ``sys.executable`` instead of being used as is.
    """
    current = current_interpreter()
    if request is None or current.series == request or current.version == request:
        return current
    import shutil
    import subprocess

    candidate = shutil.which(f"python{request}")
    if candidate is None:
        raise InterpreterNotFound(f"Python {request} is not available (no python{request} on PATH)")
    try:
        probe = subprocess.run(
            [candidate, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise InterpreterNotFound(
            f"Python {request} at {candidate} does not run: {error}"
        ) from None
    executable, implementation, version = probe.stdout.split()
    found = Interpreter(os.path.realpath(executable), implementation, version)
    if found.series != request and found.version != request:
        raise InterpreterNotFound(
            f"Python {request} is not available ({candidate} is Python {version})"
        )
    return found


def found_by_path_alone(request: str | None, found: Interpreter) -> bool:
    """Whether looking ``request`` up again can only give another answer when a PATH
    directory or the binary changes: the running interpreter, or a ``pythonX.Y`` on PATH
    that is the interpreter itself. A shim (pyenv, asdf) answers from what it reads
    (``.python-version`` in the working directory, ``$PYENV_VERSION``, its own files), so
    only a fresh lookup knows its answer."""
    import shutil

    if found == current_interpreter():
        return True
    candidate = shutil.which(f"python{request}") if request else None
    return candidate is not None and os.path.realpath(candidate) == found.path
