"""Exploring the matrix end to end: the candidates the find-links and a real (local)
simple index offer, the explore commands, ``pytest --combination floor|latest`` and
``--upgrade-path derived`` building real envs, and ``ci-matrix --explore pairs``."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_workspace.cli import main
from pytest_workspace.envs.available import Unreachable, available_versions
from pytest_workspace.envs.spec import IndexOptions

from .helpers import MATRIX, run
from .wheels import build_wheel

# The plugin tests' matrix, with release dates and without its declared upgrade path.
EXPLORED = (
    MATRIX.split("[[upgrades]]")[0]
    .replace("[bundles.old]\n", "[bundles.old]\nrelease-date = 2025-01-01\n")
    .replace("[bundles.new]\n", "[bundles.new]\nrelease-date = 2025-06-01\n")
)


@pytest.fixture
def explored(tmp_path: Path, wheelhouse: Path) -> Path:
    path = tmp_path / "versions.toml"
    path.write_text(EXPLORED.format(links=str(wheelhouse)))
    return path


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_floor_latest_pairs_and_upgrades_from_the_find_links(
    explored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    matrix = ["--matrix", str(explored), "--offline"]
    # The find-links offer core 1.0.0, 1.1.0, 2.0.0 and platform 1.0.0, 1.1.0, 2.0.0.
    code, out, _ = cli(capsys, "explore", "floor", *matrix)
    assert code == 0
    assert out.splitlines() == [
        "core      1.0.0  (of 3 candidates)",
        "platform  1.0.0  (of 3 candidates)",
        "core=1.0.0,platform=1.0.0",
    ]
    code, out, _ = cli(capsys, "explore", "latest", *matrix, "--json")
    assert json.loads(out)["spec"] == "core=2.0.0,platform=2.0.0"
    # pairs over the matrix's own versions: 1.0.0 and 1.1.0 of each; platform 1.1.0
    # with core 1.0.0 is the one pair the rows refuse.
    code, out, _ = cli(capsys, "explore", "pairs", "--matrix", str(explored), "--json")
    found = json.loads(out)
    assert (found["legal"], found["product"]) == (3, 4)
    specs = {c["spec"] for c in found["combinations"]}
    assert "core=1.0.0,platform=1.1.0" not in specs
    assert len(specs) == 3
    code, out, _ = cli(capsys, "explore", "upgrades", "--matrix", str(explored))
    assert out.splitlines() == ["old:new  (next release)"]


def test_no_legal_floor_is_exit_1_naming_the_rows(
    explored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    explored.write_text(
        explored.read_text().replace(
            '"1.1.0" = { core = "^1.1" }',
            '"1.0.0" = { core = ">=3" }\n"1.1.0" = { core = ">=3" }\n"2.0.0" = { core = ">=3" }',
        )
    )
    code, out, err = cli(capsys, "explore", "floor", "--matrix", str(explored), "--offline")
    assert code == 1
    assert out == ""
    assert "error: no legal floor: no combination of the candidates satisfies the rows" in err
    assert 'compatibility.platform."1.0.0" requires core = ">=3"' in err


def test_pytest_tests_the_floor_the_latest_and_derived_paths(
    project: pytest.Pytester, plugin_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = project.path / "results.json"
    result = run(
        project,
        plugin_cache,
        "--combination=floor",
        "--combination=latest",
        "-k",
        "core_version",
        f"--workspace-report={report}",
    )
    result.assert_outcomes(passed=2)
    # The merged report shows them apart from the bundles.
    assert main(["report", str(report), "--matrix", str(project.path / "versions.toml")]) == 0
    result.stdout.fnmatch_lines(
        [
            "*note: --combination floor is core=1.0.0,platform=1.0.0*",
            "*note: --combination latest is core=2.0.0,platform=2.0.0*",
        ]
    )
    merged = capsys.readouterr().out
    assert "2/2 explored combinations green" in merged
    assert "| **floor**<br>core 1.0.0, platform 1.0.0 |" in merged
    derived = run(project, plugin_cache, "--upgrade-path=derived", "-k", "test_upgrade")
    derived.assert_outcomes(passed=1)
    derived.stdout.fnmatch_lines(["old:new *passed*"])


def test_a_floor_a_dependency_forces_up_fails_naming_who_required_it(
    project: pytest.Pytester, plugin_cache: Path
) -> None:
    # The rows allow core 1.0.0 with platform 1.1.0; pwt-platform 1.1.0's own metadata
    # requires pwt-core>=1.1: the floor cannot be installed as the rows claim.
    versions = project.path / "versions.toml"
    versions.write_text(
        versions.read_text()
        .replace(
            "[compatibility.platform]",
            '[compatibility.core]\n"1.0.0" = { platform = ">=1.1,<2" }\n[compatibility.platform]',
        )
        .replace('"1.1.0" = { core = "^1.1" }', "")
    )
    result = run(project, plugin_cache, "--combination=floor", "-k", "core_version")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*pwt-platform 1.1.0 requires pwt-core>=1.1*pwt-core 1.0.0*"])


def test_ci_matrix_fans_out_the_pairs_packed_under_the_job_limit(
    explored: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ci-matrix", "--matrix", str(explored), "--explore", "pairs"]
    code, out, _ = cli(capsys, *argv)
    jobs = json.loads(out)["include"]
    assert [job.get("bundle") or job["name"] for job in jobs] == [
        "old",
        "new",
        "pairs-1",
        "pairs-2",
        "pairs-3",
    ]
    code, out, _ = cli(capsys, *argv, "--max-jobs", "4")
    jobs = json.loads(out)["include"]
    assert [job.get("name") for job in jobs[2:]] == ["pairs-1", "pairs-2"]
    packed = [job["combination"] for job in jobs[2:]]
    assert sum(spec.count(";") + 1 for spec in packed) == 3
    code, _, err = cli(capsys, *argv, "--max-jobs", "2")
    assert code == 2
    assert "leave no room for explored combinations" in err


class _Index(http.server.SimpleHTTPRequestHandler):
    """``/simple/<name>/`` answers JSON (PEP 691) for pwt-core, HTML for pwt-platform."""

    def send_head(self) -> Any:
        if self.path.startswith("/simple/") and self.path.endswith("/"):
            name = self.path.strip("/").split("/")[-1]
            self.path += "index.json" if name == "pwt-core" else "index.html"
        return super().send_head()

    def guess_type(self, path: Any) -> str:
        if str(path).endswith(".json"):
            return "application/vnd.pypi.simple.v1+json"
        return str(super().guess_type(path))

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def index(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "index" / "simple"
    (root / "pwt-core").mkdir(parents=True)
    (root / "pwt-platform").mkdir(parents=True)
    files = [
        {"filename": "pwt_core-1.0.0-py3-none-any.whl", "url": "x", "hashes": {}},
        {"filename": "pwt_core-1.1.0.tar.gz", "url": "x", "hashes": {}},
        {"filename": "pwt_core-1.2.0-py3-none-any.whl", "url": "x", "hashes": {}, "yanked": True},
        {"filename": "pwt_core-2.0.0rc1-py3-none-any.whl", "url": "x", "hashes": {}},
    ]
    page = {"meta": {"api-version": "1.1"}, "name": "pwt-core", "files": files}
    (root / "pwt-core" / "index.json").write_text(json.dumps(page))
    (root / "pwt-platform" / "index.html").write_text(
        '<a href="../../f/pwt_platform-1.0.0-py3-none-any.whl#sha256=0">x</a>'
        '<a href="../../f/pwt_platform-1.1.0-py3-none-any.whl" data-yanked="">x</a>'
        '<a href="../../f/pwt_other-9.0.0-py3-none-any.whl">x</a>'
    )
    handler = functools.partial(_Index, directory=str(tmp_path / "index"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


def test_what_an_index_and_find_links_offer(index: str, tmp_path: Path) -> None:
    links = tmp_path / "links"
    links.mkdir()
    build_wheel(links, "pwt-core", "0.9.0")
    both = IndexOptions(index_url=index, find_links=(str(links),))
    assert [str(v) for v in available_versions("pwt-core", both)] == ["0.9.0", "1.0.0", "1.1.0"]
    assert "2.0.0rc1" in [str(v) for v in available_versions("pwt-core", both, pre=True)]
    assert [str(v) for v in available_versions("pwt-platform", both)] == ["1.0.0"]
    offline = IndexOptions(find_links=(str(tmp_path / "missing"),), offline=True)
    with pytest.raises(Unreachable):
        available_versions("pwt-core", offline)
