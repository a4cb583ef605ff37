"""Meta-repository commands against their floors, offline.

Run: python benchmarks/bench_siblings.py [--siblings N] [--rounds N]

- ``workspace status`` over N sibling git checkouts (the target: 20 under 1 s);
- ``workspace setup`` of those siblings into a fresh env, beside one raw
  ``uv venv`` + ``uv pip install -e ... -e ...`` of the same checkouts (needs uv).

Rounds alternate (ours, floor) so a noisy neighbour hits both; medians with min-max.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_siblings import GIT_ENV, project  # noqa: E402


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def show(label: str, values: list[float]) -> None:
    median = statistics.median(values)
    print(
        f"{label:<52} {median * 1000:8.0f} ms  ({min(values) * 1000:.0f}-{max(values) * 1000:.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--siblings", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(GIT_ENV)
    uv = shutil.which("uv") or "uv"
    have_uv = shutil.which("uv") is not None
    with tempfile.TemporaryDirectory() as name:
        work = Path(name)
        meta = work / "meta"
        meta.mkdir()
        names = [f"comp{i:02d}" for i in range(args.siblings)]
        for sibling in names:
            project(work / sibling, f"bench-{sibling}")
        (meta / "workspace.toml").write_text(
            "".join(f'[[siblings]]\nname = "{n}"\npath = "../{n}"\n' for n in names)
        )
        cli = [sys.executable, "-m", "pytest_workspace", "workspace"]
        status = [*cli, "status"]
        setup = [*cli, "setup", "--offline", "--venv", str(work / "ours")]
        raw = [uv, "pip", "install", "--offline", "--python", str(work / "raw" / "bin" / "python")]
        raw += [arg for n in names for arg in ("-e", str(work / n))]
        times: dict[str, list[float]] = {"status": [], "setup": [], "raw": []}
        timed(status, meta)  # warm the OS caches
        for _ in range(args.rounds):
            times["status"].append(timed(status, meta))
            shutil.rmtree(work / "ours", ignore_errors=True)
            times["setup"].append(timed(setup, meta))
            if have_uv:
                shutil.rmtree(work / "raw", ignore_errors=True)
                start = time.perf_counter()
                subprocess.run([uv, "venv", "-q", str(work / "raw")], check=True)
                subprocess.run(raw, check=True, capture_output=True)
                times["raw"].append(time.perf_counter() - start)
        print(f"{args.siblings} siblings, {args.rounds} rounds (median, min-max)")
        show("pytest-workspace workspace status", times["status"])
        show("pytest-workspace workspace setup (fresh env, verify)", times["setup"])
        if times["raw"]:
            show("raw uv venv + uv pip install -e ... (floor)", times["raw"])


if __name__ == "__main__":
    main()
