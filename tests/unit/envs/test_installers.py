"""What reaches an installer: requirements only, never an option."""

from __future__ import annotations

import pytest

from pytest_workspace.errors import SelectionError


@pytest.mark.parametrize(
    "text",
    ["pwt-core==1.0.0", "pwt_core==1.0rc1", "pwt.core==2.post1.dev3", "pwt-core==1.0+local.7"],
)
def test_a_plain_pin_passes_on_its_face_as_packaging_would_pass_it(text: str) -> None:
    from packaging.requirements import Requirement

    from pytest_workspace.envs.installers import _PLAIN_PIN

    assert _PLAIN_PIN.fullmatch(text)
    assert str(Requirement(text)) == text


@pytest.mark.parametrize(
    "text", ["pwt-core==1..0", "--index-url=http://evil", "-e .", "pwt-core==1.0 ;x"]
)
def test_anything_else_is_parsed(text: str) -> None:
    from pytest_workspace.envs.installers import _PLAIN_PIN, _checked

    assert not _PLAIN_PIN.fullmatch(text)
    with pytest.raises(SelectionError):
        _checked([text])
