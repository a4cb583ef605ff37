"""The run plan: which role a pytest process plays, decided without pytest."""

from __future__ import annotations

import pytest

from pytest_workspace import load_matrix
from pytest_workspace.core.plan import plan_run
from pytest_workspace.core.selection import Request, Selection, select_bundles, select_upgrades
from pytest_workspace.errors import WorkspaceError

from ...helpers import MATRIX, WriteMatrix


@pytest.fixture
def selection(write_matrix: WriteMatrix) -> Selection:
    matrix = load_matrix(write_matrix(MATRIX.format(links="wheels")))
    request = Request(bundles=("all",), upgrades=("all",))
    return Selection(request, select_bundles(matrix, ["all"]), select_upgrades(matrix, ["all"]))


def only(selection: Selection, bundle: str) -> Selection:
    chosen = tuple(b for b in selection.bundles if b.name == bundle)
    return Selection(selection.request, chosen, selection.upgrades)


def test_isolated_is_the_default(selection: Selection) -> None:
    plan = plan_run(mode=None, selection=selection, started=1.0)
    assert (plan.role, plan.inside, plan.worker) == ("isolated", None, False)


def test_whole_suite_mode_makes_a_controller_with_workers_per_bundle(selection: Selection) -> None:
    plan = plan_run(mode="bundle", selection=selection, started=1.0, numprocesses=3)
    assert (plan.role, plan.workers) == ("suite-controller", 3)


def test_whole_suite_mode_stays_isolated_when_collecting_only(selection: Selection) -> None:
    plan = plan_run(mode="bundle", selection=selection, started=1.0, collect_only=True)
    assert plan.role == "isolated"


def test_whole_suite_mode_stays_isolated_for_upgrade_paths_alone(selection: Selection) -> None:
    # They have no bundle env to run in: their tests build their own envs.
    paths_only = Selection(selection.request, (), selection.upgrades)
    assert plan_run(mode="bundle", selection=paths_only, started=1.0).role == "isolated"


def test_a_worker_in_a_bundles_env_runs_that_bundle(selection: Selection) -> None:
    worker = {"inside": "old", "upgraders": True}
    plan = plan_run(mode="bundle", selection=selection, started=1.0, worker=worker)
    assert (plan.role, plan.inside, plan.upgrades_apart, plan.worker) == (
        "bundle-worker",
        "old",
        True,
        True,
    )


def test_a_worker_for_a_bundle_not_selected_is_refused(selection: Selection) -> None:
    with pytest.raises(WorkspaceError, match="unselected bundle 'gone'"):
        plan_run(mode="bundle", selection=selection, started=1.0, worker={"inside": "gone"})


def test_the_upgrade_path_worker(selection: Selection) -> None:
    plan = plan_run(mode="bundle", selection=selection, started=1.0, worker={"upgraders": True})
    assert (plan.role, plan.upgrades_apart) == ("upgrade-worker", True)


def test_running_env_mode_takes_exactly_one_bundle(selection: Selection) -> None:
    plan = plan_run(mode="current", selection=only(selection, "new"), started=1.0)
    assert (plan.role, plan.inside) == ("running-env", "new")
    with pytest.raises(WorkspaceError, match="against one bundle; got 2"):
        plan_run(mode="current", selection=selection, started=1.0)


def test_an_unknown_mode_names_the_choices(selection: Selection) -> None:
    with pytest.raises(WorkspaceError) as raised:
        plan_run(mode="bundles", selection=selection, started=1.0)
    assert str(raised.value) == (
        "workspace_env = 'bundles': expected 'isolated', 'current', 'bundle'"
    )


def test_the_plan_is_frozen(selection: Selection) -> None:
    plan = plan_run(mode=None, selection=selection, started=1.0)
    with pytest.raises(AttributeError):
        plan.role = "bundle-worker"  # type: ignore[misc]
