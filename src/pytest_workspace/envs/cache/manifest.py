"""The manifest: the one proof that an env build finished, read and written here only.

Written last and atomically (``pytest-workspace.json`` in the env); a missing,
unreadable or mistyped manifest means the env is not complete and gets rebuilt. It
records what was asked for, what got installed, what a reuse checks (the tree), and the
env's size measured at build time (so listing the cache reads manifests only).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ...userdirs import new_private_file
from .layout import MANIFEST, SCHEMA, parse_manifest

__all__ = ["MANIFEST", "SCHEMA", "Manifest", "unshared_size", "write_atomic"]


@dataclass(frozen=True)
class Manifest:
    """What was asked for, what got installed, and when: the proof an env is complete."""

    key: str
    label: str
    pins: dict[str, str]
    requirements: list[str]
    sources: list[str]
    installed: dict[str, str]
    #: paths whose absence means the env was damaged: what manifests written before
    #: ``tree`` list (a build now writes none: the directories' mtimes say more)
    files: list[str]
    installer: str
    installer_version: str
    python: str
    python_version: str
    index: str
    created: str
    created_at: float
    build_seconds: float
    private: bool
    #: bytes the env adds beyond hardlinked files (uv's cache), measured at build time
    size: int = 0
    last_install_seconds: float | None = None
    #: every directory's mtime at build time (see :mod:`.integrity`)
    tree: dict[str, str] = dataclasses.field(default_factory=dict)
    #: why a check found the env changed since (it is rebuilt on its next use)
    damaged: str | None = None

    def to_json(self) -> str:
        data = {"schema": SCHEMA}
        data.update({f.name.replace("_", "-"): getattr(self, f.name) for f in _FIELDS})
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; raise ``ValueError`` for anything but this schema, typed."""
        values = parse_manifest(text)
        return cls(**{name.replace("-", "_"): value for name, value in values.items()})

    @classmethod
    def read(cls, env: Path) -> Manifest | None:
        """The manifest of the env at ``env``, or None when it is missing or invalid
        (a crashed build, a damaged or foreign file: all mean "rebuild")."""
        try:
            return cls.from_json((env / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None


_FIELDS = dataclasses.fields(Manifest)


def write_atomic(path: Path, text: str, *, readable: bool = False) -> None:
    # A dot file beside it, as the tempfile prefix made it before.
    descriptor, temporary = new_private_file(os.path.join(path.parent, f".{path.name}"))
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if readable:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def unshared_size(path: Path) -> int:
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            try:
                info = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            if info.st_nlink == 1:
                total += info.st_blocks * 512 if hasattr(info, "st_blocks") else info.st_size
    return total
