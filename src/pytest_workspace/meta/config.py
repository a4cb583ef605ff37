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

Meta-repository settings, all optional, in a ``[workspace]`` table::

    [workspace]
    venv = ".venv"            # where `workspace setup` builds the shared env
    python = "3.11"           # its Python (a bundle's own `python` wins with --bundle)
    bundle = "stable-3.2"     # the bundle `setup` and `status` use when given none

The seed's ``wrknv.toml`` is read as its tooling writes it: keys this module does not
know are warnings there (``[global_standards] python_version`` is its Python), errors in
``workspace.toml``. A git-ignored ``workspace.local.toml`` beside it overrides ``path``
(and ``ref``) per developer (``[[siblings]]`` with ``name`` and the keys to override).

Found from the working directory upwards, else from ``$PYTEST_WORKSPACE_META`` (the
file or its directory), else, from inside a sibling checkout, in a directory beside one
of its ancestors whose configuration lists that checkout. This module reads the
configuration; :mod:`.state` inspects the checkouts, :mod:`.actions` acts on them.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import WorkspaceError
from ..model.names import NAME

__all__ = [
    "CONFIG_NAMES",
    "EVERY",
    "MetaRepository",
    "Sibling",
    "find_config",
    "load_config",
    "parse_refs",
]

CONFIG_NAMES = ("workspace.toml", "wrknv.toml")
LOCAL_CONFIG = "workspace.local.toml"
META_ENV = "PYTEST_WORKSPACE_META"
_KEYS = {"name", "path", "repo", "ref", "component", "extras"}
_SETTINGS = {"venv", "python", "bundle"}
#: how far up from a sibling checkout the meta-repository is looked for beside it
_BESIDE_LEVELS = 3


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
    #: ``[workspace]`` settings: the shared env's path (relative to ``root``), its
    #: Python, and the default bundle
    venv: str | None = None
    python: str | None = None
    bundle: str | None = None
    #: what was read but not used (unknown keys of the seed's format, a file ignored)
    warnings: tuple[str, ...] = ()

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
    """The meta-repository's configuration for ``start`` (see the module docstring):
    upwards, then ``$PYTEST_WORKSPACE_META``, then beside a sibling checkout."""
    here = (start or Path.cwd()).absolute()
    for directory in (here, *here.parents):
        found = _config_in(directory)
        if found:
            return found
    given = os.environ.get(META_ENV)
    if given:
        path = Path(given).expanduser().absolute()
        found = path if path.is_file() else _config_in(path)
        if found is None:
            raise WorkspaceError(f"${META_ENV}={given}: expected a {' or '.join(CONFIG_NAMES)}")
        return found
    return _beside(here)


def _config_in(directory: Path) -> Path | None:
    for name in CONFIG_NAMES:
        if (directory / name).is_file():
            return directory / name
    return None


def _beside(here: Path) -> Path | None:
    """From inside a sibling checkout: a meta-repository in a directory next to one of
    its ancestors whose configuration lists a sibling containing ``here``."""
    real = here.resolve()
    for ancestor in [real, *real.parents][:_BESIDE_LEVELS]:
        parent = ancestor.parent
        if parent == ancestor:
            break
        try:
            neighbours = sorted(p for p in parent.iterdir() if p != ancestor and p.is_dir())
        except OSError:
            continue
        for neighbour in neighbours:
            config = _config_in(neighbour)
            if config is None:
                continue
            try:
                meta = load_config(config)
            except WorkspaceError:
                continue
            for sibling in meta.siblings:
                location = meta.location(sibling).resolve()
                if location == real or location in real.parents:
                    return config
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


def _checked(
    file: Path, key: str, value: Any, problem_of: Callable[[str], str | None]
) -> str | None:
    """An optional string that git may be given: ``problem_of`` says why not."""
    text = _text(file, key, value, optional=True)
    problem = problem_of(text) if text is not None else None
    if problem:
        raise _fail(file, key, value, problem)
    return text


def _repo(file: Path, key: str, value: Any) -> str | None:
    from .git import repository_problem

    return _checked(file, key, value, repository_problem)


def _ref(file: Path, key: str, value: Any) -> str | None:
    from .git import ref_problem

    return _checked(file, key, value, ref_problem)


def _unknown(
    file: Path, key: str, entry: Mapping[str, Any], known: set[str], warnings: list[str]
) -> None:
    """Keys this module does not read: errors in ``workspace.toml``; in the seed's
    ``wrknv.toml``, whose tooling writes more, warnings."""
    unknown = sorted(set(entry) - known)
    if not unknown:
        return
    if file.name != "wrknv.toml":
        raise _fail(file, f"{key}.{unknown[0]}", entry[unknown[0]], f"one of {sorted(known)}")
    for name in unknown:
        warnings.append(f"{file}: {key}.{name} is not read by pytest-workspace; ignored")


def _sibling(file: Path, index: int, entry: Mapping[str, Any], warnings: list[str]) -> Sibling:
    key = f"siblings[{index}]"
    _unknown(file, key, entry, _KEYS, warnings)
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


#: the key of a ``--ref BRANCH`` given without a sibling name: every sibling's branch
#: where its repository has it, each other one's own ref elsewhere
EVERY = "*"


def parse_refs(items: Iterable[str], option: str = "--ref") -> dict[str, str]:
    """``NAME=BRANCH`` items (each may hold several, comma-separated, as ``ci-matrix``
    emits them) as a mapping; an empty item means no refs. A bare ``BRANCH`` is stored
    under :data:`EVERY`."""
    refs: dict[str, str] = {}
    for item in items:
        for part in filter(None, (p.strip() for p in item.split(","))):
            name, sep, branch = part.partition("=")
            if not sep:
                name, branch = EVERY, part
            if not name or not branch:
                raise WorkspaceError(f"{option} {part!r}: expected NAME=BRANCH or BRANCH")
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
    data = _read(file)
    warnings: list[str] = []
    siblings = [_sibling(file, i, e, warnings) for i, e in enumerate(_entries(file, data))]
    settings = _settings(file, data, warnings)
    for spelling in CONFIG_NAMES:
        other = file.with_name(spelling)
        if other != file and other.is_file():
            warnings.append(f"{other} is ignored: {file.name} beside it is read")
    seen: dict[str, int] = {}
    for index, sibling in enumerate(siblings):
        if sibling.name in seen:
            raise _fail(file, f"siblings[{index}].name", sibling.name, "a name not used before")
        seen[sibling.name] = index
    local = file.parent / LOCAL_CONFIG
    if not local.is_file():
        return MetaRepository(
            file.parent, file, tuple(siblings), None, **settings, warnings=tuple(warnings)
        )
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
    return MetaRepository(
        file.parent, file, tuple(siblings), local, **settings, warnings=tuple(warnings)
    )


def _settings(file: Path, data: Mapping[str, Any], warnings: list[str]) -> dict[str, str | None]:
    """The ``[workspace]`` table (the seed's ``[global_standards] python_version`` too)."""
    table = data.get("workspace", {})
    if not isinstance(table, dict):
        raise _fail(file, "workspace", table, "a table ([workspace])")
    _unknown(file, "workspace", table, _SETTINGS, warnings)
    values = {k: _text(file, f"workspace.{k}", table.get(k), optional=True) for k in _SETTINGS}
    seed = data.get("global_standards")
    if values["python"] is None and file.name == "wrknv.toml" and isinstance(seed, dict):
        values["python"] = _text(
            file, "global_standards.python_version", seed.get("python_version"), optional=True
        )
    python = values["python"]
    if python is not None and not all(part.isdigit() for part in python.split(".")):
        raise _fail(file, "workspace.python", python, "a Python version such as 3.12")
    bundle = values["bundle"]
    if bundle is not None and not NAME.match(bundle):
        raise _fail(file, "workspace.bundle", bundle, "a bundle name")
    return values


# -- state ----------------------------------------------------------------------------


# -- order ----------------------------------------------------------------------------
