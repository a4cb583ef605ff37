"""The ``pytest-workspace`` command (``python -m pytest_workspace``).

Exit codes: 0 ok, 1 findings (an invalid matrix, failed tests), 2 usage or input
errors. A user error is printed as one line without a traceback unless ``--debug`` is
given. Only argparse is imported here, once a parser is built (an ``env`` answered from
:mod:`.memo` needs none); :mod:`.parser` builds it, :mod:`.commands` runs it.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import sys

from .commands import FINDINGS, OK, USAGE
from .parser import COMMANDS, build_parser

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["COMMANDS", "FINDINGS", "OK", "USAGE", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    from .parser import command_in

    argv = list(sys.argv[1:] if argv is None else argv)
    if command_in(argv) == "env":
        from .memo import replay

        remembered = replay(argv)
        if remembered is not None:
            return remembered
    # `bisect GOOD BAD [options] -- PYTEST ARGS`: what follows `--` is the test
    # command's, whatever it looks like.
    passed: list[str] = []
    if command_in(argv) == "bisect" and "--" in argv:
        passed = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    parser = build_parser(argv)
    args, rest = parser.parse_known_args(argv)
    args.argv = argv
    if passed:
        args.pytest_args = passed
    # `bundle new NAME --from B core=3.2.1`: argparse stops taking positionals after an
    # option; COMPONENT=VERSION items may come anywhere.
    items = all("=" in item and not item.startswith("-") for item in rest)
    if rest and items and isinstance(getattr(args, "pins", None), list):
        args.pins += rest
        rest = []
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    from ..errors import WorkspaceError

    try:
        result: int = args.run(args)
    except WorkspaceError as error:
        if args.debug:
            raise
        for line in str(error).splitlines():
            print(f"pytest-workspace: error: {line}", file=sys.stderr)
        return USAGE
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
