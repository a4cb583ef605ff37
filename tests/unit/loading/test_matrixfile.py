from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from pytest_workspace import find_matrix, load_matrix
from pytest_workspace.core.selection import select_upgrades
from pytest_workspace.errors import (
    InvalidMatrixError,
    MatrixNotFound,
    WorkspaceError,
)
from pytest_workspace.model.matrix import Matrix
from pytest_workspace.model.validity import check_matrix

from ...helpers import WriteMatrix

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


BUNDLE_NAME = "expected a bundle name (letters, digits, . _ -; at most 100 characters), got"
CLAUSE_NAME = (
    "expected a component name, or min-<component> "
    "(letters, digits, . _ -; at most 100 characters), got"
)
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
        f"(letters, digits, . _ -; at most 100 characters), got {endpoint!r}"
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


def test_component_extras_must_be_a_list_of_names(write_matrix: WriteMatrix) -> None:
    path = write_matrix('[components.db]\npackage = "SQLAlchemy"\nextras = "asyncio"\n')
    assert errors_of(path) == [
        f'{path}: components.db.extras: expected a list of extra names like ["asyncio"], '
        "got 'asyncio'"
    ]
