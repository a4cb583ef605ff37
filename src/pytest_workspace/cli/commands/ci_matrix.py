"""``pytest-workspace ci-matrix``: the bundles (and upgrade paths) as CI jobs."""

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
    common = {"sibling_refs": _sibling_refs(args)} if args.sibling_refs else None
    print(ci_matrix(bundles, args.format, upgrades=paths, common=common))
    return OK


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
    return ",".join(f"{name}={ref}" for name, ref in refs.items())


def ci_matrix(
    bundles: Sequence[Bundle],
    fmt: str = "github",
    upgrades: Sequence[UpgradePath] = (),
    common: Mapping[str, str] | None = None,
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
