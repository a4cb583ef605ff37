"""The compatibility matrix: which component versions work together, the bundles and the
upgrade paths, loaded from ``versions.toml`` (optionally split with ``compatibility.toml``).

Loading turns every string into a ``Version`` or ``SpecifierSet`` at once and collects
every problem of the file with its key path, so ``check`` can report them all. After
loading, the model does no I/O.
"""

from __future__ import annotations

import datetime
import fnmatch
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from ._compat import tomllib
from .errors import MatrixError, MatrixErrors, MatrixNotFound, SelectionError
from .ranges import parse_range, parse_version, render

__all__ = [
    "Bundle",
    "Component",
    "Endpoint",
    "Index",
    "Matrix",
    "Notice",
    "Pin",
    "Requirement",
    "Rule",
    "UpgradePath",
    "find_matrix",
    "load_matrix",
]

TOP_LEVEL = ("components", "compatibility", "bundles", "index", "upgrades")
METADATA = ("name", "description", "release-date", "lts-until", "python")
DEFAULT_LOCATIONS = ("versions.toml", "version-management/versions.toml")
MATRIX_ENV = "PYTEST_WORKSPACE_MATRIX"
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")

Level = Literal["error", "warning", "info"]
T = TypeVar("T")


@dataclass(frozen=True)
class Component:
    """A separately released package; a *family* (``{name}`` in ``package``) has members."""

    name: str
    package: str

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
        """The pip/uv requirement that installs exactly this pin."""
        return f"{self.distribution}=={self.version}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Requirement:
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
    requires: tuple[Requirement, ...]

    @functools.cached_property
    def key(self) -> str:
        return f'compatibility.{self.component}."{self.version}"'


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

    @property
    def key(self) -> str:
        return f"bundles.{self.name}"

    def versions(self) -> dict[str, str]:
        """Pin key (``core``, ``extensions@mongodb``) to version string."""
        return {pin.key: str(pin.version) for pin in self.pins}


@dataclass(frozen=True)
class Endpoint:
    """One end of an upgrade path: a bundle, or ``component@version`` pins."""

    label: str
    pins: tuple[Pin, ...]
    bundle: str | None = None


@dataclass(frozen=True)
class UpgradePath:
    source: Endpoint
    target: Endpoint
    #: why this path is expected to fail (``xfail = "..."`` in the matrix), else None
    xfail: str | None = None

    @property
    def id(self) -> str:
        return f"{self.source.label}:{self.target.label}"


@dataclass(frozen=True)
class Index:
    """Where the components' packages come from (the matrix's ``[index]`` table)."""

    url: str | None = None
    #: absolute directories or URLs; relative entries are resolved against the matrix file
    find_links: tuple[str, ...] = ()


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
    # Memos for check(): a large matrix asks the same questions thousands of times.
    _rule_memo: dict[tuple[str, Version], tuple[Rule | None, bool]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _allows_memo: dict[tuple[int, Version], bool] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

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

    def select_bundles(self, patterns: Iterable[str]) -> tuple[Bundle, ...]:
        """Bundles matching names or globs (``all`` is every bundle), in file order."""
        wanted: list[str] = []
        for pattern in patterns:
            if pattern == "all":
                matched = list(self.bundles)
            elif any(char in pattern for char in "*?["):
                matched = fnmatch.filter(self.bundles, pattern)
                if not matched:
                    raise SelectionError(
                        f"no bundle matches {pattern!r}; known: {', '.join(self.bundles)}"
                    )
            else:
                matched = [self.bundle(pattern).name]
            wanted.extend(name for name in matched if name not in wanted)
        return tuple(bundle for name, bundle in self.bundles.items() if name in wanted)

    def select_upgrades(self, patterns: Iterable[str]) -> tuple[UpgradePath, ...]:
        """Upgrade paths by id (``lts-3.1:stable-3.2``), glob or ``all``."""
        known = {path.id: path for path in self.upgrades}
        wanted: list[str] = []
        for pattern in patterns:
            matched = list(known) if pattern == "all" else fnmatch.filter(known, pattern)
            if not matched:
                raise SelectionError(
                    f"unknown upgrade path {pattern!r}; known: {', '.join(known) or '(none)'}"
                )
            wanted.extend(name for name in matched if name not in wanted)
        return tuple(known[name] for name in known if name in wanted)

    def pin(self, component: str, version: str) -> Pin:
        """Build a pin from user text (``core``, ``3.2.1`` or ``extensions``, ``a@1.0``);
        raise ``ValueError`` on a bad name or version."""
        if not _NAME.match(component):
            raise ValueError(f"expected a component name, got {component!r}")
        declared = self.components.get(component)
        if "@" in version and (declared is None or declared.family):
            # Undeclared components become families the way a bundle's list does.
            return _member(self.component(component), version)
        return _pin(self.component(component), version)

    def combination(self, spec: str) -> tuple[Pin, ...]:
        """Parse ``core=3.1.5,platform=2.4.8,extensions=mongodb@1.2.0``."""
        pins: list[Pin] = []
        for item in filter(None, (part.strip() for part in spec.split(","))):
            name, sep, version = item.partition("=")
            if not sep or not name.strip() or not version.strip():
                raise SelectionError(
                    f"invalid combination {spec!r}: expected COMPONENT=VERSION, got {item!r}"
                )
            try:
                pins.append(self.pin(name.strip(), version.strip()))
            except ValueError as error:
                raise SelectionError(f"invalid combination {spec!r}: {error}") from None
        if not pins:
            raise SelectionError(f"invalid combination {spec!r}: it names no component")
        return tuple(pins)

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

    def allows(self, requirement: Requirement, version: Version) -> bool:
        """Whether ``version`` satisfies ``requirement`` (pre-releases included)."""
        memo_key = (id(requirement.specifier), version)
        allowed = self._allows_memo.get(memo_key)
        if allowed is None:
            allowed = requirement.specifier.contains(version, prereleases=True)
            self._allows_memo[memo_key] = allowed
        return allowed

    def check_pins(self, pins: Sequence[Pin], key: str) -> list[Notice]:
        """Validate a combination in both directions: every row that applies to one of
        its pins must be satisfied by every other pin it names (family members each)."""
        by_component: dict[str, list[Pin]] = {}
        for pin in pins:
            by_component.setdefault(pin.component, []).append(pin)
        notices: list[Notice] = []
        for pin in pins:
            rule, inherited = self.rule_for(pin.component, pin.version)
            if rule is None:
                rows = self.rules.get(pin.component)
                if rows:
                    listed = ", ".join(str(row.version) for row in rows)
                    notices.append(
                        Notice(
                            "warning",
                            key,
                            f"{pin} has no compatibility row "
                            f"(compatibility.{pin.component} lists {listed})",
                        )
                    )
                continue
            if inherited:
                series = ".".join(str(part) for part in pin.version.release[:2])
                notices.append(
                    Notice(
                        "info",
                        key,
                        f"{pin} uses the row of {rule.version} ({rule.key}), "
                        f"inherited within the {series} series",
                    )
                )
            for requirement in rule.requires:
                for other in by_component.get(requirement.component, ()):
                    if not self.allows(requirement, other.version):
                        notices.append(
                            Notice(
                                "error",
                                key,
                                f"{other} does not satisfy {rule.key}: "
                                f"{requirement.text} (needs {requirement.expanded}) "
                                f"required by {pin}",
                            )
                        )
        return notices

    def check(self, today: datetime.date | None = None) -> list[Notice]:
        """Every finding about this matrix: load notes, bundles, dates, upgrade paths."""
        today = today or datetime.date.today()
        notices = list(self.notes)
        invalid: set[str] = set()
        for bundle in self.bundles.values():
            found = self.check_pins(bundle.pins, bundle.key)
            if any(notice.level == "error" for notice in found):
                invalid.add(bundle.name)
            notices.extend(found)
            if bundle.lts_until is not None and bundle.lts_until < today:
                notices.append(
                    Notice(
                        "warning",
                        bundle.key,
                        f"out of support since {bundle.lts_until.isoformat()} (lts-until)",
                    )
                )
        for index, path in enumerate(self.upgrades):
            notices.extend(self._check_upgrade(path, f"upgrades[{index}]", invalid))
        return notices

    def _check_upgrade(self, path: UpgradePath, key: str, invalid: set[str]) -> list[Notice]:
        notices: list[Notice] = []
        for end, name in ((path.source, "from"), (path.target, "to")):
            if end.bundle is not None:
                if end.bundle in invalid:
                    notices.append(
                        Notice("error", key, f"{name} bundle {end.bundle!r} is not valid")
                    )
            else:
                found = self.check_pins(end.pins, f"{key}.{name}")
                notices.extend(notice for notice in found if notice.level == "error")
        source = {pin.key: pin for pin in path.source.pins}
        for pin in path.target.pins:
            old = source.get(pin.key)
            if old is not None and pin.version < old.version:
                notices.append(
                    Notice(
                        "error",
                        key,
                        f"{path.id} is a downgrade: {pin.key} goes from {old.version} "
                        f"to {pin.version}",
                    )
                )
        return notices


# -- discovery and loading ------------------------------------------------------------


def find_matrix(
    explicit: str | os.PathLike[str] | None = None,
    *,
    rootdir: Path | None = None,
    environ: Mapping[str, str] | None = None,
    also: Sequence[Path] = (),
    hint: str = "--matrix PATH",
) -> Path:
    """The matrix file to use: an explicit path, ``$PYTEST_WORKSPACE_MATRIX``, or the
    first of ``versions.toml`` and ``version-management/versions.toml`` under rootdir
    (then under each directory of ``also``)."""
    environ = os.environ if environ is None else environ
    rootdir = rootdir or Path.cwd()
    given = explicit or environ.get(MATRIX_ENV)
    if given:
        path = (rootdir / Path(given)).absolute()
        if not path.is_file():
            origin = "" if explicit else f" (from ${MATRIX_ENV})"
            raise MatrixNotFound(f"matrix file not found: {path}{origin}")
        return path
    roots = [rootdir, *(root for root in also if root != rootdir)]
    candidates = [root / location for root in roots for location in DEFAULT_LOCATIONS]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.absolute()
    looked = ", ".join(str(candidate) for candidate in candidates)
    raise MatrixNotFound(
        f"no matrix file found; looked for {looked} (pass {hint} or set {MATRIX_ENV})"
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MatrixNotFound(f"matrix file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise MatrixErrors([MatrixError(f"cannot read: {error}", file=path)]) from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        line = column = None
        position = _TOML_POSITION.search(message)
        if position:
            line, column = int(position.group(1)), int(position.group(2))
            message = message[: position.start()]
        raise MatrixErrors(
            [MatrixError(f"invalid TOML: {message}", file=path, line=line, column=column)]
        ) from None


def load_matrix(path: str | os.PathLike[str]) -> Matrix:
    """Load and validate a matrix file; raise :class:`MatrixErrors` with every problem.

    A ``compatibility.toml`` beside the file supplies the ``[compatibility.*]`` tables
    when the matrix is split in two.
    """
    path = Path(path).absolute()
    data = _read_toml(path)
    files = [path]
    split = path.with_name("compatibility.toml")
    extra: dict[str, Any] = {}
    if split.is_file() and split != path:
        extra = _read_toml(split)
        files.append(split)
    return _Loader(path, split).load(data, extra, tuple(files))


class _Loader:
    """Turns the parsed TOML into the model, collecting every error with its key path."""

    def __init__(self, path: Path, split: Path) -> None:
        self.path = path
        self.split = split
        self.errors: list[MatrixError] = []
        self.notes: list[Notice] = []
        #: bundles that exist but failed to load; naming them elsewhere is no new error
        self.broken: set[str] = set()

    def error(self, key: str, message: str, file: Path | None = None) -> None:
        self.errors.append(MatrixError(message, file=file or self.path, key=key))

    def load(self, data: dict[str, Any], extra: dict[str, Any], files: tuple[Path, ...]) -> Matrix:
        for name in data:
            if name not in TOP_LEVEL:
                self.error(name, f"unknown top-level table; expected one of {', '.join(TOP_LEVEL)}")
        for name in extra:
            if name != "compatibility":
                self.error(
                    name,
                    "unknown top-level table; compatibility.toml holds only [compatibility.*]",
                    self.split,
                )
        if "compatibility" in data and "compatibility" in extra:
            self.error(
                "compatibility",
                f"defined both here and in {self.split}; keep it in one file",
            )
        components = self.components(self.table(data, "components"))
        if "compatibility" in extra:
            rules = self.compatibility(self.table(extra, "compatibility", self.split), self.split)
        else:
            rules = self.compatibility(self.table(data, "compatibility"), self.path)
        bundles = self.bundles(self.table(data, "bundles"), components)
        upgrades = self.upgrades(data.get("upgrades", []), components, bundles)
        index = self.index(self.table(data, "index"))
        if self.errors:
            raise MatrixErrors(self.errors)
        return Matrix(
            path=self.path,
            files=files,
            components=components,
            rules=rules,
            bundles=bundles,
            upgrades=upgrades,
            index=index,
            notes=tuple(self.notes),
        )

    def table(self, data: Mapping[str, Any], key: str, file: Path | None = None) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.error(key, f"expected a table, got {_kind(value)}", file)
            return {}
        return value

    def attempt(
        self, key: str, parse: Callable[..., T], *args: Any, file: Path | None = None
    ) -> T | None:
        """Run one parse step; a ``ValueError`` becomes an error at ``key``."""
        try:
            return parse(*args)
        except ValueError as error:
            self.error(key, str(error), file)
        except MatrixError as error:
            self.errors.append(error.located(file=file or self.path, key=key))
        return None

    # -- sections ----------------------------------------------------------------------

    def components(self, table: dict[str, Any]) -> dict[str, Component]:
        components: dict[str, Component] = {}
        for name, value in table.items():
            key = f"components.{name}"
            if not _NAME.match(name):
                self.error(key, f"expected a component name (letters, digits, . _ -), got {name!r}")
                continue
            if not isinstance(value, dict):
                self.error(key, f"expected a table with 'package', got {_kind(value)}")
                continue
            for unknown in sorted(set(value) - {"package"}):
                self.error(f"{key}.{unknown}", "unknown key; expected 'package'")
            package = value.get("package", name)
            if not isinstance(package, str) or not _NAME.match(package.replace("{name}", "x")):
                self.error(
                    f"{key}.package",
                    "expected a distribution name, optionally with '{name}' for a family, "
                    f"got {package!r}",
                )
                continue
            components[name] = Component(name, package)
        return components

    def compatibility(self, table: dict[str, Any], file: Path) -> dict[str, tuple[Rule, ...]]:
        rules: dict[str, tuple[Rule, ...]] = {}
        for component, rows in table.items():
            key = f"compatibility.{component}"
            if not isinstance(rows, dict):
                self.error(key, f"expected a table of version rows, got {_kind(rows)}", file)
                continue
            parsed: list[Rule] = []
            for version_text, row, dotted in _flatten(rows):
                row_key = f'{key}."{version_text}"'
                if dotted:
                    self.notes.append(
                        Notice(
                            "info",
                            row_key,
                            f"unquoted dotted key; TOML reads {version_text} as nested keys, "
                            f'write "{version_text}" = {{ ... }}',
                        )
                    )
                version = self.attempt(row_key, parse_version, version_text, file=file)
                if version is None:
                    continue
                if not isinstance(row, dict):
                    self.error(
                        row_key,
                        f'expected a table like {{ core = "^3.2" }}, got {_kind(row)}',
                        file,
                    )
                    continue
                requires = self.row(row, row_key, file)
                parsed.append(Rule(component, version, requires))
            rules[component] = tuple(sorted(parsed, key=lambda rule: rule.version))
        return rules

    def row(self, row: dict[str, Any], key: str, file: Path) -> tuple[Requirement, ...]:
        ranges: dict[str, tuple[str, SpecifierSet]] = {}
        minimums: dict[str, Version] = {}
        for name, value in row.items():
            entry = f"{key}.{name}"
            if not isinstance(value, str):
                self.error(entry, f"expected a version range string, got {_kind(value)}", file)
                continue
            if name.startswith("min-"):
                minimum = self.attempt(entry, parse_version, value, file=file)
                if minimum is not None:
                    minimums[name[4:]] = minimum
                continue
            specifier = self.attempt(entry, parse_range, value, file=file)
            if specifier is not None:
                ranges[name] = (f'{name} = "{value}"', specifier)
        requires = []
        for name in [*ranges, *(name for name in minimums if name not in ranges)]:
            text, specifier = ranges.get(name, (f'{name} = "*"', SpecifierSet()))
            if name in minimums:
                text += f', min-{name} = "{minimums[name]}"'
                specifier &= SpecifierSet(f">={minimums[name]}")
            requires.append(Requirement(name, specifier, text, render(specifier)))
        return tuple(requires)

    def bundles(
        self, table: dict[str, Any], components: Mapping[str, Component]
    ) -> dict[str, Bundle]:
        bundles: dict[str, Bundle] = {}
        for name, value, dotted in _flatten(table):
            key = f"bundles.{name}"
            if not isinstance(value, dict):
                self.error(key, f"expected a table, got {_kind(value)}")
                continue
            if dotted:
                self.notes.append(
                    Notice(
                        "info",
                        key,
                        f"unquoted dotted name; TOML reads [bundles.{name}] as nested tables, "
                        f'write [bundles."{name}"]',
                    )
                )
            bundle = self.bundle(name, value, key, dotted, components)
            if bundle is None:
                self.broken.add(name)
            else:
                bundles[name] = bundle
        return bundles

    def bundle(
        self,
        name: str,
        table: dict[str, Any],
        key: str,
        dotted: bool,
        components: Mapping[str, Component],
    ) -> Bundle | None:
        pins: list[Pin | None] = []
        errors = len(self.errors)
        for component_name, value in table.items():
            entry = f"{key}.{component_name}"
            if component_name in METADATA:
                continue
            component = components.get(component_name) or Component(component_name, component_name)
            if not _NAME.match(component_name):
                self.error(entry, f"expected a component name, got {component_name!r}")
            elif isinstance(value, str):
                if component.family:
                    self.error(
                        entry,
                        f'{component_name} is a family; expected a list of "name@version", '
                        f"got {value!r}",
                    )
                else:
                    pins.append(self.attempt(entry, _pin, component, value))
            elif isinstance(value, list):
                if component_name in components and not component.family:
                    self.error(
                        entry,
                        f"expected a version string ({component_name}'s package has no "
                        "'{name}', so it is not a family), got a list",
                    )
                    continue
                for index, member in enumerate(value):
                    pins.append(
                        self.attempt(
                            f"{entry}[{index}]",
                            _member,
                            component,
                            member,
                        )
                    )
            else:
                self.error(
                    entry,
                    'expected a version string (or a list of "name@version" for a family), '
                    f"got {_kind(value)}",
                )
        metadata = self.metadata(table, key)
        if not pins and len(self.errors) == errors:
            self.error(key, "the bundle pins no component")
        if len(self.errors) != errors:
            return None
        return Bundle(name=name, pins=tuple(pin for pin in pins if pin), dotted=dotted, **metadata)

    def metadata(self, table: dict[str, Any], key: str) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        for name, attribute in (("name", "title"), ("description", "description")):
            if name in table:
                if isinstance(table[name], str):
                    metadata[attribute] = table[name]
                else:
                    self.error(f"{key}.{name}", f"expected a string, got {_kind(table[name])}")
        for name in ("release-date", "lts-until"):
            if name in table:
                metadata[name.replace("-", "_")] = self.attempt(f"{key}.{name}", _date, table[name])
        if "python" in table:
            python = table["python"]
            if isinstance(python, str) and re.fullmatch(r"\d+(\.\d+)*", python):
                metadata["python"] = python
            else:
                self.error(
                    f"{key}.python", f'expected a Python version like "3.12", got {python!r}'
                )
        return metadata

    def upgrades(
        self, value: Any, components: Mapping[str, Component], bundles: Mapping[str, Bundle]
    ) -> tuple[UpgradePath, ...]:
        if not isinstance(value, list):
            self.error(
                "upgrades", f"expected an array of tables ([[upgrades]]), got {_kind(value)}"
            )
            return ()
        paths: list[UpgradePath] = []
        for index, entry in enumerate(value):
            key = f"upgrades[{index}]"
            if not isinstance(entry, dict):
                self.error(key, f"expected a table with 'from' and 'to', got {_kind(entry)}")
                continue
            for unknown in sorted(set(entry) - {"from", "to", "xfail"}):
                self.error(f"{key}.{unknown}", "unknown key; expected 'from', 'to' or 'xfail'")
            ends: list[Endpoint] = []
            for end in ("from", "to"):
                if end not in entry:
                    self.error(key, f"missing '{end}'")
                    continue
                if entry[end] in self.broken:
                    continue
                parsed = self.attempt(f"{key}.{end}", _endpoint, entry[end], components, bundles)
                if parsed is not None:
                    ends.append(parsed)
            xfail = entry.get("xfail")
            if xfail is not None and not isinstance(xfail, str):
                self.error(f"{key}.xfail", f"expected the reason as a string, got {_kind(xfail)}")
                continue
            if len(ends) == 2:
                paths.append(UpgradePath(ends[0], ends[1], xfail or None))
        return tuple(paths)

    def index(self, table: dict[str, Any]) -> Index:
        for unknown in sorted(set(table) - {"url", "find-links"}):
            self.error(f"index.{unknown}", "unknown key; expected 'url' or 'find-links'")
        url = table.get("url")
        if url is not None and not isinstance(url, str):
            self.error("index.url", f"expected a URL string, got {_kind(url)}")
            url = None
        links = table.get("find-links", [])
        if isinstance(links, str):
            links = [links]
        if not isinstance(links, list) or not all(isinstance(link, str) for link in links):
            self.error("index.find-links", f"expected a list of paths or URLs, got {links!r}")
            links = []
        resolved = tuple(
            link if "://" in link else str((self.path.parent / link).resolve()) for link in links
        )
        return Index(url=url, find_links=resolved)


# -- small parsers ---------------------------------------------------------------------


def _applicable(rules: Sequence[Rule], version: Version) -> tuple[Rule | None, bool]:
    inherited: Rule | None = None
    series = version.release[:2]
    for rule in rules:
        if rule.version == version:
            return rule, False
        if rule.version < version and rule.version.release[:2] == series:
            inherited = rule
    return inherited, inherited is not None


def _flatten(table: dict[str, Any]) -> Iterator[tuple[str, Any, bool]]:
    """Yield ``(name, value, dotted)``; a table holding only sub-tables is a name prefix.

    TOML reads the unquoted header ``[bundles.stable-3.2]`` as ``bundles."stable-3"."2"``;
    joining the path back with ``.`` restores the name the user meant.
    """
    for name, value in table.items():
        yield from _walk([name], value)


def _walk(parts: list[str], value: Any) -> Iterator[tuple[str, Any, bool]]:
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        for name, sub in value.items():
            yield from _walk([*parts, name], sub)
    else:
        yield ".".join(parts), value, len(parts) > 1


def _pin(component: Component, text: Any) -> Pin:
    if not isinstance(text, str):
        raise ValueError(f"expected a version string, got {_kind(text)}")
    if component.family:
        return _member(component, text)
    version = parse_version(text)
    return Pin(component.name, version, component.distribution())


def _member(component: Component, text: Any) -> Pin:
    if not isinstance(text, str) or text.count("@") != 1:
        shown = repr(text) if isinstance(text, str) else _kind(text)
        raise ValueError(f'expected "name@version", got {shown}')
    member, _, version_text = text.partition("@")
    if not _NAME.match(member):
        raise ValueError(f'expected "name@version" with a package-style name, got {text!r}')
    version = parse_version(version_text)
    family = (
        component if component.family else Component(component.name, f"{component.name}-{{name}}")
    )
    return Pin(component.name, version, canonicalize_name(family.distribution(member)), member)


def _endpoint(
    text: Any, components: Mapping[str, Component], bundles: Mapping[str, Bundle]
) -> Endpoint:
    if not isinstance(text, str):
        raise ValueError(f'expected a bundle name or "component@version", got {_kind(text)}')
    if text in bundles:
        return Endpoint(text, bundles[text].pins, bundle=text)
    if "@" not in text:
        known = ", ".join(bundles) or "(none)"
        raise ValueError(f"unknown bundle {text!r}; known: {known}")
    pins = []
    for item in text.split(","):
        name, _, version = item.strip().partition("@")
        component = components.get(name) or Component(name, name)
        if component.family:
            pins.append(_member(component, version))
        else:
            pins.append(_pin(component, version))
    return Endpoint(text, tuple(pins))


def _date(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    return repr(value)
