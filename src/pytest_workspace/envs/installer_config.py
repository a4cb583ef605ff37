"""The configuration files an installer reads on its own, so that they enter the key of
the envs it builds: a ``pip.conf`` or ``uv.toml`` that names another index or forbids
wheels changes what a build installs, and an env built under one must never be reused
under another.

Installers run from inside the env cache (see :meth:`.installers.Installer.run`), so a
project's own ``uv.toml`` or ``[tool.uv]`` in the directory where pytest runs is never
read; the matrix's ``[index]`` says where packages come from. What is read, and keyed:

- uv: ``$UV_CONFIG_FILE`` alone when set; else the user's and the system's ``uv.toml``
  (``$XDG_CONFIG_HOME/uv``, ``$XDG_CONFIG_DIRS/uv``, ``/etc/uv``), and a ``uv.toml`` or
  ``pyproject.toml`` in the cache's ancestors; nothing with ``UV_NO_CONFIG``;
- pip: the system's and the user's ``pip.conf`` (``$XDG_CONFIG_DIRS/pip``, ``/etc``,
  ``~/.pip``, ``$XDG_CONFIG_HOME/pip``) and ``$PIP_CONFIG_FILE``; nothing when that is
  ``os.devnull``.

Only ``os`` and ``hashlib`` here: the CLI's remembered answers record these files too.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import hashlib
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["config_digests", "config_files"]


def config_files(
    installer: str, directory: str, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Every file ``installer`` (``uv`` or ``pip``) may read its configuration from when
    run in ``directory``, existing or not, in a stable order."""
    environ = os.environ if environ is None else environ
    home = os.path.expanduser("~")
    user = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    system = [d for d in environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep) if d]
    if installer == "uv":
        if environ.get("UV_NO_CONFIG"):
            return []
        if environ.get("UV_CONFIG_FILE"):
            return [os.path.abspath(environ["UV_CONFIG_FILE"])]
        files = [os.path.join(user, "uv", "uv.toml")]
        files += [os.path.join(d, "uv", "uv.toml") for d in system]
        files.append("/etc/uv/uv.toml")
        # uv looks for a project's configuration upwards from where it runs.
        here = os.path.abspath(directory)
        while True:
            files += [os.path.join(here, "uv.toml"), os.path.join(here, "pyproject.toml")]
            parent = os.path.dirname(here)
            if parent == here:
                break
            here = parent
        return files
    given = environ.get("PIP_CONFIG_FILE")
    if given == os.devnull:
        return []
    files = [os.path.join(d, "pip", "pip.conf") for d in system]
    files += ["/etc/pip.conf", os.path.join(home, ".pip", "pip.conf")]
    files.append(os.path.join(user, "pip", "pip.conf"))
    return files + ([os.path.abspath(given)] if given else [])


def config_digests(
    installer: str, directory: str, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The files of :func:`config_files` that exist, each with its content's sha256
    (``unreadable`` when it cannot be read: still a difference)."""
    found = {}
    for path in config_files(installer, directory, environ):
        try:
            with open(path, "rb") as stream:
                content = stream.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError:
            found[path] = "unreadable"
            continue
        # uv reads a pyproject.toml only for its [tool.uv] table.
        if not path.endswith("pyproject.toml") or b"tool.uv" in content:
            found[path] = hashlib.sha256(content).hexdigest()
    return found
