"""Reading ``versions.toml`` (and a split ``compatibility.toml``) into a :class:`Matrix`.

Private, like packaging's ``_parser.py`` beside ``requirements.py``: the model in
:mod:`.matrix` is the public face. Every problem of a file is collected with its key
path (``bundles.stable-3.2.extensions[1]``) and raised together, so ``check`` can show
them all at once.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..errors import InvalidMatrixError, MatrixError
from ..model.matrix import (
    METADATA,
    Bundle,
    Component,
    Constraint,
    Endpoint,
    Matrix,
    Notice,
    Pin,
    Rule,
    UpgradePath,
)
from ..model.names import NAME
from ..model.names import shown as shown_name
from ..model.ranges import parse_range, parse_version, render
from .index import load_index, load_publish
from .toml import flatten, read_toml
from .values import kind_of, make_endpoint, make_member, make_pin, parse_date

__all__ = ["load_matrix"]

TOP_LEVEL = ("components", "compatibility", "bundles", "index", "upgrades", "publish")

T = TypeVar("T")


def load_matrix(path: str | os.PathLike[str]) -> Matrix:
    """Load and validate a matrix file; raise :class:`InvalidMatrixError` with every problem.

    A ``compatibility.toml`` beside the file supplies the ``[compatibility.*]`` tables
    when the matrix is split in two.
    """
    path = Path(path).absolute()
    split = path.with_name("compatibility.toml")
    try:
        data = read_toml(path)
        files = [path]
        extra: dict[str, Any] = {}
        if split.is_file() and split != path:
            extra = read_toml(split)
            files.append(split)
        return _Loader(path, split).load(data, extra, tuple(files))
    except RecursionError:
        raise InvalidMatrixError(
            [MatrixError("tables or arrays are nested too deeply to be a matrix", file=path)]
        ) from None


class _Loader:
    """Turns the parsed TOML into the model, collecting every error with its key path."""

    def __init__(self, path: Path, split: Path) -> None:
        self.path = path
        self.split = split
        self.errors: list[MatrixError] = []
        self.notes: list[Notice] = []
        #: bundles that exist but failed to load; naming them elsewhere is no new error
        self.broken: set[str] = set()
        # Bundles repeat the same few pins thousands of times; sharing one frozen Pin per
        # (component, text) saves building them and lets check() memoise per pin.
        self.pins: dict[tuple[str, str], Pin] = {}
        # Rows repeat the same clauses too: one Constraint per clause and one tuple per
        # list of clauses lets check() judge each list once per pin.
        self.constraints: dict[str, Constraint] = {}
        self.requirements: dict[tuple[str, ...], tuple[Constraint, ...]] = {}

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
        index = load_index(self.table(data, "index"), self.path, self.error)
        publish = load_publish(self.table(data, "publish"), self.error)
        if self.errors:
            raise InvalidMatrixError(self.errors)
        return Matrix(
            path=self.path,
            files=files,
            components=components,
            rules=rules,
            bundles=bundles,
            upgrades=upgrades,
            index=index,
            notes=tuple(self.notes),
            publish=publish,
        )

    def table(self, data: Mapping[str, Any], key: str, file: Path | None = None) -> dict[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.error(key, f"expected a table, got {kind_of(value)}", file)
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
            if not NAME.match(name):
                self.error(
                    f"components.{shown_name(name)}",
                    "expected a component name (letters, digits, . _ -; at most 100 "
                    f"characters), got {shown_name(name)}",
                )
                continue
            if not isinstance(value, dict):
                self.error(key, f"expected a table with 'package', got {kind_of(value)}")
                continue
            for unknown in sorted(set(value) - {"package", "extras"}):
                self.error(f"{key}.{unknown}", "unknown key; expected 'package' or 'extras'")
            extras = value.get("extras", [])
            if not isinstance(extras, list) or not all(
                isinstance(extra, str) and NAME.match(extra) for extra in extras
            ):
                self.error(
                    f"{key}.extras",
                    f'expected a list of extra names like ["asyncio"], got {extras!r}',
                )
                continue
            package = value.get("package", name)
            if not isinstance(package, str) or not NAME.match(package.replace("{name}", "x")):
                self.error(
                    f"{key}.package",
                    "expected a distribution name, optionally with '{name}' for a family, "
                    f"got {package!r}",
                )
                continue
            components[name] = Component(name, package, tuple(extras))
        return components

    def compatibility(self, table: dict[str, Any], file: Path) -> dict[str, tuple[Rule, ...]]:
        rules: dict[str, tuple[Rule, ...]] = {}
        for component, rows in table.items():
            key = f"compatibility.{component}"
            if not NAME.match(component):
                self.error(
                    f"compatibility.{shown_name(component)}",
                    "expected a component name (letters, digits, . _ -; at most 100 "
                    f"characters), got {shown_name(component)}",
                    file,
                )
                continue
            if not isinstance(rows, dict):
                self.error(key, f"expected a table of version rows, got {kind_of(rows)}", file)
                continue
            parsed: list[Rule] = []
            for version_text, row, dotted in flatten(rows):
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
                        f'expected a table like {{ core = "^3.2" }}, got {kind_of(row)}',
                        file,
                    )
                    continue
                requires = self.row(row, row_key, file)
                parsed.append(Rule(component, version, requires))
            rules[component] = tuple(sorted(parsed, key=lambda rule: rule.version))
        return rules

    def row(self, row: dict[str, Any], key: str, file: Path) -> tuple[Constraint, ...]:
        ranges: dict[str, tuple[str, SpecifierSet]] = {}
        minimums: dict[str, Version] = {}
        for name, value in row.items():
            entry = f"{key}.{name}"
            if not isinstance(value, str):
                self.error(entry, f"expected a version range string, got {kind_of(value)}", file)
                continue
            if not NAME.match(name.removeprefix("min-")):
                self.error(
                    f"{key}.{shown_name(name)}",
                    "expected a component name, or min-<component> (letters, digits, . _ -; "
                    f"at most 100 characters), got {shown_name(name)}",
                    file,
                )
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
            constraint = self.constraints.get(text)
            if constraint is None:
                constraint = Constraint(name, specifier, text, render(specifier))
                self.constraints[text] = constraint
            requires.append(constraint)
        texts = tuple(constraint.text for constraint in requires)
        return self.requirements.setdefault(texts, tuple(requires))

    def bundles(
        self, table: dict[str, Any], components: Mapping[str, Component]
    ) -> dict[str, Bundle]:
        bundles: dict[str, Bundle] = {}
        for name, value, dotted in flatten(table):
            key = f"bundles.{name}"
            if not NAME.match(name) or name == "all":
                shown = "'all' (it selects every bundle)" if name == "all" else shown_name(name)
                self.error(
                    f"bundles.{shown_name(name)}" if not NAME.match(name) else key,
                    "expected a bundle name (letters, digits, . _ -; at most 100 characters), "
                    f"got {shown}",
                )
                self.broken.add(name)
                continue
            if not isinstance(value, dict):
                self.error(key, f"expected a table, got {kind_of(value)}")
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
            if type(value) is str:
                known = self.pins.get((component_name, value))
                if known is not None:
                    pins.append(known)
                    continue
            entry = f"{key}.{component_name}"
            if component_name in METADATA:
                continue
            component = components.get(component_name) or Component(component_name, component_name)
            if not NAME.match(component_name):
                self.error(entry, f"expected a component name, got {component_name!r}")
            elif isinstance(value, str):
                if component.family:
                    self.error(
                        entry,
                        f'{component_name} is a family; expected a list of "name@version", '
                        f"got {value!r}",
                    )
                else:
                    pin = self.attempt(entry, make_pin, component, value)
                    if pin is not None:
                        self.pins[component_name, value] = pin
                    pins.append(pin)
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
                            make_member,
                            component,
                            member,
                        )
                    )
            else:
                self.error(
                    entry,
                    'expected a version string (or a list of "name@version" for a family), '
                    f"got {kind_of(value)}",
                )
        metadata = self.metadata(table, key)
        if not pins and len(self.errors) == errors:
            self.error(key, "the bundle pins no component")
        if len(self.errors) != errors:
            return None
        # No error was added, so no parse step returned None.
        return Bundle(name=name, pins=tuple(pins), dotted=dotted, **metadata)  # type: ignore[arg-type]

    def metadata(self, table: dict[str, Any], key: str) -> dict[str, Any]:
        metadata: dict[str, Any] = {}
        for name, attribute in (
            ("name", "title"),
            ("description", "description"),
            ("xfail", "xfail"),
        ):
            if name in table:
                if isinstance(table[name], str):
                    metadata[attribute] = table[name]
                else:
                    self.error(f"{key}.{name}", f"expected a string, got {kind_of(table[name])}")
        for name in ("release-date", "lts-until"):
            if name in table:
                metadata[name.replace("-", "_")] = self.attempt(
                    f"{key}.{name}", parse_date, table[name]
                )
        if "version" in table:
            metadata["version"] = self.attempt(f"{key}.version", _release_version, table["version"])
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
                "upgrades", f"expected an array of tables ([[upgrades]]), got {kind_of(value)}"
            )
            return ()
        paths: list[UpgradePath] = []
        for index, entry in enumerate(value):
            key = f"upgrades[{index}]"
            if not isinstance(entry, dict):
                self.error(key, f"expected a table with 'from' and 'to', got {kind_of(entry)}")
                continue
            for unknown in sorted(set(entry) - {"from", "to", "xfail"}):
                self.error(f"{key}.{unknown}", "unknown key; expected 'from', 'to' or 'xfail'")
            ends: list[Endpoint] = []
            for end in ("from", "to"):
                if end not in entry:
                    self.error(key, f"missing '{end}'")
                    continue
                if isinstance(entry[end], str) and entry[end] in self.broken:
                    continue
                parsed = self.attempt(
                    f"{key}.{end}", make_endpoint, entry[end], components, bundles
                )
                if parsed is not None:
                    ends.append(parsed)
            xfail = entry.get("xfail")
            if xfail is not None and not isinstance(xfail, str):
                self.error(f"{key}.xfail", f"expected the reason as a string, got {kind_of(xfail)}")
                continue
            if len(ends) == 2:
                paths.append(UpgradePath(ends[0], ends[1], xfail or None))
        return tuple(paths)


def _release_version(value: Any) -> str:
    from packaging.version import InvalidVersion

    try:
        return str(Version(value)) if isinstance(value, str) else str(Version(""))
    except InvalidVersion:
        raise ValueError(f'expected a version like "2025.10", got {value!r}') from None
