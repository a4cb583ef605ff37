"""State format of core 3.2: {"format": 2, "servers": {"web": {"created-by": "3.2.1"}}}.

Files written by 3.1 are migrated when read (see migrate.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import __version__
from .migrate import from_v1

Servers = dict[str, dict[str, Any]]


def load(path: Path) -> Servers:
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text())
    if data.get("format") != 2:
        return from_v1(data)
    return dict(data["servers"])


def names(servers: Servers) -> list[str]:
    return list(servers)


def add(servers: Servers, name: str) -> Servers:
    return {**servers, name: {"created-by": __version__}}


def save(path: Path, servers: Servers) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": 2, "servers": servers}))
