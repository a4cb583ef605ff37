"""Platform 2.5.3: core's API is required (core >= 3.2)."""

from __future__ import annotations

from typing import Any


def api() -> Any:
    from provisioning_core import api as core_api

    return core_api
