"""User text and TOML values turned into model values: pins, family members, upgrade
endpoints and dates, each raising ``ValueError`` with the bad value shown. Shared by the
loader (key-path errors) and by what front-ends parse against a loaded matrix
(``--combination``, ad-hoc ``--upgrade-path``, ``bundle new`` items), which raise
:class:`~..errors.SelectionError`.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from ..errors import SelectionError
from ..model.matrix import Bundle, Component, Endpoint, Matrix, Pin, UpgradePath
from ..model.names import NAME, normalize, shown
from ..model.ranges import parse_version

__all__ = [
    "kind_of",
    "make_endpoint",
    "make_member",
    "make_pin",
    "parse_combination",
    "parse_date",
    "parse_pin",
    "parse_upgrade_path",
    "requirement_items",
]


def make_pin(component: Component, text: Any) -> Pin:
    if not isinstance(text, str):
        raise ValueError(f"expected a version string, got {kind_of(text)}")
    if component.family:
        return make_member(component, text)
    version = parse_version(text)
    return Pin(component.name, version, component.distribution(), extras=component.extras)


def make_member(component: Component, text: Any) -> Pin:
    if not isinstance(text, str) or text.count("@") != 1:
        shown = repr(text) if isinstance(text, str) else kind_of(text)
        raise ValueError(f'expected "name@version", got {shown}')
    member, _, version_text = text.partition("@")
    if not NAME.match(member):
        raise ValueError(f'expected "name@version" with a package-style name, got {text!r}')
    version = parse_version(version_text)
    family = (
        component if component.family else Component(component.name, f"{component.name}-{{name}}")
    )
    return Pin(
        component.name,
        version,
        normalize(family.distribution(member)),
        member,
        extras=component.extras,
    )


def kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    return repr(value)


def make_endpoint(
    text: Any, components: Mapping[str, Component], bundles: Mapping[str, Bundle]
) -> Endpoint:
    if not isinstance(text, str):
        raise ValueError(f'expected a bundle name or "component@version", got {kind_of(text)}')
    if text in bundles:
        return Endpoint(text, bundles[text].pins, bundle=text)
    if "@" not in text:
        known = ", ".join(bundles) or "(none)"
        raise ValueError(f"unknown bundle {text!r}; known: {known}")
    pins = []
    for item in text.split(","):
        name, _, version = item.strip().partition("@")
        if not NAME.match(name):
            raise ValueError(
                f'expected "component@version" with a component name (letters, digits, '
                f". _ -; at most 100 characters), got {shown(item.strip())}"
            )
        component = components.get(name) or Component(name, name)
        if component.family:
            pins.append(make_member(component, version))
        else:
            pins.append(make_pin(component, version))
    return Endpoint(text, tuple(pins))


def parse_date(value: Any) -> datetime.date:
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


# -- user text against a loaded matrix (command lines, ini values) -------------------------


def parse_pin(matrix: Matrix, component: str, version: str) -> Pin:
    """A pin from user text (``core``, ``3.2.1`` or ``extensions``, ``a@1.0``); raise
    ``ValueError`` on a bad name or version."""
    if not NAME.match(component):
        raise ValueError(f"expected a component name, got {component!r}")
    declared = matrix.components.get(component)
    if "@" in version and (declared is None or declared.family):
        # Undeclared components become families the way a bundle's list does.
        return make_member(matrix.component(component), version)
    return make_pin(matrix.component(component), version)


def parse_combination(matrix: Matrix, spec: str) -> tuple[Pin, ...]:
    """``core=3.1.5,platform=2.4.8,extensions=mongodb@1.2.0`` as pins."""
    pins: list[Pin] = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, version = item.partition("=")
        if not sep or not name.strip() or not version.strip():
            raise SelectionError(
                f"invalid combination {spec!r}: expected COMPONENT=VERSION, got {item!r}"
            )
        try:
            pins.append(parse_pin(matrix, name.strip(), version.strip()))
        except ValueError as error:
            raise SelectionError(f"invalid combination {spec!r}: {error}") from None
    if not pins:
        raise SelectionError(f"invalid combination {spec!r}: it names no component")
    return tuple(pins)


def parse_upgrade_path(matrix: Matrix, text: str) -> UpgradePath:
    """An ad-hoc ``FROM:TO`` between bundles or ``component@version`` ends."""
    source, _, target = text.partition(":")
    try:
        ends = [
            make_endpoint(end.strip(), matrix.components, matrix.bundles)
            for end in (source, target)
        ]
    except ValueError as error:
        known = ", ".join(path.id for path in matrix.upgrades) or "(none)"
        raise SelectionError(
            f"invalid upgrade path {text!r}: {error}; declared paths: {known}"
        ) from None
    return UpgradePath(ends[0], ends[1], adhoc=True)


def requirement_items(values: Any, key: str) -> tuple[str, ...]:
    """Requirements written as pytest's ini lists are: one per line (``linelist``), several
    on a line separated by whitespace (``args``), or a TOML array. A line that is one
    requirement stays whole (``foo >= 1.0``, ``bar; python_version < "3.12"``); else its
    whitespace-separated parts must each be one. ``key`` names the setting in errors."""
    lines = [values] if isinstance(values, str) else list(values or ())
    if not lines:  # the usual case: packaging's parser is not imported for nothing
        return ()
    import shlex

    from packaging.requirements import InvalidRequirement, Requirement

    def valid(text: str) -> bool:
        try:
            Requirement(text)
        except InvalidRequirement:
            return False
        return True

    found: list[str] = []
    for raw in lines:
        line = str(raw).strip()
        if not line or line.startswith("#"):
            continue
        if valid(line):
            found.append(line)
            continue
        try:
            parts = shlex.split(line, comments=True)
        except ValueError:
            parts = []
        bad = [part for part in parts if not valid(part)]
        if not parts or bad:
            raise SelectionError(
                f"{key}: {(bad or [line])[0]!r} is not a requirement (PEP 508); write one "
                "per line, or several separated by spaces"
            )
        found.extend(parts)
    return tuple(found)
