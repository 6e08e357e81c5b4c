"""The cross-chain HTLC swap (bridge/htlc.py) on a real consortium ledger and a real EVM sharing one clock."""

from __future__ import annotations

import hashlib

import pytest

from rwasim.bridge.htlc import HTLCDesk, HTLCSwap, SwapTerms, hashlock_of
from rwasim.engine import Simulation
from rwasim.ethereum import EthereumChain
from tests.settlement.conftest import NOTE

UNITS, CASH = 100, 1_000_000


def swap(
    venue, name: str = "s", *, buyer: str = "bob", seller_timeout: int = 1800, buyer_timeout: int = 900, **options
) -> HTLCSwap:
    terms = SwapTerms(NOTE, UNITS, CASH, seller_timeout, buyer_timeout)
    return HTLCSwap(venue.desk, name, venue.trader("alice"), venue.trader(buyer), terms, **options).run()


def steps(venue, name: str) -> list[str]:
    return [e.data["step"] for e in venue.sim.log.of_kind("htlc.swap") if e.data["swap"] == name]


def ethereum_stamp(venue, function: str) -> int:
    """Block timestamp of the one successful HashedTimelock ``function`` call."""
    [receipt] = [
        r for r in venue.chain.receipts if r.contract == "HashedTimelock" and r.function == function and r.status
    ]
    return venue.chain.get_block_timestamp(receipt.block_number)


def consortium_stamp(venue, kind: str) -> int:
    """Block timestamp of the one accepted consortium transaction of ``kind``."""
    [handle] = [h for h in venue.ledger.handles.values() if h.tx.kind == kind and h.ok]
    return venue.ledger.block(handle.height).header.timestamp


def nothing_left_locked(venue) -> bool:
    return venue.ledger.state.balance_of(NOTE, "htlc") == 0 and venue.cash.call("balanceOf", venue.htlc.address) == 0


def test_happy_path_both_legs_claimed_with_the_secret_read_from_ethereum(venue):
    s = swap(venue, "happy")
    assert s.outcome == "swapped" and s.lock_states() == {"units": "claimed", "cash": "claimed"}
    assert s.deltas() == {"alice": (-UNITS, CASH), "bob": (UNITS, -CASH)} and s.nobody_worse_off()
    revealed = venue.desk.cash_lock(s.record.cash_lock)["preimage"]
    assert hashlib.sha256(revealed).digest() == s.hashlock
    assert venue.desk.units_lock(s.record.units_lock)["preimage"] == "0x" + revealed.hex()
    order = steps(venue, "happy")
    assert (
        order.index("units_locked")
        < order.index("cash_locked")
        < order.index("cash_claimed")
        < order.index("units_claimed")
        < order.index("end")
    )
    assert nothing_left_locked(venue)


def test_a_claim_at_the_last_moment_still_leaves_the_buyer_time_to_claim_the_units(venue):
    s = swap(venue, "late", seller_plan="last_moment", poll=12.0, margin=300)
    assert s.outcome == "swapped" and s.nobody_worse_off()
    claimed_cash = ethereum_stamp(venue, "claim")
    assert s.record.cash_timelock - 12 <= claimed_cash < s.record.cash_timelock
    claimed_units = consortium_stamp(venue, "htlc.claim")
    assert claimed_cash <= claimed_units < s.record.units_expiry
    assert s.record.units_expiry >= s.record.cash_timelock + 300


def test_a_silent_seller_means_both_parties_refund_after_their_expiries(venue):
    s = swap(venue, "silent", seller_plan="never")
    assert s.outcome == "unwound" and s.lock_states() == {"units": "refunded", "cash": "refunded"}
    assert s.deltas() == {"alice": (0, 0), "bob": (0, 0)} and s.nobody_worse_off()
    assert ethereum_stamp(venue, "refund") >= s.record.cash_timelock
    assert consortium_stamp(venue, "htlc.refund") >= s.record.units_expiry
    assert "cash_claimed" not in steps(venue, "silent") and nothing_left_locked(venue)


def test_a_buyer_who_walks_away_leaves_the_seller_to_refund_its_units(venue):
    s = swap(venue, "away", buyer_locks=False)
    assert s.record.cash_lock is None and s.record.refusal == "walked away"
    assert s.outcome == "unwound" and s.lock_states() == {"units": "refunded", "cash": None}
    assert s.deltas() == {"alice": (0, 0), "bob": (0, 0)}


def test_the_buyer_declines_unsafe_timeouts_that_a_naive_buyer_loses_to(venue):
    careful = swap(venue, "careful", seller_timeout=600, seller_plan="cheat")
    assert careful.record.cash_lock is None and careful.record.refusal.startswith("unsafe timeouts")
    assert careful.outcome == "unwound" and careful.nobody_worse_off()
    # Without the check: the seller refunds its units at T1 < T2, then claims the cash with the secret.
    naive = swap(venue, "naive", seller_timeout=600, seller_plan="cheat", buyer_checks_timeouts=False)
    assert naive.lock_states() == {"units": "refunded", "cash": "claimed"} and naive.outcome == "broken"
    assert naive.deltas() == {"alice": (0, CASH), "bob": (0, -CASH)} and not naive.nobody_worse_off()
    assert steps(venue, "naive")[-2:] == ["units_claim_failed", "end"]


def test_a_buyer_the_note_excludes_does_not_pay_for_units_it_could_never_claim(venue):
    s = swap(venue, "retail", buyer="rita")
    assert s.record.cash_lock is None
    assert s.record.refusal == "the buyer could not receive the units: restricted (6): compliance: InvestorClassModule"
    assert s.outcome == "unwound" and s.deltas() == {"alice": (0, 0), "rita": (0, 0)}


def _lock_both(venue, secret: bytes, units_in: int, cash_in: int):
    desk, alice, bob = venue.desk, venue.trader("alice"), venue.trader("bob")
    handle = desk.lock_units(alice, bob.client.holder, NOTE, 10, hashlock_of(secret), desk.consortium_time() + units_in)
    venue.ledger.settle(handle)
    assert handle.ok, handle.reason
    receipt = venue.sim.complete(
        desk.lock_cash(bob, alice.wallet, 500, hashlock_of(secret), desk.ethereum_time() + cash_in)
    )
    assert receipt.status
    return "0x" + handle.hash.hex(), receipt.event("Locked")["lockId"]


def test_a_wrong_preimage_is_refused_on_both_chains(venue):
    desk, alice, bob = venue.desk, venue.trader("alice"), venue.trader("bob")
    secret, wrong = b"\x01" * 32, b"\x02" * 32
    units_lock, cash_lock = _lock_both(venue, secret, 600, 300)
    refused = desk.claim_units(bob, units_lock, wrong)
    venue.ledger.settle(refused)
    assert refused.status == "rejected" and refused.reason == "wrong preimage"
    receipt = venue.sim.complete(desk.claim_cash(alice, cash_lock, wrong))
    assert not receipt.status and receipt.revert.error == "WrongPreimage"
    assert desk.units_lock(units_lock)["state"] == "locked" and desk.cash_lock(cash_lock)["state"] == "locked"
    assert venue.sim.complete(desk.claim_cash(alice, cash_lock, secret)).status
    accepted = desk.claim_units(bob, units_lock, secret)
    venue.ledger.settle(accepted)
    assert accepted.ok and desk.units_lock(units_lock)["state"] == "claimed"


def test_a_claim_after_expiry_is_refused_on_both_chains_and_only_a_refund_remains(venue):
    desk, alice, bob = venue.desk, venue.trader("alice"), venue.trader("bob")
    secret = b"\x03" * 32
    before = (desk.positions(alice, NOTE), desk.positions(bob, NOTE))
    units_lock, cash_lock = _lock_both(venue, secret, 120, 60)
    venue.sim.run(until=venue.sim.now + desk.until_consortium(desk.units_lock(units_lock)["expiry"]) + 1)
    late = desk.claim_units(bob, units_lock, secret)
    venue.ledger.settle(late)
    assert late.status == "rejected" and late.reason.startswith("HTLC expired")
    receipt = venue.sim.complete(desk.claim_cash(alice, cash_lock, secret))
    assert not receipt.status and receipt.revert.error == "Expired"
    refund = desk.refund_units(alice, units_lock)
    venue.ledger.settle(refund)
    assert refund.ok and venue.sim.complete(desk.refund_cash(bob, cash_lock)).status
    assert (desk.positions(alice, NOTE), desk.positions(bob, NOTE)) == before and nothing_left_locked(venue)


def test_the_two_chains_of_a_desk_must_share_one_clock(venue):
    with EthereumChain(Simulation(seed=5)) as elsewhere:
        with pytest.raises(ValueError, match="one simulation clock"):
            HTLCDesk(venue.ledger, elsewhere, venue.htlc, venue.cash)
    with pytest.raises(ValueError, match="unknown seller plan"):
        HTLCSwap(
            venue.desk,
            "x",
            venue.trader("alice"),
            venue.trader("bob"),
            SwapTerms(NOTE, 1, 1, 600, 300),
            seller_plan="bluff",
        )
