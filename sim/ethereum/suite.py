"""Deploy the ERC-3643-style token suite, cash tokens and settlement contracts in one call.

The deployment order matters and is easy to get wrong by hand: identity registry, then
compliance, then the token bound to both, then the modules (which need the token), then
the modules bound to the compliance. Later code (the issuer agent, the bridge, scenarios,
benchmarks) uses these helpers rather than repeating it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rwasim.ethereum.chain import Contract, EthereumChain

TOPIC_KYC = 1
TOPIC_INVESTOR_CLASS = 2
INVESTOR_CLASSES = {"retail": 1, "accredited": 2, "professional": 3}
RESTRICTION_CODES = {
    0: "ok",
    1: "paused",
    2: "sender frozen",
    3: "receiver frozen",
    4: "insufficient unfrozen balance",
    5: "receiver not verified",
    6: "compliance",
}


@dataclass
class TokenSuite:
    """A security token with its identity registry, compliance and bound modules."""

    token: Contract
    identity_registry: Contract
    compliance: Contract
    modules: dict[str, Contract] = field(default_factory=dict)
    issuer: str = ""
    claim_issuer: str = ""


def class_mask(classes: list[str]) -> int:
    """The InvestorClassModule bit mask for class names (``["professional", "accredited"]``)."""
    mask = 0
    for name in classes:
        if name not in INVESTOR_CLASSES:
            raise ValueError(f"unknown investor class {name!r} (known: {', '.join(INVESTOR_CLASSES)})")
        mask |= 1 << INVESTOR_CLASSES[name]
    return mask


def deploy_token_suite(
    chain: EthereumChain,
    *,
    name: str,
    symbol: str,
    issuer: str,
    decimals: int = 0,
    agents: list[str] | None = None,
    claim_issuer: str | None = None,
    modules: dict[str, Any] | None = None,
) -> TokenSuite:
    """Deploy and wire a security token for ``issuer``.

    Parameters
    ----------
    chain : EthereumChain
        Where to deploy.
    name, symbol, decimals : str, str, int
        ERC-20 metadata (notes are counted in whole units, so decimals defaults to 0).
    issuer : str
        Owner of every contract, an agent of the registry and the token.
    agents : list of str, optional
        Further token and registry agents (a transfer agent, the bridge gateway).
    claim_issuer : str, optional
        The issuer of KYC and investor-class claims that the registry and the token trust
        (defaults to ``issuer``); the token reads no one else's claims.
    modules : dict, optional
        Compliance modules to bind: ``countries`` (list of ISO numeric codes),
        ``max_holders`` (int), ``max_balance`` (int), ``locked_until`` (Unix time),
        ``investor_classes`` (list of class names).
    """
    claim_issuer = claim_issuer or issuer
    registry = chain.deploy("IdentityRegistry", sender=issuer)
    compliance = chain.deploy("ModularCompliance", sender=issuer)
    token = chain.deploy("SecurityToken", name, symbol, decimals, registry.address, compliance.address, sender=issuer)
    chain.transact(compliance, "bindToken", token.address, sender=issuer)
    for topic in (TOPIC_KYC, TOPIC_INVESTOR_CLASS):
        chain.transact(registry, "setTrustedIssuer", claim_issuer, topic, True, sender=issuer)
    # the token counts only its own claim issuer's claims, whoever else the registry trusts
    chain.transact(token, "setTrustedClaimIssuers", [claim_issuer], sender=issuer)
    for agent in [issuer, *(agents or [])]:
        chain.transact(token, "addAgent", agent, sender=issuer)
        if agent != issuer:
            chain.transact(registry, "addAgent", agent, sender=issuer)
    suite = TokenSuite(token, registry, compliance, issuer=issuer, claim_issuer=claim_issuer)
    for key, value in (modules or {}).items():
        module = _deploy_module(chain, suite, key, value)
        chain.transact(compliance, "addModule", module.address, sender=issuer)
        suite.modules[key] = module
    return suite


def _deploy_module(chain: EthereumChain, suite: TokenSuite, key: str, value: Any) -> Contract:
    base = (suite.compliance.address, suite.identity_registry.address)
    issuer = suite.issuer
    if key == "countries":
        return chain.deploy("CountryAllowModule", *base, [int(c) for c in value], sender=issuer)
    if key == "max_holders":
        return chain.deploy("MaxHoldersModule", *base, suite.token.address, int(value), sender=issuer)
    if key == "max_balance":
        return chain.deploy("MaxBalanceModule", *base, suite.token.address, int(value), sender=issuer)
    if key == "locked_until":
        return chain.deploy("LockUpModule", *base, int(value), sender=issuer)
    if key == "investor_classes":
        return chain.deploy("InvestorClassModule", *base, class_mask(list(value)), sender=issuer)
    raise ValueError(
        f"unknown compliance module {key!r}: use countries, max_holders, max_balance, locked_until or investor_classes"
    )


def register_investor(
    chain: EthereumChain,
    suite: TokenSuite,
    wallet: str,
    *,
    country: int,
    investor_class: str,
    kyc: bool = True,
    expires_at: int = 0,
) -> None:
    """Register ``wallet``'s identity and write its KYC and investor-class claims."""
    if investor_class not in INVESTOR_CLASSES:
        raise ValueError(f"unknown investor class {investor_class!r} (known: {', '.join(INVESTOR_CLASSES)})")
    chain.send(suite.identity_registry, "registerIdentity", wallet, country, sender=suite.issuer)
    if kyc:
        chain.send(suite.identity_registry, "addClaim", wallet, TOPIC_KYC, 1, expires_at, sender=suite.claim_issuer)
    chain.send(
        suite.identity_registry,
        "addClaim",
        wallet,
        TOPIC_INVESTOR_CLASS,
        INVESTOR_CLASSES[investor_class],
        expires_at,
        sender=suite.claim_issuer,
    )
    for receipt in chain.mine():
        if not receipt.status:
            from rwasim.ethereum.errors import TransactionReverted

            raise TransactionReverted(receipt)


def register_investors(
    chain: EthereumChain, suite: TokenSuite, investors: list[tuple[str, int, str]], *, per_block: int = 40
) -> None:
    """Register many ``(wallet, country, investor_class)`` identities, ``per_block`` investors a block.

    Same effect as :func:`register_investor` for each, in far fewer blocks (three transactions
    an investor, mined together).
    """
    for _wallet, _country, investor_class in investors:
        if investor_class not in INVESTOR_CLASSES:
            raise ValueError(f"unknown investor class {investor_class!r} (known: {', '.join(INVESTOR_CLASSES)})")
    failed = []
    for start in range(0, len(investors), per_block):
        for wallet, country, investor_class in investors[start : start + per_block]:
            chain.send(suite.identity_registry, "registerIdentity", wallet, country, sender=suite.issuer, gas=150_000)
            chain.send(
                suite.identity_registry, "addClaim", wallet, TOPIC_KYC, 1, 0, sender=suite.claim_issuer, gas=150_000
            )
            chain.send(
                suite.identity_registry,
                "addClaim",
                wallet,
                TOPIC_INVESTOR_CLASS,
                INVESTOR_CLASSES[investor_class],
                0,
                sender=suite.claim_issuer,
                gas=150_000,
            )
        failed += [r for r in chain.mine() if not r.status]
    if failed:
        from rwasim.ethereum.errors import TransactionReverted

        raise TransactionReverted(failed[0])


def register_system_account(chain: EthereumChain, suite: TokenSuite, account: str) -> None:
    """Let a market-infrastructure contract (escrow, HTLC, bridge) hold the security token."""
    chain.transact(suite.identity_registry, "registerSystemIdentity", account, sender=suite.issuer)


def deploy_cash_token(
    chain: EthereumChain, *, symbol: str, bank: str, name: str | None = None, decimals: int = 2
) -> Contract:
    """A tokenized deposit / stablecoin (cents by default) minted by ``bank``."""
    return chain.deploy("CashToken", name or f"Tokenized {symbol} deposit", symbol, decimals, sender=bank)


@dataclass
class Settlement:
    dvp: Contract
    htlc: Contract


def deploy_settlement(chain: EthereumChain, *, sender: str | None = None) -> Settlement:
    """The one-chain DvP escrow and the HTLC."""
    return Settlement(chain.deploy("DvPEscrow", sender=sender), chain.deploy("HashedTimelock", sender=sender))
