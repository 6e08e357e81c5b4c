"""Claims record who issued them, and an asset counts only the claims of the organisations it
trusts (issue 13, defect 8): the bank re-registering the issuer's retail investor as professional
does not make them eligible for the issuer's note."""

from __future__ import annotations

from tests.consortium.conftest import ASSET, build_market


def test_a_bank_reclassifying_the_issuers_retail_investor_does_not_make_them_eligible():
    m = build_market(rules={"investor_classes": ["professional"]})
    ledger, issuer, bank = m.ledger, m.issuer, m.ledger.org_client("bank")
    retail = m.investors[0]
    handles = [
        issuer.submit("identity.register", {"holder": retail.holder, "country": 344, "investor_class": "retail"}),
    ]
    ledger.settle(*handles)
    bank_says = bank.submit(
        "identity.register", {"holder": retail.holder, "country": 344, "investor_class": "professional"}
    )
    ledger.settle(bank_says)
    assert bank_says.ok, "the bank may record its own claim"
    assert ledger.state.claims(retail.holder) == {
        "bank": {"country": 344, "class": "professional", "kyc": True},
        "issuer": {"country": 344, "class": "retail", "kyc": True},
    }
    assert ledger.state.trusted_claim(ASSET, retail.holder)["class"] == "retail"
    mint = issuer.submit("token.mint", {"asset_id": ASSET, "to": retail.holder, "amount": 1})
    send = m.investors[1].submit("token.transfer", {"asset_id": ASSET, "to": retail.holder, "amount": 1})
    ledger.settle(mint, send)
    assert mint.reason == send.reason == "restricted (6): compliance: InvestorClassModule"


def test_an_asset_trusts_the_organisations_it_names_in_order():
    m = build_market(rules={"investor_classes": ["professional"]})
    ledger, issuer, bank = m.ledger, m.issuer, m.ledger.org_client("bank")
    newcomer, joined = ledger.add_client("newcomer", "bank")
    ledger.settle(joined)
    handles = [
        bank.submit("identity.register", {"holder": newcomer.holder, "country": 344, "investor_class": "professional"}),
        issuer.submit(
            "asset.register",
            {
                "asset_id": "NOTE-B",
                "term_sheet_hash": "0x" + "cd" * 32,
                "rules": {"investor_classes": ["professional"]},
                "trusted_claim_issuers": ["issuer", "bank"],
            },
        ),
        issuer.submit(
            "asset.register",
            {"asset_id": "NOTE-C", "term_sheet_hash": "0x" + "cd" * 32, "trusted_claim_issuers": ["nobody"]},
        ),
    ]
    ledger.settle(*handles)
    assert handles[1].ok and handles[2].reason == "unknown organisation 'nobody' in trusted_claim_issuers"
    mints = [
        issuer.submit("token.mint", {"asset_id": a, "to": newcomer.holder, "amount": 1}) for a in (ASSET, "NOTE-B")
    ]
    ledger.settle(*mints)
    assert [h.reason for h in mints] == ["restricted (5): receiver identity is not verified", None]
