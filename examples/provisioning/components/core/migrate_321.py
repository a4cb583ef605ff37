"""3.1 -> 3.2 state migration, fixed in 3.2.1."""

from __future__ import annotations

from typing import Any


def from_v1(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: {"created-by": "3.1"} for name in data.get("servers", [])}
