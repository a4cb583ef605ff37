"""What a run prints: the header lines before the tests and the ``workspace`` section
of the terminal summary after them, for the run's role object (:mod:`.modes`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .modes import Run

__all__ = ["header", "summary"]


def header(run: Run) -> list[str]:
    selection, plan = run.selection, run.plan
    if not selection or plan is None or hasattr(run.config, "workerinput"):
        return []  # a worker: its controller has said it all
    workspace = run.workspace()
    installer = workspace.installer
    current = ", running environment (--workspace-env current)"
    lines = [
        f"workspace: matrix {run.matrix.path}, installer {installer.name} "
        f"{installer.version()}, cache {workspace.cache.root}"
        + (current if plan.role == "running-env" else "")
    ]
    for chosen in selection.bundles:
        # The pins as tested: a checkout swapped in at its own version.
        pins = ", ".join(str(pin) for pin in run.tested(chosen).pins)
        lines.append(f"workspace: bundle {chosen.name}: {pins}")
        lines.extend(f"workspace: note: {n}" for n in workspace.resolution_notes(chosen))
    for path in selection.upgrades:
        moved = [c for c in run.path_changes(path) if c.kind != "unchanged" or c.checkout]
        lines.append(
            f"workspace: upgrade path {path.id}"
            + (f" (xfail: {path.xfail})" if path.xfail else "")
            + (" (ad hoc)" if path.adhoc else "")
            + (f": {', '.join(str(c) for c in moved)}" if moved else "")
        )
    from ..meta.siblings import describe_checkout

    for component, found in run.source_summaries().items():
        git = describe_checkout(found)
        where = f"{found['path']} (editable{'; ' + git if git else ''})"
        lines.append(f"workspace: {component} from local checkout {where}")
    lines.extend(f"workspace: {note}" for note in (*selection.notes, *run.notes))
    if plan.allow_not_run:
        lines.append(
            "workspace: a bundle or upgrade path in which no test runs does not fail the run "
            "(workspace_allow_not_run)"
        )
    lines.extend(f"workspace: {line}" for line in run.header_lines())
    return lines


def summary(run: Run, terminalreporter: Any) -> None:
    selection, plan = run.selection, run.plan
    if not selection or plan is None or hasattr(run.config, "workerinput"):
        return
    from ..results.render import summary_lines

    lines = summary_lines(
        run.results,
        [chosen.name for chosen in selection.bundles],
        [path.id for path in selection.upgrades],
    )
    lines.extend(run.summary_lines())
    terminalreporter.section("workspace")
    for line in lines:
        terminalreporter.write_line(line)
    for what, verdict in run.verdicts():
        if verdict.word in ("crashed", "not run"):
            allowed = not verdict.fails(allow_not_run=plan.allow_not_run)
            level = "note" if allowed else "error"
            shown = f"{level}: {what} {verdict.word}: {verdict.why}"
            terminalreporter.write_line(shown + (" (allowed)" if allowed else ""), red=not allowed)
    for problem in run.errors:
        terminalreporter.write_line(f"error: {problem}", red=True)
