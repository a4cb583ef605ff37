"""The in-process API, new in core 3.2 (platform 2.5.3 depends on it)."""

from __future__ import annotations

from typing import Any

from . import state
from .cli import state_path


def servers() -> list[str]:
    return state.names(state.load(state_path()))


def describe(name: str) -> dict[str, Any]:
    servers = state.load(state_path())
    if name not in servers:
        raise KeyError(name)
    return {"name": name, **servers[name]}
