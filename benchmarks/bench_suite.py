"""Whole-suite mode against running the suite by hand in two prebuilt venvs.

Run: python benchmarks/bench_suite.py [--rounds N] [--tests 50] [--shape small|realistic]
                                      [--instructions]

A component checkout (pwt-platform, editable) whose suite imports it and its
dependencies; two bundles pin different versions of pwt-core. Two suites (both by
default):
  small      ``--tests`` trivial tests in one file: nearly all of a run is fixed cost,
             reported in milliseconds over the parallel floor
  realistic  a checkout of 40 modules over a 50-module library (pwt-lib) and pwt-core;
             20 test files of 25 tests each (parametrized, fixtures from a conftest,
             tmp_path), each importing the modules it tests: 501 tests
Every run also checks that it imports pwt-core and pwt-lib from its own env: a run that
used the controller's packages would be fast and wrong.
Every venv holds bytecode of what it installs (as pip leaves it, and uv with
``--compile-bytecode``; the bundle envs keep theirs, see ``envs/bytecode_hook.py``): a
venv without it compiles pytest at every start under ``PYTHONDONTWRITEBYTECODE``, which
would time the installer's default, not the run.
Compared round by round, order rotated, everything offline and every env prebuilt:
  ours       pytest --bundle=all --workspace-env=bundle (envs cached)
  engine     pytest-xdist alone, no plugin of ours: `--dist each` over one popen worker
             on each bundle env's python, plus the one thing any tool doing this must
             add (a small plugin written to the scratch directory: xdist hands popen
             workers the controller's sys.path, so each worker keeps its own): the
             engine's own cost, which ours adds the selection, the env checks and the
             reports to
  floor ||   the two venvs' own `python -m pytest`, started together (as ours runs them)
  floor seq  the same two runs one after the other
Targets: realistic suite, ours <= 1.15x the parallel floor; small suite, its fixed cost.
``--instructions`` (needs valgrind) also counts, once, the instructions every process of
each way executes (callgrind, ``PYTHONHASHSEED=0``): the outer process and each worker
apart, repeatable whatever the machine is doing, so what ours adds to the engine, and
the engine to the floor, shows without the noise of wall-clock rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_envs import scratch
from tests.helpers import MATRIX
from tests.wheels import add_in_tree_backend, build_wheel, build_wheelhouse, repack_closure

SHAPES = ("small", "realistic")


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def checkout(root: Path, tests: int, shape: str) -> None:
    (root / "src" / "pwt_platform").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
        '[project]\nname = "pwt-platform"\ndynamic = ["version"]\n'
    )
    requires = ["pwt-core>=1.0,<2", *(["pwt-lib==1.0.0"] if shape == "realistic" else [])]
    add_in_tree_backend(root, "pwt-platform", requires=requires)
    (root / "VERSION").write_text("1.2.0.dev0")
    package = root / "src" / "pwt_platform"
    (package / "__init__.py").write_text(
        "import pwt_core\n\n\ndef core_version():\n    return pwt_core.VERSION\n"
    )
    (root / "tests" / "test_own_env.py").write_text(OWN_ENV)
    (root / "versions.toml").write_text(MATRIX.format(links="wheels"))
    if shape == "small":
        body = "\n\n".join(
            f"def test_{n}():\n    assert pwt_platform.core_version() == pwt_core.VERSION"
            for n in range(tests)
        )
        header = "import pwt_core\nimport pwt_platform\n\n"
        (root / "tests" / "test_many.py").write_text(f"{header}{body}\n")
        return
    for index in range(40):
        (package / f"mod{index}.py").write_text(MODULE.replace("LIB", f"m{index}"))
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    for index in range(20):
        text = TEST_FILE.replace("FIRST", f"mod{index}").replace("SECOND", f"mod{index + 20}")
        (root / "tests" / f"test_mod{index}.py").write_text(text.replace("LIB", f"m{index}"))


def library(links: Path) -> None:
    """pwt-lib: 50 modules of 40 functions, the weight of a real dependency's imports."""
    body = "\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(40))
    files = {f"pwt_lib/m{i}.py": body for i in range(50)}
    build_wheel(links, "pwt-lib", "1.0.0", files=files)


OWN_ENV = """\
import os
import sys

import pwt_core


def test_dependencies_come_from_this_env():
    prefix = os.path.realpath(sys.prefix)
    assert os.path.realpath(pwt_core.__file__).startswith(prefix), pwt_core.__file__
    for name in ("pwt_lib.m0",):
        module = sys.modules.get(name)
        if module is not None:
            assert os.path.realpath(module.__file__).startswith(prefix), module.__file__
"""

MODULE = """\
import dataclasses
import json

import pwt_core
from pwt_lib import LIB as lib


@dataclasses.dataclass(frozen=True)
class Record:
    name: str
    size: int

    def scaled(self, factor):
        return Record(self.name, self.size * factor)


def core_version():
    return pwt_core.VERSION


def encode(record):
    return json.dumps(dataclasses.asdict(record), sort_keys=True)


def decode(text):
    return Record(**json.loads(text))


def total(records):
    return sum(lib.f3(record.size) - 3 for record in records)
"""

CONFTEST = """\
import pytest

import pwt_core
import pwt_lib.m0


@pytest.fixture(scope="session")
def core_version():
    return pwt_core.VERSION


@pytest.fixture
def records():
    from pwt_platform.mod0 import Record

    return [Record(f"r{n}", n) for n in range(10)]
"""

TEST_FILE = """\
import pytest

from pwt_platform import FIRST as first, SECOND as second


@pytest.mark.parametrize("size", range(5))
def test_round_trip(size):
    record = first.Record("x", size)
    assert first.decode(first.encode(record)) == record


@pytest.mark.parametrize("factor", range(5))
def test_scaled(factor, records):
    assert second.total(r.scaled(factor) for r in records) == 45 * factor


@pytest.mark.parametrize("n", range(5))
def test_core(n, core_version):
    assert first.core_version() == core_version


@pytest.mark.parametrize("n", range(5))
def test_files(n, tmp_path):
    path = tmp_path / "record.json"
    path.write_text(second.encode(second.Record("y", n)))
    assert second.decode(path.read_text()).size == n


@pytest.mark.parametrize("n", range(5))
def test_lib(n):
    from pwt_lib import LIB as lib

    assert lib.f7(n) == n + 7
"""

# The worker module of the engine baseline, sent by xdist as source: the worker keeps
# its own sys.path (its env's) instead of the controller's, then runs xdist's own.
ENGINE_REMOTE = """\
if __name__ == "__channelexec__":
    import importlib.util
    import os
    import runpy
    import sys

    own = [entry for entry in sys.path if entry not in ("", os.getcwd())]

    class Own:
        def __init__(self, channel):
            self.channel, self.first = channel, True

        def receive(self, *args, **kwargs):
            message = self.channel.receive(*args, **kwargs)
            if self.first:
                self.first = False
                message = (*message[:3], own)
            return message

        def __getattr__(self, name):
            return getattr(self.channel, name)

    found = importlib.util.find_spec("xdist")
    remote = os.path.join(os.path.dirname(found.origin), "remote.py")
    runpy.run_path(remote, init_globals={"channel": Own(channel)}, run_name="__channelexec__")
"""

ENGINE_PLUGIN = """\
import engine_remote


def pytest_xdist_getremotemodule():
    return engine_remote
"""


WORKER = "exec(eval(sys.stdin.readline()))"  # how execnet starts a popen worker


def counted(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, int]:
    """Instructions executed by each process ``argv`` starts (callgrind follows the
    children): the outer process, each worker, and the rest (git, uname) together."""
    environ = {**(os.environ if env is None else env), "PYTHONHASHSEED": "0"}
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                "valgrind", "--tool=callgrind", "--trace-children=yes",
                f"--callgrind-out-file={out}/cg.%p", f"--log-file={out}/log.%p", *argv,
            ],
            cwd=cwd, env=environ, capture_output=True, check=True,
        )  # fmt: skip
        found: dict[str, int] = {}
        for log in sorted(Path(out).glob("log.*")):
            text = log.read_text()
            count, command = re.search(r"Collected : (\d+)", text), re.search("Command: (.*)", text)
            if count is None or command is None:
                continue
            if WORKER in command[1]:
                kind = f"worker {sum(key.startswith('worker') for key in found) + 1}"
            elif command[1].startswith(argv[0]):
                kind = "outer"
            else:
                kind = "other"
            found[kind] = found.get(kind, 0) + int(count[1])
    return found


def measure(
    uv: str,
    tmp: Path,
    links: Path,
    controller: Path,
    shape: str,
    tests: int,
    rounds: int,
    counts: dict[str, dict[str, int]] | None = None,
) -> dict[str, tuple[list[float], list[float]]]:
    repo = tmp / shape
    checkout(repo, tests, shape)
    (repo / "wheels").symlink_to(links)
    quiet = ["-q", "-p", "no:cacheprovider"]
    cache = tmp / f"cache-{shape}"
    ours = [
        str(controller / "bin" / "python"), "-m", "pytest", *quiet, "--bundle=all",
        "--workspace-env=bundle", "--workspace-offline", f"--workspace-cache={cache}",
    ]  # fmt: skip
    venvs = []
    for bundle, core in (("old", "1.0.0"), ("new", "1.1.0")):
        venv = tmp / f"venv-{shape}-{bundle}"
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        subprocess.run(
            [
                uv, "pip", "install", "-q", "--compile-bytecode",
                "--python", str(venv / "bin" / "python"),
                "--offline", "--find-links", str(links), f"pwt-core=={core}", "pytest",
                "-e", str(repo),
            ],
            check=True,
        )  # fmt: skip
        venvs.append([str(venv / "bin" / "python"), "-m", "pytest", *quiet, "tests"])

    def run(argv: list[str], env: dict[str, str] | None = None) -> None:
        done = subprocess.run(argv, cwd=repo, capture_output=True, text=True, env=env)
        if done.returncode:
            raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")

    def parallel() -> None:
        started = [
            subprocess.Popen(argv, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            for argv in venvs
        ]
        for process in started:
            output = process.communicate()[0]
            if process.returncode:
                raise SystemExit(f"a floor run failed:\n{output.decode()}")

    def sequential() -> None:
        for argv in venvs:
            run(argv)

    report = tmp / f"results-{shape}.json"
    run([*ours, f"--workspace-report={report}"])  # builds the two bundle envs, once
    bundles = json.loads(report.read_text())["bundles"].values()
    pythons = [str(cache / "envs" / bundle["env"] / "bin" / "python") for bundle in bundles]
    plugin = tmp / "engine"
    plugin.mkdir(exist_ok=True)
    (plugin / "engine_remote.py").write_text(ENGINE_REMOTE)
    (plugin / "engine_plugin.py").write_text(ENGINE_PLUGIN)
    engine_env = {**os.environ, "PYTHONPATH": str(plugin)}
    engine = [
        pythons[0], "-m", "pytest", *quiet, "-p", "no:workspace", "-p", "engine_plugin",
        "--dist=each", *(f"--tx=popen//python={python}" for python in pythons), "tests",
    ]  # fmt: skip
    figures: dict[str, tuple[list[float], list[float]]] = {
        label: ([], []) for label in ("ours", "engine", "floor ||", "floor seq")
    }
    steps: list[tuple[str, Callable[[], None]]] = [
        ("ours", lambda: run(ours)),
        ("engine", lambda: run(engine, engine_env)),
        ("floor ||", parallel),
        ("floor seq", sequential),
    ]
    for _, step in steps:  # warm the OS's caches; check every run passes
        step()
    for round_ in range(rounds):
        turn = round_ % len(steps)
        for label, step in steps[turn:] + steps[:turn]:
            # CPU of every process a step ran (the workers too: each parent reaps its own).
            used = _children_cpu()
            start = time.perf_counter()
            step()
            figures[label][0].append(time.perf_counter() - start)
            figures[label][1].append(_children_cpu() - used)
    if counts is not None:
        counts["ours"] = counted(ours, repo)
        counts["engine"] = counted(engine, repo, engine_env)
        floors = [counted(argv, repo) for argv in venvs]
        counts["floor"] = {f"run {n}": run["outer"] for n, run in enumerate(floors, 1)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tests", type=int, default=50, help="the small suite's size")
    parser.add_argument("--shape", choices=SHAPES, action="append")
    parser.add_argument("--instructions", action="store_true", help="also count with valgrind")
    args = parser.parse_args()
    shapes = args.shape or list(SHAPES)
    results = {}
    counts: dict[str, dict[str, dict[str, int]]] = {}
    with scratch() as (uv, tmp):
        links = build_wheelhouse(tmp / "wheels")
        library(links)
        repack_closure(links, "pytest-xdist")
        repack_closure(links, "pytest-workspace")
        # The controller's own venv: pytest, pytest-xdist, this plugin and what the
        # suite's conftest imports (as in a developer's venv), nothing else (an unrelated
        # plugin such as hypothesis would be timed as if it were ours).
        controller = tmp / "controller"
        subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(controller)], check=True)
        subprocess.run(
            [
                uv, "pip", "install", "-q", "--compile-bytecode",
                "--python", str(controller / "bin" / "python"),
                "--offline", "--find-links", str(links), "pytest-workspace", "pytest-xdist",
                "pwt-core==1.1.0", "pwt-lib==1.0.0",
            ],
            check=True,
        )  # fmt: skip
        for shape in shapes:
            counts[shape] = {}
            results[shape] = measure(
                uv, tmp, links, controller, shape, args.tests, args.rounds,
                counts[shape] if args.instructions else None,
            )  # fmt: skip

    bytecode = "set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "unset"
    print(
        f"whole-suite mode, 2 bundles, envs prebuilt, offline; {args.rounds} rounds, medians "
        f"(min-max); {os.cpu_count()} CPUs; PYTHONDONTWRITEBYTECODE {bytecode}"
    )
    for shape, figures in results.items():
        size = f"{args.tests} trivial tests" if shape == "small" else "501 tests, 40+50 modules"
        print(f"{shape} suite ({size}):")
        floor = statistics.median(figures["floor ||"][0])
        for label, (walls, cpus) in figures.items():
            median = statistics.median(walls)
            print(
                f"  {label:<10} {median * 1000:7.0f} ms  ({min(walls) * 1000:.0f}-"
                f"{max(walls) * 1000:.0f})  = {median / floor:.2f}x the parallel floor; "
                f"CPU {statistics.median(cpus):.2f} s"
            )
        mine = statistics.median(figures["ours"][0])
        engine = statistics.median(figures["engine"][0])
        target = "<= 1.15x the parallel floor" if shape == "realistic" else "(fixed cost)"
        print(
            f"  ours = {mine / engine:.2f}x the engine alone, "
            f"{mine / statistics.median(figures['floor seq'][0]):.2f}x the sequential floor, "
            f"+{(mine - floor) * 1000:.0f} ms over the parallel floor; target {target}"
        )
        if counts[shape]:
            floor_total = sum(counts[shape]["floor"].values())
            print("  instructions (callgrind, PYTHONHASHSEED=0), every process:")
            for label, parts in counts[shape].items():
                total = sum(parts.values())
                each = ", ".join(f"{kind} {n / 1e6:.0f} M" for kind, n in parts.items())
                print(
                    f"    {label:<7} {total / 1e6:7.0f} M = {total / floor_total:.2f}x the "
                    f"floor's  ({each})"
                )


if __name__ == "__main__":
    main()
