"""The ``pytest-workspace bundle ...`` and ``lock`` handlers (bundles as releases), like
:mod:`.commands`: ``(args) -> exit code``, importing what each needs when it runs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .handlers import OK, _matrix, workspace


def cmd_bundle_new(args: argparse.Namespace) -> int:
    from ..releases.bundles import new_bundle, new_pins

    matrix = _matrix(args)
    base = matrix.bundle(args.base) if args.base else None
    pins = new_pins(matrix, args.pins, base)
    allowed = new_bundle(
        matrix,
        args.name,
        pins,
        title=args.title,
        release_date=args.release_date,
        lts_until=args.lts_until,
        allow_violations=args.allow_violations,
    )
    for finding in allowed:
        print(f"{finding.level}: {finding}")
    print(f"added bundle {args.name} to {matrix.path}: {', '.join(str(pin) for pin in pins)}")
    return OK


def cmd_bundle_export(args: argparse.Namespace) -> int:
    from ..releases.bundles import export

    matrix = _matrix(args)
    print(export(matrix.bundle(args.name), args.format, matrix.lock_file(args.name)))
    return OK


def cmd_bundle_diff(args: argparse.Namespace) -> int:
    from ..loading.values import parse_upgrade_path
    from ..releases.bundles import diff

    path = parse_upgrade_path(_matrix(args), f"{args.before}:{args.after}")
    changes = diff(path.source.pins, path.target.pins)
    if args.json:
        document = {
            "from": args.before,
            "to": args.after,
            "changes": [c.as_json() for c in changes],
        }
        print(json.dumps(document, indent=2))
        return OK
    for change in changes:
        print(change)
    return OK


def cmd_lock(args: argparse.Namespace) -> int:
    from ..core.selection import select_bundles
    from ..envs.pylock import lock_bundle
    from ..envs.spec import find_interpreter

    core = workspace(args)
    matrix = core.matrix
    for bundle in select_bundles(matrix, [args.bundle]):
        for note in core.resolution_notes(bundle, locking=True):
            print(f"note: {note}", file=sys.stderr)
        lock, changed = lock_bundle(
            matrix,
            bundle,
            python=find_interpreter(bundle.python),
            index=core.index,
            exclude_newer=core.exclude_newer(bundle),
            upgrade=args.upgrade,
        )
        how = "written" if changed else "unchanged"
        print(f"{bundle.name}: {lock.path} ({len(lock.packages)} packages, {how})")
    return OK


def cmd_bundle_publish(args: argparse.Namespace) -> int:
    from ..releases.publish import build_meta_package

    core = workspace(args)
    bundle = core.matrix.bundle(args.name)
    out = args.out or Path("dist")  # where `uv build` and `python -m build` write
    for path in build_meta_package(core.matrix, bundle, out, core.index, package=args.package):
        print(path)
    return OK
