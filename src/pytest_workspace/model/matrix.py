"""The compatibility matrix model: components, compatibility rows, bundles and upgrade
paths, with the lookups and selections front-ends need.

The model is built by :mod:`..loading` from ``versions.toml``; every string is already
a ``Version`` or ``SpecifierSet`` here, and nothing in this module does I/O. Whether a
combination is valid is decided in :mod:`.validity`; user text becomes pins in
:mod:`..loading.values`, and selections are made in :mod:`..core.selection`.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..errors import SelectionError

__all__ = [
    "Bundle",
    "Component",
    "Constraint",
    "Endpoint",
    "Index",
    "Matrix",
    "Notice",
    "Pin",
    "Publish",
    "Rule",
    "UpgradePath",
]

METADATA = ("name", "description", "release-date", "lts-until", "python", "xfail", "version")

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Component:
    """A separately released package; a *family* (``{name}`` in ``package``) has members."""

    name: str
    package: str
    #: optional features installed with it (``extras = ["asyncio"]``)
    extras: tuple[str, ...] = ()

    @property
    def family(self) -> bool:
        return "{name}" in self.package

    def distribution(self, member: str | None = None) -> str:
        if member is None:
            return self.package
        return self.package.replace("{name}", member)


@dataclass(frozen=True)
class Pin:
    """One component (or family member) at one exact version."""

    component: str
    version: Version
    distribution: str
    member: str | None = None
    extras: tuple[str, ...] = ()

    # cached_property works on a frozen dataclass (it writes __dict__ directly); the text
    # is built thousands of times by check() on a large matrix.
    @functools.cached_property
    def key(self) -> str:
        """``core``, or ``extensions@mongodb`` for a family member."""
        return self.component if self.member is None else f"{self.component}@{self.member}"

    @functools.cached_property
    def text(self) -> str:
        return f"{self.key} {self.version}"

    @property
    def requirement(self) -> str:
        """The pip/uv requirement that installs exactly this pin (with its extras)."""
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.distribution}{extras}=={self.version}"

    def source_in(self, sources: Mapping[str, Path]) -> Path | None:
        """The local checkout (by key, ``family@member``, or by component) that
        replaces this pin, if any."""
        return sources.get(self.key) or sources.get(self.component)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Constraint:
    """One clause of a row: ``platform = "^2.5"`` (plus any ``min-platform``)."""

    component: str
    specifier: SpecifierSet
    text: str
    #: the specifier with lower bounds first, rendered once for messages
    expanded: str = ""


@dataclass(frozen=True)
class Rule:
    """A compatibility row: what ``component`` at ``version`` needs of the others."""

    component: str
    version: Version
    requires: tuple[Constraint, ...]

    @functools.cached_property
    def key(self) -> str:
        return f'compatibility.{self.component}."{self.version}"'

    @functools.cached_property
    def components(self) -> frozenset[str]:
        """The components this row says something about."""
        return frozenset(constraint.component for constraint in self.requires)


@dataclass(frozen=True)
class Bundle:
    """A named, released combination of pinned component versions."""

    name: str
    pins: tuple[Pin, ...]
    title: str | None = None
    description: str | None = None
    release_date: datetime.date | None = None
    lts_until: datetime.date | None = None
    python: str | None = None
    #: written as an unquoted dotted header, ``[bundles.stable-3.2]``
    dotted: bool = False
    #: an ad-hoc combination (``--combination``), not a bundle of the matrix
    adhoc: bool = False
    #: why this bundle is expected to fail (``xfail = "..."``): its tests are strict xfail
    xfail: str | None = None
    #: the release's own version (``version = "2025.10"``), for its meta-package
    version: str | None = None

    @property
    def key(self) -> str:
        return f"bundles.{self.name}"

    def versions(self) -> dict[str, str]:
        """Pin key (``core``, ``extensions@mongodb``) to version string."""
        return versions(self.pins)

    def sourced(self, sources: Mapping[str, Path]) -> frozenset[str]:
        """The normalised distribution names of the pins that ``sources`` replace."""
        from .names import normalize

        return frozenset(normalize(p.distribution) for p in self.pins if p.source_in(sources))

    def with_versions(self, found: Mapping[str, str]) -> Bundle:
        """This bundle with the versions really installed for some of its pins
        (normalised distribution name to version): a checkout swapped in is tested at
        its own version, not the one the matrix pins."""
        import dataclasses

        from packaging.version import InvalidVersion, Version

        from .names import normalize

        pins = []
        for pin in self.pins:
            text = found.get(normalize(pin.distribution))
            try:
                version = Version(text) if text is not None else pin.version
            except InvalidVersion:
                version = pin.version
            pins.append(
                pin if version == pin.version else dataclasses.replace(pin, version=version)
            )
        return dataclasses.replace(self, pins=tuple(pins))


@dataclass(frozen=True)
class Endpoint:
    """One end of an upgrade path: a bundle, or ``component@version`` pins."""

    label: str
    pins: tuple[Pin, ...]
    bundle: str | None = None

    def versions(self) -> dict[str, str]:
        """Pin key (``core``, ``extensions@mongodb``) to version string."""
        return versions(self.pins)


@dataclass(frozen=True)
class UpgradePath:
    source: Endpoint
    target: Endpoint
    #: why this path is expected to fail (``xfail = "..."`` in the matrix), else None
    xfail: str | None = None
    #: given on the command line, not declared in the matrix
    adhoc: bool = False

    @property
    def id(self) -> str:
        return f"{self.source.label}:{self.target.label}"


@dataclass(frozen=True)
class Index:
    """Where the components' packages come from (the matrix's ``[index]`` table)."""

    url: str | None = None
    #: absolute directories or URLs; relative entries are resolved against the matrix file
    find_links: tuple[str, ...] = ()
    #: where the bundles' lock files are (``locks = "dir"``, default ``locks/`` beside it)
    locks: Path | None = None
    #: every bundle must have a lock (``locked = true``): ``check`` reports a missing one
    locked: bool = False
    #: unlocked bundles resolve as of this date, or of each bundle's release date
    #: (``exclude-newer = "release-date"``)
    exclude_newer: str | None = None


@dataclass(frozen=True)
class Publish:
    """How ``bundle publish`` names a bundle's meta-package (``[publish]``)."""

    #: ``{bundle}`` is replaced by the bundle's name
    package: str | None = None


@dataclass(frozen=True)
class Notice:
    """One finding of ``check``."""

    level: Level
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


@dataclass(frozen=True)
class Matrix:
    path: Path
    files: tuple[Path, ...]
    components: Mapping[str, Component]
    rules: Mapping[str, tuple[Rule, ...]]
    bundles: Mapping[str, Bundle]
    upgrades: tuple[UpgradePath, ...] = ()
    index: Index = field(default_factory=Index)
    notes: tuple[Notice, ...] = ()
    publish: Publish = field(default_factory=Publish)
    # Memos for check(): a large matrix asks the same questions thousands of times.
    _rule_memo: dict[tuple[str, Version], tuple[Rule | None, bool]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _allows_memo: dict[tuple[int, int], bool] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _versions: dict[int, Version] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    #: what :mod:`.validity` remembers about this matrix (see :mod:`.memo`)
    memos: dict[str, object] = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- lookups -------------------------------------------------------------------

    def component(self, name: str) -> Component:
        """The declared component, or one whose distribution is its own name."""
        return self.components.get(name) or Component(name, name)

    def bundle(self, name: str) -> Bundle:
        try:
            return self.bundles[name]
        except KeyError:
            raise SelectionError(
                f"unknown bundle {name!r}; known: {', '.join(self.bundles) or '(none)'}"
            ) from None

    def lock_file(self, bundle: str) -> Path:
        """``locks/pylock.<bundle>.toml`` (PEP 751 allows no dot in ``<bundle>``: ``_``)."""
        directory = self.index.locks or self.path.parent / "locks"
        return directory / f"pylock.{bundle.replace('.', '_')}.toml"

    # -- rules -------------------------------------------------------------------------

    def rule_for(self, component: str, version: Version) -> tuple[Rule | None, bool]:
        """The row that applies and whether it is inherited from its series.

        A patch release without a row of its own uses the row of the greatest lower
        version of the same ``major.minor`` series.
        """
        memo_key = (component, version)
        found = self._rule_memo.get(memo_key)
        if found is None:
            found = self._rule_memo[memo_key] = _applicable(self.rules.get(component, ()), version)
        return found

    def allows(self, constraint: Constraint, version: Version) -> bool:
        """Whether ``version`` satisfies ``constraint`` (pre-releases included).

        Memoised per (clause, version): a large matrix asks the same question thousands
        of times. The key uses ``id(version)`` because hashing a ``Version`` costs more
        than the lookup saves; ``_versions`` keeps each one alive so no id is reused.
        """
        memo_key = (id(constraint.specifier), id(version))
        allowed = self._allows_memo.get(memo_key)
        if allowed is None:
            allowed = constraint.specifier.contains(version, prereleases=True)
            self._allows_memo[memo_key] = allowed
            self._versions.setdefault(id(version), version)
        return allowed


def versions(pins: Iterable[Pin]) -> dict[str, str]:
    """Pin key (``core``, ``extensions@mongodb``) to version string."""
    return {pin.key: str(pin.version) for pin in pins}


def _applicable(rules: Sequence[Rule], version: Version) -> tuple[Rule | None, bool]:
    inherited: Rule | None = None
    series = version.release[:2]
    for rule in rules:
        if rule.version == version:
            return rule, False
        if rule.version < version and rule.version.release[:2] == series:
            inherited = rule
    return inherited, inherited is not None
