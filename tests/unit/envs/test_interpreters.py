from __future__ import annotations

import platform
import sys

import pytest

from pytest_workspace.envs.interpreters import current_interpreter, python_version

VERSIONS = [
    "3.11.7 (main, Nov  1 2026, 10:00:00) [GCC 12.2.0]",
    "3.13.0rc1 (main, Sep  1 2024, 10:00:00) [Clang 16.0.0 ]",
    "3.12.0+ (heads/3.12:0123abcd, Oct  2 2023, 10:00:00) [GCC 11.4.0]",
    "3.14.0a1 (tags/v3.14.0a1:8cdaca8, Oct 15 2024, 20:08:21) [MSC v.1941 64 bit (AMD64)]",
    "3.10.14 (75b3de9d9035, Apr 22 2024, 12:00:00)\n[PyPy 7.3.16 with GCC 10.2.1 20210130]",
    "3.9 (default, Jan  1 2020, 00:00:00) \n[GCC 9.0.0]",
]


def test_the_running_version_is_platforms() -> None:
    # Part of every env's key: a different string would orphan every env built before.
    assert python_version() == platform.python_version()
    assert current_interpreter().version == platform.python_version()


@pytest.mark.parametrize("text", VERSIONS)
def test_read_as_platform_reads_sys_version(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "version", text)
    # What platform.python_version() says for it (its parser is private).
    expected = platform._sys_version(text)[1]  # type: ignore[attr-defined]
    assert python_version() == expected
