"""``bundle export``: a bundle's pins as a requirements file, a constraints file (no
extras) or its PEP 751 lock.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..envs.constraints import constraint_line
from ..errors import SelectionError

if TYPE_CHECKING:
    from ..model.matrix import Bundle

__all__ = ["EXPORT_FORMATS", "export"]

EXPORT_FORMATS = ("requirements", "constraints", "pylock")


def export(bundle: Bundle, fmt: str, lock: Path | None = None) -> str:
    """The bundle's pins as a requirements or constraints file, or its PEP 751 lock."""
    if fmt == "requirements":
        lines = [pin.requirement for pin in bundle.pins]
    elif fmt == "constraints":
        lines = [constraint_line(pin.requirement) for pin in bundle.pins]
    elif fmt == "pylock":
        if lock is None or not lock.is_file():
            where = f" ({lock})" if lock else ""
            raise SelectionError(
                f"bundle {bundle.name!r} has no lock file{where}; "
                f"run `pytest-workspace lock {bundle.name}` first"
            )
        from ..envs.pylock import read_lock

        read_lock(lock, bundle.name)  # a lock for another bundle, or not a lock: one line
        return lock.read_text(encoding="utf-8").rstrip("\n")
    else:
        raise SelectionError(f"expected one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    return "\n".join(lines)
