"""The pytest face: options, ini keys, markers; ``pytest --bundle stable-3.2``.

Behaviour lives in :mod:`.workspace` (selection, envs) and :mod:`.results`; the run's
hooks are on :class:`~.session.WorkspaceSession`, the fixtures in :mod:`.fixtures`.
Nothing heavy is imported until a run selects a bundle or an upgrade path, so having
the plugin installed costs a run that selects nothing next to nothing.
"""

from __future__ import annotations

import pytest

# Registered with this module: pytest finds fixtures on the plugin object it loaded.
from .fixtures import (  # noqa: F401
    bundle,
    bundle_env,
    upgrade_path,
    workspace_env_factory,
    workspace_matrix,
)


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
    group.addoption(
        "--workspace-siblings",
        metavar="auto|NAMES|none",
        help="swap in the meta-repository's sibling checkouts (workspace.toml): 'auto' every "
        "present sibling whose component the bundle pins, or a comma list of names",
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
        choices=("isolated", "current", "bundle"),
        default=None,
        help="'isolated' (default): fixtures build bundle envs; 'bundle': run the whole suite "
        "inside each bundle's env (needs pytest-xdist); 'current': verify the running "
        "environment holds the bundle",
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
    parser.addini("workspace_siblings", "auto, a comma list of sibling names, or none")
    parser.addini("workspace_installer", "uv or pip", default=None)
    parser.addini("workspace_cache", "the shared env cache", default=None)
    parser.addini("workspace_find_links", "find-links for packages", type="linelist", default=[])
    parser.addini("workspace_index_url", "the package index", default=None)
    parser.addini("workspace_offline", "use no index", type="bool", default=False)
    parser.addini("workspace_env", "isolated, bundle or current", default=None)
    parser.addini(
        "workspace_allow_not_run",
        "a selected bundle or upgrade path in which no test ran does not fail the run "
        "(for suites that gate whole bundles away on purpose)",
        type="bool",
        default=False,
    )
    parser.addini(
        "workspace_test_extras",
        "whole-suite mode: extras of the project installed with it (e.g. test)",
        type="args",
        default=[],
    )
    parser.addini(
        "workspace_test_groups",
        "whole-suite mode: PEP 735 dependency groups of the project to install (e.g. test)",
        type="args",
        default=[],
    )
    parser.addini(
        "workspace_extras",
        "extra requirements for every bundle env (e.g. pytest)",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    from .markers import register
    from .session import SESSION, WorkspaceSession

    register(config)
    session = WorkspaceSession(config)
    config.stash[SESSION] = session
    config.pluginmanager.register(session, "workspace-session")
    if config.pluginmanager.hasplugin("xdist"):
        from .wholesuite.controller import XdistHooks

        hooks = XdistHooks(session)
        config.pluginmanager.register(hooks, "workspace-xdist")
        if session.workers:
            hooks.start(config)
