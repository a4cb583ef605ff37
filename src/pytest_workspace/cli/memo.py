"""Remembered answers of ``pytest-workspace env``: a cache hit without loading the matrix.

Which env ``env B`` names is decided by the command line, the working directory, the
environment, a few files (the matrix, ``compatibility.toml``, the bundle's lock, the
discovery paths tried before them, the installer's configuration files) and a few
binaries (the interpreter, uv, the site-packages that pytest-workspace, virtualenv and a
uv wheel live in, the PATH directories where interpreters and uv are found). Loading and
checking the matrix costs most of a run (tomllib, packaging and the model's imports);
comparing those inputs costs a few reads and stats. So after a run finds or builds an
env, it records every input under the cache root (``resolved/<hash of the command
line>.json``), and the next identical command line answers from the record when every
input is unchanged and the env is still complete, as the slow path would have found it.

What this does not record, it does not remember: local sources (their trees change), a
shared cache, ``--rebuild``, an interpreter a shim chose (pyenv reads
``.python-version``). A stale, missing, foreign or unreadable record only means
the slow path runs (and writes a new one), never a different answer.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import sys
import time

from .. import __version__
from ..envs.cache.integrity import why_changed
from ..envs.cache.layout import MANIFEST, SHARED_ENV, parse_manifest
from ..userdirs import default_root, own_directory, read_own, why_untrusted

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..core.workspace import Workspace
    from ..envs.env import Env
    from ..model.matrix import Bundle

SCHEMA = 1
MEMO_DIR = "resolved"
#: shell bookkeeping that changes between identical invocations and decides nothing
_VOLATILE = frozenset({"_", "OLDPWD", "PWD", "SHLVL", "COLUMNS", "LINES"})


def replay(argv: Sequence[str]) -> int | None:
    """Answer ``env`` from its record and return 0, or None when the slow path must run."""
    if os.environ.get(SHARED_ENV):
        return None
    started = time.perf_counter()
    root = _root(argv)
    try:
        memo = _read(root, argv)
        if memo is None or not _unchanged(memo, argv, root):
            return None
        env = _complete(root, memo["env"])
        notes = memo["notes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if env is None or not isinstance(notes, list):
        return None
    for line in notes:
        print(line, file=sys.stderr)
    print(
        f"reused env {memo['label']} with {memo['installer']} in "
        f"{time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )
    print(env)
    return 0


def remember(
    argv: Sequence[str], core: Workspace, bundle: Bundle, env: Env, notes: Sequence[str]
) -> None:
    """Record what decided ``env`` for this command line (see the module docstring)."""
    if core.cache.shared or env.spec.sources:
        return
    from ..envs.interpreters import found_by_path_alone

    if not found_by_path_alone(bundle.python, env.spec.python):
        return  # a shim chose the interpreter: what it read is not known here
    root = _root(argv)
    try:
        if not os.path.samefile(root, core.cache.root):
            return  # an abbreviated --cache option: the record would never be found
    except OSError:
        return
    import sysconfig
    from pathlib import Path

    from ..envs.cache.manifest import write_atomic
    from ..envs.installer_config import config_files
    from ..loading.discover import matrix_candidates, pytest_config_dir

    settings = core.settings
    matrix = core.matrix
    files = [
        *matrix_candidates(settings.matrix, rootdir=settings.rootdir, also=settings.search),
        matrix.path.with_name("compatibility.toml"),
        matrix.lock_file(bundle.name),
        # the installer's configuration, which enters the env's key
        *config_files(core.installer.name, str(core.cache.envs_dir)),
        # the pytest configuration whose workspace_* keys the command read
        *pytest_config_dir(Path.cwd())[1],
    ]
    binaries = [env.spec.python.path, getattr(core.installer, "binary", None)]
    binaries += [sysconfig.get_path(name) for name in ("purelib", "platlib")]
    binaries += os.environ.get("PATH", "").split(os.pathsep)
    memo = {
        **_invocation(argv, root),
        "files": {str(path): _digest(str(path)) for path in files},
        "stats": {path: _signature(path) for path in dict.fromkeys(binaries) if path},
        "env": env.path.name,
        "label": env.spec.label,
        "installer": core.installer.name,
        "notes": list(notes),
    }
    if not own_directory(os.path.join(root, MEMO_DIR)):
        return
    try:
        write_atomic(Path(_path(root, argv)), json.dumps(memo))
    except OSError:
        return  # the answer was given; only the next run's shortcut is lost


def _root(argv: Sequence[str]) -> str:
    """The cache root as the slow path computes it, when ``--cache`` is spelled out."""
    given = None
    for index, arg in enumerate(argv):
        if arg == "--cache" and index + 1 < len(argv):
            given = argv[index + 1]
        elif arg.startswith("--cache="):
            given = arg.partition("=")[2]
    return os.path.join(os.getcwd(), given) if given else default_root()


def _path(root: str, argv: Sequence[str]) -> str:
    name = hashlib.sha256(json.dumps([list(argv), os.getcwd()]).encode()).hexdigest()[:24]
    return os.path.join(root, MEMO_DIR, f"{name}.json")


def _invocation(argv: Sequence[str], root: str) -> dict[str, object]:
    environ = sorted((k, v) for k, v in os.environ.items() if k not in _VOLATILE)
    return {
        "schema": SCHEMA,
        "version": __version__,
        "python": [sys.executable, sys.version],
        "argv": list(argv),
        "cwd": os.getcwd(),
        "root": root,
        # A digest: the environment may hold secrets, the record needs only equality.
        "environ": hashlib.sha256(json.dumps(environ).encode()).hexdigest(),
    }


def _read(root: str, argv: Sequence[str]) -> dict[str, object] | None:
    path = _path(root, argv)
    if why_untrusted(os.lstat(os.path.dirname(path))) is not None:
        return None
    data = read_own(path)
    memo = None if data is None else json.loads(data)
    return memo if isinstance(memo, dict) else None


def _unchanged(memo: dict[str, object], argv: Sequence[str], root: str) -> bool:
    if any(memo.get(key) != value for key, value in _invocation(argv, root).items()):
        return False
    files, stats = memo["files"], memo["stats"]
    if not isinstance(files, dict) or not isinstance(stats, dict):
        return False
    return all(_digest(path) == digest for path, digest in files.items()) and all(
        _signature(path) == signature for path, signature in stats.items()
    )


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as stream:
            return hashlib.sha256(stream.read()).hexdigest()
    except FileNotFoundError:
        return None
    except OSError:
        return "unreadable"


def _signature(path: str) -> list[int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_mode, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def _complete(root: str, key: object) -> str | None:
    """The env's path if the slow path would reuse it: trusted directories, a manifest
    of this key, and every file it lists (like ``EnvCache._load``); else None."""
    if not isinstance(key, str) or os.sep in key or key.startswith("."):
        return None
    envs = os.path.join(root, "envs")
    path = os.path.join(envs, key)
    for directory in (root, envs, path):
        info = os.lstat(directory)
        if why_untrusted(info) is not None or not stat.S_ISDIR(info.st_mode):
            return None
    manifest = os.path.join(path, MANIFEST)
    data = read_own(manifest)
    if data is None:
        return None
    # The parser the slow path's Manifest.read uses: a manifest it would call incomplete
    # is never reused from here either.
    values = parse_manifest(data)
    if values["key"] != key:
        return None
    if why_changed(path, values["files"], values["tree"], values["damaged"]) is not None:
        return None  # the slow path rebuilds it, and says why
    os.utime(manifest)  # last used, for ``cache prune``
    return path


def forget(root: str) -> None:
    """Drop every record (``cache prune`` removed envs some of them name)."""
    directory = os.path.join(root, MEMO_DIR)
    try:
        if why_untrusted(os.lstat(directory)) is not None:
            return
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if name.endswith(".json"):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(directory, name))
