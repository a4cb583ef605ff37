"""`pytest --bundle X` against doing it by hand, paired in one run.

Run: python benchmarks/bench_plugin.py [--rounds N]

A one-test suite calls ``bundle_env.run_python("pass")``. Compared round by round:
  cold   pytest --bundle bench, new cache entry (uv's package cache warm)
  raw    uv venv + uv pip install + python -c pass, then a bare pytest run of the file
  warm   pytest --bundle bench with the env cached
  bare   pytest on the same file without --bundle (the test is skipped)
Targets: cold <= 1.2x raw; warm <= 50 ms above bare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_envs import PACKAGES, raw_uv, scratch, timed, wheelhouse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modules", type=int, default=60)
    args = parser.parse_args()
    with scratch() as (uv, tmp):
        project = tmp / "project"
        links = project / "wheels"
        links.mkdir(parents=True)
        requirements = wheelhouse(links, args.modules)
        pins = "\n".join(f'"{name}" = "1.0.0"' for name in PACKAGES)
        (project / "versions.toml").write_text(
            f'[index]\nfind-links = ["wheels"]\n[bundles.bench]\n{pins}\n'
        )
        (project / "test_it.py").write_text(
            'def test_trivial(bundle_env):\n    bundle_env.run_python("pass")\n'
        )
        pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_it.py"]

        def run(argv: list[str]) -> None:
            subprocess.run(argv, cwd=project, check=True, capture_output=True)

        counter = iter(range(10_000))

        def cold() -> None:
            cache = tmp / f"cache-{next(counter)}"
            run([*pytest, "--bundle=bench", "--workspace-offline", f"--workspace-cache={cache}"])

        def raw() -> None:
            target = tmp / "raw"
            for command in raw_uv(uv, sys.executable, target, links, requirements):
                run(command)
            run([str(target / "bin" / "python"), "-c", "pass"])
            run(pytest)

        def warm() -> None:
            run(
                [
                    *pytest,
                    "--bundle=bench",
                    "--workspace-offline",
                    f"--workspace-cache={tmp / 'warm-cache'}",
                ]
            )

        def bare() -> None:
            run(pytest)

        raw()
        warm()  # warms uv's cache and builds the env that "warm" reuses
        colds: list[float] = []
        raws: list[float] = []
        warms: list[float] = []
        bares: list[float] = []
        for round_ in range(args.rounds):
            steps: list[Callable[[], None]] = [
                lambda: colds.append(timed(cold)),
                lambda: raws.append(timed(raw)),
                lambda: warms.append(timed(warm)),
                lambda: bares.append(timed(bare)),
            ]
            # Rotate the order so no side always runs on the warmest machine.
            for step in steps[round_ % 4 :] + steps[: round_ % 4]:
                step()

    ms = 1000.0
    c, r = statistics.median(colds), statistics.median(raws)
    w, b = statistics.median(warms), statistics.median(bares)
    bytecode = "set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "unset"
    print(
        f"one-test suite, bundle of {len(PACKAGES)} packages x {args.modules} modules, "
        f"offline; {args.rounds} rounds, medians; PYTHONDONTWRITEBYTECODE {bytecode}"
    )
    print(f"  raw: uv venv + uv pip install + python -c pass + bare pytest  {r * ms:7.0f} ms")
    print(
        f"  ours: pytest --bundle, cold env                              {c * ms:7.0f} ms"
        f"  = {c / r:.2f}x raw   target <= 1.2x"
    )
    print(f"  bare pytest (test skipped, no env)                           {b * ms:7.0f} ms")
    print(
        f"  ours: pytest --bundle, cached env                            {w * ms:7.0f} ms"
        f"  = bare + {(w - b) * ms:.0f} ms   target <= +50 ms"
    )


if __name__ == "__main__":
    main()
