"""Helpers shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from pytest_workspace.core.workspace import Settings, Workspace
from pytest_workspace.envs.env import Env
from pytest_workspace.envs.spec import EnvSpec, IndexOptions
from pytest_workspace.model.matrix import Matrix

WriteMatrix = Callable[..., Path]


def spec_for(
    matrix: Matrix,
    bundle: str,
    *,
    index: IndexOptions | None = None,
    sources: Mapping[str, Path] | None = None,
    editable: bool = True,
) -> EnvSpec:
    """The env spec the core builds for one of ``matrix``'s bundles."""
    settings = Settings(
        rootdir=matrix.path.parent, index=index or IndexOptions(), editable=editable
    )
    workspace = Workspace(settings, matrix=matrix)
    return workspace.spec(matrix.bundle(bundle), sources=sources or {})


#: what installers seed into an env beside the pins (pip's backend only)
SEEDS = {"pip", "setuptools", "wheel"}


def packages(env: Env) -> dict[str, str]:
    """What an env holds beyond the installer's own seed packages."""
    return {name: version for name, version in env.installed().items() if name not in SEEDS}


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m pytest_workspace ARGV`` in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_workspace", *argv],
        capture_output=True,
        text=True,
        check=False,
    )


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


def run(project: pytest.Pytester, cache: Path, *args: str) -> pytest.RunResult:
    # "=" forms: pytest fixes its rootdir before plugin options are known.
    return project.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--workspace-cache={cache}", "--workspace-offline", *args
    )
