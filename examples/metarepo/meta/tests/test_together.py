"""The meta-repository's suite: the sibling checkouts of core and platform, together,
against the rest of a bundle (`pytest --bundle stable-3.2 --workspace-siblings=auto`)."""

from __future__ import annotations

from pathlib import Path

from pytest_workspace import Bundle, Env

SIBLINGS = {"provisioning-core", "provisioning-platform"}


def test_core_and_platform_come_from_the_siblings(bundle_env: Env, bundle: Bundle) -> None:
    sources = {source.distribution: source.path for source in bundle_env.spec.sources}
    assert set(sources) == SIBLINGS, "run with --workspace-siblings=auto after bootstrap"
    code = "import provisioning_core as c, provisioning_platform as p; "
    code += "print(c.__file__, p.__file__)"
    core, platform = map(Path, bundle_env.run_python(code).stdout.split())
    assert core.is_relative_to(sources["provisioning-core"])
    assert platform.is_relative_to(sources["provisioning-platform"])
    # Everything else is exactly the bundle.
    installed = bundle_env.installed()
    for pin in bundle.pins:
        if pin.distribution not in SIBLINGS:
            assert installed[pin.distribution] == str(pin.version)


def test_a_change_across_both_repositories(bundle_env: Env, tmp_path: Path) -> None:
    state = {"PROVISIONING_STATE": str(tmp_path / "state.json")}
    bundle_env.run(["provisioning", "server", "create", "web"], env=state)
    out = bundle_env.run(["provisioning-platform", "deploy", "api"], env=state).stdout
    # platform's branch calls core's new api.count(): both checkouts are needed.
    assert "'servers': 2" in out
