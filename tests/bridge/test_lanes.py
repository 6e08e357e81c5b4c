"""Two lanes of one asset: each has its own escrow on the consortium and its own monitor."""

from __future__ import annotations

import pytest

from rwasim.bridge.bridge import Bridge
from rwasim.bridge.gateway import deploy_ethereum_end
from rwasim.bridge.ledger_module import lane_escrow
from rwasim.ethereum.suite import register_investor
from tests.bridge.conftest import ASSET, build_bridged


def _second_lane(b, lane: int = 2) -> Bridge:
    end = deploy_ethereum_end(
        b.chain,
        b.ledger,
        asset_id=ASSET,
        lane=lane,
        issuer=b.chain.accounts[0],
        guardian=b.chain.accounts[1],
        verifier="quorum",
        symbol="wNOTE2",
        modules={"investor_classes": ["professional"]},
    )
    for account in (b.alice, b.mule):
        register_investor(b.chain, end.suite, account, country=344, investor_class="professional")
    return Bridge(b.sim, b.ledger, b.chain, end, confirmations=3)


def test_two_lanes_of_one_asset_keep_their_own_escrow_and_their_monitors_agree():
    b = build_bridged()
    lane2 = _second_lane(b)
    lane1 = b.bridge
    b.ledger.settle(lane1.lock(b.issuer, 100, b.alice), lane2.lock(b.issuer, 70, b.alice))
    lane1.settle()
    lane2.settle()
    lane2.send_back(b.alice, b.issuer.holder, 30)
    lane1.send_back(b.alice, b.issuer.holder, 10)
    lane1.settle()
    lane2.settle()
    state = b.ledger.state
    assert lane_escrow(state, 1, ASSET) == 90 and lane_escrow(state, 2, ASSET) == 40
    assert b.escrow() == 130, "one token account holds both lanes' units"
    assert b.wrapped(b.alice) == 90 and lane2.end.token.call("balanceOf", b.alice) == 40
    assert lane1.monitor.alerts == [] and lane2.monitor.alerts == []
    assert lane1.monitor.conserved() and lane2.monitor.conserved()


def test_a_forged_mint_on_lane_two_cannot_drain_lane_ones_escrow():
    b = build_bridged()
    lane2 = _second_lane(b)
    lane1 = b.bridge
    b.ledger.settle(lane1.lock(b.issuer, 500, b.alice))
    lane1.settle()
    assert lane2.faults.inject("key_compromise", keys=4, amount=400, receiver=b.mule)  # all validator keys
    assert lane2.end.token.call("balanceOf", b.mule) == 400
    assert any(a["name"] == "bridge_supply_mismatch" for a in lane2.monitor.alerts)
    lane2.send_back(b.mule, b.issuer.holder, 400)  # the forged units burned back for a release
    lane2.settle(timeout=1800)
    state = b.ledger.state
    assert lane_escrow(state, 1, ASSET) == 500 and b.escrow() == 500, "lane 1's backing is untouched"
    assert state.balance_of(ASSET, b.issuer.holder) == 10_000 - 500
    released = [r for r in lane2.book.records.values() if r.direction == "to_consortium"]
    assert [r.state for r in released] == ["refunded"] and "escrow holds 0" in released[0].reason
    assert lane1.monitor.alerts == [] and lane1.monitor.conserved()


def test_a_lane_number_already_open_on_the_ledger_is_refused():
    b = build_bridged()
    end = deploy_ethereum_end(
        b.chain, b.ledger, asset_id=ASSET, lane=1, issuer=b.chain.accounts[0], guardian=b.chain.accounts[1]
    )
    with pytest.raises(ValueError, match="lane 1 of ledger .* is already open"):
        Bridge(b.sim, b.ledger, b.chain, end)
