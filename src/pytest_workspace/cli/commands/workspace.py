"""``pytest-workspace workspace status|bootstrap|setup|validate|order``: the
meta-repository's sibling checkouts (see :mod:`...meta`).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from . import FINDINGS, OK, layer, plural

if TYPE_CHECKING:
    import argparse

    from ...core.workspace import Workspace
    from ...meta.config import MetaRepository
    from ...model.matrix import Matrix


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..parser import actions, add_setting, path

    def config(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument(
            "--config",
            type=path,
            metavar="PATH",
            help="the meta-repository's workspace.toml or wrknv.toml (default: the nearest "
            "one from the current directory upwards)",
        )
        return sub

    action = actions(parser)
    status_ = config(
        action("status", "one row per sibling: path, git state, version, the bundle's pin", status)
    )
    status_.add_argument(
        "--bundle", metavar="BUNDLE", help="show this bundle's pins (default: [workspace] bundle)"
    )
    status_.add_argument("--json", action="store_true", help="machine-readable output")
    boot = config(
        action("bootstrap", "clone the missing siblings; never touch an existing one", bootstrap)
    )
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
        metavar="[NAME=]BRANCH[,...]",
        help="check out BRANCH in a fresh clone of sibling NAME (repeatable, or comma-separated "
        "as `ci-matrix --sibling-refs` emits them); without NAME=, in every sibling whose "
        "repository has BRANCH, the others on their own ref",
    )
    boot.add_argument("names", nargs="*", metavar="NAME", help="only these siblings (default: all)")
    boot.add_argument(
        "--depends-on",
        metavar="TEXT",
        help="check out the refs its Depends-On: trailers name (a commit message or pull "
        "request body; @FILE or - reads it), in fresh clones or clean checkouts",
    )
    setup_ = config(
        action("setup", "one shared env with every present sibling installed editable", setup)
    )
    setup_.add_argument(
        "--bundle",
        metavar="BUNDLE",
        help="constrain the rest to its pins (default: [workspace] bundle, if any)",
    )
    setup_.add_argument(
        "--venv",
        type=path,
        metavar="PATH",
        help="default: [workspace] venv, else .venv beside the config",
    )
    setup_.add_argument(
        "--python",
        metavar="VERSION",
        help="the shared env's Python (default: the bundle's python, else [workspace] "
        "python, else the running one)",
    )
    for name in ("find_links", "index_url", "offline", "installer"):
        add_setting(setup_, name)
    setup_.add_argument(
        "--allow-missing",
        action="store_true",
        help="set up the present siblings when some are missing (default: refuse)",
    )
    validate_ = config(
        action("validate", "check the shared env: Python, editables, imports, rows", validate)
    )
    validate_.add_argument("--venv", type=path, metavar="PATH", help="default: .venv")
    config(action("order", "print the siblings in dependency order", order))
    affected_ = config(
        action(
            "affected",
            "the siblings whose suites must run when NAME changed (its dependents too)",
            affected,
        )
    )
    affected_.add_argument("names", nargs="+", metavar="NAME")
    affected_.add_argument("--json", action="store_true", help="machine-readable output")


def _meta(args: argparse.Namespace) -> tuple[MetaRepository, Workspace]:
    """The meta-repository configuration, and the core with its matrix looked up from
    the meta-repository's directory (the matrix is optional for some actions)."""
    from ...core.workspace import Settings, Workspace
    from ...loading.discover import pytest_ini_layer
    from ...meta.config import load_config
    from ...settings import environment_layer

    meta = load_config(args.config)
    for warning in meta.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    # The meta-repository's pytest configuration names the matrix for `pytest
    # --workspace-siblings` (and the index options); these commands read the same.
    settings = Settings.layered(
        layer(args),
        environment_layer(),
        pytest_ini_layer(meta.root),
        rootdir=meta.root,
        detect_project=False,
    )
    return meta, Workspace(settings)


def _optional_matrix(core: Workspace) -> Matrix | None:
    from ...errors import MatrixNotFound

    try:
        return core.matrix
    except MatrixNotFound:
        return None


def status(args: argparse.Namespace) -> int:
    from ...meta.state import inspect

    meta, core = _meta(args)
    chosen = args.bundle or meta.bundle
    bundle = core.matrix.bundle(chosen) if chosen else None
    pins = {pin.component: pin for pin in bundle.pins} if bundle else {}
    rows = []
    from ...meta.actions import depends_recorded
    from ...meta.git import describe

    depending = depends_recorded(meta)
    for state in inspect(meta):
        pin = pins.get(state.sibling.matrix_component)
        version = state.project.version
        tag = describe(state.real) if state.toplevel and version is None else None
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
                "version": version,
                # a version that comes from git tags (setuptools-scm, hatch-vcs)
                "git_describe": tag,
                # the Depends-On: ref bootstrap checked out, while HEAD is still there
                "depends_on": (
                    depending[state.sibling.name]["ref"]
                    if state.sibling.name in depending
                    and state.commit == depending[state.sibling.name]["commit"]
                    else None
                ),
                "pin": str(pin.version) if pin else None,
                "swapped_in": bool(pin) and state.usable,
            }
        )
    if args.json:
        print(json.dumps({"config": str(meta.file), "siblings": rows}, indent=2))
        return OK
    print(f"{meta.file}: {plural(len(rows), 'sibling')}")
    for row in rows:
        where = str(row["path"]) + (f" -> {row['link']}" if row["link"] else "")
        if not row["present"] or not row["toplevel"]:
            # Refused (not its own git top level, a link into this repository...):
            # nothing was asked of git or its project file.
            why = row["problem"] or ("missing" if not row["present"] else "not looked at")
            print(f"  {row['name']:<14} {where}: {why}")
            continue
        git = "dirty" if row["dirty"] else "clean"
        head = f"{row['branch'] or 'detached'} {row['commit'] or ''}".strip()
        if row["depends_on"]:
            head += f" (Depends-On {row['depends_on']})"
        remote = ", origin differs from repo" if row["remote_matches"] is False else ""
        tagged = f"from git tag {row['git_describe']}" if row["git_describe"] else ""
        shown = row["version"] or tagged
        made = f"{row['distribution'] or '(no [project] name)'} {shown}".strip()
        pinned = f", bundle pins {row['pin']}" if row["pin"] else ""
        swap = ", swapped in" if row["swapped_in"] else ""
        problem = f" [{row['problem']}]" if row["problem"] else ""
        print(f"  {row['name']:<14} {where}: {head}, {git}{remote}; {made}{pinned}{swap}{problem}")
    return OK


def bootstrap(args: argparse.Namespace) -> int:
    from ...meta.actions import bootstrap, serialised
    from ...meta.config import parse_refs
    from ...meta.state import inspect

    meta, _ = _meta(args)
    depends = None
    if args.depends_on is not None:
        from ...meta.depends import depends_on, read_text

        depends = depends_on(meta, read_text(args.depends_on))
    failed = []
    with serialised(meta, "bootstrap"):
        steps = bootstrap(
            meta, update=args.update, refs=parse_refs(args.ref), only=args.names, depends=depends
        )
        for step in steps:
            print(step, flush=True)
            if step.action == "failed":
                failed.append(step.name)
    dirty = [s.sibling.name for s in inspect(meta) if s.dirty]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return FINDINGS
    if args.fail_if_dirty and dirty:
        print(f"dirty siblings: {', '.join(dirty)}", file=sys.stderr)
        return FINDINGS
    return OK


def setup(args: argparse.Namespace) -> int:
    from ...envs.installers import PipInstaller
    from ...meta import actions

    meta, core = _meta(args)
    chosen = args.bundle or meta.bundle
    bundle = core.matrix.bundle(chosen) if chosen else None
    plan = core.install_plan(bundle, sources={}) if bundle else None
    python = args.python or (bundle.python if bundle else None) or meta.python
    index_args: list[str] = []
    matrix = _optional_matrix(core)
    if matrix is not None or args.find_links or args.index_url or args.offline:
        index = core.settings.index.over(matrix.index) if matrix else core.settings.index
        index_args = PipInstaller.index_args(index)  # uv and pip spell these alike
    venv = args.venv or meta.root / (meta.venv or ".venv")
    with actions.serialised(meta, "setup"):
        steps = actions.setup(
            meta,
            venv,
            plan=plan,
            index_args=index_args,
            installer=args.installer,
            allow_missing=args.allow_missing,
            python=python,
        )
    for step in steps:
        print(step)
    print(venv)
    return OK


def validate(args: argparse.Namespace) -> int:
    from ...meta.actions import validate

    meta, core = _meta(args)
    venv = args.venv or meta.root / (meta.venv or ".venv")
    findings = validate(meta, venv, matrix=_optional_matrix(core))
    for finding in findings:
        print(f"error: {finding}")
    print(f"{venv}: {plural(len(findings), 'finding')}")
    return FINDINGS if findings else OK


def order(args: argparse.Namespace) -> int:
    from ...meta.order import order
    from ...meta.state import inspect

    meta, _ = _meta(args)
    ordered, cycles = order([s for s in inspect(meta) if s.present])
    for state in ordered:
        print(state.sibling.name)
    for cycle in cycles:
        print(f"error: dependency cycle: {cycle}", file=sys.stderr)
    return FINDINGS if cycles else OK


def affected(args: argparse.Namespace) -> int:
    from ...meta.depends import affected as affected_by
    from ...meta.state import inspect

    meta, _ = _meta(args)
    found = affected_by(inspect(meta), args.names)
    if args.json:
        rows = [{"name": s.sibling.name, "component": s.sibling.matrix_component} for s in found]
        print(json.dumps(rows, indent=2))
        return OK
    for state in found:
        print(state.sibling.name)
    return OK
