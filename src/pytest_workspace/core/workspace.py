"""The pytest-free core that every front-end (pytest plugin, CLI, nox, tox) calls.

A front-end reads its own settings into :class:`Settings`, asks a :class:`Workspace`
for a :class:`Selection` (bundles, ad-hoc combinations, upgrade paths), then for the env
of each selected bundle, and renders what comes back. Option precedence, index merging,
local sources, the combination check and the running-env check live here, once.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..envs.checkouts import local_sources, parse_sources, project_distribution
from ..envs.interpreters import find_interpreter
from ..envs.spec import EnvSpec, IndexOptions
from ..errors import WorkspaceError
from ..loading.values import parse_combination
from ..model.matrix import Bundle, Level, Matrix, Notice
from ..model.names import normalize
from ..model.validity import check_pins, check_upgrade
from .selection import Request, Selection, select_bundles, select_upgrades

#: the combinations ``--combination`` computes instead of reading (see :meth:`explored`)
EXPLORED = ("floor", "latest")

if TYPE_CHECKING:
    from ..envs.cache.store import EnvCache
    from ..envs.env import Env
    from ..envs.install import InstallPlan
    from ..envs.installed import Distributions, Kind
    from ..envs.installers import Installer
    from ..envs.interpreters import Interpreter
    from ..envs.pylock import Lock
    from ..model.explore import Space

__all__ = ["Settings", "Workspace"]

_SAFE_LABEL = re.compile(r"[^A-Za-z0-9._@:,=+-]")


def _given(value: Any) -> bool:
    return value not in (None, "", [], (), False)


@dataclass(frozen=True)
class Settings:
    """What a front-end was told: each field from the first layer that sets it, in the
    order option > ini (pytest configuration) > environment variable > matrix > default.

    The environment variables (``PYTEST_WORKSPACE_MATRIX``, ``PYTEST_WORKSPACE_CACHE``)
    are read where the default is computed (:func:`~.discover.find_matrix`,
    :func:`~.cache.default_cache_root`); the matrix's ``[index]`` fills in index options
    that no layer set (:meth:`IndexOptions.over`).
    """

    rootdir: Path = field(default_factory=Path.cwd)
    matrix: str | None = None
    installer: str | None = None
    cache: Path | None = None
    index: IndexOptions = field(default_factory=IndexOptions)
    #: ``COMPONENT=PATH`` items
    sources: tuple[str, ...] = ()
    editable: bool = True
    strict: bool = False
    #: requirements installed beside every bundle's pins (e.g. pytest)
    extras: tuple[str, ...] = ()
    #: whole-suite mode: requirements installed with the project in each bundle's env
    test_requirements: tuple[str, ...] = ()
    #: further directories where a default matrix file may be
    search: tuple[Path, ...] = ()
    #: how the front-end spells "pass a matrix path", for the not-found message
    hint: str = "--matrix PATH"
    #: swap in the checkout at rootdir when its distribution is a component (pytest)
    detect_project: bool = True
    #: meta-repository siblings to swap in: "auto", "none" or a comma list of names
    siblings: str | None = None

    @classmethod
    def layered(
        cls, *layers: Mapping[str, Any], rootdir: Path | None = None, **fixed: Any
    ) -> Settings:
        """Merge layers (highest first) of ``{field: value}``; empty values fall through.
        Index fields are ``index_url``, ``find_links`` and ``offline``."""
        from ..loading.values import requirement_items

        def pick(name: str) -> Any:
            return next((layer[name] for layer in layers if _given(layer.get(name))), None)

        values: dict[str, Any] = {}
        for name in ("matrix", "installer", "strict", "editable", "siblings"):
            if pick(name) is not None:
                values[name] = pick(name)
        if pick("cache") is not None:
            values["cache"] = Path(str(pick("cache"))).absolute()
        values["sources"] = tuple(pick("sources") or ())
        for name in ("extras", "test_requirements"):
            values[name] = requirement_items(pick(name), f"workspace_{name}")
        # Absolute here: the key must not take two directories' links/ for one, and
        # installers run elsewhere (see envs/installer_config.py).
        links = tuple(
            link if "://" in link else str(Path(link).absolute())
            for link in pick("find_links") or ()
        )
        values["index"] = IndexOptions(pick("index_url") or None, links, bool(pick("offline")))
        if rootdir is not None:
            values["rootdir"] = rootdir
        values.update(fixed)
        return cls(**values)


class Workspace:
    """A matrix plus settings: selections, env specs, envs, and the running-env check."""

    def __init__(self, settings: Settings, *, matrix: Matrix | None = None) -> None:
        self.settings = settings
        if matrix is not None:
            self.__dict__["matrix"] = matrix

    @functools.cached_property
    def matrix(self) -> Matrix:
        from ..loading.discover import find_matrix
        from ..loading.matrixfile import load_matrix

        settings = self.settings
        path = find_matrix(
            settings.matrix, rootdir=settings.rootdir, also=settings.search, hint=settings.hint
        )
        return load_matrix(path)

    @functools.cached_property
    def cache(self) -> EnvCache:
        from ..envs.cache.store import EnvCache

        return EnvCache(self.settings.cache) if self.settings.cache else EnvCache()

    @functools.cached_property
    def installer(self) -> Installer:
        from ..envs.installers import get_installer

        return get_installer(self.settings.installer)

    @functools.cached_property
    def index(self) -> IndexOptions:
        return self.settings.index.over(self.matrix.index)

    # -- selection --------------------------------------------------------------------

    def combination(self, spec: str) -> tuple[Bundle, list[Notice]]:
        """An ad-hoc combination and its violations of the rows: warnings, or errors
        under ``strict`` (the caller refuses to build then)."""
        pins = parse_combination(self.matrix, spec)
        level: Level = "error" if self.settings.strict else "warning"
        problems = [
            Notice(level, n.key, n.message)
            for n in check_pins(self.matrix, pins, f"--combination {spec}")
            if n.level == "error"
        ]
        return Bundle(name=spec, pins=pins, adhoc=True), problems

    # -- exploring the matrix --------------------------------------------------------

    def explore(
        self, *, from_index: bool, only_index: bool = False, pre: bool = False
    ) -> tuple[Space, list[str]]:
        """The search space of :mod:`..model.explore`: each pin key's candidates are
        the versions the matrix names; ``from_index`` adds the releases the find-links
        and the index offer (``only_index``: those alone, where any place answered).
        Also the notes on what could not be asked."""
        from ..envs.available import Unreachable, available_versions
        from ..model.explore import Space, matrix_candidates, variables

        candidates = matrix_candidates(self.matrix)
        notes: list[str] = []
        listings: dict[str, list[str]] = {}
        if from_index:
            for key, component, member in variables(self.matrix):
                declared = self.matrix.component(component)
                distribution = declared.distribution(member) if member else declared.distribution()
                try:
                    offered = available_versions(
                        distribution, self.index, pre=pre, listings=listings
                    )
                except Unreachable as error:
                    notes.append(f"note: {error}; {key}: the matrix's own versions")
                    continue
                if only_index and offered:
                    candidates[key] = offered
                else:
                    candidates[key] = sorted({*candidates.get(key, ()), *offered})
        return Space(self.matrix, candidates), notes

    def explored(self, which: str) -> tuple[Bundle, list[str]]:
        """``--combination floor`` / ``latest``: the lowest (highest) releases the rows
        allow together (:meth:`explore`, from the index), as an ad-hoc combination."""
        from ..model.explore import NoLegalCombination

        space, notes = self.explore(from_index=True, only_index=True)
        try:
            found = space.floor() if which == "floor" else space.latest()
        except NoLegalCombination as error:
            raise WorkspaceError(
                f"--combination {which}: {error}: {'; '.join(error.conflicts)}"
            ) from None
        notes.append(f"note: --combination {which} is {found.spec}")
        return Bundle(name=which, pins=found.pins, adhoc=True), notes

    def select(self, request: Request) -> Selection:
        """Resolve names, globs and combinations against the matrix; an invalid
        combination is an error under ``strict``, a note otherwise."""
        matrix = self.matrix
        bundles = list(select_bundles(matrix, request.bundles))
        notes = [
            f"warning: {notice}"
            for chosen in bundles
            for notice in check_pins(matrix, chosen.pins, chosen.key)
            if notice.level == "error"
        ]
        # `ci-matrix --explore` packs several into one job, separated by ';'.
        specs = [one.strip() for spec in request.combinations for one in spec.split(";")]
        for spec in filter(None, specs):
            if spec in EXPLORED:
                combination, found = self.explored(spec)
                notes.extend(found)
                bundles.append(combination)
                continue
            combination, problems = self.combination(spec)
            if problems and self.settings.strict:
                raise WorkspaceError(str(problems[0]))
            notes.extend(f"warning: {problem}" for problem in problems)
            bundles.append(combination)
        upgrades = select_upgrades(matrix, request.upgrades)
        for path in upgrades:
            if not path.adhoc:
                continue
            ends = [matrix.bundle(end.bundle) for end in (path.source, path.target) if end.bundle]
            invalid = [
                end.name
                for end in ends
                if any(n.level == "error" for n in check_pins(matrix, end.pins, end.key))
            ]
            for notice in check_upgrade(matrix, path, f"--upgrade-path {path.id}", invalid):
                if notice.level != "error":
                    continue
                if self.settings.strict:
                    raise WorkspaceError(str(notice))
                notes.append(f"warning: {notice}")
        path_sources = {
            path.id: self.sources([Bundle(name=path.target.label, pins=path.target.pins)])
            for path in upgrades
        }
        return Selection(
            request,
            tuple(bundles),
            upgrades,
            self.sources(bundles),
            tuple(notes),
            {path_id: found for path_id, found in path_sources.items() if found},
        )

    def sources(self, bundles: Sequence[Bundle] = ()) -> dict[str, Path]:
        """``--workspace-source`` items, plus the project under test (the checkout at
        rootdir) when its distribution is one of the bundles' components.
        ``--workspace-source=none`` tests the bundles exactly as released."""
        if tuple(self.settings.sources) == ("none",):
            return {}
        sources = parse_sources(self.settings.sources, rootdir=self.settings.rootdir)
        # An explicit source wins over a sibling, a sibling over the detected project.
        for component, path in self._siblings(bundles).items():
            sources.setdefault(component, path)
        if not self.settings.detect_project:
            return sources
        name = project_distribution(self.settings.rootdir)
        if name is not None:
            wanted = normalize(name)
            for chosen in bundles:
                for pin in chosen.pins:
                    if normalize(pin.distribution) == wanted:
                        sources.setdefault(pin.key, self.settings.rootdir)
        return sources

    def _siblings(self, bundles: Sequence[Bundle]) -> dict[str, Path]:
        """``--workspace-siblings``: present, usable siblings whose component a selected
        bundle pins (all of them for ``auto``, the named ones otherwise)."""
        wanted = (self.settings.siblings or "none").strip()
        if wanted == "none" or not bundles:
            return {}
        from ..meta.config import load_config
        from ..meta.state import inspect

        meta = load_config(start=self.settings.rootdir)
        names = None if wanted == "auto" else [n.strip() for n in wanted.split(",") if n.strip()]
        for name in names or ():
            meta.sibling(name)  # an unknown name is an error naming the known ones
        pinned = {pin.component for chosen in bundles for pin in chosen.pins}
        found: dict[str, Path] = {}
        for state in inspect(meta):
            sibling = state.sibling
            if names is not None and sibling.name not in names:
                continue
            if names is not None and not state.usable:
                why = state.problem or "missing"
                raise WorkspaceError(f"sibling {sibling.name} ({state.path}): {why}")
            if state.usable and sibling.matrix_component in pinned:
                found[sibling.matrix_component] = state.real
        return found

    # -- envs -------------------------------------------------------------------------

    def spec(
        self,
        bundle: Bundle,
        *,
        sources: Mapping[str, Path] | None = None,
        extras: Sequence[str] = (),
        python: Interpreter | None = None,
    ) -> EnvSpec:
        """Exactly what ``bundle``'s env must hold. ``python = "X.Y"`` on a matrix
        bundle picks that interpreter (unless ``python`` is given) or raises
        :class:`InterpreterNotFound`."""
        if sources is None:
            sources = self.sources([bundle])
        label = _SAFE_LABEL.sub("_", bundle.name)
        lock = self.lock(bundle)
        index = self.index
        if lock is None:
            index = dataclasses.replace(index, exclude_newer=self.exclude_newer(bundle))
        return EnvSpec(
            label=label,
            pins=bundle.pins,
            python=python or find_interpreter(bundle.python),
            index=index,
            sources=local_sources(bundle.pins, sources, editable=self.settings.editable),
            extras=(*self.settings.extras, *extras),
            lock=lock,
            constraints=self.completion(bundle),
        )

    def install_plan(
        self,
        bundle: Bundle,
        *,
        sources: Mapping[str, Path] | None = None,
        extras: Sequence[str] = (),
    ) -> InstallPlan:
        """What to install for ``bundle`` (see :mod:`..envs.install`), for a front-end
        that installs into an env it does not own (tox, nox, ``workspace setup``): its
        interpreter is that env's, so the bundle's ``python`` is not looked for."""
        from ..envs.install import InstallPlan
        from ..envs.interpreters import current_interpreter

        found = self.spec(bundle, sources=sources, extras=extras, python=current_interpreter())
        return InstallPlan.of(found)

    def completion(self, bundle: Bundle) -> tuple[str, ...]:
        """Row ranges for what a partial combination leaves out (not for a bundle of
        the matrix: a bundle is what it says)."""
        if bundle.name in self.matrix.bundles and not bundle.adhoc:
            return ()
        from ..model.validity import completion

        return completion(self.matrix, bundle.pins)

    def lock(self, bundle: Bundle) -> Lock | None:
        """The bundle's lock file, if it has one; a stale lock is an error, not a guess."""
        if bundle.adhoc or bundle.name not in self.matrix.bundles:
            return None
        path = self.matrix.lock_file(bundle.name)
        try:
            path.stat()
        except FileNotFoundError:
            return None  # most bundles have no lock: the lock reader is for those that do
        except OSError:
            pass  # read_lock says what is wrong with it
        from ..envs.pylock import read_lock

        lock = read_lock(path, bundle.name)
        if lock is not None:
            stale = lock.stale(bundle)
            if stale:
                raise WorkspaceError(
                    f"{lock.path}: stale lock of bundle {bundle.name!r}: {stale[0]}; "
                    f"run `pytest-workspace lock {bundle.name}`"
                )
        return lock

    def resolution_notes(self, bundle: Bundle, *, locking: bool = False) -> list[str]:
        """What a user should know about how ``bundle`` resolves as of a date (nothing
        when its env comes from a lock, unless the lock is what is being resolved)."""
        if self.matrix.index.exclude_newer is None:
            return []
        if not locking and self.matrix.lock_file(bundle.name).is_file():
            return []
        date = self.exclude_newer(bundle)
        if date is None:
            return [f"exclude-newer: bundle {bundle.name} has no release-date; resolved as of now"]
        notes = []
        if self.installer.name != "uv":
            notes.append(f"exclude-newer {date}: pip cannot resolve as of a date (uv can)")
        if self.index.find_links:
            notes.append(
                f"exclude-newer {date}: find-links directories give no upload times, "
                "so their files are not filtered by date"
            )
        return notes

    def exclude_newer(self, bundle: Bundle) -> str | None:
        """``[index] exclude-newer``: a date, or the day after the bundle's release date
        (None when the bundle has none: it resolves as of today)."""
        setting = self.matrix.index.exclude_newer
        if setting == "release-date":
            if bundle.release_date is None:
                return None
            # Through the end of the release day: what was out when it was released.
            return (bundle.release_date + datetime.timedelta(days=1)).isoformat()
        return setting

    def env(
        self,
        bundle: Bundle,
        *,
        sources: Mapping[str, Path] | None = None,
        extras: Sequence[str] = (),
        rebuild_before: float | None = None,
    ) -> Env:
        """The shared, cached env for ``bundle`` (built once, whichever process asks first)."""
        spec = self.spec(bundle, sources=sources, extras=extras)
        return self.env_of(spec, bundle, rebuild_before=rebuild_before)

    def env_of(self, spec: EnvSpec, bundle: Bundle, *, rebuild_before: float | None = None) -> Env:
        """The shared, cached env that ``spec`` (one of ``bundle``'s, made by the caller:
        whole-suite mode adds the project's test requirements) describes."""
        kind: Kind = "combination" if bundle.adhoc else "bundle"
        return self.cache.get(spec, self.installer, rebuild_before=rebuild_before, kind=kind)

    def private_env(
        self,
        bundle: Bundle,
        path: Path,
        *,
        sources: Mapping[str, Path] | None = None,
        extras: Sequence[str] = (),
        kind: Kind = "bundle",
    ) -> Env:
        """A fresh env at ``path`` that its one user may change (upgrade paths)."""
        spec = self.spec(bundle, sources=sources, extras=extras)
        return self.cache.private(spec, path, self.installer, kind=kind)

    def current_env(self, bundle: Bundle, *, sources: Mapping[str, Path] | None = None) -> Env:
        """The running interpreter as ``bundle``'s env, after checking it holds the pins."""
        self.check_current(bundle, sources=sources)
        from ..envs.env import Env

        spec = EnvSpec(label=bundle.name, pins=bundle.pins, python=find_interpreter())
        return Env.current(spec)

    def check_current(
        self,
        bundle: Bundle,
        *,
        sources: Mapping[str, Path] | None = None,
        installed: Distributions | None = None,
    ) -> None:
        """Raise unless the running environment holds ``bundle``'s pins (the pins that
        a local source replaces excepted, see :mod:`.current`); ``installed`` is what it
        holds, when the caller has read it already."""
        from ..envs.running import check_running

        check_running(bundle, self.sources([bundle]) if sources is None else sources, installed)
