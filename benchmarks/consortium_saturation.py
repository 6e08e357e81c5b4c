"""The consortium's saturation curve: offered against achieved ERC-20-style transfers per second.

Each transaction costs simulated execution time at the proposer and at every validator
(``BESU_TX_TIME``, calibrated on Besu's QBFT performance page: 520-645 ERC-20 transfers/s
with 4 validators). The table gives, per offered rate, the rate achieved over the offered
window and the commit latency; the saturation point is the highest offered rate still
achieved to within 10 %.

Run: ``.venv/bin/python benchmarks/consortium_saturation.py [--duration S] [--validators N]``
"""

from __future__ import annotations

import argparse

from rwasim.consortium.capacity import offered_load

RATES = (50, 100, 200, 300, 400, 500, 550, 600, 700, 800, 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="simulated seconds of offered load per rate")
    parser.add_argument("--validators", type=int, default=4)
    args = parser.parse_args()
    print(f"{'offered tps':>12} {'achieved tps':>13} {'p50 s':>8} {'p95 s':>8}")
    saturation = 0.0
    for rate in RATES:
        row = offered_load(rate, args.duration, validators=args.validators)
        if row["achieved_tps"] >= 0.9 * rate:
            saturation = rate
        print(f"{rate:>12} {row['achieved_tps']:>13.1f} {row['p50_s']:>8.2f} {row['p95_s']:>8.2f}")
    print(f"saturation (achieved >= 90 % of offered): {saturation:.0f} tps; Besu publishes 520-645 with 4 validators")


if __name__ == "__main__":
    main()
