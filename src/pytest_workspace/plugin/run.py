"""What every role of a run shares (:class:`Run`): the selection's parametrisation, the
properties every report carries, results per bundle and upgrade path, the verdicts, what
the run prints (the header before the tests, the ``workspace`` section of the summary
after them) and the results file. The roles are in :mod:`.modes` and
:mod:`.wholesuite`.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..core.plan import RunPlan
    from ..core.selection import Selection
    from ..core.workspace import Workspace
    from ..envs.env import Env
    from ..model.matrix import Bundle, Matrix, UpgradePath
    from ..releases.diff import Change
    from ..results.records import EnvRecord, Results
    from ..results.verdict import Verdict

from .idle import NO_BUNDLE, NO_UPGRADE, RUN, own_parameters

__all__ = ["NO_BUNDLE", "NO_UPGRADE", "RUN", "Run"]


class Run:
    """What every role shares (see the module docstring); subclasses add their hooks."""

    def __init__(
        self,
        config: pytest.Config,
        workspace: Workspace | None = None,
        plan: RunPlan | None = None,
        *,
        sources: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.config = config
        self.plan = plan
        self._workspace = workspace
        self._results: Results | None = None
        #: each swapped-in checkout's git facts (a worker takes the controller's)
        self._sources = sources
        self._tested: dict[str, Bundle] | None = None
        #: lines the header adds, and problems the summary ends with (``error:`` lines)
        self.notes: list[str] = []
        self.errors: list[str] = []
        self.warnings: list[str] = []
        #: the cached envs this process obtained (checked for changes when it ends)
        self.used: dict[Path, str] = {}

    # -- what the core built -----------------------------------------------------------

    @property
    def planned(self) -> RunPlan:
        """The plan (every role but :class:`Idle` has one)."""
        assert self.plan is not None, "nothing was selected"
        return self.plan

    @property
    def selection(self) -> Selection | None:
        return self.plan.selection if self.plan else None

    def workspace(self) -> Workspace:
        assert self._workspace is not None, "nothing was selected"
        return self._workspace

    @property
    def matrix(self) -> Matrix:
        return self.workspace().matrix

    @property
    def strict(self) -> bool:
        return self.workspace().settings.strict

    @property
    def results(self) -> Results:
        if self._results is None:
            from ..results.records import Results

            self._results = Results()
        return self._results

    @property
    def inside(self) -> str | None:
        """The bundle every test of this process runs in (its env is this interpreter)."""
        return self.plan.inside if self.plan else None

    def payload(self) -> dict[str, Any]:
        """What pytest-xdist workers need to agree with this process (plain data)."""
        if self.plan is None:
            return {}
        return {
            **self.plan.request.to_payload(),
            "started": self.plan.started,
            "matrix": str(self.matrix.path),
            # git is asked once, here, not by every worker (the answers must agree too).
            "sources": self.source_summaries(),
        }

    def env_for(
        self,
        chosen: Bundle,
        *,
        extras: Sequence[str] = (),
        private: Path | None = None,
        sources: Mapping[str, Path] | None = None,
    ) -> Env:
        """The env a fixture asked for: the bundle's shared, cached one, or a private
        one at ``private`` (``sources``: the checkouts to swap in, default the run's)."""

        workspace = self.workspace()
        if sources is None:
            sources = self.selection.sources if self.selection else None
        if private is not None:
            return workspace.private_env(chosen, private, sources=sources, extras=extras)
        rebuild = self.plan.request.rebuild_before if self.plan else None
        env = workspace.env(chosen, sources=sources, extras=extras, rebuild_before=rebuild)
        self.obtained(chosen.name, env)
        return env

    def obtained(self, label: str, env: Env) -> None:
        """``env``, from the cache, serves ``label`` in this run."""
        from ..results.records import EnvRecord

        self.results.remember_env(EnvRecord.of(label, env, self.workspace().installer.name))
        self.used[env.path] = label
        if env.rebuilt:
            self.warnings.append(f"rebuilt the env of {label}: it had changed ({env.rebuilt})")

    def remember_env(self, record: EnvRecord) -> None:
        self.results.remember_env(record)

    def check_used_envs(self) -> None:
        """A test that writes into a cached env changes it for every later run: find
        it now (the env is rebuilt on its next use) and say so."""
        if not self.used or self.plan is None:
            return
        cache = self.workspace().cache
        for path, label in self.used.items():
            changed = cache.after_use(path, self.plan.started)
            if changed:
                self.warnings.append(
                    f"this run changed the cached env of {label} ({changed}); "
                    "it is rebuilt on its next use"
                )

    def tested(self, bundle: Bundle) -> Bundle:
        """``bundle`` as tested, for the header, gates and results: a checkout swapped
        in at its own version (how that version is found depends on the role)."""
        if self._tested is None:
            self._tested = self.tested_bundles()
        return self._tested.get(bundle.name, bundle)

    def tested_bundles(self) -> dict[str, Bundle]:
        return {}

    def source_summaries(self) -> dict[str, dict[str, Any]]:
        """Each swapped-in checkout with its git branch, commit and dirty flag (read once)."""
        if self._sources is None:
            chosen = self.selection.sources if self.selection else {}
            self._sources = {}
            if chosen:  # the meta-repository layer (git) only for a checkout to describe
                from ..meta.state import checkout_summary

                self._sources = {name: checkout_summary(path) for name, path in chosen.items()}
        return self._sources

    def path_changes(self, path: UpgradePath) -> list[Change]:
        """What ``path`` changes, as tested: a checkout swapped in at its target end
        shows as ``platform 1.0.0 -> checkout 1.2.0.dev0``."""
        from ..releases.diff import diff

        sources = self.selection.path_sources.get(path.id, {}) if self.selection else {}
        if not sources:
            return diff(path.source.pins, path.target.pins)
        from ..envs.checkouts import checkout_versions
        from ..model.names import normalize

        versions = checkout_versions(path.target.pins, sources)
        checkouts = {
            pin.key: versions.get(normalize(pin.distribution), "")
            for pin in path.target.pins
            if pin.source_in(sources)
        }
        return diff(path.source.pins, path.target.pins, checkouts)

    # -- collection ----------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        own = own_parameters(metafunc)
        if "bundle" in metafunc.fixturenames and "bundle" not in own:
            metafunc.parametrize("bundle", self._bundle_params(metafunc), indirect=True)
        if "upgrade_path" in metafunc.fixturenames and "upgrade_path" not in own:
            metafunc.parametrize("upgrade_path", self._upgrade_params(), indirect=True)

    def _bundle_params(self, metafunc: pytest.Metafunc) -> list[Any]:
        if self.selection is None or not self.selection.bundles:
            return [pytest.param(None, marks=pytest.mark.skip(reason=NO_BUNDLE), id="no-bundle")]
        from .markers import bundle_params

        return bundle_params(metafunc.definition, self.selection.bundles, self.tested)

    def _upgrade_params(self) -> list[Any]:
        if self.selection is None or not self.selection.upgrades:
            return [pytest.param(None, marks=pytest.mark.skip(reason=NO_UPGRADE), id="no-path")]
        return [
            pytest.param(
                path,
                # raises=Exception: pytest.fail() (an env that cannot be built) is a
                # BaseException, so it is reported as the error it is, never as xfailed.
                # Strict, as for bundles: a path declared broken that passes is news.
                marks=[pytest.mark.xfail(reason=path.xfail, raises=Exception, strict=True)]
                if path.xfail
                else [],
                id=path.id,
            )
            for path in self.selection.upgrades
        ]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if not self.selection:
            return
        # user_properties travel with every report (to the xdist controller, to JUnit XML).
        from ..model.matrix import Bundle, UpgradePath

        sources = ",".join(
            f"{component}={summary['path']}"
            + (f" ({_described(summary)})" if "commit" in summary else "")
            for component, summary in self.source_summaries().items()
        )
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            chosen = params.get("bundle")
            is_path = "upgrade_path" in getattr(item, "fixturenames", ())
            if self.inside is not None and not is_path and not isinstance(chosen, Bundle):
                # Every test of this process runs in the bundle's env, with or without
                # the bundle fixture.
                from .markers import inside_marks

                chosen = self.selection.bundles[0]
                for mark in inside_marks(item, chosen):
                    item.add_marker(mark)
            if isinstance(chosen, Bundle):
                item.user_properties.append(("workspace_bundle", chosen.name))
                pins = ",".join(f"{pin.key}={pin.version}" for pin in self.tested(chosen).pins)
                item.user_properties.append(("workspace_pins", pins))
            path = params.get("upgrade_path")
            if isinstance(path, UpgradePath):
                item.user_properties.append(("workspace_upgrade_path", path.id))
            if sources:
                item.user_properties.append(("workspace_sources", sources))

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        """Count the user's deselections (``-k``, ``-m``) per bundle and upgrade path,
        for why a bundle in which nothing ran did not run."""
        if not self.selection:
            return
        from ..model.matrix import Bundle, UpgradePath

        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            chosen, path = params.get("bundle"), params.get("upgrade_path")
            if isinstance(chosen, Bundle):
                self.results.deselected[chosen.name] += 1
            elif self.inside is not None and not isinstance(path, UpgradePath):
                self.results.deselected[self.inside] += 1
                self.deselected_here(item)
            if isinstance(path, UpgradePath):
                self.results.deselected[path.id] += 1

    def deselected_here(self, item: pytest.Item) -> None:
        """A test that runs in this process's bundle was deselected."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A test module that cannot be collected is an error of every selected bundle
        and path: one process collected for all of them."""
        if not self.selection or not report.failed:
            return
        names = [chosen.name for chosen in self.selection.bundles]
        self.record_collect_error(report, names, [path.id for path in self.selection.upgrades])

    def record_collect_error(
        self, report: pytest.CollectReport, bundles: Sequence[str], paths: Sequence[str]
    ) -> None:
        from ..results.records import excerpt

        message = excerpt(report.longreprtext)
        where = [(name, None) for name in bundles] + [(None, path) for path in paths]
        for bundle, path in where:
            self.results.record(
                report.nodeid,
                "error",
                0.0,
                when="collect",
                bundle=bundle,
                upgrade_path=path,
                message=message,
            )

    # -- results ---------------------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.selection:
            return
        from ..results.records import classify, excerpt

        properties = {name: str(value) for name, value in report.user_properties}
        chosen = properties.get("workspace_bundle")
        path = properties.get("workspace_upgrade_path")
        if chosen is None and path is None:
            return
        outcome = classify(report.when, report.passed, report.skipped, hasattr(report, "wasxfail"))
        message = excerpt(report.longreprtext) if outcome in ("failed", "error") else None
        self.results.record(
            report.nodeid,
            outcome,
            report.duration,
            when=report.when,
            bundle=chosen,
            upgrade_path=path,
            message=message,
        )

    def verdicts(self) -> list[tuple[str, Verdict]]:
        """Each selected bundle (``bundle X``) and upgrade path with its verdict."""
        if not self.selection:
            return []
        from ..results.summary import verdicts

        return verdicts(
            self.results,
            [chosen.name for chosen in self.selection.bundles],
            [path.id for path in self.selection.upgrades],
        )

    # -- what the run says ---------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        if not self.selection:
            return []
        return header(self)

    def header_lines(self) -> list[str]:
        """The role's own header lines (after the bundles, paths and checkouts)."""
        return []

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.selection:
            return
        summary(self, terminalreporter)

    def summary_lines(self) -> list[str]:
        """The role's own lines under the summary table."""
        return []

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.check_used_envs()
        output = getattr(self.config, "workeroutput", None)
        if output is not None:
            # An xdist worker: how it got its envs; its controller judges and reports.
            if self._results is not None:
                output["workspace_envs"] = {
                    label: vars(record) for label, record in self._results.envs.items()
                }
            return
        if not self.selection or self.plan is None:
            return
        allow = self.plan.allow_not_run
        failing = [v for _, v in self.verdicts() if v.fails(allow_not_run=allow)]
        if failing and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.write_results()

    def write_results(self) -> None:
        """The ``--workspace-report`` file and the GitHub step summary."""
        selection, plan = self.selection, self.planned
        assert selection is not None
        target = self.config.getoption("workspace_report")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if not (target or summary):
            return
        from ..results.document import read_results, results_document
        from ..results.report import merge, render_markdown

        document = results_document(
            matrix=str(self.matrix.path),
            installer=self.workspace().installer.name,
            started=plan.started,
            finished=time.time(),
            results=self.results,
            bundles={b.name: self.tested(b).versions() for b in selection.bundles},
            upgrades={p.id: (p.source.label, p.target.label) for p in selection.upgrades},
            changes={
                path.id: [change.as_json() for change in self.path_changes(path)]
                for path in selection.upgrades
            },
            sources=self.source_summaries(),
        )
        if target:
            import json

            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        if summary:
            # GitHub Actions shows this file on the run's page; append, never replace.
            merged = merge([read_results(document, "this run")])
            with open(summary, "a", encoding="utf-8") as stream:
                stream.write(render_markdown(merged, "pytest-workspace") + "\n")


def header(run: Run) -> list[str]:
    selection, plan = run.selection, run.plan
    if not selection or plan is None or hasattr(run.config, "workerinput"):
        return []  # a worker: its controller has said it all
    workspace = run.workspace()
    if plan.role == "running-env" and not selection.upgrades:
        # Nothing is built: the env may hold neither uv nor virtualenv (a bundle's env).
        where = f"running environment {sys.prefix} (--workspace-env current)"
        lines = [f"workspace: matrix {run.matrix.path}, {where}"]
    else:
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
    for component, found in run.source_summaries().items():
        git = _described(found)
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
    from ..results.summary import summary_lines

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
    for problem in run.warnings:
        terminalreporter.write_line(f"warning: {problem}", yellow=True)


def _described(summary: Mapping[str, Any]) -> str:
    """``main 1a2b3c4, dirty`` for a git checkout, else empty; the meta-repository layer
    is imported only when a checkout is swapped in."""
    if "commit" not in summary:
        return ""
    from ..meta.state import describe_checkout

    return describe_checkout(summary)
