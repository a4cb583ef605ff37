"""Integration tests, run once per selected bundle (`pytest --bundle all`)."""

from __future__ import annotations

import pytest


def test_servers_round_trip_through_the_cli(bundle_env, cli):
    cli(bundle_env, "provisioning", "server", "create", "web")
    cli(bundle_env, "provisioning", "server", "create", "db")
    assert cli(bundle_env, "provisioning", "server", "list").split() == ["web", "db"]


def test_platform_orchestrates_core(bundle_env, cli):
    out = cli(bundle_env, "provisioning-platform", "deploy", "api")
    assert "'name': 'api'" in out
    assert cli(bundle_env, "provisioning", "server", "list").split() == ["api"]


def test_core_discovers_the_bundles_extensions(bundle_env, bundle, cli):
    expected = {
        pin.member: str(pin.version) for pin in bundle.pins if pin.component == "extensions"
    }
    listed = dict(
        line.split() for line in cli(bundle_env, "provisioning", "extension", "list").splitlines()
    )
    assert listed == expected


def test_installed_versions_are_the_bundles(bundle_env, bundle):
    installed = bundle_env.installed()
    for pin in bundle.pins:
        assert installed[pin.distribution] == str(pin.version)


@pytest.mark.workspace(core=">=3.2")
def test_core_api_describes_servers(bundle_env, cli, tmp_path):
    cli(bundle_env, "provisioning", "server", "create", "web")
    code = "from provisioning_core import api; print(api.describe('web')['created-by'])"
    out = bundle_env.run_python(code, env={"PROVISIONING_STATE": str(tmp_path / "state.json")})
    assert out.stdout.strip() == bundle_env.pins["core"]


@pytest.mark.workspace(workspace="^1.4")
def test_multi_region_template(bundle_env, cli):
    assert "multi-region" in cli(bundle_env, "provisioning-workspace").split()


@pytest.mark.bundles("lts-*")
def test_lts_bundles_have_no_extensions(bundle):
    assert not [pin for pin in bundle.pins if pin.component == "extensions"]
