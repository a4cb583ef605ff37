from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_workspace.cli import main
from pytest_workspace.envs.cache.manifest import MANIFEST
from pytest_workspace.model.matrix import Matrix

from .helpers import WriteMatrix, run_cli

TODAY = ["--today", "2026-11-21"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_bundles_lists_users_bundles(
    capsys: pytest.CaptureFixture[str], provisioning: Path
) -> None:
    code, out, _ = run(capsys, "bundles", "--matrix", str(provisioning))
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["stable-3.2", "lts-3.1"]
    code, out, _ = run(capsys, "bundles", "--json", "--matrix", str(provisioning))
    assert [bundle["name"] for bundle in json.loads(out)] == ["stable-3.2", "lts-3.1"]
    assert json.loads(out)[1]["pins"] == {
        "core": "3.1.5",
        "platform": "2.4.8",
        "workspace": "1.3.0",
    }


def test_check_users_file(capsys: pytest.CaptureFixture[str], provisioning: Path) -> None:
    code, out, err = run(capsys, "check", "--matrix", str(provisioning), *TODAY)
    p = provisioning
    assert out.splitlines() == [
        f"info: {p}: bundles.stable-3.2: unquoted dotted name; TOML reads "
        '[bundles.stable-3.2] as nested tables, write [bundles."stable-3.2"]',
        f"info: {p}: bundles.lts-3.1: unquoted dotted name; TOML reads "
        '[bundles.lts-3.1] as nested tables, write [bundles."lts-3.1"]',
        # The users' file really disagrees with itself here: core 3.2.1's row asks every
        # extension for ^1.0 while the bundle ships azure 2.0.0 (DESIGN: family members
        # are each checked). See the closing note of issue 2.
        f"error: {p}: bundles.stable-3.2: extensions@azure 2.0.0 does not satisfy "
        'compatibility.core."3.2.1": extensions = "^1.0" (needs >=1.0,<2) required by core 3.2.1',
        f"info: {p}: bundles.lts-3.1: core 3.1.5 uses the row of 3.1.0 "
        '(compatibility.core."3.1.0"), inherited within the 3.1 series',
        f"warning: {p}: bundles.lts-3.1: platform 2.4.8 has no compatibility row "
        "(compatibility.platform lists 2.5.0, 2.5.3)",
        # The 3.1.0 row asks for extensions ^0.9; lts-3.1 ships none, so it is unchecked.
        f'warning: {p}: bundles.lts-3.1: compatibility.core."3.1.0" (core 3.1.5) requires '
        'extensions = "^0.9", but the bundle pins no extensions',
        f"warning: {p}: bundles.lts-3.1: out of support since 2026-09-01 (lts-until)",
        f"{p}: 2 bundles, 0 upgrade paths; 1 error, 3 warnings",
    ]
    assert (code, err) == (1, "")


def test_check_passes_once_azure_is_allowed(
    capsys: pytest.CaptureFixture[str], provisioning: Path
) -> None:
    text = provisioning.read_text().replace('extensions = "^1.0"', 'extensions = ">=1.0,<3"', 1)
    provisioning.write_text(text)
    code, out, _ = run(capsys, "check", "--matrix", str(provisioning), *TODAY)
    assert code == 0
    assert out.splitlines()[-1].endswith("2 bundles, 0 upgrade paths; 0 errors, 3 warnings")
    code, out, _ = run(capsys, "check", "--strict", "--matrix", str(provisioning), *TODAY)
    assert code == 1
    assert out.splitlines()[-1].endswith("0 upgrade paths; 3 errors, 0 warnings")


def test_check_names_bundle_rule_and_value(
    capsys: pytest.CaptureFixture[str], provisioning: Path
) -> None:
    text = provisioning.read_text().replace('platform = "2.5.3"', 'platform = "2.4.8"')
    provisioning.write_text(text)
    code, out, _ = run(capsys, "check", "--matrix", str(provisioning), *TODAY)
    assert code == 1
    assert (
        f"error: {provisioning}: bundles.stable-3.2: platform 2.4.8 does not satisfy "
        'compatibility.core."3.2.1": platform = "^2.5" (needs >=2.5,<3) required by core 3.2.1'
    ) in out.splitlines()


def test_check_json(capsys: pytest.CaptureFixture[str], provisioning: Path) -> None:
    code, out, _ = run(capsys, "check", "--json", "--matrix", str(provisioning), *TODAY)
    document = json.loads(out)
    assert code == 1
    assert document["valid"] is False
    assert (document["errors"], document["warnings"]) == (1, 3)
    assert document["bundles"] == ["stable-3.2", "lts-3.1"]
    assert {
        "level": "warning",
        "key": "bundles.lts-3.1",
        "message": "out of support since 2026-09-01 (lts-until)",
    } in document["notices"]


BAD = [
    pytest.param(
        "[bundles.b]\ncore 3.2.1\n",
        ["{p}:2:6: invalid TOML: Expected '=' after a key in a key/value pair"],
        id="toml-syntax",
    ),
    pytest.param(
        '[releases]\nx = 1\n[bundles.b]\ncore = "1.0"\n',
        [
            "{p}: releases: unknown top-level table; expected one of components, "
            "compatibility, bundles, index, upgrades, publish"
        ],
        id="unknown-table",
    ),
    pytest.param(
        '[compatibility.core]\n"3.2.1" = { platform = "two" }\n',
        [
            '{p}: compatibility.core."3.2.1".platform: expected a caret (^1.2), tilde (~1.2), '
            "wildcard (1.2.*, *) or PEP 440 range (>=1.2,<2), got 'two'"
        ],
        id="bad-range",
    ),
    pytest.param(
        '[bundles."stable-3.2"]\ncore = "3.2.x"\n',
        ["{p}: bundles.stable-3.2.core: expected a PEP 440 version, got '3.2.x'"],
        id="bad-version",
    ),
    pytest.param(
        '[bundles.stable-3.2]\ncore = "3.2.1"\nextensions = ["mongodb@1.2.0", "redis"]\n',
        ["{p}: bundles.stable-3.2.extensions[1]: expected \"name@version\", got 'redis'"],
        id="family-without-at",
    ),
    pytest.param(
        '[bundles.stable-3.2]\nname = "Stable"\ncore = { version = "3.2.1" }\n',
        [
            "{p}: bundles.stable-3.2.core: expected a version string (or a list of "
            '"name@version" for a family), got a table'
        ],
        id="table-value",
    ),
    pytest.param(
        '[bundles.a]\ncore = "1.0"\n[[upgrades]]\nfrom = "a"\nto = "stable-3.3"\n',
        ["{p}: upgrades[0].to: unknown bundle 'stable-3.3'; known: a"],
        id="unknown-upgrade-target",
    ),
    pytest.param(
        '[shipped]\n[compatibility.core]\n"3.x" = {}\n[bundles.a]\ncore = "1.0"\n'
        'ext = ["x"]\n[[upgrades]]\nfrom = "a"\n',
        [
            "{p}: shipped: unknown top-level table; expected one of components, "
            "compatibility, bundles, index, upgrades, publish",
            "{p}: compatibility.core.\"3.x\": expected a PEP 440 version, got '3.x'",
            "{p}: bundles.a.ext[0]: expected \"name@version\", got 'x'",
            "{p}: upgrades[0]: missing 'to'",
        ],
        id="all-problems-at-once",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_input(
    capsys: pytest.CaptureFixture[str], write_matrix: WriteMatrix, text: str, expected: list[str]
) -> None:
    path = write_matrix(text)
    code, out, err = run(capsys, "check", "--matrix", str(path))
    assert code == 2
    assert out.splitlines() == ["error: " + line.format(p=path) for line in expected]
    assert err == ""
    # Every other subcommand reports the same problems on stderr, one line each.
    code, out, err = run(capsys, "bundles", "--matrix", str(path))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "pytest-workspace: error: " + line.format(p=path) for line in expected
    ]


def test_missing_matrix_says_where_it_looked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTEST_WORKSPACE_MATRIX", raising=False)
    code, out, err = run(capsys, "check")
    assert (code, out) == (2, "")
    assert err == (
        f"pytest-workspace: error: no matrix file found; looked for {tmp_path}/versions.toml, "
        f"{tmp_path}/version-management/versions.toml "
        "(pass --matrix PATH or set PYTEST_WORKSPACE_MATRIX)\n"
    )


def test_environment_variable_selects_matrix(
    capsys: pytest.CaptureFixture[str],
    provisioning: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("PYTEST_WORKSPACE_MATRIX", str(provisioning))
    code, out, _ = run(capsys, "ci-matrix")
    assert (code, json.loads(out)) == (0, {"include": PROVISIONING_JOBS})


#: ci-matrix of the users' matrix: one job per bundle, with the tox env that runs it
PROVISIONING_JOBS = [
    {"bundle": "stable-3.2", "tox_env": "bundle-stable-v3.2"},
    {"bundle": "lts-3.1", "tox_env": "bundle-lts-v3.1"},
]


def test_ci_matrix_formats(capsys: pytest.CaptureFixture[str], provisioning: Path) -> None:
    code, out, _ = run(capsys, "ci-matrix", "--format", "github", "--matrix", str(provisioning))
    assert code == 0
    assert json.loads(out) == {"include": PROVISIONING_JOBS}
    code, out, _ = run(capsys, "ci-matrix", "--format", "gitlab", "--matrix", str(provisioning))
    assert out.splitlines() == [
        "parallel:",
        "  matrix:",
        '    - BUNDLE: "stable-3.2"',
        '      TOX_ENV: "bundle-stable-v3.2"',
        '    - BUNDLE: "lts-3.1"',
        '      TOX_ENV: "bundle-lts-v3.1"',
    ]


def test_show(capsys: pytest.CaptureFixture[str], provisioning: Path) -> None:
    code, out, _ = run(capsys, "show", "lts-3.1", "--matrix", str(provisioning))
    assert code == 0
    assert out.splitlines() == [
        "lts-3.1  (LTS 3.1 Bundle)",
        "  released: 2025-09-01",
        "  lts until: 2026-09-01",
        "pins:",
        "  core       3.1.5      core==3.1.5",
        "  platform   2.4.8      platform==2.4.8",
        "  workspace  1.3.0      workspace==1.3.0",
        "rows:",
        '  core 3.1.5: compatibility.core."3.1.0" (inherited): platform = "^2.3"; '
        'extensions = "^0.9"; workspace = "^1.0"',
        "  platform 2.4.8: no row",
        "  workspace 1.3.0: no row",
        "warning: bundles.lts-3.1: platform 2.4.8 has no compatibility row "
        "(compatibility.platform lists 2.5.0, 2.5.3)",
    ]
    code, _, err = run(capsys, "show", "stabel-3.2", "--matrix", str(provisioning))
    assert code == 2
    assert err == (
        "pytest-workspace: error: unknown bundle 'stabel-3.2'; known: stable-3.2, lts-3.1\n"
    )


def test_module_entry_point_prints_no_traceback(write_matrix: WriteMatrix) -> None:
    path = write_matrix("[bundles.b]\ncore = 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest_workspace", "check", "--matrix", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == (
        f"error: {path}: bundles.b.core: expected a version string (or a list of "
        '"name@version" for a family), got a number (1)\n'
    )
    assert "Traceback" not in result.stderr


def test_cli_env_and_cache(pwt_matrix: Matrix, wheelhouse: Path, tmp_path: Path) -> None:
    common: Sequence[str] = (
        "--matrix",
        str(pwt_matrix.path),
        "--cache",
        str(tmp_path / "c"),
        "--find-links",
        str(wheelhouse),
        "--offline",
    )
    first = run_cli("env", "old", *common)
    assert first.returncode == 0, first.stderr
    path = Path(first.stdout.splitlines()[-1])
    assert (path / MANIFEST).is_file()
    assert "built" in first.stderr
    again = run_cli("env", "old", *common)
    assert again.stdout.splitlines()[-1] == str(path)
    assert "reused" in again.stderr

    combo = run_cli("env", "--combination", "core=2.0.0,platform=2.0.0", *common)
    assert combo.returncode == 0, combo.stderr
    listed = run_cli("cache", "list", "--cache", str(tmp_path / "c"))
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["KEY", "LABEL", "INSTALLER", "SIZE", "LAST", "USED", "PINS"]
    assert any(path.name in line and "core=1.0.0" in line for line in lines)
    assert any("core=2.0.0" in line for line in lines)

    pruned = run_cli("cache", "prune", "--max-size", "0", "--cache", str(tmp_path / "c"))
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.splitlines()[-1] == "removed 2 envs"
    assert not path.exists()

    bad = run_cli("env", "--combination", "core=1.0.0,platform=1.1.0", *common)
    assert bad.returncode == 2
    assert bad.stderr.splitlines()[-1] == (
        "pytest-workspace: error: cannot install combination core=1.0.0,platform=1.1.0: "
        "pwt-platform 1.1.0 requires pwt-core>=1.1,<2, but the combination pins pwt-core 1.0.0"
    )
    assert "Traceback" not in bad.stderr


def test_bad_lock_timeout_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_WORKSPACE_LOCK_TIMEOUT", "-1")
    result = run_cli("cache", "prune", "--older-than", "1", "--cache", str(tmp_path / "c"))
    assert result.returncode == 2
    assert result.stderr == (
        "pytest-workspace: error: PYTEST_WORKSPACE_LOCK_TIMEOUT='-1': expected a finite "
        "number of seconds >= 0 (default 900); waits are always bounded\n"
    )


def test_help_lists_every_command_and_each_builds_only_its_own(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Only the command being run gets its arguments built (start-up); ``--help`` and
    an unknown command still list them all, and COMMANDS names each one."""
    import argparse

    from pytest_workspace.cli import COMMANDS, build_parser

    (commands,) = [
        action
        for action in build_parser([])._actions
        if isinstance(action, argparse._SubParsersAction)
    ]
    assert tuple(commands.choices) == tuple(COMMANDS)
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    for name in COMMANDS:
        assert f"\n    {name} " in listed
    for name in COMMANDS:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        assert f"usage: pytest-workspace {name} " in capsys.readouterr().out
    assert (
        build_parser(["--matrix", "env", "check"])
        .parse_args(["--matrix", "env", "check", "--strict"])
        .strict
    )
    assert (
        build_parser(["--mat", "x", "env", "b"]).parse_args(["--mat", "x", "env", "b"]).bundle
        == "b"
    )
    with pytest.raises(SystemExit):
        main(["chek"])
    assert "invalid choice: 'chek' (choose from 'check', 'bundles'" in capsys.readouterr().err


def test_where_the_matrix_comes_from_option_variable_pytest_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As in the pytest plugin: --matrix, then $PYTEST_WORKSPACE_MATRIX, then the
    # workspace_matrix key of the pytest configuration that applies (found upwards, its
    # paths relative to it), then versions.toml. The CLI read no pytest configuration.
    for name in ("from-ini", "from-variable", "from-option"):
        (tmp_path / f"{name}.toml").write_text(f'[bundles.{name}]\nrequests = "2.0"\n')
    (tmp_path / "pytest.ini").write_text("[pytest]\nworkspace_matrix = from-ini.toml\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    monkeypatch.delenv("PYTEST_WORKSPACE_MATRIX", raising=False)
    assert run(capsys, "bundles")[1].split()[0] == "from-ini"
    monkeypatch.setenv("PYTEST_WORKSPACE_MATRIX", str(tmp_path / "from-variable.toml"))
    assert run(capsys, "bundles")[1].split()[0] == "from-variable"
    option = str(tmp_path / "from-option.toml")
    assert run(capsys, "bundles", "--matrix", option)[1].split()[0] == "from-option"
