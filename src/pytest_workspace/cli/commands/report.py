"""``pytest-workspace report RESULTS.json...``: merge results files into one
compatibility matrix (Markdown, a self-contained HTML page).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import WorkspaceError
from . import FINDINGS, OK

if TYPE_CHECKING:
    import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", nargs="+", metavar="RESULTS.json")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML page")
    parser.add_argument("--markdown", metavar="FILE", help="write a GitHub-flavoured table")
    parser.add_argument("--title", default="Compatibility matrix")
    parser.add_argument(
        "--require-all",
        action="store_true",
        help="exit 1 when a declared bundle or upgrade path has no result",
    )


def run(args: argparse.Namespace) -> int:
    from ...loading.discover import find_matrix
    from ...loading.matrixfile import load_matrix
    from ...results.document import read_results
    from ...results.report import merge, render_html, render_markdown

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
