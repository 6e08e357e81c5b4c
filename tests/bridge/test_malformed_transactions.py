"""Nothing a client signs may crash a node: every field of every transaction kind (the ledger's
own and the bridge module's) is checked at admission, and a handler that fails anyway ends
its transaction as rejected, alike on every node."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rwasim.bridge import ledger_module
from rwasim.consortium.membership import OrgRole
from rwasim.consortium.modules import LedgerModule
from tests.consortium.conftest import ASSET, assert_nodes_agree, build_market

# a value of each field type that passes its check, and values that must not
GOOD = {
    "uint256": 1,
    "amount": 1,
    "int256": 1,
    "uint64": 1,
    "bool": True,
    "address": "0x" + "11" * 20,
    "bytes32": "0x" + "22" * 32,
    "hex": "0x00",
    "text": "t",
    "name": "n",
    "asset": ASSET,
    "scalar": "s",
    "list": [],
    "dict": {},
}
BAD = {
    "uint256": [-1, 2**256, "1", True, None],
    "amount": [0, -5, 2**256, "5", False, None],
    "int256": [2**255, -(2**255) - 1, "1", None],
    "uint64": [-1, 2**64, "1", None],
    "bool": [1, "true", None],
    "address": ["0x" + "zz" * 20, "0x11", "11" * 21, 5, None],
    "bytes32": ["0x" + "zz" * 32, "0x22", 7, None],
    "hex": ["0xz", "0x123", 3, None],
    "text": [["x"], {"a": 1}, 5, "x" * 300],
    "name": ["", ["x"], 5, None],
    "asset": ["", ["a"], {"a": 1}, 5, None],
    "scalar": [["x"], {"a": 1}, None, True],
    "list": ["x", {"a": 1}, 5, None],
    "dict": ["x", [1], 5, None],
    "choice": ["nope", 5, None, ["x"]],
}


def _client_for(market, kind: str):
    """A client whose role may submit ``kind`` (None if no default organisation may)."""
    ledger = market.ledger
    for org, role in (
        ("issuer", OrgRole.ISSUER),
        ("techco", OrgRole.TECH_PROVIDER),
        ("bank", OrgRole.BANK),
        ("custodian", OrgRole.CUSTODIAN),
        ("regulator", OrgRole.REGULATOR),
        ("bridge", OrgRole.BRIDGE),
    ):
        if kind in ledger.modules.permitted[role.value]:
            return ledger.org_client(org)
    return None


def _valid(schema) -> dict:
    return {name: (spec.choices[0] if spec.type == "choice" else GOOD[spec.type]) for name, spec in schema.items()}


def test_every_malformed_field_of_every_kind_is_refused_with_the_reason_and_the_run_goes_on():
    market = build_market()
    ledger = market.ledger
    ledger_module.install(ledger)
    assert {"bridge.lock", "token.transfer", "dvp.propose"} <= set(ledger.modules.schemas)
    assert set(ledger.modules.schemas) == set(ledger.modules.handlers), "every kind has a schema"
    handles, cases = [], 0
    for kind, schema in sorted(ledger.modules.schemas.items()):
        client = _client_for(market, kind)
        if client is None:
            continue
        for name, spec in schema.items():
            for bad in BAD[spec.type]:
                payload = {**_valid(schema), name: bad}
                handle = client.submit(kind, payload)
                cases += 1
                assert handle.status == "refused", (kind, name, bad, handle.status, handle.reason)
                assert handle.reason.startswith(f"malformed payload: field {name!r}"), (kind, name, handle.reason)
            if not spec.optional:
                payload = {k: v for k, v in _valid(schema).items() if k != name}
                handle = client.submit(kind, payload)
                assert handle.reason == f"malformed payload: field {name!r} is missing", (kind, handle.reason)
        handles.append(client.submit(kind, _valid(schema)))  # well formed: decided by its handler
    assert cases > 300
    ledger.settle(*handles)
    assert all(h.status in ("ok", "rejected") for h in handles), [(h.tx.kind, h.status, h.reason) for h in handles]
    refusals = [e for e in market.sim.log.of_kind("consortium.tx") if e.data["status"] == "refused"]
    assert len(refusals) >= cases, "every refusal is recorded with its reason"
    assert_nodes_agree(ledger)


@pytest.mark.parametrize(
    "field, value",
    [
        ("receiver", "0x" + "zz" * 20),
        ("lane", -1),
        ("lane", 2**256),
        ("destination_chain", -5),
        ("destination_chain", 2**256),
    ],
)
def test_a_malformed_lock_that_reaches_a_block_is_rejected_there_not_raised(field, value):
    """The issue's case: a proposer that skips the mempool check must not take the network down."""
    market = build_market()
    ledger = market.ledger
    ledger_module.install(ledger)
    lock = {"asset_id": ASSET, "amount": 5, "lane": 1, "receiver": "0x" + "11" * 20, "destination_chain": 1337}
    investor = market.investors[0]
    tx = investor.sign("bridge.lock", {**lock, field: value})
    for node in ledger.nodes.values():  # straight into every mempool, as a faulty validator would
        node._admit(tx)
    after = investor.submit("token.transfer", {"asset_id": ASSET, "amount": 1, "to": market.investors[1].holder})
    market.sim.run(until=market.sim.now + 30)
    receipts = [r for h in range(1, ledger.height + 1) for r in ledger.block(h).receipts if r.tx_hash == tx.hash]
    assert len(receipts) == 1 and not receipts[0].ok
    assert receipts[0].reason.startswith(f"malformed payload: field {field!r}")
    assert after.ok, "the sender's nonce was spent: later transactions go on"
    assert ledger.state.balance_of(ASSET, investor.holder) == 999
    assert_nodes_agree(ledger)


def test_a_handler_that_raises_rejects_its_transaction_on_every_node():
    market = build_market()
    ledger = market.ledger

    def boom(s, tx, p, events, ts):
        raise RuntimeError("a bug in a module")

    ledger.install(LedgerModule("buggy", {"buggy.boom": boom}, {OrgRole.ISSUER: frozenset({"buggy.boom"})}))
    handle = market.issuer.submit("buggy.boom", {})
    after = market.transfers(2)
    ledger.settle(handle, *after)
    assert handle.status == "rejected" and handle.reason == "malformed payload: RuntimeError: a bug in a module"
    assert all(h.ok for h in after)
    assert_nodes_agree(ledger)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**300), max_value=2**300)
    | st.text(max_size=50)
    | st.sampled_from(["0x" + "11" * 20, "0x" + "zz" * 20, "0x" + "22" * 32, ASSET, "0x", ""]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
_MARKET = {}


def _shared_market():
    if not _MARKET:
        market = build_market(investors=2)
        ledger_module.install(market.ledger)
        _MARKET["m"] = market
    return _MARKET["m"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_json_payloads_never_raise_out_of_the_simulation(data):
    market = _shared_market()
    ledger = market.ledger
    kinds = sorted(k for k in ledger.modules.schemas if _client_for(market, k) is not None)
    handles = []
    for _ in range(4):
        kind = data.draw(st.sampled_from(kinds))
        schema = ledger.modules.schemas[kind]
        payload = dict(_valid(schema))
        for name in data.draw(st.lists(st.sampled_from(sorted(schema)), max_size=3)):
            payload[name] = data.draw(_json)
        payload.update(data.draw(st.dictionaries(st.text(max_size=6), _json, max_size=2)))
        handles.append(_client_for(market, kind).submit(kind, payload))
    market.sim.run(until=market.sim.now + 15)  # must not raise
    assert all(h.status in ("ok", "rejected", "refused", "pending") for h in handles)
