"""Meta-repository actions: bootstrap the sibling checkouts, set up one shared env with
all of them editable, and validate it.

The rules (west #380/#381, vcstool #107, gitman PR #201 lost or changed people's work):
an existing directory is never deleted, replaced or cloned into; only a clean checkout
that is its own git top level, on the branch it tracks, is ever fast-forwarded; nothing
is written through a symlink (a symlinked sibling is only installed from).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..envs.paths import python_in, site_packages
from ..errors import WorkspaceError, cause_of
from ..model.names import normalize
from ..userdirs import NOFOLLOW
from .config import MetaRepository
from .order import order
from .state import SiblingState, inspect

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..envs.install import InstallPlan

__all__ = [
    "Step",
    "bootstrap",
    "depends_recorded",
    "serialised",
    "setup",
    "validate",
    "verify_editables",
]

#: what bootstrap cloned, so a sibling dropped from the configuration can be reported
RECORD = Path(".pytest-workspace") / "siblings.json"


@dataclass(frozen=True)
class Step:
    """One line of a command's report: a sibling, what happened, and why."""

    name: str
    action: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.name:<16} {self.action}" + (f": {self.detail}" if self.detail else "")


@contextlib.contextmanager
def serialised(meta: MetaRepository, waiting: str = "") -> Iterator[None]:
    """One bootstrap or setup at a time per meta-repository (three at once cloned into
    each other's directories; two setups raced one env): a lock on its root directory,
    after a line on stderr when another process holds it."""
    import sys

    from ..loading.writing import directory_lock

    def say() -> None:
        print(f"waiting for another {waiting or 'command'} in {meta.root}", file=sys.stderr)

    with directory_lock(meta.root, say):
        yield


# -- bootstrap ----------------------------------------------------------------------------


def _untouchable(state: SiblingState) -> str | None:
    """Why git must not write to an existing sibling at all, or None."""
    if state.problem:
        return state.problem
    if state.link is not None:
        return "a symlink (used for installs only, never written through)"
    if state.dirty:
        return "uncommitted changes"
    return None


def _refusal(state: SiblingState) -> str | None:
    """Why an existing sibling must not be updated (fast-forwarded), or None."""
    untouchable = _untouchable(state)
    if untouchable:
        return untouchable
    if state.branch is None:
        return "detached HEAD" + (" with commits no branch holds" if state.detached_commits else "")
    if state.upstream is None:
        return f"branch {state.branch} tracks no upstream"
    if state.sibling.ref and state.branch != state.sibling.ref:
        return f"on branch {state.branch}, not {state.sibling.ref}"
    if state.remote_matches is False:
        return f"its origin is not {state.sibling.repo}"
    return None


def bootstrap(
    meta: MetaRepository,
    *,
    update: bool = False,
    refs: Mapping[str, str] | None = None,
    only: Sequence[str] = (),
    depends: Mapping[str, str] | None = None,
) -> Iterator[Step]:
    """Clone the missing siblings (``only`` these, when given); report (and with
    ``update`` fast-forward, when safe) the present ones; report recorded clones that
    the configuration no longer lists. A ref under :data:`.config.EVERY` is each
    sibling's branch where its repository has it, and its own ref elsewhere (said).

    One step per sibling, as it happens: a git failure is that sibling's ``failed`` step
    (an unreachable remote, a ``--ref`` one repository lacks), never the end of the rest.
    """
    from .config import EVERY

    refs = dict(refs or {})
    unknown = sorted(set(refs) - {s.name for s in meta.siblings} - {EVERY})
    unknown += sorted(set(only or ()) - {s.name for s in meta.siblings})
    if unknown:
        meta.sibling(unknown[0])  # raises, naming the known siblings
    depends = dict(depends or {})
    for state in inspect(meta):
        if only and state.sibling.name not in only:
            continue
        if state.sibling.name in depends:
            yield _depends_on(meta, state, depends[state.sibling.name])
            continue
        yield _bootstrap_one(meta, state, update, refs)
    if only:
        return  # clone what you need: the rest is not looked at
    listed = {meta.location(s) for s in meta.siblings}
    for name, path in _recorded(meta).items():
        if Path(path) not in listed and os.path.lexists(path):
            yield Step(name, "not listed", f"{path} is no longer configured; left in place")


def _bootstrap_one(
    meta: MetaRepository, state: SiblingState, update: bool, refs: Mapping[str, str]
) -> Step:
    from . import git as _git
    from .config import EVERY

    sibling = state.sibling
    name = sibling.name
    if not state.present:
        if state.problem:
            return Step(name, "refused", state.problem)
        if sibling.repo is None:
            return Step(name, "missing", "no repo to clone from")
        if os.path.lexists(state.path):
            return Step(name, "refused", f"{state.path} exists; not touching it")
        remote = meta.remote(sibling)
        assert remote is not None
        ref, note = refs.get(name, sibling.ref), ""
        if name not in refs and EVERY in refs:
            if _git.has_branch(remote, refs[EVERY]):
                ref = refs[EVERY]
            else:
                default = f"its ref {sibling.ref}" if sibling.ref else "its default branch"
                note = f" ({refs[EVERY]} is not in its repository: {default})"
        state.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            _git.clone(remote, state.path, ref)
        except _git.GitError as error:
            return Step(name, "failed", str(error))
        _record(meta, name, state.path)
        at = f" at {ref}" if ref else ""
        return Step(name, "cloned", f"{remote}{at} into {state.path}{note}")
    where = f" ({state.branch or 'detached'} {state.commit})" if state.commit else ""
    if name in refs and state.branch != refs[name]:
        return Step(name, "skipped", f"exists; --ref applies to fresh clones{where}")
    if not update:
        reason = state.problem or (
            f"its origin is not {sibling.repo}" if state.remote_matches is False else ""
        )
        return Step(name, "present", reason or f"left as it is{where}")
    refused = _refusal(state)
    if refused is not None:
        return Step(name, "skipped", refused)
    before = state.commit
    try:
        after = _git.fast_forward(state.path)
    except _git.Diverged:
        return Step(name, "skipped", f"diverged from {state.upstream}; not fast-forwarded")
    except _git.GitError as error:
        return Step(name, "failed", str(error))
    change = "up to date" if after == before else f"{before} -> {after}"
    return Step(name, "updated", f"{state.branch}: {change}")


#: which sibling a ``Depends-On:`` trailer checked out at which ref and commit
DEPENDS_RECORD = Path(".pytest-workspace") / "depends-on.json"


def _depends_on(meta: MetaRepository, state: SiblingState, ref: str) -> Step:
    """A ``Depends-On:`` ref: fetched from the sibling's repo and checked out, in a
    fresh clone or a clean checkout of that repo (never a dirty one)."""
    from . import git as _git

    name = state.sibling.name
    if state.present:
        refused = _untouchable(state)
        if refused is None and state.remote_matches is False:
            refused = f"its origin is not {state.sibling.repo}"
        if refused:
            return Step(name, "skipped", f"Depends-On {ref}: {refused}")
        done = Step(name, "checked out", f"Depends-On {ref}")
    else:
        done = _bootstrap_one(meta, state, False, {})
        if done.action != "cloned":
            return done
        done = Step(name, "cloned", f"{done.detail}, at Depends-On {ref}")
    try:
        commit = _git.fetch_checkout(state.path, ref)
    except _git.GitError as error:
        return Step(name, "failed", str(error))
    _record_depends(meta, name, ref, commit)
    return Step(done.name, done.action, f"{done.detail} ({commit})")


def depends_recorded(meta: MetaRepository) -> dict[str, dict[str, str]]:
    """The ``Depends-On:`` refs bootstrap checked out: sibling -> ref and commit."""
    try:
        data = json.loads((meta.root / DEPENDS_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): {"ref": str(v.get("ref")), "commit": str(v.get("commit"))}
        for k, v in data.items()
        if isinstance(v, dict)
    }


def _record_depends(meta: MetaRepository, name: str, ref: str, commit: str) -> None:
    data = depends_recorded(meta)
    data[name] = {"ref": ref, "commit": commit}
    _write_record(meta, DEPENDS_RECORD, data)


def _recorded(meta: MetaRepository) -> dict[str, str]:
    try:
        data = json.loads((meta.root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _record(meta: MetaRepository, name: str, path: Path) -> None:
    """Remember that we cloned ``name`` at ``path`` (``.pytest-workspace/siblings.json``).
    Nothing is written through a link: a link planted at the directory, the record or
    its ``.gitignore`` is left alone, and the record is replaced, never written into."""
    data: dict[str, object] = dict(_recorded(meta))
    data[name] = str(path)
    _write_record(meta, RECORD, data)


def _write_record(meta: MetaRepository, relative: Path, data: Mapping[str, object]) -> None:
    """Replace a record under ``.pytest-workspace`` atomically, never through a link."""
    import tempfile

    record = meta.root / relative
    if record.parent.is_symlink() or record.is_symlink():
        return
    record.parent.mkdir(exist_ok=True)
    # Like .pytest_cache: the directory ignores itself (created once, never rewritten).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW
    try:
        descriptor = os.open(record.parent / ".gitignore", flags, 0o644)
    except FileExistsError:
        pass  # ours from an earlier clone, or something we did not create: left as it is
    else:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write("*\n")
    handle, temporary = tempfile.mkstemp(dir=record.parent, prefix=f".{record.stem}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(temporary, record)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- setup ------------------------------------------------------------------------------


def _usable(states: Sequence[SiblingState]) -> list[SiblingState]:
    broken = [s for s in states if s.present and s.problem]
    if broken:
        state = broken[0]
        raise WorkspaceError(f"sibling {state.sibling.name} ({state.path}): {state.problem}")
    unnamed = [s for s in states if s.present and s.project.distribution is None]
    if unnamed:
        state = unnamed[0]
        raise WorkspaceError(
            f"sibling {state.sibling.name} ({state.real}): no [project] name in pyproject.toml"
        )
    return [s for s in states if s.present]


def setup(
    meta: MetaRepository,
    venv: Path,
    *,
    plan: InstallPlan | None = None,
    index_args: Sequence[str] = (),
    installer: str | None = None,
    allow_missing: bool = False,
    python: str | None = None,
) -> list[Step]:
    """One shared env at ``venv`` with every present sibling editable, installed in ONE
    installer call; ``plan`` (a bundle's) keeps the rest at the bundle's other pins. A
    configured sibling that is missing stops it (the shared env would lack a sibling)
    unless ``allow_missing``."""
    from ..envs.installers import InstallFailed, get_installer
    from ..envs.interpreters import find_interpreter

    states = inspect(meta)
    present = _usable(states)
    if not present:
        raise WorkspaceError("no sibling is present; run pytest-workspace workspace bootstrap")
    missing = [state for state in states if not state.present]
    if missing and not allow_missing:
        names = ", ".join(f"{state.sibling.name} ({state.path})" for state in missing)
        raise WorkspaceError(
            f"missing sibling{'s' if len(missing) > 1 else ''}: {names}; run "
            "pytest-workspace workspace bootstrap, or pass --allow-missing to set up without"
        )
    if venv.is_symlink():
        raise WorkspaceError(f"{venv} is a symlink; not writing through it")
    backend = get_installer(installer)
    interpreter = find_interpreter(python)
    steps: list[Step] = []
    if not venv.exists():
        try:
            backend.create(venv, interpreter)
        except InstallFailed as failure:
            raise WorkspaceError(f"cannot create {venv}: {cause_of(failure.output)}") from None
        steps.append(Step("env", "created", f"{venv} (Python {interpreter.version})"))
    elif not (venv / "pyvenv.cfg").is_file():
        raise WorkspaceError(f"{venv} exists and is not a virtual environment; not touching it")
    else:
        made = _venv_python(venv)
        if python and made and not (made == python or made.startswith(f"{python}.")):
            raise WorkspaceError(
                f"{venv} has Python {made}, not {python}; remove it to set up with Python {python}"
            )
    argv = backend.install_command(python_in(venv)) + list(index_args)
    for state in present:
        extras = f"[{','.join(state.sibling.extras)}]" if state.sibling.extras else ""
        argv += ["--editable", f"{state.real}{extras}"]
    if plan is not None:
        sourced = [str(s.project.distribution) for s in present]
        others = plan.without(sourced)
        if others.pins:
            file = others.pin_constraints(venv / "pytest-workspace-constraints.txt")
            argv += ["--constraint", str(file)]
    try:
        backend.run(argv)
    except InstallFailed as failure:
        cause = cause_of(failure.output) or f"exit code {failure.returncode}"
        raise WorkspaceError(f"installing the siblings into {venv} failed: {cause}") from None
    problems = verify_editables(venv, present)
    if problems:
        raise WorkspaceError(f"{venv}: " + "; ".join(problems))
    for state in present:
        steps.append(
            Step(state.sibling.name, "editable", f"{state.project.distribution} from {state.real}")
        )
    for state in states:
        if not state.present:
            steps.append(
                Step(state.sibling.name, "missing", f"{state.path}; run workspace bootstrap")
            )
    return steps


def _venv_python(venv: Path) -> str | None:
    """The Python version an env was made with (``pyvenv.cfg``), if it says."""
    try:
        lines = (venv / "pyvenv.cfg").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() in ("version_info", "version"):
            return value.strip()
    return None


def verify_editables(venv: Path, states: Sequence[SiblingState]) -> list[str]:
    """Each sibling installed editable from its own path (PEP 610 ``direct_url.json``)
    in ``venv``: no released wheel of the same name slipped in."""
    import importlib.metadata

    from ..envs.installed import origin_of

    found: dict[str, importlib.metadata.Distribution] = {}
    for dist in importlib.metadata.distributions(path=[str(p) for p in site_packages(venv)]):
        found.setdefault(normalize(dist.metadata["Name"] or ""), dist)
    problems = []
    for state in states:
        name = str(state.project.distribution)
        installed = found.get(normalize(name))
        if installed is None:
            problems.append(f"{state.sibling.name}: {name} is not installed")
            continue
        origin, editable = origin_of(installed)
        if origin is None or origin.resolve() != state.real.resolve():
            where = f"from {origin}" if origin else "from a release, not from its checkout"
            problems.append(f"{state.sibling.name}: {name} is installed {where}")
        elif not editable:
            problems.append(f"{state.sibling.name}: {name} from {origin} is not editable")
    return problems


# -- validate -----------------------------------------------------------------------------

_IMPORTS = """
import importlib, json, sys, traceback
for sibling, modules in json.loads(sys.argv[1]):
    for module in modules:
        try:
            importlib.import_module(module)
        except BaseException as error:
            last = traceback.format_exception_only(type(error), error)[-1].strip()
            print(json.dumps([sibling, module, last]))
            sys.exit(1)
"""


def top_level_modules(path: Path, distribution: str) -> list[str]:
    """The packages a checkout provides: under ``src/``, else at its root."""
    skip = {"tests", "test", "docs", "examples", "benchmarks"}
    for base in (path / "src", path):
        if base.is_dir():
            found = sorted(
                child.name
                for child in base.iterdir()
                if child.name.isidentifier()
                and child.name not in skip
                and (child / "__init__.py").is_file()
            )
            if found:
                return found
    return [normalize(distribution).replace("-", "_")]


def validate(meta: MetaRepository, venv: Path, *, matrix: object | None = None) -> list[str]:
    """Findings about the shared env; empty when it is sound."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    states = inspect(meta)
    present = _usable(states)
    findings: list[str] = [
        f"{state.sibling.name}: missing ({state.path}); run pytest-workspace workspace bootstrap"
        for state in states
        if not state.present
    ]
    python = python_in(venv)
    if not python.exists():
        return [*findings, f"{venv}: no virtual environment; run pytest-workspace workspace setup"]
    findings.extend(dangling_editables(venv))
    version = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    for state in present:
        wanted = state.project.requires_python
        try:
            if wanted and version and not SpecifierSet(wanted).contains(version, prereleases=True):
                findings.append(
                    f"{state.sibling.name}: requires-python {wanted!r}, the env has {version}"
                )
        except InvalidSpecifier:
            findings.append(f"{state.sibling.name}: invalid requires-python {wanted!r}")
    findings.extend(verify_editables(venv, present))
    ordered, cycles = order(present)
    findings.extend(f"dependency cycle: {cycle}" for cycle in cycles)
    plan = [
        [s.sibling.name, top_level_modules(s.real, str(s.project.distribution))] for s in ordered
    ]
    result = subprocess.run(
        [str(python), "-c", _IMPORTS, json.dumps(plan)],
        capture_output=True,
        text=True,
        check=False,
        cwd=meta.root,
    )
    if result.returncode != 0:
        try:
            sibling, module, error = json.loads(result.stdout.strip().splitlines()[-1])
            findings.append(f"{sibling}: import {module} failed (the first failure): {error}")
        except (ValueError, IndexError):
            findings.append(f"importing the siblings failed: {result.stderr.strip()[-300:]}")
    findings.extend(_rows(present, matrix, venv))
    return findings


def dangling_editables(venv: Path) -> list[str]:
    """Every distribution in ``venv`` installed editable from a directory that is gone
    (a sibling moved away): it cannot be imported, whatever else looks fine."""
    import importlib.metadata

    from ..envs.installed import origin_of

    found = []
    for dist in importlib.metadata.distributions(path=[str(p) for p in site_packages(venv)]):
        origin, editable = origin_of(dist)
        if editable and origin is not None and not origin.is_dir():
            name = dist.metadata["Name"] or "?"
            found.append(f"{name} is installed editable from {origin}, which no longer exists")
    return found


def _installed_versions(venv: Path) -> dict[str, str]:
    import importlib.metadata

    return {
        normalize(dist.metadata["Name"] or ""): dist.version
        for dist in importlib.metadata.distributions(path=[str(p) for p in site_packages(venv)])
    }


def _rows(present: Sequence[SiblingState], matrix: object | None, venv: Path) -> list[str]:
    """The checkouts' own versions against the matrix rows (pre-releases allowed). A
    version only the build knows (git tags: setuptools-scm, hatch-vcs) is read from the
    env's metadata of the editable install; one that cannot be found is a finding."""
    from ..loading.values import parse_pin
    from ..model.matrix import Matrix
    from ..model.validity import check_pins

    if not isinstance(matrix, Matrix):
        return []
    findings = []
    installed: dict[str, str] | None = None
    pins = []
    for state in present:
        version = state.project.version
        if version is None:
            installed = _installed_versions(venv) if installed is None else installed
            version = installed.get(normalize(str(state.project.distribution)))
        if version is None:
            findings.append(
                f"{state.sibling.name}: no version to check against the matrix rows: "
                f"pyproject.toml leaves it to the build, and {venv} does not hold "
                f"{state.project.distribution}; run pytest-workspace workspace setup"
            )
            continue
        try:
            pins.append(parse_pin(matrix, state.sibling.matrix_component, version))
        except ValueError as error:
            findings.append(f"{state.sibling.name}: version {version!r}: {error}")
    found = check_pins(matrix, pins, "siblings") if pins else []
    findings.extend(f"checkout versions: {n.message}" for n in found if n.level == "error")
    return findings
