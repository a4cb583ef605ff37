"""Draw the merged compatibility report (``pytest-workspace report``) as an SVG, for the
docs: ``python docs/report_image.py RESULTS.json... > docs/_static/report.svg``.

The rows, statuses and cells are the report's own (:func:`merge`, as ``report`` calls
it); only the drawing is here. The committed picture is of the example project's CI
fan-out: one results file per bundle job and one for the upgrade paths.
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

from pytest_workspace.results.document import read_results
from pytest_workspace.results.report import GREEN, NOT_RUN, merge

ROW, NAME, STATUS, CELL = 46, 250, 120, 190
COLOURS = {GREEN: "#1a7f37", NOT_RUN: "#6e7781"}
RED = "#cf222e"


def cell_text(counter: object) -> str:
    if not counter:
        return "—"
    return ", ".join(f"{n} {o}" for o, n in sorted(counter.items()) if n)  # type: ignore[attr-defined]


def draw(paths: list[str]) -> str:
    files = [read_results(json.loads(Path(p).read_text(encoding="utf-8")), p) for p in paths]
    merged = merge(files)
    modules = merged.modules
    width = NAME + STATUS + CELL * len(modules) + 20
    height = 80 + ROW * (len(merged.rows) + 1)
    esc = html.escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="system-ui, sans-serif" font-size="14">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        '<text x="10" y="30" font-size="20" font-weight="600">Compatibility matrix</text>',
        f'<text x="10" y="56" font-weight="600">{esc(merged.headline())}</text>',
    ]
    columns = ["bundle / upgrade path", "status", *modules]
    xs = [10, 10 + NAME, *(10 + NAME + STATUS + CELL * i for i in range(len(modules)))]
    top = 70
    for x, title in zip(xs, columns):
        out.append(f'<text x="{x + 6}" y="{top + 28}" font-weight="600">{esc(title)}</text>')
    for number, row in enumerate(merged.rows, start=1):
        y = top + ROW * number
        out.append(f'<line x1="10" x2="{width - 10}" y1="{y}" y2="{y}" stroke="#d0d7de"/>')
        out.append(f'<text x="16" y="{y + 20}" font-weight="600">{esc(row.name)}</text>')
        out.append(
            f'<text x="16" y="{y + 37}" font-size="11" fill="#6e7781">{esc(row.kind)}</text>'
        )
        colour = COLOURS.get(row.status, RED)
        mark = {"passing": "✔ passing", "failing": "✘ failing"}.get(row.status, row.status)
        out.append(f'<text x="{xs[1] + 6}" y="{y + 28}" fill="{colour}">{esc(mark)}</text>')
        for x, module in zip(xs[2:], modules):
            out.append(
                f'<text x="{x + 6}" y="{y + 28}">{esc(cell_text(row.cells.get(module)))}</text>'
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(draw(sys.argv[1:]))
