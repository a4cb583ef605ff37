"""tox 4 plugin: one env per bundle and per upgrade path of the matrix.

``tox l`` lists ``bundle-stable-v3.2`` and ``upgrade-lts-v3.1-to-stable-v3.2`` (names
in :mod:`.envnames`: tox reads ``3.2`` as a Python) under "additional environments";
``-e``, ``-m workspace|bundles|upgrades`` and ``-f lts`` select them. Only this module
imports tox, and tox imports it through the ``tox`` entry point.

Each env is a normal test env of the repository (``env_run_base``: its package, deps,
extras); we seed only ``description``, ``labels``, ``commands`` and, when the bundle sets
``python =``, ``base_python`` (never ``runner``: virtualenv and tox-uv both work).

- **driver** mode (the default, and the only one for upgrade paths): the commands run
  ``pytest --bundle=NAME`` (``--upgrade-path=FROM:TO``); the bundle's env comes from the
  plugin's content-addressed cache, which tox never owns. The env's ``deps`` (test
  helpers, pytest plugins) go with it as ``--workspace-test-requirement``: in whole-suite
  mode the tests run in the bundle's env, where tox's deps would not otherwise be.
- **install** mode (``workspace_mode = "install"`` in ``env_run_base`` or an env's
  table): this env holds the bundle itself. ``deps`` gets the bundle's pins (minus the
  component the checkout provides) after the user's own, ``constraints`` a file of them,
  and pytest runs with ``--workspace-env=current`` to verify what got installed.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tox.config.loader.memory import MemoryLoader
from tox.config.types import Command
from tox.plugin import impl
from tox.report import HandledError
from tox.tox_env.errors import Fail

if TYPE_CHECKING:
    from tox.config.loader.api import ConfigLoadArgs, Loader
    from tox.config.main import Config
    from tox.config.sets import ConfigSet, EnvConfigSet
    from tox.session.state import State
    from tox.tox_env.api import ToxEnv

    from ..core.workspace import Workspace
    from ..model.matrix import Bundle, Matrix, UpgradePath

__all__ = ["tox_add_core_config", "tox_add_env_config", "tox_extend_envs"]

MODES = ("driver", "install")
#: the names of our envs start with these (a name under them must be one of ours)
PREFIXES = ("bundle-", "upgrade-")


#: the alias spellings tox accepts for the keys whose user value we extend
_ALIASES = {"pass_env": ("passenv",), "deps": ()}
#: what the bundle's env gets anyway (the runner at the outer session's versions, this
#: plugin packed): a tox dep naming one of them is not carried into it
_NOT_CARRIED = frozenset({"pytest", "pytest-xdist", "execnet", "pytest-workspace"})

#: what a driver env passes on beside the user's pass_env: where our cache is and how
#: the installers are set up, so tox and a plain ``pytest --bundle`` share the envs
PASS_ENV = ["PYTEST_WORKSPACE_*", "XDG_CACHE_HOME", "UV_*", "PIP_*"]


class _Seed(MemoryLoader):
    """The values we set for one env. The keys in ``extend`` add to the user's value
    (read through the loaders after this one, as tox would) instead of replacing it."""

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self.extend: dict[str, list[str]] = {}
        self.others: list[Loader[Any]] = []
        #: values built when tox reads them, from the env's other settings
        self.late: dict[str, Callable[[Config, str | None], Any]] = {}

    def add(self, key: str, values: list[str]) -> None:
        self.extend[key] = values
        self.raw[key] = None  # built by build() from the user's value and ours

    def build(
        self,
        key: str,
        of_type: Any,
        factory: Any,
        conf: Config | None,
        raw: Any,
        args: ConfigLoadArgs,
    ) -> Any:
        late = self.late.get(key)
        if late is not None and conf is not None:
            return late(conf, args.env_name)
        ours = self.extend.get(key)
        if ours is None:
            return super().build(key, of_type, factory, conf, raw, args)
        users: Any = None
        # The user may write any of tox's spellings of the key (passenv for pass_env).
        spellings = (key, *_ALIASES.get(key, ()))
        for loader in self.others:
            for spelling in spellings:
                try:
                    users = loader.load(spelling, of_type, factory, conf, args)
                except KeyError:
                    continue
                break
            if users is not None:
                break
        if key == "deps":
            lines = list(users.lines()) if users is not None else []
            return factory("\n".join([*lines, *ours]))
        return [*(users or []), *ours]


@dataclass
class _Target:
    env: str
    item: Bundle | UpgradePath
    seed: _Seed


@dataclass
class _Plan:
    root: Path
    workspace: Workspace
    targets: dict[str, _Target] = field(default_factory=dict)
    #: names a user may type (``bundle-stable-3.2``) to the env's real name
    spellings: dict[str, str] = field(default_factory=dict)


_PLANS: dict[Path, _Plan | None] = {}
#: this tox run's plan, set once tox_add_core_config knows the project root
_ACTIVE: list[_Plan] = []


def _plan(root: Path) -> _Plan | None:
    """The matrix found as the pytest plugin finds it, as tox envs; None without one."""
    root = root.resolve()
    if root in _PLANS:
        return _PLANS[root]
    from ..core.workspace import Settings, Workspace
    from ..errors import InvalidMatrixError, MatrixNotFound, WorkspaceError
    from ..loading.discover import pytest_ini_layer
    from ..settings import environment_layer

    # As the plugin reads its settings: the environment, then the pytest configuration.
    layers = (environment_layer(), pytest_ini_layer(root))
    given = any(layer.get("matrix") for layer in layers)
    settings = Settings.layered(
        *layers, rootdir=root, hint="workspace_matrix in the pytest configuration"
    )
    workspace = Workspace(settings)
    try:
        matrix = workspace.matrix
    except MatrixNotFound as error:
        if given:
            raise HandledError(f"pytest-workspace: {error}") from None
        _PLANS[root] = None
        return None
    except InvalidMatrixError as error:
        more = len(error.errors) - 1
        tail = f" (and {more} more; see pytest-workspace check)" if more else ""
        raise HandledError(f"pytest-workspace: {error.errors[0]}{tail}") from None
    except WorkspaceError as error:
        raise HandledError(f"pytest-workspace: {error}") from None
    plan = _Plan(root, workspace)
    # workspace_upgrade_paths = derived: the paths of `explore upgrades` are envs too.
    derived = any("derived" in (layer.get("upgrades") or ()) for layer in layers)
    _fill(plan, matrix, derived=derived)
    _PLANS[root] = plan
    return plan


def _fill(plan: _Plan, matrix: Matrix, *, derived: bool = False) -> None:
    from ..model.envnames import collisions, literal_spellings, tox_envs, tox_upgrade_env
    from ..model.explore import derived_upgrades
    from ..model.matrix import Bundle

    clashes = collisions(matrix)
    if clashes:
        name, items = clashes[0]
        raise HandledError(
            f"pytest-workspace: {matrix.path}: {' and '.join(items)} both map to tox env "
            f"{name!r}; rename one"
        )
    envs = tox_envs(matrix)
    if derived:
        for path in derived_upgrades(matrix):
            envs.setdefault(tox_upgrade_env(path), path)
    for env, item in envs.items():
        labels = ["workspace", "bundles" if isinstance(item, Bundle) else "upgrades"]
        seed = _Seed(description=_description(item), labels=labels)
        python = _python(matrix, item)
        if python:
            seed.raw["base_python"] = [python]
        plan.targets[env] = _Target(env, item, seed)
    plan.spellings = literal_spellings(matrix)


def _title(bundle: Bundle) -> str:
    return bundle.title or bundle.name


def _description(item: Bundle | UpgradePath) -> str:
    from ..model.matrix import Bundle

    if isinstance(item, Bundle):
        text = f"{_title(item)}: {', '.join(pin.text for pin in item.pins)}"
    else:
        text = f"upgrade {item.source.label} -> {item.target.label}"
    if item.xfail:
        text += f" (expected to fail: {item.xfail})"
    return text


def _python(matrix: Matrix, item: Bundle | UpgradePath) -> str | None:
    from ..model.matrix import Bundle

    if isinstance(item, Bundle):
        return item.python
    # An upgrade runs on the source bundle's Python, as the plugin builds it.
    source = item.source.bundle
    return matrix.bundles[source].python if source else None


@impl(optionalhook=True)
def tox_extend_envs() -> Iterable[str]:
    """Our env names; tox 4.29+ calls this before any config is read, and iterates the
    result later, after :func:`tox_add_core_config` has found the project root."""

    def names() -> Iterator[str]:
        plan = _ACTIVE[0] if _ACTIVE else _plan(Path.cwd())
        if plan is not None:
            yield from plan.targets

    return names()


@impl
def tox_add_core_config(core_conf: ConfigSet, state: State) -> None:
    plan = _plan(Path(core_conf["tox_root"]))
    if plan is None:
        return
    _ACTIVE[:] = [plan]
    for target in plan.targets.values():
        state.conf.memory_seed_loaders[target.env].append(target.seed)
    requested = [name for name in getattr(state.conf.options, "env", None) or () if name]
    ours = [name for name in requested if name.startswith(PREFIXES)]
    if not ours:
        return
    # tox accepts any name whose factors it knows, and ours make bundle, stable, v3.2...
    # known: "bundle-stable" would run the plain suite, no bundle at all.
    users = set(state.conf) - set(plan.targets)
    for name in ours:
        if name in plan.targets or name in users:
            continue
        if name in plan.spellings:
            raise HandledError(
                f"pytest-workspace: no tox env {name!r}; did you mean {plan.spellings[name]!r}? "
                "(tox reads a part like 3.2 as a Python version, so it gets a v)"
            )
        import difflib

        close = difflib.get_close_matches(name, list(plan.targets), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        known = list(plan.targets)
        shown = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
        raise HandledError(
            f"pytest-workspace: no tox env {name!r}: {hint}the envs named bundle-* and "
            f"upgrade-* are the matrix's ({plan.workspace.matrix.path}): {shown or 'none'}"
        )


@impl
def tox_add_env_config(env_conf: EnvConfigSet, state: State) -> None:
    plan = _ACTIVE[0] if _ACTIVE else None
    target = plan.targets.get(env_conf.name) if plan is not None else None
    if plan is None or target is None:
        return
    from ..model.matrix import Bundle

    env_conf.add_config(
        keys=["workspace_mode"],
        of_type=str,
        default="driver",
        desc="pytest-workspace: 'driver' runs pytest --bundle, which builds the bundle's env "
        "in its own cache; 'install' installs the bundle into this env",
    )
    mode = env_conf["workspace_mode"]
    if mode not in MODES:
        raise HandledError(
            f"pytest-workspace: tox env {env_conf.name}: workspace_mode = {mode!r}: "
            "expected 'driver' or 'install'"
        )
    seed = target.seed
    seed.others = [loader for loader in env_conf.loaders if loader is not seed]
    seed.add("pass_env", PASS_ENV)
    report = Path(env_conf["env_dir"]) / "workspace.json"
    posargs = list(state.conf.pos_args(None) or ())
    item = target.item
    if isinstance(item, Bundle):
        pytest_args = [f"--bundle={item.name}"]
        if mode == "install":
            pytest_args.append("--workspace-env=current")
            work_dir = Path(state.conf.core["work_dir"])
            _install_bundle(plan, target, item, env_conf, work_dir)
    else:
        pytest_args = [f"--upgrade-path={item.id}"]
    ours = ["pytest", *pytest_args, f"--workspace-report={report}"]
    seed.raw["commands"] = [Command([*ours, *posargs])]
    if isinstance(item, Bundle) and mode == "driver":

        def with_deps(conf: Config, env_name: str | None) -> list[Command]:
            # Read when tox reads the commands: the env's deps are defined by then.
            carried = _carried_deps(conf.get_env(env_name or env_conf.name)["deps"])
            options = [f"--workspace-test-requirement={req}" for req in carried]
            return [Command([*ours, *options, *posargs])]

        seed.late["commands"] = with_deps


def _carried_deps(deps: Any) -> list[str]:
    """The requirements of a tox env's ``deps`` (``-r`` files followed) that the bundle's
    env needs to run the tests: all but the runner and this plugin, which it has."""
    from packaging.requirements import Requirement

    from ..model.names import normalize

    carried: list[str] = []
    for parsed in getattr(deps, "requirements", ()):
        requirement = getattr(parsed, "requirement", None)
        # A path or an editable is the env's own business (tox builds the package).
        if isinstance(requirement, Requirement) and normalize(requirement.name) not in _NOT_CARRIED:
            carried.append(str(requirement))
    return carried


def _install_bundle(
    plan: _Plan, target: _Target, bundle: Bundle, env_conf: EnvConfigSet, work_dir: Path
) -> None:
    """Install mode: the bundle's pins (minus this checkout's own component, which tox
    installs as the package) into the tox env, as deps after the user's, and as a
    constraints file for everything else."""
    from ..envs.installers import PipInstaller

    workspace = plan.workspace
    install = workspace.install_plan(bundle, sources=workspace.sources([bundle]))
    assert install.index is not None
    seed = target.seed
    seed.add("deps", [*_option_lines(PipInstaller.index_args(install.index)), *install.pins])
    where = work_dir / ".pytest-workspace" / f"{target.env}.constraints.txt"
    seed.raw["constraints"] = [str(install.pin_constraints(where))]


def _option_lines(args: list[str]) -> list[str]:
    """``["--find-links", "dist", "--no-index"]`` as requirement-file option lines."""
    lines: list[str] = []
    for arg in args:
        if lines and not arg.startswith("-") and " " not in lines[-1]:
            lines[-1] += f" {arg}"
        else:
            lines.append(arg)
    return lines


@impl
def tox_before_run_commands(tox_env: ToxEnv) -> None:
    """A driver env without pytest-workspace would fail with "unrecognized arguments:
    --bundle"; say what is missing instead."""
    if not _ACTIVE or tox_env.name not in _ACTIVE[0].targets:
        return
    try:
        site = Path(tox_env.conf["env_site_packages_dir"])
    except KeyError:  # not a Python env (a plugin's runner): nothing to look in
        return
    if not any(site.glob("pytest_workspace-*.dist-info")):
        raise Fail(
            f"pytest-workspace is not installed in tox env {tox_env.name}: add it to the "
            "env's deps (env_run_base.deps = [\"pytest-workspace\"]) or its package's extras"
        )
