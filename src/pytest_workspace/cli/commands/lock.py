"""``pytest-workspace lock [BUNDLE|GLOB|all]``: resolve bundles into PEP 751 lock files
(``locks/pylock.<bundle>.toml``), with uv.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from . import OK, core

if TYPE_CHECKING:
    import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..parser import add_setting

    parser.add_argument("bundle", metavar="BUNDLE|GLOB", nargs="?", default="all")
    parser.add_argument(
        "--upgrade", action="store_true", help="take the newest allowed dependency versions"
    )
    for name in ("find_links", "index_url", "offline"):
        add_setting(parser, name)


def run(args: argparse.Namespace) -> int:
    from ...core.selection import select_bundles
    from ...envs.interpreters import find_interpreter
    from ...releases.lock import lock_bundle

    here = core(args)
    matrix = here.matrix
    for bundle in select_bundles(matrix, [args.bundle]):
        for note in here.resolution_notes(bundle, locking=True):
            print(f"note: {note}", file=sys.stderr)
        lock, changed = lock_bundle(
            matrix,
            bundle,
            python=find_interpreter(bundle.python),
            index=here.index,
            exclude_newer=here.exclude_newer(bundle),
            upgrade=args.upgrade,
        )
        how = "written" if changed else "unchanged"
        print(f"{bundle.name}: {lock.path} ({len(lock.packages)} packages, {how})")
    return OK
