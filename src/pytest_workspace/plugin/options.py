"""The plugin's options and ini keys, generated from the settings table
(:data:`..settings.SETTINGS`), and read back into the core's layers.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from ..settings import SETTINGS, Setting

__all__ = ["add_options", "layers", "selects"]

#: how each kind of setting is spelled as a pytest option and as an ini key
_OPTION: dict[str, dict[str, Any]] = {
    "list": {"action": "append", "default": []},
    "args": {"action": "append", "default": []},
    "flag": {"action": "store_true", "default": None},
}
_INI: dict[str, dict[str, Any]] = {
    "list": {"type": "linelist", "default": []},
    "args": {"type": "args", "default": []},
    "flag": {"type": "bool", "default": False},
}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "workspace", "pytest-workspace (bundles of separately released packages)"
    )
    for entry in SETTINGS:
        if entry.option:
            kwargs = {"help": entry.help, "dest": entry.dest, **_OPTION.get(entry.kind, {})}
            if entry.metavar and entry.kind != "flag":
                kwargs["metavar"] = entry.metavar
            if entry.choices:
                kwargs["choices"] = entry.choices
            group.addoption(entry.option, **kwargs)
        if entry.ini:
            parser.addini(entry.ini, entry.help, **_INI.get(entry.kind, {"default": None}))


def _option(config: pytest.Config, entry: Setting) -> Any:
    value = config.getoption(entry.dest)
    if entry.kind in ("list", "args"):
        # Empty values are ignored: one CI job template can pass --bundle= and
        # --upgrade-path= from a matrix entry that has only one of them.
        return [item for item in value or () if item]
    return value


def layers(config: pytest.Config) -> tuple[dict[str, Any], dict[str, Any]]:
    """The command line's and the ini file's values, by setting name (the environment's
    layer comes from :func:`..settings.environment_layer`)."""
    options = {entry.name: _option(config, entry) for entry in SETTINGS if entry.option}
    # pytest's own --strict asks for the same as ours.
    options["strict"] = options.get("strict") or config.getoption("strict", False)
    from ..loading.tool import tool_layer

    # [tool.pytest-workspace] in pyproject.toml, where the pytest configuration's keys
    # leave a setting empty.
    tool = tool_layer(config.rootpath)
    inis = {}
    for entry in SETTINGS:
        if entry.ini:
            value = config.getini(entry.ini)
            empty = value is None or value == "" or value == [] or value is False
            inis[entry.name] = tool[entry.name] if empty and entry.name in tool else value
    return options, inis


def selects(options: Mapping[str, Any], inis: Mapping[str, Any]) -> bool:
    """Whether the run selects a bundle, a combination or an upgrade path."""
    return bool(
        options["bundles"]
        or inis["bundles"]
        or options["combinations"]
        or options["upgrades"]
        or inis["upgrades"]
    )
