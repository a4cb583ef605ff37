"""The selected bundles as tested: each swapped-in checkout at its own version, not at
the matrix's pin, for the header, the gates and the results (plugin side).

Whole-suite mode has them in the selection already (its workers read their envs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model.matrix import Bundle
    from .session import WorkspaceSession

__all__ = ["tested_bundles"]


def tested_bundles(session: WorkspaceSession) -> dict[str, Bundle]:
    """Bundle name to the bundle as tested, for the bundles a checkout changes: at the
    version installed (in the running environment), or as the checkout's project file
    says (isolated mode); a version only the checkout's build knows (setuptools-scm, a
    backend's own scheme) is read from the bundle's env, built or reused now."""
    selection = session.selection
    if not (selection and selection.sources) or session.workers or session.inside is not None:
        return {}
    from ..errors import WorkspaceError
    from ..meta.siblings import checkout_versions

    installed = None
    if session.mode == "current":
        from ..envs.env import read_installed

        installed = read_installed()
    sources = selection.sources
    pins = [pin for chosen in selection.bundles for pin in chosen.pins]
    found = checkout_versions(pins, sources, installed)
    tested = {}
    for chosen in selection.bundles:
        sourced = chosen.sourced(sources)
        versions = found
        if installed is None and not sourced <= found.keys():
            # The fixtures reuse this env (same spec); gating on the matrix's pin
            # instead would test the checkout as a version it is not.
            try:
                env = session.env_for(chosen)
            except WorkspaceError:
                pass  # the test that needs the env reports why, in one line
            else:
                versions = {**found, **env.installed_sources()}
        tested[chosen.name] = chosen.with_versions(versions)
    return tested
