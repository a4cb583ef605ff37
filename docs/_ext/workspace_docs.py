"""Reference pages generated from the code, so that they cannot drift from it.

- ``.. workspace-settings::`` -- every setting of the settings table
  (``pytest_workspace.settings.SETTINGS``): its pytest option, ini key,
  ``[tool.pytest-workspace]`` key, command-line flag and environment variable;
- ``.. workspace-cli::`` -- the ``--help`` of every command and action, from the real
  argparse parser;
- ``.. workspace-schema:: NAME`` -- a JSON Schema of ``docs/schemas``, shown in full.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def _code(text: str | None) -> str:
    return f"``{text}``" if text else ""


class SettingsDirective(SphinxDirective):
    """The settings table as a list-table."""

    def run(self) -> list[nodes.Node]:
        from pytest_workspace.settings import SETTINGS

        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: 22 22 22 14 20",
            "",
            "   * - pytest option",
            "     - ini key / ``[tool.pytest-workspace]``",
            "     - command line / environment",
            "     - values",
            "     - meaning",
        ]
        for entry in SETTINGS:
            option = entry.option or ""
            if option and entry.metavar and entry.kind != "flag":
                option = f"{option}={entry.metavar}"
            ini = ""
            if entry.ini:
                tool = entry.ini.removeprefix("workspace_").replace("_", "-")
                ini = f"``{entry.ini}`` / ``{tool}``"
            where = ", ".join(
                part
                for part in (_code(entry.flag), _code(f"${entry.env}" if entry.env else None))
                if part
            )
            values = {
                "flag": "true / false",
                "list": "a list",
                "args": "words",
                "path": "a path",
                "choice": " / ".join(entry.choices),
            }.get(entry.kind, "text")
            lines += [
                f"   * - {_code(option) or '—'}",
                f"     - {ini or '—'}",
                f"     - {where or '—'}",
                f"     - {values}",
                f"     - {entry.help}",
            ]
        return self._parse(lines)

    def _parse(self, lines: list[str]) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="workspace-settings"), 0, container)
        return list(container.children)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps no public list of them
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


class CliDirective(SphinxDirective):
    """``pytest-workspace COMMAND [ACTION] --help`` for every command and action."""

    def run(self) -> list[nodes.Node]:
        from pytest_workspace.cli.parser import COMMANDS, build_parser

        os.environ["COLUMNS"] = "88"  # argparse wraps to the terminal's width
        top = build_parser(["--help"])
        sections: list[nodes.Node] = [self._block("pytest-workspace --help", top.format_help())]
        for name in COMMANDS:
            command = _subparsers(build_parser([name]))[name]
            sections.append(self._block(f"pytest-workspace {name} --help", command.format_help()))
            for action, sub in _subparsers(command).items():
                sections.append(
                    self._block(f"pytest-workspace {name} {action} --help", sub.format_help())
                )
        return sections

    def _block(self, title: str, text: str) -> nodes.Node:
        section = nodes.section(ids=[nodes.make_id(title)])
        section += nodes.title(text=title.removesuffix(" --help"))
        section += nodes.literal_block(text, text, language="text")
        return section


class SchemaDirective(SphinxDirective):
    """A JSON Schema of ``docs/schemas``, in full."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        path = SCHEMAS / self.arguments[0]
        self.env.note_dependency(str(path))
        text = json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=2)
        return [nodes.literal_block(text, text, language="json")]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("workspace-settings", SettingsDirective)
    app.add_directive("workspace-cli", CliDirective)
    app.add_directive("workspace-schema", SchemaDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
