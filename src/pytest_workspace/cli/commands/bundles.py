"""``pytest-workspace bundles``: the bundles and their pins.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from . import OK, matrix

if TYPE_CHECKING:
    import argparse

    from ...model.matrix import Bundle


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    found = matrix(args)
    if args.json:
        print(json.dumps([_bundle_json(bundle) for bundle in found.bundles.values()], indent=2))
        return OK
    width = max((len(name) for name in found.bundles), default=0)
    for bundle in found.bundles.values():
        pins = ", ".join(str(pin) for pin in bundle.pins)
        print(f"{bundle.name:<{width}}  {pins}")
    return OK


def _bundle_json(bundle: Bundle) -> dict[str, Any]:
    return {
        "name": bundle.name,
        "title": bundle.title,
        "description": bundle.description,
        "release-date": bundle.release_date.isoformat() if bundle.release_date else None,
        "lts-until": bundle.lts_until.isoformat() if bundle.lts_until else None,
        "python": bundle.python,
        "pins": bundle.versions(),
        "requirements": [pin.requirement for pin in bundle.pins],
    }
