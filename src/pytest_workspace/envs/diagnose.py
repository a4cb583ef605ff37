"""Failure diagnosis: an installer's output turned into one line about the pins involved.

The parsers read what uv and pip print when a resolution fails; :func:`explain` matches
that against the pins, so a user reads "pwt-platform 1.1.0 requires pwt-core>=1.1,<2,
but the bundle pins pwt-core 1.0.0" instead of forty lines of resolver output. Output in
a format we do not know falls back to the installer's last lines.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from ..errors import InstallError
from ..model.matrix import Pin
from ..model.names import normalize
from ..model.ranges import render
from .installers import InstallFailed
from .spec import IndexOptions

__all__ = ["Conflict", "conflicts", "explain", "missing"]


@dataclass(frozen=True)
class Conflict:
    """``dist version`` requires ``requirement`` (as read from the installer's report)."""

    distribution: str
    version: str
    requirement: str
    specifier: str


# "pkg==1.0 depends on dep>=1.1,<2" (uv) and "pkg 1.0 depends on dep<2 and >=1.1" (pip).
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_CLAUSE = r"(?:[<>=!~]=?=?[0-9][^\s,]*)"
_DEPENDS = re.compile(
    rf"(?P<dist>{_NAME})(?:==| )(?P<version>[0-9][^\s,]*) depends on "
    rf"(?P<req>{_NAME})(?P<spec>{_CLAUSE}(?:(?:,| and ){_CLAUSE})*)"
)


def _normalise(spec: str) -> str:
    clauses = spec.replace(" and ", ",").rstrip(".")
    try:
        return render(SpecifierSet(clauses))
    except InvalidSpecifier:
        return clauses


def conflicts(output: str) -> list[Conflict]:
    """The dependency edges a failed resolution reports, in order, without repeats."""
    found: list[Conflict] = []
    for match in _DEPENDS.finditer(output):
        conflict = Conflict(
            match["dist"], match["version"].rstrip("."), match["req"], _normalise(match["spec"])
        )
        if conflict not in found:
            found.append(conflict)
    return found


def missing(output: str, distribution: str) -> bool:
    """Whether the installer says no index or find-links has ``distribution`` (at the
    requested version)."""
    name = "[-_.]+".join(re.escape(part) for part in re.split(r"[-_.]+", distribution))
    patterns = (
        rf"no versions? of {name}\b",
        rf"No matching distribution found for {name}\b",
        rf"\b{name} was not found in the",
        rf"Could not find a version that satisfies the requirement {name}\b",
    )
    return any(re.search(pattern, output, re.IGNORECASE) for pattern in patterns)


_UNREACHABLE = (
    # pip: "... after connection broken by 'NewConnectionError(...: Failed to establish a
    # new connection: [Errno 111] Connection refused')'"
    re.compile(r"Failed to establish a new connection: (?:\[Errno -?\d+\] )?([^'\")]+)"),
    re.compile(r"(?:ConnectTimeoutError|ReadTimeoutError)\(.*?, '([^']+)'"),
    # uv: "Failed to fetch: URL", then "Caused by: ... tcp connect error ... (os error 111)"
    re.compile(
        r"(?m)^\s*(?:Caused by|cause):\s*((?:Connection refused|dns error|"
        r"failed to lookup address|operation timed out|tcp connect error)[^\n]*)"
    ),
)


_FULL = re.compile(r"No space left on device|os error 28\b|Errno 28\b")


def disk_full(output: str) -> bool:
    """Whether an installer failed because the disk is full."""
    return bool(_FULL.search(output))


def unreachable(output: str) -> str | None:
    """Why the installer could not reach the index, if that is what its output says."""
    for pattern in _UNREACHABLE:
        found = pattern.findall(output)
        if found:
            return str(found[-1]).strip().rstrip(".")
    return None


def explain(
    failure: InstallFailed, pins: Sequence[Pin], label: str, kind: str, index: IndexOptions
) -> InstallError:
    """Turn an installer failure into one message about the pins involved."""
    by_name = {normalize(pin.distribution): pin for pin in pins}
    for conflict in conflicts(failure.output):
        pinned = by_name.get(normalize(conflict.requirement))
        if pinned is None:
            continue
        try:
            allowed = SpecifierSet(conflict.specifier).contains(pinned.version, prereleases=True)
        except InvalidSpecifier:
            allowed = False
        if not allowed:
            return InstallError(
                f"cannot install {kind} {label}: {conflict.distribution} {conflict.version} "
                f"requires {conflict.requirement}{conflict.specifier}, but the {kind} pins "
                f"{pinned.distribution} {pinned.version}"
            )
    if disk_full(failure.output):
        return InstallError(f"cannot install {kind} {label}: no space left on device")
    reason = unreachable(failure.output)
    if reason is not None:
        return InstallError(
            f"cannot install {kind} {label}: the package index is unreachable "
            f"({index.describe()}): {reason}"
        )
    for pin in pins:
        if missing(failure.output, pin.distribution):
            available = find_links_versions(index.find_links, pin.distribution)
            listed = f" (found there: {', '.join(available)})" if available else ""
            return InstallError(
                f"cannot install {kind} {label}: {pin.distribution} {pin.version} "
                f"({pin.key}) is not available from {index.describe()}{listed}"
            )
    tail = "\n".join(failure.output.strip().splitlines()[-15:])
    return InstallError(f"cannot install {kind} {label}: {failure}\n{tail}")


def find_links_versions(links: Iterable[str], distribution: str) -> list[str]:
    """Versions of ``distribution`` in local find-links directories, for error messages."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    wanted = normalize(distribution)
    versions: set[Version] = set()
    for link in links:
        directory = Path(link)
        if "://" in link or not directory.is_dir():
            continue
        for file in directory.iterdir():
            try:
                if file.name.endswith(".whl"):
                    name, version, _, _ = parse_wheel_filename(file.name)
                else:
                    name, version = parse_sdist_filename(file.name)
            except (InvalidWheelFilename, InvalidSdistFilename):
                continue
            if name == wanted:
                versions.add(version)
    return [str(version) for version in sorted(versions)]
