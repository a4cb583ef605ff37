"""The one rule for what counts as green (fast, in-process)."""

from __future__ import annotations

import pytest

from pytest_workspace.results.verdict import Verdict, Word, judge, worst


@pytest.mark.parametrize(
    ("outcomes", "given", "expected"),
    [
        ({"passed": 3}, {}, Verdict("passed")),
        ({"passed": 1, "skipped": 4}, {}, Verdict("passed")),
        ({"xfailed": 2}, {}, Verdict("passed")),  # failed as declared
        ({"xpassed": 1}, {}, Verdict("passed")),  # a non-strict xfail that passed ran
        ({"passed": 3, "failed": 1}, {}, Verdict("failed", "1 failed")),
        ({"failed": 2, "error": 1}, {}, Verdict("failed", "2 failed, 1 error")),
        ({"passed": 3, "error": 2}, {}, Verdict("error", "2 errors")),
        ({}, {}, Verdict("not run", "no tests ran in b: no test selected it")),
        (
            {"skipped": 2},
            {"deselected": 3},
            Verdict("not run", "no tests ran in b: 3 deselected, 2 skipped"),
        ),
        (
            {},
            {"not_run": "Python 3.14 is not available"},
            Verdict("not run", "Python 3.14 is not available"),
        ),
        # A crash wins over everything that ran before it.
        (
            {"passed": 5},
            {"crashed": "workers crashed 5 times"},
            Verdict("crashed", "workers crashed 5 times"),
        ),
    ],
)
def test_judge(outcomes: dict[str, int], given: dict[str, object], expected: Verdict) -> None:
    assert judge("b", outcomes, **given) == expected  # type: ignore[arg-type]


def test_only_passed_is_green_and_not_run_may_be_allowed() -> None:
    assert Verdict("passed").green
    assert not Verdict("passed").fails()
    words: tuple[Word, ...] = ("failed", "error", "crashed")
    for word in words:
        assert Verdict(word).fails(allow_not_run=True)
    assert Verdict("not run", "x").fails()
    assert not Verdict("not run", "x").fails(allow_not_run=True)
    assert str(Verdict("not run", "x")) == "not run: x"


def test_worst() -> None:
    found = [Verdict("passed"), Verdict("not run", "x"), Verdict("error", "1 error")]
    assert worst(found) == Verdict("error", "1 error")
    assert worst([]) is None
