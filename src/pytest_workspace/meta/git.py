"""git, run only where it is safe: in a directory that is its own top level.

A directory inside another repository (or a plain directory under the meta-repository)
makes git act on the enclosing repository (gitman PR #201), so every query first checks
that ``git rev-parse --show-toplevel`` is the directory's real path. Nothing here writes
to an existing checkout except :func:`fast_forward`, which the caller guards.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import WorkspaceError, cause_of

__all__ = [
    "Checkout",
    "Diverged",
    "GitError",
    "clone",
    "describe",
    "fast_forward",
    "fetch_checkout",
    "has_branch",
    "inspect",
    "ref_problem",
    "repository_problem",
]

#: the URL schemes a sibling's ``repo`` may use (git's ``ext::`` and other
#: ``transport::address`` forms run commands, and are refused with anything else)
SCHEMES = ("https", "http", "ssh", "git", "file")


def repository_problem(repo: str) -> str | None:
    """Why ``repo`` is not a repository URL or path git may be given (None: it is)."""
    import re

    if repo != repo.strip() or any(ord(char) < 32 or char == "\x7f" for char in repo):
        return "a repository URL or path without spaces around it or control characters"
    if repo.startswith("-"):
        return "a repository URL or path, not a git option"
    if "::" in repo:
        return "a repository URL or path (git's transport::address form is not allowed)"
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", repo)
    if scheme and scheme.group(1).lower() not in SCHEMES:
        return f"a repository URL with one of the schemes {', '.join(SCHEMES)}"
    return None


def ref_problem(ref: str) -> str | None:
    """Why ``ref`` is not a branch or tag name git may be given (None: it is)."""
    if not ref or ref.startswith("-") or any(ord(c) <= 32 or c in "~^:?*[\\\x7f" for c in ref):
        return "a branch or tag name (no leading '-', spaces, control characters or ~^:?*[\\)"
    if ".." in ref or ref.endswith((".", "/", ".lock")) or ref.startswith("/") or "@{" in ref:
        return "a branch or tag name as git allows them (git check-ref-format)"
    return None


class GitError(WorkspaceError):
    """A git command failed; the message holds the lines of its output naming why."""


def _environ() -> dict[str, str]:
    environ = dict(os.environ)
    # Never wait for a password prompt, and never let a caller's GIT_DIR point elsewhere.
    environ["GIT_TERMINAL_PROMPT"] = "0"
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        environ.pop(name, None)
    return environ


def _git(args: Sequence[str], cwd: Path, *, check: bool = True) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=_environ(),
        check=False,
    )
    if check and result.returncode != 0:
        cause = cause_of(result.stderr or result.stdout) or f"exit code {result.returncode}"
        raise GitError(f"git {' '.join(args)} in {cwd}: {cause}")
    return result.stdout.strip() if result.returncode == 0 else ""


@dataclass(frozen=True)
class Checkout:
    """What git says about one directory (all None/False when it is not a top level)."""

    toplevel: bool
    remote: str | None = None
    branch: str | None = None
    #: the branch's upstream (``origin/main``), None when it tracks nothing
    upstream: str | None = None
    commit: str | None = None
    dirty: bool = False
    #: commits on HEAD that no branch holds (work a detached checkout would lose)
    detached_commits: bool = False


def inspect(path: Path) -> Checkout:
    """Query a checkout, refusing (``toplevel=False``) one that is not its own top level."""
    real = path.resolve()
    top = _git(["rev-parse", "--show-toplevel"], real, check=False)
    if not top or Path(top).resolve() != real:
        return Checkout(toplevel=False)
    branch = _git(["symbolic-ref", "--quiet", "--short", "HEAD"], real, check=False) or None
    upstream = None
    if branch:
        upstream = _git(["rev-parse", "--abbrev-ref", "@{upstream}"], real, check=False) or None
    detached = False
    if branch is None:
        holders = ["for-each-ref", "--contains", "HEAD", "--format=x", "refs/heads", "refs/remotes"]
        detached = not _git(holders, real, check=False)
    return Checkout(
        toplevel=True,
        # As written, not as url.<base>.insteadOf rewrites it (get-url would): it is
        # compared with the sibling's configured repo.
        remote=_git(["config", "--get", "remote.origin.url"], real, check=False) or None,
        branch=branch,
        upstream=upstream,
        commit=_git(["rev-parse", "--short", "HEAD"], real, check=False) or None,
        dirty=bool(_git(["status", "--porcelain"], real, check=False)),
        detached_commits=detached,
    )


def clone(repo: str, path: Path, ref: str | None = None) -> None:
    """Clone into ``path``, which must not exist (git refuses a non-empty one anyway).
    ``repo`` and ``ref`` were checked (:func:`repository_problem`, :func:`ref_problem`);
    ``--`` keeps them arguments whatever they say."""
    for problem in (repository_problem(repo), ref_problem(ref) if ref else None):
        if problem:
            raise GitError(f"refusing to clone {repo!r}: expected {problem}")
    args = ["clone", "--quiet"]
    if ref and not ref.startswith("refs/"):
        args.append(f"--branch={ref}")
    _git([*args, "--", repo, str(path)], path.parent)
    if ref and ref.startswith("refs/"):
        # refs/pull/12/head and the like are no branch: fetched, then checked out.
        fetch_checkout(path, ref)


def fetch_checkout(path: Path, ref: str) -> str:
    """Fetch ``ref`` (a branch, a tag, ``refs/pull/12/head``) from the checkout's
    origin and check it out, detached; the short commit. The caller made sure the
    checkout is clean, its own top level and of the sibling's repo."""
    problem = ref_problem(ref)
    if problem:
        raise GitError(f"refusing to fetch {ref!r}: expected {problem}")
    real = path.resolve()
    _git(["fetch", "--quiet", "origin", ref], real)
    _git(["checkout", "--quiet", "--detach", "FETCH_HEAD"], real)
    return _git(["rev-parse", "--short", "HEAD"], real)


def describe(path: Path) -> str | None:
    """The nearest tag of HEAD (``git describe --tags``: ``v1.2.0``, or
    ``v1.2.0-3-gabc1234`` past it), where versions come from tags (setuptools-scm,
    hatch-vcs); None without tags or outside a top level."""
    real = path.resolve()
    top = _git(["rev-parse", "--show-toplevel"], real, check=False)
    if not top or Path(top).resolve() != real:
        return None
    return _git(["describe", "--tags"], real, check=False) or None


def has_branch(repo: str, branch: str) -> bool | None:
    """Whether the repository at ``repo`` (checked like :func:`clone`'s) has ``branch``;
    None when git cannot tell (unreachable)."""
    if repository_problem(repo) or ref_problem(branch):
        return None
    result = subprocess.run(
        ["git", "ls-remote", "--exit-code", "--heads", "--", repo, f"refs/heads/{branch}"],
        capture_output=True,
        env=_environ(),
        check=False,
    )
    return {0: True, 2: False}.get(result.returncode)


class Diverged(GitError):
    """The branch is not behind its upstream (local commits, or a force-pushed upstream)."""


def fast_forward(path: Path) -> str:
    """Fetch and fast-forward the current branch to its upstream; the new short commit.
    :class:`Diverged` when the upstream does not contain HEAD (nothing is changed)."""
    real = path.resolve()
    _git(["fetch", "--quiet"], real)
    ancestor = subprocess.run(
        ["git", "merge-base", "--is-ancestor", "HEAD", "@{upstream}"],
        cwd=real,
        capture_output=True,
        env=_environ(),
        check=False,
    )
    if ancestor.returncode == 1:
        raise Diverged(f"{real}: HEAD is not contained in its upstream")
    _git(["merge", "--ff-only", "--quiet", "@{upstream}"], real)
    return _git(["rev-parse", "--short", "HEAD"], real)


def same_remote(a: str, b: str) -> bool:
    """``https://host/x.git`` and ``https://host/x`` (or a local path with/without a
    trailing slash) name one remote."""

    def canonical(url: str) -> str:
        url = url.strip().rstrip("/")
        url = url[:-4] if url.endswith(".git") else url
        if "://" not in url and ":" not in url.split("/", 1)[0]:
            return str(Path(url).resolve())
        return url.lower()

    return canonical(a) == canonical(b)
