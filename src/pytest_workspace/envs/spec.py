"""What an environment must contain: an :class:`EnvSpec` (pins, interpreter, index
options, local sources, extra requirements) and the content hash that names it in the
cache. :mod:`.workspace` builds specs; this module only describes them.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InterpreterNotFound, SelectionError
from ..loading.compat import tomllib
from ..model.matrix import Index, Pin
from ..model.names import normalize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .pylock import Lock

__all__ = [
    "EnvSpec",
    "IndexOptions",
    "Interpreter",
    "Source",
    "current_interpreter",
    "find_interpreter",
    "local_sources",
    "metadata_digest",
    "parse_sources",
    "project_distribution",
]

#: Directories that never decide what a local source builds into.
_IGNORED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".nox",
        ".tox",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
        "node_modules",
    }
)


#: Installer variables that change what gets installed: an env built under one value is
#: never reused under another. (Cache, verbosity and network-tuning variables are not
#: here: they change how, not what.)
RESOLUTION_VARIABLES = (
    "PIP_CONFIG_FILE",
    "PIP_CONSTRAINT",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_INDEX_URL",
    "PIP_NO_BINARY",
    "PIP_NO_INDEX",
    "PIP_ONLY_BINARY",
    "PIP_PRE",
    "PIP_PREFER_BINARY",
    "UV_CONFIG_FILE",
    "UV_CONSTRAINT",
    "UV_DEFAULT_INDEX",
    "UV_EXCLUDE_NEWER",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_INDEX",
    "UV_INDEX_STRATEGY",
    "UV_INDEX_URL",
    "UV_NO_BINARY",
    "UV_NO_BUILD",
    "UV_NO_CONFIG",
    "UV_NO_INDEX",
    "UV_OVERRIDE",
    "UV_PRERELEASE",
    "UV_RESOLUTION",
    "UV_TORCH_BACKEND",
)


@dataclass(frozen=True)
class Interpreter:
    """A real interpreter binary (never a shim: pyenv and friends re-dispatch on PATH)."""

    path: str
    implementation: str
    version: str

    @property
    def series(self) -> str:
        return ".".join(self.version.split(".")[:2])


@dataclass(frozen=True)
class IndexOptions:
    """Where packages come from. Empty means the installer's own defaults (and its
    ``PIP_*`` / ``UV_*`` variables)."""

    index_url: str | None = None
    find_links: tuple[str, ...] = ()
    offline: bool = False
    #: resolve as of this date or timestamp (uv's ``--exclude-newer``)
    exclude_newer: str | None = None

    def over(self, matrix: Index) -> IndexOptions:
        """These options, falling back to the matrix's ``[index]`` table field by field:
        a command-line ``--find-links`` replaces the matrix's find-links but keeps its
        index URL, and the other way round."""
        return IndexOptions(
            self.index_url or matrix.url,
            self.find_links or matrix.find_links,
            self.offline,
        )

    def describe(self) -> str:
        parts = []
        if self.find_links:
            parts.append("find-links " + ", ".join(self.find_links))
        if self.offline:
            parts.append("no index (offline)")
        else:
            parts.append(f"index {self.index_url or 'the installer default'}")
        if self.exclude_newer:
            parts.append(f"nothing newer than {self.exclude_newer}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Source:
    """A component installed from a local checkout instead of its pinned release."""

    component: str
    distribution: str
    path: Path
    editable: bool = True
    #: content hash of the checkout, for non-editable sources (editable ones follow edits)
    digest: str = ""
    #: the checkout's own extras installed with it (whole-suite mode's test extras)
    extras: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        """What the installer is given: the path, with ``[extras]`` when there are any."""
        return f"{self.path}[{','.join(self.extras)}]" if self.extras else str(self.path)

    def __str__(self) -> str:
        kind = "editable" if self.editable else "snapshot"
        return f"{self.component} from {self.target} ({kind})"


@dataclass(frozen=True)
class EnvSpec:
    """Everything that decides an environment's contents."""

    label: str
    pins: tuple[Pin, ...]
    python: Interpreter
    index: IndexOptions = field(default_factory=IndexOptions)
    sources: tuple[Source, ...] = ()
    #: extra requirements installed beside the pins (e.g. ``pytest`` for ``Env.pytest``)
    extras: tuple[str, ...] = ()
    #: the bundle's lock file (``pytest-workspace lock``): the env holds its versions
    lock: Lock | None = field(default=None, compare=False, hash=False)
    #: ranges for what the pins pull in (a partial combination completed by the rows)
    constraints: tuple[str, ...] = ()

    @property
    def sourced(self) -> frozenset[str]:
        return frozenset(normalize(source.distribution) for source in self.sources)

    @property
    def requirements(self) -> list[str]:
        """Requirement strings for the pins that are not replaced by a local source."""
        sourced = self.sourced
        return [
            pin.requirement for pin in self.pins if normalize(pin.distribution) not in sourced
        ] + list(self.extras)

    def identity(self) -> dict[str, object]:
        """The JSON-able description that is hashed into the cache key."""
        return {
            "python": [self.python.implementation, self.python.version, self.python.path],
            "requirements": sorted(self.requirements),
            "index": {
                "url": self.index.index_url,
                "find-links": list(self.index.find_links),
                "offline": self.index.offline,
            },
            "sources": sorted(
                [str(s.path), s.editable, s.digest, normalize(s.distribution)]
                # Only when set, like lock and exclude-newer below.
                + ([",".join(s.extras)] if s.extras else [])
                for s in self.sources
            ),
            "environ": {
                name: os.environ[name] for name in RESOLUTION_VARIABLES if name in os.environ
            },
            # Only when set, so that the keys of every env built before stay the same.
            **({"lock": self.lock.digest} if self.lock else {}),
            **({"exclude-newer": self.index.exclude_newer} if self.index.exclude_newer else {}),
            **({"constraints": sorted(self.constraints)} if self.constraints else {}),
        }

    def key(self, installer_identity: Sequence[str]) -> str:
        """A short content hash: identical requests from anywhere share one env."""
        document = {"spec": self.identity(), "installer": list(installer_identity)}
        import hashlib
        import json

        raw = json.dumps(document, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()[:20]


# -- interpreters -----------------------------------------------------------------------


def current_interpreter() -> Interpreter:
    """The running interpreter; inside a venv, the base interpreter it was made from."""
    import platform

    base = getattr(sys, "_base_executable", None) or sys.executable
    return Interpreter(
        path=os.path.realpath(base),
        implementation=sys.implementation.name,
        version=platform.python_version(),
    )


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


# -- local sources ----------------------------------------------------------------------


def _tree_digest(root: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in _IGNORED_DIRS and not d.endswith(".egg-info")
        )
        for name in sorted(filenames):
            path = Path(directory, name)
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def project_distribution(path: Path) -> str | None:
    """The distribution name declared in a checkout's ``pyproject.toml``, if any."""
    pyproject = path / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    name = data.get("project", {}).get("name")
    return name if isinstance(name, str) else None


def parse_sources(items: Iterable[str], *, rootdir: Path | None = None) -> dict[str, Path]:
    """``COMPONENT=PATH`` items into a mapping; paths are relative to rootdir."""
    rootdir = rootdir or Path.cwd()
    sources: dict[str, Path] = {}
    for item in items:
        component, sep, path = item.partition("=")
        if not sep or not component.strip() or not path.strip():
            raise SelectionError(f"invalid source {item!r}: expected COMPONENT=PATH")
        resolved = (rootdir / path.strip()).resolve()
        if not resolved.is_dir():
            raise SelectionError(f"invalid source {item!r}: {resolved} is not a directory")
        sources[component.strip()] = resolved
    return sources


def metadata_digest(root: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for name in ("pyproject.toml", "setup.cfg", "setup.py"):
        try:
            digest.update(name.encode() + b"\0" + (root / name).read_bytes())
        except OSError:
            continue
    return digest.hexdigest()[:20]


def local_sources(
    pins: Sequence[Pin], paths: Mapping[str, Path], *, editable: bool = True
) -> tuple[Source, ...]:
    """The local checkouts (component or ``family@member`` to path) that replace pins."""
    result = []
    for component, path in paths.items():
        matching = [pin for pin in pins if component in (pin.key, pin.component)]
        if not matching:
            continue
        distribution = matching[0].distribution
        # An editable env follows code edits, but a changed dependency list needs a
        # rebuild: the packaging metadata files are part of the key.
        digest = metadata_digest(path) if editable else _tree_digest(path)
        result.append(Source(component, distribution, path, editable, digest))
    return tuple(result)
