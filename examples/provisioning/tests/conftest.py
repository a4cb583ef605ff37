from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_workspace import Env


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., str]:
    """Run a command in an env with a private state file; return its stdout."""

    def run(env: Env, *argv: str) -> str:
        state = {"PROVISIONING_STATE": str(tmp_path / "state.json")}
        return env.run(list(argv), env=state).stdout

    return run
