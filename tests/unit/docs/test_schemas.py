"""The published JSON Schemas (``docs/schemas``) against the loaders: every file the
loaders accept validates, and what they refuse for a wrong type the schema refuses too
(so an editor's ``#:schema`` line flags what ``check`` would)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from pytest_workspace import load_matrix
from pytest_workspace.errors import WorkspaceError
from pytest_workspace.loading.compat import tomllib
from pytest_workspace.results.document import read_results, results_document
from pytest_workspace.results.records import Results

ROOT = Path(__file__).resolve().parents[3]
SCHEMAS = ROOT / "docs" / "schemas"
MATRICES = [
    ROOT / "tests" / "data" / "provisioning-versions.toml",
    ROOT / "examples" / "provisioning" / "versions.toml",
]


def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def as_json(value: Any) -> Any:
    """TOML as an editor's schema validator sees it: dates are strings."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    return value


@pytest.mark.parametrize("path", MATRICES, ids=[p.parent.name for p in MATRICES])
def test_the_users_matrices_validate(path: Path) -> None:
    load_matrix(path)
    data = as_json(tomllib.loads(path.read_text(encoding="utf-8")))
    errors = [error.message for error in validator("versions.schema.json").iter_errors(data)]
    assert errors == []


BASE = """
[components.core]
package = "acme-core"
[compatibility.core]
"1.0.0" = { platform = "^2.0" }
[bundles."b-1"]
release-date = 2026-01-01
core = "1.0.0"
platform = "2.0.0"
[index]
find-links = ["dist"]
[[upgrades]]
from = "b-1"
to = "b-1"
"""

WRONG_TYPES = {
    "a pin that is a number": ('platform = "2.0.0"', "platform = 2"),
    "find-links a number": ('find-links = ["dist"]', "find-links = 5"),
    "an unknown top-level table": ("[index]", "[indexes]"),
    "a row that is a number": ('"1.0.0" = { platform = "^2.0" }', '"1.0.0" = 5'),
    "an upgrade without to": ('to = "b-1"', ""),
    "a component table with an unknown key": ('package = "acme-core"', 'pakage = "acme-core"'),
    "locked not a boolean": ("[index]", '[index]\nlocked = "yes"'),
}


def test_the_base_matrix_is_valid_for_both(tmp_path: Path) -> None:
    path = tmp_path / "versions.toml"
    path.write_text(BASE)
    load_matrix(path)
    assert list(validator("versions.schema.json").iter_errors(as_json(tomllib.loads(BASE)))) == []


@pytest.mark.parametrize("change", list(WRONG_TYPES), ids=list(WRONG_TYPES))
def test_a_wrong_type_is_refused_by_both(tmp_path: Path, change: str) -> None:
    old, new = WRONG_TYPES[change]
    text = BASE.replace(old, new, 1)
    path = tmp_path / "versions.toml"
    path.write_text(text)
    with pytest.raises(WorkspaceError):
        load_matrix(path)
    data = as_json(tomllib.loads(text))
    assert list(validator("versions.schema.json").iter_errors(data)) != []


def results_file() -> dict[str, Any]:
    """A results document as the plugin writes it (the real writer)."""
    results = Results()
    results.record("t.py::test_a[b-1]", "passed", 0.1, when="call", bundle="b-1", upgrade_path=None)
    results.record(
        "t.py::test_b[b-1]",
        "failed",
        0.2,
        when="call",
        bundle="b-1",
        upgrade_path=None,
        message="E   assert 1 == 2",
    )
    results.record(
        "t.py::test_up[a:b-1]", "passed", 0.3, when="call", bundle=None, upgrade_path="a:b-1"
    )
    document = results_document(
        matrix="versions.toml",
        installer="uv",
        started=1_780_000_000.0,
        finished=1_780_000_010.0,
        results=results,
        bundles={"b-1": {"core": "1.0.0"}},
        upgrades={"a:b-1": ("a", "b-1")},
        changes={"a:b-1": [{"key": "core", "from": "0.9.0", "to": "1.0.0", "change": "upgrade"}]},
        sources={
            "core": {"path": "/src/core", "branch": "main", "commit": "1a2b3c4", "dirty": False}
        },
    )
    copy: dict[str, Any] = json.loads(json.dumps(document))
    return copy


def test_a_results_file_validates() -> None:
    document = results_file()
    read_results(document, "results.json")
    assert list(validator("results.schema.json").iter_errors(document)) == []


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("tests", 0, "outcome"), "green"),
        (("bundles", "b-1", "verdict"), "ok"),
        (("started",), 5),
        (("schema",), 2),
        (("bundles", "b-1", "pins"), ["core==1.0.0"]),
        (("upgrade_paths", "a:b-1", "changes"), "core"),
    ],
    ids=["outcome", "verdict", "started", "schema", "pins", "changes"],
)
def test_a_wrong_results_value_is_refused_by_both(where: tuple[Any, ...], value: Any) -> None:
    document = results_file()
    target = document
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(WorkspaceError):
        read_results(document, "results.json")
    assert list(validator("results.schema.json").iter_errors(document)) != []
