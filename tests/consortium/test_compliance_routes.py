"""The compliance rule on every route of the consortium ledger (README, "Compliance rule on every
route"): a frozen wallet neither sends nor receives, frozen units do not move, a paused asset moves
nothing but the issuer's recovery action (the forced transfer)."""

from __future__ import annotations

import hashlib

import pytest

from tests.consortium.conftest import ASSET, Market, build_market

CASH = "HKD-DEPOSIT"
PAUSED = "restricted (1): token is paused"
SENDER_FROZEN = "restricted (2): sender wallet is frozen"
RECEIVER_FROZEN = "restricted (3): receiver wallet is frozen"
INSUFFICIENT = "restricted (4): insufficient unfrozen balance"


def settle(m: Market, client, kind: str, payload: dict):
    handle = client.submit(kind, payload)
    m.ledger.settle(handle)
    return handle


def freeze(m: Market, holder: str) -> None:
    assert settle(
        m, m.ledger.org_client("regulator"), "token.freeze", {"asset_id": ASSET, "holder": holder, "frozen": True}
    ).ok


def freeze_units(m: Market, holder: str, units: int) -> None:
    assert settle(m, m.issuer, "token.freeze_partial", {"asset_id": ASSET, "holder": holder, "amount": units}).ok


def pause(m: Market) -> None:
    assert settle(m, m.ledger.org_client("regulator"), "token.pause", {"asset_id": ASSET, "paused": True}).ok


@pytest.fixture
def m() -> Market:
    return build_market()


@pytest.mark.parametrize(
    "case, expected",
    [
        ("frozen sender", SENDER_FROZEN),
        ("frozen receiver", RECEIVER_FROZEN),
        ("frozen units", INSUFFICIENT),
        ("paused", PAUSED),
    ],
)
def test_transfer(m, case, expected):
    a, b = m.investors[0], m.investors[1]
    {
        "frozen sender": lambda: freeze(m, a.holder),
        "frozen receiver": lambda: freeze(m, b.holder),
        "frozen units": lambda: freeze_units(m, a.holder, 950),
        "paused": lambda: pause(m),
    }[case]()
    handle = settle(m, a, "token.transfer", {"asset_id": ASSET, "to": b.holder, "amount": 51})
    assert handle.reason == expected
    assert m.ledger.state.balance_of(ASSET, a.holder) == 1000


@pytest.mark.parametrize("case, expected", [("frozen receiver", RECEIVER_FROZEN), ("paused", PAUSED)])
def test_mint(m, case, expected):
    a = m.investors[0]
    freeze(m, a.holder) if case == "frozen receiver" else pause(m)
    handle = settle(m, m.issuer, "token.mint", {"asset_id": ASSET, "to": a.holder, "amount": 5})
    assert handle.reason == expected
    assert m.ledger.state.total_supply(ASSET) == 4000


def test_forced_transfer_never_into_a_frozen_wallet(m):
    a, b = m.investors[0], m.investors[1]
    freeze(m, b.holder)
    handle = settle(
        m, m.issuer, "token.forced_transfer", {"asset_id": ASSET, "from": a.holder, "to": b.holder, "amount": 5}
    )
    assert handle.reason == RECEIVER_FROZEN


def test_forced_transfer_is_a_recovery_action_frozen_units_still_stay(m):
    a, b = m.investors[0], m.investors[1]
    freeze_units(m, a.holder, 600)
    freeze(m, a.holder)
    pause(m)
    payload = {"asset_id": ASSET, "from": a.holder, "to": b.holder}
    assert settle(m, m.issuer, "token.forced_transfer", {**payload, "amount": 401}).reason == INSUFFICIENT
    assert settle(m, m.issuer, "token.forced_transfer", {**payload, "amount": 400}).ok
    assert m.ledger.state.balance_of(ASSET, a.holder) == 600


def _trade(m: Market, seller, buyer) -> str:
    bank = m.ledger.org_client("bank")
    handles = [
        bank.submit(
            "asset.register",
            {"asset_id": CASH, "term_sheet_hash": "0x" + "00" * 32, "trusted_claim_issuers": ["bank", "issuer"]},
        ),
        bank.submit("token.mint", {"asset_id": CASH, "to": buyer.holder, "amount": 1000}),
    ]
    m.ledger.settle(*handles)
    proposed = settle(
        m,
        seller,
        "dvp.propose",
        {
            "asset_id": ASSET,
            "amount": 10,
            "cash_asset": CASH,
            "cash_amount": 100,
            "buyer": buyer.holder,
            "deadline": m.sim.timestamp() + 600,
        },
    )
    assert proposed.ok, proposed.reason
    return [e for e in proposed.events if e.kind == "dvp.proposed"][0].fields["trade_id"]


@pytest.mark.parametrize(
    "case, expected", [("frozen seller", SENDER_FROZEN), ("frozen buyer", RECEIVER_FROZEN), ("paused", PAUSED)]
)
def test_dvp_delivery(m, case, expected):
    seller, buyer = m.investors[0], m.investors[1]
    trade = _trade(m, seller, buyer)
    {
        "frozen seller": lambda: freeze(m, seller.holder),
        "frozen buyer": lambda: freeze(m, buyer.holder),
        "paused": lambda: pause(m),
    }[case]()
    accepted = settle(m, buyer, "dvp.accept", {"trade_id": trade})
    assert accepted.reason == expected
    assert m.ledger.state.balance_of(ASSET, buyer.holder) == 1000


@pytest.mark.parametrize("case, expected", [("frozen receiver", RECEIVER_FROZEN), ("paused", PAUSED)])
def test_htlc_claim(m, case, expected):
    a, b = m.investors[0], m.investors[1]
    secret = b"s" * 32
    locked = settle(
        m,
        a,
        "htlc.lock",
        {
            "asset_id": ASSET,
            "amount": 10,
            "receiver": b.holder,
            "hashlock": "0x" + hashlib.sha256(secret).hexdigest(),
            "expiry": m.sim.timestamp() + 600,
        },
    )
    assert locked.ok, locked.reason
    freeze(m, b.holder) if case == "frozen receiver" else pause(m)
    claimed = settle(m, b, "htlc.claim", {"lock_id": "0x" + locked.hash.hex(), "preimage": "0x" + secret.hex()})
    assert claimed.reason == expected
    assert m.ledger.state.balance_of(ASSET, b.holder) == 1000
