"""What a cache hit pays to notice a changed env: the reuse check of an env of 5,000
files (issue budget: at most 10 ms), beside what checking every file would cost.

Run: python benchmarks/bench_integrity.py [--files N] [--rounds N]

The env is synthetic but shaped like a real one (about 8 files per directory, as in a
site-packages of pytest, uv, virtualenv and their dependencies). Figures are medians of
warm runs (the directory entries in the kernel's cache, as on a repeated hit):

- ``reuse check``: what every reuse runs (one ``lstat`` per directory, see
  ``envs/cache/integrity.py``);
- ``after a session``: every file's mtime, run once when a pytest session ends;
- ``every file (lstat)``: the alternative the reuse check avoids;
- ``cache verify``: every file's sha256 against RECORD (on demand).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from pytest_workspace.envs.cache.integrity import (
    changed_since,
    record_tree,
    verify,
    why_changed,
)

BUDGET_MS = 10.0
FILES_PER_DIRECTORY = 8


def make_env(root: Path, files: int) -> tuple[Path, list[str]]:
    """An env-shaped tree of ``files`` files with one dist-info whose RECORD lists all."""
    import base64
    import hashlib

    site = root / "lib" / "python3.11" / "site-packages"
    record = []
    for number in range(files):
        package, module = divmod(number, FILES_PER_DIRECTORY)
        top, sub = divmod(package, 10)
        directory = site / f"package{top}" / f"sub{sub}"
        directory.mkdir(parents=True, exist_ok=True)
        content = f"VALUE = {number}\n".encode()
        (directory / f"module{module}.py").write_bytes(content)
        digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
        record.append(f"package{top}/sub{sub}/module{module}.py,sha256={digest},{len(content)}")
    info = site / "synthetic-1.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text("\n".join(record) + "\n")
    (root / "pyvenv.cfg").write_text("home = /usr/bin\n")
    return root, [str(site)]


def median_ms(function: Callable[[], object], rounds: int) -> float:
    function()  # warm
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        env, sites = make_env(Path(scratch), args.files)
        tree = record_tree(str(env))
        every = [str(p) for p in env.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        since = time.time()
        assert why_changed(str(env), (), tree, None) is None
        figures = {
            "reuse check": median_ms(lambda: why_changed(str(env), (), tree, None), args.rounds),
            "after a session": median_ms(lambda: changed_since(str(env), since), args.rounds),
            "every file (lstat)": median_ms(lambda: [os.lstat(p) for p in every], args.rounds),
            "cache verify": median_ms(lambda: verify(str(env), sites), max(3, args.rounds // 5)),
        }
    print(f"env of {args.files} files in {len(tree)} directories (median of {args.rounds} runs)")
    for name, value in figures.items():
        print(f"  {name:<20} {value:8.2f} ms")
    verdict = "within" if figures["reuse check"] <= BUDGET_MS else "OVER"
    print(f"reuse check: {verdict} the budget of {BUDGET_MS:.0f} ms")


if __name__ == "__main__":
    main()
