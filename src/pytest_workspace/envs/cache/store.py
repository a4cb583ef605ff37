"""The content-addressed env cache, shared by every repository, session and xdist worker.

An env directory is named by the hash of its :class:`~.spec.EnvSpec` and the installer's
identity. Its :class:`Manifest` is written last and atomically, so it is the only proof
that a build finished: a directory without a valid manifest is wiped and rebuilt. Builds
happen under a per-env file lock (the build lock), after checking once without it (the
common, near-free cache hit) and once more with it (another process may have finished the
build while we waited), like tox's compare-then-write ``tox_env/info.py``.
What the cache may trust and touch (ownership, symlinks, build locks, removal) is in
:mod:`.trust`; the manifest is in :mod:`.manifest`.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import stat
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import EnvError, LockTimeout, UntrustedCacheError, WorkspaceError
from ...userdirs import NOFOLLOW, default_root
from ..paths import python_in
from .integrity import changed_since, owners, record_tree, verify, why_changed
from .layout import SHARED_ENV, scan
from .manifest import MANIFEST, Manifest, unshared_size, write_atomic
from .trust import LOCK_TIMEOUT_ENV, InUse, build_lock, check_trusted, hold, unused, wipe

if TYPE_CHECKING:
    # Listing and pruning read manifests only; building and reuse import the rest.
    from ..env import Built, Env
    from ..installed import Kind
    from ..installers import Installer
    from ..spec import EnvSpec

__all__ = ["CacheEntry", "EnvCache", "Manifest", "default_cache_root"]

DEFAULT_LOCK_TIMEOUT = 900.0
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pytest-workspace.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)


def default_cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """``$PYTEST_WORKSPACE_CACHE``, else the platform's user cache directory."""
    return Path(default_root(environ))


def build_lock_timeout(environ: Mapping[str, str] | None = None) -> float:
    """``$PYTEST_WORKSPACE_LOCK_TIMEOUT`` in seconds: a finite, non-negative number."""
    environ = os.environ if environ is None else environ
    text = environ.get(LOCK_TIMEOUT_ENV)
    if text is None:
        return DEFAULT_LOCK_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise WorkspaceError(
            f"{LOCK_TIMEOUT_ENV}={text!r}: expected a finite number of seconds >= 0 "
            f"(default {DEFAULT_LOCK_TIMEOUT:g}); waits are always bounded"
        )
    return value


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


# -- the cache --------------------------------------------------------------------------


@dataclass
class EnvCache:
    """Environments shared by every repository, worktree, session and xdist worker."""

    root: Path = field(default_factory=default_cache_root)
    build_lock_timeout: float = field(default_factory=build_lock_timeout)
    #: create directories and manifests readable by others (never writable by them)
    shared: bool = field(default_factory=lambda: bool(os.environ.get(SHARED_ENV)))
    _prepared: bool = field(default=False, init=False, repr=False)
    #: installer name -> its configuration files' part of the key, read once per cache
    #: object (every env a session asks for needs it; the files do not change meanwhile)
    _config: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).absolute()

    @property
    def envs_dir(self) -> Path:
        return self.root / "envs"

    @property
    def wheels_dir(self) -> Path:
        """Wheels this cache made (the plugin packed for test envs), created on demand."""
        self._prepare()
        directory = self.root / "wheels"
        try:
            directory.mkdir(mode=0o700, exist_ok=True)
        except OSError as error:
            raise EnvError(f"cannot use the env cache at {self.root}: {error}") from None
        check_trusted(directory, "cache directory")
        return directory

    @property
    def build_log(self) -> Path:
        """One JSON line per shared env built: when, what, how long, by which process."""
        return self.root / "builds.log"

    def _prepare(self) -> None:
        if self._prepared:
            return
        mode = 0o755 if self.shared else 0o700
        try:
            # mkdir(parents=True) gives the parents the umask's mode, not ``mode``.
            self.root.parent.mkdir(parents=True, exist_ok=True)
            for directory in (self.root, self.envs_dir):
                directory.mkdir(mode=mode, exist_ok=True)
            for directory in (self.root, self.envs_dir):
                check_trusted(directory, "cache directory")
            tag = self.root / "CACHEDIR.TAG"
            if not tag.exists():
                write_atomic(tag, CACHEDIR_TAG, readable=self.shared)
        except OSError as error:
            raise EnvError(f"cannot use the env cache at {self.root}: {error}") from None
        self._prepared = True

    def path_for(self, spec: EnvSpec, installer: Installer) -> Path:
        from ..installer_config import config_digests

        # The installer's own configuration files decide what it installs, too.
        config = self._config.get(installer.name)
        if config is None:
            found = config_digests(installer.name, str(self.envs_dir))
            # Only when there is one: keys built before stay the same.
            config = ("config", *(f"{p}={d}" for p, d in found.items())) if found else ()
            self._config[installer.name] = config
        return self.envs_dir / spec.key(installer.identity() + config)

    def get(
        self,
        spec: EnvSpec,
        installer: Installer | str | None = None,
        *,
        rebuild_before: float | None = None,
        kind: Kind = "bundle",
    ) -> Env:
        """Return the env for ``spec``, building it once if needed.

        ``rebuild_before`` (a ``time.time()`` value) makes an env built before then
        count as stale: ``--workspace-rebuild`` passes the session start, so every
        xdist worker agrees and each env is still rebuilt only once.
        """
        backend = _installer(installer)
        path = self.path_for(spec, backend)
        self._prepare()
        found = self._load(path, spec, backend, rebuild_before)
        if found is not None and not isinstance(found, str):
            return found
        with build_lock(path, spec.label, self.build_lock_timeout, shared=self.shared):
            found = self._load(path, spec, backend, rebuild_before)
            if found is not None and not isinstance(found, str):
                return found
            env = self._build(path, spec, backend, kind=kind, shared=True)
            env.rebuilt = found
            return env

    def private(
        self,
        spec: EnvSpec,
        path: Path,
        installer: Installer | str | None = None,
        *,
        kind: Kind = "bundle",
    ) -> Env:
        """Build a fresh env at ``path`` for one user that may change it (upgrade paths).
        Packages come from the installer's warm cache, so this is fast with uv."""
        backend = _installer(installer)
        self._prepare()
        return self._build(path, spec, backend, kind=kind, shared=False)

    def _load(
        self, path: Path, spec: EnvSpec, installer: Installer, rebuild_before: float | None
    ) -> Env | str | None:
        """The complete env at ``path``; else why a complete one must be rebuilt (it
        changed since its build), or None (there is none)."""
        try:
            info = os.lstat(path)
        except OSError:
            return None
        if stat.S_ISLNK(info.st_mode):
            raise UntrustedCacheError(
                f"refusing to use {path}: it is a symlink, and pytest-workspace never "
                "creates one there; remove it"
            )
        check_trusted(path, "env", info)
        manifest = Manifest.read(path)
        if manifest is None or manifest.key != path.name:
            return None
        check_trusted(path / MANIFEST, "env manifest")
        if rebuild_before is not None and manifest.created_at < rebuild_before:
            return None
        # Edited, half-deleted, written into by a test: not what was built.
        changed = why_changed(str(path), manifest.files, manifest.tree, manifest.damaged)
        if changed is not None:
            return changed
        with contextlib.suppress(OSError):
            os.utime(path / MANIFEST)  # last used, for ``cache prune``
        hold(path, shared=self.shared)
        from ..env import Env

        return Env(path, spec, built=_built(manifest), installer=installer)

    def _build(
        self, path: Path, spec: EnvSpec, installer: Installer, *, kind: Kind, shared: bool
    ) -> Env:
        from ...model.matrix import versions
        from ..bytecode import add_hook
        from ..diagnose import disk_full, explain
        from ..env import Env
        from ..install import InstallPlan
        from ..installed import read_installed, verify
        from ..installers import InstallFailed

        started = time.perf_counter()
        wipe(path)
        try:
            installer.create(path, spec.python)
            plan = InstallPlan.of(spec)
            options = plan.options(installer.name, path / ".pytest-workspace-lock")
            try:
                installer.install(
                    python_in(path),
                    plan.requirements,
                    spec.index,
                    plan.editables,
                    plan.snapshots,
                    options,
                )
            except InstallFailed as failure:
                raise explain(failure, spec.pins, spec.label, kind, spec.index) from None
            installed = read_installed(path)
            verify(spec.pins, installed, spec.sourced, spec.label, kind)
            add_hook(path)
            tree = record_tree(str(path))
            manifest = Manifest(
                key=path.name,
                label=spec.label,
                pins=versions(spec.pins),
                requirements=spec.requirements,
                sources=[str(source) for source in spec.sources],
                installed=dict(installed),
                files=[],
                installer=installer.name,
                installer_version=installer.version(),
                python=spec.python.path,
                python_version=spec.python.version,
                index=spec.index.describe(),
                created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                created_at=time.time(),
                build_seconds=round(time.perf_counter() - started, 3),
                private=not shared,
                size=unshared_size(path),
                tree=tree,
            )
            try:
                write_atomic(path / MANIFEST, manifest.to_json(), readable=self.shared)
            except OSError as error:
                raise EnvError(f"cannot write the manifest of env {spec.label}: {error}") from None
        except InstallFailed as failure:
            wipe(path)
            if disk_full(failure.output):
                raise EnvError(
                    f"cannot create env {spec.label}: no space left on device under {self.root}"
                ) from None
            raise EnvError(f"cannot create env {spec.label}: {failure}\n{failure.output}") from None
        except BaseException:
            # Never leave a half-built env behind, whatever stopped the build.
            wipe(path)
            raise
        if shared:
            self._log_build(manifest)
            hold(path, shared=self.shared)
        return Env(
            path,
            spec,
            built=_built(manifest),
            installer=installer,
            fresh=True,
            shared=shared,
        )

    def _log_build(self, manifest: Manifest) -> None:
        line = json.dumps(
            {
                "key": manifest.key,
                "label": manifest.label,
                "created": manifest.created,
                "seconds": manifest.build_seconds,
                "installer": manifest.installer,
                "pid": os.getpid(),
            }
        )
        # One short O_APPEND write per line: concurrent builders never interleave. The
        # log is a record, not a proof: a full disk must not fail a complete env.
        with contextlib.suppress(OSError):
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | NOFOLLOW
            descriptor = os.open(self.build_log, flags, 0o644 if self.shared else 0o600)
            try:
                os.write(descriptor, (line + "\n").encode())
            finally:
                os.close(descriptor)

    # -- integrity ----------------------------------------------------------------------

    def after_use(self, path: Path, since: float) -> str | None:
        """Check a cached env a session used since ``since``: what the session changed in
        it (a test wrote into site-packages), if anything. A changed env is marked
        damaged, so its next use rebuilds it (and says why)."""
        manifest = Manifest.read(path)
        if manifest is None or manifest.private or manifest.damaged:
            return None
        try:
            # Built during the session (by it or by another): its own files are newer.
            change = changed_since(str(path), max(since, manifest.created_at))
        except OSError:
            return None  # removed meanwhile: its next use rebuilds it anyway
        if change is None:
            return None
        return self._damage(path, manifest, f"{change.why} during a test run", change.edited)

    def verify(self) -> list[tuple[CacheEntry, list[str]]]:
        """Every complete env against what was built: the reuse check, then each
        installed file against its ``RECORD`` hash (``cache verify``). Each env with
        problems is marked damaged; the envs and their problems."""
        from ..paths import site_packages

        checked = []
        for entry in self.entries():
            manifest = Manifest.read(entry.path) if entry.complete else None
            if manifest is None:
                continue
            quick = why_changed(str(entry.path), manifest.files, manifest.tree, manifest.damaged)
            sites = [str(site) for site in site_packages(entry.path)]
            problems = ([quick] if quick else []) + verify(str(entry.path), sites)
            if problems and not manifest.damaged:
                edited = [p.rsplit(": ", 1)[0] for p in problems if p.endswith(": changed")]
                problems[0] = self._damage(entry.path, manifest, problems[0], edited)
            checked.append((entry, problems))
        return checked

    def _damage(self, path: Path, manifest: Manifest, why: str, edited: Sequence[str]) -> str:
        """Mark the env at ``path`` damaged (rebuilt on its next use); what to say."""
        from ...model.names import normalize
        from ..paths import site_packages

        self._mark(path, manifest, why)
        if not edited or manifest.installer != "uv":
            return why
        sites = [str(site) for site in site_packages(path)]
        dists = dict(d.rsplit("-", 1) for d in owners(str(path), sites, edited))
        # uv hardlinks installed files from its cache: an edit in place changed the
        # cache's copy, and every env linked to it. Those envs are rebuilt too, from a
        # cache that no longer holds the distributions.
        shared = {normalize(name): version for name, version in dists.items()}
        for entry in self.entries():
            other = Manifest.read(entry.path) if entry.path != path else None
            if other is None or other.damaged:
                continue
            if any(shared.get(normalize(n)) == v for n, v in other.installed.items()):
                with contextlib.suppress(WorkspaceError):  # not ours to mark: left alone
                    self._mark(
                        entry.path, other, f"{why} in env {manifest.label}, which shares files"
                    )
        if not shared:
            return why
        from ..installers import InstallFailed, UvInstaller

        try:
            UvInstaller().forget(sorted(shared))
        except (EnvError, InstallFailed):
            return (
                f"{why}; uv's cache holds the edited files too: uv cache clean {' '.join(shared)}"
            )
        return why

    def _mark(self, path: Path, manifest: Manifest, why: str) -> None:
        import dataclasses

        check_trusted(path / MANIFEST, "env manifest")
        damaged = dataclasses.replace(manifest, damaged=why)
        with contextlib.suppress(OSError):
            write_atomic(path / MANIFEST, damaged.to_json(), readable=self.shared)

    # -- maintenance --------------------------------------------------------------------

    def entries(self) -> list[CacheEntry]:
        """Every env directory, read from manifests only (sizes were measured at build)."""
        return [
            CacheEntry(
                key=key,
                path=self.envs_dir / key,
                label=values["label"] if values else "(incomplete build)",
                pins=dict(values["pins"]) if values else {},
                installer=values["installer"] if values else "?",
                size=values["size"] if values else 0,
                last_used=last_used,
                complete=values is not None,
            )
            for key, values, last_used in scan(str(self.root))
        ]

    def prune(
        self,
        *,
        older_than: float | None = None,
        max_size: int | None = None,
        now: float | None = None,
    ) -> list[CacheEntry]:
        """Remove envs unused for ``older_than`` seconds, then the least recently used
        until the cache holds at most ``max_size`` bytes. Envs being built, and envs a
        running session holds, are skipped."""
        self._prepare()
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
            try:
                with build_lock(entry.path, entry.label, 0, shared=self.shared), unused(entry.path):
                    wipe(entry.path)
            except (LockTimeout, InUse):
                continue
            removed.append(entry)
        return removed


def _built(manifest: Manifest) -> Built:
    from ..env import Built

    return Built(manifest.key, manifest.build_seconds, manifest.installed)


def _installer(installer: Installer | str | None) -> Installer:
    from ..installers import Installer, get_installer

    return installer if isinstance(installer, Installer) else get_installer(installer)
