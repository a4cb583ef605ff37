"""Running-environment mode (``--workspace-env current``, and each whole-suite worker):
the running interpreter checked against a bundle -- its pins installed, and each
swapped-in checkout installed from that checkout, editable.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WorkspaceError

if TYPE_CHECKING:
    from ..model.matrix import Bundle
    from .installed import Distributions, Mismatch

__all__ = ["check_running"]


def check_running(
    bundle: Bundle, sources: Mapping[str, Path], installed: Distributions | None = None
) -> None:
    """Raise unless the running environment holds ``bundle``'s pins, the pins that
    ``sources`` replace excepted (``installed``: what it holds, when already read)."""
    sourced = bundle.sourced(sources)
    from .installed import installed_from, mismatches, read_installed

    if installed is None:
        installed = read_installed()
    found = [
        f"{problem.pin.key}: {_current(problem)}"
        for problem in mismatches(bundle.pins, installed, sourced)
    ]
    # The checkout must really be the checkout (as devstack's LIBS_FROM_GIT checks):
    # installed from its own path, editable, not a released wheel of the same name.
    for pin in bundle.pins:
        path = pin.source_in(sources)
        if path is None:
            continue
        origin, editable = installed_from(pin.distribution)
        # An editable redirect may point into the checkout (its src/ directory).
        if origin is None or not _within(origin.resolve(), path.resolve()):
            where = f"from {origin}" if origin else "from a release, not from a checkout"
            found.append(f"{pin.key}: {pin.distribution} is installed {where}; expected {path}")
        elif not editable:
            found.append(f"{pin.key}: {pin.distribution} from {path} is not editable")
    if found:
        raise WorkspaceError(
            f"the running environment ({sys.prefix}) does not hold bundle {bundle.name}: "
            + "; ".join(found)
        )


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _current(problem: Mismatch) -> str:
    pin = problem.pin
    if problem.installed is None:
        return f"{pin.distribution} is not installed (pin {pin.version})"
    return f"{pin.distribution} {problem.installed} is installed, the bundle pins {pin.version}"
