"""provisioning-core: servers, their state file, and the extension registry."""

from importlib.metadata import version

__version__ = version("provisioning-core")
