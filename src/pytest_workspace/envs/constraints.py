"""The one writer of constraints files (every env build, upgrade move, lock with a
checkout swapped in, tox's install mode and ``workspace setup`` use it): a constraint
line never carries extras (pip refuses ``pkg[extra]==1.0`` there), and a file is
rewritten only when its content changes.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

__all__ = ["constraint_line", "write_constraints"]


def constraint_line(requirement: str) -> str:
    """``pkg[extra]==1.0`` as a constraint: ``pkg==1.0`` (constraints carry no extras)."""
    name, bracket, rest = requirement.partition("[")
    return name + rest.partition("]")[2] if bracket else requirement


def write_constraints(path: Path, lines: Iterable[str]) -> Path:
    """Write a constraints file (each line without extras) unless it already says so."""
    text = "".join(f"{constraint_line(line)}\n" for line in lines)
    try:
        if path.read_text(encoding="utf-8") == text:
            return path
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
