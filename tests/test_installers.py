"""Installer backends and the diagnosis of their failures, with real uv and pip."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_workspace.envs.cache.store import EnvCache
from pytest_workspace.envs.installers import get_installer
from pytest_workspace.envs.spec import IndexOptions
from pytest_workspace.errors import InstallError, SelectionError
from pytest_workspace.model.matrix import Matrix

from .helpers import spec_for

BACKENDS = ["uv", "pip"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_metadata_drift_names_component_pin_and_requirement(
    backend: str, pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "drift", index=offline)
    with pytest.raises(InstallError) as info:
        cache.get(spec, backend)
    assert str(info.value) == (
        "cannot install bundle drift: pwt-platform 1.1.0 requires pwt-core>=1.1,<2, "
        "but the bundle pins pwt-core 1.0.0"
    )
    # No half-built env is left behind.
    assert not cache.path_for(spec, get_installer(backend)).exists()


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_version_names_component_version_and_index(
    backend: str, pwt_matrix: Matrix, offline: IndexOptions, wheelhouse: Path, tmp_path: Path
) -> None:
    cache = EnvCache(tmp_path / "cache")
    spec = spec_for(pwt_matrix, "ghost", index=offline)
    with pytest.raises(InstallError) as info:
        cache.get(spec, backend)
    assert str(info.value) == (
        f"cannot install bundle ghost: pwt-core 9.9.9 (core) is not available from "
        f"find-links {wheelhouse}; no index (offline) (found there: 1.0.0, 1.1.0, 2.0.0)"
    )


def test_names_and_versions_are_validated_before_any_command(
    pwt_matrix: Matrix, offline: IndexOptions, tmp_path: Path
) -> None:
    installer = get_installer("uv")
    with pytest.raises(SelectionError) as info:
        installer.install(tmp_path / "python", ["pwt-core==1.0; rm -rf /"], offline)
    assert str(info.value) == "not a valid PEP 508 requirement: 'pwt-core==1.0; rm -rf /'"


@pytest.mark.parametrize("backend", BACKENDS)
def test_unreachable_index_is_named_as_such(
    backend: str, pwt_matrix: Matrix, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
    monkeypatch.setenv("PIP_RETRIES", "1")
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    index = IndexOptions(index_url="http://127.0.0.1:9/simple")
    with pytest.raises(InstallError) as info:
        EnvCache(tmp_path / "cache").get(spec_for(pwt_matrix, "old", index=index), backend)
    assert str(info.value).startswith(
        "cannot install bundle old: the package index is unreachable "
        "(index http://127.0.0.1:9/simple): Connection refused"
    )
