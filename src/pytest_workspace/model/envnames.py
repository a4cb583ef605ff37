"""Environment names for front-ends that read meaning into a name (tox).

tox splits an env name on ``-`` into factors and, since 4.17.1, reads any factor that
looks like ``3.2``, ``py312`` or ``pypy`` as the Python to build it on: a literal
``bundle-stable-3.2`` would ask for Python 3.2, and ``upgrade-lts-3.1-stable-3.2`` for
two conflicting Pythons. A factor may only hold letters, digits, ``_`` and ``.`` (a
``,`` separates envs, a ``:`` breaks ``PATH``). So every such part gets a ``v``
(``bundle-stable-v3.2``), a ``component@version`` end is spelled ``core_v3.1.0`` and
the ``,`` between several of them ``__``.

Pure functions of the matrix: ``check`` and ``ci-matrix`` use them without tox.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from .matrix import Bundle, Matrix, Notice, UpgradePath

__all__ = [
    "collision_notices",
    "collisions",
    "literal_spellings",
    "tox_bundle_env",
    "tox_envs",
    "tox_upgrade_env",
]

# What tox takes for an interpreter: an optional implementation and a version, both
# optional (``py``, ``pypy``, ``3``, ``3.12``, ``312t``); so every dotted number too.
_INTERPRETER = re.compile(
    r"(?:pypy|py|cpython|jython|graalpy|rustpython|ironpython)?"
    r"(?:\d+(?:\.\d+)*t?d?)?",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)  # parts repeat across thousands of bundle names
def _part(part: str) -> str:
    if _INTERPRETER.fullmatch(part):
        return f"v{part}"
    # core@3.1.0 -> core_v3.1.0, extensions@mongodb@1.2.0 -> extensions_mongodb_v1.2.0
    return "_".join(
        f"v{piece}" if index and piece[:1].isdigit() else piece
        for index, piece in enumerate(part.split("@"))
    )


def tox_label(label: str) -> str:
    """A bundle name or upgrade end as a tox-safe piece of an env name."""
    if "," not in label and ":" not in label:  # a bundle name; check() names thousands
        return "-".join(map(_part, label.strip().split("-")))
    ends = (item.strip() for item in label.split(","))
    return "__".join(
        "-".join(_part(part) for part in end.replace(":", "-").split("-")) for end in ends
    )


def tox_bundle_env(bundle: Bundle | str) -> str:
    """``stable-3.2`` -> ``bundle-stable-v3.2``."""
    name = bundle if isinstance(bundle, str) else bundle.name
    return f"bundle-{tox_label(name)}"


def tox_upgrade_env(path: UpgradePath) -> str:
    """``lts-3.1:stable-3.2`` -> ``upgrade-lts-v3.1-to-stable-v3.2``."""
    return f"upgrade-{tox_label(path.source.label)}-to-{tox_label(path.target.label)}"


def _named(matrix: Matrix) -> Iterator[tuple[str, Bundle | UpgradePath]]:
    for bundle in matrix.bundles.values():
        yield tox_bundle_env(bundle), bundle
    for path in matrix.upgrades:
        yield tox_upgrade_env(path), path


def tox_envs(matrix: Matrix) -> dict[str, Bundle | UpgradePath]:
    """Env name to what it tests, bundles then upgrade paths in file order (the first
    of two colliding names wins; :func:`collisions` reports them)."""
    envs: dict[str, Bundle | UpgradePath] = {}
    for name, item in _named(matrix):
        envs.setdefault(name, item)
    return envs


def _describe(item: Bundle | UpgradePath) -> str:
    if isinstance(item, Bundle):
        return f"bundle {item.name!r}"
    return f"upgrade path {item.id!r}"


def collisions(matrix: Matrix) -> list[tuple[str, list[str]]]:
    """Tox env names that two or more matrix entries map to, with those entries."""
    seen: dict[str, list[Bundle | UpgradePath]] = {}
    for name, item in _named(matrix):
        seen.setdefault(name, []).append(item)
    return [
        (name, [_describe(item) for item in items])
        for name, items in seen.items()
        if len(items) > 1
    ]


def collision_notices(matrix: Matrix) -> list[Notice]:
    """``check``'s findings: two names that end up one tox env (``v`` added to a part
    like ``3.2``) would be one env; rename one."""
    return [
        Notice("warning", "", f"{' and '.join(items)} both map to tox env {name!r}; rename one")
        for name, items in collisions(matrix)
    ]


def literal_spellings(matrix: Matrix) -> dict[str, str]:
    """Names a user may type for our envs (``bundle-stable-3.2``,
    ``upgrade-lts-3.1-stable-3.2``, ``upgrade-lts-3.1:stable-3.2``) that are not the
    env's name, mapped to the name tox knows."""
    spellings: dict[str, str] = {}
    for bundle in matrix.bundles.values():
        spellings[f"bundle-{bundle.name}"] = tox_bundle_env(bundle)
    for path in matrix.upgrades:
        source, target = path.source.label, path.target.label
        for typed in (f"{source}-to-{target}", f"{source}-{target}", f"{source}:{target}"):
            spellings[f"upgrade-{typed}"] = tox_upgrade_env(path)
    return {typed: name for typed, name in spellings.items() if typed != name}
