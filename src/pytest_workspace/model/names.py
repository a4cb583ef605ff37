"""Distribution names, normalised the PEP 503 way.

``packaging.utils.canonicalize_name`` does the same, but importing ``packaging.utils``
pulls in ``packaging.tags`` (and ``sysconfig``), which costs more than every other
import of a CLI start-up together; one regular expression is all a name needs.
"""

from __future__ import annotations

import re

__all__ = ["NAME", "normalize"]

_SEPARATORS = re.compile(r"[-_.]+")
#: a valid distribution (and component) name, PEP 508
NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def normalize(name: str) -> str:
    """``SQLAlchemy`` and ``sqlalchemy``, ``zope.interface`` and ``zope-interface`` alike."""
    return _SEPARATORS.sub("-", name).lower()
