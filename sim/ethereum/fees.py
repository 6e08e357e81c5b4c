"""Block space on a public chain: the gas limit, EIP-1559 base fee, other users, imperfect slots.

The EVM executes only this simulation's transactions. Everyone else on mainnet is modelled
here, in the chain interface, as *background demand*: gas that other users want in a slot,
which takes block space ahead of ours when it bids a higher tip and moves the base fee with
ours. Nothing of it is executed.

Sources (cited in the README, "How our figures compare with published ones"):

* gas limit 60,000,000 — mainnet since 25 November 2025 (validators signalling on
  gaslimit.pics; raised from 45 M ahead of Fusaka);
* base fee update of EIP-1559: ±1/8 (12.5 %) per block against a target of half the limit;
* the daily profile — busiest 13–18 UTC, quietest 21–23 UTC (Flipside Crypto) and lower fees
  04–12 UTC (Coin Metrics);
* mean utilisation 46 % (Etherscan, reported 2026) and a reference base fee of 2.7 gwei
  (2025 average gas price, reported by Gate research);
* missed slots 0.3 % (ethp2p observatory, "typical miss rate ~0.3 %"; 0.15–0.31 % per day in
  Jan–Feb 2026) and reorged blocks 0.059 % of blocks, 1406 of depth 1 and 4 of depth 2 since the
  Merge (Wahrstätter, "The Second-Slot Itch", ethresear.ch 2023).

Fees are charged here, per receipt, not in the EVM: the EVM keeps executing legacy
transactions at the backends' fixed gas price (so both backends stay byte-identical and no
balance ever runs short of a fee), while the chain interface charges each receipt
``gas_used × (base fee + tip)`` of the block it lands in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

MAINNET_GAS_LIMIT = 60_000_000  # since 25 Nov 2025 (gaslimit.pics; the 45 M -> 60 M raise before Fusaka)
ELASTICITY_MULTIPLIER = 2  # EIP-1559: the target is half the limit
BASE_FEE_MAX_CHANGE_DENOMINATOR = 8  # EIP-1559: at most 1/8 = 12.5 % per block
GWEI = 10**9
REFERENCE_BASE_FEE = 2_700_000_000  # 2.7 gwei, the 2025 average gas price (Gate research)
MEAN_UTILISATION = 0.46  # share of the gas limit used on mainnet (Etherscan, 2026)
DEFAULT_TIP = 1 * GWEI  # our priority fee per gas (an assumption: a common wallet default)
BACKGROUND_TIP_MEAN = 1 * GWEI  # mean tip of the others' gas, exponential (an assumption)
SPIKE_TIP_MEAN = 5 * GWEI  # a spike's users bid higher tips (an assumption)
SPIKE_FEE_CAP = 10  # a spike's users pay up to this multiple of the reference base fee, then thin out
MISSED_SLOT_RATE = 0.003  # ethp2p observatory: typical miss rate ~0.3 % (0.15-0.31 %/day, 2026)
REORG_RATE = 0.00059  # Wahrstaetter 2023: 0.059 % of blocks reorged since the Merge
REORG_DEPTHS = ((1, 1406), (2, 4))  # the same study: depth and number of occasions

#: Mainnet's daily rhythm, hour of day (UTC) -> demand relative to the day's mean: busiest
#: 13-18 UTC, quietest 21-23 UTC (Flipside Crypto), cheaper 04-12 UTC (Coin Metrics).
_RAW_PROFILE = (0.95,) * 4 + (0.9,) * 8 + (1.0,) + (1.2,) * 6 + (1.05,) * 2 + (0.85,) * 3
DAILY_PROFILE: tuple[float, ...] = tuple(v * 24 / sum(_RAW_PROFILE) for v in _RAW_PROFILE)


def next_base_fee(base_fee: int, gas_used: int, gas_limit: int) -> int:
    """The base fee of the next block (EIP-1559, integer arithmetic as in the spec)."""
    target = gas_limit // ELASTICITY_MULTIPLIER
    if gas_used == target:
        return base_fee
    if gas_used > target:
        delta = max(base_fee * (gas_used - target) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR, 1)
        return base_fee + delta
    return base_fee - base_fee * (target - gas_used) // target // BASE_FEE_MAX_CHANGE_DENOMINATOR


@dataclass
class Congestion:
    """A spike of other users' demand: ``extra`` times the gas limit more, from ``start`` to ``end``."""

    start: float
    end: float
    extra: float


@dataclass
class FeeMarket:
    """EIP-1559 block space shared with seeded background demand.

    Parameters
    ----------
    gas_limit : int
        Block gas limit (mainnet's by default).
    background : float
        Others' demand as a share of the gas limit at the reference base fee, before the daily
        profile (0 = this simulation is alone on the chain, the default of a bare chain).
    reference_base_fee : int
        Wei per gas at which the others demand ``background``; demand falls as 1/base fee above
        it, so on its own the base fee settles near ``2 * background * reference`` (target = half).
    noise : float
        Sigma of the log-normal slot-to-slot variation of the others' demand.
    tip, background_tip_mean : int
        Our priority fee per gas, and the mean of the others' (exponential).
    missed_slot_rate, reorg_rate : float
        Probability that a slot's proposer misses it, and that a block is reorged out.
    """

    gas_limit: int = MAINNET_GAS_LIMIT
    background: float = 0.0
    reference_base_fee: int = REFERENCE_BASE_FEE
    noise: float = 0.3
    tip: int = DEFAULT_TIP
    background_tip_mean: int = BACKGROUND_TIP_MEAN
    missed_slot_rate: float = 0.0
    reorg_rate: float = 0.0
    profile: tuple[float, ...] = DAILY_PROFILE
    base_fee: int = REFERENCE_BASE_FEE
    congestion: list[Congestion] = field(default_factory=list)
    last_slot: int = 0  # the last slot whose block set the base fee

    @classmethod
    def mainnet(cls, **overrides: object) -> FeeMarket:
        """Mainnet today: its gas limit, its users' demand and daily rhythm, missed slots and reorgs."""
        values: dict[str, object] = {
            "background": MEAN_UTILISATION,
            "missed_slot_rate": MISSED_SLOT_RATE,
            "reorg_rate": REORG_RATE,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @property
    def target(self) -> int:
        return self.gas_limit // ELASTICITY_MULTIPLIER

    def demand(self, rng: random.Random, unix_time: float) -> tuple[int, int]:
        """Gas the other users want in a slot starting at ``unix_time``: (everyday, spike).

        One seeded draw. Both thin out as the base fee rises: everyday users as 1/base fee
        from the reference, a spike's users only beyond ``SPIKE_FEE_CAP`` times it.
        """
        noise = rng.lognormvariate(0.0, self.noise) if self.noise > 0 else 1.0
        base = max(self.base_fee, 1)
        wanted = 0.0
        if self.background > 0:
            hour = int(unix_time // 3600) % 24
            wanted = self.background * self.profile[hour] * noise * self.reference_base_fee / base
        extra = sum(c.extra for c in self.congestion if c.start <= unix_time < c.end)
        spike = extra * min(1.0, SPIKE_FEE_CAP * self.reference_base_fee / base)
        return int(min(wanted, 4.0) * self.gas_limit), int(min(spike, 4.0) * self.gas_limit)

    def ahead_of(self, demand: tuple[int, int], tip: int) -> int:
        """The others' gas bidding a higher tip than ``tip`` (exponential tips per kind of user)."""
        everyday, spike = demand
        ahead = everyday * math.exp(-tip / max(self.background_tip_mean, 1)) if everyday > 0 else 0.0
        if spike > 0:
            ahead += spike * math.exp(-tip / SPIKE_TIP_MEAN)
        return int(ahead)

    def close_block(self, slot: int, gas_used: int) -> int:
        """Record a block of ``gas_used`` (ours and others') at ``slot``; returns the new base fee."""
        self.base_fee = next_base_fee(self.base_fee, min(gas_used, self.gas_limit), self.gas_limit)
        self.last_slot = slot
        return self.base_fee
