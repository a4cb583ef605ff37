"""What an env holds, read from its metadata (no interpreter start): distributions and
their versions, where each was installed from (PEP 610 ``direct_url.json``: a release, a
local directory, editable or not), and how that differs from what was asked for.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import InstallError
from ..model.matrix import Pin
from ..model.names import normalize
from .paths import site_packages

if TYPE_CHECKING:
    import importlib.metadata

    from .checkouts import Source

__all__ = [
    "Distributions",
    "Kind",
    "Mismatch",
    "checkout_problems",
    "installed_from",
    "mismatches",
    "origin_of",
    "package_version",
    "read_installed",
    "scan",
    "verify",
]

#: what a pin set is to an env: a bundle, an ad-hoc combination, one end of a path
Kind = Literal["bundle", "combination", "source", "target"]


class Distributions(dict[str, str]):
    """Distribution name to version; looked up the way people write names
    (``installed()["SQLAlchemy"]`` and ``["sqlalchemy"]`` alike, PEP 503)."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(normalize(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(normalize(name))

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(normalize(name), default)


def _running_env_first() -> list[str]:
    """The running interpreter's sys.path with its own site directories first.

    What an env holds is what its site-packages hold. A flat-layout checkout built by
    setuptools keeps ``<project>.egg-info`` in its root, and pytest puts that root first
    on sys.path when ``tests/`` is a package: read in sys.path order, that metadata (no
    ``direct_url.json``, perhaps an old version) would hide the env's own dist-info."""
    import site
    import sys
    import sysconfig

    own = [sysconfig.get_paths()[key] for key in ("purelib", "platlib")]
    own += site.getsitepackages() if hasattr(site, "getsitepackages") else []
    if site.ENABLE_USER_SITE:
        own.append(site.getusersitepackages())
    first = list(dict.fromkeys(os.path.normpath(entry) for entry in own))
    rest = [entry for entry in sys.path if os.path.normpath(entry or ".") not in first]
    return first + rest


def read_installed(path: Path | None = None) -> Distributions:
    """Distribution (normalised name) to version, read from an env's metadata files
    in-process (no interpreter start-up), or from the running interpreter's (its own
    site directories first, see :func:`_running_env_first`)."""
    entries = [str(p) for p in site_packages(path)] if path is not None else _running_env_first()
    found = scan(entries)
    if found is None:  # a zip or an egg file on the path: importlib.metadata reads those
        import importlib.metadata

        found = {}
        for distribution in importlib.metadata.distributions(path=entries):
            name = distribution.metadata["Name"]
            if name:
                found.setdefault(normalize(name), distribution.version)
    return Distributions(sorted(found.items()))


def scan(entries: Sequence[str]) -> dict[str, str] | None:
    """What :func:`importlib.metadata.distributions` finds in ``entries``, read directly:
    in each directory, in path order, its ``*.dist-info`` then its ``*.egg-info``, each
    one's ``Name`` and ``Version`` headers; the first of a name wins. Without the email
    parser and the machinery that importlib.metadata imports (~30 ms, more than reading
    a whole env's metadata). None if an entry is a file (a zip), which it leaves to it."""
    found: dict[str, str] = {}
    for entry in entries:
        if entry.lower().endswith(".egg"):
            return None  # an egg's metadata is in its EGG-INFO: importlib.metadata's job
        try:
            infos = _infos(entry)
        except NotADirectoryError:
            return None
        except OSError:
            continue  # a path entry that does not exist: nothing installed there
        for child in infos:
            headers = _headers(child)
            name, version = headers.get("name"), headers.get("version")
            if name and version is not None:
                found.setdefault(normalize(name), version)
    return found


def package_version(module: str, distribution: str) -> str:
    """The version of ``distribution``, which provides the importable package ``module``: read
    from the metadata beside it, as :func:`scan` reads it (importlib.metadata, imported
    for this alone, would cost more than the rest of a cache hit)."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is not None and spec.origin is not None:
        beside = os.path.dirname(os.path.dirname(spec.origin))
        version = _version_beside(beside, normalize(distribution))
        if version is not None:
            return version
    import importlib.metadata

    return importlib.metadata.version(distribution)


def _version_beside(directory: str, name: str) -> str | None:
    """:func:`scan`'s version of ``name`` in ``directory``, reading only the metadata
    directories named for it (``uv-0.9.0.dist-info``: a cache hit asked for uv's
    version read every package's headers); the whole directory when none is."""
    try:
        infos = _infos(directory)
    except OSError:
        return None
    for child in infos:
        if normalize(child.name.rsplit(".", 1)[0].split("-")[0]) != name:
            continue
        headers = _headers(child)
        if normalize(headers.get("name") or "") == name and headers.get("version") is not None:
            return headers["version"]
    return (scan([directory]) or {}).get(name)


def _infos(directory: str) -> list[os.DirEntry[str]]:
    """The metadata directories (and egg-info files) in ``directory``, each dist-info
    before any egg-info, as importlib.metadata orders them."""
    found = [
        child
        for child in os.scandir(directory or ".")
        if child.name.lower().endswith((".dist-info", ".egg-info"))
    ]
    return sorted(found, key=lambda child: not child.name.lower().endswith(".dist-info"))


def _headers(child: os.DirEntry[str]) -> dict[str, str]:
    """The first ``Name`` and ``Version`` of a dist-info's ``METADATA`` or an egg-info's
    ``PKG-INFO`` (an egg-info may be that file itself): RFC 822 headers, which end at the
    first empty line."""
    if child.is_dir():
        file = "METADATA" if child.name.lower().endswith(".dist-info") else "PKG-INFO"
        path = os.path.join(child.path, file)
    else:
        path = child.path
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as stream:
            headers: dict[str, str] = {}
            for line in stream:
                if not line.strip():
                    break
                if line[0] in " \t":
                    continue  # a folded header's continuation (an old Description)
                key, colon, value = line.partition(":")
                key = key.strip().lower()
                if colon and key in ("name", "version") and key not in headers:
                    headers[key] = value.strip()
                    if len(headers) == 2:
                        break
            return headers
    except OSError:
        return {}


def installed_from(distribution: str) -> tuple[Path | None, bool]:
    """Where the running interpreter's ``distribution`` was installed from (PEP 610
    ``direct_url.json``): a local directory and whether it is editable, else None.

    tox (``package = "editable"``) builds the PEP 660 wheel itself and installs that
    file, so ``direct_url.json`` names the wheel; the checkout is then where the wheel's
    redirect (a ``.pth`` line, a setuptools editable finder) points."""
    import importlib.metadata

    for found in importlib.metadata.distributions(name=distribution, path=_running_env_first()):
        return origin_of(found)
    return None, False


def origin_of(found: importlib.metadata.Distribution) -> tuple[Path | None, bool]:
    """:func:`installed_from` for a distribution already found (in any env)."""
    import json
    from urllib.parse import unquote, urlparse

    try:
        data = json.loads(found.read_text("direct_url.json") or "null")
    except ValueError:
        return None, False
    if not isinstance(data, dict) or not str(data.get("url", "")).startswith("file://"):
        return None, False
    info = data.get("dir_info")
    path = Path(unquote(urlparse(str(data["url"])).path))
    if isinstance(info, dict):
        return path, info.get("editable") is True
    redirect = _editable_redirect(found) if path.suffix == ".whl" else None
    return (redirect, True) if redirect is not None else (path, False)


_ABSOLUTE = re.compile(r"""['"](/[^'"]+)['"]""")


def _editable_redirect(found: importlib.metadata.Distribution) -> Path | None:
    """The source directory an installed editable wheel points at, if it is one."""
    for file in found.files or ():
        name = file.name
        finder = name.startswith("__editable__") and name.endswith(".py")
        if not (finder or name.endswith(".pth")):
            continue
        try:
            text = Path(str(file.locate())).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if name.endswith(".pth"):
            lines = [line.strip() for line in text.splitlines()]
            paths = [line for line in lines if line and not line.startswith(("#", "import"))]
        else:
            paths = _ABSOLUTE.findall(text)
        for candidate in paths:
            if os.path.isabs(candidate) and os.path.isdir(candidate):
                return Path(candidate)
    return None


@dataclass(frozen=True)
class Mismatch:
    """A pin that an env does not hold: missing (``installed`` None) or another version."""

    pin: Pin
    installed: str | None


def mismatches(
    pins: Iterable[Pin], installed: Mapping[str, str], sourced: frozenset[str] = frozenset()
) -> list[Mismatch]:
    """Every pin (that no local source replaces) not installed at exactly its version."""
    from packaging.version import InvalidVersion, Version

    found = []
    for pin in pins:
        name = normalize(pin.distribution)
        if name in sourced:
            continue
        got = installed.get(name)
        try:
            same = got is not None and Version(got) == pin.version
        except InvalidVersion:
            same = False
        if not same:
            found.append(Mismatch(pin, got))
    return found


def verify(
    pins: Sequence[Pin],
    installed: Mapping[str, str],
    sourced: frozenset[str],
    label: str,
    kind: Kind,
) -> None:
    """Raise :class:`InstallError` for the first pin an installer did not deliver."""
    for problem in mismatches(pins, installed, sourced):
        pin = problem.pin
        if problem.installed is None:
            raise InstallError(
                f"cannot install {kind} {label}: {pin.distribution} ({pin.key}) is not "
                f"installed after the installer finished; the {kind} pins {pin.version}"
            )
        raise InstallError(
            f"cannot install {kind} {label}: {pin.distribution} is installed at "
            f"{problem.installed}, but the {kind} pins {pin.version}"
        )


def checkout_problems(env: Path, sources: Sequence[Source]) -> list[str]:
    """Each checkout in ``sources`` that the env at ``env`` does not hold installed
    editable from that checkout (PEP 610 ``direct_url.json``)."""
    if not sources:
        return []
    import importlib.metadata

    found: dict[str, importlib.metadata.Distribution] = {}
    for dist in importlib.metadata.distributions(path=[str(p) for p in site_packages(env)]):
        found.setdefault(normalize(dist.metadata["Name"] or ""), dist)
    problems = []
    for source in sources:
        installed = found.get(normalize(source.distribution))
        if installed is None:
            problems.append(f"{source.distribution} is not installed")
            continue
        origin, editable = origin_of(installed)
        if origin is None or not _within(origin.resolve(), source.path.resolve()):
            where = f"from {origin}" if origin else "from a release, not from its checkout"
            problems.append(f"{source.distribution} is installed {where}; expected {source.path}")
        elif not editable:
            problems.append(f"{source.distribution} from {source.path} is not editable")
    return problems


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
