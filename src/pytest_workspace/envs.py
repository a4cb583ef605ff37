"""Environments and their content-addressed cache.

An environment directory is named by the hash of its :class:`~.resolve.EnvSpec` and the
installer's identity. Its manifest (``pytest-workspace.json``) is written last and
atomically, so it is the only proof that a build finished: a directory without a valid
manifest is wiped and rebuilt. Builds happen under a per-environment ``FileLock``, after
checking once without the lock (the common, near-free cache hit) and once more with it
(another process may have finished the build while we waited).

Bytecode: builds do not compile ``.pyc`` files (a cold build costs what raw
``uv pip install`` costs). When ``PYTHONDONTWRITEBYTECODE`` is set, as on many CI
machines, commands run in an env would recompile every module at every start, so
:meth:`Env.run` lifts it for the child and points ``PYTHONPYCACHEPREFIX`` at one
``pycache`` tree in the cache root instead: bytecode is written once, shared by all
envs, and never lands in a source checkout (which is what the variable protects).
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .errors import EnvError, InstallError, LockTimeout
from .installers import Installer, InstallFailed, conflicts, get_installer, missing
from .matrix import Pin
from .resolve import EnvSpec

__all__ = ["CacheEntry", "CommandError", "Env", "EnvCache", "default_cache_root"]

MANIFEST = "pytest-workspace.json"
SCHEMA = 1
CACHE_ENV = "PYTEST_WORKSPACE_CACHE"
LOCK_TIMEOUT_ENV = "PYTEST_WORKSPACE_LOCK_TIMEOUT"
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pytest-workspace.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def default_cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """``$PYTEST_WORKSPACE_CACHE``, else the platform's user cache directory."""
    environ = os.environ if environ is None else environ
    if environ.get(CACHE_ENV):
        return Path(environ[CACHE_ENV]).expanduser().absolute()
    if sys.platform == "win32":
        base = Path(environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "pytest-workspace" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "pytest-workspace"
    base = Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "pytest-workspace"


class CommandError(subprocess.CalledProcessError):
    """A command run in an env failed; the message shows everything needed to see why."""

    def __str__(self) -> str:
        command = " ".join(str(part) for part in self.cmd)
        return (
            f"command failed with exit code {self.returncode}: {command}\n"
            f"--- stdout ---\n{self.stdout or ''}\n--- stderr ---\n{self.stderr or ''}"
        )


def _bin_dir(path: Path) -> Path:
    return path / ("Scripts" if sys.platform == "win32" else "bin")


def _python(path: Path) -> Path:
    return _bin_dir(path) / ("python.exe" if sys.platform == "win32" else "python")


def _site_packages(path: Path) -> list[Path]:
    if sys.platform == "win32":
        return [path / "Lib" / "site-packages"]
    return sorted(path.glob("lib/*/site-packages"))


def read_installed(path: Path) -> dict[str, str]:
    """Distribution (canonical name) to version, read from the env's metadata files
    in-process: no interpreter start-up needed."""
    found: dict[str, str] = {}
    for distribution in importlib.metadata.distributions(
        path=[str(p) for p in _site_packages(path)]
    ):
        name = distribution.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), distribution.version)
    return dict(sorted(found.items()))


class Env:
    """A built environment. ``bundle_env`` fixtures hand these to tests."""

    def __init__(
        self,
        path: Path,
        spec: EnvSpec,
        manifest: Mapping[str, Any],
        *,
        installer: Installer,
        fresh: bool,
        shared: bool,
        pycache: Path | None = None,
        python: Path | None = None,
    ) -> None:
        self.path = path
        self._python = python
        self.spec = spec
        self.manifest = dict(manifest)
        self.installer = installer
        #: built by the call that returned it (False: reused from the cache)
        self.fresh = fresh
        #: shared through the cache (read-only) or private to one user (may be mutated)
        self.shared = shared
        self._pycache = pycache
        self._pins = {pin.key: str(pin.version) for pin in spec.pins}

    def __repr__(self) -> str:
        return f"<Env {self.spec.label} at {self.path}>"

    @property
    def bin_dir(self) -> Path:
        return _bin_dir(self.path)

    @property
    def python(self) -> Path:
        return self._python or _python(self.path)

    @property
    def key(self) -> str:
        return str(self.manifest.get("key", ""))

    @property
    def build_seconds(self) -> float:
        return float(self.manifest.get("build-seconds", 0.0))

    @property
    def pins(self) -> dict[str, str]:
        """Component (``core``, ``extensions@mongodb``) to the version this env pins."""
        return dict(self._pins)

    def installed(self) -> dict[str, str]:
        """Distribution name to version, read from the environment now."""
        return read_installed(self.path)

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        environ = dict(os.environ)
        environ.pop("PYTHONHOME", None)
        environ["VIRTUAL_ENV"] = str(self.path)
        environ["PATH"] = os.pathsep.join([str(self.bin_dir), environ.get("PATH", "")])
        if self._pycache is not None and environ.get("PYTHONDONTWRITEBYTECODE"):
            environ.pop("PYTHONDONTWRITEBYTECODE")
            environ.setdefault("PYTHONPYCACHEPREFIX", str(self._pycache))
        environ.update(extra or {})
        return environ

    def run(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        check: bool = True,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command with this env activated (its ``bin`` first on PATH).

        ``env`` adds to (and overrides) the current environment variables. With
        ``check`` a non-zero exit raises :class:`CommandError` showing the command,
        exit code, stdout and stderr.
        """
        __tracebackhide__ = True  # pytest shows the test's line, not ours
        args = [str(part) for part in argv]
        if args and os.sep not in args[0]:
            local = self.bin_dir / args[0]
            if local.exists():
                args[0] = str(local)
        result = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.environ(env),
            cwd=cwd,
            check=False,
        )
        if check and result.returncode != 0:
            raise CommandError(result.returncode, args, result.stdout, result.stderr)
        return result

    def run_python(
        self,
        code: str,
        *,
        check: bool = True,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -c code`` in this env."""
        __tracebackhide__ = True
        return self.run([self.python, "-c", code], check=check, timeout=timeout, env=env, cwd=cwd)

    def pytest(
        self,
        *args: str | os.PathLike[str],
        check: bool = False,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -m pytest`` inside this env (pytest must be installed in it;
        the plugin adds it for you). ``check`` is off: the exit code is the result."""
        return self.run(
            [self.python, "-m", "pytest", *args], check=check, timeout=timeout, env=env, cwd=cwd
        )

    def _forget_bytecode(self) -> None:
        # Bytecode in the shared tree is validated by source mtime and size only, and
        # wheels often carry fixed timestamps (1980, SOURCE_DATE_EPOCH): after an
        # in-place upgrade a same-sized module would look unchanged. Installers clean
        # __pycache__ on uninstall, but they do not know about our tree.
        if self._pycache is not None:
            shutil.rmtree(
                self._pycache.joinpath(*self.path.resolve().parts[1:]), ignore_errors=True
            )

    def install(self, pins: Sequence[Pin], *, label: str = "upgrade") -> Env:
        """Move a *private* env to other versions in place (upgrade or downgrade)."""
        if self.shared:
            raise EnvError(
                f"refusing to change the shared env {self.spec.label} at {self.path}; "
                "mutating users get a private env"
            )
        sourced = self.spec.sourced
        requirements = [
            pin.requirement for pin in pins if canonicalize_name(pin.distribution) not in sourced
        ]
        started = time.perf_counter()
        self._forget_bytecode()
        try:
            self.installer.install(self.python, requirements, self.spec.index)
        except InstallFailed as failure:
            raise explain(failure, pins, label, "target", self.spec) from None
        installed = self.installed()
        _verify(pins, installed, sourced, label, "target")
        merged = {pin.key: pin for pin in self.spec.pins}
        merged.update({pin.key: pin for pin in pins})
        self.spec = EnvSpec(
            label=self.spec.label,
            pins=tuple(merged.values()),
            python=self.spec.python,
            index=self.spec.index,
            sources=self.spec.sources,
            extras=self.spec.extras,
        )
        self._pins = {pin.key: str(pin.version) for pin in self.spec.pins}
        self.manifest["installed"] = installed
        self.manifest["last-install-seconds"] = round(time.perf_counter() - started, 3)
        return self


def explain(
    failure: InstallFailed, pins: Sequence[Pin], label: str, kind: str, spec: EnvSpec
) -> InstallError:
    """Turn an installer failure into one message about the pins involved."""
    by_name = {canonicalize_name(pin.distribution): pin for pin in pins}
    for conflict in conflicts(failure.output):
        pinned = by_name.get(canonicalize_name(conflict.requirement))
        if pinned is None:
            continue
        try:
            allowed = SpecifierSet(conflict.specifier).contains(pinned.version, prereleases=True)
        except InvalidSpecifier:
            allowed = False
        if not allowed:
            return InstallError(
                f"cannot install {kind} {label}: {conflict.distribution} {conflict.version} "
                f"requires {conflict.requirement}{conflict.specifier}, but the {kind} pins "
                f"{pinned.distribution} {pinned.version}"
            )
    for pin in pins:
        if missing(failure.output, pin.distribution):
            available = _find_links_versions(spec.index.find_links, pin.distribution)
            listed = f" (found there: {', '.join(available)})" if available else ""
            return InstallError(
                f"cannot install {kind} {label}: {pin.distribution} {pin.version} "
                f"({pin.key}) is not available from {spec.index.describe()}{listed}"
            )
    tail = "\n".join(failure.output.strip().splitlines()[-15:])
    return InstallError(f"cannot install {kind} {label}: {failure}\n{tail}")


def _find_links_versions(links: Iterable[str], distribution: str) -> list[str]:
    """Versions of ``distribution`` in local find-links directories, for error messages."""
    wanted = canonicalize_name(distribution)
    versions: set[Version] = set()
    for link in links:
        directory = Path(link)
        if "://" in link or not directory.is_dir():
            continue
        for file in directory.iterdir():
            stem = file.name.removesuffix(".tar.gz").removesuffix(".zip")
            parts = stem.split("-")
            if len(parts) < 2 or canonicalize_name(parts[0]) != wanted:
                continue
            try:
                versions.add(Version(parts[1]))
            except InvalidVersion:
                continue
    return [str(version) for version in sorted(versions)]


def _verify(
    pins: Sequence[Pin],
    installed: Mapping[str, str],
    sourced: frozenset[str],
    label: str,
    kind: str,
) -> None:
    """Every pin (that no local source replaces) must be installed at exactly its version."""
    for pin in pins:
        name = canonicalize_name(pin.distribution)
        if name in sourced:
            continue
        got = installed.get(name)
        if got is None:
            raise InstallError(
                f"cannot install {kind} {label}: {pin.distribution} ({pin.key}) is not "
                f"installed after the installer finished; the {kind} pins {pin.version}"
            )
        if Version(got) != pin.version:
            raise InstallError(
                f"cannot install {kind} {label}: {pin.distribution} is installed at {got}, "
                f"but the {kind} pins {pin.version}"
            )


@dataclass(frozen=True)
class CacheEntry:
    key: str
    path: Path
    label: str
    pins: dict[str, str]
    installer: str
    #: bytes not shared with other files (uv hardlinks from its cache do not count)
    size: int
    last_used: float
    complete: bool


class EnvCache:
    """Environments shared by every repository, worktree, session and xdist worker."""

    def __init__(self, root: Path | None = None, *, lock_timeout: float | None = None) -> None:
        self.root = (root or default_cache_root()).absolute()
        if lock_timeout is None:
            lock_timeout = float(os.environ.get(LOCK_TIMEOUT_ENV, "900"))
        self.lock_timeout = lock_timeout
        self._prepared = False

    @property
    def envs_dir(self) -> Path:
        return self.root / "envs"

    @property
    def pycache(self) -> Path:
        return self.root / "pycache"

    def _prepare(self) -> None:
        if self._prepared:
            return
        self.envs_dir.mkdir(parents=True, exist_ok=True)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            _write_atomic(tag, CACHEDIR_TAG)
        self._prepared = True

    def path_for(self, spec: EnvSpec, installer: Installer) -> Path:
        return self.envs_dir / spec.key(installer.identity())

    def get(
        self,
        spec: EnvSpec,
        installer: Installer | str | None = None,
        *,
        rebuild_before: float | None = None,
        kind: str = "bundle",
    ) -> Env:
        """Return the env for ``spec``, building it once if needed.

        ``rebuild_before`` (a ``time.time()`` value) makes an env built before then
        count as stale: ``--workspace-rebuild`` passes the session start, so every
        xdist worker agrees and each env is still rebuilt only once.
        """
        backend = installer if isinstance(installer, Installer) else get_installer(installer)
        path = self.path_for(spec, backend)
        env = self._load(path, spec, backend, rebuild_before)
        if env is not None:
            return env
        self._prepare()
        lock_path = path.with_name(path.name + ".lock")
        try:
            with FileLock(str(lock_path), timeout=self.lock_timeout):
                env = self._load(path, spec, backend, rebuild_before)
                if env is not None:
                    return env
                return self._build(path, spec, backend, kind=kind, shared=True)
        except Timeout:
            raise LockTimeout(
                f"timed out after {self.lock_timeout:g} s waiting for {lock_path}: another "
                f"process is building env {spec.label}; wait for it or raise "
                f"{LOCK_TIMEOUT_ENV}"
            ) from None

    def private(
        self,
        spec: EnvSpec,
        path: Path,
        installer: Installer | str | None = None,
        *,
        kind: str = "bundle",
    ) -> Env:
        """Build a fresh env at ``path`` for one user that may change it (upgrade paths).
        Packages come from the installer's warm cache, so this is fast with uv."""
        backend = installer if isinstance(installer, Installer) else get_installer(installer)
        self._prepare()
        return self._build(path, spec, backend, kind=kind, shared=False)

    def _load(
        self, path: Path, spec: EnvSpec, installer: Installer, rebuild_before: float | None
    ) -> Env | None:
        manifest = _read_manifest(path)
        if manifest is None or manifest.get("key") != path.name:
            return None
        if rebuild_before is not None and float(manifest.get("created-at", 0)) < rebuild_before:
            return None
        # A half-deleted env keeps a manifest but loses files: check what it promised.
        if not _python(path).exists():
            return None
        for relative in manifest.get("metadata", []):
            if not (path / relative).exists():
                return None
        with contextlib.suppress(OSError):
            os.utime(path / MANIFEST)  # last used, for ``cache prune``
        return Env(
            path,
            spec,
            manifest,
            installer=installer,
            fresh=False,
            shared=True,
            pycache=self.pycache,
        )

    def _build(
        self, path: Path, spec: EnvSpec, installer: Installer, *, kind: str, shared: bool
    ) -> Env:
        started = time.perf_counter()
        _wipe(path)
        try:
            installer.create(path, spec.python)
            python = _python(path)
            editables = [source.path for source in spec.sources if source.editable]
            snapshots = [source.path for source in spec.sources if not source.editable]
            try:
                installer.install(python, spec.requirements, spec.index, editables, snapshots)
            except InstallFailed as failure:
                raise explain(failure, spec.pins, spec.label, kind, spec) from None
            installed = read_installed(path)
            _verify(spec.pins, installed, spec.sourced, spec.label, kind)
        except InstallFailed as failure:
            _wipe(path)
            raise EnvError(f"cannot create env {spec.label}: {failure}\n{failure.output}") from None
        except BaseException:
            # Never leave a half-built env behind, whatever stopped the build.
            _wipe(path)
            raise
        manifest = {
            "schema": SCHEMA,
            "key": path.name,
            "label": spec.label,
            "pins": {pin.key: str(pin.version) for pin in spec.pins},
            "requirements": spec.requirements,
            "sources": [str(source) for source in spec.sources],
            "installed": installed,
            "metadata": _metadata_dirs(path),
            "installer": installer.name,
            "installer-version": installer.version(),
            "python": spec.python.path,
            "python-version": spec.python.version,
            "index": spec.index.describe(),
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "created-at": time.time(),
            "build-seconds": round(time.perf_counter() - started, 3),
            "private": not shared,
        }
        _write_atomic(path / MANIFEST, json.dumps(manifest, indent=2))
        if shared:
            self._log_build(manifest)
        return Env(
            path,
            spec,
            manifest,
            installer=installer,
            fresh=True,
            shared=shared,
            pycache=self.pycache,
        )

    @property
    def build_log(self) -> Path:
        """One JSON line per shared env built: when, what, how long, by which process."""
        return self.root / "builds.log"

    def _log_build(self, manifest: Mapping[str, Any]) -> None:
        line = json.dumps(
            {
                "key": manifest["key"],
                "label": manifest["label"],
                "created": manifest["created"],
                "seconds": manifest["build-seconds"],
                "installer": manifest["installer"],
                "pid": os.getpid(),
            }
        )
        # One short O_APPEND write per line: concurrent builders never interleave.
        descriptor = os.open(self.build_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, (line + "\n").encode())
        finally:
            os.close(descriptor)

    # -- maintenance --------------------------------------------------------------------

    def entries(self) -> list[CacheEntry]:
        if not self.envs_dir.is_dir():
            return []
        entries = []
        for path in sorted(self.envs_dir.iterdir()):
            if not path.is_dir():
                continue
            manifest = _read_manifest(path) or {}
            try:
                last_used = (path / MANIFEST).stat().st_mtime
            except OSError:
                last_used = path.stat().st_mtime
            entries.append(
                CacheEntry(
                    key=path.name,
                    path=path,
                    label=str(manifest.get("label", "(incomplete build)")),
                    pins=dict(manifest.get("pins", {})),
                    installer=str(manifest.get("installer", "?")),
                    size=_unshared_size(path),
                    last_used=last_used,
                    complete=bool(manifest) and manifest.get("key") == path.name,
                )
            )
        return entries

    def prune(
        self,
        *,
        older_than: float | None = None,
        max_size: int | None = None,
        now: float | None = None,
    ) -> list[CacheEntry]:
        """Remove envs unused for ``older_than`` seconds, then the least recently used
        until the cache holds at most ``max_size`` bytes. Envs being built are skipped."""
        now = time.time() if now is None else now
        entries = sorted(self.entries(), key=lambda entry: entry.last_used)
        doomed = [e for e in entries if older_than is not None and now - e.last_used > older_than]
        if max_size is not None:
            total = sum(entry.size for entry in entries if entry not in doomed)
            for entry in entries:
                if total <= max_size:
                    break
                if entry not in doomed:
                    doomed.append(entry)
                    total -= entry.size
        removed = []
        for entry in doomed:
            lock = FileLock(str(entry.path.with_name(entry.key + ".lock")), timeout=0)
            try:
                with lock:
                    _wipe(entry.path)
            except Timeout:
                continue
            Path(lock.lock_file).unlink(missing_ok=True)
            removed.append(entry)
        return removed


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        return None
    return manifest


def _metadata_dirs(path: Path) -> list[str]:
    return sorted(
        str(info.relative_to(path))
        for site in _site_packages(path)
        for info in site.glob("*.dist-info")
    )


def _write_atomic(path: Path, text: str) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _wipe(path: Path) -> None:
    if path.exists() or path.is_symlink():
        # Drop the manifest first so no reader takes a half-deleted env as valid.
        (path / MANIFEST).unlink(missing_ok=True)
        shutil.rmtree(path, ignore_errors=True)


def _unshared_size(path: Path) -> int:
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            try:
                stat = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            if stat.st_nlink == 1:
                total += stat.st_size
    return total
