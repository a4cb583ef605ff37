"""The settings table: each setting declared once, and every face generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_workspace.cli.parser import build_parser
from pytest_workspace.core.workspace import Settings
from pytest_workspace.settings import SETTINGS, environment_layer, setting


def test_every_pytest_option_and_ini_key_comes_from_the_table(pytestconfig: pytest.Config) -> None:
    # This session runs with the plugin: what it registered is what the table says.
    parser = pytestconfig._parser
    options = {name for option in parser._anonymous.options for name in option.names()}
    for group in parser._groups:
        options.update(name for option in group.options for name in option.names())
    for entry in SETTINGS:
        if entry.option:
            assert entry.option in options, entry
        if entry.ini:
            assert entry.ini in parser._inidict, entry


def test_the_cli_flags_come_from_the_table() -> None:
    values = {"matrix": "m.toml", "cache": "c", "installer": "pip", "find_links": "d"}
    argv = ["env", "b", "--offline"]
    for name, value in values.items():
        argv += [str(setting(name).flag), value]
    parsed = build_parser(argv).parse_args(argv)
    assert (parsed.matrix, parsed.installer, parsed.offline) == ("m.toml", "pip", True)


def test_an_option_beats_its_variable_which_beats_the_ini_key(tmp_path: Path) -> None:
    option, ini = {"matrix": "from-option.toml"}, {"matrix": "from-ini.toml"}
    variable = environment_layer({"PYTEST_WORKSPACE_MATRIX": "from-variable.toml"})
    assert Settings.layered(option, variable, ini).matrix == "from-option.toml"
    assert Settings.layered({}, variable, ini).matrix == "from-variable.toml"
    assert Settings.layered({}, {}, ini).matrix == "from-ini.toml"
    # An empty value (a CI template's --bundle=) falls through to the next layer.
    assert Settings.layered({"matrix": ""}, {}, ini).matrix == "from-ini.toml"


def test_an_empty_variable_sets_nothing() -> None:
    assert environment_layer({"PYTEST_WORKSPACE_MATRIX": ""}) == {}


def test_requirement_lists_are_read_in_every_spelling() -> None:
    layered = Settings.layered({"test_requirements": ["a b", "c >= 1"]}, {"extras": ["d"]})
    assert (layered.test_requirements, layered.extras) == (("a", "b", "c >= 1"), ("d",))
