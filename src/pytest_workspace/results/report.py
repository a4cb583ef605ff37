"""The merged compatibility report: results files merged (the newest run of each bundle
and upgrade path wins) into rows with verdicts, rendered as Markdown (a PR comment,
``$GITHUB_STEP_SUMMARY``) or one self-contained HTML page. Plain data in, text out.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import datetime
import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .document import ResultsFile
from .records import OUTCOMES
from .verdict import Verdict

__all__ = [
    "Merged",
    "Row",
    "merge",
    "render_html",
    "render_markdown",
]

RowKind = Literal["bundle", "combination", "upgrade path"]
#: what ``--combination`` computes (``explore``) rather than reads
_EXPLORED = ("floor", "latest")


# -- merged compatibility report ---------------------------------------------------------

GREEN, RED, NOT_RUN = "passing", "failing", "not run"
_BAD = ("failed", "error")


@dataclass
class Row:
    """One bundle or upgrade path of the merged report."""

    kind: RowKind
    name: str
    detail: str  # pins, or "from -> to"
    started: str | None = None
    source: str | None = None
    #: None when no results file has this row
    verdict: Verdict | None = None
    cells: dict[str, Counter[str]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    #: test id to the first lines of why it failed
    messages: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.verdict is None or self.verdict.word == "not run":
            return NOT_RUN
        return GREEN if self.verdict.green else RED


@dataclass
class Merged:
    rows: list[Row]
    modules: list[str]

    def headline(self) -> str:
        parts = []
        for kind, plural in (
            ("bundle", "bundles"),
            ("combination", "explored combinations"),
            ("upgrade path", "upgrade paths"),
        ):
            rows = [row for row in self.rows if row.kind == kind]
            if rows:
                green = sum(row.status == GREEN for row in rows)
                parts.append(f"{green}/{len(rows)} {plural} green")
        not_run = sum(row.status == NOT_RUN for row in self.rows)
        if not_run:
            parts.append(f"{not_run} not run")
        return ", ".join(parts) or "no results"

    @property
    def ok(self) -> bool:
        """Every row that some results file has is green (one that ran nothing is not)."""
        return all(row.status == GREEN for row in self.rows if row.verdict is not None)

    @property
    def complete(self) -> bool:
        """Every declared bundle and upgrade path has a result."""
        return all(row.verdict is not None for row in self.rows)

    def problems(self) -> list[str]:
        """``bundle X: failed: 2 failed`` for each row with results that is not green."""
        return [
            f"{row.kind} {row.name}: {row.verdict}"
            for row in self.rows
            if row.verdict is not None and not row.verdict.green
        ]


def merge(
    files: Sequence[ResultsFile],
    declared_bundles: Mapping[str, str] | None = None,
    declared_paths: Mapping[str, str] | None = None,
) -> Merged:
    """Merge results files: for each bundle and upgrade path the newest run wins.
    Declared bundles/paths without results are "not run"."""
    newest: dict[tuple[str, str], ResultsFile] = {}
    details: dict[tuple[str, str], str] = {}
    for shard in sorted(files, key=lambda item: item.started):
        for name, bundle in shard.bundles.items():
            newest[("bundle", name)] = shard
            details[("bundle", name)] = ", ".join(f"{k} {v}" for k, v in bundle.pins.items())
        for name, path in shard.paths.items():
            newest[("upgrade path", name)] = shard
            moved = [c for c in path.changes if c[3] != "unchanged"]
            what = ", ".join(f"{key} {old or '-'} → {new or '-'}" for key, old, new, _ in moved)
            details[("upgrade path", name)] = f"{path.source} → {path.target}" + (
                f" ({what})" if what else ""
            )
    for name, detail in (declared_bundles or {}).items():
        details.setdefault(("bundle", name), detail)
    for name, detail in (declared_paths or {}).items():
        details.setdefault(("upgrade path", name), detail)

    rows: list[Row] = []
    modules: set[str] = set()
    order = [*(declared_bundles or {}), *(n for k, n in details if k == "bundle")]
    path_order = [*(declared_paths or {}), *(n for k, n in details if k == "upgrade path")]
    # Combinations (explored ones, ad-hoc ones) apart from the bundles: a name with
    # '=' is a --combination spec, floor and latest what `explore` computes.
    declared = declared_bundles or {}

    def combination(name: str) -> bool:
        return name not in declared and ("=" in name or name in _EXPLORED)

    order = list(dict.fromkeys(order))
    kinds: tuple[tuple[RowKind, list[str]], ...] = (
        ("bundle", [n for n in order if not combination(n)]),
        ("combination", [n for n in order if combination(n)]),
        ("upgrade path", path_order),
    )
    for kind, names in kinds:
        for name in dict.fromkeys(names):
            found: str = "bundle" if kind == "combination" else kind
            row = Row(kind, name, details[(found, name)])
            results = newest.get((found, name))
            if results is not None:
                row.started, row.source = results.started.isoformat(), results.source
                row.verdict = (
                    results.bundles[name].verdict
                    if found == "bundle"
                    else results.paths[name].verdict
                )
                attribute = "bundle" if found == "bundle" else "upgrade_path"
                for test in results.tests:
                    if getattr(test, attribute) != name:
                        continue
                    module = test.nodeid.split("::")[0]
                    modules.add(module)
                    row.cells.setdefault(module, Counter())[test.outcome] += 1
                    if test.outcome in _BAD:
                        row.failures.setdefault(module, []).append(test.nodeid)
                        if test.message:
                            row.messages[test.nodeid] = test.message
            rows.append(row)
    return Merged(rows, sorted(modules))


def _shown(started: str | None) -> str:
    if started is None:
        return "not run"
    moment = datetime.datetime.fromisoformat(started).astimezone(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _cell_text(counter: Counter[str] | None) -> str:
    if not counter:
        return "—"
    return ", ".join(f"{counter[o]} {o}" for o in OUTCOMES if counter[o])


def _md(text: str) -> str:
    """Table-cell text: HTML escaped (GitHub renders inline HTML) and ``|`` escaped."""
    return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    """An inline code span that no backtick or newline in ``text`` can break out of."""
    longest = max((len(part) for part in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if longest else text
    return f"{fence}{padded.replace(chr(10), ' ')}{fence}"


def _status(row: Row, green: str, red: str, off: str) -> str:
    """``✅ passing``, ``❌ failing`` (``crashed``, ``error``), ``⚪ not run``."""
    if row.status == GREEN:
        return f"{green} passing"
    if row.status == NOT_RUN:
        return f"{off} not run".strip()
    word = row.verdict.word if row.verdict else "failed"
    return f"{red} {'failing' if word == 'failed' else word}"


def _explained(row: Row) -> bool:
    """Whether the status needs its why: counts do not show a crash or an empty run."""
    return row.verdict is not None and row.verdict.word in ("crashed", "not run")


def render_markdown(merged: Merged, title: str = "Compatibility matrix") -> str:
    """A GitHub-flavoured table for a PR comment or ``$GITHUB_STEP_SUMMARY``."""
    header = ["bundle / upgrade path", "status", *merged.modules, "ran"]
    lines = [
        f"### {title}",
        "",
        f"**{merged.headline()}**",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in merged.rows:
        cells = [_cell_text(row.cells.get(module)) for module in merged.modules]
        name, detail = _md(row.name), _md(row.detail)
        label = f"**{name}**<br>{detail}" if detail else f"**{name}**"
        ran = _shown(row.started)
        status = _status(row, "✅", "❌", "⚪")
        why = f"<br>{_md(row.verdict.why)}" if _explained(row) and row.verdict else ""
        lines.append("| " + " | ".join([label, status + why, *cells, ran]) + " |")
    failures = [(row, ids) for row in merged.rows for ids in row.failures.values()]
    if failures:
        lines += ["", "Failing tests:", ""]
        lines += [f"- {_code(row.name)}: {_code(test)}" for row, ids in failures for test in ids]
    return "\n".join(lines) + "\n"


_CSS = """
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --off: #6e7781;
  --line: #d0d7de; --bg: #ffffff; --fg: #1f2328; }
@media (prefers-color-scheme: dark) { :root { --ok: #3fb950; --bad: #f85149;
  --off: #8b949e; --line: #30363d; --bg: #0d1117; --fg: #e6edf3; } }
body { font: 15px/1.45 system-ui, sans-serif; margin: 1rem; background: var(--bg);
  color: var(--fg); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; min-width: 100%; }
th, td { border: 1px solid var(--line); padding: .4rem .6rem; text-align: left;
  vertical-align: top; }
th { position: sticky; top: 0; background: var(--bg); }
.passing { color: var(--ok); } .failing { color: var(--bad); font-weight: 600; }
.passing, .failing, .not-run, .ran { white-space: nowrap; }
th[scope="row"] { max-width: 22rem; }
.not-run { color: var(--off); font-style: italic; }
small { color: var(--off); } code { font-size: 90%; word-break: break-all; }
"""


def render_html(merged: Merged, title: str = "Compatibility matrix") -> str:
    """One self-contained page: inline CSS, no script, no external references; outcomes
    are words as well as colours; the table scrolls sideways on a phone."""
    esc = html.escape
    head = "".join(f"<th>{esc(module)}</th>" for module in merged.modules)
    body = []
    for row in merged.rows:
        status = row.status.replace(" ", "-")
        why = ""
        if _explained(row) and row.verdict:
            why = f"<br/><small>{esc(row.verdict.why)}</small>"
        cells = []
        for module in merged.modules:
            counter = row.cells.get(module)
            text = esc(_cell_text(counter))
            ids = row.failures.get(module)
            if ids:
                items = "".join(
                    f"<li><code>{esc(test)}</code>"
                    + (f"<pre>{esc(row.messages[test])}</pre>" if test in row.messages else "")
                    + "</li>"
                    for test in ids
                )
                text = f"<details><summary>{text}</summary><ul>{items}</ul></details>"
            bad = counter is not None and any(counter[o] for o in _BAD)
            cells.append(f'<td class="{"failing" if bad else ""}">{text}</td>')
        ran = esc(_shown(row.started))
        body.append(
            f'<tr><th scope="row">{esc(row.name)}<br/><small>{esc(row.kind)}: '
            f"{esc(row.detail)}</small></th>"
            f'<td class="{status}">{esc(_status(row, "✔", "✘", ""))}{why}</td>{"".join(cells)}'
            f'<td class="ran"><small>{ran}</small></td></tr>'
        )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1><p><strong>{esc(merged.headline())}</strong></p>"
        '<div class="scroll"><table><thead><tr><th>bundle / upgrade path</th><th>status</th>'
        f"{head}<th>ran</th></tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        "</body></html>\n"
    )
