"""``pytest-workspace check``: validate the matrix and report every finding.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...errors import InvalidMatrixError
from . import FINDINGS, OK, USAGE, matrix, plural

if TYPE_CHECKING:
    import argparse

    from ...model.matrix import Matrix, Notice


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..parser import add_setting, date

    add_setting(parser, "strict", help="treat warnings as errors")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--today",
        type=date,
        metavar="YYYY-MM-DD",
        help="the date lts-until is compared with (default: today)",
    )


def run(args: argparse.Namespace) -> int:
    from ...model.matrix import Notice

    try:
        loaded = matrix(args)
    except InvalidMatrixError as problems:
        notices = [Notice("error", "", str(error)) for error in problems.errors]
        _print_check(args, None, notices, errors=len(notices))
        return USAGE
    from ...envs.pylock import lock_notices
    from ...model.envnames import collision_notices
    from ...model.validity import check_matrix

    notices = check_matrix(loaded, args.today) + collision_notices(loaded) + lock_notices(loaded)
    if args.strict:
        notices = [
            Notice("error", n.key, n.message) if n.level == "warning" else n for n in notices
        ]
    errors = sum(notice.level == "error" for notice in notices)
    _print_check(args, loaded, notices, errors=errors)
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
            f"{matrix.path}: {plural(len(matrix.bundles), 'bundle')}, "
            f"{plural(len(matrix.upgrades), 'upgrade path')}; "
            f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
        )
