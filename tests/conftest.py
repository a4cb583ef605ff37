from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_workspace.envs import EnvCache
from pytest_workspace.matrix import Matrix, load_matrix
from pytest_workspace.resolve import IndexOptions

from .wheels import build_wheelhouse

DATA = Path(__file__).parent / "data"
PROVISIONING = DATA / "provisioning-versions.toml"

WriteMatrix = Callable[..., Path]


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
    with pytest.MonkeyPatch.context() as patch:
        for name in _INSTALLER_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("PIP_CONFIG_FILE", os.devnull)
        patch.setenv("UV_CACHE_DIR", str(tmp_path_factory.mktemp("uv-cache")))
        patch.setenv("UV_NO_CONFIG", "1")
        yield


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


PWT_MATRIX = """
[components.core]
package = "pwt-core"
[components.platform]
package = "pwt-platform"
[components.plugins]
package = "pwt-plugin-{name}"

[compatibility.platform]
"1.1.0" = { core = "^1.1" }

[bundles.old]
core = "1.0.0"
platform = "1.0.0"
plugins = ["a@0.1.0"]

[bundles.new]
core = "1.1.0"
platform = "1.1.0"
plugins = ["a@0.2.0"]

# The matrix claims this works; pwt-platform 1.1.0's metadata says otherwise.
[bundles.drift]
core = "1.0.0"
platform = "1.1.0"

[bundles.ghost]
core = "9.9.9"

[bundles.slow]
core = "1.0.0"
pwt-slow = "1.0.0"

[[upgrades]]
from = "old"
to = "new"
"""


@pytest.fixture(scope="session")
def pwt_matrix(tmp_path_factory: pytest.TempPathFactory) -> Matrix:
    path = tmp_path_factory.mktemp("pwt-matrix") / "versions.toml"
    path.write_text(PWT_MATRIX)
    return load_matrix(path)


# -- pytester projects -------------------------------------------------------------------

MATRIX = """
[components.core]
package = "pwt-core"
[components.platform]
package = "pwt-platform"

[compatibility.platform]
"1.1.0" = {{ core = "^1.1" }}

[index]
find-links = [{links!r}]

[bundles.old]
core = "1.0.0"
platform = "1.0.0"

[bundles.new]
core = "1.1.0"
platform = "1.1.0"

[[upgrades]]
from = "old"
to = "new"
"""

TESTS = """
import pytest


def test_plain():
    pass


def test_core_version(bundle_env, bundle):
    out = bundle_env.run_python("import pwt_core; print(pwt_core.VERSION)").stdout.strip()
    assert out == bundle_env.pins["core"] == bundle.versions()["core"]


@pytest.mark.workspace(core=">=1.1")
def test_new_only(bundle_env):
    assert bundle_env.installed()["pwt-core"] == "1.1.0"


@pytest.mark.bundles("old")
def test_old_only(bundle):
    assert bundle.name == "old"


def test_upgrade(upgrade_path, tmp_path):
    state = tmp_path / "state.txt"
    env = upgrade_path.env
    assert upgrade_path.from_versions == {"core": "1.0.0", "platform": "1.0.0"}
    assert upgrade_path.to_versions == {"core": "1.1.0", "platform": "1.1.0"}
    env.run_python(f"import pwt_core; open({str(state)!r}, 'w').write(pwt_core.VERSION)")
    assert upgrade_path.upgrade() is env
    new = env.run_python("import pwt_core; print(pwt_core.VERSION)").stdout.strip()
    assert (state.read_text(), new) == ("1.0.0", "1.1.0")
    upgrade_path.downgrade()
    assert env.installed()["pwt-core"] == "1.0.0"
"""


@pytest.fixture
def project(pytester: pytest.Pytester, wheelhouse: Path) -> pytest.Pytester:
    pytester.makefile(".toml", versions=MATRIX.format(links=str(wheelhouse)))
    pytester.makepyfile(test_sample=TESTS)
    return pytester


@pytest.fixture(scope="session")
def plugin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plugin-cache")


def run(project: pytest.Pytester, cache: Path, *args: str) -> pytest.RunResult:
    # "=" forms: pytest fixes its rootdir before plugin options are known.
    return project.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--workspace-cache={cache}", "--workspace-offline", *args
    )
