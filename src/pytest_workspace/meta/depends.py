"""Changes that span repositories: ``Depends-On:`` trailers (a change in one sibling
needs an unmerged change in another: test them together before either merges), and the
siblings a change affects (who depends on it, directly or not).

A trailer names a sibling and a ref (``Depends-On: core feature-x``), or a pull or merge
request by URL, whose repository must be a sibling's ``repo`` (with or without
``.git``): GitHub's ``.../pull/12`` is ``refs/pull/12/head``, GitLab's
``.../-/merge_requests/12`` is ``refs/merge-requests/12/head``.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import WorkspaceError
from ..model.names import normalize
from .config import MetaRepository
from .state import SiblingState

__all__ = ["affected", "depends_on", "read_text"]

_TRAILER = re.compile(r"^\s*Depends-On:\s*(?P<value>.*?)\s*$", re.IGNORECASE)
_REQUESTS = (
    (re.compile(r"^(?P<repo>.+?)/pull/(?P<number>\d+)(?:/.*)?$"), "refs/pull/{}/head"),
    (
        re.compile(r"^(?P<repo>.+?)/-/merge_requests/(?P<number>\d+)(?:/.*)?$"),
        "refs/merge-requests/{}/head",
    ),
)


def read_text(given: str) -> str:
    """``--depends-on`` as given: the text itself, ``@FILE``, or ``-`` (stdin)."""
    import sys
    from pathlib import Path

    if given == "-":
        return sys.stdin.read()
    if given.startswith("@"):
        try:
            return Path(given[1:]).read_text(encoding="utf-8")
        except OSError as error:
            raise WorkspaceError(f"--depends-on {given}: cannot read: {error.strerror}") from None
    return given


def depends_on(meta: MetaRepository, text: str) -> dict[str, str]:
    """The sibling refs the ``Depends-On:`` trailers of ``text`` name, by sibling."""
    from .git import ref_problem, same_remote

    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _TRAILER.match(line)
        if match is None:
            continue
        value = match.group("value")
        where = f"Depends-On: {value}"
        if "://" in value or value.startswith("git@"):
            matched = [(p.match(value), form) for p, form in _REQUESTS]
            found_request = next(((m, form) for m, form in matched if m), None)
            if found_request is None:
                raise WorkspaceError(
                    f"{where}: expected a pull request (.../pull/N) or merge request "
                    "(.../-/merge_requests/N) URL, or NAME REF"
                )
            request, form = found_request
            repo, ref = request.group("repo"), form.format(request.group("number"))
            owners = [
                s.name for s in meta.siblings if (r := meta.remote(s)) and same_remote(r, repo)
            ]
            if not owners:
                repos = ", ".join(f"{s.name}: {meta.remote(s)}" for s in meta.siblings)
                raise WorkspaceError(
                    f"{where}: {repo} is no sibling's repo (the siblings' repos: {repos})"
                )
            found[owners[0]] = ref
            continue
        parts = value.split()
        if len(parts) != 2:
            raise WorkspaceError(f"{where}: expected NAME REF or a pull/merge request URL")
        name, ref = parts
        meta.sibling(name)  # an unknown name is an error naming the known ones
        problem = ref_problem(ref)
        if problem:
            raise WorkspaceError(f"{where}: expected {problem}, got {ref!r}")
        found[name] = ref
    return found


def affected(states: Sequence[SiblingState], names: Sequence[str]) -> list[SiblingState]:
    """The siblings whose suites must run when ``names`` changed: those and every
    sibling that depends on one of them, directly or not, in dependency order."""
    from packaging.requirements import InvalidRequirement, Requirement

    from .order import order

    by_name = {state.sibling.name: state for state in states}
    for name in names:
        if name not in by_name:
            known = ", ".join(by_name) or "(none)"
            raise WorkspaceError(f"unknown sibling {name!r}; known: {known}")
    by_distribution = {
        normalize(s.project.distribution): s.sibling.name for s in states if s.project.distribution
    }
    users: dict[str, set[str]] = {name: set() for name in by_name}
    for state in states:
        for text in state.project.dependencies:
            try:
                needed = by_distribution.get(normalize(Requirement(text).name))
            except InvalidRequirement:
                continue
            if needed and needed != state.sibling.name:
                users[needed].add(state.sibling.name)
    reached = set(names)
    pending = list(names)
    while pending:
        for user in users[pending.pop()]:
            if user not in reached:
                reached.add(user)
                pending.append(user)
    ordered, _ = order([s for s in states if s.sibling.name in reached and s.present])
    missing = [by_name[n] for n in by_name if n in reached and not by_name[n].present]
    return [*ordered, *missing]
