"""The console examples of the docs that show ``pytest-workspace`` output, against the
real output of the same command on the same files."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from pytest_workspace.cli import main

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs"


def console_examples(page: Path) -> list[tuple[list[str], list[str]]]:
    """Each ``$ pytest-workspace ...`` line of the page's console blocks, with the
    output lines shown under it."""
    examples: list[tuple[list[str], list[str]]] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.strip() != ".. code-block:: console":
            continue
        body = []
        for following in lines[number + 2 :]:
            if following and not following.startswith("   "):
                break
            body.append(following[3:])
        command: list[str] | None = None
        for text in body:
            if text.startswith("$ "):
                argv = shlex.split(text[2:].split("  #")[0])
                command = argv[1:] if argv[0] == "pytest-workspace" else None
                if command is not None:
                    examples.append((command, []))
            elif command is not None and text.strip():
                examples[-1][1].append(text)
    return examples


EXAMPLES = [
    (page, argv, shown)
    for page in sorted(DOCS.rglob("*.rst"))
    for argv, shown in console_examples(page)
    if shown and argv[0] in ("bundles", "check", "show")
]


@pytest.mark.parametrize(
    ("page", "argv", "shown"),
    EXAMPLES,
    ids=[f"{p.stem}:{' '.join(a[:2])}" for p, a, _ in EXAMPLES],
)
def test_the_docs_show_what_the_command_prints(
    page: Path,
    argv: list[str],
    shown: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    main(argv)
    captured = capsys.readouterr()
    printed = (captured.out + captured.err).splitlines()
    # "..." stands for lines left out, ".../" for the checkout's path.
    for line in shown:
        if line.strip() == "...":
            continue
        pattern = re.escape(line).replace(re.escape(".../"), ".*/")
        assert any(re.fullmatch(pattern, out) for out in printed), (line, printed)


def test_there_are_examples_to_check() -> None:
    assert {argv[0] for _, argv, _ in EXAMPLES} >= {"bundles", "check"}
