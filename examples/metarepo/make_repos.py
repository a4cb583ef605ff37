"""Turn the example components into the company's git server, offline.

Run: python examples/metarepo/make_repos.py [--forge DIR]

Writes one bare repository per component into ./forge (``core.git``, ``platform.git``),
each a buildable project (``backend.py`` beside its ``pyproject.toml``) with two
branches: ``main``, the sources of the release that stable-3.2 pins, and
``count-servers``, a change that spans both repositories (core gains ``api.count()``,
platform's ``deploy`` reports it) -- the cross-repository work that the
meta-repository in ``meta/`` bootstraps, sets up, validates and tests. An existing
repository in the forge is left as it is.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "provisioning"))

from build import RELEASES, SCRIPTS, SOURCES  # noqa: E402

BRANCH = "count-servers"
#: repository -> (distribution, released version, the branch's version)
REPOSITORIES = {
    "core": ("provisioning-core", "3.2.1", "3.3.0.dev0"),
    "platform": ("provisioning-platform", "2.5.3", "2.6.0.dev0"),
}
#: the branch's change: file -> (text replaced, replacement); "" appends
CHANGES = {
    "core": {
        "api.py": (
            "",
            '\n\ndef count() -> int:\n    """How many servers there are."""\n'
            "    return len(servers())\n",
        )
    },
    "platform": {
        "orchestrator.py": (
            "return dict(api().describe(name))",
            'return {**api().describe(name), "servers": api().count()}',
        )
    },
}
# The example's commits are the same on every machine: no user.name/email needed.
IDENTITY = {"user.name": "Example", "user.email": "example@example.com"}


def git(cwd: Path, *args: str) -> None:
    config = [arg for key, value in IDENTITY.items() for arg in ("-c", f"{key}={value}")]
    subprocess.run(["git", *config, *args], cwd=cwd, check=True, capture_output=True)


def pyproject(distribution: str, version: str, requires: list[str]) -> str:
    script, target = (part.strip() for part in SCRIPTS[distribution].split("="))
    dependencies = ", ".join(f'"{r}"' for r in requires)
    return (
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
        f'[project]\nname = "{distribution}"\nversion = "{version}"\n'
        f'requires-python = ">=3.11"\ndependencies = [{dependencies}]\n\n'
        f'[project.scripts]\n{script} = "{target}"\n'
    )


def write_release(work: Path, distribution: str, version: str) -> Path:
    files, requires = RELEASES[distribution][version]
    package = work / "src" / distribution.replace("-", "_")
    package.mkdir(parents=True)
    for target, source in files.items():
        (package / target).write_text((SOURCES / source).read_text())
    (work / "pyproject.toml").write_text(pyproject(distribution, version, requires))
    shutil.copy(HERE / "backend.py", work / "backend.py")
    return package


def make_repository(forge: Path, name: str) -> Path:
    distribution, released, branch_version = REPOSITORIES[name]
    bare = forge / f"{name}.git"
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / name
        work.mkdir()
        git(work, "init", "-q", "-b", "main")
        package = write_release(work, distribution, released)
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", f"{distribution} {released}")
        git(work, "checkout", "-q", "-b", BRANCH)
        for file, (old, new) in CHANGES[name].items():
            text = (package / file).read_text()
            if old and old not in text:
                raise SystemExit(f"{name}: {file} no longer holds {old!r}")
            (package / file).write_text(text.replace(old, new) if old else text + new)
        project = work / "pyproject.toml"
        project.write_text(project.read_text().replace(released, branch_version))
        git(work, "commit", "-q", "-am", f"{BRANCH}: version {branch_version}")
        git(work, "checkout", "-q", "main")
        git(forge, "clone", "-q", "--bare", str(work), bare.name)
    return bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--forge", type=Path, default=HERE / "forge")
    args = parser.parse_args()
    args.forge.mkdir(parents=True, exist_ok=True)
    for name in REPOSITORIES:
        if (args.forge / f"{name}.git").exists():
            print(f"{name}: {args.forge / name}.git exists, left as it is")
        else:
            print(f"{name}: created {make_repository(args.forge, name)}")


if __name__ == "__main__":
    main()
