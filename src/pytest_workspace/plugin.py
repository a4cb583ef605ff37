"""pytest hooks, options, markers and fixtures: ``pytest --bundle stable-3.2``.

A :class:`WorkspaceSession` registered in ``pytest_configure`` holds the matrix, the
selection and the env cache. Under pytest-xdist the controller decides the selection
once and hands it to the workers through ``workerinput``; workers report how they got
their envs back through ``workeroutput``.
"""

from __future__ import annotations

import fnmatch
import importlib.metadata
import json
import os
import re
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from .envs import Env, EnvCache
from .errors import InterpreterNotFound, WorkspaceError
from .installers import get_installer
from .matrix import Bundle, Matrix, Pin, UpgradePath, find_matrix, load_matrix
from .ranges import parse_range, render
from .report import (
    EnvRecord,
    TestResult,
    merge,
    render_markdown,
    results_document,
    summary_lines,
)
from .resolve import IndexOptions, parse_sources, project_distribution, resolve

__all__ = ["UpgradeRun", "WorkspaceEnvFactory", "WorkspaceSession"]

NO_BUNDLE = (
    "no bundle selected: pass --bundle NAME (a name, a glob or 'all') or set "
    "workspace_bundles in the pytest configuration"
)
NO_UPGRADE = (
    "no upgrade path selected: pass --upgrade-path FROM:TO (or 'all') or set "
    "workspace_upgrade_paths in the pytest configuration"
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "workspace", "pytest-workspace (bundles of separately released packages)"
    )
    group.addoption(
        "--bundle",
        action="append",
        default=[],
        metavar="NAME",
        help="run workspace tests against this bundle (repeatable; globs; 'all')",
    )
    group.addoption(
        "--combination",
        action="append",
        default=[],
        metavar="SPEC",
        help="an ad-hoc combination such as core=3.1.5,platform=2.4.8 (repeatable)",
    )
    group.addoption(
        "--upgrade-path",
        action="append",
        default=[],
        dest="upgrade_path",
        metavar="FROM:TO",
        help="select upgrade paths for upgrade_path tests (repeatable; globs; 'all')",
    )
    group.addoption("--workspace-matrix", metavar="PATH", help="the matrix file (versions.toml)")
    group.addoption(
        "--workspace-source",
        action="append",
        default=[],
        metavar="COMPONENT=PATH",
        help="install COMPONENT from a local checkout instead of its pinned release",
    )
    group.addoption("--workspace-installer", choices=("uv", "pip"), help="default: uv if available")
    group.addoption("--workspace-cache", metavar="DIR", help="the shared env cache")
    group.addoption("--workspace-rebuild", action="store_true", help="ignore cached envs")
    group.addoption("--workspace-find-links", action="append", default=[], metavar="DIR|URL")
    group.addoption("--workspace-index-url", metavar="URL")
    group.addoption(
        "--workspace-offline", action="store_true", default=None, help="use no index at all"
    )
    group.addoption(
        "--workspace-env",
        choices=("isolated", "current"),
        default="isolated",
        help="'current': verify the running environment holds the bundle instead of building one",
    )
    group.addoption("--workspace-report", metavar="FILE", help="write results as JSON")
    group.addoption(
        "--workspace-strict",
        action="store_true",
        help="an invalid --combination or a missing interpreter is an error "
        "(pytest's --strict does the same)",
    )
    parser.addini("workspace_matrix", "the matrix file", default=None)
    parser.addini("workspace_bundles", "bundles selected by default", type="args", default=[])
    parser.addini(
        "workspace_upgrade_paths", "upgrade paths selected by default", type="args", default=[]
    )
    parser.addini("workspace_sources", "COMPONENT=PATH lines", type="linelist", default=[])
    parser.addini("workspace_installer", "uv or pip", default=None)
    parser.addini("workspace_cache", "the shared env cache", default=None)
    parser.addini("workspace_find_links", "find-links for packages", type="linelist", default=[])
    parser.addini("workspace_index_url", "the package index", default=None)
    parser.addini("workspace_offline", "use no index", type="bool", default=False)
    parser.addini(
        "workspace_extras",
        "extra requirements for every bundle env (e.g. pytest)",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "workspace(**ranges): skip for bundles whose pins do not satisfy the ranges, "
        'e.g. workspace(core=">=3.2")',
    )
    config.addinivalue_line(
        "markers", 'bundles(*patterns): run only for bundles matching a pattern, e.g. "stable-*"'
    )
    session = WorkspaceSession(config)
    config.stash[SESSION] = session
    config.pluginmanager.register(session, "workspace-session")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(session), "workspace-xdist")


class XdistHooks:
    """Registered only with pytest-xdist, whose hooks pytest would not know otherwise."""

    def __init__(self, session: WorkspaceSession) -> None:
        self.session = session

    def pytest_configure_node(self, node: Any) -> None:
        # pytest-xdist: the controller decides the selection once; workers receive it.
        node.workerinput["workspace"] = self.session.selection()

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        for label, record in getattr(node, "workeroutput", {}).get("workspace_envs", {}).items():
            self.session.remember_env(EnvRecord(**record), label)


class WorkspaceSession:
    """Matrix, selection, cache and results of one pytest run."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.time()
        self.rootdir = Path(str(config.rootpath))
        self.results: dict[str, TestResult] = {}
        self.envs: dict[str, EnvRecord] = {}
        self._matrix: Matrix | None = None
        worker = getattr(config, "workerinput", {}).get("workspace")
        try:
            self._configure(worker)
        except WorkspaceError as error:
            raise pytest.UsageError(str(error)) from None

    # -- configuration --------------------------------------------------------------------

    def _option(self, name: str) -> Any:
        value = self.config.getoption(name)
        return value if value not in (None, [], False) else self.config.getini(name)

    def _configure(self, worker: Mapping[str, Any] | None) -> None:
        config = self.config
        self.strict = bool(
            config.getoption("workspace_strict") or config.getoption("strict", False)
        )
        self.mode = config.getoption("workspace_env")
        self.installer_name: str | None = self._option("workspace_installer") or None
        cache = config.getoption("workspace_cache") or config.getini("workspace_cache")
        self.cache = EnvCache(Path(cache).absolute() if cache else None)
        offline = config.getoption("workspace_offline")
        self.index = IndexOptions(
            self._option("workspace_index_url") or None,
            tuple(self._option("workspace_find_links")),
            bool(offline if offline is not None else config.getini("workspace_offline")),
        )
        self.extras = tuple(config.getini("workspace_extras"))
        if worker is not None:
            self.started = worker["started"]
            self.matrix_path = worker["matrix"]
            self.bundle_names, self.combinations = worker["bundles"], worker["combinations"]
            self.upgrade_ids, self.source_items = worker["upgrades"], worker["sources"]
            self.rebuild_before = worker["rebuild_before"]
        else:
            self.matrix_path = self._option("workspace_matrix") or None
            # Empty values are ignored: one CI job template can pass --bundle= and
            # --upgrade-path= from a matrix entry that has only one of them.
            self.bundle_names = [v for v in config.getoption("bundle") if v] or list(
                config.getini("workspace_bundles")
            )
            self.combinations = [v for v in config.getoption("combination") if v]
            self.upgrade_ids = [v for v in config.getoption("upgrade_path") if v] or list(
                config.getini("workspace_upgrade_paths")
            )
            self.source_items = list(config.getoption("workspace_source")) or list(
                config.getini("workspace_sources")
            )
            self.rebuild_before = self.started if config.getoption("workspace_rebuild") else None
        self.bundles: tuple[Bundle, ...] = ()
        self.upgrades: tuple[UpgradePath, ...] = ()
        self.sources: dict[str, Path] = {}
        self.notes: list[str] = []
        if self.bundle_names or self.combinations or self.upgrade_ids:
            self._select(worker is None)

    def _select(self, controller: bool) -> None:
        what = (
            "--bundle"
            if self.bundle_names
            else ("--combination" if self.combinations else "--upgrade-path")
        )
        try:
            matrix = self.matrix
        except WorkspaceError as error:
            raise WorkspaceError(f"{what} needs a matrix file: {error}") from None
        bundles = list(matrix.select_bundles(self.bundle_names))
        for selected in bundles:
            self.notes.extend(
                f"warning: {notice}"
                for notice in matrix.check_pins(selected.pins, selected.key)
                if notice.level == "error"
            )
        for spec in self.combinations:
            pins = matrix.combination(spec)
            problems = [
                n for n in matrix.check_pins(pins, f"--combination {spec}") if n.level == "error"
            ]
            if problems and self.strict:
                raise WorkspaceError(str(problems[0]))
            self.notes.extend(f"warning: {problem}" for problem in problems)
            bundles.append(Bundle(name=spec, pins=pins))
        self.bundles = tuple(bundles)
        self.upgrades = matrix.select_upgrades(self.upgrade_ids)
        self.sources = self._sources(matrix)
        if self.mode == "current" and controller:
            self._verify_current()

    def _sources(self, matrix: Matrix) -> dict[str, Path]:
        sources = parse_sources(self.source_items, rootdir=self.rootdir)
        # The repository under test replaces its own pin when it is a component.
        name = project_distribution(self.rootdir)
        if name is not None:
            wanted = canonicalize_name(name)
            for bundle in self.bundles:
                for pin in bundle.pins:
                    if canonicalize_name(pin.distribution) == wanted:
                        sources.setdefault(pin.key, self.rootdir)
        return sources

    @property
    def matrix(self) -> Matrix:
        if self._matrix is None:
            path = find_matrix(
                self.matrix_path,
                rootdir=self.rootdir,
                also=[Path(self.config.invocation_params.dir)],
                hint="--workspace-matrix PATH",
            )
            self._matrix = load_matrix(path)
            self.matrix_path = str(path)
        return self._matrix

    def selection(self) -> dict[str, Any]:
        """What workers need to agree with the controller (plain data for execnet)."""
        return {
            "started": self.started,
            "matrix": self.matrix_path,
            "bundles": [b.name for b in self.bundles if b.name not in self.combinations],
            "combinations": self.combinations,
            "upgrades": [path.id for path in self.upgrades],
            "sources": self.source_items,
            "rebuild_before": self.rebuild_before,
        }

    def _verify_current(self) -> None:
        if len(self.bundles) != 1:
            raise WorkspaceError(
                "--workspace-env current checks the running environment against one bundle; "
                f"got {len(self.bundles)}"
            )
        bundle = self.bundles[0]
        installed = {
            canonicalize_name(dist.metadata["Name"]): dist.version
            for dist in importlib.metadata.distributions()
            if dist.metadata["Name"]
        }
        sourced = {
            canonicalize_name(pin.distribution)
            for pin in bundle.pins
            if pin.key in self.sources or pin.component in self.sources
        }
        mismatches = []
        for pin in bundle.pins:
            name = canonicalize_name(pin.distribution)
            if name in sourced:
                continue
            got = installed.get(name)
            if got is None:
                mismatches.append(
                    f"{pin.key}: {pin.distribution} is not installed (pin {pin.version})"
                )
            elif Version(got) != pin.version:
                mismatches.append(
                    f"{pin.key}: {pin.distribution} {got} is installed, "
                    f"the bundle pins {pin.version}"
                )
        if mismatches:
            raise WorkspaceError(
                f"the running environment ({sys.prefix}) does not hold bundle {bundle.name}: "
                + "; ".join(mismatches)
            )

    # -- envs ------------------------------------------------------------------------------

    def env_for(self, bundle: Bundle, *, extras: Sequence[str] = ()) -> Env:
        if self.mode == "current":
            spec = resolve(self.matrix, pins=bundle.pins, label=bundle.name)
            return Env(
                Path(sys.prefix),
                spec,
                {"key": "current"},
                installer=get_installer(self.installer_name),
                fresh=False,
                shared=True,
                python=Path(sys.executable),
            )
        spec = resolve(
            self.matrix,
            bundle=bundle if bundle.name in self.matrix.bundles else None,
            pins=bundle.pins,
            label=bundle.name,
            sources=self.sources,
            index=self.index,
            extras=(*self.extras, *extras),
        )
        kind = "bundle" if bundle.name in self.matrix.bundles else "combination"
        env = self.cache.get(
            spec, self.installer_name, rebuild_before=self.rebuild_before, kind=kind
        )
        self.remember_env(
            EnvRecord(
                bundle.name, env.key, env.installer.name, env.fresh, env.build_seconds, env.pins
            ),
            bundle.name,
        )
        return env

    def remember_env(self, record: EnvRecord, label: str) -> None:
        known = self.envs.get(label)
        # Across workers, the one that built the env tells the story.
        if known is None or (record.fresh and not known.fresh):
            self.envs[label] = record

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
        if not self.bundles:
            return [pytest.param(None, marks=pytest.mark.skip(reason=NO_BUNDLE), id="no-bundle")]
        chosen = list(self.bundles)
        patterns = [p for mark in metafunc.definition.iter_markers("bundles") for p in mark.args]
        if patterns:
            chosen = [b for b in chosen if any(fnmatch.fnmatchcase(b.name, p) for p in patterns)]
            if not chosen:
                why = f"no selected bundle matches bundles({', '.join(map(repr, patterns))})"
                return [pytest.param(None, marks=pytest.mark.skip(reason=why), id="no-bundle")]
        requirements = [
            (name, text, _marker_range(name, text))
            for mark in metafunc.definition.iter_markers("workspace")
            for name, text in mark.kwargs.items()
        ]
        params = []
        for chosen_bundle in chosen:
            reason = _unmet(chosen_bundle, requirements)
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            params.append(pytest.param(chosen_bundle, marks=marks, id=chosen_bundle.name))
        return params

    def _upgrade_params(self) -> list[Any]:
        if not self.upgrades:
            return [pytest.param(None, marks=pytest.mark.skip(reason=NO_UPGRADE), id="no-path")]
        return [
            pytest.param(
                path,
                marks=[pytest.mark.xfail(reason=path.xfail)] if path.xfail else [],
                id=path.id,
            )
            for path in self.upgrades
        ]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # user_properties travel with every report (to the xdist controller, to JUnit XML).
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", {})
            bundle = params.get("bundle")
            if isinstance(bundle, Bundle):
                item.user_properties.append(("workspace_bundle", bundle.name))
                pins = ",".join(f"{pin.key}={pin.version}" for pin in bundle.pins)
                item.user_properties.append(("workspace_pins", pins))
            path = params.get("upgrade_path")
            if isinstance(path, UpgradePath):
                item.user_properties.append(("workspace_upgrade_path", path.id))

    # -- results ---------------------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = {name: str(value) for name, value in report.user_properties}
        bundle = properties.get("workspace_bundle")
        path = properties.get("workspace_upgrade_path")
        if bundle is None and path is None:
            return
        result = self.results.get(report.nodeid)
        if result is None:
            result = self.results[report.nodeid] = TestResult(
                report.nodeid, "passed", 0.0, bundle, path
            )
        result.duration += report.duration
        outcome = _outcome(report)
        if outcome is not None and (result.outcome == "passed" or report.when != "teardown"):
            result.outcome = outcome

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        if not (self.bundles or self.upgrades):
            return []
        installer = get_installer(self.installer_name)
        lines = [
            f"workspace: matrix {self.matrix_path}, installer {installer.name} "
            f"{installer.version()}, cache {self.cache.root}"
            + (", running environment (--workspace-env current)" if self.mode == "current" else "")
        ]
        for bundle in self.bundles:
            pins = ", ".join(str(pin) for pin in bundle.pins)
            lines.append(f"workspace: bundle {bundle.name}: {pins}")
        for path in self.upgrades:
            lines.append(
                f"workspace: upgrade path {path.id}"
                + (f" (xfail: {path.xfail})" if path.xfail else "")
            )
        for component, source in self.sources.items():
            lines.append(f"workspace: {component} from local checkout {source} (editable)")
        lines.extend(f"workspace: {note}" for note in self.notes)
        return lines

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput["workspace_envs"] = {
                label: vars(record) for label, record in self.envs.items()
            }
            return
        target = self.config.getoption("workspace_report")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if not (target or (summary and (self.bundles or self.upgrades))):
            return
        document = results_document(
            matrix=self.matrix_path,
            installer=get_installer(self.installer_name).name,
            started=self.started,
            finished=time.time(),
            results=list(self.results.values()),
            bundles={b.name: {p.key: str(p.version) for p in b.pins} for b in self.bundles},
            upgrades={p.id: (p.source.label, p.target.label) for p in self.upgrades},
            envs=self.envs,
        )
        if target:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        if summary and (self.bundles or self.upgrades):
            # GitHub Actions shows this file on the run's page; append, never replace.
            merged = merge([("this run", document)])
            with open(summary, "a", encoding="utf-8") as stream:
                stream.write(render_markdown(merged, "pytest-workspace") + "\n")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not (self.bundles or self.upgrades) or hasattr(self.config, "workerinput"):
            return
        lines = summary_lines(
            list(self.results.values()),
            [bundle.name for bundle in self.bundles],
            [path.id for path in self.upgrades],
            self.envs,
        )
        terminalreporter.section("workspace")
        for line in lines:
            terminalreporter.write_line(line)


SESSION = pytest.StashKey[WorkspaceSession]()


def _outcome(report: pytest.TestReport) -> str | None:
    xfail = hasattr(report, "wasxfail")
    if report.when == "call":
        if report.passed:
            return "xpassed" if xfail else "passed"
        if report.skipped:
            return "xfailed" if xfail else "skipped"
        return "failed"
    if report.failed:
        return "error"
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    return None


def _marker_range(component: str, text: str) -> Any:
    try:
        return parse_range(text)
    except ValueError as error:
        raise pytest.UsageError(f"workspace({component}={text!r}): {error}") from None


def _unmet(bundle: Bundle, requirements: Sequence[tuple[str, str, Any]]) -> str | None:
    for component, text, specifier in requirements:
        pins = [pin for pin in bundle.pins if component in (pin.component, pin.key)]
        if not pins:
            return f"bundle {bundle.name} has no {component} (test needs {component} {text})"
        for pin in pins:
            if not specifier.contains(pin.version, prereleases=True):
                expanded = render(specifier)
                shown = text if expanded == text else f"{text} ({expanded})"
                return f"bundle {bundle.name} has {pin}, test needs {component} {shown}"
    return None


def _session(config: pytest.Config) -> WorkspaceSession:
    return config.stash[SESSION]


# -- fixtures --------------------------------------------------------------------------------


class WorkspaceEnvFactory:
    """Builds (or reuses) an env for any bundle or combination: the ``workspace_env_factory``
    fixture.

    >>> env = workspace_env_factory("stable-3.2")
    >>> env = workspace_env_factory(combination="core=3.1.5,platform=2.4.8")
    >>> env = workspace_env_factory("lts-3.1", private=True)   # may be changed by the test
    """

    def __init__(self, session: WorkspaceSession, tmp: pytest.TempPathFactory) -> None:
        self._session = session
        self._tmp = tmp

    def __call__(
        self,
        bundle: str | Bundle | None = None,
        *,
        combination: str | None = None,
        extras: Sequence[str] = (),
        private: bool = False,
    ) -> Env:
        session = self._session
        try:
            return self._build(bundle, combination, extras, private)
        except InterpreterNotFound as error:
            problem, skip = str(error), not session.strict
        except WorkspaceError as error:
            problem, skip = str(error), False
        # Outside the handler: the report shows one clean line, no exception chain.
        if skip:
            pytest.skip(problem)
        pytest.fail(problem, pytrace=False)

    def _build(
        self,
        bundle: str | Bundle | None,
        combination: str | None,
        extras: Sequence[str],
        private: bool,
    ) -> Env:
        session = self._session
        if isinstance(bundle, str):
            bundle = session.matrix.bundle(bundle)
        if combination is not None:
            bundle = Bundle(name=combination, pins=session.matrix.combination(combination))
        if bundle is None:
            raise WorkspaceError("workspace_env_factory needs a bundle or a combination")
        if not private:
            return session.env_for(bundle, extras=extras)
        spec = resolve(
            session.matrix,
            pins=bundle.pins,
            label=bundle.name,
            sources=session.sources,
            index=session.index,
            extras=(*session.extras, *extras),
        )
        path = self._tmp.mktemp(f"env-{_UNSAFE.sub('_', bundle.name)}")
        return session.cache.private(spec, path / "env", session.installer_name)


class UpgradeRun:
    """The ``upgrade_path`` fixture: a private env at the source, moved by ``upgrade()``."""

    def __init__(self, path: UpgradePath, env: Env) -> None:
        self.path = path
        self.env = env
        self.id = path.id
        self.from_versions = {pin.key: str(pin.version) for pin in path.source.pins}
        self.to_versions = {pin.key: str(pin.version) for pin in path.target.pins}

    def __repr__(self) -> str:
        return f"<UpgradeRun {self.id}>"

    def upgrade(self) -> Env:
        """Install the target versions in place; returns the env."""
        return self._move(self.path.target.pins, "target")

    def downgrade(self) -> Env:
        """Go back to the source versions in place; returns the env."""
        return self._move(self.path.source.pins, "source")

    def _move(self, pins: Sequence[Pin], end: str) -> Env:
        try:
            return self.env.install(pins, label=f"{self.id} ({end})")
        except WorkspaceError as error:
            problem = str(error)
        pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def workspace_matrix(request: pytest.FixtureRequest) -> Matrix:
    """The loaded, validated compatibility matrix."""
    try:
        return _session(request.config).matrix
    except WorkspaceError as error:
        problem = str(error)
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="session")
def bundle(request: pytest.FixtureRequest) -> Bundle:
    """The bundle this test runs against (parametrized over ``--bundle``)."""
    value = getattr(request, "param", None)
    if not isinstance(value, Bundle):
        pytest.fail("the bundle fixture is parametrized by pytest-workspace only", pytrace=False)
    return value


@pytest.fixture(scope="session")
def workspace_env_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> WorkspaceEnvFactory:
    """Build an env for any bundle or combination."""
    return WorkspaceEnvFactory(_session(request.config), tmp_path_factory)


@pytest.fixture(scope="session")
def bundle_env(bundle: Bundle, workspace_env_factory: WorkspaceEnvFactory) -> Env:
    """The bundle's env, shared read-only by every test of the bundle (and every worker)."""
    return workspace_env_factory(bundle)


@pytest.fixture
def upgrade_path(
    request: pytest.FixtureRequest, workspace_env_factory: WorkspaceEnvFactory
) -> UpgradeRun:
    """A private env at the source end of the path; ``upgrade()`` moves it to the target."""
    path = getattr(request, "param", None)
    if not isinstance(path, UpgradePath):
        pytest.fail(
            "the upgrade_path fixture is parametrized by pytest-workspace only", pytrace=False
        )
    source = Bundle(name=path.source.label, pins=path.source.pins)
    return UpgradeRun(path, workspace_env_factory(source, private=True))
