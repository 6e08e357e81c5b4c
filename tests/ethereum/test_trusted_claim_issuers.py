"""Claims keep their issuer, and a token counts only the claims of the issuers it trusts (issue 13,
defect 8, the ERC-3643 trusted-issuers idea): the bank, even trusted by the shared identity
registry, re-classing the issuer's retail investor as professional does not make them eligible."""

from __future__ import annotations

import pytest

from rwasim.ethereum import TransactionReverted
from rwasim.ethereum.suite import INVESTOR_CLASSES, TOPIC_INVESTOR_CLASS, TOPIC_KYC


@pytest.fixture
def bank_is_a_kyc_provider(market):
    c, reg = market.chain, market.suite.identity_registry
    for topic in (TOPIC_KYC, TOPIC_INVESTOR_CLASS):
        c.transact(reg, "setTrustedIssuer", market.bank, topic, True, sender=market.issuer)
    market.add_module("investor_classes", ["professional"])
    return market


def test_the_banks_claim_does_not_overwrite_the_issuers(bank_is_a_kyc_provider):
    market = bank_is_a_kyc_provider
    c, reg, token = market.chain, market.suite.identity_registry, market.token
    c.transact(
        reg, "addClaim", market.retail, TOPIC_INVESTOR_CLASS, INVESTOR_CLASSES["professional"], 0, sender=market.bank
    )
    assert reg.call("getClaim", market.retail, TOPIC_INVESTOR_CLASS, market.issuer)[1] == INVESTOR_CLASSES["retail"]
    assert reg.call("getClaim", market.retail, TOPIC_INVESTOR_CLASS, market.bank)[1] == INVESTOR_CLASSES["professional"]
    assert token.call("trustedClaimIssuers") == [market.issuer]
    assert reg.call("investorClassBy", market.retail, [market.issuer]) == INVESTOR_CLASSES["retail"]
    assert token.call("canTransfer", market.alice, market.retail, 1) == (6, "compliance: InvestorClassModule")
    assert token.call("canMint", market.retail, 1) == (6, "compliance: InvestorClassModule")
    with pytest.raises(TransactionReverted):
        c.transact(token, "transfer", market.retail, 1, sender=market.alice)


def test_a_wallet_only_the_bank_vouches_for_is_not_verified_for_the_issuers_token(bank_is_a_kyc_provider):
    market = bank_is_a_kyc_provider
    c, reg, token = market.chain, market.suite.identity_registry, market.token
    c.transact(reg, "registerIdentity", market.stranger, 344, sender=market.issuer)
    c.transact(reg, "addClaim", market.stranger, TOPIC_KYC, 1, 0, sender=market.bank)
    c.transact(reg, "addClaim", market.stranger, TOPIC_INVESTOR_CLASS, 3, 0, sender=market.bank)
    assert token.call("canMint", market.stranger, 1) == (5, "receiver identity is not verified")
    c.transact(token, "setTrustedClaimIssuers", [market.issuer, market.bank], sender=market.issuer)
    assert token.call("canMint", market.stranger, 1) == (0, "ok"), "once the token trusts the bank, it counts"
