"""The sweep's files: runs.csv (one row per run, grid order), summary.csv (mean and 95% CI per
topology, parameter point and metric), timings.csv (wall clock, kept apart) and compare.html
(one self-contained page: inline SVG bar charts with CI whiskers, and the tables).

Swept parameters are written as ``param.NAME`` columns, so they never share a header with a
metric of the same name (``param.investors`` is what was asked, ``investors`` what the run had)."""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rwasim.compare.grid import GridPoint
from rwasim.compare.stats import Domain, Interval, mean_ci
from rwasim.topology_workload import METRIC_DOMAINS

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def metric_names(results: list[dict[str, Any]]) -> list[str]:
    """Every metric any run reported, in the order the workload reports them."""
    names: list[str] = []
    for result in results:
        for name in result["metrics"]:
            if name not in names:
                names.append(name)
    return names


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


#: Prefix of a swept parameter's column in runs.csv and summary.csv.
PARAM_PREFIX = "param."


def param_columns(points: list[GridPoint]) -> list[str]:
    """``["param.investors", ...]``: the swept parameters' columns, in --set order."""
    return [PARAM_PREFIX + k for k, _ in points[0].params] if points else []


def metric_domain(metric: str) -> Domain:
    """The metric's domain for its interval; a metric the workload does not declare is ``real``."""
    domain = METRIC_DOMAINS.get(metric, "real")
    return domain if domain in ("nonnegative", "share") else "real"  # type: ignore[return-value]


def run_rows(points: list[GridPoint], results: list[dict[str, Any]], backend: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of runs.csv: grid point, seed, outcome, every metric, the rerun command."""
    metrics = metric_names(results)
    header = [
        "index",
        "topology",
        *param_columns(points),
        "replicate",
        "seed",
        "status",
        "invariants_hold",
        "events_sha256",
        *metrics,
        "error",
        "rerun",
    ]
    rows = []
    for point, result in zip(points, results):
        status = "error" if result["error"] else ("ok" if result["invariants_hold"] else "invariants_failed")
        rows.append(
            [
                str(point.index),
                point.topology,
                *(v for _, v in point.params),
                str(point.replicate),
                str(point.seed),
                status,
                _cell(result["invariants_hold"]),
                result["events_sha256"],
                *(_cell(result["metrics"].get(m)) for m in metrics),
                result["error"] or "",
                point.rerun_command(backend),
            ]
        )
    return header, rows


@dataclass
class Group:
    """The runs of one topology at one parameter point."""

    label: str
    topology: str
    params: tuple[tuple[str, str], ...]
    results: list[dict[str, Any]]

    def interval(self, metric: str) -> Interval:
        values = [
            float(r["metrics"][metric])
            for r in self.results
            if not r["error"]
            and isinstance(r["metrics"].get(metric), (int, float))
            and not isinstance(r["metrics"].get(metric), bool)
        ]
        return mean_ci(values, domain=metric_domain(metric))


def groups(points: list[GridPoint], results: list[dict[str, Any]]) -> list[Group]:
    """Runs grouped by (topology, parameter point), in grid order."""
    found: dict[tuple, Group] = {}
    for point, result in zip(points, results):
        key = (point.topology, point.params)
        if key not in found:
            found[key] = Group(point.label(), point.topology, point.params, [])
        found[key].results.append(result)
    return list(found.values())


def numeric_metrics(results: list[dict[str, Any]]) -> list[str]:
    """Metrics with a number in at least one run (strings such as the fault's name are left out)."""
    return [
        m
        for m in metric_names(results)
        if any(
            isinstance(r["metrics"].get(m), (int, float)) and not isinstance(r["metrics"].get(m), bool) for r in results
        )
    ]


def _num(value: float | None) -> str:
    return "" if value is None else repr(round(value, 6))


def summary_rows(points: list[GridPoint], results: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of summary.csv: per group and metric, its domain, n (and whether n is
    below :data:`~rwasim.compare.stats.SMALL_N`), mean, sd and the 95% interval in the domain."""
    header = [
        "topology",
        *param_columns(points),
        "metric",
        "domain",
        "n",
        "small_n",
        "mean",
        "sd",
        "ci95_low",
        "ci95_high",
    ]
    rows = []
    metrics = numeric_metrics(results)
    for group in groups(points, results):
        for metric in metrics:
            ci = group.interval(metric)
            rows.append(
                [
                    group.topology,
                    *(v for _, v in group.params),
                    metric,
                    ci.domain,
                    str(ci.n),
                    _cell(ci.small_n),
                    _num(ci.mean),
                    _num(ci.sd),
                    _num(ci.low),
                    _num(ci.high),
                ]
            )
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# ---- the page ------------------------------------------------------------------------------------
def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def bar_chart(metric: str, rows: list[tuple[str, str, Interval]]) -> str:
    """An inline SVG: one horizontal bar per group (its mean), with the 95% CI as a whisker."""
    label_w, plot_w, row_h, top = 260, 380, 22, 26
    height = top + row_h * len(rows) + 24
    values = [v for _, _, ci in rows for v in (ci.mean, ci.low, ci.high) if v is not None]
    lo, hi = min([0.0, *values]), max([0.0, *values])
    span = (hi - lo) or 1.0

    def x(v: float) -> float:
        return label_w + (v - lo) / span * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + plot_w + 90}" height="{height}" '
        f'role="img" aria-label="{html.escape(metric)}">',
        f'<text x="4" y="16" font-weight="bold">{html.escape(metric)}</text>',
        f'<line x1="{x(0):.1f}" y1="{top - 4}" x2="{x(0):.1f}" y2="{height - 20}" stroke="#999"/>',
    ]
    for i, (label, color, ci) in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">{html.escape(label)}</text>'
        )
        if ci.mean is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 14}" font-size="12" fill="#777">no value</text>')
            continue
        x0, x1 = sorted((x(0), x(ci.mean)))
        parts.append(
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 0.5):.1f}" height="{row_h - 8}" '
            f'fill="{color}" opacity="0.8"><title>{html.escape(label)}: mean {_fmt(ci.mean)}</title></rect>'
        )
        if ci.low is not None and ci.high is not None:
            cy = y + row_h / 2 - 1
            parts.append(f'<line x1="{x(ci.low):.1f}" y1="{cy}" x2="{x(ci.high):.1f}" y2="{cy}" stroke="#222"/>')
            for end in (ci.low, ci.high):
                parts.append(f'<line x1="{x(end):.1f}" y1="{cy - 5}" x2="{x(end):.1f}" y2="{cy + 5}" stroke="#222"/>')
        right = max(x(ci.mean), x(ci.high) if ci.high is not None else 0)
        parts.append(f'<text x="{right + 4:.1f}" y="{y + 14}" font-size="11">{_fmt(ci.mean)}</text>')
    parts.append(f'<text x="{label_w}" y="{height - 6}" font-size="10" fill="#555">{_fmt(lo)}</text>')
    parts.append(
        f'<text x="{label_w + plot_w}" y="{height - 6}" font-size="10" fill="#555" text-anchor="end">{_fmt(hi)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _table(header: list[str], rows: list[list[str]], code_column: str | None = None) -> str:
    out = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in header), "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>")
        for name, cell in zip(header, row):
            text = html.escape(cell)
            out.append(f"<td><code>{text}</code></td>" if name == code_column else f"<td>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def write_html(
    path: Path, grid_line: str, points: list[GridPoint], results: list[dict[str, Any]], backend: str
) -> Path:
    """compare.html: the grid, one chart per metric comparing the groups, then both tables."""
    group_list = groups(points, results)
    colors: dict[str, str] = {}
    for group in group_list:
        colors.setdefault(group.topology, PALETTE[len(colors) % len(PALETTE)])
    charts = []
    for metric in numeric_metrics(results):
        rows = [(g.label, colors[g.topology], g.interval(metric)) for g in group_list]
        charts.append(f"<figure>{bar_chart(metric, rows)}</figure>")
    s_header, s_rows = summary_rows(points, results)
    r_header, r_rows = run_rows(points, results, backend)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rwasim topology comparison</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }}
figure {{ display: inline-block; margin: 0.4em; border: 1px solid #ddd; padding: 0.3em; }}
table {{ border-collapse: collapse; font-size: 12px; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: right; white-space: nowrap; }}
th {{ background: #f3f3f3; }}
.scroll {{ overflow-x: auto; }}
</style></head><body>
<h1>Topology comparison: {html.escape(", ".join(dict.fromkeys(p.topology for p in points)))}</h1>
<p>{html.escape(grid_line)}. Scenario <code>topology_study</code> on backend <code>{html.escape(backend)}</code>.
Bars are means over seeds; whiskers are 95% confidence intervals kept inside each metric's domain
(log scale for non-negative figures, logit scale for shares; none with one seed, very wide below three).
Every run can be rerun alone with the command in its row.</p>
<h2>Metrics</h2>
{"".join(charts)}
<h2>Summary (mean and 95% CI per topology and parameter point)</h2>
<div class="scroll">{_table(s_header, s_rows)}</div>
<h2>Runs (grid order)</h2>
<div class="scroll">{_table(r_header, r_rows, code_column="rerun")}</div>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path
