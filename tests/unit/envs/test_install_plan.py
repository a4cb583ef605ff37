"""The install plan: what every front-end installs for a bundle, said once."""

from __future__ import annotations

from pathlib import Path

from pytest_workspace import load_matrix
from pytest_workspace.envs.install import InstallPlan

from ...helpers import PWT_MATRIX, WriteMatrix, spec_for


def test_a_checkout_replaces_its_pin_and_goes_in_editable(
    write_matrix: WriteMatrix, tmp_path: Path
) -> None:
    matrix = load_matrix(write_matrix(PWT_MATRIX))
    checkout = tmp_path / "core"
    checkout.mkdir()
    plan = InstallPlan.of(spec_for(matrix, "old", sources={"core": checkout}))
    assert plan.pins == ("pwt-platform==1.0.0", "pwt-plugin-a==0.1.0")
    assert plan.editables == (str(checkout.resolve()),)
    assert plan.sourced == frozenset({"pwt-core"})
    assert plan.requirements == ["pwt-platform==1.0.0", "pwt-plugin-a==0.1.0"]


def test_without_leaves_out_what_the_caller_installs_itself(write_matrix: WriteMatrix) -> None:
    plan = InstallPlan.of(spec_for(load_matrix(write_matrix(PWT_MATRIX)), "old"))
    kept = plan.without(["PWT_Core"])
    assert kept.pins == ("pwt-platform==1.0.0", "pwt-plugin-a==0.1.0")
    assert "pwt-core" in kept.sourced


def test_pin_constraints_carry_no_extras(tmp_path: Path) -> None:
    # pip refuses "pkg[extra]==1.0" as a constraint; tox's install mode wrote it.
    plan = InstallPlan(pins=("pwt-tools[fast]==1.0.0", "pwt-core==1.0.0"))
    written = plan.pin_constraints(tmp_path / "constraints.txt")
    assert written.read_text() == "pwt-tools==1.0.0\npwt-core==1.0.0\n"
