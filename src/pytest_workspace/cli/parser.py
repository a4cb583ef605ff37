"""The command line's parser: the command being run is built in full (its module's
``add_arguments``), the others are only listed by name and help, because argparse's cost
per argument (a formatter, gettext lookups) is most of a CLI start. The flags that are
settings (``--matrix``, ``--cache``, ``--find-links``...) come from the settings table.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import datetime
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import Any

__all__ = ["COMMANDS", "actions", "add_setting", "build_parser", "command_in"]

#: command -> (its module in .commands, its help); listed in this order
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "validate the matrix and report every finding"),
    "bundles": ("bundles", "list the bundles and their pins"),
    "show": ("show", "show a bundle's pins, requirements and applicable rows"),
    "ci-matrix": ("ci_matrix", "print the bundles as a CI job matrix"),
    "report": ("report", "merge results JSON files into one compatibility matrix"),
    "explore": ("explore", "combinations and upgrade paths the rows allow: floor, latest, pairs"),
    "bisect": ("bisect", "find the component changes that turn the suite red between two bundles"),
    "lock": ("lock", "resolve bundles into PEP 751 lock files (needs uv)"),
    "env": ("env", "build (or reuse) a bundle's env and print its path"),
    "cache": ("cache", "list, prune or verify cached envs"),
    "workspace": ("workspace", "meta-repository: the sibling checkouts"),
    "bundle": ("bundle", "bundles as releases: new, export, diff, publish"),
}


# -- argument types ------------------------------------------------------------------------


def size(text: str) -> int:
    """``500M``, ``2G``: bytes."""
    import re

    match = re.match(r"^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$", text.strip(), re.IGNORECASE)
    if not match:
        import argparse

        raise argparse.ArgumentTypeError(f"expected a size like 500M or 2G, got {text!r}")
    power = " KMGT".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * 1024**power)


def path(text: str) -> Path:
    from pathlib import Path

    return Path(text)


def date(text: str) -> datetime.date:
    import datetime

    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


# -- the settings table's flags ------------------------------------------------------------


def add_setting(parser: argparse.ArgumentParser, name: str, *, help: str | None = None) -> None:
    """The flag of setting ``name`` (its dest is the setting's name); ``help`` says what
    it means for this command, when that is more than the table's."""
    from ..settings import setting

    entry = setting(name)
    assert entry.flag is not None, f"setting {name} has no CLI flag"
    kwargs: dict[str, Any] = {"dest": entry.name, "help": help or entry.help}
    if entry.kind in ("list", "args"):
        kwargs.update(action="append", default=[], metavar=entry.metavar)
    elif entry.kind == "flag":
        kwargs.update(action="store_true")
    elif entry.kind == "choice":
        kwargs.update(choices=entry.choices)
    else:
        kwargs.update(metavar=entry.metavar)
    parser.add_argument(entry.flag, **kwargs)


# -- building -------------------------------------------------------------------------------


class _Unbuilt:
    """Stands in for the parser of a command this invocation does not run."""

    def __getattr__(self, name: str) -> Callable[..., _Unbuilt]:
        return self._ignore

    def _ignore(self, *args: object, **kwargs: object) -> _Unbuilt:
        return self


def command_in(argv: Sequence[str]) -> str | None:
    """The command word of ``argv`` (the first positional; ``--matrix`` and its
    abbreviations take a value), or None."""
    takes_value = False
    for arg in argv:
        if takes_value:
            takes_value = False
        elif arg == "--":
            return None
        elif arg.startswith("-"):
            takes_value = len(arg) > 2 and "--matrix".startswith(arg)
        else:
            return arg
    return None


#: the options every command takes, for the actions of a group to inherit
_COMMON: list[argparse.ArgumentParser] = []


def actions(
    parser: argparse.ArgumentParser,
) -> Callable[[str, str, Callable[[argparse.Namespace], int]], argparse.ArgumentParser]:
    """For a group command (``cache``, ``workspace``, ``bundle``): a function that adds
    one action with its help and its ``run``."""
    group = parser.prog.rsplit(" ", 1)[-1]
    subparsers = parser.add_subparsers(dest=f"{group}_command", metavar="ACTION", required=True)

    def action(
        name: str, help: str, run: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = subparsers.add_parser(
            name, parents=_COMMON, help=help, description=help
        )
        sub.set_defaults(run=run)
        return sub

    return action


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: the command it names is built in full, the others are
    only listed (see :class:`_Unbuilt`)."""
    import argparse

    from ..settings import setting

    wanted = command_in(sys.argv[1:] if argv is None else argv)
    common = argparse.ArgumentParser(add_help=False)
    matrix = setting("matrix")
    common.add_argument(
        str(matrix.flag),
        dest=matrix.name,
        metavar=matrix.metavar,
        help=f"{matrix.help} (or ${matrix.env})",
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    _COMMON[:] = [common]

    parser = argparse.ArgumentParser(
        prog="pytest-workspace",
        description="Validate a compatibility matrix and turn it into test environments.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help) in COMMANDS.items():
        if name != wanted:
            if wanted not in COMMANDS:
                # Listed for --help and for the error on an unknown command; it never
                # parses, so it needs no -h of its own.
                commands.add_parser(name, help=help, add_help=False)
            continue
        from importlib import import_module

        found = import_module(f".commands.{module}", __package__)
        sub = commands.add_parser(name, parents=[common], help=help, description=help)
        found.add_arguments(sub)
        if hasattr(found, "run"):
            sub.set_defaults(run=found.run)
    return parser


def _version() -> str:
    from .. import __version__

    return __version__
