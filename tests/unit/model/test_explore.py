"""The matrix explorer against brute force: what it proposes is legal as ``check``
judges it, the floor and the latest are the extreme legal combinations, the covering set
holds every pair (and triple) some legal combination holds, and the count is exact."""

from __future__ import annotations

import datetime
import itertools
from pathlib import Path

import pytest
from packaging.version import Version

from pytest_workspace import load_matrix
from pytest_workspace.model.explore import (
    NoLegalCombination,
    Space,
    derived_upgrades,
    matrix_candidates,
)
from pytest_workspace.model.matrix import Matrix
from pytest_workspace.model.validity import check_pins

MATRIX = """
[components.ext]
package = "acme-ext-{name}"

[compatibility.core]
"1.0.0" = { platform = "<2", ext = "^1.0" }
"1.1.0" = { platform = ">=1.5,<3" }
"2.0.0" = { platform = ">=2", ext = ">=1.1" }
[compatibility.platform]
"1.0.0" = { core = "<1.1" }
"2.0.0" = { core = ">=1.1" }

[bundles.one]
release-date = 2025-01-10
core = "1.0.0"
platform = "1.0.0"
ext = ["a@1.0.0"]
[bundles.two]
release-date = 2025-06-01
core = "1.1.0"
platform = "1.5.0"
ext = ["a@1.1.0"]
[bundles.three]
release-date = 2025-12-01
core = "2.0.0"
platform = "2.0.0"
ext = ["a@1.2.0"]
[bundles.undated]
core = "1.1.0"
platform = "2.0.0"
ext = ["a@1.1.0"]

[[upgrades]]
from = "one"
to = "two"
xfail = "a known migration bug"
"""


@pytest.fixture
def matrix(tmp_path: Path) -> Matrix:
    path = tmp_path / "versions.toml"
    path.write_text(MATRIX)
    return load_matrix(path)


def legal(matrix: Matrix, space: Space) -> list[tuple[int, ...]]:
    """Every legal combination, by brute force and check_pins (the judge of `check`)."""
    found = []
    for choice in itertools.product(*(range(len(d)) for d in space.pins)):
        pins = [space.pins[i][a] for i, a in enumerate(choice)]
        if not [n for n in check_pins(matrix, pins, "x") if n.level == "error"]:
            found.append(choice)
    return found


def chosen(space: Space, spec_versions: dict[str, str]) -> tuple[int, ...]:
    return tuple(
        [str(p.version) for p in space.pins[i]].index(spec_versions[key])
        for i, key in enumerate(space.keys)
    )


def test_candidates_are_the_versions_the_matrix_names(matrix: Matrix) -> None:
    found = matrix_candidates(matrix)
    assert list(found) == ["core", "platform", "ext@a"]
    assert found["core"] == [Version("1.0.0"), Version("1.1.0"), Version("2.0.0")]
    assert found["platform"] == [Version(v) for v in ("1.0.0", "1.5.0", "2.0.0")]


def test_floor_and_latest_are_the_extreme_legal_combinations(matrix: Matrix) -> None:
    space = Space(matrix, matrix_candidates(matrix))
    everything = legal(matrix, space)
    assert 0 < len(everything) < space.product()  # the rows do exclude some
    floor, latest = space.floor(), space.latest()
    assert chosen(space, floor.versions()) == min(everything)
    assert chosen(space, latest.versions()) == max(everything)
    assert floor.spec == "core=1.0.0,platform=1.0.0,ext=a@1.0.0"
    assert latest.spec == "core=2.0.0,platform=2.0.0,ext=a@1.2.0"


def test_no_legal_floor_names_the_rows_that_conflict(matrix: Matrix) -> None:
    candidates = matrix_candidates(matrix)
    candidates["platform"] = [Version("1.0.0")]
    candidates["core"] = [Version("1.1.0"), Version("2.0.0")]
    space = Space(matrix, candidates)
    with pytest.raises(NoLegalCombination) as error:
        space.floor()
    assert error.value.conflicts == (
        'core (1.1.0, 2.0.0) and platform (1.0.0) never go together: compatibility.core."1.1.0" '
        'requires platform = ">=1.5,<3"; compatibility.core."2.0.0" requires platform = ">=2"; '
        'compatibility.platform."1.0.0" requires core = "<1.1"',
    )


@pytest.mark.parametrize("strength", [1, 2, 3])
def test_the_covering_set_holds_every_tuple_a_legal_combination_holds(
    matrix: Matrix, strength: int
) -> None:
    space = Space(matrix, matrix_candidates(matrix))
    everything = legal(matrix, space)
    proposals = space.covering(strength)
    picked = [chosen(space, p.versions()) for p in proposals]
    assert set(picked) <= set(everything)  # every proposal is legal
    for group in itertools.combinations(range(len(space.keys)), strength):
        wanted = {tuple(choice[i] for i in group) for choice in everything}
        covered = {tuple(choice[i] for i in group) for choice in picked}
        assert wanted == covered
    assert [p.spec for p in space.covering(strength)] == [p.spec for p in proposals]
    assert len(proposals) <= len(everything)


def test_the_count_is_the_legal_product(matrix: Matrix) -> None:
    space = Space(matrix, matrix_candidates(matrix))
    assert space.count() == (len(legal(matrix, space)), True)
    assert space.count(limit=2) == (2, False)
    assert space.product() == 3 * 3 * 3


def test_upgrade_paths_from_the_release_dates(matrix: Matrix) -> None:
    paths = derived_upgrades(matrix)
    assert [p.id for p in paths] == [
        "one:two",
        "two:three",
        "three:undated",  # file order for a bundle without a date, after the dated ones
        "one:three",
        "two:undated",
    ]
    assert paths[0].xfail == "a known migration bug"  # the declared path, as declared
    downgrades = derived_upgrades(matrix, downgrades=True)
    assert [p.id for p in downgrades][5:7] == ["two:one", "three:two"]
    assert datetime.date(2025, 1, 10) == matrix.bundle("one").release_date
