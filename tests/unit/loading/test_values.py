"""Values written by users, parsed: requirement lists as pytest's ini lists are written."""

from __future__ import annotations

import pytest

from pytest_workspace.errors import SelectionError
from pytest_workspace.loading.values import requirement_items


@pytest.mark.parametrize(
    ("written", "items"),
    [
        (["pytest-mock", "pytest-timeout>=2"], ("pytest-mock", "pytest-timeout>=2")),
        (["pytest-mock pytest-timeout"], ("pytest-mock", "pytest-timeout")),
        (["foo >= 1.0"], ("foo >= 1.0",)),
        (['bar; python_version < "3.12"'], ('bar; python_version < "3.12"',)),
        (["", "# a comment", "  baz  "], ("baz",)),
        ("one two", ("one", "two")),
        (None, ()),
    ],
)
def test_requirements_are_read_as_pytest_reads_its_ini_lists(
    written: object, items: tuple[str, ...]
) -> None:
    assert requirement_items(written, "workspace_extras") == items


def test_a_line_that_is_no_requirement_names_the_key_and_the_part() -> None:
    with pytest.raises(SelectionError) as raised:
        requirement_items(["good", "fine ok!"], "workspace_extras")
    assert str(raised.value) == (
        "workspace_extras: 'ok!' is not a requirement (PEP 508); write one per line, or "
        "several separated by spaces"
    )
