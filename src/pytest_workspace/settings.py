"""Every setting, declared once: its pytest option, ini key, CLI flag, environment
variable, type and help. The pytest options (:mod:`.plugin.options`), the command line's
flags (:mod:`.cli.parser`), the layering of values (:meth:`.core.workspace.Settings.layered`)
and the reference page of the docs are generated from :data:`SETTINGS`.

Precedence, for every setting that more than one layer sets: a command-line option (the
pytest option, the CLI flag, a nox or tox argument) > its environment variable > the
pytest configuration's ini key > the matrix's ``[index]`` table > the default. An
explicit variable set for one invocation beats a file checked into the repository.

Imported by every pytest run and CLI start, so it is plain data: no dataclasses, no
typing at run time.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = ["SETTINGS", "Setting", "environment_layer", "setting"]


class Setting:
    """One setting. ``kind`` says how its value is written: ``text``, ``path``,
    ``choice``, ``flag`` (on or off), ``list`` (repeatable option; ini: one item per
    line, or a TOML array) or ``args`` (ini: whitespace-separated)."""

    __slots__ = ("choices", "env", "flag", "help", "ini", "kind", "metavar", "name", "option")

    def __init__(
        self,
        name: str,
        help: str,
        kind: str = "text",
        *,
        option: str | None = None,
        ini: str | None = None,
        flag: str | None = None,
        env: str | None = None,
        choices: tuple[str, ...] = (),
        metavar: str | None = None,
    ) -> None:
        self.name = name
        self.help = help
        self.kind = kind
        self.option = option
        self.ini = ini
        self.flag = flag
        self.env = env
        self.choices = choices
        self.metavar = metavar

    @property
    def dest(self) -> str:
        """The pytest option's ``config.getoption`` name (``--workspace-cache`` is
        ``workspace_cache``)."""
        assert self.option is not None
        return self.option.lstrip("-").replace("-", "_")

    def __repr__(self) -> str:
        return f"Setting({self.name!r})"


#: in the order the docs list them: what a run selects, how it runs, where envs come from
SETTINGS: tuple[Setting, ...] = (
    # -- what a run tests (pytest) ---------------------------------------------------------
    Setting(
        "bundles",
        "run workspace tests against these bundles (names, globs, 'all'; repeatable)",
        "list",
        option="--bundle",
        ini="workspace_bundles",
        metavar="NAME",
    ),
    Setting(
        "combinations",
        "an ad-hoc combination such as core=3.1.5,platform=2.4.8 (repeatable)",
        "list",
        option="--combination",
        metavar="SPEC",
    ),
    Setting(
        "upgrades",
        "upgrade paths for upgrade_path tests: declared ones (ids, globs, 'all') or FROM:TO "
        "between bundles or component@version ends (repeatable)",
        "list",
        option="--upgrade-path",
        ini="workspace_upgrade_paths",
        metavar="FROM:TO",
    ),
    Setting(
        "mode",
        "'isolated' (default): fixtures build bundle envs; 'bundle': run the whole suite "
        "inside each bundle's env (needs pytest-xdist); 'current': check that the running "
        "environment holds the bundle",
        "choice",
        option="--workspace-env",
        ini="workspace_env",
        choices=("isolated", "current", "bundle"),
    ),
    Setting(
        "allow_not_run",
        "a selected bundle or upgrade path in which no test ran does not fail the run (for "
        "suites that gate whole bundles away on purpose)",
        "flag",
        ini="workspace_allow_not_run",
    ),
    Setting(
        "report",
        "write the results (per test, bundle and upgrade path, with verdicts) as JSON",
        "path",
        option="--workspace-report",
        metavar="FILE",
    ),
    Setting(
        "test_extras",
        "whole-suite mode: extras of the project installed with it (e.g. test)",
        "args",
        ini="workspace_test_extras",
    ),
    Setting(
        "test_groups",
        "whole-suite mode: PEP 735 dependency groups of the project to install (e.g. test)",
        "args",
        ini="workspace_test_groups",
    ),
    Setting(
        "test_requirements",
        "whole-suite mode: requirements installed with the project in each bundle's env "
        "(repeatable; the ini: one per line, or several separated by spaces). tox passes "
        "its env's deps here",
        "list",
        option="--workspace-test-requirement",
        ini="workspace_test_requirements",
        metavar="REQ",
    ),
    # -- the matrix and the checkouts ------------------------------------------------------
    Setting(
        "matrix",
        "the matrix file (default: versions.toml, then version-management/versions.toml)",
        "path",
        option="--workspace-matrix",
        ini="workspace_matrix",
        flag="--matrix",
        env="PYTEST_WORKSPACE_MATRIX",
        metavar="PATH",
    ),
    Setting(
        "sources",
        "install COMPONENT from a local checkout instead of its pinned release (repeatable; "
        "'none': test the bundles exactly as released)",
        "list",
        option="--workspace-source",
        ini="workspace_sources",
        flag="--source",
        metavar="COMPONENT=PATH",
    ),
    Setting(
        "siblings",
        "swap in the meta-repository's sibling checkouts (workspace.toml): 'auto' every "
        "present sibling whose component the bundle pins, or a comma list of names",
        option="--workspace-siblings",
        ini="workspace_siblings",
        metavar="auto|NAMES|none",
    ),
    Setting(
        "strict",
        "an invalid --combination or a missing interpreter is an error (pytest's --strict "
        "does the same)",
        "flag",
        option="--workspace-strict",
        flag="--strict",
    ),
    # -- where envs come from ----------------------------------------------------------
    Setting(
        "installer",
        "how envs are built: uv (default when available) or virtualenv + pip",
        "choice",
        option="--workspace-installer",
        ini="workspace_installer",
        flag="--installer",
        choices=("uv", "pip"),
    ),
    Setting(
        "cache",
        "the shared env cache (default: the user cache directory)",
        "path",
        option="--workspace-cache",
        ini="workspace_cache",
        flag="--cache",
        env="PYTEST_WORKSPACE_CACHE",
        metavar="DIR",
    ),
    Setting(
        "rebuild",
        "rebuild envs instead of reusing cached ones (once per run, whatever the workers)",
        "flag",
        option="--workspace-rebuild",
        flag="--rebuild",
    ),
    Setting(
        "find_links",
        "look for packages here (repeatable; replaces the matrix's [index] find-links)",
        "list",
        option="--workspace-find-links",
        ini="workspace_find_links",
        flag="--find-links",
        metavar="DIR|URL",
    ),
    Setting(
        "index_url",
        "the package index (replaces the matrix's [index] url)",
        option="--workspace-index-url",
        ini="workspace_index_url",
        flag="--index-url",
        metavar="URL",
    ),
    Setting(
        "offline",
        "use no package index at all: find-links only",
        "flag",
        option="--workspace-offline",
        ini="workspace_offline",
        flag="--offline",
    ),
    Setting(
        "extras",
        "extra requirements installed in every bundle env (e.g. pytest for bundle_env.pytest());"
        " one per line, or several separated by spaces",
        "list",
        ini="workspace_extras",
    ),
)

_BY_NAME = {entry.name: entry for entry in SETTINGS}


def setting(name: str) -> Setting:
    """The setting called ``name``."""
    return _BY_NAME[name]


def with_env() -> Iterator[Setting]:
    return (entry for entry in SETTINGS if entry.env)


def environment_layer(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings that environment variables set (an empty variable sets nothing)."""
    import os

    environ = os.environ if environ is None else environ
    return {e.name: environ[str(e.env)] for e in with_env() if environ.get(str(e.env))}
