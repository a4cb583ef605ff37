"""The worker side of whole-suite mode, sent by pytest-xdist to an interpreter in a
bundle's env (through the ``pytest_xdist_getremotemodule`` hook).

pytest-xdist hands a ``popen`` worker the controller's ``sys.path``: right when both run
one interpreter, wrong here, where the worker would then import the controller's
packages instead of the bundle's. This keeps the worker's own path (its env's
site-packages and the checkout's editable hook), drops the working directory that
``python -c`` puts first (a flat-layout checkout would otherwise shadow the release
under ``--workspace-source=none``), activates the env for subprocesses, and then runs
pytest-xdist's own worker module unchanged. The upgrade-path workers, which run the
controller's interpreter, keep pytest-xdist's defaults. The user's bytecode setting is
kept (``envs/bytecode_hook.py`` says how the env's own modules still get bytecode).

This module is sent as source and must stay self-contained.

PYTEST_DONT_REWRITE
"""

if __name__ == "__channelexec__":
    import os
    import runpy
    import sys

    _here = os.getcwd()
    _own_path = [entry for entry in sys.path if entry not in ("", _here)]

    class _OwnPath:
        """The channel, except that the first message gets this worker's sys.path."""

        def __init__(self, channel: object) -> None:
            self._channel = channel
            self._first = True

        def receive(self, *args: object, **kwargs: object) -> object:
            message = self._channel.receive(*args, **kwargs)  # type: ignore[attr-defined]
            if self._first:
                self._first = False
                workerinput, argv, options, _controller_path = message
                message = (workerinput, argv, options, _own_path)
            return message

        def __getattr__(self, name: str) -> object:
            return getattr(self._channel, name)

    # The upgrade-path workers run the controller's own interpreter: pytest-xdist's
    # defaults (its sys.path, its environment) are right for them, as in an isolated run.
    _bundles = "PYTEST_WORKSPACE_BUNDLE" in os.environ
    if _bundles:
        os.environ["VIRTUAL_ENV"] = sys.prefix
        _bin = os.path.dirname(sys.executable)
        os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")
    import importlib.util

    # By path: importing the xdist package here, before pytest's start-up, would keep
    # pytest from rewriting its asserts (and warn about it, an error under -W error).
    _xdist = importlib.util.find_spec("xdist")
    if _xdist is None or _xdist.origin is None:
        raise ImportError(f"pytest-xdist is not installed in {sys.prefix}")

    runpy.run_path(
        os.path.join(os.path.dirname(_xdist.origin), "remote.py"),
        init_globals={"channel": _OwnPath(channel) if _bundles else channel},  # type: ignore[name-defined]  # noqa: F821
        run_name="__channelexec__",
    )
