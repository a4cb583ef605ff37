"""provisioning-platform: orchestrates core through its CLI, as the real platform does."""

from importlib.metadata import version

__version__ = version("provisioning-platform")
