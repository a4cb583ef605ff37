"""Sessions for developing pytest-workspace, and its demo.

``nox -s demo`` (the README's first command) builds the example components and runs the
example suite across every bundle and upgrade path; ``nox -s tests`` is the test suite
that ``.ci/run`` calls.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

# The project's own helpers, imported from the checkout: the interpreter running nox
# has nox (and so packaging) but not pytest-workspace itself.
ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "src"))

from pytest_workspace import nox as workspace  # noqa: E402

EXAMPLE = ROOT / "examples" / "provisioning"
MATRIX = EXAMPLE / "versions.toml"
METAREPO = ROOT / "examples" / "metarepo"

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint"]


#: the oldest pytest that pyproject.toml allows (pytest>=7.4): a bundle may pin it, and
#: the plugin's worker side must run on it (tests/test_suite.py)
OLDEST_PYTEST = "pytest==7.4.4"


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (real uv and pip, self-built wheels, offline), 2 xdist workers."""
    session.install("-e", ".[test]", "pip")
    # The one wheel the suite cannot build itself; fetched here, the tests stay offline.
    # Not session.create_tmp(): it points TMPDIR into this repository, where every
    # pytester project would find our pyproject.toml as its rootdir's configuration.
    oldest = Path(session.cache_dir).resolve() / "oldest-pytest"
    session.run(
        "python",
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--dest",
        str(oldest),
        OLDEST_PYTEST,
    )
    session.run("pytest", "-n", "2", *session.posargs, env={"PWT_OLD_PYTEST_WHEELS": str(oldest)})


#: the ends of the pytest-xdist and execnet range whole-suite mode supports (the adapter's
#: SUPPORTED, src/pytest_workspace/plugin/wholesuite/xdist/session.py)
XDIST_ENDS = {
    "oldest": ["pytest-xdist==3.5.0", "execnet==2.1.1"],
    "newest": ["pytest-xdist<4", "execnet<3"],
}


@nox.session
@nox.parametrize("end", list(XDIST_ENDS))
def xdist(session: nox.Session, end: str) -> None:
    """Whole-suite mode's tests against the oldest and the newest pytest-xdist and
    execnet it supports (the bundles' workers get the same versions)."""
    session.install("-e", ".[test]", *XDIST_ENDS[end])
    session.run("pytest", "-n", "2", "tests/test_suite.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The Sphinx site under docs/ (offline, warnings as errors) into docs/_build/html."""
    session.install("-e", ".[docs]")
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, mypy --strict, and the package's layers (import-linter's contracts)."""
    session.install("-e", ".[dev]")
    paths = ["src", "tests", "benchmarks", "examples", "docs", "noxfile.py"]
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)
    session.run("mypy")
    session.run("lint-imports")


@nox.session
def tox_compat(session: nox.Session) -> None:
    """With a tox older than 4.29 (no tox_extend_envs hook) tox still starts and works;
    our envs just do not appear. Needs the package index for the old tox."""
    session.install("tox==4.28.4", "-e", ".")
    version = session.run("tox", "--version", silent=True)
    if not isinstance(version, str) or "pytest-workspace" not in version:
        session.error(f"our tox plugin is not registered:\n{version}")
    listed = session.run("tox", "l", "-c", str(EXAMPLE / "tox.toml"), silent=True)
    if not isinstance(listed, str) or "py" not in listed or "bundle-" in listed:
        session.error(f"unexpected `tox l` output with tox 4.28:\n{listed}")
    session.log("tox 4.28 starts with pytest-workspace installed; no bundle envs listed")


@nox.session(venv_backend="none")
def build_examples(session: nox.Session) -> None:
    """Build every release of the example components into examples/provisioning/dist."""
    session.run(sys.executable, str(EXAMPLE / "build.py"), external=True)


def _example_session(session: nox.Session) -> None:
    session.install("-e", ".[uv]")
    build_examples(session)


@nox.session
def demo(session: nox.Session) -> None:
    """The example project across all its bundles and upgrade paths, offline."""
    _example_session(session)
    # The users' matrix has a real finding (azure 2.0.0 vs extensions ^1.0): show it.
    session.run("pytest-workspace", "check", "--matrix", str(MATRIX), success_codes=[0, 1])
    session.run(
        "pytest", str(EXAMPLE), "--bundle", "all", "--upgrade-path", "all", *session.posargs
    )


@nox.session
def demo_tox(session: nox.Session) -> None:
    """The same through tox: every bundle and upgrade path env of the example's tox.toml."""
    session.install("-e", ".[tox]", "tox-uv")
    build_examples(session)
    session.run("tox", "run", "-c", str(EXAMPLE / "tox.toml"), "-m", "workspace", *session.posargs)


@nox.session
def demo_workspace(session: nox.Session) -> None:
    """The meta-repository example: a local forge of core and platform, bootstrapped on
    the branch that spans both, one shared env, validated, and tested against stable-3.2."""
    _example_session(session)
    session.run("python", str(METAREPO / "make_repos.py"))
    config = ["--config", str(METAREPO / "meta" / "workspace.toml")]
    refs = "core=count-servers,platform=count-servers"
    session.run("pytest-workspace", "workspace", "bootstrap", "--ref", refs, *config)
    session.run("pytest-workspace", "workspace", "status", "--bundle", "stable-3.2", *config)
    bundle = ["--bundle", "stable-3.2", "--offline"]
    session.run("pytest-workspace", "workspace", "setup", *bundle, *config)
    session.run("pytest-workspace", "workspace", "validate", *config)
    session.run(
        "pytest",
        str(METAREPO / "meta"),
        "--bundle",
        "stable-3.2",
        "--workspace-siblings=auto",
        *session.posargs,
    )


@nox.session
@nox.parametrize("bundle", workspace.bundles(MATRIX))
def integration(session: nox.Session, bundle: str) -> None:
    """The example's integration suite, once per bundle."""
    _example_session(session)
    session.run(
        "pytest", str(EXAMPLE / "tests" / "test_bundles.py"), "--bundle", bundle, *session.posargs
    )


@nox.session
@nox.parametrize("path", workspace.upgrade_paths(MATRIX))
def upgrade(session: nox.Session, path: str) -> None:
    """The example's upgrade suite, once per upgrade path."""
    _example_session(session)
    session.run(
        "pytest",
        str(EXAMPLE / "tests" / "test_upgrades.py"),
        "--upgrade-path",
        path,
        *session.posargs,
    )
