"""Meta-repository mode: the component repositories as sibling checkouts.

A coordination repository lists its siblings in ``workspace.toml`` (or the seed's
``wrknv.toml``, read as written)::

    [[siblings]]
    name = "core"
    path = "../core"
    repo = "https://git.example.com/acme/core.git"   # "./x" or "../x": beside this file
    ref = "main"              # optional: the branch a fresh clone checks out
    component = "core"        # optional: the matrix component, when it differs from name
    extras = ["test"]         # optional: installed with the sibling by `workspace setup`

A git-ignored ``workspace.local.toml`` beside it overrides ``path`` (and ``ref``) per
developer (``[[siblings]]`` with ``name`` and the keys to override). This module reads
the configuration; :mod:`.state` inspects the checkouts, :mod:`.actions` acts on them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import WorkspaceError
from ..model.names import NAME

__all__ = [
    "CONFIG_NAMES",
    "MetaRepository",
    "Sibling",
    "find_config",
    "load_config",
    "parse_refs",
]

CONFIG_NAMES = ("workspace.toml", "wrknv.toml")
LOCAL_CONFIG = "workspace.local.toml"
_KEYS = {"name", "path", "repo", "ref", "component", "extras"}


@dataclass(frozen=True)
class Sibling:
    name: str
    #: as written, relative to the configuration file's directory
    path: str
    repo: str | None = None
    ref: str | None = None
    component: str | None = None
    extras: tuple[str, ...] = ()

    @property
    def matrix_component(self) -> str:
        return self.component or self.name


@dataclass(frozen=True)
class MetaRepository:
    root: Path
    file: Path
    siblings: tuple[Sibling, ...]
    local: Path | None = None

    def location(self, sibling: Sibling) -> Path:
        """Where the sibling is, without following a symlink at that path."""
        return Path(os.path.normpath(self.root / sibling.path))

    def remote(self, sibling: Sibling) -> str | None:
        """The URL to clone from: a ``./`` or ``../`` path is relative to the
        configuration file, as ``path`` is, not to wherever the command runs."""
        repo = sibling.repo
        if repo and repo.startswith(("./", "../")):
            return os.path.normpath(self.root / repo)
        return repo

    def sibling(self, name: str) -> Sibling:
        for sibling in self.siblings:
            if sibling.name == name:
                return sibling
        known = ", ".join(s.name for s in self.siblings) or "(none)"
        raise WorkspaceError(f"unknown sibling {name!r}; known: {known}")


# -- configuration ------------------------------------------------------------------------


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``workspace.toml`` (else ``wrknv.toml``) from ``start`` upwards."""
    here = (start or Path.cwd()).absolute()
    for directory in (here, *here.parents):
        for name in CONFIG_NAMES:
            if (directory / name).is_file():
                return directory / name
    return None


def _fail(file: Path, key: str, value: Any, expected: str) -> WorkspaceError:
    return WorkspaceError(f"{file}: {key}: expected {expected}, got {value!r}")


def _entries(file: Path, data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    entries = data.get("siblings", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _fail(file, "siblings", entries, "an array of tables ([[siblings]])")
    return entries


def _text(file: Path, key: str, value: Any, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(file, key, value, "a non-empty string")
    return value


def _repo(file: Path, key: str, value: Any) -> str | None:
    from .git import repository_problem

    text = _text(file, key, value, optional=True)
    problem = repository_problem(text) if text is not None else None
    if problem:
        raise _fail(file, key, value, problem)
    return text


def _ref(file: Path, key: str, value: Any) -> str | None:
    from .git import ref_problem

    text = _text(file, key, value, optional=True)
    problem = ref_problem(text) if text is not None else None
    if problem:
        raise _fail(file, key, value, problem)
    return text


def _sibling(file: Path, index: int, entry: Mapping[str, Any]) -> Sibling:
    key = f"siblings[{index}]"
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise _fail(file, f"{key}.{unknown[0]}", entry[unknown[0]], f"one of {sorted(_KEYS)}")
    name = _text(file, f"{key}.name", entry.get("name"))
    assert name is not None
    if not NAME.match(name):
        raise _fail(file, f"{key}.name", name, "a name of letters, digits, '.', '_' and '-'")
    path = _text(file, f"{key}.path", entry.get("path", f"../{name}"))
    extras = entry.get("extras", [])
    if not isinstance(extras, list) or not all(isinstance(e, str) and e for e in extras):
        raise _fail(file, f"{key}.extras", extras, "a list of extra names")
    return Sibling(
        name=name,
        path=str(path),
        repo=_repo(file, f"{key}.repo", entry.get("repo")),
        ref=_ref(file, f"{key}.ref", entry.get("ref")),
        component=_text(file, f"{key}.component", entry.get("component"), optional=True),
        extras=tuple(extras),
    )


def _read(file: Path) -> Mapping[str, Any]:
    from ..loading.compat import tomllib

    try:
        data: dict[str, Any] = tomllib.loads(file.read_text(encoding="utf-8"))
        return data
    except OSError as error:
        raise WorkspaceError(f"{file}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise WorkspaceError(f"{file}: invalid TOML: {error}") from None


def parse_refs(items: Iterable[str], option: str = "--ref") -> dict[str, str]:
    """``NAME=BRANCH`` items (each may hold several, comma-separated, as ``ci-matrix``
    emits them) as a mapping; an empty item means no refs."""
    refs: dict[str, str] = {}
    for item in items:
        for part in filter(None, (p.strip() for p in item.split(","))):
            name, sep, branch = part.partition("=")
            if not sep or not name or not branch:
                raise WorkspaceError(f"{option} {part!r}: expected NAME=BRANCH")
            from .git import ref_problem

            problem = ref_problem(branch)
            if problem:
                raise WorkspaceError(f"{option} {part!r}: expected {problem}")
            refs[name] = branch
    return refs


def load_config(file: Path | None = None, *, start: Path | None = None) -> MetaRepository:
    """Read ``file`` (default: found from ``start`` upwards) and its local overrides."""
    file = file or find_config(start)
    if file is None:
        names = " or ".join(CONFIG_NAMES)
        raise WorkspaceError(f"no {names} found in {(start or Path.cwd()).absolute()} or above")
    file = file.absolute()
    siblings = [_sibling(file, i, e) for i, e in enumerate(_entries(file, _read(file)))]
    seen: dict[str, int] = {}
    for index, sibling in enumerate(siblings):
        if sibling.name in seen:
            raise _fail(file, f"siblings[{index}].name", sibling.name, "a name not used before")
        seen[sibling.name] = index
    local = file.parent / LOCAL_CONFIG
    if not local.is_file():
        return MetaRepository(file.parent, file, tuple(siblings))
    for index, entry in enumerate(_entries(local, _read(local))):
        key = f"siblings[{index}]"
        name = _text(local, f"{key}.name", entry.get("name"))
        if name not in seen:
            raise _fail(local, f"{key}.name", name, f"a sibling of {file.name}")
        extra = sorted(set(entry) - {"name", "path", "ref"})
        if extra:
            raise _fail(local, f"{key}.{extra[0]}", entry[extra[0]], "only path or ref")
        old = siblings[seen[str(name)]]
        siblings[seen[str(name)]] = Sibling(
            name=old.name,
            path=str(_text(local, f"{key}.path", entry.get("path", old.path))),
            repo=old.repo,
            ref=_ref(local, f"{key}.ref", entry.get("ref", old.ref)),
            component=old.component,
            extras=old.extras,
        )
    return MetaRepository(file.parent, file, tuple(siblings), local)


# -- state ----------------------------------------------------------------------------


# -- order ----------------------------------------------------------------------------
