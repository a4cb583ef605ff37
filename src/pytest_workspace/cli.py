"""The ``pytest-workspace`` command: one small handler per subcommand.

Exit codes: 0 ok, 1 findings (an invalid matrix), 2 usage or input errors. A user
error is printed as one line without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .envs import EnvCache
from .errors import MatrixErrors, SelectionError, WorkspaceError
from .installers import INSTALLERS, get_installer
from .matrix import Bundle, Matrix, Notice, Pin, find_matrix, load_matrix
from .report import CI_FORMATS, ci_matrix, merge, render_html, render_markdown
from .resolve import IndexOptions, parse_sources, resolve

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]
OK, FINDINGS, USAGE = 0, 1, 2


def _matrix(args: argparse.Namespace) -> Matrix:
    return load_matrix(find_matrix(args.matrix))


def _today(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# -- handlers ----------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    try:
        path = find_matrix(args.matrix)
        matrix = load_matrix(path)
    except MatrixErrors as problems:
        notices = [Notice("error", "", str(error)) for error in problems.errors]
        _print_check(args, None, notices, errors=len(notices))
        return USAGE
    notices = matrix.check(args.today)
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
    findings = [n for n in matrix.check_pins(bundle.pins, bundle.key) if n.level != "info"]
    for notice in findings:
        print(f"{notice.level}: {notice}")
    return FINDINGS if any(n.level == "error" for n in findings) else OK


def cmd_ci_matrix(args: argparse.Namespace) -> int:
    matrix = _matrix(args)
    bundles = list(matrix.select_bundles([args.bundles]))
    paths = list(matrix.select_upgrades([args.upgrade_paths])) if args.upgrade_paths else []
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
    print(ci_matrix(bundles, args.format, upgrades=[path.id for path in paths]))
    return OK


def cmd_report(args: argparse.Namespace) -> int:
    documents = []
    for path in args.results:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise WorkspaceError(f"{path}: cannot read results JSON: {error}") from None
        if not isinstance(document, dict) or document.get("schema") != 1:
            raise WorkspaceError(
                f"{path}: not a pytest-workspace results file (pytest --workspace-report)"
            )
        documents.append((str(path), document))
    declared_bundles: dict[str, str] = {}
    declared_paths: dict[str, str] = {}
    matrix_path = args.matrix or next(
        (d["matrix"] for _, d in documents if d.get("matrix") and Path(d["matrix"]).is_file()),
        None,
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
    merged = merge(documents, declared_bundles, declared_paths)
    markdown = render_markdown(merged, args.title)
    if args.markdown:
        Path(args.markdown).write_text(markdown, encoding="utf-8")
    if args.html:
        Path(args.html).write_text(render_html(merged, args.title), encoding="utf-8")
    if not (args.markdown or args.html):
        print(markdown, end="")
    else:
        print(merged.headline())
    return OK if merged.ok else FINDINGS


def cmd_env(args: argparse.Namespace) -> int:
    matrix = _matrix(args)
    if args.combination:
        pins = matrix.combination(args.combination)
        kind, bundle = "combination", None
        findings = [n for n in matrix.check_pins(pins, "combination") if n.level != "info"]
        for notice in findings:
            print(f"{notice.level}: {notice}", file=sys.stderr)
        if args.strict and findings:
            return FINDINGS
    elif args.bundle:
        bundle, kind, pins = matrix.bundle(args.bundle), "bundle", None
    else:
        raise SelectionError("env needs a BUNDLE or --combination SPEC")
    spec = resolve(
        matrix,
        bundle=bundle,
        pins=pins,
        sources=parse_sources(args.source),
        editable=not args.no_editable,
        index=IndexOptions(args.index_url, tuple(args.find_links), args.offline),
    )
    installer = get_installer(args.installer)
    started = time.perf_counter()
    env = EnvCache(args.cache).get(
        spec, installer, kind=kind, rebuild_before=time.time() if args.rebuild else None
    )
    what = "built" if env.fresh else "reused"
    print(
        f"{what} env {spec.label} with {installer.name} in {time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )
    print(env.path)
    return OK


_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$", re.IGNORECASE)


def _size(text: str) -> int:
    match = _SIZE.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a size like 500M or 2G, got {text!r}")
    power = " KMGT".index(match.group(2).upper() or " ")
    return int(float(match.group(1)) * 1024**power)


def _human(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def cmd_cache_list(args: argparse.Namespace) -> int:
    cache = EnvCache(args.cache)
    entries = cache.entries()
    print(f"{'KEY':<20}  {'LABEL':<24}  {'INSTALLER':<9}  {'SIZE':>10}  {'LAST USED':<16}  PINS")
    for entry in entries:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.last_used))
        pins = ",".join(f"{key}={version}" for key, version in entry.pins.items())
        print(
            f"{entry.key:<20}  {entry.label:<24}  {entry.installer:<9}  "
            f"{_human(entry.size):>10}  {used:<16}  {pins}"
        )
    total = sum(entry.size for entry in entries)
    print(f"{len(entries)} envs, {_human(total)} in {cache.root}", file=sys.stderr)
    return OK


def cmd_cache_prune(args: argparse.Namespace) -> int:
    if args.older_than is None and args.max_size is None:
        raise SelectionError("cache prune needs --older-than DAYS and/or --max-size SIZE")
    cache = EnvCache(args.cache)
    older = args.older_than * 86400 if args.older_than is not None else None
    removed = cache.prune(older_than=older, max_size=args.max_size)
    for entry in removed:
        print(f"removed {entry.key} {entry.label} ({_human(entry.size)})")
    print(f"removed {len(removed)} env{'' if len(removed) == 1 else 's'}")
    return OK


# -- parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--matrix",
        metavar="PATH",
        help="the matrix file (default: $PYTEST_WORKSPACE_MATRIX, ./versions.toml, "
        "./version-management/versions.toml)",
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks")

    parser = argparse.ArgumentParser(
        prog="pytest-workspace",
        description="Validate a compatibility matrix and turn it into test environments.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    check = command("check", cmd_check, "validate the matrix and report every finding")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument(
        "--today",
        type=_today,
        metavar="YYYY-MM-DD",
        help="the date lts-until is compared with (default: today)",
    )

    bundles = command("bundles", cmd_bundles, "list the bundles and their pins")
    bundles.add_argument("--json", action="store_true", help="machine-readable output")

    show = command("show", cmd_show, "show a bundle's pins, requirements and applicable rows")
    show.add_argument("bundle", metavar="BUNDLE")

    ci = command("ci-matrix", cmd_ci_matrix, "print the bundles as a CI job matrix")
    ci.add_argument("--format", choices=CI_FORMATS, default="github")
    ci.add_argument("--bundles", default="all", metavar="GLOB", help="only matching bundles")
    ci.add_argument(
        "--upgrade-paths",
        nargs="?",
        const="all",
        metavar="GLOB",
        help="add upgrade-path jobs (all, or those matching GLOB)",
    )
    ci.add_argument(
        "--changed",
        nargs="+",
        metavar="COMPONENT",
        default=[],
        help="only bundles and paths containing these components (names or distributions)",
    )

    report = command("report", cmd_report, "merge results JSON files into one compatibility matrix")
    report.add_argument("results", nargs="+", metavar="RESULTS.json")
    report.add_argument("--html", metavar="FILE", help="write a self-contained HTML page")
    report.add_argument("--markdown", metavar="FILE", help="write a GitHub-flavoured table")
    report.add_argument("--title", default="Compatibility matrix")

    env = command("env", cmd_env, "build (or reuse) a bundle's env and print its path")
    env.add_argument("bundle", metavar="BUNDLE", nargs="?")
    env.add_argument("--combination", metavar="SPEC", help="e.g. core=3.1.5,platform=2.4.8")
    env.add_argument("--strict", action="store_true", help="refuse an invalid combination")
    env.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="COMPONENT=PATH",
        help="install COMPONENT from a local checkout (repeatable)",
    )
    env.add_argument("--no-editable", action="store_true", help="install sources as snapshots")
    env.add_argument("--rebuild", action="store_true", help="ignore a cached env")
    _build_options(env)

    cache = commands.add_parser("cache", help="list or prune cached envs")
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    listing = cache_commands.add_parser("list", parents=[common], help="list cached envs")
    listing.set_defaults(handler=cmd_cache_list)
    prune = cache_commands.add_parser("prune", parents=[common], help="remove cached envs")
    prune.set_defaults(handler=cmd_cache_prune)
    prune.add_argument("--older-than", type=float, metavar="DAYS")
    prune.add_argument("--max-size", type=_size, metavar="SIZE", help="e.g. 500M, 2G")
    for sub in (listing, prune):
        sub.add_argument("--cache", type=Path, metavar="DIR", help="the env cache")
    return parser


def _build_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--find-links",
        action="append",
        default=[],
        metavar="DIR|URL",
        help="look for packages here (repeatable; replaces the matrix's [index] find-links)",
    )
    sub.add_argument("--index-url", metavar="URL", help="the package index to use")
    sub.add_argument("--offline", action="store_true", help="use no index: find-links only")
    sub.add_argument(
        "--installer", choices=sorted(INSTALLERS), help="default: uv when available, else pip"
    )
    sub.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="the env cache (default: $PYTEST_WORKSPACE_CACHE or the user cache dir)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.handler(args)
    except WorkspaceError as error:
        if args.debug:
            raise
        for line in str(error).splitlines():
            print(f"pytest-workspace: error: {line}", file=sys.stderr)
        return USAGE
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
