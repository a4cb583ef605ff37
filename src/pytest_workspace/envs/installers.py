"""Installer backends: uv (``uv venv`` + ``uv pip install``) and virtualenv + pip.

Both take argument lists only; nothing goes through a shell. Names and versions reach a
command line only after ``packaging`` has parsed them (pins are ``Version`` objects and
distribution names are validated when the matrix loads; requirement strings are
re-parsed here as PEP 508 before use).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

from ..errors import EnvError, SelectionError
from .interpreters import Interpreter
from .spec import IndexOptions

__all__ = [
    "INSTALLERS",
    "InstallFailed",
    "Installer",
    "PipInstaller",
    "UvInstaller",
    "default_installer",
    "find_uv",
    "get_installer",
]


class InstallFailed(Exception):
    """An installer command failed; carries its output for :func:`explain`."""

    def __init__(self, argv: Sequence[str], returncode: int, output: str) -> None:
        super().__init__(f"{' '.join(argv)} exited with {returncode}")
        self.argv = list(argv)
        self.returncode = returncode
        self.output = output


#: ``name==version`` as the model writes a pin: a valid requirement on its face
_PLAIN_PIN = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
    r"==\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?(?:\+[a-z0-9]+(?:\.[a-z0-9]+)*)?"
)


def _checked(requirements: Sequence[str]) -> list[str]:
    """The requirements, each a PEP 508 requirement (never an option an installer would
    read). Plain pins pass on their face: the parser costs more to import than a cached
    env's whole build check."""
    for text in requirements:
        if _PLAIN_PIN.fullmatch(text):
            continue
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            Requirement(text)
        except InvalidRequirement:
            raise SelectionError(f"not a valid PEP 508 requirement: {text!r}") from None
    return list(requirements)


class Installer(ABC):
    """Creates an environment and installs requirements into it."""

    name: ClassVar[str]

    @abstractmethod
    def identity(self) -> tuple[str, ...]:
        """Cheap fingerprint of the backend and its version, part of the cache key."""

    @abstractmethod
    def version(self) -> str:
        """The backend's version, recorded in the manifest."""

    @abstractmethod
    def create_command(self, python: Interpreter) -> list[str]:
        """The command, up to the env's path, that creates an empty env on ``python``."""

    def create(self, path: Path, python: Interpreter) -> None:
        """Create an empty environment at ``path``, from outside the user's working
        directory (see :mod:`.installer_config`)."""
        self.run([*self.create_command(python), str(path)], cwd=_outside(path))

    #: how this backend spells "use this index" and "use no index at all"
    index_flag: ClassVar[str]
    offline_flags: ClassVar[tuple[str, ...]]
    #: resolve as of a date (uv only; pip has no such option)
    exclude_newer_flag: ClassVar[str | None] = None

    @abstractmethod
    def install_command(self, python: Path) -> list[str]:
        """The command, up to its options, that installs into the env of ``python``."""

    @classmethod
    def index_args(cls, index: IndexOptions) -> list[str]:
        """This backend's spelling of ``index``: index URL, find-links, no index."""
        argv = [cls.index_flag, index.index_url] if index.index_url else []
        for link in index.find_links:
            argv += ["--find-links", link]
        if index.offline:
            argv += cls.offline_flags
        if index.exclude_newer and cls.exclude_newer_flag:
            argv += [cls.exclude_newer_flag, index.exclude_newer]
        return argv

    def install_argv(
        self,
        python: Path,
        requirements: Sequence[str],
        index: IndexOptions,
        editables: Sequence[str | Path] = (),
        paths: Sequence[str | Path] = (),
        options: Sequence[str] = (),
    ) -> list[str]:
        """The command that installs ``requirements`` into the env of ``python``;
        ``options`` are installer arguments such as ``-r lock`` or ``-c constraints``."""
        argv = self.install_command(python) + self.index_args(index) + list(options)
        for editable in editables:
            argv += ["--editable", str(editable)]
        return argv + [str(path) for path in paths] + list(requirements)

    def install(
        self,
        python: Path,
        requirements: Sequence[str],
        index: IndexOptions,
        editables: Sequence[str | Path] = (),
        paths: Sequence[str | Path] = (),
        options: Sequence[str] = (),
    ) -> None:
        if not (requirements or editables or paths or options):
            return
        argv = self.install_argv(python, _checked(requirements), index, editables, paths, options)
        # Not the user's working directory: a project's uv.toml there must not decide
        # what a shared env holds (its key does not know it).
        self.run(argv, cwd=_outside(python.parent.parent))

    @abstractmethod
    def uninstall_command(self, python: Path) -> list[str]:
        """The command, up to the names, that removes distributions from the env."""

    def uninstall(self, python: Path, distributions: Sequence[str]) -> None:
        """Remove ``distributions`` (already validated names) from the env of ``python``."""
        if distributions:
            self.run([*self.uninstall_command(python), *distributions])

    @staticmethod
    def run(
        argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        """Run one of this backend's commands (from :meth:`install_command` and the
        like); a non-zero exit raises :class:`InstallFailed` with the output. Builds
        run in the env's parent directory (see :mod:`.installer_config`)."""
        environ = dict(os.environ if env is None else env)
        # An outer venv must not redirect where an installer writes.
        environ.pop("VIRTUAL_ENV", None)
        import subprocess  # not on a cache hit: only builds run commands

        try:
            result = subprocess.run(
                list(argv),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                env=environ,
                cwd=cwd,
                check=False,
            )
        except OSError as error:  # not executable, gone: say which program
            raise EnvError(f"cannot run {argv[0]}: {error.strerror or error}") from None
        if result.returncode != 0:
            raise InstallFailed(argv, result.returncode, result.stdout)


@functools.cache  # asked twice per run (which installer, then its binary); it stats a lot
def find_uv() -> str | None:
    """The uv binary: the one the ``uv`` extra installed, else one on PATH."""
    try:
        from uv import find_uv_bin  # type: ignore[import-untyped,unused-ignore]

        found: str = find_uv_bin()
        return found
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def _stat_identity(path: str) -> tuple[str, ...]:
    stat = os.stat(path)
    return (os.path.realpath(path), str(stat.st_size), str(stat.st_mtime_ns))


def _outside(env: Path) -> Path | None:
    """Where an installer building ``env`` runs: the directory holding it (absolute
    paths only; a relative one is left where it is)."""
    return env.parent if env.is_absolute() else None


class UvInstaller(Installer):
    """``uv venv`` + ``uv pip install``: no pip seeded, packages hardlinked from uv's cache."""

    name = "uv"
    index_flag = "--default-index"
    offline_flags = ("--no-index", "--offline")
    exclude_newer_flag = "--exclude-newer"

    def __init__(self, binary: str | None = None) -> None:
        found = binary or find_uv()
        if found is None:
            raise EnvError(
                "uv is not installed: install pytest-workspace[uv], put uv on PATH, "
                "or choose the pip installer"
            )
        self.binary = found

    @functools.cache  # noqa: B019 - one installer object per process, never collected
    def identity(self) -> tuple[str, ...]:
        # What decides the env is uv's version, not which copy of it runs: a nox session
        # venv gets uv reinstalled (a new mtime, perhaps a new path) at every run, and a
        # stat in the key rebuilt every bundle env each time. The version is read from
        # the uv package's metadata (no process) when that is the binary; else asked once.
        version = self.version()
        return ("uv", version) if version != "unknown" else ("uv", *_stat_identity(self.binary))

    @functools.cache  # noqa: B019
    def version(self) -> str:
        # The uv extra's binary: its version is in the package metadata (no process).
        with contextlib.suppress(ImportError, FileNotFoundError):
            from uv import find_uv_bin  # type: ignore[import-untyped,unused-ignore]

            if os.path.samefile(find_uv_bin(), self.binary):
                from .installed import package_version

                return package_version("uv", "uv")
        import subprocess

        try:
            out = subprocess.run(
                [self.binary, "--version"], capture_output=True, text=True, check=False
            ).stdout
        except OSError:
            return "unknown"  # the build then says why it cannot run it
        return out.split()[1] if len(out.split()) > 1 else "unknown"

    def create_command(self, python: Interpreter) -> list[str]:
        return [
            self.binary,
            "venv",
            "--quiet",
            "--no-project",
            "--no-python-downloads",
            "--python",
            python.path,
        ]

    def install_command(self, python: Path) -> list[str]:
        return [self.binary, "pip", "install", "--python", str(python), "--link-mode", "hardlink"]

    def uninstall_command(self, python: Path) -> list[str]:
        return [self.binary, "pip", "uninstall", "--python", str(python)]

    def forget(self, names: Sequence[str]) -> None:
        """Drop ``names`` from uv's cache: installs hardlink files from there, so a file
        edited in place in an env was edited in the cache too."""
        self.run([self.binary, "cache", "clean", "--quiet", *names])


class PipInstaller(Installer):
    """virtualenv + pip, for machines without uv."""

    name = "pip"
    index_flag = "--index-url"
    offline_flags = ("--no-index",)

    @functools.cache  # noqa: B019
    def identity(self) -> tuple[str, ...]:
        # virtualenv embeds the pip it seeds, so its version decides pip's.
        from .installed import package_version

        return ("pip", "virtualenv", package_version("virtualenv", "virtualenv"))

    def version(self) -> str:
        return f"virtualenv {self.identity()[2]}"

    def create_command(self, python: Interpreter) -> list[str]:
        return [
            sys.executable,
            "-m",
            "virtualenv",
            "--quiet",
            "--no-periodic-update",
            "--no-setuptools",
            "--no-wheel",
            "--python",
            python.path,
        ]

    def install_command(self, python: Path) -> list[str]:
        return [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--no-compile",
            "--progress-bar",
            "off",
        ]

    def uninstall_command(self, python: Path) -> list[str]:
        return [str(python), "-m", "pip", "uninstall", "--yes", "--disable-pip-version-check"]


INSTALLERS: dict[str, type[Installer]] = {"uv": UvInstaller, "pip": PipInstaller}


def default_installer() -> str:
    return "uv" if find_uv() else "pip"


@functools.cache
def get_installer(name: str | None = None) -> Installer:
    """The installer called ``name`` (default: uv when available, else pip)."""
    name = name or default_installer()
    try:
        backend = INSTALLERS[name]
    except KeyError:
        raise SelectionError(
            f"unknown installer {name!r}; expected one of {', '.join(sorted(INSTALLERS))}"
        ) from None
    return backend()
