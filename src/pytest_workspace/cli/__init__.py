"""The ``pytest-workspace`` command: argument parsing and dispatch.

Exit codes: 0 ok, 1 findings (an invalid matrix, failed tests), 2 usage or input
errors. A user error is printed as one line without a traceback unless ``--debug`` is
given. Only argparse is imported here (and only once a parser is built: an ``env``
answered from :mod:`._memo` needs none); :mod:`.commands` holds the handlers.
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

__all__ = ["main"]

OK, FINDINGS, USAGE = 0, 1, 2
#: the CI formats of :func:`~.report.ci_matrix` (spelled here so --help imports nothing)
CI_FORMATS = ("github", "gitlab")
INSTALLERS = ("pip", "uv")
#: :data:`~.release.EXPORT_FORMATS`
EXPORT_FORMATS = ("requirements", "constraints", "pylock")


def _size(text: str) -> int:
    import re

    match = re.match(r"^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$", text.strip(), re.IGNORECASE)
    if not match:
        import argparse

        raise argparse.ArgumentTypeError(f"expected a size like 500M or 2G, got {text!r}")
    power = " KMGT".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * 1024**power)


def _path(text: str) -> Path:
    from pathlib import Path

    return Path(text)


def _today(text: str) -> datetime.date:
    import datetime

    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


# -- parser ------------------------------------------------------------------------------


class _Unbuilt:
    """Stands in for the parser of a command this invocation does not run: argparse's
    cost per argument (a formatter, gettext lookups) is most of the start-up, so only
    the chosen command's arguments are built; the others are listed by name and help."""

    def __getattr__(self, name: str) -> Callable[..., _Unbuilt]:
        return self._ignore

    def _ignore(self, *args: object, **kwargs: object) -> _Unbuilt:
        return self


_UNBUILT: argparse.ArgumentParser = _Unbuilt()  # type: ignore[assignment]


#: every command; when one of them is run, the others are not even listed
COMMANDS = (
    "check",
    "bundles",
    "show",
    "ci-matrix",
    "report",
    "lock",
    "env",
    "cache",
    "workspace",
    "bundle",
)
_CACHE_HELP = "list or prune cached envs"


def _list(commands: Any, name: str, help: str, wanted: str | None) -> None:
    """List a command that this invocation does not run, for ``--help`` and for the
    error on an unknown one. It never parses, so it needs no ``-h`` of its own (each
    argument costs argparse a formatter and a gettext lookup)."""
    if wanted not in COMMANDS:
        commands.add_parser(name, help=help, add_help=False)


def _command_in(argv: Sequence[str]) -> str | None:
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


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: the command it names is built in full, the others are
    only listed (see :class:`_Unbuilt`)."""
    import argparse

    wanted = _command_in(sys.argv[1:] if argv is None else argv)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--matrix",
        metavar="PATH",
        help="the matrix file (default: $PYTEST_WORKSPACE_MATRIX, ./versions.toml, "
        "./version-management/versions.toml)",
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks")

    parser = argparse.ArgumentParser(
        prog="pytest-workspace",
        description="Validate a compatibility matrix and turn it into test environments.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, handler: str, help: str) -> argparse.ArgumentParser:
        if name != wanted:
            _list(commands, name, help, wanted)
            return _UNBUILT
        sub = commands.add_parser(name, parents=[common], help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    check = command("check", "check", "validate the matrix and report every finding")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument(
        "--today",
        type=_today,
        metavar="YYYY-MM-DD",
        help="the date lts-until is compared with (default: today)",
    )

    bundles = command("bundles", "bundles", "list the bundles and their pins")
    bundles.add_argument("--json", action="store_true", help="machine-readable output")

    show = command("show", "show", "show a bundle's pins, requirements and applicable rows")
    show.add_argument("bundle", metavar="BUNDLE")

    ci = command("ci-matrix", "ci_matrix", "print the bundles as a CI job matrix")
    ci.add_argument("--format", choices=CI_FORMATS, default="github")
    ci.add_argument("--bundles", default="all", metavar="GLOB", help="only matching bundles")
    ci.add_argument(
        "--upgrade-paths",
        nargs="?",
        const="all",
        metavar="GLOB",
        help="add upgrade-path jobs (all, or those matching GLOB)",
    )
    ci.add_argument(
        "--changed",
        nargs="+",
        metavar="COMPONENT",
        default=[],
        help="only bundles and paths containing these components (names or distributions)",
    )
    ci.add_argument(
        "--sibling-refs",
        action="store_true",
        help="add each job's sibling refs (workspace.toml's ref, overridden by --ref) "
        "for `workspace bootstrap --ref`",
    )
    ci.add_argument(
        "--ref",
        action="append",
        default=[],
        metavar="NAME=BRANCH[,...]",
        help="with --sibling-refs: this sibling's branch in every job (repeatable)",
    )
    ci.add_argument(
        "--config",
        type=_path,
        metavar="PATH",
        help="with --sibling-refs: workspace.toml or wrknv.toml (default: found upwards)",
    )

    report = command("report", "report", "merge results JSON files into one compatibility matrix")
    report.add_argument("results", nargs="+", metavar="RESULTS.json")
    report.add_argument("--html", metavar="FILE", help="write a self-contained HTML page")
    report.add_argument("--markdown", metavar="FILE", help="write a GitHub-flavoured table")
    report.add_argument("--title", default="Compatibility matrix")
    report.add_argument(
        "--require-all",
        action="store_true",
        help="exit 1 when a declared bundle or upgrade path has no result",
    )

    lock = command("lock", "lock", "resolve bundles into PEP 751 lock files (needs uv)")
    lock.set_defaults(handlers="bundlecommands")
    lock.add_argument("bundle", metavar="BUNDLE|GLOB", nargs="?", default="all")
    lock.add_argument(
        "--upgrade", action="store_true", help="take the newest allowed dependency versions"
    )
    for name in ("find-links", "index-url", "offline"):
        _build_option(lock, name)

    env = command("env", "env", "build (or reuse) a bundle's env and print its path")
    env.add_argument("bundle", metavar="BUNDLE", nargs="?")
    env.add_argument("--combination", metavar="SPEC", help="e.g. core=3.1.5,platform=2.4.8")
    env.add_argument("--strict", action="store_true", help="refuse an invalid combination")
    env.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="COMPONENT=PATH",
        help="install COMPONENT from a local checkout (repeatable)",
    )
    env.add_argument("--no-editable", action="store_true", help="install sources as snapshots")
    env.add_argument("--rebuild", action="store_true", help="ignore a cached env")
    _build_options(env)

    if wanted == "cache":
        _cache_commands(commands.add_parser("cache", help=_CACHE_HELP), common)
    else:
        _list(commands, "cache", _CACHE_HELP, wanted)
    _workspace_commands(commands, common, wanted)
    _bundle_commands(commands, common, wanted)
    return parser


def _cache_commands(cache: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    listing = cache_commands.add_parser("list", parents=[common], help="list cached envs")
    listing.set_defaults(handler="cache_list", handlers="cachecommands")
    prune = cache_commands.add_parser("prune", parents=[common], help="remove cached envs")
    prune.set_defaults(handler="cache_prune", handlers="cachecommands")
    prune.add_argument("--older-than", type=float, metavar="DAYS")
    prune.add_argument("--max-size", type=_size, metavar="SIZE", help="e.g. 500M, 2G")
    for sub in (listing, prune):
        sub.add_argument("--cache", metavar="DIR", help="the env cache")


def _group(
    commands: Any,
    group: str,
    help: str,
    parent: argparse.ArgumentParser,
    handlers: str,
    wanted: str | None,
) -> Callable[[str, str], argparse.ArgumentParser]:
    """``pytest-workspace GROUP ACTION``: a function that adds one action, whose handler
    is ``cmd_GROUP_ACTION`` in the module ``handlers`` (nothing unless ``wanted``)."""
    if group != wanted:
        _list(commands, group, help, wanted)
        return lambda name, help: _UNBUILT
    parser = commands.add_parser(group, help=help)
    actions = parser.add_subparsers(dest=f"{group}_command", metavar="ACTION", required=True)

    def action(name: str, help: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = actions.add_parser(
            name, parents=[parent], help=help, description=help
        )
        sub.set_defaults(handler=f"{group}_{name}", handlers=handlers)
        return sub

    return action


_WORKSPACE_HELP = "meta-repository: the sibling checkouts"


def _workspace_commands(commands: Any, common: argparse.ArgumentParser, wanted: str | None) -> None:
    if wanted != "workspace":
        _list(commands, "workspace", _WORKSPACE_HELP, wanted)
        return
    import argparse

    meta = argparse.ArgumentParser(add_help=False, parents=[common])
    meta.add_argument(
        "--config",
        type=_path,
        metavar="PATH",
        help="the meta-repository's workspace.toml or wrknv.toml (default: the nearest one "
        "from the current directory upwards)",
    )
    action = _group(
        commands,
        "workspace",
        _WORKSPACE_HELP,
        meta,
        "metacommands",
        wanted,
    )

    status = action("status", "one row per sibling: path, git state, version, the bundle's pin")
    status.add_argument("--bundle", metavar="BUNDLE", help="show this bundle's pins")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    boot = action("bootstrap", "clone the missing siblings; never touch an existing one")
    boot.add_argument(
        "--update",
        action="store_true",
        help="fast-forward clean checkouts on their tracking branch (others are skipped)",
    )
    boot.add_argument("--fail-if-dirty", action="store_true", help="exit 1 if a sibling is dirty")
    boot.add_argument(
        "--ref",
        action="append",
        default=[],
        metavar="NAME=BRANCH[,...]",
        help="check out BRANCH in a fresh clone of sibling NAME (repeatable, or comma-separated "
        "as `ci-matrix --sibling-refs` emits them)",
    )
    setup = action("setup", "one shared env with every present sibling installed editable")
    setup.add_argument("--bundle", metavar="BUNDLE", help="constrain the rest to its pins")
    setup.add_argument(
        "--venv", type=_path, metavar="PATH", help="default: .venv beside the config"
    )
    for name in ("find-links", "index-url", "offline", "installer"):
        _build_option(setup, name)
    setup.add_argument(
        "--allow-missing",
        action="store_true",
        help="set up the present siblings when some are missing (default: refuse)",
    )
    validate = action("validate", "check the shared env: Python, editables, imports, rows")
    validate.add_argument("--venv", type=_path, metavar="PATH", help="default: .venv")
    action("order", "print the siblings in dependency order")


def _bundle_commands(commands: Any, common: argparse.ArgumentParser, wanted: str | None) -> None:
    action = _group(
        commands,
        "bundle",
        "bundles as releases: new, export, diff, publish",
        common,
        "bundlecommands",
        wanted,
    )

    new = action("new", "check a new bundle against the rows and add it to the matrix file")
    new.add_argument("name", metavar="NAME")
    new.add_argument("pins", nargs="*", metavar="COMPONENT=VERSION", help="e.g. core=3.2.1")
    new.add_argument("--from", dest="base", metavar="BUNDLE", help="start from its pins")
    new.add_argument("--title", metavar="TEXT", help="the bundle's name = ... (display name)")
    new.add_argument("--release-date", type=_today, metavar="YYYY-MM-DD")
    new.add_argument("--lts-until", type=_today, metavar="YYYY-MM-DD")
    new.add_argument(
        "--allow-violations", action="store_true", help="add it even if it breaks a row"
    )
    publish = action("publish", "build the bundle's meta-package (wheel + sdist) to upload")
    publish.add_argument("name", metavar="BUNDLE")
    publish.add_argument("--out", type=_path, metavar="DIR", help="default: ./dist")
    publish.add_argument("--package", metavar="NAME", help="default: [publish] package")
    for name in ("find-links", "index-url", "offline"):
        _build_option(publish, name)
    export = action("export", "print a bundle's pins as requirements, constraints or its lock")
    export.add_argument("name", metavar="BUNDLE")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="requirements")
    diff = action("diff", "what changes from one bundle (or component@version end) to another")
    diff.add_argument("before", metavar="A")
    diff.add_argument("after", metavar="B")
    diff.add_argument("--json", action="store_true", help="machine-readable output")


def _build_option(sub: argparse.ArgumentParser, name: str) -> None:
    if name == "find-links":
        sub.add_argument(
            "--find-links",
            action="append",
            default=[],
            metavar="DIR|URL",
            help="look for packages here (repeatable; replaces the matrix's [index] find-links)",
        )
    elif name == "index-url":
        sub.add_argument("--index-url", metavar="URL", help="the package index to use")
    elif name == "offline":
        sub.add_argument("--offline", action="store_true", help="use no index: find-links only")
    elif name == "installer":
        sub.add_argument(
            "--installer", choices=INSTALLERS, help="default: uv when available, else pip"
        )
    else:
        sub.add_argument(
            "--cache",
            type=_path,
            metavar="DIR",
            help="the env cache (default: $PYTEST_WORKSPACE_CACHE or the user cache dir)",
        )


def _build_options(sub: argparse.ArgumentParser) -> None:
    for name in ("find-links", "index-url", "offline", "installer", "cache"):
        _build_option(sub, name)


def _version() -> str:
    from .. import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _command_in(argv) == "env":
        from .memo import replay

        remembered = replay(argv)
        if remembered is not None:
            return remembered
    parser = build_parser(argv)
    args, rest = parser.parse_known_args(argv)
    args.argv = argv
    # `bundle new NAME --from B core=3.2.1`: argparse stops taking positionals after an
    # option; COMPONENT=VERSION items may come anywhere.
    items = all("=" in item and not item.startswith("-") for item in rest)
    if rest and items and isinstance(getattr(args, "pins", None), list):
        args.pins += rest
        rest = []
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    from importlib import import_module

    from ..errors import WorkspaceError

    handlers = import_module(f".{getattr(args, 'handlers', 'handlers')}", __package__)
    handler = getattr(handlers, f"cmd_{args.handler}")
    try:
        result: int = handler(args)
    except WorkspaceError as error:
        if args.debug:
            raise
        for line in str(error).splitlines():
            print(f"pytest-workspace: error: {line}", file=sys.stderr)
        return USAGE
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
