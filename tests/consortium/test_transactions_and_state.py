"""Admission (signature, membership, permission, nonce) and the state machine's rules,
through the real ledger: every transaction here is signed, ordered by the validators and
executed by each of them."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from rwasim.consortium import OrgRole, sign_transaction
from rwasim.consortium.crypto import KeyPair
from rwasim.consortium.transactions import make_transaction, verify_signature
from tests.consortium.conftest import ASSET, assert_nodes_agree, build_market


def test_signed_transactions_verify_and_tampering_is_caught(market):
    tx = market.investors[0].sign("token.transfer", {"asset_id": ASSET, "to": market.investors[1].holder, "amount": 1})
    assert verify_signature(tx)
    forged_payload = dataclasses.replace(tx, payload={**tx.payload, "amount": 999})
    assert not verify_signature(forged_payload)
    other_key = KeyPair.from_seed(99, "mallory")
    forged_sender = make_transaction(tx.chain_id, tx.kind, tx.payload, other_key.address, tx.nonce, tx.signature)
    assert not verify_signature(forged_sender)


def test_refusals_at_admission_are_recorded(market):
    ledger, inv = market.ledger, market.investors
    outsider = KeyPair.from_seed(1, "outsider")
    tx = sign_transaction(
        outsider, "token.transfer", {"asset_id": ASSET, "to": inv[0].holder, "amount": 1}, 0, ledger.chain_id
    )
    assert ledger.submit(tx).reason == f"sender 0x{outsider.address.hex()} is not a member"
    wrong_chain = sign_transaction(
        inv[0].key,
        "token.transfer",
        {"asset_id": ASSET, "to": inv[1].holder, "amount": 1},
        inv[0].nonce,
        ledger.chain_id + 1,
    )
    assert "wrong chain id" in ledger.submit(wrong_chain).reason
    denied = inv[0].submit("token.mint", {"asset_id": ASSET, "to": inv[0].holder, "amount": 5})
    assert (denied.status, denied.reason) == ("refused", "role investor may not token.mint")
    assert inv[0].nonce == 0, "a refused transaction gives its nonce back"
    refusals = [e for e in market.sim.log.of_kind("consortium.tx") if e.data["status"] == "refused"]
    assert len(refusals) == 3


def test_a_replayed_transaction_is_refused_and_never_applied_twice(market):
    ledger, inv = market.ledger, market.investors
    handle = inv[0].submit("token.transfer", {"asset_id": ASSET, "to": inv[1].holder, "amount": 10})
    ledger.settle(handle)
    assert handle.ok
    replay = ledger.submit(handle.tx)
    assert replay.status == "refused"
    fresh_copy = make_transaction(
        handle.tx.chain_id, handle.tx.kind, handle.tx.payload, handle.tx.sender, handle.tx.nonce, handle.tx.signature
    )
    assert replay.reason == "duplicate of a transaction already submitted"
    for node in ledger.nodes.values():  # each validator refuses it on its own account too
        assert node.submit(fresh_copy) == "nonce 0 already used (next is 1)"
    assert ledger.state.balance_of(ASSET, inv[1].holder) == 1010


def test_rejected_transactions_stay_in_the_block_with_their_reason(market):
    ledger, inv = market.ledger, market.investors
    stranger = KeyPair.from_seed(5, "unverified").address
    bad = inv[0].submit("token.transfer", {"asset_id": ASSET, "to": "0x" + stranger.hex(), "amount": 1})
    good = inv[1].submit("token.transfer", {"asset_id": ASSET, "to": inv[2].holder, "amount": 1})
    ledger.settle(bad, good)
    assert bad.status == "rejected" and bad.reason == "restricted (5): receiver identity is not verified"
    assert good.ok
    block = ledger.block(bad.height)
    assert bad.tx in block.block.transactions
    receipt = block.receipts[block.block.transactions.index(bad.tx)]
    assert (receipt.ok, receipt.reason) == (False, bad.reason)
    assert ledger.state.nonce_of(inv[0].address) == 1, "a rejected transaction still uses its nonce"


def _settle(market, client, kind, payload):
    handle = client.submit(kind, payload)
    market.ledger.settle(handle)
    return handle


@pytest.mark.parametrize(
    "rule, code_reason",
    [
        ({"countries": [702]}, "compliance: CountryAllowModule"),
        ({"investor_classes": ["accredited"]}, "compliance: InvestorClassModule"),
        ({"max_balance": 1500}, "compliance: MaxBalanceModule"),
    ],
)
def test_compliance_rules_name_the_module(rule, code_reason):
    m = build_market(rules={})
    issuer = m.issuer
    asset = "RULED"
    handles = [issuer.submit("asset.register", {"asset_id": asset, "term_sheet_hash": "0x" + "cd" * 32, "rules": rule})]
    m.ledger.settle(*handles)
    mint = _settle(m, issuer, "token.mint", {"asset_id": asset, "to": m.investors[0].holder, "amount": 1000})
    if "MaxBalance" in code_reason:
        assert mint.ok
        _settle(m, issuer, "token.mint", {"asset_id": asset, "to": m.investors[1].holder, "amount": 1000})
        moved = _settle(
            m, m.investors[0], "token.transfer", {"asset_id": asset, "to": m.investors[1].holder, "amount": 600}
        )
        assert moved.reason == f"restricted (6): {code_reason}"
    else:
        assert mint.status == "rejected" and mint.reason == f"restricted (6): {code_reason}"


def test_max_holders_and_lock_up():
    m = build_market(rules={})
    issuer, inv = m.issuer, m.investors
    now = m.sim.timestamp()
    _settle(
        m,
        issuer,
        "asset.register",
        {
            "asset_id": "CAP",
            "term_sheet_hash": "0x" + "01" * 32,
            "rules": {"max_holders": 2, "locked_until": now + 100},
        },
    )
    assert _settle(m, issuer, "token.mint", {"asset_id": "CAP", "to": inv[0].holder, "amount": 10}).ok
    assert _settle(m, issuer, "token.mint", {"asset_id": "CAP", "to": inv[1].holder, "amount": 10}).ok
    third = _settle(m, issuer, "token.mint", {"asset_id": "CAP", "to": inv[2].holder, "amount": 10})
    assert third.reason == "restricted (6): compliance: MaxHoldersModule"
    locked = _settle(m, inv[0], "token.transfer", {"asset_id": "CAP", "to": inv[1].holder, "amount": 1})
    assert locked.reason == "restricted (6): compliance: LockUpModule"
    m.sim.run(until=m.sim.now + 120)
    # after the lock-up, moving a whole balance to a new holder keeps the count at 2
    assert _settle(m, inv[0], "token.transfer", {"asset_id": "CAP", "to": inv[2].holder, "amount": 10}).ok
    assert m.ledger.state.holders("CAP") == {inv[1].holder: 10, inv[2].holder: 10}


def test_pause_freeze_partial_freeze_and_forced_transfer(market):
    m, inv, issuer = market, market.investors, market.issuer
    regulator = m.ledger.org_client("regulator")
    assert _settle(m, regulator, "token.pause", {"asset_id": ASSET, "paused": True}).ok
    assert (
        _settle(m, inv[0], "token.transfer", {"asset_id": ASSET, "to": inv[1].holder, "amount": 1}).reason
        == "restricted (1): token is paused"
    )
    assert _settle(m, issuer, "token.pause", {"asset_id": ASSET, "paused": False}).ok

    assert _settle(m, regulator, "token.freeze", {"asset_id": ASSET, "holder": inv[0].holder, "frozen": True}).ok
    assert (
        _settle(m, inv[0], "token.transfer", {"asset_id": ASSET, "to": inv[1].holder, "amount": 1}).reason
        == "restricted (2): sender wallet is frozen"
    )
    assert (
        _settle(m, inv[1], "token.transfer", {"asset_id": ASSET, "to": inv[0].holder, "amount": 1}).reason
        == "restricted (3): receiver wallet is frozen"
    )
    assert _settle(m, issuer, "token.freeze", {"asset_id": ASSET, "holder": inv[0].holder, "frozen": False}).ok

    assert _settle(m, issuer, "token.freeze_partial", {"asset_id": ASSET, "holder": inv[2].holder, "amount": 900}).ok
    assert (
        _settle(m, inv[2], "token.transfer", {"asset_id": ASSET, "to": inv[3].holder, "amount": 101}).reason
        == "restricted (4): insufficient unfrozen balance"
    )
    assert _settle(m, inv[2], "token.transfer", {"asset_id": ASSET, "to": inv[3].holder, "amount": 100}).ok
    over = _settle(m, issuer, "token.freeze_partial", {"asset_id": ASSET, "holder": inv[2].holder, "amount": 1})
    assert over.reason == "cannot freeze more than the balance"
    # forced transfer: never below the frozen amount, and only to an eligible receiver
    forced = _settle(
        m, issuer, "token.forced_transfer", {"asset_id": ASSET, "from": inv[2].holder, "to": inv[3].holder, "amount": 1}
    )
    assert forced.reason == "restricted (4): insufficient unfrozen balance"
    stranger = "0x" + KeyPair.from_seed(1, "stranger").address.hex()
    assert _settle(
        m, issuer, "token.forced_transfer", {"asset_id": ASSET, "from": inv[0].holder, "to": stranger, "amount": 1}
    ).reason.startswith("restricted (5)")
    recovered = _settle(
        m,
        issuer,
        "token.forced_transfer",
        {"asset_id": ASSET, "from": inv[0].holder, "to": inv[3].holder, "amount": 1000},
    )
    assert recovered.ok and recovered.events[0].kind == "token.forced_transfer"
    assert (
        _settle(m, inv[0], "token.freeze", {"asset_id": ASSET, "holder": inv[1].holder, "frozen": True}).status
        == "refused"
    )
    assert m.total_supply_held() == m.ledger.state.total_supply(ASSET) == 4000
    assert_nodes_agree(m.ledger)


def test_burn_releases_frozen_units_when_it_must(market):
    m, inv, issuer = market, market.investors, market.issuer
    assert _settle(m, issuer, "token.freeze_partial", {"asset_id": ASSET, "holder": inv[0].holder, "amount": 800}).ok
    assert _settle(m, issuer, "token.burn", {"asset_id": ASSET, "from": inv[0].holder, "amount": 500}).ok
    state = m.ledger.state
    assert (state.balance_of(ASSET, inv[0].holder), state.frozen_of(ASSET, inv[0].holder)) == (500, 500)
    assert state.total_supply(ASSET) == 3500


def test_asset_registry_and_documents(market):
    m = market
    asset = m.ledger.state.asset(ASSET)
    assert asset["issuer_org"] == "issuer" and asset["documents"]["term-sheet"]["uri"] == "ipfs://term-sheet"
    dup = _settle(m, m.issuer, "asset.register", {"asset_id": ASSET, "term_sheet_hash": "0x" + "00" * 32})
    assert dup.reason == f"asset {ASSET!r} is already registered"
    bank = m.ledger.org_client("bank")
    assert (
        _settle(m, bank, "asset.document", {"asset_id": ASSET, "name": "x", "uri": "u", "hash": "0x"}).status
        == "refused"
    )
    assert _settle(
        m,
        m.issuer,
        "asset.document",
        {"asset_id": ASSET, "name": "pricing-supplement", "uri": "ipfs://ps", "hash": "0x" + "12" * 32},
    ).ok
    assert m.ledger.state.asset(ASSET)["documents"]["pricing-supplement"]["hash"] == "0x" + "12" * 32
    malformed = _settle(m, m.issuer, "token.mint", {"asset_id": ASSET, "to": m.investors[0].holder, "amount": -5})
    assert malformed.status == "refused"
    assert malformed.reason == "malformed payload: field 'amount' must be a positive integer below 2**256, not -5"
    missing = _settle(m, m.issuer, "token.mint", {"asset_id": ASSET})
    assert missing.status == "refused" and missing.reason == "malformed payload: field 'to' is missing"


def test_htlc_claim_and_refund_at_the_expiry_boundary(market):
    m, inv = market, market.investors
    secret = b"s" * 32
    hashlock = "0x" + hashlib.sha256(secret).hexdigest()
    expiry = m.sim.timestamp() + 30
    lock = _settle(
        m,
        inv[0],
        "htlc.lock",
        {"asset_id": ASSET, "amount": 10, "receiver": inv[1].holder, "hashlock": hashlock, "expiry": expiry},
    )
    assert lock.ok
    lock_id = [e for e in lock.events if e.kind == "htlc.locked"][0].fields["lock_id"]
    early = _settle(m, inv[0], "htlc.refund", {"lock_id": lock_id})
    assert early.reason.startswith("HTLC not expired")
    wrong = _settle(m, inv[1], "htlc.claim", {"lock_id": lock_id, "preimage": "0x" + (b"x" * 32).hex()})
    assert wrong.reason == "wrong preimage"
    m.sim.run(until=expiry - m.sim.epoch + 0.5)  # the next block's timestamp is the expiry itself
    late = _settle(m, inv[1], "htlc.claim", {"lock_id": lock_id, "preimage": "0x" + secret.hex()})
    assert late.reason.startswith("HTLC expired")
    refunded = _settle(m, inv[0], "htlc.refund", {"lock_id": lock_id})
    assert refunded.ok and m.ledger.state.htlc(lock_id)["state"] == "refunded"
    # a second lock claimed in time
    lock2 = _settle(
        m,
        inv[0],
        "htlc.lock",
        {
            "asset_id": ASSET,
            "amount": 7,
            "receiver": inv[1].holder,
            "hashlock": hashlock,
            "expiry": m.sim.timestamp() + 30,
        },
    )
    lock2_id = lock2.events[-1].fields["lock_id"]
    assert _settle(m, inv[1], "htlc.claim", {"lock_id": lock2_id, "preimage": "0x" + secret.hex()}).ok
    assert m.ledger.state.balance_of(ASSET, inv[1].holder) == 1007


def test_governance_needs_two_thirds_of_organisations(market):
    ledger = market.ledger
    newcomer = KeyPair.from_seed(3, "bank-2")
    members = ["techco", "issuer", "bank", "custodian", "regulator"]  # governance members (bridge is not)
    needed = 4  # ceil(2 * 5 / 3)
    proposal = _settle(
        market,
        ledger.org_client("techco"),
        "governance.propose",
        {
            "action": "add_organisation",
            "args": {"org_id": "bank-2", "role": "bank", "address": "0x" + newcomer.address.hex()},
        },
    )
    proposal_id = "0x" + proposal.hash.hex()
    for org in members[1 : needed - 1]:
        assert _settle(market, ledger.org_client(org), "governance.vote", {"proposal": proposal_id}).ok
        assert ledger.state.organisations().get("bank-2") is None
    twice = _settle(market, ledger.org_client("issuer"), "governance.vote", {"proposal": proposal_id})
    assert twice.reason == "issuer already approved"
    assert _settle(market, ledger.org_client(members[needed - 1]), "governance.vote", {"proposal": proposal_id}).ok
    assert ledger.state.organisations()["bank-2"]["role"] == "bank"
    late = _settle(market, ledger.org_client("regulator"), "governance.vote", {"proposal": proposal_id})
    assert late.reason == "proposal already decided"
    assert (
        _settle(market, ledger.org_client("bridge"), "governance.vote", {"proposal": proposal_id}).status == "refused"
    )


def test_add_client_only_with_own_role_or_as_investor(market):
    ledger = market.ledger
    key = ledger.new_client_key("sneaky")
    handle = _settle(
        market,
        ledger.org_client("custodian"),
        "membership.add_client",
        {"address": "0x" + key.address.hex(), "role": OrgRole.ISSUER.value},
    )
    assert handle.reason == "an organisation may add clients with its own role or as investors, not issuer"
