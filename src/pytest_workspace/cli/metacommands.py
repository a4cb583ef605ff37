"""The ``pytest-workspace workspace ...`` handlers (meta-repository mode), like
:mod:`.commands`: ``(args) -> exit code``, importing what each needs when it runs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from .handlers import _SETTINGS, FINDINGS, OK, _plural

if TYPE_CHECKING:
    from ..core.workspace import Workspace
    from ..meta.siblings import MetaRepository
    from ..model.matrix import Matrix


def _meta(args: argparse.Namespace) -> tuple[MetaRepository, Workspace]:
    """The meta-repository configuration, and the core with its matrix looked up from
    the meta-repository's directory (the matrix is optional for some actions)."""
    from ..core.workspace import Settings, Workspace
    from ..loading.discover import MATRIX_ENV, pytest_ini_matrix
    from ..meta.siblings import load_config

    meta = load_config(args.config)
    options = {name: getattr(args, name, None) for name in _SETTINGS}
    if not options["matrix"] and MATRIX_ENV not in os.environ:
        # The meta-repository's pytest configuration names the matrix for `pytest
        # --workspace-siblings`; these commands find the same one.
        options["matrix"] = pytest_ini_matrix(meta.root)
    settings = Settings.layered(options, rootdir=meta.root, detect_project=False)
    return meta, Workspace(settings)


def _optional_matrix(core: Workspace) -> Matrix | None:
    from ..errors import MatrixNotFound

    try:
        return core.matrix
    except MatrixNotFound:
        return None


def cmd_workspace_status(args: argparse.Namespace) -> int:
    from ..meta.siblings import inspect

    meta, core = _meta(args)
    bundle = core.matrix.bundle(args.bundle) if args.bundle else None
    pins = {pin.component: pin for pin in bundle.pins} if bundle else {}
    rows = []
    for state in inspect(meta):
        pin = pins.get(state.sibling.matrix_component)
        rows.append(
            {
                "name": state.sibling.name,
                "path": str(state.path),
                "link": str(state.link) if state.link else None,
                "present": state.present,
                "problem": state.problem,
                "toplevel": state.toplevel,
                "remote_matches": state.remote_matches,
                "branch": state.branch,
                "commit": state.commit,
                "dirty": state.dirty,
                "distribution": state.project.distribution,
                "version": state.project.version,
                "pin": str(pin.version) if pin else None,
                "swapped_in": bool(pin) and state.usable,
            }
        )
    if args.json:
        print(json.dumps({"config": str(meta.file), "siblings": rows}, indent=2))
        return OK
    print(f"{meta.file}: {_plural(len(rows), 'sibling')}")
    for row in rows:
        where = str(row["path"]) + (f" -> {row['link']}" if row["link"] else "")
        if not row["present"]:
            print(f"  {row['name']:<14} {where}: {row['problem'] or 'missing'}")
            continue
        git = "dirty" if row["dirty"] else "clean"
        head = f"{row['branch'] or 'detached'} {row['commit'] or ''}".strip()
        remote = ", origin differs from repo" if row["remote_matches"] is False else ""
        made = f"{row['distribution'] or '(no [project] name)'} {row['version'] or ''}".strip()
        pinned = f", bundle pins {row['pin']}" if row["pin"] else ""
        swap = ", swapped in" if row["swapped_in"] else ""
        problem = f" [{row['problem']}]" if row["problem"] else ""
        print(f"  {row['name']:<14} {where}: {head}, {git}{remote}; {made}{pinned}{swap}{problem}")
    return OK


def cmd_workspace_bootstrap(args: argparse.Namespace) -> int:
    from ..meta.actions import bootstrap
    from ..meta.siblings import inspect, parse_refs

    meta, _ = _meta(args)
    for step in bootstrap(meta, update=args.update, refs=parse_refs(args.ref)):
        print(step)
    dirty = [s.sibling.name for s in inspect(meta) if s.dirty]
    if args.fail_if_dirty and dirty:
        print(f"dirty siblings: {', '.join(dirty)}", file=sys.stderr)
        return FINDINGS
    return OK


def cmd_workspace_setup(args: argparse.Namespace) -> int:
    from ..envs.installers import PipInstaller
    from ..meta.actions import setup

    meta, core = _meta(args)
    constraints: list[str] = []
    index_args: list[str] = []
    if args.bundle:
        constraints = [pin.requirement for pin in core.matrix.bundle(args.bundle).pins]
    matrix = _optional_matrix(core)
    if matrix is not None or args.find_links or args.index_url or args.offline:
        index = core.settings.index.over(matrix.index) if matrix else core.settings.index
        index_args = PipInstaller.index_args(index)  # uv and pip spell these alike
    venv = args.venv or meta.root / ".venv"
    steps = setup(
        meta,
        venv,
        constraints=constraints,
        index_args=index_args,
        installer=args.installer,
        allow_missing=args.allow_missing,
    )
    for step in steps:
        print(step)
    print(venv)
    return OK


def cmd_workspace_validate(args: argparse.Namespace) -> int:
    from ..meta.actions import validate

    meta, core = _meta(args)
    venv = args.venv or meta.root / ".venv"
    findings = validate(meta, venv, matrix=_optional_matrix(core))
    for finding in findings:
        print(f"error: {finding}")
    print(f"{venv}: {_plural(len(findings), 'finding')}")
    return FINDINGS if findings else OK


def cmd_workspace_order(args: argparse.Namespace) -> int:
    from ..meta.siblings import inspect, order

    meta, _ = _meta(args)
    ordered, cycles = order([s for s in inspect(meta) if s.present])
    for state in ordered:
        print(state.sibling.name)
    for cycle in cycles:
        print(f"error: dependency cycle: {cycle}", file=sys.stderr)
    return FINDINGS if cycles else OK
