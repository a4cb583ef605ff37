"""Version ranges as users write them, turned into ``packaging`` specifier sets.

Matrices come from teams used to Cargo and npm, so ``^`` (caret) and ``~`` (tilde)
ranges are accepted beside wildcards and plain PEP 440 specifiers. Everything ends up as
a :class:`~packaging.specifiers.SpecifierSet` so that one comparison rule (PEP 440)
applies everywhere.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import functools
import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = ["caret", "parse_range", "parse_version", "render", "tilde"]

_NUMERIC = re.compile(r"^\d+(?:\.\d+){0,2}$")
_WILDCARD = re.compile(r"^\d+(?:\.\d+)*\.\*$")
EXPECTED = "a caret (^1.2), tilde (~1.2), wildcard (1.2.*, *) or PEP 440 range (>=1.2,<2)"


@functools.lru_cache(maxsize=4096)
def parse_version(text: str) -> Version:
    """Parse a PEP 440 version, with a message that shows the bad value.

    Cached: a matrix repeats the same few versions in hundreds of bundles, and
    ``Version`` objects are immutable, so sharing them is safe.
    """
    try:
        return Version(text)
    except ValueError:  # InvalidVersion, or Python's cap on the digits of an int
        raise ValueError(f"expected a PEP 440 version, got {_shown(text)}") from None


def _shown(text: str) -> str:
    """The bad value for a message: quoted, and cut short if it is huge."""
    return repr(text) if len(text) <= 60 else repr(text[:40]) + f"... ({len(text)} characters)"


def _numbers(text: str, operator: str) -> list[int]:
    if not _NUMERIC.match(text):
        raise ValueError(
            f"expected {operator}MAJOR[.MINOR[.PATCH]] with numbers only, got {operator + text!r}"
        )
    return [int(part) for part in text.split(".")]


def _dotted(parts: list[int]) -> str:
    return ".".join(str(part) for part in parts)


def caret(text: str) -> str:
    """Expand a Cargo caret range (without the ``^``) into a PEP 440 specifier string.

    The upper bound bumps the left-most non-zero part that was written, so ``^3.2`` is
    ``>=3.2,<4``, ``^0.9`` is ``>=0.9,<0.10`` and ``^0.0.3`` is ``>=0.0.3,<0.0.4``.
    """
    parts = _numbers(text, "^")
    # When every written part is zero, the last written part is the one that may not change.
    index = next((i for i, part in enumerate(parts) if part), len(parts) - 1)
    upper = [*parts[:index], parts[index] + 1]
    return f">={text},<{_dotted(upper)}"


def tilde(text: str) -> str:
    """Expand a Cargo tilde range (without the ``~``): ``~1.2.3`` is ``>=1.2.3,<1.3``."""
    parts = _numbers(text, "~")
    upper = [parts[0] + 1] if len(parts) == 1 else [parts[0], parts[1] + 1]
    return f">={text},<{_dotted(upper)}"


def _clause(text: str) -> str:
    if text == "*":
        return ""
    if text.startswith("^"):
        return caret(text[1:].strip())
    if text.startswith("~") and not text.startswith("~="):
        return tilde(text[1:].strip())
    if _WILDCARD.match(text):
        return f"=={text}"
    try:
        Version(text)
    except InvalidVersion:
        pass
    else:
        # A bare version means "exactly" to pip users and "caret" to Cargo users.
        raise ValueError(f"a bare version is ambiguous, write '=={text}' or '^{text}'")
    try:
        return str(SpecifierSet(text))
    except InvalidSpecifier:
        raise ValueError(f"expected {EXPECTED}, got {text!r}") from None


@functools.lru_cache(maxsize=4096)
def parse_range(text: str) -> SpecifierSet:
    """Turn a matrix range into a :class:`SpecifierSet`.

    Comma-separated clauses are intersected, and each clause may use any accepted form,
    so ``"^2.5, !=2.5.1"`` works.

    >>> str(parse_range("^0.9"))
    '<0.10,>=0.9'
    """
    text = text.strip()
    if not text:
        raise ValueError(f"expected {EXPECTED}, got an empty string")
    clauses = [_clause(clause.strip()) for clause in text.split(",")]
    return SpecifierSet(",".join(clause for clause in clauses if clause))


_ORDER = {">": 0, ">=": 0, "==": 1, "===": 1, "~=": 1, "!=": 2, "<=": 3, "<": 3}


def render(specifier: SpecifierSet) -> str:
    """Lower bounds first, so a message reads ``>=1.0,<2`` rather than ``<2,>=1.0``."""
    if not str(specifier):
        return "any version"
    ordered = sorted(specifier, key=lambda spec: (_ORDER.get(spec.operator, 1), str(spec)))
    return ",".join(str(spec) for spec in ordered)
