"""Bytecode in the envs we build: see :mod:`.bytecode_hook`, which every build copies
into the env's site-packages with a ``.pth`` line that imports it only when Python is
told not to write bytecode (``.pth`` files are how coverage.py and pytest-cov reach
every process of an env, too).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from pathlib import Path

from .paths import site_packages

__all__ = ["HOOK", "add_hook"]

#: the module's name in the env (private-looking: no distribution claims it)
HOOK = "_pytest_workspace_bytecode"


def add_hook(env: Path) -> None:
    source = Path(__file__).with_name("bytecode_hook.py").read_bytes()
    line = f"import sys; sys.dont_write_bytecode and __import__({HOOK!r}).register()\n"
    for site in site_packages(env):
        (site / f"{HOOK}.py").write_bytes(source)
        (site / f"{HOOK}.pth").write_text(line, encoding="utf-8")
