"""Build every release of the example components into wheels in ./dist (offline).

Run: python examples/provisioning/build.py [--dist DIR]

Each release is a list of source files (see RELEASES): this is how the releases
differ, distilled from what a real repository's history would hold. The wheels are
written directly (a zip with METADATA, WHEEL, RECORD and entry points), so the demo
needs no build backend and no network.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "components"

CORE_31 = {
    "__init__.py": "core/__init__.py",
    "cli.py": "core/cli.py",
    "state.py": "core/state_31.py",
}
CORE_32 = {
    **CORE_31,
    "state.py": "core/state_32.py",
    "api.py": "core/api.py",
    "migrate.py": "core/migrate_321.py",
}
PLATFORM_24 = {
    "__init__.py": "platform/__init__.py",
    "runner.py": "platform/runner.py",
    "orchestrator.py": "platform/orchestrator_24.py",
}
PLATFORM_25 = {
    **PLATFORM_24,
    "orchestrator.py": "platform/orchestrator_25.py",
    "compat.py": "platform/compat_250.py",
}
WORKSPACE = {"__init__.py": "workspace/__init__.py", "catalogue.py": "workspace/catalogue_13.py"}
# Platform's own metadata only says core >= 3.1: the matrix knows better (2.5.3 needs
# core 3.2's API), which is exactly what `pytest-workspace check` and the tests catch.
NEEDS_CORE = ["provisioning-core>=3.1,<4"]

#: distribution -> version -> (files, Requires-Dist)
RELEASES: dict[str, dict[str, tuple[dict[str, str], list[str]]]] = {
    "provisioning-core": {
        "3.1.0": (CORE_31, []),
        "3.1.5": (CORE_31, []),
        "3.2.0": ({**CORE_32, "migrate.py": "core/migrate_320.py"}, []),
        "3.2.1": (CORE_32, []),
    },
    "provisioning-platform": {
        "2.4.8": (PLATFORM_24, NEEDS_CORE),
        "2.5.0": (PLATFORM_25, NEEDS_CORE),
        "2.5.3": ({**PLATFORM_25, "compat.py": "platform/compat_253.py"}, NEEDS_CORE),
    },
    "provisioning-workspace": {
        "1.3.0": (WORKSPACE, NEEDS_CORE),
        "1.4.0": ({**WORKSPACE, "catalogue.py": "workspace/catalogue_14.py"}, NEEDS_CORE),
    },
}
EXTENSIONS = {
    "mongodb": ["1.1.0", "1.2.0"],
    "redis": ["1.0.0", "1.1.0"],
    "azure": ["1.5.0", "2.0.0"],
}
SCRIPTS = {
    "provisioning-core": "provisioning = provisioning_core.cli:main",
    "provisioning-platform": "provisioning-platform = provisioning_platform.runner:main",
    "provisioning-workspace": "provisioning-workspace = provisioning_workspace:main",
}


def write_wheel(
    dist: Path,
    name: str,
    version: str,
    files: dict[str, str],
    requires: list[str],
    entry_points: str,
) -> Path:
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    contents = {f"{module}/{target}": text for target, text in files.items()}
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    contents[f"{info}/METADATA"] = (
        "\n".join(metadata + [f"Requires-Dist: {requirement}" for requirement in requires]) + "\n"
    )
    contents[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: provisioning-example\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n"
    )
    if entry_points:
        contents[f"{info}/entry_points.txt"] = entry_points
    record = []
    for path, text in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    contents[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = dist / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, text in contents.items():
            archive.writestr(path, text)
    return wheel


def build(dist: Path) -> list[Path]:
    dist.mkdir(parents=True, exist_ok=True)
    built = []
    for name, releases in RELEASES.items():
        script = SCRIPTS[name]
        for version, (files, requires) in releases.items():
            sources = {target: (SOURCES / source).read_text() for target, source in files.items()}
            built.append(
                write_wheel(
                    dist, name, version, sources, requires, f"[console_scripts]\n{script}\n"
                )
            )
    template = (SOURCES / "extensions" / "extension.py").read_text()
    for member, versions in EXTENSIONS.items():
        entry = f"[provisioning.extensions]\n{member} = provisioning_ext_{member}:register\n"
        for version in versions:
            source = {"__init__.py": template.replace("{name}", member)}
            built.append(
                write_wheel(dist, f"provisioning-ext-{member}", version, source, NEEDS_CORE, entry)
            )
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=Path, default=HERE / "dist")
    args = parser.parse_args()
    built = build(args.dist)
    print(f"built {len(built)} wheels into {args.dist}")


if __name__ == "__main__":
    main()
