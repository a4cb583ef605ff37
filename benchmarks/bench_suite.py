"""Whole-suite mode against running the suite by hand in two prebuilt venvs.

Run: python benchmarks/bench_suite.py [--rounds N] [--tests 50]

A component checkout (pwt-platform, editable) with a suite of ``--tests`` tests that
import it and its dependency; two bundles pin different versions of the dependency.
Compared round by round, order rotated, everything offline and every env prebuilt:
  ours       pytest --bundle=all --workspace-env=bundle (envs cached)
  engine     pytest-xdist alone, no plugin: `--dist each` over one popen worker on each
             bundle env's python (both import from the first env's path, as xdist hands
             its workers the controller's; same work, so the same time): the engine's
             own cost, which ours adds the selection, the env checks and the reports to
  floor ||   the two venvs' own `python -m pytest`, started together (as ours runs them)
  floor seq  the same two runs one after the other
Target: ours <= 1.3x the parallel floor.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_envs import scratch
from tests.helpers import MATRIX
from tests.wheels import add_in_tree_backend, build_wheelhouse, repack_closure


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def checkout(root: Path, tests: int) -> None:
    (root / "src" / "pwt_platform").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
        '[project]\nname = "pwt-platform"\ndynamic = ["version"]\n'
    )
    add_in_tree_backend(root, "pwt-platform", requires=["pwt-core>=1.0,<2"])
    (root / "VERSION").write_text("1.2.0.dev0")
    (root / "src" / "pwt_platform" / "__init__.py").write_text(
        "import pwt_core\n\n\ndef core_version():\n    return pwt_core.VERSION\n"
    )
    body = "\n\n".join(
        f"def test_{n}():\n    assert pwt_platform.core_version() == pwt_core.VERSION"
        for n in range(tests)
    )
    header = "import pwt_core\nimport pwt_platform\n\n"
    (root / "tests" / "test_many.py").write_text(f"{header}{body}\n")
    (root / "versions.toml").write_text(MATRIX.format(links="wheels"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tests", type=int, default=50)
    args = parser.parse_args()
    with scratch() as (uv, tmp):
        repo = tmp / "repo"
        checkout(repo, args.tests)
        links = build_wheelhouse(repo / "wheels")
        repack_closure(links, "pytest-xdist")
        repack_closure(links, "pytest-workspace")
        quiet = ["-q", "-p", "no:cacheprovider"]
        # The controller's own venv: pytest, pytest-xdist and this plugin, nothing else
        # (an unrelated plugin such as hypothesis would be timed as if it were ours).
        controller = tmp / "controller"
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(controller)], check=True)
        subprocess.run(
            [
                uv, "pip", "install", "-q", "--python", str(controller / "bin" / "python"),
                "--offline", "--find-links", str(links), "pytest-workspace", "pytest-xdist",
            ],
            check=True,
        )  # fmt: skip
        ours = [
            str(controller / "bin" / "python"), "-m", "pytest", *quiet, "--bundle=all",
            "--workspace-env=bundle", "--workspace-offline", f"--workspace-cache={tmp / 'cache'}",
        ]  # fmt: skip
        venvs = []
        for bundle, core in (("old", "1.0.0"), ("new", "1.1.0")):
            venv = tmp / f"venv-{bundle}"
            subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
            subprocess.run(
                [
                    uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                    "--offline", "--find-links", str(links), f"pwt-core=={core}", "pytest",
                    "-e", str(repo),
                ],
                check=True,
            )  # fmt: skip
            venvs.append([str(venv / "bin" / "python"), "-m", "pytest", *quiet, "tests"])

        def run(argv: list[str]) -> None:
            subprocess.run(argv, cwd=repo, check=True, capture_output=True)

        def parallel() -> None:
            started = [
                subprocess.Popen(argv, cwd=repo, stdout=subprocess.DEVNULL) for argv in venvs
            ]
            if any(process.wait() for process in started):
                raise SystemExit("a floor run failed")

        def sequential() -> None:
            for argv in venvs:
                run(argv)

        report = tmp / "results.json"
        run([*ours, f"--workspace-report={report}"])  # builds the two bundle envs, once
        pythons = [
            str(tmp / "cache" / "envs" / bundle["env"] / "bin" / "python")
            for bundle in json.loads(report.read_text())["bundles"].values()
        ]
        engine = [
            pythons[0], "-m", "pytest", *quiet, "-p", "no:workspace", "--dist=each",
            *(f"--tx=popen//python={python}" for python in pythons), "tests",
        ]  # fmt: skip
        figures: dict[str, list[float]] = {
            "ours": [], "engine": [], "floor ||": [], "floor seq": []
        }  # fmt: skip
        # CPU of every process a step ran (the workers too: each parent reaps its own).
        cpu: dict[str, list[float]] = {label: [] for label in figures}
        steps: list[tuple[str, Callable[[], None]]] = [
            ("ours", lambda: run(ours)),
            ("engine", lambda: run(engine)),
            ("floor ||", parallel),
            ("floor seq", sequential),
        ]
        for round_ in range(args.rounds):
            turn = round_ % len(steps)
            for label, step in steps[turn:] + steps[:turn]:
                used = _children_cpu()
                start = time.perf_counter()
                step()
                figures[label].append(time.perf_counter() - start)
                cpu[label].append(_children_cpu() - used)

    print(
        f"{args.tests}-test suite x 2 bundles, envs prebuilt, offline; {args.rounds} rounds, "
        f"medians (min-max); {os.cpu_count()} CPUs"
    )
    floor = statistics.median(figures["floor ||"])
    for label, values in figures.items():
        median = statistics.median(values)
        print(
            f"  {label:<10} {median * 1000:7.0f} ms  ({min(values) * 1000:.0f}-"
            f"{max(values) * 1000:.0f})  = {median / floor:.2f}x the parallel floor; "
            f"CPU {statistics.median(cpu[label]):.2f} s"
        )
    mine = statistics.median(figures["ours"])
    print(
        f"  ours = {mine / statistics.median(figures['engine']):.2f}x the engine alone, "
        f"{mine / statistics.median(figures['floor seq']):.2f}x the sequential floor; "
        "target: ours <= 1.3x the parallel floor"
    )


if __name__ == "__main__":
    main()
