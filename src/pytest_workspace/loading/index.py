"""The matrix file's ``[index]`` and ``[publish]`` tables: where packages and locks are,
and how releases are named. Private, a part of :mod:`._load`.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..model.matrix import Index, Publish
from .values import kind_of

_URL = re.compile(r"^(https?|file)://[^\s]+$")
_INDEX_KEYS = ("url", "find-links", "locks", "locked", "exclude-newer")
Report = Callable[[str, str], None]


def load_index(table: dict[str, Any], path: Path, error: Report) -> Index:
    for unknown in sorted(set(table) - set(_INDEX_KEYS)):
        error(f"index.{unknown}", f"unknown key; expected one of {', '.join(_INDEX_KEYS)}")
    url = table.get("url")
    if url is not None and not isinstance(url, str):
        error("index.url", f"expected a URL string, got {kind_of(url)}")
        url = None
    links = table.get("find-links", [])
    if isinstance(links, str):
        links = [links]
    if not isinstance(links, list) or not all(isinstance(link, str) for link in links):
        error("index.find-links", f"expected a list of paths or URLs, got {links!r}")
        links = []
    if url is not None and not _URL.match(url):
        error("index.url", f"expected an http(s) or file URL, got {url!r}")
        url = None
    for position, link in enumerate(links):
        if not link or link.startswith("-") or any(ord(c) < 32 for c in link):
            # An entry like "--index-url=..." would reach the installer as an option.
            error(f"index.find-links[{position}]", f"expected a path or a URL, got {link!r}")
            links = []
    resolved = tuple(
        link if "://" in link else str((path.parent / link).resolve()) for link in links
    )
    locks = table.get("locks")
    if locks is not None and (not isinstance(locks, str) or not locks.strip()):
        error("index.locks", f"expected a directory path, got {locks!r}")
        locks = None
    locked = table.get("locked", False)
    if not isinstance(locked, bool):
        error("index.locked", f"expected true or false, got {locked!r}")
        locked = False
    return Index(
        url=url,
        find_links=resolved,
        locks=(path.parent / locks).resolve() if locks else None,
        locked=locked,
        exclude_newer=_exclude_newer(table.get("exclude-newer"), error),
    )


def _exclude_newer(value: Any, error: Report) -> str | None:
    if value is None:
        return None
    if value == "release-date":
        return "release-date"
    if isinstance(value, datetime.date):  # a TOML date or datetime
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            try:
                return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()
            except ValueError:
                pass
    error(
        "index.exclude-newer",
        f'expected "release-date", a date (YYYY-MM-DD) or a timestamp, got {value!r}',
    )
    return None


def load_publish(table: dict[str, Any], error: Report) -> Publish:
    for unknown in sorted(set(table) - {"package"}):
        error(f"publish.{unknown}", "unknown key; expected 'package'")
    package = table.get("package")
    if package is not None and (not isinstance(package, str) or not package.strip()):
        error(
            "publish.package",
            f'expected a distribution name like "acme-{{bundle}}", got {package!r}',
        )
        package = None
    return Publish(package=package)
