"""ddmin over component changes: the result fails, and every change in it is needed."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from pytest_workspace.core.bisect import Change, _ddmin

CHANGES = [Change(f"c{n}", None, None) for n in range(8)]


@pytest.mark.parametrize(
    "needed",
    [{"c3"}, {"c0"}, {"c7"}, {"c2", "c5"}, {"c1", "c4", "c6"}],
    ids=lambda needed: "+".join(sorted(needed)),
)
def test_ddmin_finds_the_changes_that_fail_together(needed: set[str]) -> None:
    asked: list[frozenset[str]] = []

    def fails(subset: Sequence[Change]) -> bool:
        keys = frozenset(change.key for change in subset)
        asked.append(keys)
        return needed <= keys

    found = _ddmin(list(CHANGES), fails)
    assert {change.key for change in found} == needed
    assert len(asked) < 2 ** len(CHANGES)  # far fewer than every subset


def test_unresolved_subsets_keep_their_changes_together() -> None:
    # c1 alone is refused by the rows (unresolved: not failing); c1 with c2 fails.
    def fails(subset: Sequence[Change]) -> bool:
        keys = {change.key for change in subset}
        return {"c1", "c2"} <= keys

    found = _ddmin(list(CHANGES[:4]), fails)
    assert [change.key for change in found] == ["c1", "c2"]
    for change in found:
        rest = [c for c in found if c is not change]
        assert not fails(rest)
    assert all(not fails(list(group)) for group in itertools.combinations(CHANGES[:4], 1))
