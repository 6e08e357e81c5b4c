"""The settlement bank: a tokenized deposit on each chain, counted in cents.

Cash is what makes issuance delivery *versus payment* and what coupons and redemptions are
paid in. On the consortium it is an asset the ``bank`` organisation registers and mints;
on Ethereum it is a ``CashToken`` (allow-listed accounts only) whose bank is an Ethereum
account. Both sides count whole cents, so a payment computed to the cent is paid exactly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rwasim.consortium.ledger import ConsortiumLedger, LedgerClient
from rwasim.engine import Simulation

if TYPE_CHECKING:
    from rwasim.ethereum.chain import Contract


def whole_cents(amount: Decimal) -> int:
    """Major currency units (already rounded to cents) as an integer number of cents."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(cents)


class Bank:
    """Issues tokenized deposits in ``currency`` on the consortium and, if given, on Ethereum.

    Parameters
    ----------
    sim : Simulation
    currency : str
        ISO code; the consortium asset is ``"<currency>-DEPOSIT"``.
    ledger : ConsortiumLedger, optional
    chain : EthereumChain, optional
    eth_account : str, optional
        The bank's Ethereum account (default ``chain.accounts[2]``).
    """

    def __init__(
        self,
        sim: Simulation,
        *,
        currency: str = "HKD",
        ledger: ConsortiumLedger | None = None,
        chain: Any = None,
        eth_account: str | None = None,
    ) -> None:
        self.sim = sim
        self.currency = currency
        self.ledger = ledger
        self.chain = chain
        self.asset_id = f"{currency}-DEPOSIT"
        self.client = ledger.org_client("bank") if ledger is not None else None
        self.eth_account = eth_account or (chain.accounts[2] if chain is not None else None)
        self.token: Contract | None = None
        if ledger is not None:
            handle = ledger.org_client("bank").submit(  # the same client as self.client
                "asset.register",
                {
                    "asset_id": self.asset_id,
                    "term_sheet_hash": "0x" + "00" * 32,
                    "name": f"Tokenized {currency} deposit (cents)",
                    # the bank relies on the licensed issuer's KYC of the investors it onboards
                    "trusted_claim_issuers": ["bank", "issuer"],
                },
            )
            ledger.settle(handle)
            if not handle.ok:
                raise RuntimeError(f"the bank could not register {self.asset_id}: {handle.reason}")
        if chain is not None:
            from rwasim.ethereum.suite import deploy_cash_token

            if self.eth_account is None:
                raise ValueError("the bank needs an Ethereum account to issue deposits on Ethereum")
            self.token = deploy_cash_token(chain, symbol=currency, bank=self.eth_account)

    def _on_consortium(self) -> tuple[ConsortiumLedger, LedgerClient]:
        if self.ledger is None or self.client is None:
            raise ValueError(f"the {self.currency} bank has no consortium ledger")
        return self.ledger, self.client

    def ethereum_token(self) -> Contract:
        """The deposit token on Ethereum; ValueError if this bank issues none there."""
        if self.token is None:
            raise ValueError(f"the {self.currency} bank has no Ethereum deposit token")
        return self.token

    def open_ethereum_accounts(self, wallets: list[str]) -> None:
        """Allow-list wallets for the Ethereum deposit token (one transaction per 200 wallets)."""
        for start in range(0, len(wallets), 200):
            batch = list(wallets[start : start + 200])
            self.chain.transact(
                self.token, "batchSetAllowed", batch, True, sender=self.eth_account, gas=60_000 + 30_000 * len(batch)
            )

    def fund(self, *, consortium: dict[str, int] | None = None, ethereum: dict[str, int] | None = None) -> None:
        """Credit deposits (cents) to consortium holders and Ethereum wallets."""
        if consortium:
            ledger, client = self._on_consortium()
            handles = [
                client.submit("token.mint", {"asset_id": self.asset_id, "to": holder, "amount": cents})
                for holder, cents in consortium.items()
                if cents > 0
            ]
            ledger.settle(*handles)
            refused = [h.reason for h in handles if not h.ok]
            if refused:
                raise RuntimeError(f"the bank could not credit consortium deposits: {refused[:3]}")
        if ethereum:
            failed = []
            for wallet, cents in ethereum.items():
                if cents > 0:
                    self.chain.send(self.token, "mint", wallet, cents, sender=self.eth_account, gas=120_000)
                if self.chain.queued >= 200:
                    failed += [r.revert for r in self.chain.mine() if not r.status]
            failed += [r.revert for r in self.chain.mine() if not r.status]
            if failed:
                raise RuntimeError(f"the bank could not credit Ethereum deposits: {failed[:3]}")

    def balance(self, chain: str, holder: str) -> int:
        """Cents held by ``holder`` on ``"consortium"`` or ``"ethereum"``."""
        if chain == "consortium":
            return self._on_consortium()[0].state.balance_of(self.asset_id, holder)
        return self.ethereum_token().call("balanceOf", holder)
