"""The markers: ``@pytest.mark.workspace(core=">=3.2")`` gates a test on the bundle's
pins, ``@pytest.mark.bundles("stable-*")`` limits it to matching bundles.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..model.matrix import Bundle

__all__ = ["bundle_params", "inside_marks"]


def bundle_params(
    definition: pytest.Function, bundles: Sequence[Bundle], tested: Callable[[Bundle], Bundle]
) -> list[Any]:
    """One param per selected bundle the ``bundles(...)`` marker lets through, skipped
    with the reason where ``workspace(...)`` ranges are not met by the bundle as
    ``tested`` (a checkout at its own version), strict xfail for a bundle declared
    ``xfail``."""
    chosen = list(bundles)
    patterns = [p for mark in definition.iter_markers("bundles") for p in mark.args]
    if patterns:
        chosen = [b for b in chosen if any(fnmatch.fnmatchcase(b.name, p) for p in patterns)]
        if not chosen:
            why = f"no selected bundle matches bundles({', '.join(map(repr, patterns))})"
            return [pytest.param(None, marks=pytest.mark.skip(reason=why), id="no-bundle")]
    requirements = _requirements(definition)
    return [
        pytest.param(candidate, marks=_marks(tested(candidate), requirements), id=candidate.name)
        for candidate in chosen
    ]


def inside_marks(item: pytest.Item, chosen: Bundle) -> list[Any]:
    """Whole-suite mode: the marks for a test that runs inside ``chosen``'s env (every
    test does, with or without the ``bundle`` fixture)."""
    patterns = [p for mark in item.iter_markers("bundles") for p in mark.args]
    if patterns and not any(fnmatch.fnmatchcase(chosen.name, p) for p in patterns):
        why = f"bundle {chosen.name} does not match bundles({', '.join(map(repr, patterns))})"
        return [pytest.mark.skip(reason=why)]
    return _marks(chosen, _requirements(item))


def _requirements(node: pytest.Item) -> list[tuple[str, str, Any]]:
    return [
        (name, text, _marker_range(name, text))
        for mark in node.iter_markers("workspace")
        for name, text in mark.kwargs.items()
    ]


def _marks(chosen: Bundle, requirements: Sequence[tuple[str, str, Any]]) -> list[Any]:
    reason = _unmet(chosen, requirements)
    marks = [pytest.mark.skip(reason=reason)] if reason else []
    if chosen.xfail:
        # Strict: a bundle declared broken that passes is news, reported as such.
        marks.append(pytest.mark.xfail(reason=chosen.xfail, strict=True))
    return marks


def _marker_range(component: str, text: str) -> Any:
    from ..model.ranges import parse_range

    try:
        return parse_range(text)
    except ValueError as error:
        raise pytest.UsageError(f"workspace({component}={text!r}): {error}") from None


def _unmet(chosen: Bundle, requirements: Sequence[tuple[str, str, Any]]) -> str | None:
    from ..model.ranges import render

    for component, text, specifier in requirements:
        pins = [pin for pin in chosen.pins if component in (pin.component, pin.key)]
        if not pins:
            return f"bundle {chosen.name} has no {component} (test needs {component} {text})"
        for pin in pins:
            if not specifier.contains(pin.version, prereleases=True):
                expanded = render(specifier)
                shown = text if expanded == text else f"{text} ({expanded})"
                return f"bundle {chosen.name} has {pin}, test needs {component} {shown}"
    return None
