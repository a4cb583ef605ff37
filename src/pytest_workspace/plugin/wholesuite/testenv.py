"""What a bundle's env needs to run a repository's own test suite (whole-suite mode,
``--workspace-env=bundle``), beside the bundle's pins:

- the project under test, editable, with the test extras named in the configuration;
- the PEP 735 dependency groups named there (resolved here, ``include-group`` and all,
  so that uv and pip of any version install them the same way);
- the runner: pytest, pytest-xdist and execnet at the versions running the outer
  session (they speak one protocol), unless the bundle itself pins one of them;
- this plugin, as a wheel packed from the running installation: an editable dev
  install, a wheel install and an offline machine all work, and the env's plugin is
  exactly the code of the controller that talks to it.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ...errors import SelectionError
from ...loading.compat import tomllib
from ...model.matrix import Pin
from ...model.names import normalize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ...core.workspace import Workspace
    from ...envs.spec import EnvSpec
    from ...model.matrix import Bundle

__all__ = [
    "PLUGIN_REQUIRES",
    "dependency_group",
    "plugin_wheel",
    "runner_requirements",
    "suite_spec",
    "test_requirements",
]

#: what pytest-xdist needs on the worker side, at the controller's versions: each
#: distribution with the module that says its version
RUNNER = (("pytest", "pytest"), ("pytest-xdist", "xdist"), ("execnet", "execnet"))
#: of our requirements in pyproject.toml, the ones the plugin needs inside a test env
#: (the rest serve the CLI and the env builder, which never run there); written out,
#: not read from our installed metadata, which costs every run ~30 ms of
#: importlib.metadata and packaging.requirements (a test keeps the two in step)
PLUGIN_REQUIRES = ("pytest>=7.4", "packaging>=23.2", "tomli>=2.0; python_version < '3.11'")


def _version_of(distribution: str, module: str) -> str | None:
    """The running version of ``distribution``: its module's ``__version__`` when
    already imported (the controller has all three), else its metadata."""
    import sys

    version = getattr(sys.modules.get(module), "__version__", None)
    if isinstance(version, str):
        return version
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def runner_requirements(pins: Sequence[Pin]) -> list[str]:
    """``pytest==X`` etc. at the running versions; a distribution the bundle pins is
    left to the bundle (testing pytest itself against pluggy, say)."""
    pinned = {normalize(pin.distribution) for pin in pins}
    wanted = []
    for name, module in RUNNER:
        version = _version_of(name, module)
        if normalize(name) not in pinned:
            wanted.append(f"{name}=={version}" if version else name)
    return wanted


def _pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SelectionError(f"{path}: cannot read it: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise SelectionError(f"{path}: invalid TOML: {error}") from None
    return data


def dependency_group(pyproject: Mapping[str, Any], name: str, where: str) -> list[str]:
    """The requirements of PEP 735 group ``name``, its ``include-group`` entries
    expanded (a cycle or an unknown group is an error naming the key)."""
    groups = pyproject.get("dependency-groups")
    if not isinstance(groups, dict):
        raise SelectionError(f"{where}: no [dependency-groups] table (wanted group {name!r})")
    by_normal = {normalize(key): key for key in groups}

    def expand(wanted: str, seen: tuple[str, ...]) -> list[str]:
        key = by_normal.get(normalize(wanted))
        if key is None:
            known = ", ".join(sorted(groups)) or "none"
            raise SelectionError(
                f"{where}: dependency-groups.{wanted}: no such group (groups: {known})"
            )
        if key in seen:
            chain = " -> ".join((*seen, key))
            raise SelectionError(f"{where}: dependency-groups.{key}: include cycle {chain}")
        entries = groups[key]
        if not isinstance(entries, list):
            raise SelectionError(f"{where}: dependency-groups.{key}: expected a list")
        found: list[str] = []
        for entry in entries:
            if isinstance(entry, str):
                found.append(entry)
            elif isinstance(entry, dict) and isinstance(entry.get("include-group"), str):
                found.extend(expand(entry["include-group"], (*seen, key)))
            else:
                raise SelectionError(
                    f"{where}: dependency-groups.{key}: expected requirement strings or "
                    f'{{include-group = "..."}}, got {entry!r}'
                )
        return found

    return expand(name, ())


def test_requirements(root: Path, groups: Iterable[str]) -> list[str]:
    """The requirements of the project's dependency groups ``groups``."""
    wanted = [group for group in groups if group]
    if not wanted:
        return []
    pyproject = _pyproject(root)
    where = str(root / "pyproject.toml")
    return [req for group in wanted for req in dependency_group(pyproject, group, where)]


# -- this plugin, packed for a test env ---------------------------------------------------


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _plugin_files() -> dict[str, bytes]:
    import pytest_workspace

    package = Path(pytest_workspace.__file__).resolve().parent
    files: dict[str, bytes] = {}
    for directory, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith((".py", ".typed")):
                path = Path(directory, name)
                files[f"pytest_workspace/{path.relative_to(package).as_posix()}"] = (
                    path.read_bytes()
                )
    return files


def _metadata(version: str) -> str:
    lines = [
        "Metadata-Version: 2.1",
        "Name: pytest-workspace",
        f"Version: {version}",
        "Summary: pytest-workspace's pytest plugin, packed for a bundle's test env",
        *(f"Requires-Dist: {text}" for text in PLUGIN_REQUIRES),
    ]
    return "\n".join(lines) + "\n"


@functools.cache
def plugin_wheel(directory: Path) -> Path:
    """A wheel of the running plugin in ``directory`` (built once per content: the
    path names the digest, so an env's key changes exactly when the plugin does)."""
    from ... import __version__

    files = _plugin_files()
    digest = hashlib.sha256()
    for name, data in sorted(files.items()):
        digest.update(name.encode() + b"\0" + data)
    metadata = _metadata(__version__)
    digest.update(metadata.encode())
    target_dir = directory / digest.hexdigest()[:16]
    target = target_dir / f"pytest_workspace-{__version__}-py3-none-any.whl"
    if target.is_file():
        return target
    target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = f"pytest_workspace-{__version__}.dist-info"
    files[f"{info}/METADATA"] = metadata.encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: pytest-workspace\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    files[f"{info}/entry_points.txt"] = b"[pytest11]\nworkspace = pytest_workspace.plugin\n"
    record = [_record_line(name, data) for name, data in files.items()]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    import tempfile

    descriptor, temporary = tempfile.mkstemp(dir=target_dir, suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as stream, zipfile.ZipFile(stream, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        # Concurrent builders write the same bytes; whichever rename lands last wins.
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def suite_spec(
    workspace: Workspace,
    bundle: Bundle,
    *,
    sources: Mapping[str, Path],
    test_extras: Sequence[str] = (),
    test_groups: Sequence[str] = (),
) -> EnvSpec:
    """``bundle``'s env for running the project's own suite in it: the bundle's spec
    plus the project (editable, with ``test_extras``), its ``test_groups``, the
    settings' ``test_requirements`` (tox's deps), the runner and this plugin."""
    import dataclasses

    from ...envs.checkouts import Source, metadata_digest, project_distribution

    root = workspace.settings.rootdir
    wheel = plugin_wheel(workspace.cache.wheels_dir)
    extras = [
        *test_requirements(root, test_groups),
        *workspace.settings.test_requirements,
        *runner_requirements(bundle.pins),
        f"pytest-workspace @ {wheel.as_uri()}",
    ]
    spec = workspace.spec(bundle, sources=sources, extras=extras)
    # Sources are resolved paths; rootdir may be reached through a symlink.
    own = [s for s in spec.sources if s.path.resolve() == root.resolve()]
    name = project_distribution(root)
    project: tuple[Source, ...] = ()
    if own:
        project = (dataclasses.replace(own[0], extras=tuple(test_extras)),)
    elif name is not None and tuple(workspace.settings.sources) != ("none",):
        # Not a component of the bundle (a downstream project): still "my tests against
        # that bundle", so the project goes in editable like a checkout would.
        project = (Source(name, name, root, True, metadata_digest(root), tuple(test_extras)),)
    kept = tuple(s for s in spec.sources if s not in own)
    return dataclasses.replace(spec, sources=kept + project)
