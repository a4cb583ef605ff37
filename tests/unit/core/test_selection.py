"""Selecting bundles (names, globs, all) and ad-hoc combinations."""

from pathlib import Path

import pytest

from pytest_workspace import load_matrix
from pytest_workspace.core.selection import select_bundles
from pytest_workspace.errors import (
    SelectionError,
)
from pytest_workspace.loading.values import parse_combination
from pytest_workspace.model.matrix import Notice
from pytest_workspace.model.validity import check_pins


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
