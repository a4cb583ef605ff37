"""Local checkouts swapped in for a component's pinned release: what replaces which pin,
what decides a checkout's env (its packaging metadata; for a snapshot, every file), and
what a checkout's project file says (distribution, version, dependencies).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SelectionError
from ..loading.compat import tomllib
from ..model.matrix import Pin
from ..model.names import normalize

__all__ = [
    "Project",
    "Source",
    "checkout_versions",
    "local_sources",
    "metadata_digest",
    "parse_sources",
    "project_distribution",
    "read_project",
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


@dataclass(frozen=True)
class Project:
    """What a checkout's ``pyproject.toml`` declares."""

    distribution: str | None = None
    version: str | None = None
    dependencies: tuple[str, ...] = ()
    requires_python: str | None = None


def read_project(path: Path) -> Project:
    from ..loading.compat import tomllib

    try:
        data = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Project()
    project = data.get("project", {})
    if not isinstance(project, dict):
        return Project()
    version = project.get("version")
    if version is None and "version" in project.get("dynamic", []):
        version = _dynamic_version(path)
    dependencies = project.get("dependencies", [])
    return Project(
        distribution=project.get("name") if isinstance(project.get("name"), str) else None,
        version=version if isinstance(version, str) else None,
        dependencies=tuple(d for d in dependencies if isinstance(d, str)),
        requires_python=project.get("requires-python"),
    )


def checkout_versions(
    pins: Sequence[Pin], sources: Mapping[str, Path], installed: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The versions of the checkouts that replace some of ``pins`` (normalised
    distribution name to version): as ``installed`` says (normalised name to version)
    when given, else as the checkout's pyproject.toml (or VERSION file) does; a checkout
    whose version only its build knows is left out."""
    found: dict[str, str] = {}
    read: dict[Path, str | None] = {}  # each checkout's project file once
    for pin in pins:
        path = pin.source_in(sources)
        if path is None:
            continue
        name = normalize(pin.distribution)
        if installed is not None:
            version = installed.get(name)
        else:
            if path not in read:
                read[path] = read_project(path).version
            version = read[path]
        if version:
            found[name] = version
    return found


def _dynamic_version(path: Path) -> str | None:
    # The common static spellings of a dynamic version: a VERSION file.
    for name in ("VERSION", "version.txt"):
        try:
            return (path / name).read_text(encoding="utf-8").strip() or None
        except OSError:
            continue
    return None
