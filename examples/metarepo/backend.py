"""A PEP 517 build backend small enough to live in each example repository.

``make_repos.py`` copies it into every sibling it creates (``backend-path = ["."]``), so
the example builds and installs editable with no network and no build requirements.
It reads the static ``[project]`` table (name, version, dependencies, scripts) and
packages ``src/<module>``; ``build_editable`` writes a ``.pth`` pointing at ``src``.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import tomllib

HERE = Path(__file__).resolve().parent


def _wheel(directory: str, editable: bool) -> str:
    project = tomllib.loads((HERE / "pyproject.toml").read_text())["project"]
    name, version = project["name"], project["version"]
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if "requires-python" in project:
        metadata.append(f"Requires-Python: {project['requires-python']}")
    metadata += [f"Requires-Dist: {r}" for r in project.get("dependencies", [])]
    files = {
        f"{info}/METADATA": "\n".join(metadata) + "\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    scripts = project.get("scripts", {})
    if scripts:
        lines = [f"{script} = {target}" for script, target in scripts.items()]
        files[f"{info}/entry_points.txt"] = "[console_scripts]\n" + "\n".join(lines) + "\n"
    if editable:
        files[f"__editable__.{module}.pth"] = f"{HERE / 'src'}\n"
    else:
        for source in sorted((HERE / "src" / module).rglob("*.py")):
            files[source.relative_to(HERE / "src").as_posix()] = source.read_text()
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    filename = f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(Path(directory) / filename, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return filename


def get_requires_for_build_wheel(config_settings: object = None) -> list[str]:
    return []


def get_requires_for_build_editable(config_settings: object = None) -> list[str]:
    return []


def build_wheel(
    wheel_directory: str, config_settings: object = None, metadata_directory: object = None
) -> str:
    return _wheel(wheel_directory, editable=False)


def build_editable(
    wheel_directory: str, config_settings: object = None, metadata_directory: object = None
) -> str:
    return _wheel(wheel_directory, editable=True)
