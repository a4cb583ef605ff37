from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from pytest_workspace import find_matrix, load_matrix
from pytest_workspace.core.selection import select_bundles, select_upgrades
from pytest_workspace.errors import (
    InvalidMatrixError,
    MatrixNotFound,
    SelectionError,
    WorkspaceError,
)
from pytest_workspace.loading.values import parse_combination
from pytest_workspace.model.matrix import Matrix, Notice, Pin
from pytest_workspace.model.validity import check_matrix, check_pins

from .helpers import WriteMatrix

TODAY = datetime.date(2026, 11, 21)


def errors_of(path: Path) -> list[str]:
    with pytest.raises(InvalidMatrixError) as info:
        load_matrix(path)
    return [str(error) for error in info.value.errors]


def findings(matrix: Matrix, level: str = "error") -> list[str]:
    return [str(n) for n in check_matrix(matrix, TODAY) if n.level == level]


def test_users_file_loads_with_dotted_names(provisioning: Path) -> None:
    matrix = load_matrix(provisioning)
    assert list(matrix.bundles) == ["stable-3.2", "lts-3.1"]
    stable = matrix.bundles["stable-3.2"]
    assert stable.dotted
    assert stable.title == "Stable 3.2 Bundle"
    assert stable.release_date == datetime.date(2025, 10, 15)
    assert stable.versions() == {
        "core": "3.2.1",
        "platform": "2.5.3",
        "extensions@mongodb": "1.2.0",
        "extensions@redis": "1.1.0",
        "extensions@azure": "2.0.0",
        "workspace": "1.4.0",
    }
    assert matrix.bundles["lts-3.1"].lts_until == datetime.date(2026, 9, 1)
    assert [str(rule.version) for rule in matrix.rules["core"]] == ["3.1.0", "3.2.0", "3.2.1"]
    assert isinstance(stable.pins[0].version, Version)


def test_quoted_names_are_not_noted(write_matrix: WriteMatrix) -> None:
    matrix = load_matrix(
        write_matrix(
            """
            [bundles."stable-3.2"]
            core = "3.2.1"
            """
        )
    )
    assert list(matrix.bundles) == ["stable-3.2"]
    assert not matrix.bundles["stable-3.2"].dotted
    assert matrix.notes == ()


def test_dotted_row_keys_under_compatibility(write_matrix: WriteMatrix) -> None:
    matrix = load_matrix(
        write_matrix(
            """
            [compatibility.core]
            3.2.1 = { platform = "^2.5" }
            [bundles.b]
            core = "3.2.1"
            platform = "2.5.0"
            """
        )
    )
    assert [str(rule.version) for rule in matrix.rules["core"]] == ["3.2.1"]
    assert [str(note) for note in matrix.notes] == [
        'compatibility.core."3.2.1": unquoted dotted key; TOML reads 3.2.1 as nested keys, '
        'write "3.2.1" = { ... }'
    ]


def test_split_compatibility_file(write_matrix: WriteMatrix) -> None:
    write_matrix(
        """
        [compatibility.core]
        "3.2.1" = { platform = "^2.5" }
        """,
        name="compatibility.toml",
    )
    path = write_matrix(
        """
        [bundles.ok]
        core = "3.2.1"
        platform = "2.5.3"
        [bundles.bad]
        core = "3.2.1"
        platform = "2.4.8"
        """
    )
    matrix = load_matrix(path)
    assert matrix.files == (path, path.with_name("compatibility.toml"))
    assert findings(matrix) == [
        'bundles.bad: platform 2.4.8 does not satisfy compatibility.core."3.2.1": '
        'platform = "^2.5" (needs >=2.5,<3) required by core 3.2.1'
    ]


def test_split_file_may_not_repeat_compatibility(write_matrix: WriteMatrix) -> None:
    write_matrix('[compatibility.core]\n"1.0" = {}\n', name="compatibility.toml")
    path = write_matrix('[compatibility.core]\n"1.0" = {}\n')
    assert errors_of(path) == [
        f"{path}: compatibility: defined both here and in "
        f"{path.with_name('compatibility.toml')}; keep it in one file"
    ]


def test_components_map_to_distributions_and_families(write_matrix: WriteMatrix) -> None:
    matrix = load_matrix(
        write_matrix(
            """
            [components.core]
            package = "provisioning-core"
            [components.extensions]
            package = "provisioning-ext-{name}"
            [bundles.b]
            core = "3.2.1"
            extensions = ["mongodb@1.2.0", "Redis@1.1.0"]
            requests = "2.32.3"
            """
        )
    )
    pins = matrix.bundles["b"].pins
    assert [pin.requirement for pin in pins] == [
        "provisioning-core==3.2.1",
        "provisioning-ext-mongodb==1.2.0",
        "provisioning-ext-redis==1.1.0",
        "requests==2.32.3",
    ]
    assert [pin.key for pin in pins] == [
        "core",
        "extensions@mongodb",
        "extensions@Redis",
        "requests",
    ]
    assert matrix.components["extensions"].family


def test_undeclared_family_uses_component_prefix(provisioning: Path) -> None:
    pins = load_matrix(provisioning).bundles["stable-3.2"].pins
    assert pins[2].requirement == "extensions-mongodb==1.2.0"


def test_index_find_links_relative_to_matrix(write_matrix: WriteMatrix, tmp_path: Path) -> None:
    matrix = load_matrix(
        write_matrix(
            """
            [index]
            url = "https://pypi.example.org/simple"
            find-links = ["dist", "https://example.org/wheels"]
            [bundles.b]
            core = "1.0"
            """,
            name="sub/versions.toml",
        )
    )
    assert matrix.index.url == "https://pypi.example.org/simple"
    assert matrix.index.find_links == (
        str((tmp_path / "sub" / "dist").resolve()),
        "https://example.org/wheels",
    )


def test_upgrades_both_forms(provisioning: Path) -> None:
    provisioning.write_text(
        provisioning.read_text()
        + '\n[[upgrades]]\nfrom = "lts-3.1"\nto = "stable-3.2"\n'
        + '[[upgrades]]\nfrom = "core@3.1.0"\nto = "core@3.2.0"\nxfail = "migration bug"\n'
    )
    matrix = load_matrix(provisioning)
    first, second = matrix.upgrades
    assert first.id == "lts-3.1:stable-3.2"
    assert first.source.bundle == "lts-3.1"
    assert first.target.pins == matrix.bundles["stable-3.2"].pins
    assert second.id == "core@3.1.0:core@3.2.0"
    assert [str(pin) for pin in second.source.pins] == ["core 3.1.0"]
    assert second.xfail == "migration bug"
    assert select_upgrades(matrix, ["core@*"]) == (second,)


def test_downgrade_and_invalid_ends_are_findings(write_matrix: WriteMatrix) -> None:
    matrix = load_matrix(
        write_matrix(
            """
            [compatibility.core]
            "3.2.1" = { platform = "^2.5" }
            [bundles.new]
            core = "3.2.1"
            platform = "2.4.0"
            [bundles.old]
            core = "3.1.0"
            [[upgrades]]
            from = "new"
            to = "old"
            """
        )
    )
    assert findings(matrix) == [
        'bundles.new: platform 2.4.0 does not satisfy compatibility.core."3.2.1": '
        'platform = "^2.5" (needs >=2.5,<3) required by core 3.2.1',
        "upgrades[0]: from bundle 'new' is not valid",
        "upgrades[0]: new:old is a downgrade: core goes from 3.2.1 to 3.1.0",
    ]


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


def test_select_bundles_globs_and_all(provisioning: Path) -> None:
    matrix = load_matrix(provisioning)
    assert [b.name for b in select_bundles(matrix, ["all"])] == ["stable-3.2", "lts-3.1"]
    assert [b.name for b in select_bundles(matrix, ["lts-*", "stable-3.2"])] == [
        "stable-3.2",
        "lts-3.1",
    ]
    with pytest.raises(SelectionError) as info:
        select_bundles(matrix, ["stabel-3.2"])
    assert str(info.value) == "unknown bundle 'stabel-3.2'; known: stable-3.2, lts-3.1"


def test_combination(provisioning: Path) -> None:
    matrix = load_matrix(provisioning)
    pins = parse_combination(matrix, "core=3.1.5, platform=2.4.8,extensions=mongodb@1.2.0")
    assert [str(pin) for pin in pins] == [
        "core 3.1.5",
        "platform 2.4.8",
        "extensions@mongodb 1.2.0",
    ]
    assert check_pins(matrix, pins, "combination") == [
        Notice(
            "info",
            "combination",
            'core 3.1.5 uses the row of 3.1.0 (compatibility.core."3.1.0"), '
            "inherited within the 3.1 series",
        ),
        Notice(
            "error",
            "combination",
            'extensions@mongodb 1.2.0 does not satisfy compatibility.core."3.1.0": '
            'extensions = "^0.9" (needs >=0.9,<0.10) required by core 3.1.5',
        ),
        Notice(
            "warning",
            "combination",
            "platform 2.4.8 has no compatibility row (compatibility.platform lists 2.5.0, 2.5.3)",
        ),
    ]
    with pytest.raises(SelectionError) as info:
        parse_combination(matrix, "core=3.x")
    assert str(info.value) == (
        "invalid combination 'core=3.x': expected a PEP 440 version, got '3.x'"
    )


def test_find_matrix(tmp_path: Path) -> None:
    (tmp_path / "version-management").mkdir()
    nested = tmp_path / "version-management" / "versions.toml"
    nested.write_text("")
    assert find_matrix(rootdir=tmp_path, environ={}) == nested
    (tmp_path / "versions.toml").write_text("")
    assert find_matrix(rootdir=tmp_path, environ={}) == tmp_path / "versions.toml"
    other = tmp_path / "other.toml"
    other.write_text("")
    env = {"PYTEST_WORKSPACE_MATRIX": str(other)}
    assert find_matrix(rootdir=tmp_path, environ=env) == other
    with pytest.raises(MatrixNotFound) as info:
        find_matrix(rootdir=tmp_path, environ={"PYTEST_WORKSPACE_MATRIX": "gone.toml"})
    assert str(info.value) == (
        f"matrix file not found: {tmp_path / 'gone.toml'} (from $PYTEST_WORKSPACE_MATRIX)"
    )


HOSTILE = [
    (
        '[bundles.b]\nx = "1.0"\n[[upgrades]]\nfrom = ["b"]\nto = { a = 1 }\n',
        [
            'upgrades[0].from: expected a bundle name or "component@version", got an array',
            'upgrades[0].to: expected a bundle name or "component@version", got a table',
        ],
    ),
    (
        "x = " + "[" * 1000 + "]" * 1000 + "\n",
        ["tables or arrays are nested too deeply to be a matrix"],
    ),
    (
        "[bundles]\n" + "a = { " * 400 + "b = 1" + " }" * 400 + "\n",
        ["tables or arrays are nested too deeply to be a matrix"],
    ),
    (
        '[bundles.b]\nx = "1.' + "1" * 5000 + '"\n',
        [
            "bundles.b.x: expected a PEP 440 version, got "
            "'1.11111111111111111111111111111111111111'... (5002 characters)"
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), HOSTILE, ids=["upgrade-types", "deep-array", "deep-table", "huge-version"]
)
def test_hostile_files_give_located_errors(
    text: str, expected: list[str], write_matrix: WriteMatrix
) -> None:
    path = write_matrix(text)
    assert errors_of(path) == [f"{path}: {message}" for message in expected]


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "versions.toml"
    path.write_bytes(b'\xef\xbb\xbf[bundles.b]\ncore = "1.0"\n')
    assert list(load_matrix(path).bundles) == ["b"]


# -- property: whatever the text, only the project's errors escape the loader -------------

_SEED = """
[components.core]
package = "pc"
[compatibility.core]
"1.0.0" = { platform = "^2.5", min-platform = "2.5.1" }
[bundles."s-1.0"]
name = "S"
release-date = 2025-01-01
core = "1.0.0"
platform = "2.5.3"
ext = ["a@1.0", "b@2.0"]
[[upgrades]]
from = "s-1.0"
to = "core@1.0.0"
"""


@given(
    st.one_of(
        st.text(max_size=400),
        st.builds(
            lambda cut, insert, at: _SEED[:at] + insert + _SEED[at + cut :],
            st.integers(0, 20),
            st.text(alphabet='[]{}=",.@^~*<>!0123456789abcdefz \n-', max_size=30),
            st.integers(0, len(_SEED)),
        ),
    )
)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_loader_raises_only_project_errors(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "versions.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        matrix = load_matrix(path)
    except WorkspaceError as error:
        problem = str(error)
    else:
        check_matrix(matrix)
        problem = "loaded"
    assert problem  # a message, never empty; any other exception fails the test


BUNDLE_NAME = "expected a bundle name (letters, digits, . _ -), got"
CLAUSE_NAME = "expected a component name, or min-<component> (letters, digits, . _ -), got"
NAMES = [
    ('[bundles."bad\\nname"]\ncore = "1.0"\n', f"bundles.'bad\\nname': {BUNDLE_NAME} 'bad\\nname'"),
    (
        '[bundles."a\\u001b[31m"]\ncore = "1.0"\n',
        f"bundles.'a\\x1b[31m': {BUNDLE_NAME} 'a\\x1b[31m'",
    ),
    ('[bundles."x\\u202ey"]\ncore = "1.0"\n', f"bundles.'x\\u202ey': {BUNDLE_NAME} 'x\\u202ey'"),
    (
        '[bundles.all]\ncore = "1.0"\n',
        f"bundles.all: {BUNDLE_NAME} 'all' (it selects every bundle)",
    ),
    ('[bundles."s*"]\ncore = "1.0"\n', f"bundles.'s*': {BUNDLE_NAME} 's*'"),
    (
        '[index]\nfind-links = ["--index-url=http://evil"]\n',
        "index.find-links[0]: expected a path or a URL, got '--index-url=http://evil'",
    ),
    ('[index]\nurl = "-q"\n', "index.url: expected an http(s) or file URL, got '-q'"),
    (
        '[compatibility.core]\n"1.0.0" = { "min-" = "1.0" }\n',
        f"compatibility.core.\"1.0.0\".'min-': {CLAUSE_NAME} 'min-'",
    ),
    (
        '[compatibility.core]\n"1.0.0" = { ",,," = "^1.0" }\n',
        f"compatibility.core.\"1.0.0\".',,,': {CLAUSE_NAME} ',,,'",
    ),
]
ENDPOINTS = ["@1.0", "a b@1.0", "x;touch@1.0", "pkg[extra]@1.0"]


@pytest.mark.parametrize(("text", "message"), NAMES)
def test_names_are_validated_with_their_key_path(
    text: str, message: str, write_matrix: WriteMatrix
) -> None:
    path = write_matrix(text)
    assert errors_of(path) == [f"{path}: {message}"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_bad_upgrade_endpoints_are_rejected(endpoint: str, write_matrix: WriteMatrix) -> None:
    path = write_matrix(f'[bundles.b]\ncore = "1.0"\n[[upgrades]]\nfrom = "b"\nto = "{endpoint}"\n')
    assert errors_of(path) == [
        f'{path}: upgrades[0].to: expected "component@version" with a component name '
        f"(letters, digits, . _ -), got {endpoint!r}"
    ]


def test_same_ends_and_duplicate_paths_are_findings(write_matrix: WriteMatrix) -> None:
    matrix = load_matrix(
        write_matrix(
            """
            [bundles.a]
            core = "1.0"
            [bundles.b]
            core = "2.0"
            [[upgrades]]
            from = "a"
            to = "b"
            [[upgrades]]
            from = "a"
            to = "b"
            [[upgrades]]
            from = "b"
            to = "b"
            """
        )
    )
    assert findings(matrix) == [
        "upgrades[1]: a:b is declared twice (also upgrades[0])",
        "upgrades[2]: b:b goes from and to the same place",
    ]


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


def test_component_extras_must_be_a_list_of_names(write_matrix: WriteMatrix) -> None:
    path = write_matrix('[components.db]\npackage = "SQLAlchemy"\nextras = "asyncio"\n')
    assert errors_of(path) == [
        f'{path}: components.db.extras: expected a list of extra names like ["asyncio"], '
        "got 'asyncio'"
    ]


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
