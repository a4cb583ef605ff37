"""``pytest-workspace bisect GOOD BAD [-- PYTEST ARGS]``: which component changes turn
the suite red between two bundles or combinations (the search: :mod:`...core.bisect`).

Each step runs the user's own command, ``python -m pytest ARGS
--combination=SPEC``, in the current directory with the project's configuration (and
so in whatever mode it uses), and reads the step's verdict from its results file: a
combination whose env cannot be built is *skipped*, not failed.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import FINDINGS, OK, core

if TYPE_CHECKING:
    import argparse

    from ...core.bisect import Outcome, Step
    from ...model.matrix import Matrix, Pin


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..parser import add_setting

    parser.add_argument(
        "good", metavar="GOOD", help="a bundle, a combination spec, or component@version[,...]"
    )
    parser.add_argument("bad", metavar="BAD", help="the same, where the suite fails")
    # After `--`: the test command's arguments, run as `python -m pytest ARGS` (the CLI's
    # main hands them over unparsed).
    parser.set_defaults(pytest_args=[])
    parser.usage = "pytest-workspace bisect GOOD BAD [options] [-- PYTEST ARGS]"
    parser.add_argument(
        "--from-index",
        action="store_true",
        help="then find the first bad release of the culprit among the index's releases",
    )
    parser.add_argument(
        "--report",
        default="bisect.json",
        metavar="FILE",
        help="the steps and the verdict as JSON (default: bisect.json)",
    )
    for name in ("find_links", "index_url", "offline"):
        add_setting(parser, name)


def _end(matrix: Matrix, text: str) -> tuple[Pin, ...]:
    from ...errors import SelectionError
    from ...loading.values import make_endpoint, parse_combination

    if text in matrix.bundles:
        return matrix.bundles[text].pins
    if "=" in text:
        return parse_combination(matrix, text)
    try:
        return make_endpoint(text, matrix.components, matrix.bundles).pins
    except ValueError as error:
        raise SelectionError(f"bisect: {error}") from None


class _Pytest:
    """Runs one step: the user's pytest command against a combination."""

    def __init__(self, args: list[str], scratch: Path) -> None:
        self.args, self.scratch = args, scratch

    def __call__(self, spec: str) -> tuple[Outcome, str]:
        report = self.scratch / f"step-{time.monotonic_ns()}.json"
        argv = [sys.executable, "-m", "pytest", *self.args, f"--combination={spec}"]
        argv.append(f"--workspace-report={report}")
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        tail = (done.stdout + done.stderr).strip().splitlines()
        last = tail[-1] if tail else f"exit code {done.returncode}"
        try:
            verdict = json.loads(report.read_text(encoding="utf-8"))["bundles"][spec]
        except (OSError, ValueError, KeyError, TypeError):
            return "skip", f"pytest exited {done.returncode} without a verdict: {last}"
        word = verdict.get("verdict")
        if word == "passed":
            return "pass", ""
        why = str(verdict.get("why") or last)
        if word == "failed" or (word == "error" and not _unbuildable(report, spec)):
            return "fail", why
        return "skip", f"{word}: {why}"


def _unbuildable(report: Path, spec: str) -> bool:
    """Every error of the step is an env that could not be built (not a break)."""
    tests = json.loads(report.read_text(encoding="utf-8")).get("tests", [])
    errors = [t for t in tests if t.get("bundle") == spec and t.get("outcome") == "error"]
    words = ("cannot install", "cannot create env", "no matching distribution")
    return bool(errors) and all(
        any(word in str(t.get("message", "")).lower() for word in words) for t in errors
    )


def _locked(
    here: Any, good: str, bad: str, pins: list[Pin]
) -> tuple[dict[str, str], dict[str, str]] | None:
    """The dependencies GOOD's and BAD's locks hold (the components left out), when
    both ends are bundles with a lock: they take part in the search."""
    from ...model.names import normalize

    matrix = here.matrix
    if good not in matrix.bundles or bad not in matrix.bundles:
        return None
    locks = [here.lock(matrix.bundles[name]) for name in (good, bad)]
    if None in locks:
        if any(locks):
            print("note: only one end has a lock: its dependencies are not bisected")
        return None
    components = {normalize(pin.distribution) for pin in pins}
    before, after = (
        {name: version for name, (version, _) in lock.packages.items() if name not in components}
        for lock in locks
        if lock is not None
    )
    return before, after


def _say(step: Step) -> None:
    what = {"pass": "passes", "fail": "fails", "skip": "skipped"}[step.outcome]
    changed = ", ".join(step.applied)
    why = f": {step.why}" if step.why and step.outcome != "pass" else ""
    print(f"step {step.number}: {changed} -> {what}{why}", flush=True)
    print(f"        --combination={step.spec}", flush=True)


def run(args: argparse.Namespace) -> int:
    from ...core.bisect import bisect, narrow

    here = core(args)
    matrix = here.matrix
    good, bad = _end(matrix, args.good), _end(matrix, args.bad)
    locked = _locked(here, args.good, args.bad, [*good, *bad])
    with tempfile.TemporaryDirectory(prefix="pytest-workspace-bisect-") as scratch:
        runner = _Pytest(list(args.pytest_args), Path(scratch))
        found, problem = bisect(matrix, good, bad, runner, _say, locked)
        if problem is None and args.from_index and len(found.culprit) == 1:
            change = found.culprit[0]
            if change.good is not None and change.bad is not None:
                from ...envs.available import Unreachable, available_versions

                try:
                    releases = available_versions(change.bad.distribution, here.index)
                except Unreachable as error:
                    print(f"note: {error}: not narrowed", file=sys.stderr)
                    releases = []
                found.first_bad = narrow(matrix, good, change, [], releases, runner, found, _say)
    verdict = problem or _verdict(found, args.good)
    document = {
        "good": args.good,
        "bad": args.bad,
        "pytest_args": list(args.pytest_args),
        "steps": [vars(step) | {"applied": list(step.applied)} for step in found.steps],
        "verdict": verdict,
        "culprit": [str(change) for change in found.culprit],
        "first_bad": list(found.first_bad) if found.first_bad else None,
        "reproduce": found.reproduce or None,
    }
    Path(args.report).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if problem is not None:
        print(f"error: {problem} (steps in {args.report})")
        return FINDINGS
    command = " ".join(["pytest", *args.pytest_args, f"--combination={found.reproduce}"])
    print(f"reproduce: {command}")
    print(verdict)
    return OK


def _verdict(found: Any, good: str) -> str:
    changes = " and ".join(str(change) for change in found.culprit)
    rest = f"everything else as in {good}"
    if found.first_bad:
        key, before, first = found.first_bad
        passes = f"{before} passes, " if before else ""
        return f"first bad change: {key}: {passes}{first} fails (first bad; {rest})"
    if len(found.culprit) == 1:
        return f"first bad change: {changes} ({rest})"
    return f"first bad changes, together: {changes} ({rest}; each alone does not fail)"
