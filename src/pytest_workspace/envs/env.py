"""Environments: a built virtual environment, or the running one, to run commands in.

:class:`Env` is what the ``bundle_env`` fixture hands to tests. Built envs come from
:class:`~.cache.EnvCache`; :meth:`Env.current` wraps the interpreter running now, like
nox's ``PassthroughEnv`` beside its ``VirtualEnv``.

Bytecode: builds compile nothing (a cold build costs what raw ``uv pip install``
costs), and commands run in an env keep the user's bytecode setting: a suite that
rewrites a module at one path imports what it wrote, as with plain pytest. Where that
setting forbids writing bytecode, a process in a built env compiles, at exit, what it
imported from the env's own site-packages (:mod:`.bytecode_hook`).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EnvError, InstallError
from ..model.matrix import Pin
from ..model.names import normalize
from .installed import Distributions, checkout_problems, read_installed, verify
from .paths import bin_dir, python_in
from .spec import EnvSpec

if TYPE_CHECKING:
    from .installers import Installer

__all__ = [
    "CommandError",
    "Env",
    "InnerPytestError",
]


@dataclass(frozen=True)
class Built:
    """How a built env came to be: its cache key, how long the build took, what it
    held then (the cache's manifest says more; an env needs no more than this)."""

    key: str
    build_seconds: float
    installed: Mapping[str, str]
    #: how long the last in-place change (an upgrade path's move) took
    last_install_seconds: float | None = None


class CommandError(subprocess.CalledProcessError):
    """A command run in an env failed; the message shows everything needed to see why."""

    def __str__(self) -> str:
        command = " ".join(str(part) for part in self.cmd)
        return (
            f"command failed with exit code {self.returncode}: {command}\n"
            f"--- stdout ---\n{self.stdout or ''}\n--- stderr ---\n{self.stderr or ''}"
        )


#: pytest's exit codes, for the message of a failed inner run
_PYTEST_EXIT = {
    1: "tests failed",
    2: "collection errors, or the run was interrupted",
    3: "pytest hit an internal error",
    4: "pytest was used wrongly",
    5: "no tests were collected",
}


class InnerPytestError(CommandError):
    """``Env.pytest()`` ran a suite that did not pass (or collected nothing)."""

    def __str__(self) -> str:
        why = _PYTEST_EXIT.get(self.returncode, f"exit code {self.returncode}")
        return f"the inner pytest run did not pass: {why}\n" + super().__str__()


class Env:
    """An environment with a bundle's pins: ``python``, ``bin_dir``, ``run()``,
    ``run_python()``, ``installed()``, ``pins`` and ``pytest()``."""

    def __init__(
        self,
        path: Path,
        spec: EnvSpec,
        *,
        built: Built | None = None,
        installer: Installer | None = None,
        fresh: bool = False,
        shared: bool = True,
        python: Path | None = None,
    ) -> None:
        self.path = path
        self._python = python
        self.spec = spec
        #: how the cache built this env (None for the running env)
        self.built = built
        self.installer = installer
        #: built by the call that returned it (False: reused from the cache)
        self.fresh = fresh
        #: why a complete env was rebuilt (it had changed since its build), if it was
        self.rebuilt: str | None = None
        #: shared through the cache (read-only) or private to one user (may be mutated)
        self.shared = shared
        self._running = False

    @classmethod
    def current(cls, spec: EnvSpec) -> Env:
        """The interpreter running now, described by ``spec`` (``--workspace-env current``):
        nothing is built, and it is never changed."""
        env = cls(Path(sys.prefix), spec, python=Path(sys.executable))
        env._running = True
        return env

    def __repr__(self) -> str:
        return f"<Env {self.spec.label} at {self.path}>"

    @property
    def bin_dir(self) -> Path:
        return bin_dir(self.path)

    @property
    def python(self) -> Path:
        return self._python or python_in(self.path)

    @property
    def key(self) -> str:
        """The cache key ("" for the running env)."""
        return self.built.key if self.built else ""

    @property
    def build_seconds(self) -> float:
        return self.built.build_seconds if self.built else 0.0

    @property
    def pins(self) -> dict[str, str]:
        """Component (``core``, ``extensions@mongodb``) to the version this env holds:
        the pin, or for a component installed from a checkout, the checkout's version."""
        found = self.installed_sources()
        return {
            pin.key: found.get(normalize(pin.distribution)) or str(pin.version)
            for pin in self.spec.pins
        }

    def installed_sources(self) -> dict[str, str]:
        """Normalised distribution to installed version, for the checkouts swapped in."""
        if not self.spec.sources:
            return {}
        installed = self.built.installed if self.built else self.installed()
        return {name: installed[name] for name in self.spec.sourced if name in installed}

    def installed(self) -> Distributions:
        """Distribution name to version, read from the environment now."""
        # The running interpreter's sys.path also holds editable finders and .pth paths.
        return read_installed(None if self._running else self.path)

    def environ(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        environ = dict(os.environ)
        environ.pop("PYTHONHOME", None)
        environ["VIRTUAL_ENV"] = str(self.path)
        environ["PATH"] = os.pathsep.join([str(self.bin_dir), environ.get("PATH", "")])
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
        check: bool = True,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python -m pytest ARGS`` inside this env (pytest must be installed in it:
        ``workspace_extras = pytest``).

        With ``check`` (the default) a run that does not pass raises
        :class:`InnerPytestError`, which fails the calling test: failed or erroring tests,
        a usage error, and a run that collected nothing (a wrapper must not be a false
        green). Pass ``check=False`` to inspect the result yourself.
        """
        __tracebackhide__ = True
        # The inner run reads the outer run's ini file, whose keys are for the outer
        # env's plugins (ours: workspace_*); unknown there, `filterwarnings = error` would
        # make them fatal. (-W escapes its message, and ":" cannot be written in it.)
        quiet = ["-W", "ignore:Unknown config option:pytest.PytestConfigWarning"]
        result = self.run(
            [self.python, "-m", "pytest", *quiet, *args],
            check=False,
            timeout=timeout,
            env=env,
            cwd=cwd,
        )
        if check and result.returncode != 0:
            raise InnerPytestError(result.returncode, result.args, result.stdout, result.stderr)
        return result

    def install(
        self,
        pins: Sequence[Pin],
        *,
        label: str = "upgrade",
        constraints: Sequence[str] = (),
        sources: Mapping[str, Path] | None = None,
    ) -> Env:
        """Move a *private* env to other versions in place (upgrade or downgrade);
        ``constraints`` bound what the pins pull in (:func:`.checks.completion`), and
        ``sources`` (component to checkout) are installed editable instead of their pins.
        A distribution that changes between release and checkout is removed first (an
        installer may take a checkout of the same version for the release)."""
        from .checkouts import local_sources
        from .diagnose import explain
        from .install import InstallPlan
        from .installers import InstallFailed

        if self.shared or self.installer is None:
            raise EnvError(
                f"refusing to change the shared env {self.spec.label} at {self.path}; "
                "mutating users get a private env"
            )
        swapped = local_sources(pins, sources or {}, editable=True)
        sourced = frozenset(normalize(source.distribution) for source in swapped)
        moved = {normalize(pin.distribution) for pin in pins}
        switching = sorted((self.spec.sourced ^ sourced) & moved)
        plan = InstallPlan.moving(
            pins, [s.target for s in swapped], sourced, constraints, self.spec.index
        )
        started = time.perf_counter()
        try:
            self.installer.uninstall(self.python, switching)
            self.installer.install(
                self.python,
                plan.requirements,
                self.spec.index,
                plan.editables,
                options=plan.options(self.installer.name, self.path / ".pytest-workspace-lock"),
            )
        except InstallFailed as failure:
            raise explain(failure, pins, label, "target", self.spec.index) from None
        installed = self.installed()
        verify(pins, installed, sourced, label, "target")
        problems = checkout_problems(self.path, swapped)
        if problems:
            raise InstallError(f"cannot install target {label}: " + "; ".join(problems))
        merged = {pin.key: pin for pin in self.spec.pins}
        merged.update({pin.key: pin for pin in pins})
        kept = tuple(s for s in self.spec.sources if normalize(s.distribution) not in moved)
        self.spec = dataclasses.replace(
            self.spec, pins=tuple(merged.values()), sources=kept + swapped
        )
        if self.built is not None:
            self.built = dataclasses.replace(
                self.built,
                installed=dict(installed),
                last_install_seconds=round(time.perf_counter() - started, 3),
            )
        return self
