"""``pytest-workspace bundle new|export|diff|publish``: bundles as releases (see
:mod:`...releases`).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from . import OK, core, matrix

if TYPE_CHECKING:
    import argparse

#: :data:`...releases.bundles.EXPORT_FORMATS` (spelled here so --help imports nothing)
EXPORT_FORMATS = ("requirements", "constraints", "pylock")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..parser import actions, add_setting, date, path

    action = actions(parser)
    new_ = action("new", "check a new bundle against the rows and add it to the matrix file", new)
    new_.add_argument("name", metavar="NAME")
    new_.add_argument("pins", nargs="*", metavar="COMPONENT=VERSION", help="e.g. core=3.2.1")
    new_.add_argument("--from", dest="base", metavar="BUNDLE", help="start from its pins")
    new_.add_argument("--title", metavar="TEXT", help="the bundle's name = ... (display name)")
    new_.add_argument("--release-date", type=date, metavar="YYYY-MM-DD")
    new_.add_argument("--lts-until", type=date, metavar="YYYY-MM-DD")
    new_.add_argument(
        "--allow-violations", action="store_true", help="add it even if it breaks a row"
    )
    publish_ = action(
        "publish", "build the bundle's meta-package (wheel + sdist) to upload", publish
    )
    publish_.add_argument("name", metavar="BUNDLE")
    publish_.add_argument("--out", type=path, metavar="DIR", help="default: ./dist")
    publish_.add_argument("--package", metavar="NAME", help="default: [publish] package")
    for name in ("find_links", "index_url", "offline"):
        add_setting(publish_, name)
    export_ = action(
        "export", "print a bundle's pins as requirements, constraints or its lock", export
    )
    export_.add_argument("name", metavar="BUNDLE")
    export_.add_argument("--format", choices=EXPORT_FORMATS, default="requirements")
    diff_ = action(
        "diff", "what changes from one bundle (or component@version end) to another", diff
    )
    diff_.add_argument("before", metavar="A")
    diff_.add_argument("after", metavar="B")
    diff_.add_argument("--json", action="store_true", help="machine-readable output")


def new(args: argparse.Namespace) -> int:
    from ...releases.bundles import new_bundle, new_pins

    loaded = matrix(args)
    base = loaded.bundle(args.base) if args.base else None
    pins = new_pins(loaded, args.pins, base)
    allowed = new_bundle(
        loaded,
        args.name,
        pins,
        title=args.title,
        release_date=args.release_date,
        lts_until=args.lts_until,
        allow_violations=args.allow_violations,
    )
    for finding in allowed:
        print(f"{finding.level}: {finding}")
    print(f"added bundle {args.name} to {loaded.path}: {', '.join(str(pin) for pin in pins)}")
    return OK


def export(args: argparse.Namespace) -> int:
    from ...releases.export import export

    loaded = matrix(args)
    print(export(loaded.bundle(args.name), args.format, loaded.lock_file(args.name)))
    return OK


def diff(args: argparse.Namespace) -> int:
    from ...loading.values import parse_upgrade_path
    from ...releases.diff import diff as changes

    path = parse_upgrade_path(matrix(args), f"{args.before}:{args.after}")
    found = changes(path.source.pins, path.target.pins)
    if args.json:
        document = {
            "from": args.before,
            "to": args.after,
            "changes": [c.as_json() for c in found],
        }
        print(json.dumps(document, indent=2))
        return OK
    for change in found:
        print(change)
    return OK


def publish(args: argparse.Namespace) -> int:
    from ...releases.publish import build_meta_package

    here = core(args)
    bundle = here.matrix.bundle(args.name)
    out = args.out or Path("dist")  # where `uv build` and `python -m build` write
    for path in build_meta_package(here.matrix, bundle, out, here.index, package=args.package):
        print(path)
    return OK
