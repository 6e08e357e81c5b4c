"""Delivery versus payment on the consortium ledger."""

from __future__ import annotations

from tests.consortium.conftest import ASSET, build_market

CASH = "HKD-DEPOSIT"


def _settle(market, client, kind, payload):
    handle = client.submit(kind, payload)
    market.ledger.settle(handle)
    return handle


def _with_cash(market, holder: str, cents: int) -> None:
    bank = market.ledger.org_client("bank")
    handles = [
        bank.submit(
            "asset.register",
            {"asset_id": CASH, "term_sheet_hash": "0x" + "00" * 32, "trusted_claim_issuers": ["bank", "issuer"]},
        )
    ]
    handles.append(bank.submit("token.mint", {"asset_id": CASH, "to": holder, "amount": cents}))
    market.ledger.settle(*handles)
    assert [h.reason for h in handles if not h.ok] == []


def _propose(m, seller, buyer, amount=100, cash=50_000, deadline_in=600):
    handle = _settle(
        m,
        seller,
        "dvp.propose",
        {
            "asset_id": ASSET,
            "amount": amount,
            "cash_asset": CASH,
            "cash_amount": cash,
            "buyer": buyer.holder,
            "deadline": m.sim.timestamp() + deadline_in,
        },
    )
    assert handle.ok, handle.reason
    return [e for e in handle.events if e.kind == "dvp.proposed"][0].fields["trade_id"]


def test_accept_moves_both_legs_in_one_transaction():
    m = build_market()
    seller, buyer = m.investors[0], m.investors[1]
    _with_cash(m, buyer.holder, 80_000)
    trade = _propose(m, seller, buyer)
    state = m.ledger.state
    assert state.balance_of(ASSET, seller.holder) == 900 and state.balance_of(ASSET, "dvp-escrow") == 100
    accepted = _settle(m, buyer, "dvp.accept", {"trade_id": trade})
    assert accepted.ok, accepted.reason
    state = m.ledger.state
    assert state.balance_of(ASSET, buyer.holder) == 1100 and state.balance_of(ASSET, "dvp-escrow") == 0
    assert state.balance_of(CASH, buyer.holder) == 30_000 and state.balance_of(CASH, seller.holder) == 50_000
    assert [e.kind for e in accepted.events][-1] == "dvp.settled"
    again = _settle(m, buyer, "dvp.accept", {"trade_id": trade})
    assert again.reason.endswith("is settled")


def test_a_failed_payment_leg_moves_neither_leg_and_the_trade_stays_open():
    m = build_market()
    seller, buyer = m.investors[0], m.investors[1]
    _with_cash(m, buyer.holder, 10_000)  # less than the price
    trade = _propose(m, seller, buyer)
    refused = _settle(m, buyer, "dvp.accept", {"trade_id": trade})
    assert refused.reason.startswith("restricted (4)")
    state = m.ledger.state
    assert state.balance_of(CASH, buyer.holder) == 10_000 and state.balance_of(ASSET, buyer.holder) == 1000
    assert state.balance_of(ASSET, "dvp-escrow") == 100
    stranger = _settle(m, m.investors[2], "dvp.accept", {"trade_id": trade})
    assert stranger.reason == "only the named buyer may accept"


def test_the_buyer_can_cancel_only_after_the_deadline_and_the_units_go_home():
    m = build_market()
    seller, buyer = m.investors[0], m.investors[1]
    _with_cash(m, buyer.holder, 10_000)
    trade = _propose(m, seller, buyer, deadline_in=60)
    early = _settle(m, buyer, "dvp.cancel", {"trade_id": trade})
    assert early.reason.startswith("the buyer may cancel only after the deadline")
    m.sim.run(until=m.sim.now + 120)
    late = _settle(m, buyer, "dvp.accept", {"trade_id": trade})
    assert late.reason.startswith("trade expired")
    cancelled = _settle(m, buyer, "dvp.cancel", {"trade_id": trade})
    assert cancelled.ok, cancelled.reason
    assert m.ledger.state.balance_of(ASSET, seller.holder) == 1000
    assert m.ledger.state.balance_of(ASSET, "dvp-escrow") == 0
    assert m.total_supply_held() == m.ledger.state.total_supply(ASSET)
