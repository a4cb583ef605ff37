"""An extension: core discovers it through the `provisioning.extensions` entry points."""

from __future__ import annotations

from importlib.metadata import version

NAME = "{name}"


def register() -> dict[str, str]:
    return {"name": NAME, "version": version(f"provisioning-ext-{NAME}")}
