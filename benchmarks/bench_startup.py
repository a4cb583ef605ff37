"""Fixed costs paid on every invocation: pytest with the plugin installed but nothing
selected, and the CLI's start-up, each beside its floor.

Run: python benchmarks/bench_startup.py [--rounds N] [--instructions]

Runs are paired and interleaved (A, B, A, B, ...) so that a noisy neighbour hits both
sides alike; each figure is the median of the per-round differences, with min and max.
The first row pairs the floor with itself: on a machine whose runs swing by tens of
milliseconds, that row says how far apart two identical commands land, and no figure
below it means more than that. ``--instructions`` (needs valgrind) also counts the
instructions each pytest case executes, once, with ``PYTHONHASHSEED=0``: repeatable to
a fraction of a percent whatever the machine is doing; the difference is converted to
milliseconds at the floor's own instructions-per-millisecond rate.
The pytest baseline loads no plugin at all (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``), so
unrelated plugins (hypothesis alone costs 0.6 s under ``PYTHONDONTWRITEBYTECODE``) do
not hide or inflate our figure; ours is the same run plus ``-p pytest_workspace.plugin``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.wheels import build_wheel

Command = Sequence[str]


def timed(
    argv: Command, env: Mapping[str, str], cwd: Path, before: Callable[[], None] | None = None
) -> float:
    if before is not None:
        before()  # not timed
    start = time.perf_counter()
    subprocess.run(argv, env=dict(env), cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def instructions(argv: Command, env: Mapping[str, str], cwd: Path) -> int:
    """Instructions one run executes, counted by valgrind's callgrind."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg", *argv],
            env=dict(env),
            cwd=cwd,
            check=True,
            capture_output=True,
            text=True,
        )
    counts = [line for line in done.stderr.splitlines() if "Collected :" in line]
    return int(counts[-1].rsplit(":", 1)[1].strip())


def row(label: str, count: int, floor_count: int, floor_ms: float) -> None:
    """One counted command beside its floor, the difference also in milliseconds at the
    floor's own instructions-per-millisecond rate."""
    extra = count - floor_count
    print(
        f"{label:<46} {count / 1e6:8.1f} M  +{extra / 1e6:.1f} M "
        f"(~{extra / floor_count * floor_ms:.1f} ms)"
    )


def paired(
    name: str,
    floor: Command,
    ours: Command,
    env: Mapping[str, str],
    cwd: Path,
    rounds: int,
    before: Callable[[], None] | None = None,
) -> None:
    for _ in range(2):  # warm the OS caches and any bytecode that may be written
        timed(floor, env, cwd)
        timed(ours, env, cwd, before)
    floors, deltas = [], []
    for _ in range(rounds):
        a = timed(floor, env, cwd)
        b = timed(ours, env, cwd, before)
        floors.append(a)
        deltas.append(b - a)
    ms = 1000.0
    print(
        f"{name:<46} floor {statistics.median(floors) * ms:7.1f} ms   "
        f"+{statistics.median(deltas) * ms:6.1f} ms  "
        f"(min {min(deltas) * ms:+.1f}, max {max(deltas) * ms:+.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--instructions", action="store_true", help="also count with valgrind")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        (tmp / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
        (tmp / "test_env.py").write_text("def test_env(bundle_env):\n    pass\n")
        (tmp / "wheels").mkdir()
        build_wheel(tmp / "wheels", "bench-a", "1.0.0")
        (tmp / "versions.toml").write_text(
            f'[index]\nfind-links = ["{tmp / "wheels"}"]\n[bundles.b]\nbench-a = "1.0.0"\n'
        )
        base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        base.update(
            PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
            PYTEST_WORKSPACE_CACHE=str(tmp / "cache"),
            UV_CACHE_DIR=str(tmp / "uv-cache"),
        )
        pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_nothing.py"]
        with_plugin = [*pytest, "-p", "pytest_workspace.plugin"]
        print(f"pytest-workspace start-up, {args.rounds} paired rounds (median, min-max)")
        import pytest_workspace

        package = Path(pytest_workspace.__file__).parent

        def no_bytecode_of_ours() -> None:
            # As after an install that compiled nothing (uv's default): with
            # PYTHONDONTWRITEBYTECODE nothing writes it later, so every run compiles
            # our modules. Not removing it would read what an earlier pass wrote.
            for cache in package.rglob("__pycache__"):
                shutil.rmtree(cache, ignore_errors=True)

        def compiled() -> None:
            import compileall

            compileall.compile_dir(str(package), quiet=1)

        kept = tmp / "cache" / "bytecode"

        def nothing_kept() -> None:
            # The first run after an install (or after the cache was cleared).
            no_bytecode_of_ours()
            shutil.rmtree(kept, ignore_errors=True)

        set_env = {**base, "PYTHONDONTWRITEBYTECODE": "1"}
        cases = [
            ("floor vs itself (the noise)", pytest, base, None),
            ("PYTHONDONTWRITEBYTECODE unset", with_plugin, base, None),
            ("set, ours compiled at install", with_plugin, set_env, compiled),
            ("set, no bytecode of ours, kept code", with_plugin, set_env, no_bytecode_of_ours),
            ("set, no bytecode of ours, nothing kept", with_plugin, set_env, nothing_kept),
        ]
        for label, ours, env, before in cases:
            paired(
                f"pytest, nothing selected: {label}", pytest, ours, env, tmp, args.rounds, before
            )
        if args.instructions:
            print("instructions executed (callgrind, PYTHONHASHSEED=0), once each")
            floors: dict[bool, tuple[int, float]] = {}
            for unset, env in ((True, base), (False, set_env)):
                counted = {**env, "PYTHONHASHSEED": "0"}
                count = instructions(pytest, counted, tmp)
                floor_ms = statistics.median(timed(pytest, counted, tmp) for _ in range(5)) * 1000
                floors[unset] = (count, floor_ms)
                label = f"pytest, no plugin ({'unset' if unset else 'set'})"
                print(f"{label:<46} {count / 1e6:8.1f} M  ({floor_ms:.0f} ms)")
            for label, _, env, before in cases[1:]:
                floor_count, floor_ms = floors["PYTHONDONTWRITEBYTECODE" not in env]
                counted = {**env, "PYTHONHASHSEED": "0"}
                if "nothing kept" not in label:
                    # Counted on a repeat run: what an earlier run wrote (bytecode beside
                    # the source, kept code) is there, as on every run but the first.
                    if before is not None:
                        before()
                    timed(with_plugin, counted, tmp)
                if before is not None:
                    before()
                row(label, instructions(with_plugin, counted, tmp), floor_count, floor_ms)
            # As users run it: the plugin loaded by its entry point, beside -p no:workspace
            # (every other installed plugin loads in both).
            auto = {k: v for k, v in set_env.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
            auto["PYTHONHASHSEED"] = "0"
            floor_count = instructions([*pytest, "-p", "no:workspace"], auto, tmp)
            print(f"{'entry point: -p no:workspace (set)':<46} {floor_count / 1e6:8.1f} M")
            for label, before in (
                ("entry point: ours compiled at install", compiled),
                ("entry point: no bytecode of ours, kept code", no_bytecode_of_ours),
                ("entry point: nothing kept (first run)", nothing_kept),
            ):
                before()
                if "first run" not in label:
                    timed(pytest, auto, tmp)
                    before()
                count = instructions(pytest, auto, tmp)
                print(f"{label:<46} {count / 1e6:8.1f} M  +{(count - floor_count) / 1e6:.1f} M")
        cli = [python, "-m", "pytest_workspace"]
        bare = [python, "-c", "pass"]
        subprocess.run([*cli, "env", "b", "--offline"], env=base, cwd=tmp, check=True)
        # 100 complete envs for `cache list` (copies of the real manifest, their own keys).
        envs = tmp / "cache" / "envs"
        (built,) = [path for path in envs.iterdir() if path.is_dir()]
        manifest = json.loads((built / "pytest-workspace.json").read_text())
        for index in range(99):
            fake = envs / f"{index:020d}"
            fake.mkdir(mode=0o700)
            (fake / "pytest-workspace.json").write_text(json.dumps({**manifest, "key": fake.name}))
        for label, argv in (
            ("CLI --help", [*cli, "--help"]),
            ("CLI --version", [*cli, "--version"]),
            ("CLI bundles", [*cli, "bundles"]),
            ("CLI env b (cache hit)", [*cli, "env", "b", "--offline"]),
            ("CLI cache list (100 envs)", [*cli, "cache", "list"]),
        ):
            paired(f"{label} vs python -c pass", bare, argv, base, tmp, args.rounds)
        # The same hit when no record of its inputs exists yet (the first run in a
        # directory, or after anything it depends on changed): the matrix is loaded.
        records = tmp / "cache" / "resolved"
        paired(
            "CLI env b (hit, not remembered) vs python -c pass",
            bare,
            [*cli, "env", "b", "--offline"],
            base,
            tmp,
            args.rounds,
            before=lambda: shutil.rmtree(records, ignore_errors=True),
        )

        # Without bytecode of ours (PYTHONDONTWRITEBYTECODE, an install that compiled
        # nothing): the kept code in the cache stands in for it.
        def not_remembered() -> None:
            no_bytecode_of_ours()
            shutil.rmtree(records, ignore_errors=True)

        argv = [*cli, "env", "b", "--offline"]
        for label, before in (
            ("CLI env b (hit), no bytecode of ours", no_bytecode_of_ours),
            ("CLI env b (hit, not remembered), no bytecode of ours", not_remembered),
        ):
            paired(f"{label} vs python -c pass", bare, argv, set_env, tmp, args.rounds, before)

        if args.instructions:
            # The memo records the environment, which valgrind changes: a first counted
            # run records its inputs, so "remembered" is counted on the second.
            print("CLI instructions (callgrind, PYTHONHASHSEED=0, bytecode of ours), once each")
            compiled()
            counted = {**base, "PYTHONHASHSEED": "0"}
            floor_count = instructions(bare, counted, tmp)
            floor_ms = statistics.median(timed(bare, counted, tmp) for _ in range(5)) * 1000
            print(f"{'python -c pass':<46} {floor_count / 1e6:8.1f} M  ({floor_ms:.0f} ms)")
            # What any loader of this matrix in this style imports before its own code:
            # the floor under the first hit's target.
            stdlib = "import argparse, dataclasses, hashlib, json, pathlib, tomllib"
            floor_imports = [python, "-c", f"{stdlib}; import packaging.version"]
            rows = [
                ("stdlib + packaging.version imports (floor)", floor_imports),
                ("CLI --help", [*cli, "--help"]),
                ("CLI env b (hit, remembered)", argv),
            ]
            instructions(argv, counted, tmp)  # records this environment's inputs
            # A selected run on a cache hit, beside the same pytest with the plugin idle:
            # what each tox env in driver mode and each whole-suite process pays.
            selected = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
            selected += ["-p", "pytest_workspace.plugin", "--workspace-offline"]
            idle = instructions([*selected, "test_nothing.py"], counted, tmp)
            chosen = instructions([*selected, "--bundle", "b", "test_env.py"], counted, tmp)
            print(
                f"{'pytest --bundle b (hit) vs the plugin idle':<46} {chosen / 1e6:8.1f} M  "
                f"+{(chosen - idle) / 1e6:.1f} M"
            )
            for label, command in rows:
                row(label, instructions(command, counted, tmp), floor_count, floor_ms)
            shutil.rmtree(records, ignore_errors=True)
            count = instructions(argv, counted, tmp)
            row("CLI env b (hit, not remembered)", count, floor_count, floor_ms)


if __name__ == "__main__":
    main()
