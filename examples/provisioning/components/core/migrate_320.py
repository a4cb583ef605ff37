"""3.1 -> 3.2 state migration, as released in 3.2.0."""

from __future__ import annotations

from typing import Any


def from_v1(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    servers = data.get("servers", [])
    # The 3.2.0 bug: only the most recently created server survived the migration.
    return {name: {"created-by": "3.1"} for name in servers[-1:]}
