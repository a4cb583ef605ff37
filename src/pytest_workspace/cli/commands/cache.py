"""``pytest-workspace cache list|prune|verify``: the env cache as its owner sees it.

``cache list`` is what people run to see what the cache holds, so it reads manifests
only (sizes were measured at build time) through :mod:`...envs.cache.layout`, with
nothing heavier than ``json`` imported. ``prune`` takes locks and needs the cache
proper, imported when it runs; so does ``verify``, which reads every installed file.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from ...envs.cache.layout import scan
from ...userdirs import default_root
from . import FINDINGS, OK

if TYPE_CHECKING:
    import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..parser import actions, add_setting, size

    action = actions(parser)
    listing = action("list", "list cached envs", list_envs)
    prune_ = action("prune", "remove cached envs", prune)
    prune_.add_argument("--older-than", type=float, metavar="DAYS")
    prune_.add_argument("--max-size", type=size, metavar="SIZE", help="e.g. 500M, 2G")
    verify_ = action(
        "verify",
        "check every installed file of every cached env against its RECORD hash; "
        "a changed env is rebuilt on its next use",
        verify,
    )
    for sub in (listing, prune_, verify_):
        add_setting(sub, "cache")


def human(size: float) -> str:
    """``1.5 MiB``: sizes as ``du -h`` users read them."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def list_envs(args: argparse.Namespace) -> int:
    root = os.path.abspath(args.cache) if args.cache else default_root()
    found = scan(root)
    print(f"{'KEY':<20}  {'LABEL':<24}  {'INSTALLER':<9}  {'SIZE':>10}  {'LAST USED':<16}  PINS")
    total = 0
    for key, values, last_used in found:
        label, installer, size, pins = "(incomplete build)", "?", 0, ""
        if values is not None:
            label, installer, size = values["label"], values["installer"], values["size"]
            pins = ",".join(f"{name}={version}" for name, version in values["pins"].items())
        total += size
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(last_used))
        print(f"{key:<20}  {label:<24}  {installer:<9}  {human(size):>10}  {used:<16}  {pins}")
    print(f"{len(found)} envs, {human(total)} in {root}", file=sys.stderr)
    return OK


def prune(args: argparse.Namespace) -> int:
    from ...envs.cache.store import EnvCache
    from ...errors import SelectionError

    if args.older_than is None and args.max_size is None:
        raise SelectionError("cache prune needs --older-than DAYS and/or --max-size SIZE")
    cache = EnvCache(args.cache) if args.cache else EnvCache()
    older = args.older_than * 86400 if args.older_than is not None else None
    removed = cache.prune(older_than=older, max_size=args.max_size)
    if removed:
        from ..memo import forget

        forget(str(cache.root))  # remembered answers may name the removed envs
    for entry in removed:
        print(f"removed {entry.key} {entry.label} ({human(entry.size)})")
    print(f"removed {len(removed)} env{'' if len(removed) == 1 else 's'}")
    if older is not None:
        from ...imports import prune_bytecode

        files = prune_bytecode(str(cache.root), older, time.time())
        if files:
            print(f"removed {files} kept bytecode file{'' if files == 1 else 's'}")
    return OK


def verify(args: argparse.Namespace) -> int:
    from ...envs.cache.store import EnvCache

    cache = EnvCache(args.cache) if args.cache else EnvCache()
    checked = cache.verify()
    changed = 0
    for entry, problems in checked:
        if not problems:
            print(f"ok       {entry.key} {entry.label}")
            continue
        changed += 1
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        print(f"changed  {entry.key} {entry.label}: {problems[0]}{more}; rebuilt on next use")
    print(f"{len(checked)} envs checked, {changed} changed", file=sys.stderr)
    return FINDINGS if changed else OK
