from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from pytest_workspace.model.ranges import parse_range, render


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("^3.2", ">=3.2,<4"),
        ("^3.2.1", ">=3.2.1,<4"),
        ("^1", ">=1,<2"),
        ("^0.9", ">=0.9,<0.10"),
        ("^0.9.3", ">=0.9.3,<0.10"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0.0", ">=0.0,<0.1"),
        ("^0", ">=0,<1"),
        ("~1.2", ">=1.2,<1.3"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1", ">=1,<2"),
        ("~=1.2", "~=1.2"),
        ("2.5.*", "==2.5.*"),
        ("2.*", "==2.*"),
        ("*", "any version"),
        (">=2.5,<3", ">=2.5,<3"),
        ("^2.5, !=2.5.1", ">=2.5,!=2.5.1,<3"),
        (" ^3.2 ", ">=3.2,<4"),
    ],
)
def test_ranges_expand(text: str, expected: str) -> None:
    assert render(parse_range(text)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "two",
            "expected a caret (^1.2), tilde (~1.2), wildcard (1.2.*, *) or PEP 440 range "
            "(>=1.2,<2), got 'two'",
        ),
        ("^1.x", "expected ^MAJOR[.MINOR[.PATCH]] with numbers only, got '^1.x'"),
        ("~1.2.3.4", "expected ~MAJOR[.MINOR[.PATCH]] with numbers only, got '~1.2.3.4'"),
        ("2.5.3", "a bare version is ambiguous, write '==2.5.3' or '^2.5.3'"),
        (
            "",
            "expected a caret (^1.2), tilde (~1.2), wildcard (1.2.*, *) or PEP 440 range "
            "(>=1.2,<2), got an empty string",
        ),
    ],
)
def test_bad_ranges(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_range(text)


# Reference definitions written from the Cargo book, independent of ranges.py:
# caret allows changes that keep the left-most non-zero written part; tilde allows
# patch-level changes when a minor is written, minor-level changes otherwise.
def cargo_caret(req: tuple[int, ...], v: tuple[int, int, int]) -> bool:
    padded = (*req, *(0,) * (3 - len(req)))
    if v < padded:
        return False
    nonzero = [i for i, part in enumerate(req) if part != 0]
    keep = nonzero[0] + 1 if nonzero else len(req)
    return v[:keep] == req[:keep]


def cargo_tilde(req: tuple[int, ...], v: tuple[int, int, int]) -> bool:
    padded = (*req, *(0,) * (3 - len(req)))
    keep = 2 if len(req) >= 2 else 1
    return v >= padded and v[:keep] == req[:keep]


small = st.integers(min_value=0, max_value=4)
requirements = st.lists(small, min_size=1, max_size=3).map(tuple)
versions = st.tuples(small, small, small)


@given(requirements, versions)
def test_caret_matches_cargo(req: tuple[int, ...], v: tuple[int, int, int]) -> None:
    specifier = parse_range("^" + ".".join(map(str, req)))
    assert (Version(".".join(map(str, v))) in specifier) == cargo_caret(req, v)


@given(requirements, versions)
def test_tilde_matches_cargo(req: tuple[int, ...], v: tuple[int, int, int]) -> None:
    specifier = parse_range("~" + ".".join(map(str, req)))
    assert (Version(".".join(map(str, v))) in specifier) == cargo_tilde(req, v)
