from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from pytest_workspace.cache import EnvCache
from pytest_workspace.env import CommandError, Env
from pytest_workspace.manifest import MANIFEST
from pytest_workspace.errors import EnvError, InstallError, InterpreterNotFound, SelectionError
from pytest_workspace.installers import Installer, PipInstaller, UvInstaller, get_installer
from pytest_workspace import load_matrix
from pytest_workspace.matrix import Matrix
from pytest_workspace.spec import EnvSpec, IndexOptions, find_interpreter

from .helpers import run_cli, spec_for
from .wheels import make_checkout

pytestmark = pytest.mark.slow
BACKENDS = ["uv", "pip"]


SEEDS = {"pip", "setuptools", "wheel"}


def packages(env: Env) -> dict[str, str]:
    """What an env holds beyond the installer's own seed packages."""
    return {name: version for name, version in env.installed().items() if name not in SEEDS}


class Counting:
    """Wraps a real installer and counts the commands it runs."""

    def __init__(self, backend: str) -> None:
        self.real = get_installer(backend)
        self.creates = 0
        self.installs = 0

    def wrap(self) -> Installer:
        counter = self
        real = self.real

        class Wrapped(type(real)):  # type: ignore[misc]
            def __init__(self) -> None:
                self.__dict__.update(real.__dict__)

            def create(self, path: Path, python: object) -> None:
                counter.creates += 1
                super().create(path, python)

            def install(self, *args: object, **kwargs: object) -> None:
                counter.installs += 1
                super().install(*args, **kwargs)

        return Wrapped()


@pytest.mark.parametrize("backend", BACKENDS)
def test_bundle_env_holds_exactly_the_pins_and_is_reused(
    backend: str, pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    counting = Counting(backend)
    env = cache.get(spec, counting.wrap())
    assert env.fresh
    assert packages(env) == {
        "pwt-core": "1.0.0",
        "pwt-platform": "1.0.0",
        "pwt-plugin-a": "0.1.0",
    }
    assert env.pins == {"core": "1.0.0", "platform": "1.0.0", "plugins@a": "0.1.0"}
    assert (
        env.run_python("import pwt_platform, pwt_core; print(pwt_core.VERSION)").stdout == "1.0.0\n"
    )
    assert env.run(["pwt-core"]).stdout == "pwt-core 1.0.0\n"
    assert env.python.is_file()
    assert env.bin_dir == env.python.parent
    manifest = json.loads((env.path / MANIFEST).read_text())
    assert (manifest["installer"], manifest["label"]) == (backend, "old")
    assert manifest["installed"] == env.installed()
    assert (cache.root / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f")
    # pip is seeded only by the pip backend
    assert ("pip" in env.installed()) == (backend == "pip")

    again = cache.get(spec, counting.wrap())
    assert (again.path, again.fresh) == (env.path, False)
    assert (counting.creates, counting.installs) == (1, 1)


def test_backends_and_options_get_different_envs(
    pwt_matrix: Matrix, offline: IndexOptions, shared_cache: EnvCache
) -> None:
    spec = spec_for(pwt_matrix, "old", index=offline)
    other_index = spec_for(
        pwt_matrix, "old", index=IndexOptions(find_links=offline.find_links, offline=False)
    )
    paths = {
        shared_cache.path_for(spec, UvInstaller()),
        shared_cache.path_for(spec, PipInstaller()),
        shared_cache.path_for(other_index, UvInstaller()),
    }
    assert len(paths) == 3
    # The same request from another process or repository names the same env.
    assert spec.key(UvInstaller().identity()) == spec_for(
        load_matrix(pwt_matrix.path), "old", index=offline
    ).key(UvInstaller().identity())


BUILD_SCRIPT = """
import json, os, sys
from pathlib import Path
from pytest_workspace import Settings, Workspace

settings = Settings.layered(
    {"matrix": sys.argv[1], "cache": sys.argv[2], "find_links": [sys.argv[3]], "offline": True},
    installer="uv",
)
workspace = Workspace(settings)
env = workspace.env(workspace.matrix.bundle(sys.argv[4]))
ran = env.run_python("import pwt_core; print(pwt_core.VERSION)").stdout.strip()
print(json.dumps({"path": str(env.path), "fresh": env.fresh, "ran": ran}))
"""


def builder(
    pwt_matrix: Matrix, cache: Path, wheelhouse: Path, bundle: str, **env: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            BUILD_SCRIPT,
            str(pwt_matrix.path),
            str(cache),
            str(wheelhouse),
            bundle,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        start_new_session=True,
    )


def test_four_processes_one_build(pwt_matrix: Matrix, wheelhouse: Path, tmp_path: Path) -> None:
    processes = [builder(pwt_matrix, tmp_path / "cache", wheelhouse, "new") for _ in range(4)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    assert len({result["path"] for result in results}) == 1
    assert sorted(result["fresh"] for result in results) == [False, False, False, True]
    builds = (tmp_path / "cache" / "builds.log").read_text().splitlines()
    assert [json.loads(line)["label"] for line in builds] == ["new"]
    assert {result["ran"] for result in results} == {"1.1.0"}


def test_killed_build_is_rebuilt(
    pwt_matrix: Matrix, wheelhouse: Path, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "slow", index=offline)
    path = cache.path_for(spec, get_installer("uv"))
    process = builder(pwt_matrix, cache.root, wheelhouse, "slow", PWT_SLOW_SECONDS="120")
    deadline = time.monotonic() + 120
    # Midway: the venv exists and the installer is building the slow sdist.
    while not (path / "bin" / "python").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert path.is_dir()
    assert not (path / MANIFEST).exists()

    env = cache.get(spec, "uv")
    assert env.fresh
    assert env.installed() == {"pwt-core": "1.0.0", "pwt-slow": "1.0.0"}
    assert env.run_python("import pwt_slow; print(pwt_slow.VERSION)").stdout == "1.0.0\n"


def _corrupt_manifest(env: Env) -> None:
    (env.path / MANIFEST).write_text("{not json")


def _drop_manifest(env: Env) -> None:
    (env.path / MANIFEST).unlink()


def _half_delete(env: Env) -> None:
    site = next(env.path.glob("lib/*/site-packages"))
    shutil.rmtree(site / "pwt_platform-1.0.0.dist-info")
    shutil.rmtree(site / "pwt_platform")


def _delete_python(env: Env) -> None:
    shutil.rmtree(env.bin_dir)


def _other_schema(env: Env) -> None:
    manifest = json.loads((env.path / MANIFEST).read_text())
    (env.path / MANIFEST).write_text(json.dumps({**manifest, "schema": 0}))


@pytest.mark.parametrize(
    "damage", [_corrupt_manifest, _drop_manifest, _half_delete, _delete_python, _other_schema]
)
def test_damaged_env_is_rebuilt(
    damage: Callable[[Env], None], pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    damage(cache.get(spec, "uv"))
    env = cache.get(spec, "uv")
    assert env.fresh
    assert env.installed() == {
        "pwt-core": "1.0.0",
        "pwt-platform": "1.0.0",
        "pwt-plugin-a": "0.1.0",
    }


@pytest.mark.parametrize("backend", BACKENDS)
def test_metadata_drift_names_component_pin_and_requirement(
    backend: str, pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "drift", index=offline)
    with pytest.raises(InstallError) as info:
        cache.get(spec, backend)
    assert str(info.value) == (
        "cannot install bundle drift: pwt-platform 1.1.0 requires pwt-core>=1.1,<2, "
        "but the bundle pins pwt-core 1.0.0"
    )
    # No half-built env is left behind.
    assert not cache.path_for(spec, get_installer(backend)).exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_version_names_component_version_and_index(
    backend: str, pwt_matrix: Matrix, offline: IndexOptions, wheelhouse: Path, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "ghost", index=offline)
    with pytest.raises(InstallError) as info:
        cache.get(spec, backend)
    assert str(info.value) == (
        f"cannot install bundle ghost: pwt-core 9.9.9 (core) is not available from "
        f"find-links {wheelhouse}; no index (offline) (found there: 1.0.0, 1.1.0, 2.0.0)"
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_private_env_upgrades_and_downgrades_in_place(
    backend: str, pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    old, new = pwt_matrix.bundle("old"), pwt_matrix.bundle("new")
    spec = spec_for(pwt_matrix, "old", index=offline)
    shared = cache.get(spec, backend)
    shared_manifest = (shared.path / MANIFEST).read_text()

    private = cache.private(spec, tmp_path / "private", backend)
    assert (private.shared, private.path) == (False, tmp_path / "private")
    state = tmp_path / "state.txt"
    private.run_python(f"import pwt_core; open({str(state)!r}, 'w').write(pwt_core.VERSION)")

    assert private.install(new.pins) is private
    assert packages(private) == {
        "pwt-core": "1.1.0",
        "pwt-platform": "1.1.0",
        "pwt-plugin-a": "0.2.0",
    }
    assert private.pins == {"core": "1.1.0", "platform": "1.1.0", "plugins@a": "0.2.0"}
    assert state.read_text() == "1.0.0"

    private.install(old.pins)
    assert private.run_python("import pwt_core; print(pwt_core.VERSION)").stdout == "1.0.0\n"

    # The shared env of the source bundle never moved.
    assert shared.installed()["pwt-core"] == "1.0.0"
    assert (shared.path / MANIFEST).read_text() == shared_manifest
    with pytest.raises(EnvError, match="refusing to change the shared env old"):
        shared.install(new.pins)


def test_failed_command_shows_everything(
    pwt_matrix: Matrix, offline: IndexOptions, shared_cache: EnvCache
) -> None:
    env = shared_cache.get(spec_for(pwt_matrix, "old", index=offline))
    with pytest.raises(CommandError) as info:
        env.run_python("import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)")
    message = str(info.value)
    assert message.startswith(f"command failed with exit code 3: {env.python} -c import sys")
    assert message.endswith("--- stdout ---\nout\n\n--- stderr ---\nerr\n")
    assert env.run_python("raise SystemExit(4)", check=False).returncode == 4


def test_bytecode_goes_to_one_shared_tree(
    pwt_matrix: Matrix,
    offline: IndexOptions,
    shared_cache: EnvCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = shared_cache.get(spec_for(pwt_matrix, "old", index=offline))
    env.run_python("import pwt_platform")
    site = next(env.path.glob("lib/*/site-packages"))
    assert not list(site.rglob("*.pyc")), "no bytecode inside the shared env"
    assert list(shared_cache.pycache.rglob("pwt_platform/__init__.*.pyc"))
    # A user who sets the variable for a command gets exactly that.
    assert (
        env.run_python(
            "import sys; print(sys.dont_write_bytecode)", env={"PYTHONDONTWRITEBYTECODE": "1"}
        ).stdout
        == "True\n"
    )


def test_missing_interpreter(write_matrix: Callable[..., Path]) -> None:
    matrix = load_matrix(write_matrix('[bundles.b]\npython = "2.6"\ncore = "1.0"\n'))
    with pytest.raises(InterpreterNotFound) as info:
        spec_for(matrix, "b")
    assert str(info.value) == "Python 2.6 is not available (no python2.6 on PATH)"
    assert find_interpreter(None) == find_interpreter(".".join(map(str, sys.version_info[:2])))


@pytest.mark.parametrize("editable", [True, False], ids=["editable", "snapshot"])
def test_local_source_replaces_the_pin(
    editable: bool, pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    checkout = make_checkout(tmp_path / "checkout")
    cache = EnvCache(tmp_path / "cache")

    def spec_now() -> EnvSpec:
        return spec_for(
            pwt_matrix, "old", index=offline, sources={"core": checkout}, editable=editable
        )

    spec = spec_now()
    env = cache.get(spec)
    assert env.installed()["pwt-core"] == "1.5.0.dev0"
    assert env.installed()["pwt-platform"] == "1.0.0"
    assert env.run_python("import pwt_core; print(pwt_core.VERSION)").stdout == "checkout\n"
    (checkout / "src" / "pwt_core" / "__init__.py").write_text("VERSION = 'edited'\n")
    changed = spec_now()
    # Editable sources follow edits in place; snapshots are keyed by their files.
    assert (changed == spec) is editable
    env = cache.get(changed)
    assert env.run_python("import pwt_core; print(pwt_core.VERSION)").stdout == "edited\n"


def test_names_and_versions_are_validated_before_any_command(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    installer = get_installer("uv")
    with pytest.raises(SelectionError) as info:
        installer.install(tmp_path / "python", ["pwt-core==1.0; rm -rf /"], offline)
    assert str(info.value) == "not a valid PEP 508 requirement: 'pwt-core==1.0; rm -rf /'"


def test_cli_env_and_cache(pwt_matrix: Matrix, wheelhouse: Path, tmp_path: Path) -> None:
    common: Sequence[str] = (
        "--matrix",
        str(pwt_matrix.path),
        "--cache",
        str(tmp_path / "c"),
        "--find-links",
        str(wheelhouse),
        "--offline",
    )
    first = run_cli("env", "old", *common)
    assert first.returncode == 0, first.stderr
    path = Path(first.stdout.splitlines()[-1])
    assert (path / MANIFEST).is_file()
    assert "built" in first.stderr
    again = run_cli("env", "old", *common)
    assert again.stdout.splitlines()[-1] == str(path)
    assert "reused" in again.stderr

    combo = run_cli("env", "--combination", "core=2.0.0,platform=2.0.0", *common)
    assert combo.returncode == 0, combo.stderr
    listed = run_cli("cache", "list", "--cache", str(tmp_path / "c"))
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["KEY", "LABEL", "INSTALLER", "SIZE", "LAST", "USED", "PINS"]
    assert any(path.name in line and "core=1.0.0" in line for line in lines)
    assert any("core=2.0.0" in line for line in lines)

    pruned = run_cli("cache", "prune", "--max-size", "0", "--cache", str(tmp_path / "c"))
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.splitlines()[-1] == "removed 2 envs"
    assert not path.exists()

    bad = run_cli("env", "--combination", "core=1.0.0,platform=1.1.0", *common)
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-1] == (
        "pytest-workspace: error: cannot install combination core=1.0.0,platform=1.1.0: "
        "pwt-platform 1.1.0 requires pwt-core>=1.1,<2, but the combination pins pwt-core 1.0.0"
    )
    assert "Traceback" not in bad.stderr


def test_lock_wait_is_bounded_and_names_the_lock(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    from filelock import FileLock

    from pytest_workspace.errors import LockTimeout

    cache = EnvCache(tmp_path / "cache", lock_timeout=0.2)
    spec = spec_for(pwt_matrix, "old", index=offline)
    path = cache.path_for(spec, get_installer("uv"))
    path.parent.mkdir(parents=True)
    lock = path.with_name(path.name + ".lock")
    # Another process is building: its lock is held for longer than the bound.
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from filelock import FileLock; import time\n"
            f"with FileLock({str(lock)!r}):\n    print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "held\n"
        with pytest.raises(LockTimeout) as info:
            cache.get(spec, "uv")
    finally:
        process.kill()
        process.wait()
    assert str(info.value) == (
        f"timed out after 0.2 s waiting for {lock}: another process is building env old; "
        "wait for it or raise PYTEST_WORKSPACE_LOCK_TIMEOUT"
    )
    assert not path.exists()
    # Once that process is gone (killed, even), its lock is free again.
    with FileLock(str(lock), timeout=5):
        pass
    assert cache.get(spec, "uv").fresh


def test_prune_older_than(pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path) -> None:
    cache = EnvCache(tmp_path / "cache")
    old = cache.get(spec_for(pwt_matrix, "old", index=offline), "uv")
    new = cache.get(spec_for(pwt_matrix, "new", index=offline), "uv")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old.path / MANIFEST, (ten_days_ago, ten_days_ago))
    removed = cache.prune(older_than=7 * 86400)
    assert [entry.label for entry in removed] == ["old"]
    assert not old.path.exists()
    assert [entry.label for entry in cache.entries()] == ["new"]
    assert new.path.exists()
