"""What an environment must contain: an :class:`EnvSpec` (pins, interpreter, index
options, local sources, extra requirements) and the content hash that names it in the
cache. The core (:mod:`..core.workspace`) builds specs; this module describes them.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..model.matrix import Index, Pin
from ..model.names import normalize
from .checkouts import Source
from .interpreters import Interpreter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .pylock import Lock

__all__ = [
    "EnvSpec",
    "IndexOptions",
]


#: Installer variables that change what gets installed: an env built under one value is
#: never reused under another. (Cache, verbosity and network-tuning variables are not
#: here: they change how, not what.)
RESOLUTION_VARIABLES = (
    "PIP_CONFIG_FILE",
    "PIP_CONSTRAINT",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_INDEX_URL",
    "PIP_NO_BINARY",
    "PIP_NO_INDEX",
    "PIP_ONLY_BINARY",
    "PIP_PRE",
    "PIP_PREFER_BINARY",
    "UV_CONFIG_FILE",
    "UV_CONSTRAINT",
    "UV_DEFAULT_INDEX",
    "UV_EXCLUDE_NEWER",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_INDEX",
    "UV_INDEX_STRATEGY",
    "UV_INDEX_URL",
    "UV_NO_BINARY",
    "UV_NO_BUILD",
    "UV_NO_CONFIG",
    "UV_NO_INDEX",
    "UV_OVERRIDE",
    "UV_PRERELEASE",
    "UV_RESOLUTION",
    "UV_TORCH_BACKEND",
)


@dataclass(frozen=True)
class IndexOptions:
    """Where packages come from. Empty means the installer's own defaults (and its
    ``PIP_*`` / ``UV_*`` variables)."""

    index_url: str | None = None
    find_links: tuple[str, ...] = ()
    offline: bool = False
    #: resolve as of this date or timestamp (uv's ``--exclude-newer``)
    exclude_newer: str | None = None

    def over(self, matrix: Index) -> IndexOptions:
        """These options, falling back to the matrix's ``[index]`` table field by field:
        a command-line ``--find-links`` replaces the matrix's find-links but keeps its
        index URL, and the other way round."""
        return IndexOptions(
            self.index_url or matrix.url,
            self.find_links or matrix.find_links,
            self.offline,
        )

    def describe(self) -> str:
        parts = []
        if self.find_links:
            parts.append("find-links " + ", ".join(self.find_links))
        if self.offline:
            parts.append("no index (offline)")
        else:
            parts.append(f"index {self.index_url or 'the installer default'}")
        if self.exclude_newer:
            parts.append(f"nothing newer than {self.exclude_newer}")
        return "; ".join(parts)


@dataclass(frozen=True)
class EnvSpec:
    """Everything that decides an environment's contents."""

    label: str
    pins: tuple[Pin, ...]
    python: Interpreter
    index: IndexOptions = field(default_factory=IndexOptions)
    sources: tuple[Source, ...] = ()
    #: extra requirements installed beside the pins (e.g. ``pytest`` for ``Env.pytest``)
    extras: tuple[str, ...] = ()
    #: the bundle's lock file (``pytest-workspace lock``): the env holds its versions
    lock: Lock | None = field(default=None, compare=False, hash=False)
    #: ranges for what the pins pull in (a partial combination completed by the rows)
    constraints: tuple[str, ...] = ()

    @property
    def sourced(self) -> frozenset[str]:
        return frozenset(normalize(source.distribution) for source in self.sources)

    @property
    def requirements(self) -> list[str]:
        """Requirement strings for the pins that are not replaced by a local source."""
        sourced = self.sourced
        return [
            pin.requirement for pin in self.pins if normalize(pin.distribution) not in sourced
        ] + list(self.extras)

    def identity(self) -> dict[str, object]:
        """The JSON-able description that is hashed into the cache key."""
        return {
            "python": [self.python.implementation, self.python.version, self.python.path],
            "requirements": sorted(self.requirements),
            "index": {
                "url": self.index.index_url,
                "find-links": list(self.index.find_links),
                "offline": self.index.offline,
            },
            "sources": sorted(
                [str(s.path), s.editable, s.digest, normalize(s.distribution)]
                # Only when set, like lock and exclude-newer below.
                + ([",".join(s.extras)] if s.extras else [])
                for s in self.sources
            ),
            "environ": {
                name: os.environ[name] for name in RESOLUTION_VARIABLES if name in os.environ
            },
            # Only when set, so that the keys of every env built before stay the same.
            **({"lock": self.lock.digest} if self.lock else {}),
            **({"exclude-newer": self.index.exclude_newer} if self.index.exclude_newer else {}),
            **({"constraints": sorted(self.constraints)} if self.constraints else {}),
        }

    def key(self, installer_identity: Sequence[str]) -> str:
        """A short content hash: identical requests from anywhere share one env."""
        document = {"spec": self.identity(), "installer": list(installer_identity)}
        import hashlib
        import json

        raw = json.dumps(document, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()[:20]


# -- interpreters -----------------------------------------------------------------------


# -- local sources ----------------------------------------------------------------------
