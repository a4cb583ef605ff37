"""The `provisioning` command (the same CLI in 3.1 and 3.2; the state format differs)."""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

from . import __version__, state


def state_path() -> Path:
    return Path(os.environ.get("PROVISIONING_STATE", Path.home() / ".provisioning" / "state.json"))


def extensions() -> dict[str, dict[str, str]]:
    """Extensions register through the `provisioning.extensions` entry-point group."""
    found = {}
    if sys.version_info >= (3, 10):
        group = entry_points(group="provisioning.extensions")
    else:  # Python 3.9: entry_points() is a dict of groups
        group = entry_points().get("provisioning.extensions", [])
    for entry in group:
        found[entry.name] = entry.load()()
    return dict(sorted(found.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="provisioning")
    parser.add_argument("--version", action="version", version=__version__)
    area = parser.add_subparsers(dest="area", required=True)
    server = area.add_parser("server").add_subparsers(dest="action", required=True)
    server.add_parser("create").add_argument("name")
    server.add_parser("list")
    area.add_parser("extension").add_subparsers(dest="action", required=True).add_parser("list")
    args = parser.parse_args(argv)

    path = state_path()
    if args.area == "server" and args.action == "create":
        servers = state.load(path)
        if args.name in state.names(servers):
            print(f"server {args.name} exists", file=sys.stderr)
            return 1
        state.save(path, state.add(servers, args.name))
        print(f"created {args.name}")
    elif args.area == "server":
        for name in state.names(state.load(path)):
            print(name)
    else:
        for name, info in extensions().items():
            print(f"{name} {info['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
