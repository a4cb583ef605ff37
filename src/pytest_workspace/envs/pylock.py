"""Bundles locked to every transitive version: PEP 751 ``pylock.<bundle>.toml`` files,
as an env needs them (``pytest-workspace lock`` writes them, :mod:`..releases.lock`).

An env of a locked bundle is installed from the lock: uv reads it natively (exact
versions, hashes checked, no resolution); pip gets an equivalent ``--require-hashes
--no-deps`` requirements file. With a local checkout (or extra requirements) swapped in,
the lock's versions become constraints instead, minus the checkout's own distribution.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WorkspaceError
from ..model.names import normalize

if TYPE_CHECKING:
    from ..model.matrix import Bundle, Matrix, Notice

__all__ = ["Lock", "install_args", "lock_notices", "read_lock"]


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
    from .constraints import write_constraints

    constraints = write_constraints(scratch / "lock-constraints.txt", lock.constraints(leave_out))
    return ["-c", str(constraints)]
