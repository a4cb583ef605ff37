"""Renderings of a matrix and of test results: CI job matrices, the terminal summary
table and the results JSON. Plain data in, text out: the plugin collects the results,
so this module needs no pytest import and the CLI stays quick.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .matrix import Bundle

__all__ = [
    "EnvRecord",
    "TestResult",
    "ci_matrix",
    "results_document",
    "summary_lines",
]

CI_FORMATS = ("github", "gitlab")


def ci_matrix(bundles: Sequence[Bundle], fmt: str = "github") -> str:
    """The bundles as a CI job matrix.

    ``github`` is one line of JSON for ``strategy.matrix: ${{ fromJSON(...) }}``;
    ``gitlab`` is a ``parallel: matrix:`` fragment (JSON strings are valid YAML scalars).
    """
    names = [bundle.name for bundle in bundles]
    if fmt == "github":
        return json.dumps({"include": [{"bundle": name} for name in names]})
    if fmt == "gitlab":
        return "parallel:\n  matrix:\n    - BUNDLE: " + json.dumps(names)
    raise ValueError(f"expected a CI format, one of {', '.join(CI_FORMATS)}, got {fmt!r}")


# -- test results ----------------------------------------------------------------------

OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


@dataclass
class TestResult:
    nodeid: str
    outcome: str
    duration: float
    bundle: str | None = None
    upgrade_path: str | None = None


@dataclass
class EnvRecord:
    """How one bundle's env was obtained in this run."""

    label: str
    key: str
    installer: str
    fresh: bool
    build_seconds: float
    pins: dict[str, str] = field(default_factory=dict)


def counts(results: Iterable[TestResult], attribute: str) -> dict[str, Counter[str]]:
    table: dict[str, Counter[str]] = {}
    for result in results:
        name = getattr(result, attribute)
        if name is not None:
            table.setdefault(name, Counter())[result.outcome] += 1
    return table


def _cells(counter: Counter[str]) -> str:
    extra = ", ".join(
        f"{counter[outcome]} {outcome}"
        for outcome in ("error", "xfailed", "xpassed")
        if counter[outcome]
    )
    main = f"{counter['passed']:>6}  {counter['failed']:>6}  {counter['skipped']:>7}"
    return f"{main}  {extra}" if extra else main


def path_outcome(counter: Counter[str]) -> str:
    """One word for an upgrade path: failed beats error beats xpassed beats the rest."""
    for outcome in ("failed", "error", "xpassed", "passed", "xfailed", "skipped"):
        if counter[outcome]:
            return outcome
    return "not run"


def summary_lines(
    results: Sequence[TestResult],
    bundles: Sequence[str],
    upgrades: Sequence[str],
    envs: Mapping[str, EnvRecord],
) -> list[str]:
    """The terminal summary: bundle x outcomes (with env build times), path x outcome."""
    lines: list[str] = []
    by_bundle = counts(results, "bundle")
    if bundles:
        width = max(len("bundle"), *(len(name) for name in bundles))
        lines.append(f"{'bundle':<{width}}  passed  failed  skipped  env")
        for name in bundles:
            env = envs.get(name)
            if env is None:
                how = "not built"
            elif env.fresh:
                how = f"built in {env.build_seconds:.2f} s ({env.installer})"
            else:
                how = f"reused ({env.installer})"
            row = _cells(by_bundle.get(name, Counter()))
            lines.append(f"{name:<{width}}  {row}  {how}")
    by_path = counts(results, "upgrade_path")
    if upgrades:
        width = max(len("upgrade path"), *(len(name) for name in upgrades))
        lines.append(f"{'upgrade path':<{width}}  outcome")
        for name in upgrades:
            counter = by_path.get(name, Counter())
            tests = sum(counter.values())
            detail = f" ({tests} test{'' if tests == 1 else 's'})" if tests else ""
            lines.append(f"{name:<{width}}  {path_outcome(counter)}{detail}")
    return lines


def results_document(
    *,
    matrix: str | None,
    installer: str,
    started: float,
    finished: float,
    results: Sequence[TestResult],
    bundles: Mapping[str, Mapping[str, str]],
    upgrades: Mapping[str, tuple[str, str]],
    envs: Mapping[str, EnvRecord],
) -> dict[str, Any]:
    """The ``--workspace-report`` JSON: what ran, against which pins, with what result."""

    def stamp(when: float) -> str:
        moment = datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
        return moment.isoformat(timespec="seconds")

    by_bundle = counts(results, "bundle")
    by_path = counts(results, "upgrade_path")
    return {
        "schema": 1,
        "matrix": matrix,
        "installer": installer,
        "started": stamp(started),
        "finished": stamp(finished),
        "tests": [
            {
                "nodeid": result.nodeid,
                "bundle": result.bundle,
                "upgrade_path": result.upgrade_path,
                "outcome": result.outcome,
                "duration": round(result.duration, 4),
            }
            for result in results
        ],
        "bundles": {
            name: {
                "pins": dict(pins),
                "env": envs[name].key if name in envs else None,
                "build_seconds": envs[name].build_seconds if name in envs else None,
                "built": envs[name].fresh if name in envs else None,
                "installer": envs[name].installer if name in envs else installer,
                "outcomes": dict(by_bundle.get(name, Counter())),
            }
            for name, pins in bundles.items()
        },
        "upgrade_paths": {
            name: {
                "from": source,
                "to": target,
                "outcome": path_outcome(by_path.get(name, Counter())),
                "outcomes": dict(by_path.get(name, Counter())),
            }
            for name, (source, target) in upgrades.items()
        },
    }
