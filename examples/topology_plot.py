"""Notebook-style example: a sweep's results as DataFrames, and one topology plot.

    python examples/topology_plot.py --out runs/plot            # runs a tiny sweep first
    python examples/topology_plot.py --sweep runs/cmp --metric trade_p95_s --out runs/plot

It needs the extra rwasim[analysis] (pandas, pyarrow, matplotlib). Each cell below is what a
notebook would hold; the figure is saved as a PNG (matplotlib's Agg backend, no display needed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # a file, not a window: works in CI and over ssh
import matplotlib.pyplot as plt  # noqa: E402

from rwasim import load_run, load_sweep  # noqa: E402
from rwasim.compare import run_compare  # noqa: E402


def tiny_sweep(out: Path) -> Path:
    """Two topologies x two seeds of a small population: a few seconds."""
    run_compare(
        ["consortium-only", "bridged"],
        seeds=2,
        sets=["investors=8", "trades_per_investor=1.0"],
        out_dir=out,
        workers=2,
        say=lambda _: None,
    )
    return out


def plot(sweep_dir: Path, metric: str, png: Path) -> Path:
    """One bar per topology: the metric's mean over seeds, with its 95% interval."""
    sweep = load_sweep(sweep_dir)
    rows = sweep.summary[sweep.summary["metric"] == metric]
    lower = rows["mean"] - rows["ci95_low"].fillna(rows["mean"])
    upper = rows["ci95_high"].fillna(rows["mean"]) - rows["mean"]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(rows["topology"], rows["mean"], yerr=[lower, upper], capsize=4, color="#1f77b4")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} by topology (n = {int(rows['n'].max())} seeds)")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    plt.close(fig)
    return png


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", type=Path, help="a folder `rwasim compare` wrote (default: run a tiny sweep)")
    parser.add_argument("--metric", default="reach", help="a metric of summary.csv (default reach)")
    parser.add_argument("--out", type=Path, default=Path("runs/topology_plot"), help="where the PNG goes")
    args = parser.parse_args(argv)
    sweep_dir = args.sweep or tiny_sweep(args.out / "sweep")

    # cell: the per-run table, one row per run; swept parameters are `param.*` columns
    runs = load_sweep(sweep_dir).runs
    print(runs[["topology", "replicate", "seed", "reach", "trade_p95_s"]].to_string(index=False))

    # cell: one run in detail (its folder is named after the grid index)
    first = next(p for p in sorted(sweep_dir.glob("runs/*")) if (p / "report.json").exists())
    run = load_run(first)
    print(run.metrics[["phase", "succ", "fail", "latency_p95_s"]].to_string(index=False))
    print(run.events["kind"].value_counts().head().to_string())

    png = plot(sweep_dir, args.metric, args.out / f"{args.metric}.png")
    print(f"plot: {png}")
    return png


if __name__ == "__main__":
    main()
