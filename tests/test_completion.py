"""Partial combinations (``plugin@0.1.0`` ends, ``--combination plugin=0.1.0``) are
completed within the matrix: what their pins pull in gets the applying rows' ranges."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_workspace import load_matrix
from pytest_workspace.loading.values import parse_combination
from pytest_workspace.model.validity import completion

from .helpers import run

# pwt-plugin-a (any version) requires pwt-core>=1: alone, core would float to 2.0.0.
COMPLETION_MATRIX = """
[components.core]
package = "pwt-core"

[components.plugin]
package = "pwt-plugin-a"

[compatibility.plugin]
"0.1.0" = {{ core = "~1.0" }}
"0.2.0" = {{ core = ">=1.1,<1.2" }}

[index]
find-links = [{links!r}]

[bundles.old]
core = "1.0.0"
plugin = "0.1.0"
"""

ENDS_TESTS = """
def test_combination(workspace_env_factory):
    env = workspace_env_factory(combination="plugin=0.1.0")
    assert env.installed()["pwt-core"] == "1.0.0"


def test_upgrade(upgrade_path):
    env = upgrade_path.env
    assert env.installed()["pwt-core"] == "1.0.0"
    upgrade_path.upgrade()
    # pwt-core 1.0.0 satisfies plugin 0.2.0's own requirement; the row asks for ~1.1.
    assert env.installed()["pwt-plugin-a"] == "0.2.0"
    assert env.installed()["pwt-core"] == "1.1.0"
"""


def test_completion_gives_the_rows_ranges(tmp_path: Path, wheelhouse: Path) -> None:
    path = tmp_path / "versions.toml"
    path.write_text(COMPLETION_MATRIX.format(links=str(wheelhouse)))
    matrix = load_matrix(path)
    assert completion(matrix, parse_combination(matrix, "plugin=0.1.0")) == ("pwt-core<1.1,>=1.0",)
    # A pinned component is the end's own business; no row, no constraint.
    assert completion(matrix, parse_combination(matrix, "plugin=0.1.0,core=1.0.0")) == ()
    assert completion(matrix, parse_combination(matrix, "core=1.0.0")) == ()


def test_partial_ends_stay_within_the_rows(
    pytester: pytest.Pytester, wheelhouse: Path, plugin_cache: Path
) -> None:
    pytester.makefile(".toml", versions=COMPLETION_MATRIX.format(links=str(wheelhouse)))
    pytester.makepyfile(test_ends=ENDS_TESTS)
    result = run(
        pytester,
        plugin_cache,
        "--bundle=old",
        "--upgrade-path=plugin@0.1.0:plugin@0.2.0",
        "-v",
    )
    result.assert_outcomes(passed=2)
