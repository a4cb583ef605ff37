"""Each sibling's state, as ``workspace status`` shows it and every action checks it
first: present or not, a symlink (resolved, never written through), its git state (only
where the directory is its own git top level), and what its project file declares.
Inspecting changes nothing on disk; unsafe layouts are marked, never acted on.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..envs.checkouts import Project, read_project
from .config import MetaRepository, Sibling

__all__ = ["SiblingState", "checkout_summary", "describe_checkout", "inspect", "names"]


@dataclass(frozen=True)
class SiblingState:
    """One row of ``workspace status``; ``problem`` is why it must not be used."""

    sibling: Sibling
    path: Path
    #: the resolved target when ``path`` is a symlink
    link: Path | None
    present: bool
    problem: str | None = None
    toplevel: bool = False
    remote_matches: bool | None = None
    branch: str | None = None
    upstream: str | None = None
    commit: str | None = None
    dirty: bool = False
    detached_commits: bool = False
    project: Project = field(default_factory=Project)

    @property
    def real(self) -> Path:
        return self.link or self.path

    @property
    def usable(self) -> bool:
        """Present, sane and installable (a symlink included: it is only read)."""
        return self.present and self.problem is None and self.project.distribution is not None


def inspect(meta: MetaRepository) -> list[SiblingState]:
    """The state of every sibling; unsafe layouts are marked, never acted on."""
    from . import git as _git

    states: list[SiblingState] = []
    owners: dict[Path, str] = {}
    for sibling in meta.siblings:
        path = meta.location(sibling)
        link: Path | None = None
        if path.is_symlink():
            try:
                link = path.resolve(strict=True)
            except (OSError, RuntimeError):  # dangling, or a loop
                states.append(
                    SiblingState(sibling, path, None, False, "a dangling or looping symlink")
                )
                continue
            if link == meta.root.resolve() or meta.root.resolve() in link.parents:
                states.append(
                    SiblingState(sibling, path, link, True, "a symlink into the meta-repository")
                )
                continue
        if not path.exists():
            states.append(SiblingState(sibling, path, None, False))
            continue
        real = link or path.resolve()
        if real in owners:
            same = f"the same checkout as sibling {owners[real]!r}"
            states.append(SiblingState(sibling, path, link, True, same))
            continue
        owners[real] = sibling.name
        if not real.is_dir():
            states.append(SiblingState(sibling, path, link, True, "not a directory"))
            continue
        checkout = _git.inspect(real)
        problem = None if checkout.toplevel else "not its own git top level"
        matches = None
        remote = meta.remote(sibling)
        if checkout.remote and remote:
            matches = _git.same_remote(checkout.remote, remote)
        states.append(
            SiblingState(
                sibling,
                path,
                link,
                True,
                problem,
                checkout.toplevel,
                matches,
                checkout.branch,
                checkout.upstream,
                checkout.commit,
                checkout.dirty,
                checkout.detached_commits,
                read_project(real),
            )
        )
    return states


def names(states: Iterable[SiblingState]) -> list[str]:
    return [state.sibling.name for state in states]


def checkout_summary(path: Path) -> dict[str, Any]:
    """A local source as reports name it: its path and, for a git checkout that is its
    own top level, the branch (None when detached), short commit and dirty flag."""
    from . import git as _git

    summary: dict[str, Any] = {"path": str(path)}
    checkout = _git.inspect(path)
    if checkout.toplevel:
        summary.update(branch=checkout.branch, commit=checkout.commit, dirty=checkout.dirty)
    return summary


def describe_checkout(summary: Mapping[str, Any]) -> str:
    """``main 1a2b3c4, dirty`` (empty when the source is not a git checkout)."""
    if "commit" not in summary:
        return ""
    text = f"{summary['branch'] or 'detached'} {summary['commit']}"
    return text + (", dirty" if summary["dirty"] else "")
