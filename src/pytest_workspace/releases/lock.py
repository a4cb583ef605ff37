"""``pytest-workspace lock``: a bundle resolved into a PEP 751 ``pylock.<bundle>.toml``
with ``uv pip compile`` (uv reads the existing lock as its preferences, so a re-lock
keeps every version it can; ``--upgrade`` drops them), ``file://`` URLs rewritten as
paths relative to the lock so that a lock of a find-links directory works in any clone.
How an env is built from a lock is :mod:`..envs.pylock`'s concern.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from ..envs.pylock import TOOL, Lock, read_lock
from ..errors import WorkspaceError

if TYPE_CHECKING:
    from ..envs.interpreters import Interpreter
    from ..envs.spec import IndexOptions
    from ..model.matrix import Bundle, Matrix

__all__ = ["lock_bundle"]

_FILE_URL = re.compile(r'url = "(file://[^"]+)"')


def lock_bundle(
    matrix: Matrix,
    bundle: Bundle,
    *,
    python: Interpreter,
    index: IndexOptions,
    exclude_newer: str | None = None,
    upgrade: bool = False,
) -> tuple[Lock, bool]:
    """Write (or refresh) ``bundle``'s lock; the lock and whether its content changed."""
    import tempfile

    from ..envs.installers import UvInstaller, find_uv

    uv = find_uv()
    if uv is None:
        raise WorkspaceError("`pytest-workspace lock` needs uv: pip install 'pytest-workspace[uv]'")

    path = matrix.lock_file(bundle.name)
    try:
        existing = read_lock(path)
    except WorkspaceError:
        existing = None  # a broken lock is what a re-lock is for
    if existing is not None and existing.bundle not in (None, bundle.name):
        raise WorkspaceError(
            f"{path} is the lock of bundle {existing.bundle!r}; bundle {bundle.name!r} maps to "
            "the same file name (a dot is written _): rename one of them"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    before = path.read_bytes() if path.is_file() else None
    with tempfile.TemporaryDirectory() as scratch:
        wanted = Path(scratch) / "requirements.in"
        wanted.write_text("".join(f"{pin.requirement}\n" for pin in bundle.pins))
        argv = [uv, "pip", "compile", str(wanted), "-o", str(path), "--generate-hashes"]
        argv += ["--no-header", "--quiet", "--python", python.path]
        argv += UvInstaller.index_args(index)
        if exclude_newer:
            argv += ["--exclude-newer", exclude_newer]
        if upgrade:
            argv.append("--upgrade")
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        if before is not None:
            path.write_bytes(before)
        lines = (result.stderr or result.stdout).strip()
        raise WorkspaceError(f"cannot lock bundle {bundle.name!r}:\n{lines}")
    header = (
        f"# pytest-workspace lock {bundle.name}: {', '.join(p.requirement for p in bundle.pins)}\n"
        "# Re-run `pytest-workspace lock` to refresh; `--upgrade` takes newer dependencies.\n"
    )
    # PEP 751's [tool] table says which bundle the lock is for: a lock is refused for
    # any other (x.1 and x_1 share a file name).
    tool = f'\n[tool.{TOOL}]\nbundle = "{bundle.name}"\n'
    body = _relative_paths(path.read_text(encoding="utf-8"), path.parent).rstrip("\n")
    text = header + body + "\n" + tool
    path.write_text(text, encoding="utf-8")
    lock = read_lock(path, bundle.name)
    assert lock is not None
    return lock, text.encode() != before


def _relative_paths(text: str, base: Path) -> str:
    """``url = "file:///abs/dist/x.whl"`` -> ``path = "../dist/x.whl"`` (PEP 751 paths
    are relative to the lock file): the lock works in any clone of the repository."""
    from urllib.parse import unquote, urlparse
    from urllib.request import url2pathname

    def relative(match: re.Match[str]) -> str:
        target = url2pathname(unquote(urlparse(match.group(1)).path))
        return f'path = "{Path(os.path.relpath(target, base)).as_posix()}"'

    return _FILE_URL.sub(relative, text)
