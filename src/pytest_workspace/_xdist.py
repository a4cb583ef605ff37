"""Where whole-suite mode reaches into pytest-xdist's controller objects (not its
hooks): each use looks up and checks what it touches first, and when pytest-xdist or
execnet changes shape it does nothing, leaving xdist's own behaviour.

Workers start together: pytest-xdist makes its gateways one after the other, and each
one blocks until its interpreter has started and compiled execnet's bootstrap (60-100
ms): the second bundle's worker would start that much after the first, and the run end
that much later. Here the gateways of the specs xdist has just allocated are made at
once, in threads, and xdist's own ``makegateway`` calls then receive them in order.

The status line: pytest-xdist's shows the first worker's count as everyone's; whole-suite
mode's workers collect per bundle, so the line says what each bundle collected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["show_status", "start_together"]


def start_together(config: Any) -> bool:
    """Start every spec's gateway now, in parallel (from ``pytest_xdist_setupnodes``).
    False when xdist's node manager is not where this expects it (nothing started)."""
    dsession = config.pluginmanager.getplugin("dsession")
    manager = getattr(dsession, "nodemanager", None)
    group = getattr(manager, "group", None)
    specs = list(getattr(manager, "specs", ()))
    make = getattr(group, "makegateway", None)
    if (
        group is None
        or make is None
        or len(specs) < 2
        or "makegateway" in vars(group)  # already ours (or someone else's)
        or any(getattr(spec, "id", None) is None or spec.via for spec in specs)
    ):
        return False
    made: dict[str, Any] = {}

    def start(spec: Any) -> None:
        try:
            made[spec.id] = make(spec)
        except BaseException as error:  # re-raised in xdist's own call
            made[spec.id] = error

    threads = [threading.Thread(target=start, args=(spec,), daemon=True) for spec in specs]
    for thread in threads:
        thread.start()

    def makegateway(spec: Any = None) -> Any:
        for thread in threads:
            thread.join()
        gateway = made.pop(str(getattr(spec, "id", "")), None)
        if gateway is None:  # a spec made later (a restarted worker): xdist's own way
            return make(spec)
        if isinstance(gateway, BaseException):
            raise gateway
        return gateway

    group.makegateway = makegateway
    return True


def show_status(config: Any, status: Callable[[], str | None]) -> None:
    """The terminal's ``N workers [M items]`` line becomes ``status()`` once it has
    something to say."""
    reporter = config.pluginmanager.getplugin("terminaldistreporter")
    plain = getattr(reporter, "getstatus", None)
    if plain is None:
        return

    def getstatus() -> str:
        return status() or str(plain())

    reporter.getstatus = getstatus
