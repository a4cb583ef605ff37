"""pytest hooks, options, markers and fixtures (see DESIGN.md section 2)."""

from __future__ import annotations
