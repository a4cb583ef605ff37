"""provisioning-workspace: templates for new workspaces."""

from __future__ import annotations

import sys
from importlib.metadata import version

from .catalogue import TEMPLATES

__version__ = version("provisioning-workspace")


def main(argv: list[str] | None = None) -> int:
    for name in TEMPLATES:
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
