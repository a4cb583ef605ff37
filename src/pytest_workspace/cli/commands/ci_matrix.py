"""``pytest-workspace ci-matrix``: the bundles (and upgrade paths) as CI jobs.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ...errors import SelectionError
from . import OK, matrix

if TYPE_CHECKING:
    import argparse

    from ...model.matrix import Bundle, Pin, UpgradePath

#: GitHub Actions (``strategy.matrix``) and GitLab (``parallel: matrix:``)
FORMATS = ("github", "gitlab")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..parser import path

    parser.add_argument("--format", choices=FORMATS, default="github")
    parser.add_argument("--bundles", default="all", metavar="GLOB", help="only matching bundles")
    parser.add_argument(
        "--upgrade-paths",
        nargs="?",
        const="all",
        metavar="GLOB",
        help="add upgrade-path jobs (all, or those matching GLOB)",
    )
    parser.add_argument(
        "--changed",
        nargs="+",
        metavar="COMPONENT",
        default=[],
        help="only bundles and paths containing these components (names or distributions)",
    )
    parser.add_argument(
        "--sibling-refs",
        action="store_true",
        help="add each job's sibling refs (workspace.toml's ref, overridden by --ref) "
        "for `workspace bootstrap --ref`",
    )
    parser.add_argument(
        "--ref",
        action="append",
        default=[],
        metavar="[NAME=]BRANCH[,...]",
        help="with --sibling-refs: this sibling's branch in every job (repeatable); without "
        "NAME=, every sibling whose repository has BRANCH (the others keep their ref)",
    )
    parser.add_argument(
        "--config",
        type=path,
        metavar="PATH",
        help="with --sibling-refs: workspace.toml or wrknv.toml (default: found upwards)",
    )
    from ..parser import add_setting

    parser.add_argument(
        "--depends-on",
        metavar="TEXT",
        help="with --sibling-refs: the refs of its Depends-On: trailers (@FILE or - reads it)",
    )
    parser.add_argument(
        "--affected-by",
        nargs="+",
        default=[],
        metavar="SIBLING",
        help="only jobs whose bundle pins a sibling affected by these (them, and who "
        "depends on them: `workspace affected`)",
    )
    parser.add_argument(
        "--explore",
        choices=["pairs"],
        help="add jobs for the combinations of `explore pairs` (field `combination`; "
        "several joined by ';' when packed)",
    )
    parser.add_argument("--strength", type=int, default=2, metavar="T", help="with --explore")
    parser.add_argument("--from-index", action="store_true", help="with --explore")
    parser.add_argument("--pre", action="store_true", help="with --explore")
    parser.add_argument(
        "--max-jobs",
        type=int,
        default=256,
        metavar="N",
        help="pack explored combinations so that there are at most N jobs (default: 256, "
        "GitHub's limit)",
    )
    for name in ("find_links", "index_url", "offline"):
        add_setting(parser, name)


def run(args: argparse.Namespace) -> int:
    from ...core.selection import select_bundles, select_upgrades

    if args.ref and not args.sibling_refs:
        raise SelectionError("--ref needs --sibling-refs")
    found = matrix(args)
    bundles = list(select_bundles(found, [args.bundles]))
    paths = list(select_upgrades(found, [args.upgrade_paths])) if args.upgrade_paths else []
    if args.changed:
        known = {pin.component for b in found.bundles.values() for pin in b.pins}
        known |= {pin.distribution for b in found.bundles.values() for pin in b.pins}
        unknown = [name for name in args.changed if name not in known]
        if unknown:
            raise SelectionError(
                f"--changed: unknown component {unknown[0]!r}; known: {', '.join(sorted(known))}"
            )

        def touches(pins: Sequence[Pin]) -> bool:
            return any(
                name in (pin.component, pin.distribution) for pin in pins for name in args.changed
            )

        bundles = [bundle for bundle in bundles if touches(bundle.pins)]
        paths = [p for p in paths if touches(p.source.pins) or touches(p.target.pins)]
    if args.affected_by:
        from ...meta.config import load_config
        from ...meta.depends import affected
        from ...meta.state import inspect

        reached = {
            state.sibling.matrix_component
            for state in affected(inspect(load_config(args.config)), args.affected_by)
        }
        bundles = [b for b in bundles if any(pin.component in reached for pin in b.pins)]
        paths = [
            p
            for p in paths
            if any(pin.component in reached for pin in (*p.source.pins, *p.target.pins))
        ]
    if args.depends_on and not args.sibling_refs:
        raise SelectionError("--depends-on needs --sibling-refs")
    common = {"sibling_refs": _sibling_refs(args)} if args.sibling_refs else None
    explored: list[tuple[str, str]] = []
    if args.explore:
        from .explore import covering

        _, found_combinations, notes = covering(args)
        for note in notes:
            print(note, file=sys.stderr)
        room = args.max_jobs - len(bundles) - len(paths)
        if room < 1 and found_combinations:
            raise SelectionError(
                f"--max-jobs {args.max_jobs}: the {len(bundles) + len(paths)} bundle and "
                "upgrade-path jobs leave no room for explored combinations"
            )
        explored = pack([c.spec for c in found_combinations], room, args.explore)
    print(ci_matrix(bundles, args.format, upgrades=paths, common=common, explored=explored))
    return OK


def pack(specs: Sequence[str], room: int, name: str) -> list[tuple[str, str]]:
    """The combinations as jobs ``(name-N, spec[;spec...])``: one per job while they
    fit in ``room`` jobs, else as evenly as may be, in order."""
    jobs = min(len(specs), max(room, 1))
    packed: list[tuple[str, str]] = []
    for number in range(jobs):
        share = specs[number * len(specs) // jobs : (number + 1) * len(specs) // jobs]
        packed.append((f"{name}-{number + 1}", ";".join(share)))
    return packed


def _sibling_refs(args: argparse.Namespace) -> str:
    """``core=feature-x,platform=main``: each sibling's ``ref`` from the configuration,
    overridden by ``--ref``; siblings with neither clone their default branch."""
    from ...meta.config import EVERY, load_config, parse_refs
    from ...meta.git import has_branch

    meta = load_config(args.config)
    refs = {sibling.name: sibling.ref for sibling in meta.siblings if sibling.ref}
    given = parse_refs(args.ref)
    branch = given.pop(EVERY, None)
    if branch is not None:
        # A branch that spans only some repositories: where it exists (asked now, so
        # every job checks out the same), elsewhere each sibling's own ref.
        for sibling in meta.siblings:
            remote = meta.remote(sibling)
            if remote and has_branch(remote, branch):
                refs[sibling.name] = branch
            else:
                own = sibling.ref or "its default branch"
                print(f"note: {sibling.name} has no branch {branch}: {own}", file=sys.stderr)
    for name, ref in given.items():
        refs[meta.sibling(name).name] = ref
    if args.depends_on:
        from ...meta.depends import depends_on, read_text

        refs.update(depends_on(meta, read_text(args.depends_on)))
    return ",".join(f"{name}={ref}" for name, ref in refs.items())


def ci_matrix(
    bundles: Sequence[Bundle],
    fmt: str = "github",
    upgrades: Sequence[UpgradePath] = (),
    common: Mapping[str, str] | None = None,
    explored: Sequence[tuple[str, str]] = (),
) -> str:
    """The bundles (and upgrade paths) as a CI job matrix.

    ``github`` is one line of JSON for ``strategy.matrix: ${{ fromJSON(...) }}``: one
    ``{"bundle": ...}`` entry per bundle, one ``{"upgrade_path": ...}`` per path (pytest
    ignores an empty ``--bundle=``/``--upgrade-path=``, so one job template serves
    both). ``gitlab`` is a ``parallel: matrix:`` fragment (JSON strings are valid YAML).
    ``common`` fields (``sibling_refs``) are added to every job.
    """
    from ...model.envnames import tox_bundle_env, tox_upgrade_env

    entries = [{"bundle": b.name, "tox_env": tox_bundle_env(b)} for b in bundles]
    entries += [{"upgrade_path": p.id, "tox_env": tox_upgrade_env(p)} for p in upgrades]
    # pytest --combination="${{ matrix.combination }}" (';' separates packed ones)
    entries += [{"name": name, "combination": spec} for name, spec in explored]
    for entry in entries:
        entry.update(common or {})
    if fmt == "github":
        return json.dumps({"include": entries})
    if fmt == "gitlab":
        # One entry per job: variables listed together in one entry would multiply.
        lines = ["parallel:", "  matrix:"]
        for entry in entries:
            first, *rest = entry.items()
            lines.append(f"    - {first[0].upper()}: {json.dumps(first[1])}")
            lines.extend(f"      {key.upper()}: {json.dumps(value)}" for key, value in rest)
        return "\n".join(lines)
    raise ValueError(f"expected a CI format, one of {', '.join(FORMATS)}, got {fmt!r}")
