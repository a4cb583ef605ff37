"""Load + check time of a large matrix: N bundles x 12 components, 20 rows each,
beside the time ``tomllib`` alone takes to parse the same file (the floor).

Run: python benchmarks/bench_matrix.py [--repeat N] [--bundles 500|5000]

Prints interpreter start-up and import time separately from the work measured. Targets
(2-core machine): <= 150 ms at 500 bundles; <= 1.5x tomllib's parse at 5,000.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMPONENTS = [f"comp{i:02d}" for i in range(12)]
ROWS = 20
BUNDLES = 500


def version(i: int) -> str:
    return f"{1 + i // 10}.{i % 10}.0"


def generate(seed: int = 1, *, broken: bool = False, bundles: int = BUNDLES) -> str:
    """A matrix like the users' but large. Released bundles are mostly valid, so only
    one row in 50 is narrow; ``broken`` makes every row narrow (tens of thousands of
    findings, the worst case for message building)."""
    rng = random.Random(seed)

    def spec() -> str:
        if broken or rng.randrange(50) == 0:
            return f"^{1 + rng.randrange(2)}.{rng.randrange(3)}"
        return ">=1.0,<3"

    lines = ["[components]"]
    lines += [f'{name} = {{ package = "bench-{name}" }}' for name in COMPONENTS]
    for name in COMPONENTS:
        lines.append(f"[compatibility.{name}]")
        for row in range(ROWS):
            ranges = ", ".join(f'{other} = "{spec()}"' for other in COMPONENTS if other != name)
            lines.append(f'"{version(row)}" = {{ {ranges}, min-{COMPONENTS[0]} = "1.0.0" }}')
    for index in range(bundles):
        # Unquoted dotted names, as real matrices are written.
        lines.append(f"[bundles.release-{index // 10}.{index % 10}]")
        lines.append(f'name = "Release {index}"')
        lines += [f'{name} = "{version(rng.randrange(ROWS))}"' for name in COMPONENTS]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--bundles", type=int, default=BUNDLES)
    args = parser.parse_args()

    ms = 1000.0
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - start
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import pytest_workspace.model.matrix"], check=True)
    imported = time.perf_counter() - start
    print(f"interpreter start-up             {bare * ms:8.1f} ms")
    print(f"start-up + import matrix         {imported * ms:8.1f} ms  (not counted below)")

    from pytest_workspace import load_matrix
    from pytest_workspace.loading.compat import tomllib
    from pytest_workspace.model.validity import check_matrix

    for label, broken in (("realistic", False), ("every bundle broken", True)):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "versions.toml"
            path.write_text(generate(broken=broken, bundles=args.bundles))
            size = path.stat().st_size
            loads, checks, parses, notices = [], [], [], 0
            for _ in range(args.repeat):
                start = time.perf_counter()
                tomllib.loads(path.read_text(encoding="utf-8"))
                parses.append(time.perf_counter() - start)
                start = time.perf_counter()
                matrix = load_matrix(path)
                loaded = time.perf_counter()
                notices = len(check_matrix(matrix))
                done = time.perf_counter()
                loads.append(loaded - start)
                checks.append(done - loaded)
        totals = [a + b for a, b in zip(loads, checks)]
        print(
            f"\n{label}: {args.bundles} bundles x {len(COMPONENTS)} components, {ROWS} rows "
            f"each ({size / 1024:.0f} KiB TOML), {notices} findings"
        )
        print(f"  load (parse + model), median   {statistics.median(loads) * ms:8.1f} ms")
        print(f"  check, median                  {statistics.median(checks) * ms:8.1f} ms")
        print(
            f"  load + check, median (min)     {statistics.median(totals) * ms:8.1f} ms "
            f"({min(totals) * ms:.1f} ms)   target <= 150 ms at 500 bundles"
        )
        floor = statistics.median(parses)
        print(
            f"  tomllib parse alone, median    {floor * ms:8.1f} ms   load + check = "
            f"{statistics.median(totals) / floor:.2f}x   target <= 1.5x at 5,000 bundles"
        )


if __name__ == "__main__":
    main()
