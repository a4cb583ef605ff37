"""Reading TOML for the loader: syntax errors with line and column, a byte-order mark
tolerated, and unquoted dotted names (``[bundles.stable-3.2]``) joined back.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InvalidMatrixError, MatrixError, MatrixNotFound
from .compat import tomllib

__all__ = ["flatten", "read_toml"]

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def read_toml(path: Path) -> dict[str, Any]:
    try:
        # utf-8-sig: editors on Windows save a byte-order mark, which TOML does not allow.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MatrixNotFound(f"matrix file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidMatrixError([MatrixError(f"cannot read: {error}", file=path)]) from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        line = column = None
        position = _TOML_POSITION.search(message)
        if position:
            line, column = int(position.group(1)), int(position.group(2))
            message = message[: position.start()]
        raise InvalidMatrixError(
            [MatrixError(f"invalid TOML: {message}", file=path, line=line, column=column)]
        ) from None


def flatten(table: dict[str, Any]) -> Iterator[tuple[str, Any, bool]]:
    """Yield ``(name, value, dotted)``; a table holding only sub-tables is a name prefix.

    TOML reads the unquoted header ``[bundles.stable-3.2]`` as ``bundles."stable-3"."2"``;
    joining the path back with ``.`` restores the name the user meant.
    """
    for name, value in table.items():
        yield from _walk([name], value)


def _walk(parts: list[str], value: Any) -> Iterator[tuple[str, Any, bool]]:
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        for name, sub in value.items():
            yield from _walk([*parts, name], sub)
    else:
        yield ".".join(parts), value, len(parts) > 1
