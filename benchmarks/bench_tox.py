"""tox over ten bundles: the plugin's envs against hand-written tox-uv envs, cold and warm.

Run: python benchmarks/bench_tox.py [--rounds N] [--bundles B] [--shape imports|runs]
(needs tox and tox-uv)

A generated project (5 components, B bundles, default 10; wheels, pytest-workspace's
included, in a local find-links directory; uv's package cache warm), in two shapes:

- ``imports``: the suite imports every component (a component repository's tests).
  Ways: ``tox -m bundles`` in install mode (the tox env holds the bundle, pytest checks
  it with ``--workspace-env current``); ``tox -m bundles`` in driver mode with the suite in
  whole-suite mode (pytest-xdist workers in each bundle's env, from the plugin's cache);
  ``pytest --bundle all`` in whole-suite mode, no tox.
- ``runs``: the suite runs every component in the env under test, ``bundle_env``
  (an integration repository, as ``examples/provisioning``). Ways: ``tox -m bundles`` in
  driver mode, the default (pytest in the tox env, each bundle's env from the cache);
  ``pytest --bundle all``, no tox.

Both are set against B hand-written tox-uv envs (``tox -m hand``): deps = the bundle's
pins + pytest + pytest-workspace (the same installs), plain ``pytest``, the env itself
being the env under test. Every way runs the bundles one after the other. Cold: ``.tox``
and the plugin's env cache removed first; warm: the same command again. Rounds are
interleaved; each figure is the median with its range.
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

from tests.wheels import build_wheel  # noqa: E402

COMPONENTS = ["alpha", "beta", "gamma", "delta", "epsilon"]

IMPORTS = """
import importlib

import pytest


@pytest.mark.parametrize("name", {components!r})
def test_component_imports(name):
    assert importlib.import_module("bench_" + name).VERSION
"""

RUNS = """
import subprocess

import pytest


@pytest.mark.parametrize("name", {components!r})
def test_component_runs(python, name):
    code = f"import bench_{{name}}; print(bench_{{name}}.VERSION)"
    assert subprocess.run([python, "-c", code], capture_output=True, check=True).stdout
"""

#: the env under test: the bundle's (pytest-workspace) or the running one (hand-written)
CONFTEST_OURS = """
import pytest


@pytest.fixture
def python(bundle_env):
    return str(bundle_env.python)
"""
CONFTEST_HAND = """
import sys

import pytest


@pytest.fixture
def python():
    return sys.executable
"""


def wheelhouse(dist: Path, bundles: int) -> None:
    dist.mkdir(parents=True)
    for component in COMPONENTS:
        for minor in range(bundles):
            build_wheel(dist, f"bench-{component}", f"1.{minor}.0")
    # pytest-workspace as a wheel beside the components, as a release would be found.
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run([*pip, "-w", str(dist), str(ROOT)], check=True)


def project(
    root: Path, dist: Path, bundles: int, tests: str, *, tox: str, ini: str, conftest: str = ""
) -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_components.py").write_text(tests.format(components=COMPONENTS))
    if conftest:
        (root / "tests" / "conftest.py").write_text(conftest)
    matrix = [f'[index]\nfind-links = ["{dist}"]\n']
    for component in COMPONENTS:
        matrix.append(f'[components.{component}]\npackage = "bench-{component}"\n')
    for minor in range(bundles):
        pins = "".join(f'{component} = "1.{minor}.0"\n' for component in COMPONENTS)
        matrix.append(f"[bundles.b{minor}]\n{pins}")
    (root / "versions.toml").write_text("\n".join(matrix))
    (root / "pytest.ini").write_text(f"[pytest]\n{ini}")
    (root / "tox.toml").write_text(
        '[env_run_base]\nrunner = "uv-venv-runner"\nskip_install = true\n'
        f'pass_env = ["UV_*"]\n{tox}\n'
    )
    return root


def hand_written(root: Path, dist: Path, bundles: int, tests: str, conftest: str = "") -> Path:
    envs = []
    for minor in range(bundles):
        pins = ", ".join(f'"bench-{component}==1.{minor}.0"' for component in COMPONENTS)
        envs.append(
            f'[env.hand-{minor}]\nlabels = ["hand"]\n'
            f'deps = ["-f {dist}", "pytest", "pytest-workspace", {pins}]\n'
            'commands = [["pytest", "-q", "-p", "no:workspace"]]\n'
        )
    return project(root, dist, bundles, tests, tox="\n".join(envs), ini="", conftest=conftest)


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed in {cwd}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bundles", type=int, default=10)
    parser.add_argument("--shape", choices=["imports", "runs"], default="runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        dist = tmp / "dist"
        wheelhouse(dist, args.bundles)
        deps = f'deps = ["-f {dist}", "pytest", "pytest-workspace"]\n'
        tox = [sys.executable, "-m", "tox", "run", "-q"]
        pytest_all = [sys.executable, "-m", "pytest", "-q", "--bundle=all"]
        ways: dict[str, tuple[Path, list[str]]] = {}
        if args.shape == "imports":
            install = project(
                tmp / "install", dist, args.bundles, IMPORTS,
                tox=deps + 'workspace_mode = "install"', ini="",
            )  # fmt: skip
            whole = project(
                tmp / "whole", dist, args.bundles, IMPORTS,
                tox=deps.replace('"pytest", ', '"pytest", "pytest-xdist", '),
                ini="workspace_env = bundle\n",
            )  # fmt: skip
            hand = hand_written(tmp / "hand", dist, args.bundles, IMPORTS)
            ways["tox -m bundles (install mode)"] = (install, [*tox, "-m", "bundles"])
            ways["tox -m bundles (driver, whole-suite)"] = (whole, [*tox, "-m", "bundles"])
            ways["pytest --bundle all (whole-suite)"] = (whole, pytest_all)
        else:
            driver = project(
                tmp / "driver", dist, args.bundles, RUNS, tox=deps, ini="", conftest=CONFTEST_OURS
            )
            hand = hand_written(tmp / "hand", dist, args.bundles, RUNS, CONFTEST_HAND)
            ways["tox -m bundles (driver, default)"] = (driver, [*tox, "-m", "bundles"])
            ways["pytest --bundle all (no tox)"] = (driver, pytest_all)
        hand_label = "tox -m hand (hand-written tox-uv)"
        ways[hand_label] = (hand, [*tox, "-m", "hand"])
        cache = tmp / "cache"
        env = dict(os.environ, PYTEST_WORKSPACE_CACHE=str(cache))
        env.pop("PYTEST_ADDOPTS", None)
        for cwd, argv in ways.values():  # uv's package cache warm for every way
            timed(argv, cwd, env)
        cold: dict[str, list[float]] = {label: [] for label in ways}
        warm: dict[str, list[float]] = {label: [] for label in ways}
        for _ in range(args.rounds):
            for label, (cwd, argv) in ways.items():
                shutil.rmtree(cwd / ".tox", ignore_errors=True)
                shutil.rmtree(cache, ignore_errors=True)
                cold[label].append(timed(argv, cwd, env))
                warm[label].append(timed(argv, cwd, env))
        print(
            f"shape {args.shape}: {args.bundles} bundles x {len(COMPONENTS)} components, "
            f"{args.rounds} rounds (median, min-max)"
        )
        for title, figures in (("cold", cold), ("warm", warm)):
            base = statistics.median(figures[hand_label])
            for label, values in figures.items():
                median = statistics.median(values)
                print(
                    f"{title}  {label:<38} {median:6.2f} s  ({min(values):.2f}-{max(values):.2f})"
                    f"  {median / base:4.2f}x hand-written"
                )


if __name__ == "__main__":
    main()
