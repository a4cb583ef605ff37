"""``bundle publish``: a bundle as a meta-package, a distribution whose only content is
an exact ``Requires-Dist`` pin of every component and family member.

The project is generated into a scratch directory and built by a real build backend
(hatchling, with ``bypass-selection`` so that the wheel holds nothing but metadata)
through ``uv build``, into a wheel and an sdist. Uploading stays the user's tool.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from ..errors import WorkspaceError

if TYPE_CHECKING:
    from ..envs.spec import IndexOptions
    from ..model.matrix import Bundle, Matrix

__all__ = ["build_meta_package", "meta_package"]

BACKEND = "hatchling>=1.26"


def meta_package(matrix: Matrix, bundle: Bundle, package: str | None = None) -> tuple[str, str]:
    """The meta-package's distribution name and version."""
    template = package or matrix.publish.package
    if not template:
        raise WorkspaceError(
            f'{matrix.path}: [publish] package: expected a name like "acme-{{bundle}}" '
            "(or pass --package), got nothing"
        )
    name = template.replace("{bundle}", bundle.name)
    from ..model.names import NAME

    if not NAME.match(name) or not name[0].isalnum() or not name[-1].isalnum():
        raise WorkspaceError(f"{matrix.path}: [publish] package: {name!r} is not a valid name")
    if bundle.version:
        return name, bundle.version
    if bundle.release_date:
        day = bundle.release_date
        return name, f"{day.year}.{day.month}.{day.day}"
    raise WorkspaceError(
        f"{matrix.path}: {bundle.key}: expected a version or a release-date for the "
        "meta-package's version, got neither"
    )


def _pyproject(bundle: Bundle, name: str, version: str) -> str:
    import json

    title = bundle.title or bundle.name
    dependencies = "".join(f"    {json.dumps(pin.requirement)},\n" for pin in bundle.pins)
    return (
        "[build-system]\n"
        f"requires = [{json.dumps(BACKEND)}]\n"
        'build-backend = "hatchling.build"\n\n'
        "[project]\n"
        f"name = {json.dumps(name)}\n"
        f"version = {json.dumps(version)}\n"
        f"description = {json.dumps(f'{title}: the components of bundle {bundle.name}')}\n"
        f"dependencies = [\n{dependencies}]\n\n"
        "# Metadata only: the wheel installs the pins and nothing else.\n"
        "[tool.hatch.build.targets.wheel]\n"
        "bypass-selection = true\n"
        "[tool.hatch.build.targets.sdist]\n"
        'only-include = ["pyproject.toml"]\n'
    )


def build_meta_package(
    matrix: Matrix,
    bundle: Bundle,
    out: Path,
    index: IndexOptions,
    *,
    package: str | None = None,
) -> list[Path]:
    """Build the wheel and the sdist into ``out``; their paths."""
    from ..envs.installers import UvInstaller, find_uv

    name, version = meta_package(matrix, bundle, package)
    uv = find_uv()
    if uv is None:
        raise WorkspaceError(
            "`bundle publish` builds with `uv build`: pip install 'pytest-workspace[uv]'"
        )
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text(_pyproject(bundle, name, version))
        argv = [uv, "build", "--sdist", "--wheel", "--out-dir", str(out), str(project)]
        argv += UvInstaller.index_args(index)
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip()
        raise WorkspaceError(f"cannot build the meta-package of {bundle.name!r}:\n{lines}")
    built = sorted(out.glob(f"{stem}-*.whl")) + sorted(out.glob(f"{stem}.tar.gz"))
    if len(built) != 2:
        raise WorkspaceError(f"uv build reported success but {out} lacks {stem}'s wheel or sdist")
    return built
