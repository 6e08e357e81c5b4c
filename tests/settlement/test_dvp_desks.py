"""One-chain DvP desks (sim/settlement.py) on the real EVM and the real consortium ledger."""

from __future__ import annotations

import pytest

from rwasim.settlement import ConsortiumDvP, EthereumDvP, consortium_transfer, ethereum_transfer, restriction_of
from tests.settlement.conftest import CASH, NOTE


@pytest.fixture
def eth_desk(venue):
    return EthereumDvP(venue.chain, venue.escrow, venue.token, venue.cash), venue.wallet


@pytest.fixture
def cons_desk(venue):
    return ConsortiumDvP(venue.ledger, NOTE, CASH), venue.client


def test_ethereum_settlement_moves_both_legs(eth_desk):
    desk, w = eth_desk
    trade = desk.propose(w["alice"], w["bob"], 40, 400_000)
    assert desk.settle(trade) and trade.state == "settled"
    assert trade.deltas() == {w["alice"]: (-40, 400_000), w["bob"]: (40, -400_000)}
    assert trade.moved_both_legs() and not trade.moved_neither_leg()


@pytest.mark.parametrize(
    "buyer, cents, error", [("rita", 1_000, "TransferRestricted(code=6"), ("bob", 10**9, "InsufficientBalance")]
)
def test_ethereum_refused_settlement_moves_neither_leg_and_is_cancelled_after_the_deadline(
    venue, eth_desk, buyer, cents, error
):
    desk, w = eth_desk
    trade = desk.propose(w["alice"], w[buyer], 40, cents, ttl=120)
    assert not desk.settle(trade) and trade.failures[0].startswith(error)
    assert trade.failures_moved_nothing and trade.moved_neither_leg() and trade.state == "accepted"
    assert not desk.cancel(trade, by=w[buyer]) and trade.state == "accepted"  # not before the deadline
    desk.wait_past(trade.deadline)
    assert desk.cancel(trade, by=w[buyer]) and trade.state == "cancelled" and trade.moved_neither_leg()
    assert venue.token.call("allowance", w["alice"], venue.escrow.address) == 0


def test_consortium_accept_moves_both_legs_through_the_escrow(venue, cons_desk):
    desk, c = cons_desk
    trade = desk.propose(c["alice"], c["bob"], 25, 250_000)
    assert venue.ledger.state.balance_of(NOTE, "dvp-escrow") == 25
    assert desk.settle(trade) and trade.moved_both_legs()
    assert venue.ledger.state.balance_of(NOTE, "dvp-escrow") == 0


def test_consortium_refused_accept_moves_neither_leg_and_the_units_come_home(venue, cons_desk):
    desk, c = cons_desk
    poor = desk.propose(c["alice"], c["bob"], 25, 10**9, ttl=60)
    excluded = desk.propose(c["alice"], c["rita"], 25, 1_000)
    assert not desk.settle(poor) and restriction_of(poor.failures[0]) == (4, "insufficient unfrozen balance")
    assert not desk.settle(excluded)
    assert restriction_of(excluded.failures[0]) == (6, "compliance: InvestorClassModule")
    assert poor.failures_moved_nothing and excluded.failures_moved_nothing
    assert desk.cancel(excluded, by=excluded.seller)  # the seller withdraws an unaccepted offer at once
    assert not desk.cancel(poor, by=poor.buyer)  # the buyer must wait for the deadline
    desk.wait_past(poor.deadline)
    assert desk.cancel(poor, by=poor.buyer)
    assert poor.moved_neither_leg() and excluded.moved_neither_leg()
    assert venue.ledger.state.balance_of(NOTE, "dvp-escrow") == 0


def test_restriction_of_reads_only_restriction_rejections():
    message = "receiver identity is not verified"
    assert restriction_of(f"restricted (5): {message}") == (5, message)
    assert restriction_of("wrong preimage") is None and restriction_of(None) is None


def test_plain_transfers_report_their_restriction_alike_on_both_chains(venue):
    c, w = venue.client, venue.wallet
    done = consortium_transfer(venue.ledger, NOTE, c["alice"], c["bob"].holder, 7)
    assert (done.refusal, done.exact) == ((0, "ok"), True)
    assert venue.ledger.state.balance_of(NOTE, c["bob"].holder) == 1_007
    done = ethereum_transfer(venue.chain, venue.token, w["alice"], w["bob"], 7)
    assert (done.refusal, done.exact) == ((0, "ok"), True) and venue.token.call("balanceOf", w["bob"]) == 1_007
    excluded = (
        consortium_transfer(venue.ledger, NOTE, c["alice"], c["rita"].holder, 7),
        ethereum_transfer(venue.chain, venue.token, w["alice"], w["rita"], 7),
    )
    assert [(o.refusal, o.exact) for o in excluded] == [((6, "compliance: InvestorClassModule"), True)] * 2
    over = ethereum_transfer(venue.chain, venue.token, w["alice"], w["bob"], 10**6)
    assert (over.code, over.exact) == (4, True)
    assert venue.token.call("balanceOf", w["alice"]) == 993 and venue.token.call("balanceOf", w["rita"]) == 0
