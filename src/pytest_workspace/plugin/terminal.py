"""What a run prints: the header lines before the tests and the ``workspace`` section
of the terminal summary after them (plugin side; the session holds the state)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .session import WorkspaceSession

__all__ = ["header", "summary"]


def header(session: WorkspaceSession) -> list[str]:
    selection = session.selection
    if not selection or session.inside is not None:
        return []  # a whole-suite worker: the controller has said it all
    workspace = session.workspace()
    installer = workspace.installer
    current = ", running environment (--workspace-env current)"
    lines = [
        f"workspace: matrix {session.matrix.path}, installer {installer.name} "
        f"{installer.version()}, cache {workspace.cache.root}"
        + (current if session.mode == "current" else "")
    ]
    for chosen in selection.bundles:
        # The pins as tested: a checkout swapped in at its own version.
        pins = ", ".join(str(pin) for pin in session.tested(chosen).pins)
        lines.append(f"workspace: bundle {chosen.name}: {pins}")
        lines.extend(f"workspace: note: {n}" for n in workspace.resolution_notes(chosen))
    for path in selection.upgrades:
        moved = [c for c in session.path_changes(path) if c.kind != "unchanged" or c.checkout]
        lines.append(
            f"workspace: upgrade path {path.id}"
            + (f" (xfail: {path.xfail})" if path.xfail else "")
            + (" (ad hoc)" if path.adhoc else "")
            + (f": {', '.join(str(c) for c in moved)}" if moved else "")
        )
    from ..meta.siblings import describe_checkout

    for component, found in session.source_summaries().items():
        git = describe_checkout(found)
        where = f"{found['path']} (editable{'; ' + git if git else ''})"
        lines.append(f"workspace: {component} from local checkout {where}")
    lines.extend(f"workspace: {note}" for note in (*selection.notes, *session.notes))
    if session.allow_not_run:
        lines.append(
            "workspace: a bundle or upgrade path in which no test runs does not fail the run "
            "(workspace_allow_not_run)"
        )
    if session.workers:
        from .wholesuite.controller import describe

        lines.extend(f"workspace: {line}" for line in describe(session.workers, session.upgraders))
    return lines


def summary(session: WorkspaceSession, terminalreporter: Any) -> None:
    if not session.selection or hasattr(session.config, "workerinput"):
        return
    from ..results.render import summary_lines

    results = session.results
    lines = summary_lines(
        results,
        [chosen.name for chosen in session.selection.bundles],
        [path.id for path in session.selection.upgrades],
    )
    if session.workers:
        # One nodeid per bundle: say which bundle (or upgrade path) each failure is in.
        lines.extend(
            f"{result.outcome} in {result.bundle or f'upgrade path {result.upgrade_path}'}: "
            f"{result.nodeid}"
            for result in results.tests.values()
            if result.outcome in ("failed", "error")
        )
    terminalreporter.section("workspace")
    for line in lines:
        terminalreporter.write_line(line)
    for what, verdict in session.verdicts():
        if verdict.word in ("crashed", "not run"):
            allowed = not verdict.fails(allow_not_run=session.allow_not_run)
            level = "note" if allowed else "error"
            shown = f"{level}: {what} {verdict.word}: {verdict.why}"
            terminalreporter.write_line(shown + (" (allowed)" if allowed else ""), red=not allowed)
    for problem in session.errors:
        terminalreporter.write_line(f"error: {problem}", red=True)
