"""The matrix explorer's search: ``explore pairs`` over 6 components with 20 candidate
versions each, and the floor search over 20 components (the issue's budget: each well
under a second), on synthetic matrices whose rows constrain every neighbour.

Run: python benchmarks/bench_explore.py [--rounds N]

Each version ``1.K.0`` of component ``cI`` has a row requiring ``c(I+1) >= 1.(K//2).0``
and ``< 1.(K//2 + 12).0``, so a large part of the product is illegal and the searches
must backtrack; the figures are medians, matrix loading excluded.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from pytest_workspace import load_matrix
from pytest_workspace.model.explore import Space, matrix_candidates


def synthetic(directory: Path, components: int, versions: int) -> Path:
    lines = []
    for i in range(components):
        lines.append(f"[compatibility.c{i}]")
        for k in range(versions):
            if i + 1 < components:
                low, high = k // 2, k // 2 + 12
                lines.append(f'"1.{k}.0" = {{ c{i + 1} = ">=1.{low}.0,<1.{high}.0" }}')
            else:
                lines.append(f'"1.{k}.0" = {{}}')
    pins = "\n".join(f'c{i} = "1.{versions - 1}.0"' for i in range(components))
    lines.append(f"[bundles.top]\n{pins}")
    path = directory / f"versions-{components}x{versions}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def median_seconds(function: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        pairs_matrix = load_matrix(synthetic(Path(scratch), 6, 20))
        floor_matrix = load_matrix(synthetic(Path(scratch), 20, 20))

        def pairs() -> int:
            space = Space(pairs_matrix, matrix_candidates(pairs_matrix))
            return len(space.covering(2))

        def floor() -> str:
            space = Space(floor_matrix, matrix_candidates(floor_matrix))
            return space.floor().spec

        found = pairs()
        space = Space(pairs_matrix, matrix_candidates(pairs_matrix))
        legal, exact = space.count()
        print(
            f"explore pairs, 6 components x 20 versions: {found} combinations cover every pair "
            f"({'' if exact else 'more than '}{legal} legal of {space.product()})"
        )
        print(f"  {median_seconds(pairs, args.rounds):.3f} s (median of {args.rounds})")
        print("explore floor, 20 components x 20 versions:")
        print(f"  {median_seconds(floor, args.rounds):.3f} s (median of {args.rounds})")


if __name__ == "__main__":
    main()
