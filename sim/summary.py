"""The one-screen summary ``rwasim run`` prints when a run ends: a table of the phases, then
the invariants, the alerts and where the files are.

The phase table has Hyperledger Caliper's columns (succ, fail, send rate, throughput, min/avg/max
latency) plus p50/p95/p99, every figure with its unit and thousands separators. Phase names are
cut with an ellipsis rather than wrapped, so the columns stay in line at any width. On a
terminal it is drawn with colour; elsewhere (a pipe, a CI log) the same content is plain text.
It reads the report and writes nothing.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from rwasim.words import duration, rate

#: Width of the summary when it goes to a file or pipe and COLUMNS does not say: a log does not wrap.
PLAIN_WIDTH = 120

_LATENCIES = ("min", "avg", "max", "p50", "p95", "p99")


def _table(names: list[str], headers: tuple[str, ...], rows: list[list[Text]], width: int) -> Table:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    room = width - sum(widths) - 2 * len(headers)  # each figure column: a separator and a space before it
    longest = max(len("phase"), *(len(name) for name in names))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 0, 0, 1), pad_edge=False, header_style="bold")
    table.add_column("phase", no_wrap=True, overflow="ellipsis", max_width=max(6, min(longest, room)))
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True)
    for name, row in zip(names, rows):
        table.add_row(name, *row)
    return table


def phase_table(metrics: dict[str, Any], width: int = PLAIN_WIDTH) -> RenderableType:
    """The per-phase metrics of a report as a table at most ``width`` columns wide.

    The figures keep their full width; the phase column gets what is left and cuts a long
    name with an ellipsis, so a name never wraps a row onto two lines. Too narrow for one
    table (under about 90 columns), the latencies go into a second table below the first.
    """
    names = list(metrics)
    counts = ("succ", "fail", "send rate", "throughput")
    latencies = tuple(_LATENCIES)
    rows = [
        [
            Text(f"{m['succ']:,}"),
            Text(f"{m['fail']:,}", style="red" if m["fail"] else ""),
            Text(rate(m.get("send_rate_tps"))),
            Text(rate(m.get("throughput_tps"))),
            *(Text(duration(m.get(f"latency_{q}_s"))) for q in _LATENCIES),
        ]
        for m in metrics.values()
    ]
    whole = _table(names, counts + latencies, rows, width)
    figures = sum(max(len(h), *(len(r[i]) for r in rows)) + 2 for i, h in enumerate(counts + latencies))
    if width - figures >= min(12, max(len(n) for n in names)):
        return whole
    first = _table(names, counts, [r[: len(counts)] for r in rows], width)
    second = _table(
        names, tuple(f"latency {h}" if h == "min" else h for h in latencies), [r[len(counts) :] for r in rows], width
    )
    return Group(first, Text(""), second)


def summary_renderable(report: dict[str, Any], files: dict[str, Path], width: int = PLAIN_WIDTH) -> RenderableType:
    """Headline, phase table, invariants, alerts and the files, in that order."""
    r = report
    parts: list[RenderableType] = [
        Text.assemble(
            ("scenario ", "dim"),
            (str(r["scenario"]), "bold"),
            ("  seed ", "dim"),
            str(r["seed"]),
            ("  topology ", "dim"),
            str(r["topology"]),
            ("  backend ", "dim"),
            str(r["backend"]),
        ),
        Text.assemble(
            ("events ", "dim"),
            f"{r['event_count']:,}",
            ("  simulated ", "dim"),
            duration(r["simulated_seconds"]),
        ),
    ]
    if r["metrics"]:
        parts.append(phase_table(r["metrics"], width))
    invariants = r["invariants"]
    held = sum(bool(v) for v in invariants.values())
    if invariants:
        parts.append(Text(f"invariants: {held} of {len(invariants)} hold", style="bold"))
    for name, holds in invariants.items():
        parts.append(Text.assemble("  ", ("ok    ", "green") if holds else ("FAILED", "bold red"), f"  {name}"))
    if r["alerts"]:
        parts.append(Text(f"alerts: {len(r['alerts'])}", style="bold yellow"))
    for alert in r["alerts"]:
        parts.append(Text(f"  {alert['name']} at t={duration(alert['time'])}"))
    width = max(len(name) for name in files) + 1 if files else 0
    for name, path in files.items():
        parts.append(Text.assemble((f"{name + ':':<{width}} ", "dim"), str(path)))
    return Group(*parts)


def summary_console(file: Any = None) -> Console:
    """A console for the summary: the terminal's width and colour on a terminal, plain text
    :data:`PLAIN_WIDTH` wide (or COLUMNS wide) elsewhere."""
    console = _PipeConsole(file=file, highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = _PipeConsole(file=file, highlight=False, soft_wrap=False, width=PLAIN_WIDTH)
    return console


class _PipeConsole(Console):
    """A console that lets a closed pipe reach the command as BrokenPipeError (rich's own
    handling exits with status 1, which ``rwasim run`` means as a failed invariant)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def summary_text(report: dict[str, Any], files: dict[str, Path], width: int = PLAIN_WIDTH) -> str:
    """The summary as plain text ``width`` columns wide (no colour codes)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, highlight=False)
    console.print(summary_renderable(report, files, width))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


def _as_set_value(value: Any) -> str:
    """A default as one would write it after ``--set NAME=``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(_as_set_value(v) for v in value)
    return str(value)


def scenario_renderable(described: Any, width: int = PLAIN_WIDTH) -> RenderableType:
    """``rwasim show``: the scenario's docstring, a table of its parameters, its rules, an example.

    ``described`` is a :class:`rwasim.runner.ScenarioDescription` (name, path, doc, params, rules).
    """
    parts: list[RenderableType] = [
        Text.assemble((described.name, "bold"), ("  " + str(described.path), "dim")),
        Text(described.doc or "(no description)"),
        Text(""),
    ]
    if described.params:
        parts.append(Text("parameters (rwasim run " + described.name + " --set NAME=VALUE):", style="bold"))
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 0, 0, 1), pad_edge=False, header_style="bold")
        table.add_column("name", no_wrap=True, style="cyan")
        table.add_column("default", no_wrap=True, overflow="ellipsis", max_width=24)
        table.add_column("type", no_wrap=True)
        table.add_column("allowed", overflow="fold", ratio=2)
        table.add_column("meaning", overflow="fold", ratio=3)
        for name, spec in described.params.items():
            kind = f"list of {spec.item_kind}" if spec.kind == "list" else spec.kind
            table.add_row(name, _as_set_value(spec.default), kind, spec.describe(), spec.help or "-")
        parts.append(table)
    else:
        parts.append(Text("parameters: none"))
    if described.rules:
        parts.append(Text("rules between parameters:", style="bold"))
        parts.extend(Text(f"  {rule.text}") for rule in described.rules)
    example = next(iter(described.params.items()), None)
    if example is not None:
        name, spec = example
        parts.append(Text(""))
        parts.append(
            Text.assemble(
                ("example: ", "dim"), f"rwasim run {described.name} --set {name}={_as_set_value(spec.default)}"
            )
        )
    return Group(*parts)
