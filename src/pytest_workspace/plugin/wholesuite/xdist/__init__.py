"""The one adapter to pytest-xdist and execnet: every use of their internals (and the two
reaches into pytest's own that whole-suite mode needs) is in this package, and import-linter
keeps it so (``nox -s lint``). The versions are checked once (:func:`check_versions`,
whose :data:`SUPPORTED` range ``nox -s xdist`` tests at both ends).

- :mod:`.session`: the controller session, xdist's ``DSession`` with a crash policy per
  bundle, and the objects of xdist's controller whole-suite mode adjusts;
- :mod:`.scheduling`: which worker runs what (xdist's load scheduling, once per bundle),
  declared as xdist's ``Scheduling`` protocol and checked by mypy;
- :mod:`.remote`: the worker side, sent to each worker as source.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from .scheduling import BUNDLE_VARIABLE, BundleScheduling, SchedulingBroken, bundle_of
from .session import (
    SUPPORTED,
    CrashPolicy,
    bundle_session,
    check_versions,
    exit_code,
    junit_property,
    label_worker,
    show_status,
    start_together,
    xdist_hooks,
)

__all__ = [
    "BUNDLE_VARIABLE",
    "SUPPORTED",
    "BundleScheduling",
    "CrashPolicy",
    "SchedulingBroken",
    "bundle_of",
    "bundle_session",
    "check_versions",
    "exit_code",
    "junit_property",
    "label_worker",
    "show_status",
    "start_together",
    "xdist_hooks",
]
