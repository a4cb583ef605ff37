"""What an env holds, read from its metadata directly: the same answer importlib.metadata
gives, on real environments and on the odd shapes metadata takes."""

from __future__ import annotations

import importlib.metadata
import site
import sys
import sysconfig
from pathlib import Path

import pytest

from pytest_workspace.envs.installed import package_version, read_installed, scan
from pytest_workspace.model.names import normalize


def by_importlib(entries: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for distribution in importlib.metadata.distributions(path=entries):
        name = distribution.metadata["Name"]
        if name:
            found.setdefault(normalize(name), distribution.version)
    return found


def test_the_running_interpreters_path_reads_as_importlib_reads_it() -> None:
    entries = [*site.getsitepackages(), *sys.path]
    scanned = scan(entries)
    if scanned is None:
        pytest.skip("a zip or egg on sys.path: read by importlib.metadata anyway")
    assert scanned == by_importlib(entries)
    assert "pytest" in scanned


def test_this_envs_site_packages_read_as_importlib_reads_them() -> None:
    entries = list(dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib")))
    assert scan(entries) == by_importlib(entries)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_odd_shapes(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    # A wheel install, its name spelled as its author wrote it.
    write(
        first / "Foo_Bar-1.0.dist-info" / "METADATA",
        "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\n\nbody: Version: 9\n",
    )
    # Metadata 1.x: a folded Description header whose text looks like a header.
    write(
        first / "old-2.0.dist-info" / "METADATA",
        "Metadata-Version: 1.1\nSummary: s\nDescription: intro\n        Version: 9.9\n"
        "        more\nName: old\nVersion: 2.0\n",
    )
    # A flat-layout setuptools checkout's egg-info directory, and an egg-info file.
    write(first / "flat.egg-info" / "PKG-INFO", "Metadata-Version: 2.1\nName: flat\nVersion: 0.1\n")
    write(first / "single.egg-info", "Metadata-Version: 1.0\nName: single\nVersion: 3\n")
    # The same name as an egg-info beside a dist-info: the dist-info wins.
    write(first / "dup.egg-info" / "PKG-INFO", "Name: dup\nVersion: 1\n")
    write(first / "dup-2.dist-info" / "METADATA", "Name: dup\nVersion: 2\n")
    # Broken ones: no METADATA, no Name.
    (first / "broken-1.dist-info").mkdir()
    write(first / "anonymous-1.dist-info" / "METADATA", "Version: 1\n")
    # A later path entry does not override an earlier one.
    write(second / "foo_bar-5.0.dist-info" / "METADATA", "Name: foo-bar\nVersion: 5.0\n")
    write(second / "other-1.dist-info" / "METADATA", "Name: other\nVersion: 1\n")
    entries = [str(first), str(second), str(tmp_path / "missing")]
    scanned = scan(entries)
    assert scanned == by_importlib(entries)
    assert scanned == {
        "foo-bar": "1.0",
        "old": "2.0",
        "flat": "0.1",
        "single": "3",
        "dup": "2",
        "other": "1",
    }


def test_a_zip_on_the_path_is_left_to_importlib(tmp_path: Path) -> None:
    archive = tmp_path / "lib.zip"
    archive.write_bytes(b"")
    assert scan([str(archive)]) is None


def test_read_installed_of_an_env(tmp_path: Path) -> None:
    site_dir = (
        tmp_path / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    )
    write(site_dir / "pwt_core-1.0.0.dist-info" / "METADATA", "Name: pwt-core\nVersion: 1.0.0\n")
    assert read_installed(tmp_path)["PWT_Core"] == "1.0.0"


@pytest.mark.parametrize(
    ("module", "distribution"),
    [("virtualenv", "virtualenv"), ("_pytest", "pytest"), ("uv", "uv"), ("xdist", "pytest-xdist")],
)
def test_package_version_is_importlibs(module: str, distribution: str) -> None:
    assert package_version(module, distribution) == importlib.metadata.version(distribution)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ("My_Dist-1.0.dist-info", "1.0"),
        ("my.dist-1.0-py3.11.egg-info", "1.0"),
        # A metadata directory not named for its distribution: found by reading them all.
        ("renamed.dist-info", "1.0"),
    ],
)
def test_package_version_reads_the_metadata_named_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, info: str, expected: str
) -> None:
    (tmp_path / "my_module").mkdir()
    (tmp_path / "my_module" / "__init__.py").write_text("")
    for name, version, directory in (
        ("my-dist", "1.0", info),
        ("other", "2.0", "other-2.0.dist-info"),
        # Named like ours, but another distribution's: never taken for ours.
        ("my-dist-extra", "3.0", "my_dist_extra-3.0.dist-info"),
    ):
        (tmp_path / directory).mkdir()
        file = "PKG-INFO" if directory.endswith(".egg-info") else "METADATA"
        (tmp_path / directory / file).write_text(f"Name: {name}\nVersion: {version}\n\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert package_version("my_module", "My.Dist") == expected
