"""How the package's own modules are imported (pytest_workspace.imports): bytecode of our
own in the user's cache when Python may write none, trusted only when it is ours."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from pytest_workspace import imports
from pytest_workspace.imports import CachedCode


@pytest.fixture
def bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "bytecode"
    directory.mkdir(mode=0o700)
    monkeypatch.setattr(imports, "_DIRECTORY", [str(directory)])
    return directory


def module(tmp_path: Path, text: str) -> tuple[CachedCode, Path]:
    path = tmp_path / "mod.py"
    path.write_text(text)
    return CachedCode("pytest_workspace.fake", str(path)), path


def run(code: types.CodeType) -> object:
    namespace: dict[str, object] = {}
    exec(code, namespace)
    return namespace["VALUE"]


def compiles(loader: CachedCode, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each compile the loader does."""
    seen: list[str] = []
    compile_source = loader.source_to_code

    def recorded(data: object, path: object) -> types.CodeType:
        seen.append(str(path))
        return compile_source(data, path)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "source_to_code", recorded)
    return seen


def test_the_code_is_kept_and_reused(
    bytecode: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader, _ = module(tmp_path, "VALUE = 1\n")
    seen = compiles(loader, monkeypatch)
    assert run(loader.get_code("pytest_workspace.fake")) == 1
    (kept,) = bytecode.iterdir()
    assert kept.name.startswith("pytest_workspace.fake.")
    assert kept.stat().st_mode & 0o077 == 0
    assert run(loader.get_code("pytest_workspace.fake")) == 1
    assert len(seen) == 1  # the second import read the kept code


def test_a_changed_source_is_compiled_again_even_with_the_same_size_and_mtime(
    bytecode: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Wheels carry fixed timestamps: an upgrade in place can keep size and mtime.
    loader, path = module(tmp_path, "VALUE = 1\n")
    assert run(loader.get_code("pytest_workspace.fake")) == 1
    info = path.stat()
    path.write_text("VALUE = 2\n")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert run(loader.get_code("pytest_workspace.fake")) == 2


@pytest.mark.parametrize("planted", ["writable by others", "a symlink", "torn"])
def test_bytecode_that_is_not_ours_alone_is_never_run(
    planted: str, bytecode: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader, _ = module(tmp_path, "VALUE = 'source'\n")
    loader.get_code("pytest_workspace.fake")
    (kept,) = bytecode.iterdir()
    # Someone else's code with a header that matches the source.
    header = kept.read_bytes()[:16]
    evil = header + kept.read_bytes()[16:].replace(b"source", b"PLANTD")
    if planted == "writable by others":
        kept.write_bytes(evil)
        kept.chmod(0o666)
    elif planted == "a symlink":
        elsewhere = tmp_path / "elsewhere.pyc"
        elsewhere.write_bytes(evil)
        kept.unlink()
        kept.symlink_to(elsewhere)
    else:
        kept.write_bytes(header + b"\xe3\x00")
    seen = compiles(loader, monkeypatch)
    assert run(loader.get_code("pytest_workspace.fake")) == "source"
    assert len(seen) == 1


def test_no_bytecode_is_kept_in_a_directory_others_may_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    (cache / "bytecode").mkdir(parents=True)
    (cache / "bytecode").chmod(0o777)
    monkeypatch.setenv("PYTEST_WORKSPACE_CACHE", str(cache))
    assert imports._trusted_directory() is None
    (cache / "bytecode").chmod(0o700)
    assert imports._trusted_directory() == str(cache / "bytecode")


def test_without_bytecode_our_modules_come_from_our_cache_not_a_pycache(tmp_path: Path) -> None:
    # A copy of the package with no bytecode (as uv installs it), first on the path, in
    # a fresh interpreter told not to write bytecode (-B, as PYTHONDONTWRITEBYTECODE).
    import shutil

    package = Path(imports.__file__).parent
    shutil.copytree(
        package, tmp_path / "src" / package.name, ignore=shutil.ignore_patterns("__pycache__")
    )
    environ = {
        **os.environ,
        "PYTEST_WORKSPACE_CACHE": str(tmp_path / "cache"),
        "PYTHONPATH": str(tmp_path / "src"),
    }
    probe = (
        "import pytest_workspace.plugin as p, sys; "
        "print(type(sys.meta_path[0]).__name__, p.__file__)"
    )
    for _ in range(2):
        found = subprocess.run(
            [sys.executable, "-B", "-c", probe], env=environ, capture_output=True, text=True
        )
        assert found.returncode == 0, found.stderr
        finder, where = found.stdout.split()
        assert finder == "OwnImports"
        assert Path(where).is_relative_to(tmp_path)
    kept = {path.name.split(".")[:-3][-1] for path in (tmp_path / "cache" / "bytecode").iterdir()}
    assert {"plugin", "fixtures"} <= kept
    assert not list((tmp_path / "src").rglob("*.pyc"))


def test_prune_removes_kept_code_written_before_the_threshold(tmp_path: Path) -> None:
    directory = tmp_path / "bytecode"
    directory.mkdir(mode=0o700)
    old, new, other = directory / "a.x.pyc", directory / "b.x.pyc", directory / "notes.txt"
    for path in (old, new, other):
        path.write_bytes(b"")
    os.utime(old, (1000, 1000))
    os.utime(other, (1000, 1000))
    assert imports.prune_bytecode(str(tmp_path), older_than=3600, now=1000 + 7200) == 1
    assert sorted(path.name for path in directory.iterdir()) == ["b.x.pyc", "notes.txt"]
    # A directory others may write is not ours to clean either.
    directory.chmod(0o777)
    os.utime(new, (1000, 1000))
    assert imports.prune_bytecode(str(tmp_path), older_than=3600, now=1000 + 7200) == 0


def test_bytecode_compiled_at_install_is_used_as_python_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import py_compile
    from importlib.machinery import SourceFileLoader
    from importlib.util import cache_from_source

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    (tmp_path / "fake.py").write_text("VALUE = 1\n")
    spec = imports.OwnImports.find_spec("pytest_workspace.fake", [str(tmp_path)])
    assert spec is not None
    assert type(spec.loader) is CachedCode
    py_compile.compile(str(tmp_path / "fake.py"), cache_from_source(str(tmp_path / "fake.py")))
    spec = imports.OwnImports.find_spec("pytest_workspace.fake", [str(tmp_path)])
    assert spec is not None
    assert type(spec.loader) is SourceFileLoader
    # Not ours: left to the finders after this one.
    assert imports.OwnImports.find_spec("fake", [str(tmp_path)]) is None
