"""The run's session object: what the core handed back for one pytest run.

Registered by :func:`~.plugin.pytest_configure`; it holds the selection, the envs and
the results, implements the collection and reporting hooks, and decides nothing itself
(like pytest-xdist's ``DSession`` beside its ``plugin.py``). Under pytest-xdist the
controller decides the selection once and hands it to the workers through
``workerinput``; workers report how they got their envs back through ``workeroutput``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..core.workspace import Selection, Workspace
    from ..envs.env import Env
    from ..model.matrix import Bundle, Matrix, UpgradePath
    from ..releases.bundles import Change
    from ..results.records import EnvRecord, Results
    from ..results.verdict import Verdict
    from .wholesuite.controller import Worker

__all__ = ["SESSION", "WorkspaceSession"]

NO_BUNDLE = (
    "no bundle selected: pass --bundle NAME (a name, a glob or 'all') or set "
    "workspace_bundles in the pytest configuration"
)
NO_UPGRADE = (
    "no upgrade path selected: pass --upgrade-path FROM:TO (or 'all') or set "
    "workspace_upgrade_paths in the pytest configuration"
)


def _settings_layers(config: pytest.Config) -> tuple[dict[str, Any], dict[str, Any]]:
    """pytest's options and ini values under :class:`~.workspace.Settings` field names."""
    option, ini = config.getoption, config.getini
    options = {
        "matrix": option("workspace_matrix"),
        "installer": option("workspace_installer"),
        "cache": option("workspace_cache"),
        "sources": option("workspace_source"),
        "siblings": option("workspace_siblings"),
        "index_url": option("workspace_index_url"),
        "find_links": option("workspace_find_links"),
        "offline": option("workspace_offline"),
        "strict": option("workspace_strict") or option("strict", False),
    }
    inis = {
        "matrix": ini("workspace_matrix"),
        "installer": ini("workspace_installer"),
        "cache": ini("workspace_cache"),
        "sources": ini("workspace_sources"),
        "siblings": ini("workspace_siblings"),
        "index_url": ini("workspace_index_url"),
        "find_links": ini("workspace_find_links"),
        "offline": ini("workspace_offline"),
        "extras": ini("workspace_extras"),
    }
    return options, inis


class WorkspaceSession:
    """What the core handed back for one pytest run: the selection, envs and results.
    It decides nothing itself (like pytest-xdist's ``DSession`` beside its plugin)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.time()
        self.mode = (
            config.getoption("workspace_env") or config.getini("workspace_env") or "isolated"
        )
        if self.mode not in ("isolated", "current", "bundle"):
            raise pytest.UsageError(
                f"workspace_env = {self.mode!r}: expected 'isolated', 'current' or 'bundle'"
            )
        self.selection: Selection | None = None
        #: whole-suite mode: the controller's bundles and their workers
        self.workers: list[Worker] = []
        #: whole-suite mode, in a worker: the bundle whose env this process runs in
        self.inside: str | None = None
        #: whole-suite mode: the xdist specs of the workers that run the upgrade paths
        #: (the controller), or whether there are such workers (a worker)
        self.upgraders: tuple[str, ...] = ()
        self.upgrades_apart = False
        self.notes: list[str] = []
        self._workspace: Workspace | None = None
        self._results: Results | None = None
        self._sources: dict[str, dict[str, Any]] | None = None
        self._tested: dict[str, Bundle] | None = None
        #: whole-suite mode: why this worker's env failed its check (it runs nothing),
        #: or on the controller, each such bundle's reason
        self.broken: str | None = None
        self.broken_bundles: dict[str, str] = {}
        #: problems the summary ends with, each an ``error:`` line
        self.errors: list[str] = []
        #: a bundle or upgrade path in which no test ran does not fail the run
        self.allow_not_run = bool(config.getini("workspace_allow_not_run"))
        #: whole-suite workers set this while moving tests to other workers
        self._splitting = False
        #: the tests a whole-suite worker deselected (for the controller's final line)
        self.deselected_here: list[str] = []
        # An empty payload: the controller selected nothing, and neither does a worker.
        worker = getattr(config, "workerinput", {}).get("workspace") or None
        try:
            self._configure(worker)
        except Exception as error:
            from ..errors import WorkspaceError

            if isinstance(error, WorkspaceError):
                raise pytest.UsageError(str(error)) from None
            raise

    def _configure(self, worker: dict[str, Any] | None) -> None:
        config = self.config
        if worker is None:
            # Empty values are ignored: one CI job template can pass --bundle= and
            # --upgrade-path= from a matrix entry that has only one of them.
            bundles = [v for v in config.getoption("bundle") if v] or config.getini(
                "workspace_bundles"
            )
            combinations = [v for v in config.getoption("combination") if v]
            upgrades = [v for v in config.getoption("upgrade_path") if v] or config.getini(
                "workspace_upgrade_paths"
            )
            if not (bundles or combinations or upgrades):
                return  # nothing selected: import nothing more
        from ..core.workspace import Request

        if worker is not None:
            self.started = worker["started"]
            self._sources = worker.get("sources")
            request = Request.from_payload(worker)
        else:
            rebuild = self.started if config.getoption("workspace_rebuild") else None
            request = Request(tuple(bundles), tuple(combinations), tuple(upgrades), rebuild)
        workspace = self.workspace(worker["matrix"] if worker else None)
        what = (
            "--bundle"
            if request.bundles
            else ("--combination" if request.combinations else "--upgrade-path")
        )
        from ..errors import MatrixNotFound, WorkspaceError

        try:
            workspace.matrix  # noqa: B018 - load it now, for a message that names the option
        except MatrixNotFound as error:
            raise WorkspaceError(f"{what} needs a matrix file: {error}") from None
        # An invalid matrix speaks for itself: file, key path, what was expected.
        self.selection = workspace.select(request)
        if worker is None:
            from ..results.records import check_report_target

            check_report_target(config.getoption("workspace_report"))
        if worker is not None and ("inside" in worker or "upgraders" in worker):
            from .wholesuite.controller import join

            if join(self, worker):
                return  # a bundle's worker: its env is not ours to build or check
        workspace.cache  # noqa: B018 - bad cache settings are usage errors, before any test
        if self.mode == "bundle" and worker is None:
            if not self.selection.bundles or config.getoption("collectonly"):
                self.mode = "isolated"  # upgrade paths alone, or nothing to run yet
            else:
                from .wholesuite.controller import prepare

                self.workers, self.upgraders, self.selection = prepare(self)
        if self.mode == "current" and worker is None:
            if len(self.selection.bundles) != 1:
                raise WorkspaceError(
                    "--workspace-env current checks the running environment against one "
                    f"bundle; got {len(self.selection.bundles)}"
                )
            workspace.check_current(self.selection.bundles[0], sources=self.selection.sources)

    def workspace(self, matrix: str | None = None) -> Workspace:
        if self._workspace is None:
            from ..core.workspace import Settings, Workspace

            options, inis = _settings_layers(self.config)
            fixed: dict[str, Any] = {"hint": "--workspace-matrix PATH"}
            if matrix is not None:
                fixed["matrix"] = matrix
            settings = Settings.layered(
                options,
                inis,
                rootdir=Path(str(self.config.rootpath)),
                search=(Path(self.config.invocation_params.dir),),
                **fixed,
            )
            self._workspace = Workspace(settings)
        return self._workspace

    @property
    def runs_inside(self) -> bool:
        """Every test of this process runs in the (one) bundle's env: a whole-suite
        worker, or running-environment mode."""
        return self.inside is not None or self.mode == "current"

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

    def payload(self) -> dict[str, Any]:
        """What workers need to agree with the controller (plain data for execnet)."""
        if self.selection is None:
            return {}
        return {
            **self.selection.request.to_payload(),
            "started": self.started,
            "matrix": str(self.matrix.path),
            # git is asked once, here, not by every worker (the answers must agree too).
            "sources": self.source_summaries(),
        }

    # -- envs ------------------------------------------------------------------------------

    def env_for(
        self,
        chosen: Bundle,
        *,
        extras: Sequence[str] = (),
        private: Path | None = None,
        sources: Mapping[str, Path] | None = None,
    ) -> Env:
        from ..results.records import EnvRecord

        workspace = self.workspace()
        if sources is None:
            sources = self.selection.sources if self.selection else None
        if private is not None:
            return workspace.private_env(chosen, private, sources=sources, extras=extras)
        if self.mode == "current":
            self.results.remember_env(
                EnvRecord(chosen.name, "", "current", False, 0.0, chosen.versions())
            )
            return workspace.current_env(chosen, sources=sources)
        rebuild = self.selection.request.rebuild_before if self.selection else None
        env = workspace.env(chosen, sources=sources, extras=extras, rebuild_before=rebuild)
        self.results.remember_env(EnvRecord.of(chosen.name, env, workspace.installer.name))
        return env

    # -- collection ------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        own = {
            name.strip()
            for mark in metafunc.definition.iter_markers("parametrize")
            for name in (mark.args[0].split(",") if isinstance(mark.args[0], str) else mark.args[0])
        }
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
        if self.broken is not None:
            self.config.hook.pytest_deselected(items=list(items))
            items[:] = []
        if not self.selection or self.broken is not None:
            return
        if self.upgrades_apart:
            from .wholesuite.controller import split

            split(self, items)
        # user_properties travel with every report (to the xdist controller, to JUnit XML).
        from ..meta.siblings import describe_checkout
        from ..model.matrix import Bundle, UpgradePath

        sources = ",".join(
            f"{component}={summary['path']}"
            + (f" ({describe_checkout(summary)})" if "commit" in summary else "")
            for component, summary in self.source_summaries().items()
        )
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            chosen = params.get("bundle")
            is_path = "upgrade_path" in getattr(item, "fixturenames", ())
            if self.runs_inside and not is_path and not isinstance(chosen, Bundle):
                # Whole-suite mode's workers and running-environment mode: every test
                # runs in the bundle's env, with or without the bundle fixture.
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

    # -- results ---------------------------------------------------------------------------

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        """Count the user's deselections (``-k``, ``-m``) per bundle and upgrade path,
        for why a bundle in which nothing ran did not run."""
        if not self.selection or self.broken is not None or self._splitting:
            return
        from ..model.matrix import Bundle, UpgradePath

        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            chosen, path = params.get("bundle"), params.get("upgrade_path")
            if isinstance(chosen, Bundle):
                self.results.deselected[chosen.name] += 1
            elif self.runs_inside and not isinstance(path, UpgradePath):
                self.results.deselected[self.selection.bundles[0].name] += 1
                self.deselected_here.append(item.nodeid)
            if isinstance(path, UpgradePath):
                self.results.deselected[path.id] += 1

    @pytest.hookimpl(tryfirst=True)  # in a worker: tagged before xdist sends it
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A test module that cannot be collected is an error of the bundles it was
        collected for: in whole-suite mode the bundle of the worker that collected it
        (its report carries the name), otherwise every selected bundle and path (one
        process collected for all of them)."""
        if not self.selection or not report.failed:
            return
        if hasattr(self.config, "workerinput"):
            if self.inside is not None:
                report.workspace_bundle = self.inside  # type: ignore[attr-defined]
            return  # the controller records it
        from ..results.records import excerpt

        message = excerpt(report.longreprtext)
        tagged = getattr(report, "workspace_bundle", None)
        if self.workers:
            names = [tagged] if isinstance(tagged, str) else []
            paths: list[str] = []
        else:
            names = [chosen.name for chosen in self.selection.bundles]
            paths = [path.id for path in self.selection.upgrades]
        for name in names:
            self.results.record(
                report.nodeid,
                "error",
                0.0,
                when="collect",
                bundle=name,
                upgrade_path=None,
                message=message,
            )
        for path_id in paths:
            self.results.record(
                report.nodeid,
                "error",
                0.0,
                when="collect",
                bundle=None,
                upgrade_path=path_id,
                message=message,
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.selection:
            return
        from ..results.records import classify

        properties = {name: str(value) for name, value in report.user_properties}
        chosen = properties.get("workspace_bundle")
        path = properties.get("workspace_upgrade_path")
        if chosen is None and path is None:
            return
        outcome = classify(report.when, report.passed, report.skipped, hasattr(report, "wasxfail"))
        message = None
        if outcome in ("failed", "error"):
            from ..results.records import excerpt

            message = excerpt(report.longreprtext)
        self.results.record(
            report.nodeid,
            outcome,
            report.duration,
            when=report.when,
            bundle=chosen,
            upgrade_path=path,
            message=message,
        )

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        # In a worker, pytest.exit() ends the worker's session: the controller gives that
        # bundle up with this reason (a real interrupt stops the whole run, as in xdist).
        output = getattr(self.config, "workeroutput", None)
        if output is not None and excinfo.errisinstance(pytest.exit.Exception):
            output["workspace_exit"] = f"pytest.exit(): {getattr(excinfo.value, 'msg', '')}"

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        from .terminal import header

        return header(self)

    def tested(self, bundle: Bundle) -> Bundle:
        """``bundle`` as tested, for the header, gates and results: a checkout swapped
        in at its own version (see :mod:`.tested`)."""
        if self._tested is None:
            from .tested import tested_bundles

            self._tested = tested_bundles(self)
        return self._tested.get(bundle.name, bundle)

    def path_changes(self, path: UpgradePath) -> list[Change]:
        """What ``path`` changes, as tested: a checkout swapped in at its target end
        shows as ``platform 1.0.0 -> checkout 1.2.0.dev0``."""
        from ..releases.bundles import diff

        sources = self.selection.path_sources.get(path.id, {}) if self.selection else {}
        if not sources:
            return diff(path.source.pins, path.target.pins)
        from ..meta.siblings import checkout_versions
        from ..model.names import normalize

        versions = checkout_versions(path.target.pins, sources)
        checkouts = {
            pin.key: versions.get(normalize(pin.distribution), "")
            for pin in path.target.pins
            if pin.source_in(sources)
        }
        return diff(path.source.pins, path.target.pins, checkouts)

    def source_summaries(self) -> dict[str, dict[str, Any]]:
        """Each swapped-in checkout with its git branch, commit and dirty flag (read once)."""
        if self._sources is None:
            from ..meta.siblings import checkout_summary

            chosen = self.selection.sources if self.selection else {}
            self._sources = {name: checkout_summary(path) for name, path in chosen.items()}
        return self._sources

    def verdicts(self) -> list[tuple[str, Verdict]]:
        """Each selected bundle (``bundle X``) and upgrade path with its verdict."""
        if not self.selection:
            return []
        from ..results.render import verdicts

        return verdicts(
            self.results,
            [chosen.name for chosen in self.selection.bundles],
            [path.id for path in self.selection.upgrades],
        )

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            if self.broken is not None:
                workeroutput["workspace_broken"] = self.broken
            if self._results is not None:
                workeroutput["workspace_envs"] = {
                    label: vars(record) for label, record in self._results.envs.items()
                }
            if self.inside is not None:
                workeroutput["workspace_deselected"] = self.deselected_here
            return
        if not self.selection:
            return
        for bundle, reason in self.broken_bundles.items():
            self.results.not_run.setdefault(bundle, f"its env failed the check: {reason}")
        failing = [v for _, v in self.verdicts() if v.fails(allow_not_run=self.allow_not_run)]
        if self.broken_bundles and session.exitstatus in (0, 1):
            session.exitstatus = pytest.ExitCode.USAGE_ERROR
        elif failing and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        target = self.config.getoption("workspace_report")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if not (target or summary):
            return
        from ..results.records import read_results, results_document
        from ..results.render import merge, render_markdown

        document = results_document(
            matrix=str(self.matrix.path),
            installer=self.workspace().installer.name,
            started=self.started,
            finished=time.time(),
            results=self.results,
            bundles={b.name: self.tested(b).versions() for b in self.selection.bundles},
            upgrades={p.id: (p.source.label, p.target.label) for p in self.selection.upgrades},
            changes={
                p.id: [c.as_json() for c in self.path_changes(p)] for p in self.selection.upgrades
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

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from .terminal import summary

        summary(self, terminalreporter)

    def remember_env(self, record: EnvRecord) -> None:
        self.results.remember_env(record)


SESSION = pytest.StashKey[WorkspaceSession]()
