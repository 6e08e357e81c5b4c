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
from rwasim.compare.stats import SMALL_N, Domain, Interval, mean_ci
from rwasim.report import nice_ticks, tick_label
from rwasim.topology_workload import METRIC_DOMAINS


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


# runs.csv: these columns around the swept parameters and the metrics (the page tells them apart)
_RUN_LEAD = ("index", "topology")
_RUN_OUTCOME = ("replicate", "seed", "status", "invariants_hold", "events_sha256")
_RUN_TAIL = ("error", "rerun")
_RUN_COLUMNS = (*_RUN_LEAD, *_RUN_OUTCOME, *_RUN_TAIL)


def run_rows(points: list[GridPoint], results: list[dict[str, Any]], backend: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of runs.csv: grid point, seed, outcome, every metric, the rerun command."""
    metrics = metric_names(results)
    header = [*_RUN_LEAD, *param_columns(points), *_RUN_OUTCOME, *metrics, *_RUN_TAIL]
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
#: One colour per topology, the same on every page and in every chart and table (Okabe–Ito, readable
#: by most colour-blind readers); a topology not listed takes the next of :data:`EXTRA_COLOURS`.
TOPOLOGY_COLOURS = {
    "consortium-only": "#0072B2",
    "public-only": "#D55E00",
    "bridged": "#E69F00",
    "dual-space": "#009E73",
    "hub": "#CC79A7",
}
EXTRA_COLOURS = ("#56B4E9", "#7f7f7f", "#000000", "#8c564b")
SMALL_N_MARK = "⚠"

_KINDS = {"onboard": "Onboarding", "issue": "Issuance", "trade": "Trading", "cross": "Cross-venue moves"}
#: Title, unit and section of the workload's figures that no pattern below names.
_TITLES: dict[str, tuple[str, str, str]] = {
    "to_consortium_p50_s": ("Bridge, Ethereum → consortium, p50", "s", "Cross-venue moves"),
    "to_consortium_p95_s": ("Bridge, Ethereum → consortium, p95", "s", "Cross-venue moves"),
    "to_ethereum_p50_s": ("Bridge, consortium → Ethereum, p50", "s", "Cross-venue moves"),
    "to_ethereum_p95_s": ("Bridge, consortium → Ethereum, p95", "s", "Cross-venue moves"),
    "finality_p50_s": ("Time to finality, p50", "s", "Settlement"),
    "finality_p95_s": ("Time to finality, p95", "s", "Settlement"),
    "failed_settlements": ("Failed settlements", "count", "Settlement"),
    "unsettled": ("Settlements never finished", "count", "Settlement"),
    "investors": ("Investors drawn", "investors", "Reach and oversight"),
    "onboarded": ("Investors onboarded", "investors", "Reach and oversight"),
    "reach": ("Reach: investors who can hold the note", "share", "Reach and oversight"),
    "regulator_visibility": ("Regulator's real-time visibility", "share", "Reach and oversight"),
    "gas": ("Gas used on Ethereum", "gas", "Cost"),
    "eth_txs": ("Ethereum transactions", "count", "Cost"),
    "consortium_txs": ("Consortium transactions", "count", "Cost"),
    "fee_eth": ("Ethereum fees", "ETH", "Cost"),
    "cost_usd": ("Total cost", "USD", "Cost"),
    "cost_per_settlement_usd": ("Cost per settlement", "USD", "Cost"),
    "fault_applies": ("Runs where the fault applies", "share", "Faults and risk"),
    "value_at_risk": ("Peak value at risk on bridges", "units", "Faults and risk"),
    "detection_s": ("Time to detect the fault", "s", "Faults and risk"),
    "alerts": ("Monitor alerts", "count", "Faults and risk"),
    "msgs_per_validator": ("Consensus messages per validator", "messages", "Network load"),
    "kb_per_validator": ("Consensus traffic per validator", "KiB", "Network load"),
    "txs_per_relayer": ("Transactions per relayer", "count", "Network load"),
    "trades_skipped": ("Trades skipped (no venue to trade on)", "count", "Trading"),
    "simulated_s": ("Simulated time of the run", "s", "Run"),
    "sup_planted": ("Bad schemes planted (ground truth)", "count", "Supervision"),
    "sup_cases": ("Cases the regulator opened", "count", "Supervision"),
    "sup_recall": ("Supervision recall", "share", "Supervision"),
    "sup_precision": ("Supervision precision", "share", "Supervision"),
    "sup_detect_p50_s": ("Time to detect a scheme, p50", "s", "Supervision"),
    "sup_detect_p95_s": ("Time to detect a scheme, p95", "s", "Supervision"),
    "sup_caught_before_exit": ("Bad volume caught before it leaves the venues", "share", "Supervision"),
    "sup_alerts_per_1k_investor_day": ("Cases per 1,000 investors per day", "cases", "Supervision"),
    "sup_data_requests": ("Data requests to custodians", "count", "Supervision"),
    **{
        f"sup_{key}_{typ}": (f"{label}: {typ.replace('_', ' ')}", unit, "Supervision")
        for typ in ("wash_trade", "layering", "structuring", "sanctions", "nominee", "insider")
        for key, label, unit in (
            ("recall", "Recall", "share"),
            ("precision", "Precision", "share"),
            ("detect_p50_s", "Time to detect, p50", "s"),
        )
    },
    "base_fee_p50_gwei": ("Ethereum base fee, p50 of blocks", "gwei", "Fees and load"),
    "base_fee_p95_gwei": ("Ethereum base fee, p95 of blocks", "gwei", "Fees and load"),
    "inclusion_p50_s": ("Inclusion delay on Ethereum, p50", "s", "Fees and load"),
    "inclusion_p95_s": ("Inclusion delay on Ethereum, p95", "s", "Fees and load"),
    "eth_utilisation": ("Ethereum block utilisation (ours and others')", "share", "Fees and load"),
    "fee_per_eth_tx_usd": ("Fee per Ethereum transaction", "USD", "Fees and load"),
    "load_tps": ("Offered load on Ethereum", "tx/s", "Fees and load"),
    "load_achieved_tps": ("Achieved load on Ethereum", "tx/s", "Fees and load"),
    "eth_saturation_tps": ("Ethereum saturation (our gas alone at the target)", "tx/s", "Fees and load"),
    "consortium_saturation_tps": ("Consortium saturation (Besu-calibrated)", "tx/s", "Fees and load"),
    "missed_slots": ("Missed Ethereum slots", "count", "Fees and load"),
    "eth_reorgs": ("Natural Ethereum reorgs", "count", "Fees and load"),
}
SECTIONS = (
    "Onboarding",
    "Issuance",
    "Trading",
    "Cross-venue moves",
    "Settlement",
    "Cost",
    "Fees and load",
    "Reach and oversight",
    "Faults and risk",
    "Supervision",
    "Network load",
    "Run",
    "Other",
)


@dataclass(frozen=True)
class MetricInfo:
    """How the page names a metric: a title for people, its unit, and the section of cards it sits in."""

    name: str
    title: str
    unit: str  # "count", "s", "share" (drawn as %), "USD", ...
    section: str

    @property
    def heading(self) -> str:
        """``Trading latency, p95 (s)``; a share reads ``(%)``, a plain count has no unit."""
        unit = {"share": "%", "count": ""}.get(self.unit, self.unit)
        return f"{self.title} ({unit})" if unit else self.title


def metric_info(name: str) -> MetricInfo:
    """The title, unit and section of a workload metric (a name no rule knows is shown as it is)."""
    if name in _TITLES:
        return MetricInfo(name, *_TITLES[name])
    kind, _, rest = name.partition("_")
    if kind in _KINDS:
        what = _KINDS[kind]
        if rest == "ops":
            return MetricInfo(name, f"{what}: operations", "count", what)
        if rest == "failed":
            return MetricInfo(name, f"{what}: operations failed", "count", what)
        if rest == "tps":
            return MetricInfo(name, f"{what}: throughput", "tx/s", what)
        if rest.startswith("p") and rest.endswith("_s") and rest[1:-2].isdigit():
            return MetricInfo(name, f"{what}: latency, p{rest[1:-2]}", "s", what)
    return MetricInfo(name, name.replace("_", " ").capitalize(), "", "Other")


def topology_colours(topologies: list[str]) -> dict[str, str]:
    """Each topology's colour: fixed for the presets, then the extra colours in order."""
    out: dict[str, str] = {}
    extra = 0
    for name in dict.fromkeys(topologies):
        if name in TOPOLOGY_COLOURS:
            out[name] = TOPOLOGY_COLOURS[name]
        else:
            out[name] = EXTRA_COLOURS[extra % len(EXTRA_COLOURS)]
            extra += 1
    return out


def fmt_value(value: float | None, unit: str = "") -> str:
    """A figure as a person reads it: ``12,345``, ``4.99``, ``0.0123``, ``87.5%`` for a share."""
    if value is None:
        return "–"
    if unit == "share":
        return f"{value * 100:.1f}%".replace(".0%", "%")
    magnitude = abs(value)
    if magnitude == 0:
        return "0"
    if float(value).is_integer() and magnitude >= 1:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if magnitude >= 1e-4:
        return f"{value:.3g}"
    return f"{value:.2e}"


def _axis_text(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value * 100:g}%"
    return tick_label(value)


#: A whisker reaching past this many times the largest mean is cut at the axis's end (an arrow).
WHISKER_CAP = 2.0


def axis_range(intervals: list[Interval]) -> tuple[float, float]:
    """The data range a bar chart's axis covers: zero, every mean, and the intervals' ends up to
    :data:`WHISKER_CAP` times the largest mean (beyond that a whisker is drawn cut, as an arrow,
    so that one interval from two runs does not squash every bar to nothing)."""
    means = [ci.mean for ci in intervals if ci.mean is not None]
    ends = [v for ci in intervals for v in (ci.low, ci.high) if v is not None]
    top = max([0.0, *means])
    bottom = min([0.0, *means])
    cap = WHISKER_CAP * max(abs(top), abs(bottom))
    if cap == 0:
        cap = max([abs(v) for v in ends], default=0.0)
    inside = [v for v in ends if -cap <= v <= cap]
    return min([bottom, *inside]), max([top, *inside]) or 1.0


def bar_chart(info: MetricInfo, rows: list[tuple[str, str, Interval]], *, svg_id: str = "") -> str:
    """An inline SVG: one horizontal bar per group (its mean) with its 95% interval as a whisker.

    The x axis has round, labelled ticks (``text.tick[data-axis=x]``); the groups are the y axis
    (``text.tick[data-axis=y]``). A group with fewer than three runs is marked and its whisker
    dashed. The SVG scales to its card (``viewBox``, no fixed width).
    """
    label_w, value_w, row_h, top, bottom, width = 225.0, 64.0, 24.0, 8.0, 34.0, 500.0
    plot_left, plot_right = label_w, width - value_w
    height = top + row_h * len(rows) + bottom
    if info.unit == "share":
        lo, hi, ticks = 0.0, 1.0, [0.0, 0.25, 0.5, 0.75, 1.0]
    else:
        lo, hi, ticks = nice_ticks(*axis_range([ci for _, _, ci in rows]), 4)

    def x(v: float) -> float:
        return plot_left + (v - lo) / ((hi - lo) or 1.0) * (plot_right - plot_left)

    plot_bottom = top + row_h * len(rows)
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-label="{html.escape(info.heading)}"'
        + (f' id="{html.escape(svg_id)}"' if svg_id else "")
        + ">"
    ]
    for v in ticks:
        parts.append(
            f'<line class="grid" x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{top:.1f}" y2="{plot_bottom:.1f}"/>'
            f'<text class="tick" data-axis="x" x="{x(v):.1f}" y="{plot_bottom + 14:.1f}" text-anchor="middle">'
            f"{html.escape(_axis_text(v, info.unit))}</text>"
        )
    unit = {"share": "share of runs' figure, %", "count": "count"}.get(info.unit, info.unit)
    parts.append(
        f'<text class="axis" x="{(plot_left + plot_right) / 2:.1f}" y="{height - 4:.1f}" text-anchor="middle">'
        f"{html.escape('mean ± 95% CI' + (f' ({unit})' if unit else ''))}</text>"
    )
    for i, (label, colour, ci) in enumerate(rows):
        y = top + i * row_h
        cy = y + row_h / 2
        flag = f" {SMALL_N_MARK}" if ci.small_n else ""
        parts.append(
            f'<text class="tick{" small-n" if ci.small_n else ""}" data-axis="y" x="{label_w - 8:.1f}" '
            f'y="{cy:.1f}" text-anchor="end" dominant-baseline="middle">{html.escape(label + flag)}'
            f"<title>{html.escape(f'{label}: n={ci.n}' + (' (fewer than 3 runs)' if ci.small_n else ''))}</title>"
            "</text>"
        )
        if ci.mean is None:
            parts.append(
                f'<text class="none" x="{plot_left + 4:.1f}" y="{cy:.1f}" dominant-baseline="middle">no value</text>'
            )
            continue
        x0, x1 = sorted((x(max(lo, 0.0)), x(ci.mean)))
        interval = (
            f", 95% CI {fmt_value(ci.low, info.unit)} to {fmt_value(ci.high, info.unit)}"
            if ci.low is not None and ci.high is not None
            else ", no interval"
        )
        parts.append(
            f'<rect class="bar" data-group="{html.escape(label)}" x="{x0:.1f}" y="{y + 5:.1f}" width="{max(x1 - x0, 1.0):.1f}" height="{row_h - 10:.1f}" '
            f'fill="{colour}"><title>{html.escape(f"{label}: mean {fmt_value(ci.mean, info.unit)}{interval}, n={ci.n}")}'
            "</title></rect>"
        )
        right = x(ci.mean)
        if ci.low is not None and ci.high is not None:
            dash = ' stroke-dasharray="3 2"' if ci.small_n else ""
            a, b = x(max(ci.low, lo)), x(min(ci.high, hi))
            parts.append(
                f'<line class="whisker" x1="{a:.1f}" y1="{cy:.1f}" x2="{b:.1f}" y2="{cy:.1f}" stroke="#1f2937"{dash}/>'
            )
            for end, at in ((ci.low, a), (ci.high, b)):
                if lo <= end <= hi:
                    parts.append(
                        f'<line x1="{at:.1f}" y1="{cy - 5:.1f}" x2="{at:.1f}" y2="{cy + 5:.1f}" stroke="#1f2937"/>'
                    )
                else:  # cut at the axis: an arrow says the interval goes on
                    tip = 1 if end > hi else -1
                    parts.append(
                        f'<path class="cut" d="M{at + 3 * tip:.1f} {cy:.1f}L{at - 3 * tip:.1f} {cy - 4:.1f}'
                        f'L{at - 3 * tip:.1f} {cy + 4:.1f}Z" fill="#1f2937"/>'
                    )
            right = max(right, b + 3)
        parts.append(
            f'<text class="value" x="{min(right + 5, plot_right + 4):.1f}" y="{cy:.1f}" dominant-baseline="middle">'
            f"{html.escape(fmt_value(ci.mean, info.unit))}</text>"
        )
    parts.append(
        f'<line class="frame" x1="{plot_left:.1f}" x2="{plot_left:.1f}" y1="{top:.1f}" y2="{plot_bottom:.1f}"/>'
        f'<line class="frame" x1="{plot_left:.1f}" x2="{plot_right:.1f}" y1="{plot_bottom:.1f}" y2="{plot_bottom:.1f}"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _swatch(colour: str) -> str:
    return f'<span class="swatch" style="background:{colour}"></span>'


def _summary_table(group_list: list[Group], metrics: list[str], colours: dict[str, str]) -> str:
    """Metrics down, groups across; each cell the mean over ``[low – high]``, flagged when n < 3."""
    head = "".join(
        f"<th>{_swatch(colours[g.topology])}{html.escape(g.label)}"
        + (
            f'<div class="flag" title="fewer than 3 runs">{SMALL_N_MARK} n={len(g.results)}</div>'
            if len(g.results) < SMALL_N
            else f'<div class="key">n={len(g.results)}</div>'
        )
        + "</th>"
        for g in group_list
    )
    body = []
    for metric in metrics:
        info = metric_info(metric)
        cells = []
        for g in group_list:
            ci = g.interval(metric)
            if ci.mean is None:
                cells.append('<td class="none">–</td>')
                continue
            interval = (
                f'<div class="ci">{html.escape(fmt_value(ci.low, info.unit))} – {html.escape(fmt_value(ci.high, info.unit))}</div>'
                if ci.low is not None and ci.high is not None
                else '<div class="ci">no interval</div>'
            )
            flag = (  # the header flags a small group; a cell says so only where its own n is smaller
                f' <span class="flag" title="n={ci.n}: fewer than 3 runs">{SMALL_N_MARK} n={ci.n}</span>'
                if ci.small_n and ci.n < len(g.results)
                else ""
            )
            cells.append(
                ('<td class="small-n">' if ci.small_n else "<td>")
                + f"{html.escape(fmt_value(ci.mean, info.unit))}{flag}{interval}</td>"
            )
        body.append(
            f'<tr><th scope="row">{html.escape(info.heading)}<div class="key"><code>{html.escape(metric)}</code></div></th>'
            + "".join(cells)
            + "</tr>"
        )
    return f'<table class="summary"><thead><tr><th>metric</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _runs_table(header: list[str], rows: list[list[str]], colours: dict[str, str]) -> str:
    """runs.csv as a table: numbers formatted, topologies in their colours, the rerun command as code."""
    out = ['<table class="runs"><thead><tr>']
    for name in header:
        info = metric_info(name) if name not in _RUN_COLUMNS and not name.startswith(PARAM_PREFIX) else None
        title = f' title="{html.escape(info.heading)}"' if info else ""
        out.append(f"<th{title}>{html.escape(name)}</th>")
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for name, cell in zip(header, row):
            text = html.escape(cell)
            if name == "rerun":
                out.append(f'<td class="code"><code>{text}</code></td>')
            elif name == "topology":
                out.append(f'<td class="text">{_swatch(colours.get(cell, "#7f7f7f"))}{text}</td>')
            elif name == "events_sha256":
                out.append(f'<td class="text" title="{text}"><code>{text[:12]}…</code></td>' if cell else "<td></td>")
            elif name in ("status", "error"):
                out.append(f'<td class="text {"bad" if cell not in ("ok", "") else ""}">{text}</td>')
            elif name in _RUN_COLUMNS or name.startswith(PARAM_PREFIX):
                out.append(f"<td>{text}</td>")
            else:
                out.append(f"<td>{html.escape(_fmt_cell(cell, metric_info(name).unit))}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _fmt_cell(cell: str, unit: str) -> str:
    try:
        return fmt_value(float(cell), unit) if cell != "" else "–"
    except ValueError:
        return cell


CSS = """
:root{--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--soft:#f9fafb;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;padding:20px 28px 40px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 10px}h3.section{font-size:15px;margin:22px 0 8px;color:#374151}
p.lead{max-width:1100px;color:#374151}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center;margin:8px 0}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;vertical-align:-1px}
.warn{color:var(--warn);font-weight:600}
.banner{background:#fffbeb;border:1px solid #fcd34d;border-radius:6px;padding:6px 12px;margin:10px 0;max-width:1100px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:14px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px 6px;margin:0;background:#fff;min-width:0}
.card h4{margin:0;font-size:14px}.card .key{color:var(--muted);font-size:11px}
.card.small-n{border-color:#fcd34d}
.card .badge{float:right;font-size:11px;color:var(--warn);border:1px solid #fcd34d;border-radius:10px;padding:0 7px}
svg.chart{display:block;width:100%;height:auto;margin-top:4px}
svg text{font-family:inherit}svg .tick{font-size:11px;fill:#374151}svg .tick.small-n{fill:var(--warn);font-weight:600}
svg .axis{font-size:11px;fill:var(--muted)}svg .value{font-size:11px;fill:#111827}svg .none{font-size:11px;fill:var(--muted)}
svg .grid{stroke:#eef0f3}svg .frame{stroke:#9ca3af}svg .bar{opacity:.85}
table{border-collapse:collapse;font-size:12px;margin:6px 0 14px;font-variant-numeric:tabular-nums}
td,th{border-bottom:1px solid var(--line);padding:4px 8px;text-align:right;vertical-align:top;white-space:nowrap}
thead th{background:var(--soft);position:sticky;top:0}
th[scope=row],td.text,td.code,thead th:first-child{text-align:left}th .flag{color:var(--warn);font-size:11px}th .key{color:var(--muted);font-weight:400;font-size:11px}th[scope=row] .key{font-weight:400}
td .ci{color:var(--muted);font-size:11px}td.small-n{background:#fffbeb}td .flag{color:var(--warn);font-size:11px}
td.none{color:var(--muted)}td.bad{color:#b91c1c;font-weight:600}
.scroll{overflow-x:auto;max-width:100%}
"""


def write_html(
    path: Path, grid_line: str, points: list[GridPoint], results: list[dict[str, Any]], backend: str
) -> Path:
    """compare.html: a legend of topology colours, a grid of cards (one chart per metric, in sections),
    then the summary (metrics × groups) and every run, with numbers formatted for reading."""
    group_list = groups(points, results)
    colours = topology_colours([p.topology for p in points])
    metrics = numeric_metrics(results)
    by_section: dict[str, list[str]] = {}
    for metric in metrics:
        by_section.setdefault(metric_info(metric).section, []).append(metric)
    cards = []
    chart = 0
    for section in sorted(by_section, key=lambda name: SECTIONS.index(name) if name in SECTIONS else len(SECTIONS)):
        cards.append(f'<h3 class="section">{html.escape(section)}</h3><div class="cards">')
        for metric in by_section[section]:
            info = metric_info(metric)
            rows = [(g.label, colours[g.topology], g.interval(metric)) for g in group_list]
            small = any(ci.small_n and ci.mean is not None for _, _, ci in rows)
            badge = (
                f'<span class="badge" title="fewer than 3 runs in a group">{SMALL_N_MARK} n &lt; 3</span>'
                if small
                else ""
            )
            cards.append(
                f'<figure class="card{" small-n" if small else ""}" id="card-{html.escape(metric)}">{badge}'
                f'<h4>{html.escape(info.heading)}</h4><div class="key"><code>{html.escape(metric)}</code></div>'
                f"{bar_chart(info, rows, svg_id=f'chart-{chart}')}</figure>"
            )
            chart += 1
        cards.append("</div>")
    smallest = min((g.interval(m).n for g in group_list for m in metrics if g.interval(m).mean is not None), default=0)
    banner = (
        f'<p class="banner"><span class="warn">{SMALL_N_MARK} Fewer than 3 runs per group</span> (n = {smallest}): '
        "the intervals are very wide, or absent with one run. Marked groups and cards have n &lt; 3; "
        "run more seeds (<code>--seeds 5</code>) before reading differences.</p>"
        if 0 < smallest < 3
        else ""
    )
    legend = "".join(
        f'<span class="topology" data-topology="{html.escape(name)}">{_swatch(c)}{html.escape(name)}</span>'
        for name, c in colours.items()
    )
    r_header, r_rows = run_rows(points, results, backend)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>rwasim topology comparison</title><style>{CSS}</style></head><body>
<h1>Topology comparison: {html.escape(", ".join(colours))}</h1>
<p class="lead">{html.escape(grid_line)}. Scenario <code>topology_study</code> on backend <code>{html.escape(backend)}</code>.
Bars are means over seeds; whiskers are 95% confidence intervals kept inside each metric's domain
(log scale for non-negative figures, logit scale for shares; none with one seed, very wide below three).
Every run can be rerun alone with the command in its row.</p>
<div class="legend">{legend}<span class="warn">{SMALL_N_MARK} n &lt; 3</span></div>
{banner}
<h2>Metrics</h2>
{"".join(cards)}
<h2>Summary: mean and 95% CI per topology and parameter point</h2>
<div class="scroll">{_summary_table(group_list, metrics, colours)}</div>
<h2>Runs (grid order)</h2>
<div class="scroll">{_runs_table(r_header, r_rows, colours)}</div>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path
