"""Supervision: can the regulator catch wrongdoing on both chains and the bridge in real time?

The topology study's workload runs on a topology preset (--set topology=NAME) with a seeded
share of bad actors (``bad_actors``; wash trades on one venue and across, layering over the
bridge, structuring under the reporting threshold, units working toward a sanctioned wallet,
nominee holding behind a custodian client, an insider trading ahead of a knock-out). The
regulator sees only its feeds: every consortium transaction as a member; the public chain
only through its own indexer (``regulator_indexer``); who is behind a custodian client only
by a data request answered after ``custodian_delay`` seconds. A streaming engine runs one
detector per typology over those feeds; the cases are scored against the ground truth,
which the regulator never sees. The report gives the cases and the scores; the same figures
are the ``sup_*`` columns of ``topology_study`` for ``rwasim compare``.
"""

from dataclasses import replace

from rwasim.topology_workload import WORKLOAD_PARAMS, run_workload

PARAMS = {
    **WORKLOAD_PARAMS,
    "investors": replace(WORKLOAD_PARAMS["investors"], default=16),
    "bad_actors": replace(WORKLOAD_PARAMS["bad_actors"], default=6),
    "surveillance": replace(WORKLOAD_PARAMS["surveillance"], default=True),
    "regulator_indexer": replace(WORKLOAD_PARAMS["regulator_indexer"], default=True),
}


def run(ctx):
    metrics = run_workload(ctx)
    report = ctx.extra["supervision"]
    cases, truth = report["cases"], report["ground_truth"]
    ctx.check("every_case_has_subjects_and_evidence", all(c["subjects"] and c["evidence"] for c in cases))
    ctx.check("cases_in_time_order", [c["time"] for c in cases] == sorted(c["time"] for c in cases))
    ctx.check(
        "every_bad_actor_planted_or_said_why", len(truth) + len(report["not_planted"]) == ctx.params["bad_actors"]
    )
    ctx.check("every_planted_scheme_ran", all(t["start"] is not None for t in truth))
    overall = report["scores"]["overall"]
    ctx.say(
        f"{ctx.topology}: {overall['planted']} schemes planted, {overall['cases']} cases opened, "
        f"recall {_pct(overall['recall'])}, precision {_pct(overall['precision'])}, "
        f"time to detect p50 {_secs(metrics['sup_detect_p50_s'])}"
    )


def _pct(value):
    return "n/a" if value is None else f"{100 * value:.0f} %"


def _secs(value):
    return "n/a" if value is None else f"{value:.0f} s"
