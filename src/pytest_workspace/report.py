"""Renderings: CI job matrices, the terminal summary table, and the merged
compatibility report (Markdown, HTML). Plain data in, text out.
"""

from __future__ import annotations

import datetime
import html
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .matrix import Bundle, UpgradePath
from .results import OUTCOMES, EnvRecord, TestResult, counts, path_outcome

__all__ = [
    "CI_FORMATS",
    "Merged",
    "Row",
    "ci_matrix",
    "merge",
    "render_html",
    "render_markdown",
    "summary_lines",
]

CI_FORMATS = ("github", "gitlab")
RowKind = Literal["bundle", "upgrade path"]


def ci_matrix(
    bundles: Sequence[Bundle],
    fmt: str = "github",
    upgrades: Sequence[UpgradePath] = (),
    common: Mapping[str, str] | None = None,
) -> str:
    """The bundles (and upgrade paths) as a CI job matrix.

    ``github`` is one line of JSON for ``strategy.matrix: ${{ fromJSON(...) }}``: one
    ``{"bundle": ...}`` entry per bundle, one ``{"upgrade_path": ...}`` per path (pytest
    ignores an empty ``--bundle=``/``--upgrade-path=``, so one job template serves
    both). ``gitlab`` is a ``parallel: matrix:`` fragment (JSON strings are valid YAML).
    ``common`` fields (``sibling_refs``) are added to every job.
    """
    from .envnames import tox_bundle_env, tox_upgrade_env

    entries = [{"bundle": b.name, "tox_env": tox_bundle_env(b)} for b in bundles]
    entries += [{"upgrade_path": p.id, "tox_env": tox_upgrade_env(p)} for p in upgrades]
    for entry in entries:
        entry.update(common or {})
    if fmt == "github":
        return json.dumps({"include": entries})
    if fmt == "gitlab":
        # One entry per job: variables listed together in one entry would multiply.
        lines = ["parallel:", "  matrix:"]
        for entry in entries:
            first, *rest = entry.items()
            lines.append(f"    - {first[0].upper()}: {json.dumps(first[1])}")
            lines.extend(f"      {key.upper()}: {json.dumps(value)}" for key, value in rest)
        return "\n".join(lines)
    raise ValueError(f"expected a CI format, one of {', '.join(CI_FORMATS)}, got {fmt!r}")


def _cells(counter: Counter[str]) -> str:
    extra = ", ".join(
        f"{counter[outcome]} {outcome}"
        for outcome in ("error", "xfailed", "xpassed")
        if counter[outcome]
    )
    main = f"{counter['passed']:>6}  {counter['failed']:>6}  {counter['skipped']:>7}"
    return f"{main}  {extra}" if extra else main


def summary_lines(
    results: Sequence[TestResult],
    bundles: Sequence[str],
    upgrades: Sequence[str],
    envs: Mapping[str, EnvRecord],
) -> list[str]:
    """The terminal summary: bundle x outcomes (with env build times), path x outcome."""
    lines: list[str] = []
    by_bundle = counts(results, "bundle")
    if bundles:
        width = max(len("bundle"), *(len(name) for name in bundles))
        lines.append(f"{'bundle':<{width}}  passed  failed  skipped  env")
        for name in bundles:
            env = envs.get(name)
            if env is None:
                how = "not built"
            elif env.installer == "current":
                how = "running environment"
            elif env.fresh:
                how = f"built in {env.build_seconds:.2f} s ({env.installer})"
            else:
                how = f"reused ({env.installer})"
            row = _cells(by_bundle.get(name, Counter()))
            lines.append(f"{name:<{width}}  {row}  {how}")
    by_path = counts(results, "upgrade_path")
    if upgrades:
        width = max(len("upgrade path"), *(len(name) for name in upgrades))
        lines.append(f"{'upgrade path':<{width}}  outcome")
        for name in upgrades:
            counter = by_path.get(name, Counter())
            tests = sum(counter.values())
            detail = f" ({tests} test{'' if tests == 1 else 's'})" if tests else ""
            lines.append(f"{name:<{width}}  {path_outcome(counter)}{detail}")
    return lines


# -- merged compatibility report ---------------------------------------------------------

GREEN, RED, NOT_RUN = "passing", "failing", "not run"
_BAD = ("failed", "error", "xpassed")


@dataclass
class Row:
    """One bundle or upgrade path of the merged report."""

    kind: RowKind
    name: str
    detail: str  # pins, or "from -> to"
    started: str | None = None
    source: str | None = None
    cells: dict[str, Counter[str]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    #: test id to the first lines of why it failed
    messages: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.started is None:
            return NOT_RUN
        bad = any(cell[outcome] for cell in self.cells.values() for outcome in _BAD)
        return RED if bad else GREEN


@dataclass
class Merged:
    rows: list[Row]
    modules: list[str]

    def headline(self) -> str:
        parts = []
        for kind, plural in (("bundle", "bundles"), ("upgrade path", "upgrade paths")):
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
        return not any(row.status == RED for row in self.rows)

    @property
    def complete(self) -> bool:
        """Every declared bundle and upgrade path has a result."""
        return not any(row.status == NOT_RUN for row in self.rows)


def _when(document: Mapping[str, Any]) -> datetime.datetime:
    return datetime.datetime.fromisoformat(str(document["started"]))


def merge(
    documents: Sequence[tuple[str, Mapping[str, Any]]],
    declared_bundles: Mapping[str, str] | None = None,
    declared_paths: Mapping[str, str] | None = None,
) -> Merged:
    """Merge results JSON documents (``(source, document)`` pairs): for each bundle and
    upgrade path the newest run wins. Declared bundles/paths without results are
    "not run"."""
    newest: dict[tuple[str, str], tuple[str, Mapping[str, Any]]] = {}
    details: dict[tuple[str, str], str] = {}
    for source, document in sorted(documents, key=lambda item: _when(item[1])):
        for name, info in document.get("bundles", {}).items():
            newest[("bundle", name)] = (source, document)
            details[("bundle", name)] = ", ".join(f"{k} {v}" for k, v in info["pins"].items())
        for name, info in document.get("upgrade_paths", {}).items():
            newest[("upgrade path", name)] = (source, document)
            moved = [c for c in info.get("changes", []) if c.get("change") != "unchanged"]
            what = ", ".join(f"{c['key']} {c['from'] or '-'} → {c['to'] or '-'}" for c in moved)
            details[("upgrade path", name)] = f"{info['from']} → {info['to']}" + (
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
    kinds: tuple[tuple[RowKind, list[str]], ...] = (("bundle", order), ("upgrade path", path_order))
    for kind, names in kinds:
        for name in dict.fromkeys(names):
            row = Row(kind, name, details[(kind, name)])
            if (kind, name) in newest:
                source, document = newest[(kind, name)]
                row.started, row.source = str(document["started"]), source
                attribute = "bundle" if kind == "bundle" else "upgrade_path"
                for test in document.get("tests", []):
                    if test.get(attribute) != name:
                        continue
                    module = str(test["nodeid"]).split("::")[0]
                    modules.add(module)
                    row.cells.setdefault(module, Counter())[test["outcome"]] += 1
                    if test["outcome"] in _BAD:
                        row.failures.setdefault(module, []).append(str(test["nodeid"]))
                        if test.get("message"):
                            row.messages[str(test["nodeid"])] = str(test["message"])
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


def render_markdown(merged: Merged, title: str = "Compatibility matrix") -> str:
    """A GitHub-flavoured table for a PR comment or ``$GITHUB_STEP_SUMMARY``."""
    marks = {GREEN: "✅ passing", RED: "❌ failing", NOT_RUN: "⚪ not run"}
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
        lines.append("| " + " | ".join([label, marks[row.status], *cells, ran]) + " |")
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
    symbols = {GREEN: "✔ passing", RED: "✘ failing", NOT_RUN: "not run"}
    head = "".join(f"<th>{esc(module)}</th>" for module in merged.modules)
    body = []
    for row in merged.rows:
        status = row.status.replace(" ", "-")
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
            f'<td class="{status}">{symbols[row.status]}</td>{"".join(cells)}'
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
