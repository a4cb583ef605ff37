from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_workspace import load_matrix
from pytest_workspace.envs.cache.store import EnvCache
from pytest_workspace.envs.spec import IndexOptions
from pytest_workspace.model.matrix import Matrix

from .helpers import MATRIX, PWT_MATRIX, TESTS, WriteMatrix
from .wheels import build_wheel, build_wheelhouse, repack_closure, repack_installed

DATA = Path(__file__).parent / "data"
PROVISIONING = DATA / "provisioning-versions.toml"


_UNIT = Path(__file__).parent / "unit"
_REPOSITORY = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The layout is the tiers: tests/unit/<package>/ run in process, in seconds; every
    # other test drives real envs, installers or processes (`-m "not e2e"` leaves them).
    for item in items:
        if _UNIT not in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def write_matrix(tmp_path: Path) -> WriteMatrix:
    """Write a matrix file (dedented) into tmp_path and return its path."""

    def write(text: str, name: str = "versions.toml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return write


@pytest.fixture
def provisioning(tmp_path: Path) -> Path:
    """A private copy of the users' matrix, exactly as they wrote it."""
    path = tmp_path / "versions.toml"
    shutil.copy(PROVISIONING, path)
    return path


# -- real environments ------------------------------------------------------------------

#: Installer settings of the machine running the tests must not leak into them.
_INSTALLER_VARIABLES = (
    "PIP_FIND_LINKS",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_NO_INDEX",
    "PIP_REQUIRE_VIRTUALENV",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_NO_INDEX",
    "UV_OFFLINE",
    "UV_PYTHON",
    "UV_LINK_MODE",
    "VIRTUAL_ENV",
    "PYTEST_WORKSPACE_CACHE",
    "PYTEST_WORKSPACE_MATRIX",
)


@pytest.fixture(scope="session", autouse=True)
def hermetic_installers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No index, no user pip.conf, a private uv cache: the suite runs with no network."""
    base = tmp_path_factory.getbasetemp().resolve()
    if _REPOSITORY in base.parents:
        # Every pytester project there would take our pyproject.toml as its configuration.
        pytest.exit(f"the temporary directory {base} is inside {_REPOSITORY}: set TMPDIR")
    with pytest.MonkeyPatch.context() as patch:
        for name in _INSTALLER_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("PIP_CONFIG_FILE", os.devnull)
        patch.setenv("UV_CACHE_DIR", str(tmp_path_factory.mktemp("uv-cache")))
        patch.setenv("UV_NO_CONFIG", "1")
        yield


@pytest.fixture(scope="session")
def workspace_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pytest-workspace, what it needs, and uv (its extra, binary included), as wheels:
    the offline find-links of the envs tests build with our package in them (a tox
    driver env, an outer env, a nox session)."""
    directory = repack_closure(tmp_path_factory.mktemp("workspace-wheels"), "pytest-workspace")
    repack_installed(directory, "uv", binaries=True)
    return directory


@pytest.fixture(scope="session")
def suite_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner (pytest, pytest-xdist, execnet and theirs) plus a test-only helper,
    as offline wheels."""
    directory = repack_closure(tmp_path_factory.mktemp("suite-wheels"), "pytest-xdist")
    build_wheel(directory, "pwt-runner-helper", "1.0.0")
    repack_closure(directory, "setuptools")  # a flat-layout checkout's build backend
    return directory


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="session")
def offline(wheelhouse: Path) -> IndexOptions:
    return IndexOptions(find_links=(str(wheelhouse),), offline=True)


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> EnvCache:
    """One cache for the session: tests that only read envs reuse them."""
    return EnvCache(tmp_path_factory.mktemp("env-cache"))


@pytest.fixture(scope="session")
def pwt_matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    path = tmp_path_factory.mktemp("pwt-matrix") / "versions.toml"
    path.write_text(PWT_MATRIX)
    return load_matrix(path)


@pytest.fixture
def project(pytester: pytest.Pytester, wheelhouse: Path) -> pytest.Pytester:
    pytester.makefile(".toml", versions=MATRIX.format(links=str(wheelhouse)))
    pytester.makepyfile(test_sample=TESTS)
    return pytester


@pytest.fixture(scope="session")
def plugin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plugin-cache")
