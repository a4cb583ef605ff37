"""Exception hierarchy.

Every error a user can cause derives from :class:`WorkspaceError` and renders as one
line; the CLI prints it without a traceback and the plugin turns it into a
``pytest.UsageError``. Internal control flow (an env that must be rebuilt) does not use
these classes.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    # Annotations only: the CLI imports this module on every run, pathlib costs more.
    from collections.abc import Iterable
    from pathlib import Path


class WorkspaceError(Exception):
    """A problem the user can fix: bad input, a missing file, an impossible request."""


class MatrixError(WorkspaceError):
    """One problem in a matrix file, located by file, key path and (when known) line."""

    def __init__(
        self,
        message: str,
        *,
        file: Path | None = None,
        key: str = "",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.key = key
        self.line = line
        self.column = column

    def located(self, *, file: Path | None = None, key: str = "") -> MatrixError:
        """Return a copy that knows its file and has ``key`` prefixed to its key path."""
        joined = _join_key(key, self.key)
        return MatrixError(
            self.message,
            file=self.file or file,
            key=joined,
            line=self.line,
            column=self.column,
        )

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        if self.key:
            where += f"{self.key}: "
        return where + self.message


def _join_key(prefix: str, key: str) -> str:
    if not prefix:
        return key
    if not key:
        return prefix
    return prefix + key if key.startswith("[") else f"{prefix}.{key}"


class InvalidMatrixError(WorkspaceError):
    """All problems found while loading one matrix file; ``check`` prints each of them.

    (One located problem is a :class:`MatrixError`; this carries all of them.)
    """

    def __init__(self, errors: Iterable[MatrixError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


class MatrixNotFound(WorkspaceError):
    """No matrix file where one was expected; the message lists where we looked."""


class SelectionError(WorkspaceError):
    """An unknown bundle, upgrade path or component, or a malformed combination."""


class EnvError(WorkspaceError):
    """An environment could not be built or used."""


class InstallError(EnvError):
    """The installer refused the requirements or installed other versions than pinned."""


class LockTimeout(EnvError):
    """Another process held an env's build lock for longer than the bound."""


class InterpreterNotFound(EnvError):
    """A bundle asks for a Python that is not on this machine."""


class UntrustedCacheError(EnvError):
    """A cache directory, env or manifest that another user could have planted or changed."""


#: the words that open a line naming why git or an installer failed
_CAUSES = ("fatal:", "error:", "cause:", "caused by:", "because", "ssh:")


def cause_of(output: str, limit: int = 600) -> str:
    """The lines of a tool's output that name why it failed, joined into one: git's and
    uv's ``fatal:`` / ``error:`` / ``cause:`` lines with their indented continuations
    (``Please make sure you have the correct access rights`` and other advice is left
    out); the last line when none is marked."""
    kept: list[str] = []
    keeping = False
    for line in output.splitlines():
        stripped = line.strip()
        if not stripped:
            keeping = False
            continue
        if stripped.lower().startswith(_CAUSES):
            kept.append(stripped)
            keeping = True
        elif keeping and line[:1].isspace() and not stripped.lower().startswith("hint:"):
            kept[-1] += " " + stripped
        else:
            keeping = False
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    text = " ".join(dict.fromkeys(kept)) if kept else (lines[-1] if lines else "")
    return text if len(text) <= limit else text[: limit - 3] + "..."
