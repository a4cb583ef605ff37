"""Upgrade tests, run once per selected path (`pytest --upgrade-path all`): state
created with the old versions must survive the upgrade in place."""

from __future__ import annotations


def test_servers_survive_the_upgrade(upgrade_path, cli):
    env = upgrade_path.env
    for name in ("web", "db", "cache"):
        cli(env, "provisioning", "server", "create", name)

    upgrade_path.upgrade()

    assert env.installed()["provisioning-core"] == upgrade_path.to_versions["core"]
    assert cli(env, "provisioning", "server", "list").split() == ["web", "db", "cache"]
    # The migrated file is usable: new servers join the old ones.
    cli(env, "provisioning", "server", "create", "queue")
    assert cli(env, "provisioning", "server", "list").split() == ["web", "db", "cache", "queue"]
