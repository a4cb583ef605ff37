"""Which versions of a distribution the configured places offer: the find-links
directories (or pages) and the package index, as an installer would see them
(``explore --from-index``, the floor and the latest combinations).

Files are read by name only (PEP 427 wheel and PEP 625 sdist file names); the index is
asked through the simple repository API, JSON (PEP 691) when it answers in JSON, else
its HTML page (PEP 503). Yanked files are left out, as installers leave them out of
resolution. Nothing is downloaded but the listing, with a short timeout.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from .spec import IndexOptions

__all__ = ["DEFAULT_INDEX", "Unreachable", "available_versions"]

#: where installers look when nothing else is configured
DEFAULT_INDEX = "https://pypi.org/simple"
_TIMEOUT = 15.0
_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_HREF = re.compile(r"""<a\s[^>]*href=["']([^"']+)["'][^>]*>""", re.IGNORECASE)


class Unreachable(Exception):
    """No place that was asked answered (offline, a dead URL, no find-links)."""


def available_versions(
    distribution: str,
    index: IndexOptions,
    *,
    pre: bool = False,
    listings: dict[str, list[str]] | None = None,
) -> list[Version]:
    """The versions of ``distribution`` the find-links and (unless offline) the index
    offer, ascending; pre-releases only with ``pre``. :class:`Unreachable` when not one
    place could be read. ``listings``: the find-links file names already read (filled
    in), when many distributions are asked for."""
    wanted = canonicalize_name(distribution)
    found: set[Version] = set()
    answered = False
    for link in index.find_links:
        try:
            # One find-links place serves every distribution: read it once per caller.
            names = listings.get(link) if listings is not None else None
            if names is None:
                names = _listing(link)
                if listings is not None:
                    listings[link] = names
            found.update(_versions(wanted, names))
            answered = True
        except (OSError, ValueError):
            continue
    if not index.offline:
        url = (index.index_url or DEFAULT_INDEX).rstrip("/") + f"/{wanted}/"
        try:
            found.update(_versions(wanted, _listing(url)))
            answered = True
        except (OSError, ValueError):
            pass
    if not answered:
        raise Unreachable(f"no find-links or index could be read for {distribution}")
    return sorted(v for v in found if pre or not (v.is_prerelease or v.is_devrelease))


def _listing(link: str) -> list[str]:
    """The file names at a find-links directory or page, or a project's index page."""
    if "://" not in link or link.startswith("file://"):
        local = urllib.parse.unquote(urllib.parse.urlparse(link).path) if "://" in link else link
        path = Path(local)
        if path.is_dir():
            return os.listdir(path)
        raise FileNotFoundError(str(path))
    request = urllib.request.Request(link, headers={"Accept": _ACCEPT})
    with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
        kind = response.headers.get("Content-Type", "")
        body = response.read()
    if "json" in kind:
        data = json.loads(body)
        files = data.get("files", []) if isinstance(data, dict) else []
        return [
            str(entry["filename"])
            for entry in files
            if isinstance(entry, dict) and "filename" in entry and not entry.get("yanked")
        ]
    text = body.decode("utf-8", errors="replace")
    names = []
    for match in _HREF.finditer(text):
        if "data-yanked" in match.group(0):
            continue
        target = urllib.parse.urlparse(match.group(1)).path
        names.append(urllib.parse.unquote(target.rsplit("/", 1)[-1]))
    return names


def _versions(wanted: str, names: Iterable[str]) -> set[Version]:
    found = set()
    for name in names:
        try:
            if name.endswith(".whl"):
                project, version, *_ = parse_wheel_filename(name)
            elif name.endswith((".tar.gz", ".zip")):
                project, version = parse_sdist_filename(name)
            else:
                continue
        except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
            continue
        if canonicalize_name(project) == wanted:
            found.add(version)
    return found
