"""The siblings in dependency order (from their ``[project]`` dependencies), and the
cycles that make one impossible.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Sequence

from ..model.names import normalize
from .state import SiblingState

__all__ = ["order"]


def order(states: Sequence[SiblingState]) -> tuple[list[SiblingState], list[str]]:
    """Siblings in dependency order (a sibling after the siblings it depends on, from
    their ``[project]`` dependencies), and the cycles found (``a -> b -> a``: a depends
    on b, which depends on a)."""
    import graphlib

    from packaging.requirements import InvalidRequirement, Requirement

    by_distribution = {
        normalize(s.project.distribution): s for s in states if s.project.distribution
    }
    graph: dict[str, set[str]] = {}
    for name, state in by_distribution.items():
        needs: set[str] = set()
        for text in state.project.dependencies:
            try:
                wanted = normalize(Requirement(text).name)
            except InvalidRequirement:
                continue
            if wanted in by_distribution and wanted != name:
                needs.add(wanted)
        graph[name] = needs
    cycles: list[str] = []
    while True:
        try:
            ordered = list(graphlib.TopologicalSorter(graph).static_order())
            break
        except graphlib.CycleError as error:
            cycle = [str(node) for node in error.args[1]]
            cycles.append(" -> ".join(by_distribution[n].sibling.name for n in reversed(cycle)))
            # Break the cycle at its first edge and go on, so every cycle is reported.
            graph[cycle[1]].discard(cycle[0])
    return [by_distribution[name] for name in ordered], cycles
