"""``python -m pytest_workspace``: the command line.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
