"""``pytest-workspace env BUNDLE | --combination SPEC``: build (or reuse) an env and
print its path last (progress goes to stderr), so ``$(pytest-workspace env B)/bin/python``
works. A repeated cache hit is answered from :mod:`..memo` without loading the matrix.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import sys
import time

from ...errors import SelectionError
from . import FINDINGS, OK, core

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..parser import add_setting

    parser.add_argument("bundle", metavar="BUNDLE", nargs="?")
    parser.add_argument("--combination", metavar="SPEC", help="e.g. core=3.1.5,platform=2.4.8")
    add_setting(parser, "strict", help="refuse an invalid combination")
    add_setting(parser, "sources", help="install COMPONENT from a local checkout (repeatable)")
    parser.add_argument("--no-editable", action="store_true", help="install sources as snapshots")
    add_setting(parser, "rebuild", help="ignore a cached env")
    for name in ("find_links", "index_url", "offline", "installer", "cache"):
        add_setting(parser, name)


def run(args: argparse.Namespace) -> int:
    here = core(args)
    notes = []
    if args.combination:
        bundle, problems = here.combination(args.combination)
        notes += [f"{notice.level}: {notice}" for notice in problems]
        if args.strict and problems:
            print(*notes, sep="\n", file=sys.stderr)
            return FINDINGS
    elif args.bundle:
        bundle = here.matrix.bundle(args.bundle)
    else:
        raise SelectionError("env needs a BUNDLE or --combination SPEC")
    notes += [f"note: {note}" for note in here.resolution_notes(bundle)]
    if notes:
        print(*notes, sep="\n", file=sys.stderr)
    started = time.perf_counter()
    env = here.env(bundle, rebuild_before=time.time() if args.rebuild else None)
    what = "rebuilt" if env.rebuilt else "built" if env.fresh else "reused"
    why = f": it had changed since its build ({env.rebuilt})" if env.rebuilt else ""
    print(
        f"{what} env {env.spec.label} with {here.installer.name} in "
        f"{time.perf_counter() - started:.2f} s{why}",
        file=sys.stderr,
    )
    print(env.path)
    if not args.rebuild:
        from ..memo import remember

        remember(args.argv, here, bundle, env, notes)
    return OK
