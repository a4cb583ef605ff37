"""Platform 2.5: creates servers through the core CLI, then reads them back through
core's in-process API (new in core 3.2)."""

from __future__ import annotations

from typing import Any

from .compat import api
from .runner import core


def deploy(name: str) -> dict[str, Any]:
    core("server", "create", name)
    return dict(api().describe(name))
