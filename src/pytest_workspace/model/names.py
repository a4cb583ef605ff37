"""Distribution names, normalised the PEP 503 way.

``packaging.utils.canonicalize_name`` does the same, but importing ``packaging.utils``
pulls in ``packaging.tags`` (and ``sysconfig``), which costs more than every other
import of a CLI start-up together; one regular expression is all a name needs.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import re

__all__ = ["NAME", "NAME_LIMIT", "normalize", "shown"]

_SEPARATORS = re.compile(r"[-_.]+")
#: names become file names (``pylock.<bundle>.toml``), tox env names and CI job names:
#: bounded where they are read, far below any file system's limit
NAME_LIMIT = 100
#: a valid distribution (and component, bundle, sibling) name, PEP 508, bounded
NAME = re.compile(rf"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]{{0,{NAME_LIMIT - 2}}}[A-Z0-9])$", re.IGNORECASE)


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` for a message, cut short when it is long (a 5000-character name
    is named by its start and length)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}... ({len(str(value))} characters)"


def normalize(name: str) -> str:
    """``SQLAlchemy`` and ``sqlalchemy``, ``zope.interface`` and ``zope-interface`` alike."""
    return _SEPARATORS.sub("-", name).lower()
