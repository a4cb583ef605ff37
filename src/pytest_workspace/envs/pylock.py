"""Bundles locked to every transitive version: PEP 751 ``pylock.<bundle>.toml`` files.

``lock`` resolves a bundle's pins with ``uv pip compile`` (uv reads the existing lock as
its preferences, so a re-lock keeps every version it can; ``--upgrade`` drops them) and
rewrites ``file://`` URLs as paths relative to the lock, so a lock of a find-links
directory stays valid in another clone. An env of a locked bundle is installed from the
lock: uv reads it natively (exact versions, hashes checked, no resolution); pip gets an
equivalent ``--require-hashes --no-deps`` requirements file. With a local checkout (or
extra requirements) swapped in, the lock's versions become constraints instead, minus the
checkout's own distribution.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WorkspaceError
from ..model.names import normalize

if TYPE_CHECKING:
    from ..model.matrix import Bundle, Matrix, Notice
    from .spec import IndexOptions, Interpreter

__all__ = ["Lock", "lock_bundle", "lock_notices", "read_lock"]

_FILE_URL = re.compile(r'url = "(file://[^"]+)"')


@dataclass(frozen=True)
class Lock:
    """A lock file as an env needs it."""

    path: Path
    digest: str
    #: normalized distribution name -> (version, sha256 hashes of its files)
    packages: Mapping[str, tuple[str, tuple[str, ...]]]

    def stale(self, bundle: Bundle) -> list[str]:
        """The bundle's pins that the lock does not hold at their version."""
        problems = []
        for pin in bundle.pins:
            locked = self.packages.get(normalize(pin.distribution))
            if locked is None:
                problems.append(f"{pin.distribution} is not in the lock")
            elif locked[0] != str(pin.version):
                problems.append(
                    f"{pin.distribution} is {locked[0]} in the lock, {pin.version} in the bundle"
                )
        return problems

    def constraints(self, leave_out: frozenset[str] = frozenset()) -> list[str]:
        return [
            f"{name}=={version}"
            for name, (version, _) in sorted(self.packages.items())
            if name not in leave_out
        ]

    def hashed_requirements(self) -> list[str]:
        """pip's spelling of the lock: every package, exact, with its hashes."""
        lines = []
        for name, (version, hashes) in sorted(self.packages.items()):
            if not hashes:
                raise WorkspaceError(
                    f"{self.path}: {name} {version} has no hash; pip installs a lock only "
                    "hash-checked (use uv, or an index that publishes hashes)"
                )
            lines.append(f"{name}=={version} " + " ".join(f"--hash=sha256:{h}" for h in hashes))
        return lines


def read_lock(path: Path) -> Lock | None:
    """The lock at ``path``, None when there is none; a broken one is one clear error."""
    from ..loading.compat import tomllib

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise WorkspaceError(f"{path}: cannot read: {error.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        packages: dict[str, tuple[str, tuple[str, ...]]] = {}
        for entry in data["packages"]:
            files = [*entry.get("wheels", []), *([entry["sdist"]] if "sdist" in entry else [])]
            hashes = tuple(f["hashes"]["sha256"] for f in files if "sha256" in f.get("hashes", {}))
            packages[normalize(entry["name"])] = (str(entry["version"]), hashes)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise WorkspaceError(
            f"{path}: not a PEP 751 lock file ({type(error).__name__}: {error}); "
            "recreate it with `pytest-workspace lock --upgrade`"
        ) from None
    return Lock(path, hashlib.sha256(raw).hexdigest()[:20], packages)


def lock_notices(matrix: Matrix) -> list[Notice]:
    """``check``: stale locks, and bundles without one when ``[index] locked = true``."""
    from ..model.matrix import Notice

    notices: list[Notice] = []
    if not matrix.index.locked and not matrix.lock_file("-").parent.is_dir():
        return notices  # no locks, none asked for: not one stat per bundle
    for bundle in matrix.bundles.values():
        path = matrix.lock_file(bundle.name)
        try:
            lock = read_lock(path)
        except WorkspaceError as error:
            notices.append(Notice("error", bundle.key, str(error)))
            continue
        if lock is None:
            if matrix.index.locked:
                notices.append(
                    Notice(
                        "error",
                        bundle.key,
                        f"no lock file ({path}) though [index] locked = true; "
                        f"run `pytest-workspace lock {bundle.name}`",
                    )
                )
            continue
        for problem in lock.stale(bundle):
            notices.append(
                Notice(
                    "error",
                    bundle.key,
                    f"stale lock {path.name}: {problem}; run `pytest-workspace lock {bundle.name}`",
                )
            )
    return notices


def lock_bundle(
    matrix: Matrix,
    bundle: Bundle,
    *,
    python: Interpreter,
    index: IndexOptions,
    exclude_newer: str | None = None,
    upgrade: bool = False,
) -> tuple[Lock, bool]:
    """Write (or refresh) ``bundle``'s lock; the lock and whether its content changed."""
    import tempfile

    from .installers import UvInstaller, find_uv

    uv = find_uv()
    if uv is None:
        raise WorkspaceError("`pytest-workspace lock` needs uv: pip install 'pytest-workspace[uv]'")

    path = matrix.lock_file(bundle.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_bytes() if path.is_file() else None
    with tempfile.TemporaryDirectory() as scratch:
        wanted = Path(scratch) / "requirements.in"
        wanted.write_text("".join(f"{pin.requirement}\n" for pin in bundle.pins))
        argv = [uv, "pip", "compile", str(wanted), "-o", str(path), "--generate-hashes"]
        argv += ["--no-header", "--quiet", "--python", python.path]
        argv += UvInstaller.index_args(index)
        if exclude_newer:
            argv += ["--exclude-newer", exclude_newer]
        if upgrade:
            argv.append("--upgrade")
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        if before is not None:
            path.write_bytes(before)
        lines = (result.stderr or result.stdout).strip()
        raise WorkspaceError(f"cannot lock bundle {bundle.name!r}:\n{lines}")
    header = (
        f"# pytest-workspace lock {bundle.name}: {', '.join(p.requirement for p in bundle.pins)}\n"
        "# Re-run `pytest-workspace lock` to refresh; `--upgrade` takes newer dependencies.\n"
    )
    text = header + _relative_paths(path.read_text(encoding="utf-8"), path.parent)
    path.write_text(text, encoding="utf-8")
    lock = read_lock(path)
    assert lock is not None
    return lock, text.encode() != before


def _relative_paths(text: str, base: Path) -> str:
    """``url = "file:///abs/dist/x.whl"`` -> ``path = "../dist/x.whl"`` (PEP 751 paths
    are relative to the lock file): the lock works in any clone of the repository."""
    from urllib.parse import unquote, urlparse
    from urllib.request import url2pathname

    def relative(match: re.Match[str]) -> str:
        target = url2pathname(unquote(urlparse(match.group(1)).path))
        return f'path = "{Path(os.path.relpath(target, base)).as_posix()}"'

    return _FILE_URL.sub(relative, text)


def install_args(
    lock: Lock,
    installer: str,
    scratch: Path,
    *,
    exact: bool,
    leave_out: frozenset[str] = frozenset(),
) -> list[str]:
    """Installer arguments that bring the lock's versions into an env: the whole lock
    (``exact``: nothing else is installed) or its versions as constraints."""
    if exact and installer == "uv":
        return ["-r", str(lock.path)]
    scratch.mkdir(parents=True, exist_ok=True)
    if exact:
        requirements = scratch / "lock-requirements.txt"
        requirements.write_text("\n".join(lock.hashed_requirements()) + "\n")
        return ["--require-hashes", "--no-deps", "-r", str(requirements)]
    constraints = scratch / "lock-constraints.txt"
    constraints.write_text("\n".join(lock.constraints(leave_out)) + "\n")
    return ["-c", str(constraints)]
