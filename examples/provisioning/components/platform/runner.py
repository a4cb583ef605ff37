"""Running the core CLI as a subprocess, and the `provisioning-platform` command."""

from __future__ import annotations

import shutil
import subprocess
import sys


def core(*args: str) -> str:
    command = shutil.which("provisioning")
    if command is None:
        raise RuntimeError("provisioning-core's `provisioning` command is not installed")
    return subprocess.run([command, *args], capture_output=True, text=True, check=True).stdout


def main(argv: list[str] | None = None) -> int:
    from .orchestrator import deploy

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "deploy":
        print("usage: provisioning-platform deploy NAME", file=sys.stderr)
        return 2
    print(deploy(args[1]))
    return 0
