"""Environment build and reuse, ours beside the peers, paired in one run.

Run: python benchmarks/bench_envs.py [--rounds N] [--modules M] [--packages P]

Needs the ``uv`` extra and ``nox`` (``pip install -e '.[test]'``). Everything is
offline: a generated wheelhouse of P packages (default 6) (M modules each, Requires-Dist chains)
is installed from a local find-links directory, with uv's package cache warm.

Compared, round by round, with a fresh env each time:
  ours (uv)       EnvCache.get() with the uv backend (in-process, rebuild forced)
  ours, the CLI   `pytest-workspace env bench --rebuild` (the command users run: <= 1.5x)
  first hit       `pytest-workspace env bench` with nothing remembered (matrix loaded),
                  over `python -c pass` (target <= +30 ms)
  raw uv          `uv venv` + `uv pip install` (the floor we aim for: <= 1.2x)
  nox + pip       a nox session (virtualenv backend) running session.install(...)
  ours cache hit  EnvCache.get() of an existing env (target <= 1 ms)
and the disk an env adds beyond uv's cache (target <= 1.5 MB).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pytest_workspace import Settings, Workspace, load_matrix
from pytest_workspace.envs.cache.manifest import unshared_size
from pytest_workspace.envs.cache.store import EnvCache
from pytest_workspace.envs.installers import find_uv, get_installer
from pytest_workspace.envs.interpreters import current_interpreter
from pytest_workspace.envs.spec import IndexOptions
from tests.wheels import build_wheel

PACKAGES = [f"bench-{letter}" for letter in "abcdef"]


def package_names(count: int) -> list[str]:
    return [f"bench-{index:02d}" for index in range(count)] if count != 6 else list(PACKAGES)


def wheelhouse(directory: Path, modules: int, names: list[str] = PACKAGES) -> list[str]:
    body = "\n".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(40))
    requirements = []
    for index, name in enumerate(names):
        module = name.replace("-", "_")
        files = {f"{module}/m{i}.py": body for i in range(modules)}
        requires = [f"{names[index - 1]}>=1"] if index else []
        build_wheel(directory, name, "1.0.0", requires=requires, files=files)
        requirements.append(f"{name}==1.0.0")
    return requirements


def raw_uv(
    uv: str, python: str, target: Path, links: Path, requirements: list[str]
) -> list[list[str]]:
    """The peer we measure against: a fresh ``uv venv`` and one ``uv pip install``."""
    shutil.rmtree(target, ignore_errors=True)
    install = [uv, "pip", "install", "-q", "--python", str(target / "bin" / "python")]
    options = ["--link-mode", "hardlink", "--no-index", "--offline", "-f", str(links)]
    return [
        [uv, "venv", "-q", "--python", python, str(target)],
        [*install, *options, *requirements],
    ]


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


@contextlib.contextmanager
def scratch() -> Iterator[tuple[str, Path]]:
    """uv (or an exit that says how to get it) and a temporary directory whose uv cache
    and pip configuration are the run's own: no figure depends on this machine's."""
    uv = find_uv()
    if uv is None:
        sys.exit("needs uv: pip install -e '.[test]'")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        os.environ["UV_CACHE_DIR"] = str(tmp / "uv-cache")
        os.environ["PIP_CONFIG_FILE"] = os.devnull
        yield uv, tmp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--modules", type=int, default=60)
    parser.add_argument("--packages", type=int, default=6, help="e.g. 20 for the cache-hit target")
    args = parser.parse_args()
    if shutil.which("nox") is None:
        sys.exit("needs nox: pip install -e '.[test]'")

    with scratch() as (uv, tmp):
        for name in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "VIRTUAL_ENV"):
            os.environ.pop(name, None)
        links = tmp / "wheels"
        links.mkdir()
        names = package_names(args.packages)
        requirements = wheelhouse(links, args.modules, names)
        pins = "\n".join(f'"{name}" = "1.0.0"' for name in names)
        (tmp / "versions.toml").write_text(
            f'[index]\nfind-links = ["wheels"]\n[bundles.bench]\n{pins}\n'
        )
        matrix = load_matrix(tmp / "versions.toml")
        index = IndexOptions(find_links=(str(links),), offline=True)
        workspace = Workspace(Settings(rootdir=tmp, index=index), matrix=matrix)
        spec = workspace.spec(matrix.bundle("bench"))
        installer = get_installer("uv")
        cache = EnvCache(tmp / "cache")
        python = current_interpreter().path

        def raw(target: Path) -> None:
            for command in raw_uv(uv, python, target, links, requirements):
                subprocess.run(command, check=True)

        noxfile = tmp / "noxfile.py"
        noxfile.write_text(
            textwrap.dedent(f"""
            import nox

            @nox.session(venv_backend="virtualenv", reuse_venv=False)
            def bundle(session):
                session.install("--no-index", "--find-links", {str(links)!r}, *{requirements!r})
        """)
        )

        def through_nox() -> None:
            subprocess.run(
                ["nox", "-f", str(noxfile), "-s", "bundle", "--envdir", str(tmp / "nox")],
                check=True,
                capture_output=True,
            )

        # The command users run, in the project's directory, with its own cache.
        cli_env = {**os.environ, "PYTEST_WORKSPACE_CACHE": str(tmp / "cli-cache")}
        command = [sys.executable, "-m", "pytest_workspace", "env", "bench", "--offline"]

        def cli(*extra: str) -> None:
            run = [*command, *extra]
            subprocess.run(run, cwd=tmp, env=cli_env, check=True, capture_output=True)

        def start() -> None:
            subprocess.run([sys.executable, "-c", "pass"], check=True)

        # Warm uv's package cache and the interpreter's file cache.
        raw(tmp / "raw")
        cache.get(spec, installer)
        cli()

        ours: list[float] = []
        peers: list[float] = []
        noxes: list[float] = []
        clis: list[float] = []
        firsts: list[float] = []
        starts: list[float] = []
        records = tmp / "cli-cache" / "resolved"
        for round_ in range(args.rounds):
            steps: list[Callable[[], None]] = [
                lambda: peers.append(timed(lambda: raw(tmp / "raw"))),
                lambda: ours.append(
                    timed(lambda: cache.get(spec, installer, rebuild_before=time.time() + 1))
                ),
                lambda: clis.append(timed(lambda: cli("--rebuild"))),
                lambda: starts.append(timed(start)),
            ]
            # Alternate who goes first, so neither side always gets the warmer machine.
            for step in steps if round_ % 2 else steps[::-1]:
                step()
            shutil.rmtree(records, ignore_errors=True)  # not remembered: matrix loaded
            firsts.append(timed(cli))
            if round_ < 3:
                noxes.append(timed(through_nox))

        hits: list[float] = []
        for _ in range(200):
            hits.append(timed(lambda: cache.get(spec, installer)))
        env = cache.get(spec, installer)
        assert not env.fresh
        extra = unshared_size(env.path)
        raw_extra = unshared_size(tmp / "raw")

    ms = 1000.0
    median_ours, median_raw = statistics.median(ours), statistics.median(peers)
    median_nox = statistics.median(noxes)
    print(
        f"bundle: {args.packages} packages x {args.modules} modules, offline, warm uv cache; "
        f"{args.rounds} paired rounds ({sys.platform}, {os.cpu_count()} cores)"
    )
    print(f"  raw uv venv + uv pip install  {median_raw * ms:8.1f} ms  (median)")
    print(
        f"  ours, cold build (uv)         {median_ours * ms:8.1f} ms  "
        f"= {median_ours / median_raw:.2f}x raw   target <= 1.2x"
    )
    median_cli, median_start = statistics.median(clis), statistics.median(starts)
    bytecode = "unset" if not os.environ.get("PYTHONDONTWRITEBYTECODE") else "set"
    print(
        f"  ours, the CLI, cold build     {median_cli * ms:8.1f} ms  "
        f"= {median_cli / median_raw:.2f}x raw   target <= 1.5x  "
        f"(pytest-workspace env bench --rebuild; PYTHONDONTWRITEBYTECODE {bytecode})"
    )
    print(
        f"  the CLI, first hit in a dir   {statistics.median(firsts) * ms:8.1f} ms  "
        f"= +{(statistics.median(firsts) - median_start) * ms:.0f} ms over python -c pass "
        f"({median_start * ms:.0f} ms)   target <= +30 ms"
    )
    print(
        f"  nox session + pip             {median_nox * ms:8.1f} ms  "
        f"= ours is {median_nox / median_ours:.1f}x faster   target >= 5x"
    )
    print(
        f"  ours, cache hit               {statistics.median(hits) * ms:8.3f} ms  (median of "
        f"{len(hits)}; max {max(hits) * ms:.3f} ms)   target <= 1 ms"
    )
    print(
        f"  disk per env beyond uv cache  {extra / 1024:8.1f} KiB (raw uv venv: "
        f"{raw_extra / 1024:.1f} KiB)   target <= 1.5 MB"
    )


if __name__ == "__main__":
    main()
