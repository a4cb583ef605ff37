"""tox driver mode against its floor and its peer, warm caches, on the example workspace.

Run: python benchmarks/bench_tox.py [--rounds N]   (needs tox and tox-uv installed)

Three ways to run the example's suite against bundle stable-3.2, each warm (envs built,
packages cached), in interleaved rounds:

- ``pytest --bundle stable-3.2`` directly (the floor: the plugin reuses the cached env),
  with the driver env's own interpreter, so both load the same plugins;
- ``tox -e bundle-stable-v3.2`` (driver mode: a tox env that runs the line above);
- a hand-written tox-uv env with the bundle's pins as ``deps``, running the same suite
  in-process (``--workspace-env current``), the way one writes it without the plugin.

Driver mode should cost tox's own start-up over the floor and nothing more; the last
row, an env that runs ``python -c pass``, is that start-up.
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
EXAMPLE = ROOT / "examples" / "provisioning"

HAND_WRITTEN = """
[env.pins]
runner = "uv-venv-runner"
skip_install = true
deps = [
    "-f {dist}",
    "pytest-workspace @ file://{root}",
{pins}
]
commands = [["pytest", "--bundle=stable-3.2", "--workspace-env=current", "-q"]]

[env.noop]
skip_install = true
deps = []
commands = [["python", "-c", "pass"]]
"""


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from pytest_workspace import load_matrix

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        example = tmp / "provisioning"
        shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns(".tox", "dist"))
        subprocess.run([sys.executable, str(example / "build.py")], check=True)
        pins = load_matrix(example / "versions.toml").bundle("stable-3.2").pins
        toml = (example / "tox.toml").read_text().replace("../..", str(ROOT))
        toml += HAND_WRITTEN.format(
            dist=example / "dist",
            root=ROOT,
            pins="\n".join(f'    "{pin.requirement}",' for pin in pins),
        )
        (example / "tox.toml").write_text(toml)
        env = dict(os.environ, PYTEST_WORKSPACE_CACHE=str(tmp / "cache"))
        driver = [sys.executable, "-m", "tox", "-q", "-e", "bundle-stable-v3.2"]
        timed(driver, example, env)  # builds the driver env (and the bundle's env)
        python = str(example / ".tox" / "bundle-stable-v3.2" / "bin" / "python")
        tox = [sys.executable, "-m", "tox", "-q", "-e"]
        runs = {
            "pytest --bundle stable-3.2 (floor)": [python, "-m", "pytest", "--bundle=stable-3.2"],
            "tox -e bundle-stable-v3.2 (driver mode)": driver,
            "tox -e pins (hand-written tox-uv env)": [*tox, "pins"],
            "tox -e noop (tox's own start-up)": [*tox, "noop"],
        }
        for argv in runs.values():  # build everything once: the figures are warm
            timed(argv, example, env)
        times: dict[str, list[float]] = {label: [] for label in runs}
        for _ in range(args.rounds):
            for label, argv in runs.items():
                times[label].append(timed(argv, example, env))
        labels = list(runs)
        floor = statistics.median(times[labels[0]])
        print(f"example suite against stable-3.2, warm, {args.rounds} rounds (median, min-max)")
        for label, values in times.items():
            median = statistics.median(values)
            print(
                f"{label:<42} {median:6.2f} s  ({min(values):.2f}-{max(values):.2f})"
                f"  {median / floor:4.2f}x floor"
            )
        over = statistics.median(d - f for d, f in zip(times[labels[1]], times[labels[0]]))
        tox_start = statistics.median(times[labels[3]])
        print(f"driver mode over the floor: {over:+.2f} s; tox's own start-up: {tox_start:.2f} s")


if __name__ == "__main__":
    main()
