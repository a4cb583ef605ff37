"""The terminal summary's table: bundle x outcomes, verdict and how its env was got;
upgrade path x verdict.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Sequence

from .records import EnvRecord, Results, describe_counts
from .verdict import Verdict

__all__ = ["summary_lines", "verdicts"]


def summary_lines(
    results: Results,
    bundles: Sequence[str],
    upgrades: Sequence[str],
) -> list[str]:
    """The terminal summary: bundle x outcomes, verdict and env build time; upgrade
    path x verdict."""
    lines: list[str] = []
    if bundles:
        verdicts = {name: _verdict_cell(results, name) for name in bundles}
        width = max(len("bundle"), *(len(name) for name in bundles))
        wide = max(len("verdict"), *(len(cell) for cell in verdicts.values()))
        lines.append(
            f"{'bundle':<{width}}  passed  failed  errors  skipped  {'verdict':<{wide}}  env"
        )
        for name in bundles:
            counter = results.counts(name)
            cells = (
                f"{counter['passed']:>6}  {counter['failed']:>6}  {counter['error']:>6}  "
                f"{counter['skipped']:>7}"
            )
            env = _env(results.envs.get(name))
            lines.append(f"{name:<{width}}  {cells}  {verdicts[name]:<{wide}}  {env}")
    if upgrades:
        width = max(len("upgrade path"), *(len(name) for name in upgrades))
        lines.append(f"{'upgrade path':<{width}}  verdict")
        for name in upgrades:
            lines.append(f"{name:<{width}}  {_verdict_cell(results, name, path=True)}")
    return lines


def _verdict_cell(results: Results, name: str, *, path: bool = False) -> str:
    """``passed``, ``passed (2 xfailed)``, ``failed``...; for a path, what ran in it."""
    verdict = results.verdict(name, path=path)
    counter = results.counts(name, path=path)
    if path and counter:
        tests = sum(counter.values())
        only_passed = counter["passed"] == tests
        detail = (
            f"{tests} test{'' if tests == 1 else 's'}" if only_passed else describe_counts(counter)
        )
        return f"{verdict.word} ({detail})"
    extra = ", ".join(f"{counter[o]} {o}" for o in ("xfailed", "xpassed") if counter[o])
    return f"{verdict.word} ({extra})" if extra else verdict.word


def _env(env: EnvRecord | None) -> str:
    if env is None:
        return "not built"
    if env.installer == "current":
        return "running environment"
    if env.fresh:
        return f"built in {env.build_seconds:.2f} s ({env.installer})"
    return f"reused ({env.installer})"


def verdicts(
    results: Results, bundles: Sequence[str], upgrades: Sequence[str]
) -> list[tuple[str, Verdict]]:
    """Each selected bundle and upgrade path (``bundle X``, ``upgrade path A:B``) with
    its verdict, in the order they were selected."""
    return [(f"bundle {name}", results.verdict(name)) for name in bundles] + [
        (f"upgrade path {name}", results.verdict(name, path=True)) for name in upgrades
    ]
