"""The ``pytest-workspace`` subcommands, one small handler each: ``(args) -> exit code``.

Each handler imports what it needs when it runs, so ``--help`` and a cheap subcommand
never pay for the installers, the cache or ``importlib.metadata``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidMatrixError, SelectionError, WorkspaceError

if TYPE_CHECKING:
    from ..core.workspace import Workspace
    from ..model.matrix import Bundle, Matrix, Notice, Pin

OK, FINDINGS, USAGE = 0, 1, 2


def workspace(args: argparse.Namespace) -> Workspace:
    """The core, with this command line's settings (option > environment > matrix)."""
    from ..core.workspace import Settings, Workspace

    options = {name: getattr(args, name, None) for name in _SETTINGS}
    options["editable"] = not getattr(args, "no_editable", False)
    options["sources"] = getattr(args, "source", None)
    # The CLI builds what it is told; only pytest swaps in the project under test.
    return Workspace(Settings.layered(options, detect_project=False))


_SETTINGS = ("matrix", "installer", "cache", "index_url", "find_links", "offline", "strict")


def _matrix(args: argparse.Namespace) -> Matrix:
    return workspace(args).matrix


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def cmd_check(args: argparse.Namespace) -> int:
    from ..model.matrix import Notice

    try:
        matrix = _matrix(args)
    except InvalidMatrixError as problems:
        notices = [Notice("error", "", str(error)) for error in problems.errors]
        _print_check(args, None, notices, errors=len(notices))
        return USAGE
    from ..envs.pylock import lock_notices
    from ..model.envnames import collision_notices
    from ..model.validity import check_matrix

    notices = check_matrix(matrix, args.today) + collision_notices(matrix) + lock_notices(matrix)
    if args.strict:
        notices = [
            Notice("error", n.key, n.message) if n.level == "warning" else n for n in notices
        ]
    errors = sum(notice.level == "error" for notice in notices)
    _print_check(args, matrix, notices, errors=errors)
    return FINDINGS if errors else OK


def _print_check(
    args: argparse.Namespace, matrix: Matrix | None, notices: list[Notice], *, errors: int
) -> None:
    warnings = sum(notice.level == "warning" for notice in notices)
    if args.json:
        document: dict[str, Any] = {
            "matrix": str(matrix.path) if matrix else None,
            "valid": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "bundles": list(matrix.bundles) if matrix else [],
            "upgrades": [path.id for path in matrix.upgrades] if matrix else [],
            "notices": [{"level": n.level, "key": n.key, "message": n.message} for n in notices],
        }
        print(json.dumps(document, indent=2))
        return
    prefix = f"{matrix.path}: " if matrix else ""
    for notice in notices:
        print(f"{notice.level}: {prefix}{notice}")
    if matrix is not None:
        print(
            f"{matrix.path}: {_plural(len(matrix.bundles), 'bundle')}, "
            f"{_plural(len(matrix.upgrades), 'upgrade path')}; "
            f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
        )


def cmd_bundles(args: argparse.Namespace) -> int:
    matrix = _matrix(args)
    if args.json:
        print(json.dumps([_bundle_json(bundle) for bundle in matrix.bundles.values()], indent=2))
        return OK
    width = max((len(name) for name in matrix.bundles), default=0)
    for bundle in matrix.bundles.values():
        pins = ", ".join(str(pin) for pin in bundle.pins)
        print(f"{bundle.name:<{width}}  {pins}")
    return OK


def _bundle_json(bundle: Bundle) -> dict[str, Any]:
    return {
        "name": bundle.name,
        "title": bundle.title,
        "description": bundle.description,
        "release-date": bundle.release_date.isoformat() if bundle.release_date else None,
        "lts-until": bundle.lts_until.isoformat() if bundle.lts_until else None,
        "python": bundle.python,
        "pins": bundle.versions(),
        "requirements": [pin.requirement for pin in bundle.pins],
    }


def cmd_show(args: argparse.Namespace) -> int:
    from ..model.validity import check_pins

    matrix = _matrix(args)
    bundle = matrix.bundle(args.bundle)
    print(f"{bundle.name}" + (f"  ({bundle.title})" if bundle.title else ""))
    for label, value in (
        ("released", bundle.release_date),
        ("lts until", bundle.lts_until),
        ("python", bundle.python),
    ):
        if value is not None:
            print(f"  {label}: {value}")
    print("pins:")
    width = max(len(pin.key) for pin in bundle.pins)
    for pin in bundle.pins:
        print(f"  {pin.key:<{width}}  {pin.version!s:<10} {pin.requirement}")
    print("rows:")
    for pin in bundle.pins:
        rule, inherited = matrix.rule_for(pin.component, pin.version)
        if rule is None:
            print(f"  {pin}: no row")
            continue
        how = " (inherited)" if inherited else ""
        clauses = "; ".join(requirement.text for requirement in rule.requires) or "(empty)"
        print(f"  {pin}: {rule.key}{how}: {clauses}")
    findings = [n for n in check_pins(matrix, bundle.pins, bundle.key) if n.level != "info"]
    for notice in findings:
        print(f"{notice.level}: {notice}")
    return FINDINGS if any(n.level == "error" for n in findings) else OK


def cmd_ci_matrix(args: argparse.Namespace) -> int:
    from ..core.selection import select_bundles, select_upgrades
    from ..results.render import ci_matrix

    if args.ref and not args.sibling_refs:
        raise SelectionError("--ref needs --sibling-refs")
    matrix = _matrix(args)
    bundles = list(select_bundles(matrix, [args.bundles]))
    paths = list(select_upgrades(matrix, [args.upgrade_paths])) if args.upgrade_paths else []
    if args.changed:
        known = {pin.component for b in matrix.bundles.values() for pin in b.pins}
        known |= {pin.distribution for b in matrix.bundles.values() for pin in b.pins}
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
    from ..meta.siblings import load_config, parse_refs

    meta = load_config(args.config)
    refs = {sibling.name: sibling.ref for sibling in meta.siblings if sibling.ref}
    for name, ref in parse_refs(args.ref).items():
        refs[meta.sibling(name).name] = ref
    return ",".join(f"{name}={ref}" for name, ref in refs.items())


def cmd_report(args: argparse.Namespace) -> int:
    from ..loading.discover import find_matrix
    from ..loading.matrixfile import load_matrix
    from ..results.records import read_results
    from ..results.render import merge, render_html, render_markdown

    files = []
    for path in args.results:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as error:
            raise WorkspaceError(f"{path}: cannot read results JSON: {error}") from None
        files.append(read_results(document, str(path)))
    declared_bundles: dict[str, str] = {}
    declared_paths: dict[str, str] = {}
    matrix_path = args.matrix or next(
        (f.matrix for f in files if f.matrix and Path(f.matrix).is_file()), None
    )
    if matrix_path is not None or args.matrix is None:
        try:
            matrix = load_matrix(find_matrix(matrix_path))
        except WorkspaceError:
            if args.matrix:
                raise
        else:
            declared_bundles = {
                name: ", ".join(str(pin) for pin in bundle.pins)
                for name, bundle in matrix.bundles.items()
            }
            declared_paths = {p.id: f"{p.source.label} → {p.target.label}" for p in matrix.upgrades}
    merged = merge(files, declared_bundles, declared_paths)
    markdown = render_markdown(merged, args.title)
    if args.markdown:
        Path(args.markdown).write_text(markdown, encoding="utf-8")
    if args.html:
        Path(args.html).write_text(render_html(merged, args.title), encoding="utf-8")
    if not (args.markdown or args.html):
        print(markdown, end="")
    else:
        print(merged.headline())
    for problem in merged.problems():
        print(problem, file=sys.stderr)
    if args.require_all and not merged.complete:
        missing = ", ".join(row.name for row in merged.rows if row.verdict is None)
        print(f"not run: {missing}", file=sys.stderr)
        return FINDINGS
    return OK if merged.ok else FINDINGS


def cmd_env(args: argparse.Namespace) -> int:
    core = workspace(args)
    notes = []
    if args.combination:
        bundle, problems = core.combination(args.combination)
        notes += [f"{notice.level}: {notice}" for notice in problems]
        if args.strict and problems:
            print(*notes, sep="\n", file=sys.stderr)
            return FINDINGS
    elif args.bundle:
        bundle = core.matrix.bundle(args.bundle)
    else:
        raise SelectionError("env needs a BUNDLE or --combination SPEC")
    notes += [f"note: {note}" for note in core.resolution_notes(bundle)]
    if notes:
        print(*notes, sep="\n", file=sys.stderr)
    started = time.perf_counter()
    env = core.env(bundle, rebuild_before=time.time() if args.rebuild else None)
    what = "built" if env.fresh else "reused"
    print(
        f"{what} env {env.spec.label} with {core.installer.name} in "
        f"{time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )
    print(env.path)
    if not args.rebuild:
        from .memo import remember

        remember(args.argv, core, bundle, env, notes)
    return OK
