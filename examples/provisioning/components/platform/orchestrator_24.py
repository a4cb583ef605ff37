"""Platform 2.4: everything through the core CLI."""

from __future__ import annotations

from typing import Any

from .runner import core


def deploy(name: str) -> dict[str, Any]:
    core("server", "create", name)
    if name not in core("server", "list").split():
        raise KeyError(name)
    return {"name": name}
