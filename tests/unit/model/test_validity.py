"""Validity: the rows judged in both directions, inheritance, min- bounds, support
dates, and the memoised check against the naive one."""

import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from pytest_workspace import load_matrix
from pytest_workspace.loading.values import parse_combination
from pytest_workspace.model.matrix import Matrix, Pin
from pytest_workspace.model.validity import check_matrix, check_pins

from ...helpers import WriteMatrix

TODAY = datetime.date(2026, 11, 21)


def findings(matrix: Matrix, level: str = "error") -> list[str]:
    return [str(n) for n in check_matrix(matrix, TODAY) if n.level == level]


ROWS = """
[compatibility.core]
"3.2.0" = { platform = "^2.4" }
"3.2.1" = { platform = "^2.5" }
"3.1.0" = { platform = "^2.3" }
[bundles.b]
core = "3.2.1"
"""


@pytest.mark.parametrize(
    ("version", "row", "inherited"),
    [
        ("3.2.1", "3.2.1", False),
        ("3.2.0", "3.2.0", False),
        ("3.2.7", "3.2.1", True),
        ("3.1.5", "3.1.0", True),
        ("3.1.0.post1", "3.1.0", True),
        ("3.0.9", None, False),  # no row below it in the 3.0 series
        ("3.3.0", None, False),  # never inherits across series
    ],
)
def test_row_inheritance(
    write_matrix: WriteMatrix, version: str, row: str | None, inherited: bool
) -> None:
    matrix = load_matrix(write_matrix(ROWS))
    rule, was_inherited = matrix.rule_for("core", Version(version))
    assert (str(rule.version) if rule else None, was_inherited) == (row, inherited)


def test_validity_both_directions_and_min_bound(write_matrix: WriteMatrix) -> None:
    matrix = load_matrix(
        write_matrix(
            """
            [compatibility.core]
            "3.1.0" = { platform = "^2.3" }
            [compatibility.platform]
            "2.5.3" = { core = "^3.1", min-core = "3.2.0" }
            [bundles.b]
            core = "3.1.0"
            platform = "2.5.3"
            """
        )
    )
    # core's row accepts platform 2.5.3; platform's row rejects core 3.1.0 (min-core).
    assert findings(matrix) == [
        'bundles.b: core 3.1.0 does not satisfy compatibility.platform."2.5.3": '
        'core = "^3.1", min-core = "3.2.0" (needs >=3.1,>=3.2.0,<4) required by platform 2.5.3'
    ]


def test_min_bound_alone(write_matrix: WriteMatrix) -> None:
    matrix = load_matrix(
        write_matrix(
            """
            [compatibility.platform]
            "2.5.0" = { min-core = "3.1.0" }
            [bundles.b]
            core = "3.0.0"
            platform = "2.5.0"
            """
        )
    )
    assert findings(matrix) == [
        'bundles.b: core 3.0.0 does not satisfy compatibility.platform."2.5.0": '
        'core = "*", min-core = "3.1.0" (needs >=3.1.0) required by platform 2.5.0'
    ]


def test_family_members_checked_each_in_both_directions(write_matrix: WriteMatrix) -> None:
    matrix = load_matrix(
        write_matrix(
            """
            [components.core]
            [components.ext]
            package = "ext-{name}"
            [compatibility.core]
            "3.2.1" = { ext = "^1.0" }
            [compatibility.ext]
            "1.1.0" = { core = "^3.3" }
            [bundles.b]
            core = "3.2.1"
            ext = ["a@1.0.0", "b@2.0.0", "c@1.1.0"]
            """
        )
    )
    assert findings(matrix) == [
        'bundles.b: ext@b 2.0.0 does not satisfy compatibility.core."3.2.1": ext = "^1.0" '
        "(needs >=1.0,<2) required by core 3.2.1",
        'bundles.b: core 3.2.1 does not satisfy compatibility.ext."1.1.0": core = "^3.3" '
        "(needs >=3.3,<4) required by ext@c 1.1.0",
    ]
    assert findings(matrix, "warning") == [
        "bundles.b: ext@a 1.0.0 has no compatibility row (compatibility.ext lists 1.1.0)",
        "bundles.b: ext@b 2.0.0 has no compatibility row (compatibility.ext lists 1.1.0)",
    ]


def test_components_without_rows_are_unconstrained(provisioning: Path) -> None:
    # workspace has no [compatibility.workspace] table: no "no row" warning for it.
    warnings = findings(load_matrix(provisioning), "warning")
    assert not any("workspace" in warning for warning in warnings)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2026, 9, 1), []),
        (
            datetime.date(2026, 9, 2),
            ["bundles.lts-3.1: out of support since 2026-09-01 (lts-until)"],
        ),
    ],
)
def test_lts_until(provisioning: Path, today: datetime.date, expected: list[str]) -> None:
    notices = check_matrix(load_matrix(provisioning), today)
    assert [str(n) for n in notices if "support" in n.message] == expected


def test_undeclared_names_are_warned_with_a_suggestion(write_matrix: WriteMatrix) -> None:
    matrix = load_matrix(
        write_matrix(
            """
            [components.urllib3]
            [components.requests]
            [compatibility.requests]
            "2.32.0" = { urlib3 = ">=1.21" }
            [bundles.b]
            requests = "2.32.0"
            urlib3 = "2.2.0"
            """
        )
    )
    hint = "is not a declared component (urllib3, requests); did you mean 'urllib3'?"
    assert findings(matrix, "warning") == [
        f"compatibility.requests: 'urlib3' {hint}",
        f"bundles.b.urlib3: 'urlib3' {hint}",
    ]


def test_component_a_row_asks_for_but_the_bundle_leaves_out(provisioning: Path) -> None:
    matrix = load_matrix(provisioning)
    assert (
        'bundles.lts-3.1: compatibility.core."3.1.0" (core 3.1.5) requires extensions = "^0.9", '
        "but the bundle pins no extensions"
    ) in findings(matrix, "warning")


def _naive_errors(matrix: Matrix, pins: tuple[Pin, ...], key: str) -> list[str]:
    """What check_pins must report, without any of its memos: every pin's row against
    every other pin."""
    found = []
    for pin in pins:
        rule, _ = matrix.rule_for(pin.component, pin.version)
        if rule is None:
            continue
        for other in pins:
            for constraint in rule.requires:
                allowed = constraint.specifier.contains(other.version, prereleases=True)
                if constraint.component == other.component and not allowed:
                    found.append(
                        f"{key}: {other} does not satisfy {rule.key}: {constraint.text} "
                        f"(needs {constraint.expanded}) required by {pin}"
                    )
    return found


_RANGES = ["^1.0", "^1.1", ">=1.1", "<1.2", "*", "~1.2"]


_VERSIONS = ["1.0.0", "1.1.0", "1.1.3", "1.2.0", "1.3.0"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from("abc"),
            st.sampled_from(_VERSIONS[::2]),
            st.lists(st.sampled_from(_RANGES), min_size=3, max_size=3),
        ),
        max_size=8,
    ),
    bundles=st.lists(
        st.lists(st.sampled_from(_VERSIONS), min_size=3, max_size=3), min_size=1, max_size=12
    ),
)
def test_check_memos_agree_with_the_naive_check(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple[str, str, list[str]]],
    bundles: list[list[str]],
) -> None:
    """The shared pins, shared clause lists and bit-mask verdicts of check() report the
    same errors, in the same order, as judging every pair afresh; so does check_pins on
    new pin objects after them."""
    lines = []
    tables: dict[str, dict[str, list[str]]] = {}
    for component, version, ranges in rows:
        tables.setdefault(component, {})[version] = ranges
    for component, table in tables.items():
        lines.append(f"[compatibility.{component}]")
        others = [name for name in "abc" if name != component]
        for version, ranges in table.items():
            clauses = ", ".join(f'{name} = "{spec}"' for name, spec in zip(others, ranges))
            lines.append(f'"{version}" = {{ {clauses} }}')
    for index, versions in enumerate(bundles):
        pins = "\n".join(f'{name} = "{v}"' for name, v in zip("abc", versions))
        lines.append(f'[bundles."b{index}"]\n{pins}')
    path = tmp_path_factory.mktemp("memo") / "versions.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    matrix = load_matrix(path)
    expected = [
        error
        for bundle in matrix.bundles.values()
        for error in _naive_errors(matrix, bundle.pins, bundle.key)
    ]
    assert [str(n) for n in check_matrix(matrix, TODAY) if n.level == "error"] == expected
    for versions in bundles:
        fresh = parse_combination(matrix, ",".join(f"{n}={v}" for n, v in zip("abc", versions)))
        assert [
            str(n) for n in check_pins(matrix, fresh, "c") if n.level == "error"
        ] == _naive_errors(matrix, fresh, "c")
