"""State format of core 3.1: {"servers": ["web", "db"]}."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load(path: Path) -> list[str]:
    if not path.exists():
        return []
    data: dict[str, Any] = json.loads(path.read_text())
    return list(data["servers"])


def names(servers: list[str]) -> list[str]:
    return list(servers)


def add(servers: list[str], name: str) -> list[str]:
    return [*servers, name]


def save(path: Path, servers: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"servers": servers}))
