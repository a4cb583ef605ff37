"""Bundles locked to every transitive version: PEP 751 ``pylock.<bundle>.toml`` files,
as an env needs them (``pytest-workspace lock`` writes them, :mod:`..releases.lock`).

An env of a locked bundle is installed from the lock: uv reads it natively (exact
versions, hashes checked, no resolution); pip gets an equivalent ``--require-hashes
--no-deps`` requirements file. With a local checkout (or extra requirements) swapped in,
the lock's versions become constraints instead, minus the checkout's own distribution.

PYTEST_DONT_REWRITE
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
    #: the bundle it was written for (None: it does not say)
    bundle: str | None = None

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


#: the lock's own table (PEP 751 ``[tool]``): which bundle it was written for
TOOL = "pytest-workspace"
_RECREATE = "recreate it with `pytest-workspace lock --upgrade`"


class _Bad(Exception):
    """A lock that is not what PEP 751 (or we) wrote: where, and what was expected."""

    def __init__(self, key: str, expected: str, value: object) -> None:
        from ..loading.values import kind_of

        super().__init__(f"{key}: expected {expected}, got {kind_of(value)}")


def _table(value: object, key: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _Bad(key, "a table", value)
    return value


def _tables(value: object, key: str) -> list[dict[str, object]]:
    if not isinstance(value, list):
        raise _Bad(key, "an array of tables", value)
    return [_table(item, f"{key}[{index}]") for index, item in enumerate(value)]


def _string(value: object, key: str) -> str:
    if not isinstance(value, str):
        raise _Bad(key, "a string", value)
    return value


def _packages(data: dict[str, object]) -> dict[str, tuple[str, tuple[str, ...]]]:
    packages: dict[str, tuple[str, tuple[str, ...]]] = {}
    for index, entry in enumerate(_tables(data.get("packages"), "packages")):
        key = f"packages[{index}]"
        name = _string(entry.get("name"), f"{key}.name")
        version = _string(entry.get("version"), f"{key}.version")
        files = _tables(entry.get("wheels", []), f"{key}.wheels")
        if "sdist" in entry:
            files.append(_table(entry["sdist"], f"{key}.sdist"))
        hashes = []
        for number, file in enumerate(files):
            found = _table(file.get("hashes", {}), f"{key} file {number}: hashes")
            if "sha256" in found:
                hashes.append(_string(found["sha256"], f"{key} file {number}: hashes.sha256"))
        packages[normalize(name)] = (version, tuple(hashes))
    return packages


def _written_for(data: dict[str, object], text: str) -> str | None:
    """The bundle a lock was written for: its ``[tool.pytest-workspace]`` table, or the
    header line the first locks carried."""
    tool = _table(data.get("tool", {}), "tool")
    ours = _table(tool.get(TOOL, {}), f"tool.{TOOL}")
    if "bundle" in ours:
        return _string(ours["bundle"], f"tool.{TOOL}.bundle")
    first = text.split("\n", 1)[0]
    prefix = "# pytest-workspace lock "
    return first[len(prefix) :].split(":", 1)[0] if first.startswith(prefix) else None


def read_lock(path: Path, bundle: str | None = None) -> Lock | None:
    """The lock at ``path``, None when there is none; a broken one is one clear error
    naming the key. With ``bundle``, a lock written for another bundle is refused (two
    bundle names, ``x.1`` and ``x_1``, map to one file name)."""
    from ..loading.compat import tomllib

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise WorkspaceError(f"{path}: cannot read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise WorkspaceError(f"{path}: not UTF-8 (byte {error.start}); {_RECREATE}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise WorkspaceError(f"{path}: invalid TOML: {error}; {_RECREATE}") from None
    except RecursionError:
        raise WorkspaceError(f"{path}: invalid TOML: nested too deeply; {_RECREATE}") from None
    try:
        packages = _packages(data)
        written_for = _written_for(data, text)
    except _Bad as error:
        raise WorkspaceError(f"{path}: not a PEP 751 lock file: {error}; {_RECREATE}") from None
    if bundle is not None and written_for != bundle:
        said = (
            f"bundle {written_for!r}" if written_for else "no bundle (no [tool.pytest-workspace])"
        )
        raise WorkspaceError(
            f"{path}: this lock is for {said}, not {bundle!r}; run `pytest-workspace lock {bundle}`"
        )
    return Lock(path, hashlib.sha256(raw).hexdigest()[:20], packages, written_for)


def lock_notices(matrix: Matrix) -> list[Notice]:
    """``check``: stale locks, and bundles without one when ``[index] locked = true``."""
    from ..model.matrix import Notice

    notices: list[Notice] = []
    sharing: dict[Path, list[str]] = {}
    for bundle in matrix.bundles.values():
        sharing.setdefault(matrix.lock_file(bundle.name), []).append(bundle.name)
    for path, names in sharing.items():
        if len(names) > 1:
            notices.append(
                Notice(
                    "error",
                    f"bundles.{names[1]}",
                    f"bundles {' and '.join(repr(n) for n in names)} share the lock file "
                    f"{path.name} (a dot in a lock's name is written _); rename one",
                )
            )
    if not matrix.index.locked and not matrix.lock_file("-").parent.is_dir():
        return notices  # no locks, none asked for: not one stat per bundle
    for bundle in matrix.bundles.values():
        path = matrix.lock_file(bundle.name)
        try:
            lock = read_lock(path, bundle.name)
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
