"""``pytest-workspace explore floor|latest|pairs|upgrades``: combinations and upgrade
paths nobody wrote down that the rows allow (the algorithms: :mod:`...model.explore`).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from . import FINDINGS, OK, core

if TYPE_CHECKING:
    import argparse

    from ...model.explore import Explored, Space


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..parser import actions, add_setting

    action = actions(parser)
    floor = action(
        "floor",
        "the lowest releases the rows allow together (from the index or find-links)",
        run_floor,
    )
    latest = action(
        "latest", "the highest releases the rows allow together (from the index)", run_latest
    )
    pairs = action(
        "pairs",
        "a small set of legal combinations holding every pair of candidate versions",
        run_pairs,
    )
    pairs.add_argument(
        "--from-index",
        action="store_true",
        help="candidates: every release on the index or find-links too (default: the "
        "versions the matrix names)",
    )
    pairs.add_argument(
        "--strength", type=int, default=2, metavar="T", help="cover every T-tuple (default: 2)"
    )
    upgrades = action("upgrades", "upgrade paths from the bundles' release dates", run_upgrades)
    upgrades.add_argument("--downgrades", action="store_true", help="each path reversed, too")
    for sub in (floor, latest, pairs):
        sub.add_argument("--pre", action="store_true", help="pre-releases are candidates too")
        for name in ("find_links", "index_url", "offline"):
            add_setting(sub, name)
    for sub in (floor, latest, pairs, upgrades):
        sub.add_argument("--json", action="store_true", help="machine-readable output")


def _pins_json(found: Explored) -> dict[str, Any]:
    return {"spec": found.spec, "pins": found.versions()}


def _extreme(args: argparse.Namespace, which: str) -> int:
    from ...model.explore import NoLegalCombination

    space, notes = core(args).explore(from_index=True, only_index=True, pre=args.pre)
    for note in notes:
        print(note, file=sys.stderr)
    try:
        found = space.floor() if which == "floor" else space.latest()
    except NoLegalCombination as error:
        print(f"error: no legal {which}: {error}", file=sys.stderr)
        for conflict in error.conflicts:
            print(f"error: {conflict}", file=sys.stderr)
        return FINDINGS
    if args.json:
        candidates = {
            key: [str(p.version) for p in pins] for key, pins in zip(space.keys, space.pins)
        }
        print(json.dumps({**_pins_json(found), "candidates": candidates, "notes": notes}, indent=2))
        return OK
    width = max(len(key) for key in space.keys)
    for key, pin, domain in zip(space.keys, found.pins, space.pins):
        print(f"{key:<{width}}  {pin.version}  (of {len(domain)} candidates)")
    print(found.spec)
    return OK


def run_floor(args: argparse.Namespace) -> int:
    return _extreme(args, "floor")


def run_latest(args: argparse.Namespace) -> int:
    return _extreme(args, "latest")


def covering(args: argparse.Namespace) -> tuple[Space, list[Explored], list[str]]:
    """The pairs (t-tuples) covering set of ``explore pairs`` and ``ci-matrix
    --explore pairs``, with the notes on what could not be asked."""
    from ...errors import SelectionError

    if args.strength < 1:
        raise SelectionError(f"--strength: expected 1 or more, got {args.strength}")
    space, notes = core(args).explore(from_index=args.from_index, pre=args.pre)
    return space, space.covering(args.strength), notes


def run_pairs(args: argparse.Namespace) -> int:
    space, found, notes = covering(args)
    for note in notes:
        print(note, file=sys.stderr)
    legal, exact = space.count()
    counted = f"{legal}" if exact else f"more than {legal - 1}"
    if args.json:
        print(
            json.dumps(
                {
                    "strength": args.strength,
                    "combinations": [
                        {"name": f"pairs-{n}", **_pins_json(c)} for n, c in enumerate(found, 1)
                    ],
                    "legal": legal,
                    "legal_exact": exact,
                    "product": space.product(),
                    "notes": notes,
                },
                indent=2,
            )
        )
        return OK
    for number, combination in enumerate(found, 1):
        print(f"pairs-{number}  {combination.spec}")
    what = "pair" if args.strength == 2 else f"{args.strength}-tuple"
    print(
        f"{len(found)} combinations hold every {what} of candidate versions the rows allow "
        f"together; the legal product has {counted} of {space.product()}",
        file=sys.stderr,
    )
    return OK


def run_upgrades(args: argparse.Namespace) -> int:
    from ...model.explore import derived_upgrades, released

    found = core(args).matrix
    paths = derived_upgrades(found, downgrades=args.downgrades)
    rank = {bundle.name: n for n, bundle in enumerate(released(found))}
    declared = {path.id for path in found.upgrades}
    rows = []
    for path in paths:
        step = rank[str(path.target.bundle)] - rank[str(path.source.bundle)]
        kind = {1: "next release", 2: "skip-level"}[abs(step)]
        rows.append(
            {"path": path.id, "kind": kind, "downgrade": step < 0, "declared": path.id in declared}
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return OK
    width = max((len(str(row["path"])) for row in rows), default=0)
    for row in rows:
        what = ("downgrade, " if row["downgrade"] else "") + str(row["kind"])
        print(f"{row['path']:<{width}}  ({what}{', declared' if row['declared'] else ''})")
    if not rows:
        print("no upgrade paths: the matrix has fewer than two bundles", file=sys.stderr)
    return OK
