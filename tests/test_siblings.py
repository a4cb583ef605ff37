"""Meta-repository mode with real git repositories the tests create, and real envs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_workspace.cli import main
from pytest_workspace.errors import WorkspaceError
from pytest_workspace.meta.config import load_config
from pytest_workspace.meta.state import inspect

from .wheels import add_in_tree_backend

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def project(
    root: Path, name: str, version: str = "1.5.0.dev0", requires: tuple[str, ...] = ()
) -> Path:
    """A git repository holding a buildable (offline, in-tree backend) project."""
    module = name.replace("-", "_")
    (root / "src" / module).mkdir(parents=True)
    (root / "src" / module / "__init__.py").write_text(f"NAME = {name!r}\n")
    deps = "".join(f'"{r}", ' for r in requires)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [build-system]
            requires = []
            build-backend = "backend"
            backend-path = ["."]
            [project]
            name = "{name}"
            version = "{version}"
            requires-python = ">=3.9"
            dependencies = [{deps}]
            """
        )
    )
    add_in_tree_backend(root, name, version, requires)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def snapshot(path: Path) -> dict[str, object]:
    """Everything a tool could have changed: files, HEAD, branch and status."""
    files = {
        str(p.relative_to(path)): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(path).parts
    }
    return {
        "files": files,
        "head": git(path, "rev-parse", "HEAD"),
        "branch": git(path, "branch", "--show-current"),
        "status": git(path, "status", "--porcelain"),
    }


@pytest.fixture
def remotes(tmp_path: Path) -> Path:
    """Upstream repositories of three components."""
    base = tmp_path / "remotes"
    project(base / "core", "pwt-core")
    project(base / "platform", "pwt-platform", requires=("pwt-core>=1",))
    project(base / "plugin", "pwt-plugin-a", requires=("pwt-core>=1",))
    return base


def meta_repo(tmp_path: Path, remotes: Path, names: tuple[str, ...]) -> Path:
    meta = tmp_path / "work" / "meta"
    meta.mkdir(parents=True)
    entries = "".join(
        f'[[siblings]]\nname = "{n}"\npath = "../{n}"\nrepo = "{remotes / n}"\n' for n in names
    )
    (meta / "workspace.toml").write_text(entries)
    git(meta, "init", "-q")
    return meta


def test_configuration_errors_name_file_key_value_and_expectation(tmp_path: Path) -> None:
    config = tmp_path / "wrknv.toml"
    config.write_text('[[siblings]]\nname = "core"\npath = 42\n')
    with pytest.raises(WorkspaceError) as error:
        load_config(start=tmp_path)
    assert str(error.value) == f"{config}: siblings[0].path: expected a non-empty string, got 42"
    # Keys the seed's own tooling writes are warnings in its wrknv.toml, errors in ours.
    config.write_text('[[siblings]]\nname = "core"\nbranch = "main"\n')
    assert load_config(start=tmp_path).warnings == (
        f"{config}: siblings[0].branch is not read by pytest-workspace; ignored",
    )
    ours = tmp_path / "ours" / "workspace.toml"
    ours.parent.mkdir()
    ours.write_text('[[siblings]]\nname = "core"\nbranch = "main"\n')
    with pytest.raises(WorkspaceError, match=r"siblings\[0\]\.branch: expected one of"):
        load_config(ours)
    # The seed's wrknv.toml as written, found from a subdirectory; a local override.
    config.write_text('[[siblings]]\nname = "core"\npath = "../core"\nrepo = "git@h:core.git"\n')
    (tmp_path / "workspace.local.toml").write_text(
        '[[siblings]]\nname = "core"\npath = "/src/core"\n'
    )
    (tmp_path / "sub").mkdir()
    meta = load_config(start=tmp_path / "sub")
    assert meta.file == config
    assert [(s.name, s.path, s.repo) for s in meta.siblings] == [
        ("core", "/src/core", "git@h:core.git")
    ]
    (tmp_path / "workspace.local.toml").write_text('[[siblings]]\nname = "cor"\npath = "x"\n')
    with pytest.raises(WorkspaceError, match=r"name: expected a sibling of wrknv\.toml, got 'cor'"):
        load_config(start=tmp_path)


@pytest.mark.parametrize(
    ("repo", "expected"),
    [
        ("--upload-pack=touch PLANTED", "a repository URL or path, not a git option"),
        ("-c core.sshCommand=touch PLANTED", "a repository URL or path, not a git option"),
        ("ext::sh -c touch% PLANTED", "a repository URL or path (git's transport::address"),
        ("gopher://host/core", "a repository URL with one of the schemes https, http, ssh"),
        (" ../core", "a repository URL or path without spaces around it"),
    ],
)
def test_a_repo_that_is_no_repository_is_refused_before_git_sees_it(
    tmp_path: Path, repo: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Went to `git clone` unchecked and without `--`: --upload-pack=... was a git option.
    meta = tmp_path / "meta"
    meta.mkdir()
    git(meta, "init", "-q")
    (meta / "workspace.toml").write_text(f'[[siblings]]\nname = "core"\nrepo = "{repo}"\n')
    assert main(["workspace", "bootstrap", "--config", str(meta / "workspace.toml")]) == 2
    err = capsys.readouterr().err
    assert f"siblings[0].repo: expected {expected}" in err
    assert "Traceback" not in err
    assert not list(tmp_path.rglob("PLANTED"))
    assert not (tmp_path / "core").exists()


def test_a_ref_that_is_a_git_option_is_refused(tmp_path: Path, remotes: Path) -> None:
    meta = meta_repo(tmp_path, remotes, ("core",))
    argv = ["workspace", "bootstrap", "--config", str(meta / "workspace.toml")]
    assert main([*argv, "--ref", "core=--upload-pack=touch PLANTED"]) == 2
    assert not list(tmp_path.rglob("PLANTED"))
    assert not (tmp_path / "work" / "core").exists()


def test_git_gets_the_repository_after_the_options_end(tmp_path: Path) -> None:
    # Even past the configuration's check, a value git reads as an option is refused.
    from pytest_workspace.meta.git import GitError, clone

    with pytest.raises(GitError, match="not a git option"):
        clone("--upload-pack=touch PLANTED", tmp_path / "core")
    assert not list(tmp_path.rglob("PLANTED"))


def test_bootstrap_never_writes_through_a_link_it_did_not_create(
    tmp_path: Path, remotes: Path
) -> None:
    # A link planted at .pytest-workspace/.gitignore: the file it pointed at lost its
    # contents (bootstrap wrote "*" through it).
    meta = meta_repo(tmp_path, remotes, ("core",))
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    (meta / ".pytest-workspace").mkdir()
    (meta / ".pytest-workspace" / ".gitignore").symlink_to(victim)
    assert main(["workspace", "bootstrap", "--config", str(meta / "workspace.toml")]) == 0
    assert victim.read_text() == "keep me\n"
    assert (meta / ".pytest-workspace" / ".gitignore").is_symlink()
    assert json.loads((meta / ".pytest-workspace" / "siblings.json").read_text())["core"]


def test_bootstrap_clones_only_the_missing_and_touches_nothing_else(
    tmp_path: Path, remotes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = meta_repo(tmp_path, remotes, ("core", "platform", "plugin", "tools"))
    work = meta.parent
    # platform: a clone with uncommitted work; plugin: a clone on another branch;
    # tools: a symlink to a checkout elsewhere.
    git(work, "clone", "-q", str(remotes / "platform"), "platform")
    (work / "platform" / "src" / "pwt_platform" / "__init__.py").write_text("EDITED = 1\n")
    git(work, "clone", "-q", str(remotes / "plugin"), "plugin")
    git(work / "plugin", "checkout", "-q", "-b", "feature")
    elsewhere = project(tmp_path / "elsewhere" / "tools", "pwt-tools")
    (work / "tools").symlink_to(elsewhere)
    before = {name: snapshot(work / name) for name in ("platform", "plugin", "tools")}

    assert (
        main(["workspace", "bootstrap", "--update", "--config", str(meta / "workspace.toml")]) == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("core             cloned: ")
    assert out[1:] == [
        "platform         skipped: uncommitted changes",
        "plugin           skipped: branch feature tracks no upstream",
        "tools            skipped: a symlink (used for installs only, never written through)",
    ]
    assert (work / "core" / "pyproject.toml").is_file()
    assert {name: snapshot(work / name) for name in before} == before
    # CI: a dirty sibling fails the job.
    argv = ["workspace", "bootstrap", "--fail-if-dirty", "--config", str(meta / "workspace.toml")]
    assert main(argv) == 1
    assert capsys.readouterr().err == "dirty siblings: platform\n"
    assert {name: snapshot(work / name) for name in before} == before


def test_bootstrap_update_fast_forwards_a_clean_tracking_checkout(
    tmp_path: Path, remotes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = meta_repo(tmp_path, remotes, ("core",))
    config = str(meta / "workspace.toml")
    assert main(["workspace", "bootstrap", "--config", config]) == 0
    (remotes / "core" / "NEWS").write_text("news\n")
    git(remotes / "core", "add", "NEWS")
    git(remotes / "core", "commit", "-q", "-m", "news")
    capsys.readouterr()
    assert main(["workspace", "bootstrap", "--update", "--config", config]) == 0
    assert "core             updated: main: " in capsys.readouterr().out
    assert (meta.parent / "core" / "NEWS").read_text() == "news\n"


def test_each_sibling_gets_its_own_result_and_the_exit_code_sums_them_up(
    tmp_path: Path, remotes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One git failure stopped all of bootstrap, and nothing said what was already done.
    meta = meta_repo(tmp_path, remotes, ("core", "platform", "plugin"))
    config = str(meta / "workspace.toml")
    assert main(["workspace", "bootstrap", "--config", config, "--ref", "core=no-such"]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("core             failed: git clone")
    assert "no-such" in lines[0]
    assert lines[1].startswith("platform         cloned: ")
    assert lines[2].startswith("plugin           cloned: ")
    assert captured.err == "failed: core\n"
    # Upstream force-pushed: "not possible to fast-forward" is that sibling's skip.
    assert main(["workspace", "bootstrap", "--config", config]) == 0
    git(remotes / "platform", "commit", "-q", "--amend", "-m", "rewritten")
    (remotes / "plugin").rename(tmp_path / "plugin-gone")  # unreachable
    capsys.readouterr()
    assert main(["workspace", "bootstrap", "--update", "--config", config]) == 1
    out = capsys.readouterr().out
    assert "core             updated: main: up to date" in out
    assert "platform         skipped: diverged from origin/main; not fast-forwarded" in out
    assert "plugin           failed: git fetch" in out


def test_a_bootstrap_waits_for_the_one_running_in_its_meta_repository(
    tmp_path: Path, remotes: Path
) -> None:
    # Three at once gave a raw "git clone ... already exists" (exit 2) and wrong states;
    # two setups at once, a traceback. One at a time per meta-repository now.
    from pytest_workspace.meta.actions import serialised

    meta = meta_repo(tmp_path, remotes, ("core", "platform"))
    argv = [sys.executable, "-m", "pytest_workspace", "workspace", "bootstrap"]
    argv += ["--config", str(meta / "workspace.toml")]
    with serialised(load_config(meta / "workspace.toml")):
        run = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert run.stderr is not None
        assert run.stderr.readline() == f"waiting for another bootstrap in {meta}\n"
        assert not (tmp_path / "work" / "core").exists()
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert [line.split()[1] for line in out.splitlines()] == ["cloned:", "cloned:"]


def test_refs_for_ci_jobs_and_relative_repos(
    tmp_path: Path,
    remotes: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ci-matrix --sibling-refs` hands each job the refs that `bootstrap --ref` takes;
    a `../` repo is relative to the configuration file, wherever the command runs."""
    git(remotes / "core", "branch", "feature-x")
    git(remotes / "platform", "branch", "feature-x")
    meta = tmp_path / "remotes" / "meta"
    meta.mkdir()
    (meta / "workspace.toml").write_text(
        '[[siblings]]\nname = "core"\npath = "../../work/core"\nrepo = "../core"\n'
        'ref = "main"\n'
        '[[siblings]]\nname = "platform"\npath = "../../work/platform"\nrepo = "../platform"\n'
    )
    (meta / "versions.toml").write_text(
        '[bundles.b1]\ncore = "1.0.0"\n[bundles.b2]\ncore = "1.1.0"\n'
    )
    config = str(meta / "workspace.toml")
    argv = ["ci-matrix", "--matrix", str(meta / "versions.toml"), "--config", config]
    assert main([*argv, "--sibling-refs"]) == 0
    jobs = json.loads(capsys.readouterr().out)["include"]
    assert [job["sibling_refs"] for job in jobs] == ["core=main", "core=main"]
    assert main([*argv, "--sibling-refs", "--ref", "core=feature-x,platform=feature-x"]) == 0
    refs = json.loads(capsys.readouterr().out)["include"][0]["sibling_refs"]
    assert refs == "core=feature-x,platform=feature-x"
    assert main([*argv, "--sibling-refs", "--ref", "tools=x"]) == 2
    assert "unknown sibling 'tools'; known: core, platform" in capsys.readouterr().err
    assert main([*argv, "--ref", "core=x"]) == 2
    assert "--ref needs --sibling-refs" in capsys.readouterr().err

    monkeypatch.chdir(tmp_path)
    assert main(["workspace", "bootstrap", "--config", config, "--ref", refs]) == 0
    out = capsys.readouterr().out
    assert f"cloned: {remotes / 'core'} at feature-x into {tmp_path / 'work' / 'core'}" in out
    for name in ("core", "platform"):
        assert git(tmp_path / "work" / name, "branch", "--show-current") == "feature-x"
    assert all(state.remote_matches for state in inspect(load_config(Path(config))))
    assert main(["workspace", "bootstrap", "--config", config, "--ref", "core="]) == 2
    assert "--ref 'core=': expected NAME=BRANCH or BRANCH" in capsys.readouterr().err


def test_never_rules(tmp_path: Path, remotes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = meta_repo(tmp_path, remotes, ("core", "platform", "plugin"))
    work = meta.parent
    lines = (meta / "workspace.toml").read_text()
    # a plain directory inside the meta-repository (git would act on the meta-repo);
    # a dangling link; a link into the meta-repository; two siblings on one checkout;
    # a checkout of another remote where core should go; a detached HEAD with commits.
    (meta / "inside").mkdir()
    (meta / "inside" / "file").write_text("x")
    (work / "dangling").symlink_to(work / "nowhere")
    (work / "loop").symlink_to(meta)
    git(work, "clone", "-q", str(remotes / "platform"), "core")
    git(work, "clone", "-q", str(remotes / "plugin"), "plugin")
    git(work / "plugin", "checkout", "-q", "--detach")
    (work / "plugin" / "LOCAL").write_text("work\n")
    git(work / "plugin", "add", "LOCAL")
    git(work / "plugin", "commit", "-q", "-m", "local work")
    (meta / "workspace.toml").write_text(
        lines
        + '[[siblings]]\nname = "inside"\npath = "inside"\nrepo = "x"\n'
        + '[[siblings]]\nname = "dangling"\npath = "../dangling"\nrepo = "x"\n'
        + '[[siblings]]\nname = "loop"\npath = "../loop"\nrepo = "x"\n'
        + '[[siblings]]\nname = "again"\npath = "../core"\nrepo = "x"\n'
    )
    before = {name: snapshot(work / name) for name in ("core", "plugin")}
    meta_status = git(meta, "status", "--porcelain")
    assert (
        main(["workspace", "bootstrap", "--update", "--config", str(meta / "workspace.toml")]) == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out == [
        out[0],  # core
        out[1],  # platform: cloned
        "plugin           skipped: detached HEAD with commits no branch holds",
        "inside           skipped: not its own git top level",
        "dangling         refused: a dangling or looping symlink",
        "loop             skipped: a symlink into the meta-repository",
        "again            skipped: the same checkout as sibling 'core'",
    ]
    assert out[0] == f"core             skipped: its origin is not {remotes / 'core'}"
    assert out[1].startswith("platform         cloned: ")
    assert {name: snapshot(work / name) for name in before} == before
    assert (meta / "inside" / "file").read_text() == "x"
    assert git(meta, "status", "--porcelain") == meta_status
    # A sibling removed from the configuration is reported, never deleted.
    (meta / "workspace.toml").write_text(
        lines.replace('name = "platform"', 'name = "gone"').replace("../platform", "../gone")
    )
    capsys.readouterr()
    main(["workspace", "bootstrap", "--config", str(meta / "workspace.toml")])
    assert "platform         not listed: " in capsys.readouterr().out
    assert (work / "platform" / "pyproject.toml").is_file()


def test_setup_validate_and_order(
    tmp_path: Path, remotes: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = meta_repo(tmp_path, remotes, ("platform", "core"))
    (meta / "versions.toml").write_text(
        textwrap.dedent(
            f"""
            [components.core]
            package = "pwt-core"
            [components.platform]
            package = "pwt-platform"
            [components.plugin]
            package = "pwt-plugin-a"
            [index]
            find-links = ["{wheelhouse}"]
            [bundles.b]
            core = "1.1.0"
            platform = "1.1.0"
            plugin = "0.2.0"
            """
        )
    )
    config = str(meta / "workspace.toml")
    assert main(["workspace", "bootstrap", "--config", config]) == 0
    capsys.readouterr()
    assert main(["workspace", "order", "--config", config]) == 0
    assert capsys.readouterr().out == "core\nplatform\n"
    argv = ["workspace", "setup", "--bundle", "b", "--offline", "--config", config]
    assert main(argv) == 0, capsys.readouterr()
    out = capsys.readouterr().out.splitlines()
    assert out[-3:] == [
        f"platform         editable: pwt-platform from {meta.parent / 'platform'}",
        f"core             editable: pwt-core from {meta.parent / 'core'}",
        str(meta / ".venv"),
    ]
    constraints = (meta / ".venv" / "pytest-workspace-constraints.txt").read_text()
    assert constraints == "pwt-plugin-a==0.2.0\n"  # the siblings' own pins are left out
    assert main(["workspace", "validate", "--config", config]) == 0
    assert capsys.readouterr().out == f"{meta / '.venv'}: 0 findings\n"
    # A sibling that does not import is named as the first failure, in dependency order.
    (meta.parent / "core" / "src" / "pwt_core" / "__init__.py").write_text("import nope\n")
    assert main(["workspace", "validate", "--config", config]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "error: core: import pwt_core failed (the first failure): "
        "ModuleNotFoundError: No module named 'nope'"
    )
    # A dependency cycle is a finding.
    pyproject = meta.parent / "core" / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("dependencies = []", 'dependencies = ["pwt-platform"]')
    )
    assert main(["workspace", "order", "--config", config]) == 1
    assert "error: dependency cycle: " in capsys.readouterr().err


def test_status(tmp_path: Path, remotes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = meta_repo(tmp_path, remotes, ("core", "platform"))
    # The matrix the meta-repository's pytest configuration names is the one used.
    (meta / "matrix").mkdir()
    (meta / "matrix" / "m.toml").write_text(
        '[components.core]\npackage = "pwt-core"\n[bundles.b]\ncore = "1.1.0"\n'
    )
    (meta / "pytest.ini").write_text("[pytest]\nworkspace_matrix = matrix/m.toml\n")
    config = str(meta / "workspace.toml")
    git(meta.parent, "clone", "-q", str(remotes / "core"), "core")
    assert main(["workspace", "status", "--bundle", "b", "--json", "--config", config]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)["siblings"]}
    assert rows["platform"]["present"] is False
    core = rows["core"]
    assert (core["branch"], core["dirty"], core["remote_matches"], core["toplevel"]) == (
        "main",
        False,
        True,
        True,
    )
    assert (core["distribution"], core["version"], core["pin"], core["swapped_in"]) == (
        "pwt-core",
        "1.5.0.dev0",
        "1.1.0",
        True,
    )
    states = inspect(load_config(start=meta))
    assert [s.usable for s in states] == [True, False]


SIBLING_TEST = """
def test_sees_the_sibling_checkout(bundle_env):
    code = "import pwt_core, importlib.metadata as m; "
    code += "print(pwt_core.NAME, m.version('pwt-platform'))"
    print("SEEN", bundle_env.run_python(code).stdout.strip())
    print("KEY", bundle_env.key)
"""


NO_GIT_IN_WORKERS = """
import pytest_workspace.meta.state


def pytest_configure(config):
    if hasattr(config, "workerinput"):
        def refuse(path):
            raise AssertionError("a worker asked git about " + str(path))

        pytest_workspace.meta.state.checkout_summary = refuse
"""


def test_pytest_swaps_in_the_siblings(
    pytester: pytest.Pytester, tmp_path: Path, remotes: Path, wheelhouse: Path, plugin_cache: Path
) -> None:
    meta = meta_repo(tmp_path, remotes, ("core",))
    assert main(["workspace", "bootstrap", "--config", str(meta / "workspace.toml")]) == 0
    (meta / "versions.toml").write_text(
        textwrap.dedent(
            f"""
            [components.core]
            package = "pwt-core"
            [components.platform]
            package = "pwt-platform"
            [index]
            find-links = ["{wheelhouse}"]
            [bundles.b]
            core = "1.1.0"
            platform = "1.1.0"
            """
        )
    )
    (meta / "test_siblings_seen.py").write_text(SIBLING_TEST)
    core = meta.parent / "core"
    (core / "src" / "pwt_core" / "__init__.py").write_text("NAME = 'edited'\n")

    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"

    argv = (
        f"--workspace-report={report}",
        f"--junitxml={junit}",
        "-p",
        "no:cacheprovider",
        f"--workspace-cache={plugin_cache}",
        "--workspace-offline",
        f"--rootdir={meta}",
        str(meta / "test_siblings_seen.py"),
        "--bundle=b",
        "--workspace-siblings=auto",
    )

    def run() -> tuple[str, str]:
        result = pytester.runpytest_subprocess(*argv, "-s")
        result.assert_outcomes(passed=1)
        commit = git(core, "rev-parse", "--short", "HEAD")
        line = f"workspace: core from local checkout {core} (editable; main {commit}, dirty)"
        result.stdout.fnmatch_lines([line])
        text = result.stdout.str()
        seen = re.search(r"SEEN .*", text)
        key = re.search(r"KEY .*", text)
        assert seen is not None, text
        assert key is not None, text
        return seen.group(), key.group()

    seen, key = run()
    assert seen == "SEEN edited 1.1.0"  # the checkout's edited code, the bundle's platform
    commit = git(core, "rev-parse", "--short", "HEAD")
    summary = {"path": str(core), "branch": "main", "commit": commit, "dirty": True}
    assert json.loads(report.read_text())["sources"] == {"core": summary}
    assert f'name="workspace_sources" value="core={core} (main {commit}, dirty)"' in (
        junit.read_text()
    )
    assert run() == (seen, key)  # reused
    # Under xdist the controller asks git once and hands the answer to the workers.
    (meta / "conftest.py").write_text(NO_GIT_IN_WORKERS)
    junit.unlink()
    pytester.runpytest_subprocess(*argv, "-n", "2").assert_outcomes(passed=1)
    assert f'name="workspace_sources" value="core={core} (main {commit}, dirty)"' in (
        junit.read_text()
    )
    (meta / "conftest.py").unlink()
    pyproject = core / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('requires-python = ">=3.9"', 'requires-python = ">=3.8"')
    )
    assert run()[1] != key  # its packaging metadata changed: another env


def test_validate_and_setup_name_what_is_missing(
    tmp_path: Path, remotes: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = meta_repo(tmp_path, remotes, ("core", "platform"))
    (meta / "versions.toml").write_text(
        f'[index]\nfind-links = ["{wheelhouse}"]\n[bundles.b]\npwt-core = "1.1.0"\n'
    )
    config = str(meta / "workspace.toml")
    assert main(["workspace", "bootstrap", "--config", config]) == 0
    assert main(["workspace", "setup", "--offline", "--config", config]) == 0
    assert main(["workspace", "validate", "--config", config]) == 0
    capsys.readouterr()
    # A sibling moved away: validate said "0 findings" while the env could not import it.
    core = meta.parent / "core"
    core.rename(meta.parent / "core-elsewhere")
    assert main(["workspace", "validate", "--config", config]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        f"error: core: missing ({core}); run pytest-workspace workspace bootstrap",
        f"error: pwt-core is installed editable from {core}, which no longer exists",
    ]
    assert out[-1] == f"{meta / '.venv'}: 2 findings"
    # setup exited 0 and left that dangling install; now it refuses, unless told.
    assert main(["workspace", "setup", "--offline", "--config", config]) == 2
    assert capsys.readouterr().err == (
        f"pytest-workspace: error: missing sibling: core ({core}); run pytest-workspace "
        "workspace bootstrap, or pass --allow-missing to set up without\n"
    )
    argv = ["workspace", "setup", "--offline", "--allow-missing", "--config", config]
    assert main(argv) == 0
    assert f"core             missing: {core}; run workspace bootstrap" in capsys.readouterr().out


def test_validate_checks_a_version_only_the_build_knows(
    tmp_path: Path, remotes: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # As with setuptools-scm or hatch-vcs: pyproject.toml says "dynamic", git tags say the
    # version; the check against the matrix was skipped without a word.
    core = remotes / "core"
    pyproject = core / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('version = "1.5.0.dev0"', 'dynamic = ["version"]')
    )
    add_in_tree_backend(core, "pwt-core", "2.0.0")  # what the build (the tags) would say
    git(core, "commit", "-q", "-am", "version from the build")
    meta = meta_repo(tmp_path, remotes, ("core", "platform"))
    (meta / "versions.toml").write_text(
        textwrap.dedent(
            f"""
            [components.core]
            package = "pwt-core"
            [components.platform]
            package = "pwt-platform"
            [compatibility.core]
            "2.0.0" = {{ platform = ">=9" }}
            [index]
            find-links = ["{wheelhouse}"]
            """
        )
    )
    config = str(meta / "workspace.toml")
    assert main(["workspace", "bootstrap", "--config", config]) == 0
    assert main(["workspace", "setup", "--offline", "--config", config]) == 0
    capsys.readouterr()
    assert main(["workspace", "validate", "--config", config]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "error: checkout versions: platform 1.5.0.dev0 does not satisfy "
        'compatibility.core."2.0.0": platform = ">=9" (needs >=9) required by core 2.0.0'
    )


def test_bootstrap_some_siblings_on_a_branch_that_spans_some_repositories(
    tmp_path: Path, remotes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(remotes / "core", "branch", "feature-x")  # the change spans core only
    meta = meta_repo(tmp_path, remotes, ("core", "platform", "plugin"))
    config = str(meta / "workspace.toml")
    # ci-matrix asks each repository once, so every job checks out the same refs.
    argv = ["ci-matrix", "--matrix", str(meta / "versions.toml"), "--config", config]
    (meta / "versions.toml").write_text('[bundles.b]\ncore = "1.0.0"\n')
    assert main([*argv, "--sibling-refs", "--ref", "feature-x"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["include"][0]["sibling_refs"] == "core=feature-x"
    assert "note: platform has no branch feature-x: its default branch" in captured.err
    # Clone what you need: plugin is neither cloned nor reported.
    boot = ["workspace", "bootstrap", "--config", config, "--ref", "feature-x"]
    assert main([*boot, "core", "platform"]) == 0
    lines = capsys.readouterr().out.splitlines()
    work = tmp_path / "work"
    assert lines == [
        f"core             cloned: {remotes / 'core'} at feature-x into {work / 'core'}",
        f"platform         cloned: {remotes / 'platform'} into {work / 'platform'} "
        "(feature-x is not in its repository: its default branch)",
    ]
    assert git(work / "core", "branch", "--show-current") == "feature-x"
    assert git(work / "platform", "branch", "--show-current") == "main"
    assert not (work / "plugin").exists()
    assert main([*boot, "tools"]) == 2
    assert "unknown sibling 'tools'; known: core, platform, plugin" in capsys.readouterr().err


def test_a_git_failure_says_its_cause_not_its_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # git ends with "Please make sure you have the correct access rights / and the
    # repository exists."; only that last line was kept.
    plain = tmp_path / "plain"
    plain.mkdir()
    meta = tmp_path / "work" / "meta"
    meta.mkdir(parents=True)
    (meta / "workspace.toml").write_text(f'[[siblings]]\nname = "core"\nrepo = "file://{plain}"\n')
    assert main(["workspace", "bootstrap", "--config", str(meta / "workspace.toml")]) == 1
    line = capsys.readouterr().out.strip()
    assert f"fatal: '{plain}' does not appear to be a git repository" in line
    assert "access rights" not in line
    assert "and the repository exists" not in line


def test_a_sibling_finds_its_meta_repository(
    tmp_path: Path,
    remotes: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    meta = meta_repo(tmp_path, remotes, ("core", "platform"))
    assert main(["workspace", "bootstrap", "--config", str(meta / "workspace.toml")]) == 0
    capsys.readouterr()
    # From inside a sibling checkout (no configuration above it): the one beside it
    # that lists this checkout.
    inside = tmp_path / "work" / "core" / "src"
    monkeypatch.chdir(inside)
    assert main(["workspace", "status"]) == 0
    assert capsys.readouterr().out.startswith(f"{meta / 'workspace.toml'}: 2 siblings")
    # Elsewhere, $PYTEST_WORKSPACE_META names it.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["workspace", "status"]) == 2
    assert "no workspace.toml or wrknv.toml found" in capsys.readouterr().err
    monkeypatch.setenv("PYTEST_WORKSPACE_META", str(meta))
    assert main(["workspace", "status"]) == 0
    assert capsys.readouterr().out.startswith(f"{meta / 'workspace.toml'}: 2 siblings")


def test_seed_settings_warnings_and_what_status_shows(
    tmp_path: Path, remotes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = tmp_path / "work" / "meta"
    meta.mkdir(parents=True)
    # A version from git tags (setuptools-scm, hatch-vcs): no version in pyproject.toml.
    tagged = remotes / "core" / "pyproject.toml"
    tagged.write_text(tagged.read_text().replace('version = "1.5.0.dev0"', 'dynamic = ["version"]'))
    git(remotes / "core", "commit", "-qam", "version from tags")
    git(remotes / "core", "tag", "v2.0.0")
    (meta / "wrknv.toml").write_text(
        "[global_standards]\n"
        'python_version = "3.11"\n'
        "[workspace]\n"
        'venv = "envs/shared"\n'
        'bundle = "b"\n'
        "[[siblings]]\n"
        f'name = "core"\nrepo = "{remotes / "core"}"\ntype = "foundation"\n'
        "[[siblings]]\n"
        'name = "notes"\npath = "notes"\n'
    )
    (meta / "notes").mkdir()  # inside the meta-repository: never asked of git
    loaded = load_config(meta / "wrknv.toml")
    assert (loaded.venv, loaded.python, loaded.bundle) == ("envs/shared", "3.11", "b")
    assert loaded.warnings == (
        f"{meta / 'wrknv.toml'}: siblings[0].type is not read by pytest-workspace; ignored",
    )
    (meta / "versions.toml").write_text(
        '[components.core]\npackage = "pwt-core"\n[bundles.b]\ncore = "1.1.0"\n'
    )
    config = ["--config", str(meta / "wrknv.toml")]
    assert main(["workspace", "bootstrap", *config]) == 0
    capsys.readouterr()
    (meta / "workspace.toml").write_text('[[siblings]]\nname = "core"\n')
    assert main(["workspace", "status", *config]) == 0
    captured = capsys.readouterr()
    assert f"warning: {meta / 'workspace.toml'} is ignored: wrknv.toml beside it is read" in (
        captured.err
    )
    lines = captured.out.splitlines()
    assert "pwt-core from git tag v2.0.0, bundle pins 1.1.0" in lines[1]  # the default bundle
    assert lines[2] == f"  notes          {meta / 'notes'}: not its own git top level"


OTHER_PYTHON = Path("/usr/bin/python3.11")


def _other_version() -> str | None:
    if not OTHER_PYTHON.exists() or OTHER_PYTHON.resolve() == Path(sys._base_executable).resolve():  # type: ignore[attr-defined]
        return None
    done = subprocess.run(
        [str(OTHER_PYTHON), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


@pytest.mark.skipif(
    _other_version() is None, reason=f"needs a second interpreter at {OTHER_PYTHON}"
)
def test_setup_builds_on_the_bundles_python(
    tmp_path: Path,
    remotes: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    version = _other_version()
    assert version is not None
    on_path = tmp_path / "bin"
    on_path.mkdir()
    (on_path / f"python{version}").symlink_to(OTHER_PYTHON)
    monkeypatch.setenv("PATH", f"{on_path}{os.pathsep}{os.environ['PATH']}")
    meta = meta_repo(tmp_path, remotes, ("core",))
    (meta / "versions.toml").write_text(
        f'[components.core]\npackage = "pwt-core"\n[bundles.b]\npython = "{version}"\n'
        'core = "1.1.0"\n'
    )
    config = ["--config", str(meta / "workspace.toml")]
    assert main(["workspace", "bootstrap", *config]) == 0
    capsys.readouterr()
    # `env b` builds on the bundle's Python; `setup --bundle b` made the running one.
    assert main(["workspace", "setup", "--bundle", "b", "--offline", *config]) == 0, (
        capsys.readouterr()
    )
    assert f"env              created: {meta / '.venv'} (Python {version})" in (
        capsys.readouterr().out
    )
    cfg = (meta / ".venv" / "pyvenv.cfg").read_text()
    assert re.search(rf"^version_info = {re.escape(version)}", cfg, re.MULTILINE), cfg
    running = ".".join(map(str, sys.version_info[:3]))
    assert main(["workspace", "setup", "--python", running, "--offline", *config]) == 2
    assert f"has Python {version}, not {running}; remove it" in capsys.readouterr().err


def forge_environ(remotes: Path) -> dict[str, str]:
    """https://github.com/example/NAME reaches the test's repositories (git's own URL
    rewriting, as a forge mirror would be configured)."""
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{remotes}/.insteadOf",
        "GIT_CONFIG_VALUE_0": "https://github.com/example/",
    }


def test_depends_on_trailers_check_out_unmerged_changes_together(
    tmp_path: Path,
    remotes: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A bare forge, as a hosting service keeps repositories: an unmerged pull request
    # in core (refs/pull/12/head, no branch) and a branch in platform.
    forge = tmp_path / "forge"
    for name in ("core", "platform"):
        git(tmp_path, "clone", "-q", "--bare", str(remotes / name), str(forge / name))
    for name, value in forge_environ(forge).items():
        monkeypatch.setenv(name, value)
    core = remotes / "core"
    git(core, "checkout", "-q", "-b", "fix")
    (core / "FIX").write_text("the change\n")
    git(core, "add", "FIX")
    git(core, "commit", "-q", "-m", "fix")
    git(core, "push", "-q", str(forge / "core"), "HEAD:refs/pull/12/head")
    git(core, "checkout", "-q", "main")
    git(remotes / "platform", "push", "-q", str(forge / "platform"), "HEAD:refs/heads/feature-y")
    meta = tmp_path / "work" / "meta"
    meta.mkdir(parents=True)
    (meta / "workspace.toml").write_text(
        '[[siblings]]\nname = "core"\nrepo = "https://github.com/example/core"\n'
        '[[siblings]]\nname = "platform"\nrepo = "https://github.com/example/platform"\n'
    )
    config = ["--config", str(meta / "workspace.toml")]
    message = tmp_path / "message.txt"
    message.write_text(
        "Use the new API\n\n"
        "Depends-On: https://github.com/example/core.git/pull/12\n"
        "Depends-On: platform feature-y\n"
    )
    assert main(["workspace", "bootstrap", *config, "--depends-on", f"@{message}"]) == 0
    out = capsys.readouterr().out
    assert "at Depends-On refs/pull/12/head" in out
    assert "at Depends-On feature-y" in out
    work = tmp_path / "work"
    assert (work / "core" / "FIX").read_text() == "the change\n"
    assert main(["workspace", "status", *config]) == 0
    assert "(Depends-On refs/pull/12/head)" in capsys.readouterr().out
    # A clean checkout is moved too; a dirty one never.
    git(work / "core", "checkout", "-q", "main")
    assert main(["workspace", "bootstrap", *config, "--depends-on", f"@{message}"]) == 0
    assert "core             checked out: Depends-On refs/pull/12/head" in capsys.readouterr().out
    (work / "platform" / "NOTES").write_text("mine\n")
    git(work / "platform", "add", "NOTES")
    assert main(["workspace", "bootstrap", *config, "--depends-on", f"@{message}"]) == 0
    assert "platform         skipped: Depends-On feature-y: uncommitted changes" in (
        capsys.readouterr().out
    )
    # CI carries the same refs into each job, and bootstrap --ref takes refs/pull/...
    (meta / "versions.toml").write_text('[bundles.b]\ncore = "1.0.0"\n')
    argv = ["ci-matrix", "--matrix", str(meta / "versions.toml"), *config, "--sibling-refs"]
    assert main([*argv, "--depends-on", f"@{message}"]) == 0
    refs = json.loads(capsys.readouterr().out)["include"][0]["sibling_refs"]
    assert refs == "core=refs/pull/12/head,platform=feature-y"
    elsewhere = tmp_path / "ci" / "meta"
    elsewhere.mkdir(parents=True)
    (elsewhere / "workspace.toml").write_text((meta / "workspace.toml").read_text())
    ci = ["--config", str(elsewhere / "workspace.toml")]
    assert main(["workspace", "bootstrap", *ci, "--ref", refs]) == 0
    assert (tmp_path / "ci" / "core" / "FIX").is_file()
    # A trailer naming no sibling's repository is one line.
    message.write_text("Depends-On: https://github.com/example/other/pull/3\n")
    assert main(["workspace", "bootstrap", *config, "--depends-on", f"@{message}"]) == 2
    assert "https://github.com/example/other is no sibling's repo" in capsys.readouterr().err


def test_gitlab_merge_requests_and_names_with_refs(tmp_path: Path) -> None:
    from pytest_workspace.meta.depends import depends_on

    (tmp_path / "workspace.toml").write_text(
        '[[siblings]]\nname = "core"\nrepo = "https://gitlab.example.com/group/core.git"\n'
    )
    meta = load_config(tmp_path / "workspace.toml")
    text = "x\n\ndepends-on: https://gitlab.example.com/group/core/-/merge_requests/7\n"
    assert depends_on(meta, text) == {"core": "refs/merge-requests/7/head"}
    assert depends_on(meta, "Depends-On: core feature-x") == {"core": "feature-x"}
    with pytest.raises(WorkspaceError, match="unknown sibling 'tools'"):
        depends_on(meta, "Depends-On: tools main")
    with pytest.raises(WorkspaceError, match="expected NAME REF"):
        depends_on(meta, "Depends-On: core")


def test_affected_siblings_and_jobs(
    tmp_path: Path, remotes: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = meta_repo(tmp_path, remotes, ("plugin", "platform", "core"))
    config = ["--config", str(meta / "workspace.toml")]
    assert main(["workspace", "bootstrap", *config]) == 0
    capsys.readouterr()
    # platform and plugin depend on pwt-core: a change in core affects all three.
    assert main(["workspace", "affected", "core", *config]) == 0
    assert capsys.readouterr().out.splitlines() == ["core", "plugin", "platform"]
    assert main(["workspace", "affected", "platform", *config]) == 0
    assert capsys.readouterr().out.splitlines() == ["platform"]
    (meta / "versions.toml").write_text(
        '[bundles.core-only]\ncore = "1.0.0"\n[bundles.with-platform]\ncore = "1.0.0"\n'
        'platform = "1.0.0"\n'
    )
    argv = ["ci-matrix", "--matrix", str(meta / "versions.toml"), *config]
    assert main([*argv, "--affected-by", "platform"]) == 0
    jobs = json.loads(capsys.readouterr().out)["include"]
    assert [job["bundle"] for job in jobs] == ["with-platform"]


def test_a_setup_waits_for_the_one_running_in_its_meta_repository(
    tmp_path: Path, remotes: Path
) -> None:
    # Two setups at once raced one env: the second crashed with a traceback
    # (InstallFailed). One at a time per meta-repository now.
    from pytest_workspace.meta.actions import serialised

    meta = meta_repo(tmp_path, remotes, ("core",))
    config = ["--config", str(meta / "workspace.toml")]
    assert main(["workspace", "bootstrap", *config]) == 0
    argv = [sys.executable, "-m", "pytest_workspace", "workspace", "setup", "--offline", *config]
    with serialised(load_config(meta / "workspace.toml")):
        runs = [
            subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        for run in runs:
            assert run.stderr is not None
            assert run.stderr.readline() == f"waiting for another setup in {meta}\n"
        assert not (meta / ".venv").exists()
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert "Traceback" not in err
        assert out.splitlines()[-1] == str(meta / ".venv")
