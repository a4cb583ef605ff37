"""Build tiny but real wheels (and one slow-building sdist) for the tests, offline."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import textwrap
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    requires: Sequence[str] = (),
    scripts: Mapping[str, str] | None = None,
    files: Mapping[str, str] | None = None,
    extras: Sequence[str] = (),
) -> Path:
    """Write ``name-version-py3-none-any.whl`` with a module that knows its version."""
    module = canonicalize_name(name).replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    contents: dict[str, str] = {
        f"{module}/__init__.py": f'VERSION = "{version}"\n\n\ndef main() -> None:\n'
        f"    print({name!r}, VERSION)\n",
        **(files or {}),
    }
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Provides-Extra: {extra}" for extra in extras]
    metadata += [f"Requires-Dist: {requirement}" for requirement in requires]
    contents[f"{dist_info}/METADATA"] = "\n".join(metadata) + "\n"
    contents[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: pytest-workspace-tests\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n"
    )
    if scripts:
        lines = "".join(f"{script} = {target}\n" for script, target in scripts.items())
        contents[f"{dist_info}/entry_points.txt"] = "[console_scripts]\n" + lines
    record = [_record_line(path, text.encode()) for path, text in contents.items()]
    record.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    path = directory / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in contents.items():
            archive.writestr(member, text)
    return path


SLOW_BACKEND = """
import os, time, zipfile

NAME, MODULE, VERSION = {name!r}, {module!r}, {version!r}
INFO = MODULE + "-" + VERSION + ".dist-info"


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    # Slow only when asked, so one test can kill a build midway and the next builds.
    time.sleep(float(os.environ.get("PWT_SLOW_SECONDS", "0")))
    filename = MODULE + "-" + VERSION + "-py3-none-any.whl"
    files = {{
        MODULE + "/__init__.py": "VERSION = " + repr(VERSION) + "\\n",
        INFO + "/METADATA": (
            "Metadata-Version: 2.1\\nName: " + NAME + "\\nVersion: " + VERSION + "\\n"
        ),
        INFO + "/WHEEL": "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }}
    record = [path + ",," for path in files] + [INFO + "/RECORD,,"]
    files[INFO + "/RECORD"] = "\\n".join(record) + "\\n"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return filename
"""


def build_slow_sdist(directory: Path, name: str, version: str) -> Path:
    """An sdist whose in-tree build backend sleeps for ``$PWT_SLOW_SECONDS``: a build
    that can be killed midway."""
    module = canonicalize_name(name).replace("-", "_")
    root = f"{module}-{version}"
    files = {
        "pyproject.toml": textwrap.dedent(
            f"""
            [build-system]
            requires = []
            build-backend = "slowbackend"
            backend-path = ["."]
            [project]
            name = "{name}"
            version = "{version}"
            """
        ),
        "slowbackend.py": SLOW_BACKEND.format(module=module, name=name, version=version),
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    }
    path = directory / f"{root}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{member}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


IN_TREE_BACKEND = """
import json, os, zipfile

def _wheel(directory, editable):
    here = os.path.dirname(os.path.abspath(__file__))
    meta = json.load(open(os.path.join(here, "META.json")))
    name, module = meta["name"], meta["module"]
    try:  # a dynamic version, as a VERSION file holds it
        version = open(os.path.join(here, "VERSION")).read().strip()
    except OSError:
        version = meta["version"]
    info = f"{module}-{version}.dist-info"
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in meta["requires"]]
    files = {
        f"{info}/METADATA": "\\n".join(lines) + "\\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    if editable:
        files[f"{module}.pth"] = os.path.join(here, "src") + "\\n"
    else:
        init = os.path.join(here, "src", module, "__init__.py")
        files[f"{module}/__init__.py"] = open(init).read()
    files[f"{info}/RECORD"] = "".join(f"{p},,\\n" for p in files) + f"{info}/RECORD,,\\n"
    filename = f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return filename

def get_requires_for_build_wheel(config_settings=None):
    return []

def get_requires_for_build_editable(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, False)

def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory, True)
"""


def add_in_tree_backend(
    root: Path, name: str, version: str | None = None, requires: Sequence[str] = ()
) -> None:
    """Make ``root`` buildable offline: a backend in the tree (``backend-path``) that
    builds ``name`` from ``src/<module>``; without ``version``, a VERSION file holds it."""
    import json

    module = name.replace("-", "_")
    meta = {"name": name, "module": module, "version": version, "requires": list(requires)}
    (root / "META.json").write_text(json.dumps(meta))
    (root / "backend.py").write_text(IN_TREE_BACKEND)


def make_checkout(root: Path, version: str = "1.5.0.dev0") -> Path:
    """A local checkout of pwt-core with an in-tree build backend (builds offline)."""
    (root / "src" / "pwt_core").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [build-system]
            requires = []
            build-backend = "backend"
            backend-path = ["."]
            [project]
            name = "pwt-core"
            dynamic = ["version"]
            """
        )
    )
    add_in_tree_backend(root, "pwt-core")
    (root / "VERSION").write_text(version)
    (root / "src" / "pwt_core" / "__init__.py").write_text("VERSION = 'checkout'\n")
    return root


def build_wheelhouse(directory: Path) -> Path:
    """Several versions of three packages with ``Requires-Dist`` between them."""
    directory.mkdir(parents=True, exist_ok=True)
    script = {"pwt-core": "pwt_core:main"}
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        build_wheel(directory, "pwt-core", version, scripts=script)
    build_wheel(directory, "pwt-platform", "1.0.0", requires=["pwt-core>=1.0,<2"])
    build_wheel(directory, "pwt-platform", "1.1.0", requires=["pwt-core>=1.1,<2"])
    build_wheel(directory, "pwt-platform", "2.0.0", requires=["pwt-core>=2"])
    for version in ("0.1.0", "0.2.0"):
        build_wheel(directory, "pwt-plugin-a", version, requires=["pwt-core>=1"])
    # An optional feature: pwt-tools[fast] also brings pwt-core.
    build_wheel(
        directory, "pwt-tools", "1.0.0", requires=['pwt-core>=1; extra == "fast"'], extras=["fast"]
    )
    build_slow_sdist(directory, "pwt-slow", "1.0.0")
    return directory


def repack_installed(directory: Path, name: str, *, binaries: bool = False) -> Path:
    """A wheel of an installed distribution (its files as RECORD lists them), so that an
    offline env can install pytest and its dependencies from a local find-links.
    ``binaries``: the files it put in the env's ``bin`` (uv's binary) go back into the
    wheel's scripts (console scripts are not wanted there: installers write those)."""
    import importlib.metadata

    dist = importlib.metadata.distribution(name)
    contents: dict[str, bytes] = {}
    dist_info = ""
    module = canonicalize_name(dist.metadata["Name"]).replace("-", "_")
    for file in dist.files or []:
        text = str(file)
        if binaries and text.startswith("../../../bin/"):
            script = f"{module}-{dist.version}.data/scripts/{text.rsplit('/', 1)[-1]}"
            contents[script] = Path(str(file.locate())).read_bytes()
            continue
        if text.startswith("..") or "__pycache__" in text or text.endswith(".pyc"):
            continue
        top = text.split("/", 1)[0]
        if top.endswith(".dist-info"):
            dist_info = top
            if text.rsplit("/", 1)[-1] in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"):
                continue
        contents[text] = Path(str(file.locate())).read_bytes()
    record = [_record_line(path, data) for path, data in contents.items()]
    record.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = directory / f"{module}-{dist.version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in contents.items():
            info = zipfile.ZipInfo(member)
            if ".data/scripts/" in member:
                info.external_attr = 0o100755 << 16  # installers keep the executable bit
            archive.writestr(info, data)
    return path


def repack_closure(directory: Path, name: str) -> Path:
    """``name`` and everything it requires (markers evaluated here, extras not), each
    repacked from this environment: an offline find-links for a tox env's deps."""
    import importlib.metadata

    from packaging.requirements import Requirement

    directory.mkdir(parents=True, exist_ok=True)
    pending, done = [name], set()
    while pending:
        current = canonicalize_name(pending.pop())
        if current in done:
            continue
        done.add(current)
        repack_installed(directory, current)
        for text in importlib.metadata.requires(current) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return directory
