"""The env cache: build once, reuse, survive kills and races, rebuild what is damaged."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_workspace import load_matrix
from pytest_workspace.envs.cache.manifest import MANIFEST
from pytest_workspace.envs.cache.store import EnvCache, build_lock_timeout
from pytest_workspace.envs.env import Env
from pytest_workspace.envs.installers import Installer, PipInstaller, UvInstaller, get_installer
from pytest_workspace.envs.spec import IndexOptions
from pytest_workspace.errors import EnvError, UntrustedCacheError, WorkspaceError
from pytest_workspace.model.matrix import Matrix

from .helpers import packages, spec_for

BACKENDS = ["uv", "pip"]


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
print(json.dumps({"path": str(env.path), "fresh": env.fresh, "ran": ran}), flush=True)
if os.environ.get("HOLD_ENV"):
    sys.stdin.read()  # a running session: it holds the env until told to stop
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
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        start_new_session=True,
    )


def test_a_copy_of_the_same_uv_names_the_same_env(
    pwt_matrix: Matrix, offline: IndexOptions, shared_cache: EnvCache, tmp_path: Path
) -> None:
    # A nox session venv gets uv reinstalled at every run: same version, new file.
    uv = UvInstaller()
    copy = tmp_path / "bin" / "uv"
    copy.parent.mkdir()
    shutil.copy(uv.binary, copy)  # a new inode and mtime
    spec = spec_for(pwt_matrix, "old", index=offline)
    assert shared_cache.path_for(spec, UvInstaller(str(copy))) == shared_cache.path_for(spec, uv)


def test_an_installer_that_cannot_run_is_named_as_such(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    # It was "cannot lock <cache>/envs/<key>.lock: Permission denied: <uv>".
    binary = tmp_path / "uv"
    binary.write_text("not a program")
    cache = EnvCache(tmp_path / "cache")
    with pytest.raises(EnvError) as raised:
        cache.get(spec_for(pwt_matrix, "old", index=offline), UvInstaller(str(binary)))
    assert str(raised.value) == f"cannot run {binary}: Permission denied"
    assert not [p for p in (tmp_path / "cache" / "envs").iterdir() if p.is_dir()]


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


def test_lock_wait_is_bounded_and_names_the_lock(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    from filelock import FileLock

    from pytest_workspace.errors import LockTimeout

    cache = EnvCache(tmp_path / "cache", build_lock_timeout=0.2)
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


def build_elsewhere(pwt_matrix: Matrix, cache: Path, wheelhouse: Path, bundle: str) -> Path:
    """Build ``bundle`` in another process that exits: nobody holds the env then."""
    out, err = builder(pwt_matrix, cache, wheelhouse, bundle).communicate()
    assert err == "", err
    return Path(json.loads(out)["path"])


def test_prune_older_than(pwt_matrix: Matrix, wheelhouse: Path, tmp_path: Path) -> None:
    cache = EnvCache(tmp_path / "cache")
    old = build_elsewhere(pwt_matrix, cache.root, wheelhouse, "old")
    new = build_elsewhere(pwt_matrix, cache.root, wheelhouse, "new")
    ten_days_ago = time.time() - 10 * 86400
    os.utime(old / MANIFEST, (ten_days_ago, ten_days_ago))
    removed = cache.prune(older_than=7 * 86400)
    assert [entry.label for entry in removed] == ["old"]
    assert not old.exists()
    assert [entry.label for entry in cache.entries()] == ["new"]
    assert new.exists()
    # The lock file stays: unlinking it lets two builders lock two inodes of one name.
    assert old.with_name(old.name + ".lock").is_file()


def test_prune_never_removes_an_env_in_use(
    pwt_matrix: Matrix, wheelhouse: Path, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    session = builder(pwt_matrix, cache.root, wheelhouse, "old", HOLD_ENV="1")
    try:
        assert session.stdout is not None
        path = Path(json.loads(session.stdout.readline())["path"])
        assert cache.prune(max_size=0) == []
        assert cache.prune(older_than=0, now=time.time() + 86400) == []
        assert (path / MANIFEST).is_file()
    finally:
        session.kill()
        session.wait()
    assert [entry.label for entry in cache.prune(max_size=0)] == ["old"]
    assert not path.exists()


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0, reason="needs root to act as another user"
)
def test_prune_never_removes_an_env_another_user_is_using(
    pwt_matrix: Matrix, offline: IndexOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A shared cache (a build host): root prunes while user nobody's session uses an
    # env. nobody may not write the .use file, and gave up holding it.
    from pytest_workspace.envs.cache import trust

    monkeypatch.setenv("PYTEST_WORKSPACE_SHARED_CACHE", "1")
    base = Path(tempfile.mkdtemp(dir="/tmp"))
    base.chmod(0o755)
    try:
        cache = EnvCache(base / "cache")
        spec = spec_for(pwt_matrix, "old", index=offline)
        env = cache.get(spec, "uv")
        ready_read, ready_write = os.pipe()
        done_read, done_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the other user's session
            code = 1
            try:
                trust._HELD.pop(str(env.path)).close()  # root's hold, inherited
                os.setgid(65534)
                os.setuid(65534)
                used = EnvCache(cache.root).get(spec, "uv")
                code = 0 if str(used.path) in trust._HELD and not used.fresh else 2
                os.write(ready_write, b"ready")
                os.read(done_read, 1)
            finally:
                os._exit(code)
        trust._HELD.pop(str(env.path)).close()  # only the other user's hold is left
        try:
            assert os.read(ready_read, 5) == b"ready"
            assert cache.prune(older_than=0, now=time.time() + 86400) == []
            assert (env.path / MANIFEST).is_file()
        finally:
            os.write(done_write, b"x")
            _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        # The control: with that session over, the same prune removes it.
        assert [e.label for e in cache.prune(older_than=0, now=time.time() + 86400)] == ["old"]
    finally:
        shutil.rmtree(base)


# -- trust: what the cache refuses, and what it never touches ------------------------------


def test_cache_directories_are_private(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    env = cache.get(spec_for(pwt_matrix, "old", index=offline), "uv")
    for directory in (cache.root, cache.envs_dir):
        assert directory.stat().st_mode & 0o777 == 0o700
    assert (env.path / MANIFEST).stat().st_mode & 0o077 == 0


def test_shared_cache_is_readable_never_writable_by_others(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache", shared=True)
    env = cache.get(spec_for(pwt_matrix, "old", index=offline), "uv")
    assert cache.envs_dir.stat().st_mode & 0o777 == 0o755
    for file in (env.path / MANIFEST, cache.root / "CACHEDIR.TAG"):
        assert file.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("where", ["root", "envs"])
def test_cache_writable_by_others_is_refused(
    where: str, pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    cache.envs_dir.mkdir(parents=True)
    directory = cache.root if where == "root" else cache.envs_dir
    directory.chmod(0o777)
    with pytest.raises(UntrustedCacheError) as info:
        cache.get(spec_for(pwt_matrix, "old", index=offline), "uv")
    assert str(info.value) == (
        f"refusing cache directory {directory}: it is writable by others (mode 777); "
        "run chmod go-w on it, or use a cache of your own"
    )
    assert list(cache.envs_dir.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another uid")
def test_env_planted_by_another_user_is_refused(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    env = cache.get(spec, "uv")
    # Another user pre-created the env for this (computable) key.
    for path in (env.path, env.path / MANIFEST):
        os.chown(path, 4242, 4242)
    with pytest.raises(UntrustedCacheError) as info:
        EnvCache(cache.root).get(spec, "uv")
    assert str(info.value).startswith(f"refusing env {env.path}: it is owned by uid 4242")
    assert (env.path / MANIFEST).is_file()  # refused, not deleted


def test_symlink_at_env_path_is_never_followed(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    real = cache.get(spec, "uv")
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(real.path, elsewhere, symlinks=True)
    before = (elsewhere / MANIFEST).read_bytes()
    shutil.rmtree(real.path)
    real.path.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(UntrustedCacheError) as info:
        EnvCache(cache.root).get(spec, "uv")
    assert "it is a symlink" in str(info.value)
    # Neither built into nor wiped through.
    assert (elsewhere / MANIFEST).read_bytes() == before
    assert real.path.is_symlink()


def test_lock_path_that_is_a_directory_is_one_clear_error(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    path = cache.path_for(spec, get_installer("uv"))
    path.with_name(path.name + ".lock").mkdir(parents=True)
    with pytest.raises(UntrustedCacheError) as info:
        cache.get(spec, "uv")
    assert str(info.value) == (
        f"refusing the build lock {path}.lock: it is not a regular file (a symlink or a "
        "directory that pytest-workspace did not create); remove it"
    )


@pytest.mark.parametrize("value", ["abc", "", "nan", "-1", "inf", "1e400"])
def test_lock_timeout_must_be_a_finite_number(value: str) -> None:
    with pytest.raises(WorkspaceError) as info:
        build_lock_timeout({"PYTEST_WORKSPACE_LOCK_TIMEOUT": value})
    assert str(info.value) == (
        f"PYTEST_WORKSPACE_LOCK_TIMEOUT={value!r}: expected a finite number of seconds "
        ">= 0 (default 900); waits are always bounded"
    )
    assert build_lock_timeout({"PYTEST_WORKSPACE_LOCK_TIMEOUT": "2.5"}) == 2.5


@pytest.mark.parametrize(
    "change",
    [
        {"files": 5},
        {"pins": 5},
        {"created-at": "x"},
        {"installed": {"pwt-core": 1}},
        {"key": None},
    ],
    ids=lambda change: next(iter(change)),
)
def test_manifest_with_wrong_types_means_rebuild(
    change: dict[str, object], pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    env = cache.get(spec, "uv")
    manifest = json.loads((env.path / MANIFEST).read_text())
    (env.path / MANIFEST).write_text(json.dumps({**manifest, **change}))
    (entry,) = cache.entries()
    assert (entry.complete, entry.label) == (False, "(incomplete build)")
    assert cache.prune(older_than=86400) == []  # read like the others, no traceback
    assert cache.get(spec, "uv").fresh


def test_manifest_that_is_a_directory_means_rebuild(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    env = cache.get(spec, "uv")
    (env.path / MANIFEST).unlink()
    (env.path / MANIFEST).mkdir()
    assert cache.get(spec, "uv").fresh


def test_build_log_that_cannot_be_written_does_not_fail_a_complete_env(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    cache.build_log.parent.mkdir(parents=True)
    cache.build_log.mkdir()  # any OSError on append: a directory stands in for ENOSPC
    env = cache.get(spec_for(pwt_matrix, "old", index=offline), "uv")
    assert env.fresh
    assert not cache.get(spec_for(pwt_matrix, "old", index=offline), "uv").fresh


def test_deleted_module_is_noticed_on_reuse(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    """A test that deletes files in the shared env: the next session rebuilds it."""
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    env = cache.get(spec, "uv")
    site = next(env.path.glob("lib/*/site-packages"))
    shutil.rmtree(site / "pwt_core")  # metadata left in place
    again = EnvCache(cache.root).get(spec, "uv")
    assert again.fresh
    assert again.run_python("import pwt_core; print(pwt_core.VERSION)").stdout == "1.0.0\n"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 96 KiB tmpfs: a real ENOSPC. Needs root and a kernel that allows the mount."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=96k,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_is_one_line_and_leaves_no_half_built_env(
    pwt_matrix: Matrix, offline: IndexOptions, tiny_disk: Path
) -> None:
    cache = EnvCache(tiny_disk / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    with pytest.raises(EnvError) as info:
        cache.get(spec, "uv")
    assert str(info.value) in (
        f"cannot create env old: no space left on device under {cache.root}",
        "cannot install bundle old: no space left on device",
    )
    assert [p.name for p in cache.envs_dir.iterdir() if p.is_dir()] == []


def test_manifest_that_cannot_be_written_fails_the_build_cleanly(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented injection point: the one function that writes manifests."""
    import pytest_workspace.envs.cache.store

    def full(path: Path, text: str, *, readable: bool = False) -> None:
        raise OSError(28, "No space left on device", str(path))

    cache = EnvCache(tmp_path / "cache")
    cache.get(spec_for(pwt_matrix, "new", index=offline), "uv")  # the cache itself is ready
    spec = spec_for(pwt_matrix, "old", index=offline)
    with monkeypatch.context() as patch:
        patch.setattr(pytest_workspace.envs.cache.store, "write_atomic", full)
        with pytest.raises(EnvError) as info:
            cache.get(spec, "uv")
    path = cache.path_for(spec, get_installer("uv"))
    assert str(info.value) == (
        f"cannot write the manifest of env old: [Errno 28] No space left on device: "
        f"'{path / MANIFEST}'"
    )
    assert not path.exists()
    assert cache.get(spec, "uv").fresh


def _as_another_user(work: Callable[[], str]) -> str:
    """Run ``work`` in a forked child that has dropped to uid/gid 4242; return what it says."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgid(4242)
            os.setuid(4242)
            try:
                said = work()
            except WorkspaceError as error:
                said = f"error: {error}"
            except BaseException as error:
                said = f"traceback: {type(error).__name__}: {error}"
            os.write(write, said.encode())
        finally:
            os._exit(0)
    os.close(write)
    said = os.read(read, 65536).decode()
    os.close(read)
    os.waitpid(pid, 0)
    return said


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another uid")
def test_prune_as_another_user_is_one_clear_error(
    pwt_matrix: Matrix, wheelhouse: Path, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    path = build_elsewhere(pwt_matrix, cache.root, wheelhouse, "old")
    said = _as_another_user(lambda: repr(EnvCache(cache.root).prune(max_size=0)))
    assert said.startswith(f"error: cannot use the env cache at {cache.root}: [Errno 13]"), said
    assert (path / MANIFEST).is_file()


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """chattr +i: even root cannot change or remove the file (ext4 and friends)."""
    marked: list[Path] = []

    def mark(path: Path) -> None:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"chattr +i is not available here: {done.stderr.decode().strip()}")
        marked.append(path)

    yield mark
    for path in marked:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_immutable_manifest_still_reuses_and_refuses_rebuild_in_one_line(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path, immutable: Callable[[Path], None]
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    env = cache.get(spec, "uv")
    immutable(env.path / MANIFEST)
    assert not cache.get(spec, "uv").fresh  # reading is all a reuse needs
    with pytest.raises(EnvError) as info:
        cache.get(spec, "uv", rebuild_before=time.time() + 1)
    assert str(info.value) == (
        f"cannot remove env {env.path}: Operation not permitted ({env.path / MANIFEST})"
    )


def test_reinstalled_version_in_a_shared_env_is_noticed(
    pwt_matrix: Matrix, offline: IndexOptions, wheelhouse: Path, tmp_path: Path
) -> None:
    """A test that 'upgrades' the shared env by hand: the next session rebuilds it."""
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    env = cache.get(spec, "uv")
    subprocess.run(
        [
            UvInstaller().binary,
            "pip",
            "install",
            "--python",
            str(env.python),
            "--offline",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "pwt-core==1.1.0",
        ],
        check=True,
        capture_output=True,
    )
    again = EnvCache(cache.root).get(spec, "uv")
    assert again.fresh
    assert again.installed()["pwt-core"] == "1.0.0"


def test_lock_path_that_is_a_symlink_is_refused(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "old", index=offline)
    path = cache.path_for(spec, get_installer("uv"))
    path.parent.mkdir(parents=True)
    target = tmp_path / "elsewhere.lock"
    path.with_name(path.name + ".lock").symlink_to(target)
    with pytest.raises(UntrustedCacheError):
        cache.get(spec, "uv")
    assert not target.exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("UV_RESOLUTION", "lowest"), ("PIP_PRE", "1"), ("UV_EXCLUDE_NEWER", "2025-01-01")],
)
def test_resolution_variables_enter_the_cache_key(
    variable: str,
    value: str,
    pwt_matrix: Matrix,
    offline: IndexOptions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    identity = UvInstaller().identity()
    before = spec_for(pwt_matrix, "old", index=offline).key(identity)
    monkeypatch.setenv(variable, value)
    assert spec_for(pwt_matrix, "old", index=offline).key(identity) != before
    monkeypatch.setenv("UV_CACHE_DIR", "/elsewhere")  # how, not what: same env
    monkeypatch.delenv(variable)
    assert spec_for(pwt_matrix, "old", index=offline).key(identity) == before


def test_the_manifest_table_is_the_manifest_class() -> None:
    """Parsing (``_cachedir.FIELDS``, import-light for ``cache list``) and the
    ``Manifest`` class describe the same keys, types and defaults."""
    import dataclasses

    from pytest_workspace.envs.cache.layout import FIELDS
    from pytest_workspace.envs.cache.manifest import Manifest

    fields = dataclasses.fields(Manifest)
    assert [field.name.replace("_", "-") for field in fields] == list(FIELDS)
    for field in fields:
        kind, default = FIELDS[field.name.replace("_", "-")]
        if field.default_factory is not dataclasses.MISSING:
            assert default == field.default_factory()
        else:
            assert default == (... if field.default is dataclasses.MISSING else field.default)
        first = kind[0] if isinstance(kind, tuple) else kind
        assert field.type.split(" | ")[0].split("[")[0] == first.__name__


def test_cache_list_reads_manifests_without_the_cache_machinery(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    env = cache.get(spec_for(pwt_matrix, "old", index=offline), "uv")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pytest_workspace", "cache", "list"],
        env={**os.environ, "PYTEST_WORKSPACE_CACHE": str(cache.root)},
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = result.stdout.splitlines()[1:]
    assert line.split()[:3] == [env.path.name, "old", "uv"]
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert "pytest_workspace.envs.cache.layout" in imported
    assert not imported & {
        "pytest_workspace.envs.cache.store",
        "pytest_workspace.envs.cache.manifest",
        "dataclasses",
    }
