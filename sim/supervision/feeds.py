"""The regulator's view: what it is given, feed by feed, and nothing of the simulator's internals.

Which feeds exist depends on the topology (``graph.nodes["regulator"]["sees"]``):

- ``consortium``: as a member of a consortium ledger it reads every committed transaction
  (transfers, bridge locks and releases, corporate actions), each tied to the ``consortium.tx``
  event of the run's log that carries it;
- ``ethereum``: Transfer logs of the note's tokens on a public venue, and the gateway's
  ``MessageSent`` logs, only where it runs a node and an indexer (``regulator_indexer``; a
  permissioned space it reads as a member), tied to the ``eth.tx`` event;
- ``kyc``: the licensed issuer's KYC file, one record per account it onboards (owner, class,
  country, whether the account is a custodian's client);
- ``custodian``: who is behind a custodian client's account, answered only on request and
  after a stated delay;
- ``filings``: corporate actions announced off ledger (a venue without a ledger).

Links between a consortium identity and its Ethereum wallets come from the KYC file and
from bridge messages (a lock names its receiving wallet; a burn names its consortium receiver).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ZERO = "0x0000000000000000000000000000000000000000"
#: Consortium accounts that are machinery, not holders (the bridge escrow, HTLC and DvP books).
SYSTEM_ACCOUNTS = ("bridge-escrow", "htlc", "dvp-escrow")


@dataclass(frozen=True)
class FeedItem:
    """One thing the regulator learns, when it learns it.

    Attributes
    ----------
    time : float
        Simulated seconds at which the regulator has it.
    feed : str
        ``consortium``, ``ethereum``, ``kyc``, ``custodian`` or ``filings``.
    kind : str
        ``transfer``, ``cross_out``, ``cross_in``, ``link``, ``kyc``, ``owner`` or ``announcement``.
    seq : int or None
        The run's event (``consortium.tx``, ``eth.tx``, ...) it comes from: the evidence.
    data : dict
        ``src``, ``dst``, ``amount``, ``venue`` for movements; the record for the others.
    """

    time: float
    feed: str
    kind: str
    seq: int | None
    data: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """A field of :attr:`data`."""
        return self.data.get(key, default)


@dataclass(frozen=True)
class KycRecord:
    """The issuer's KYC record of one account."""

    account: str
    owner: str
    investor_class: str
    country: int
    custodian_client: bool = False


class CustodianDesk:
    """A custodian's books of who stands behind its clients' accounts; answers after ``delay`` s."""

    def __init__(self, sim: Any, delay: float) -> None:
        self.sim = sim
        self.delay = float(delay)
        self._owners: dict[str, dict[str, Any]] = {}

    def book(self, account: str, owner: str, investor_class: str, country: int) -> None:
        """Record the beneficial owner behind ``account`` (the custodian's own books)."""
        self._owners[account] = {"owner": owner, "investor_class": investor_class, "country": country}

    def answer(self, account: str) -> dict[str, Any]:
        """The reply to a data request on ``account`` (unknown accounts: no record)."""
        return dict(self._owners.get(account, {"owner": None}))


class RegulatorView:
    """Builds the regulator's feeds from the run's event log and what its member node and indexer read.

    Parameters
    ----------
    sim : Simulation
    sink : callable
        ``sink(item)``, called with each :class:`FeedItem` at the simulated time it arrives.
    custodian : CustodianDesk, optional
        Answers data requests.
    """

    def __init__(self, sim: Any, sink: Callable[[FeedItem], None], custodian: CustodianDesk | None = None) -> None:
        self.sim = sim
        self.sink = sink
        self.custodian = custodian
        self.kyc: dict[str, KycRecord] = {}
        self.links: dict[str, str] = {}  # account -> account it was linked to by a bridge message
        self.feeds: set[str] = {"kyc", "filings"}
        self.requests = 0
        self.replies: list[Any] = []  # processes delivering the custodian's answers
        self._seq: dict[Any, int] = {}
        self._requested: set[str] = set()
        self._system: set[str] = {ZERO}
        sim.log.subscribe(self._on_event)

    # ---- what the regulator is connected to ------------------------------------------------------------
    def member_of(self, ledger: Any) -> None:
        """Read every committed transaction of ``ledger`` (the regulator is a member)."""
        self.feeds.add("consortium")
        venue = ledger.name
        ledger.on_commit(lambda committed: self._on_commit(venue, committed))

    def index(self, chain: Any, venue: str, token: Any, gateway: Any = None) -> None:
        """Run an indexer on ``token``'s Transfer logs (and ``gateway``'s MessageSent) on ``chain``."""
        self.feeds.add("ethereum")
        if gateway is not None:
            self._system.add(gateway.address.lower())
        chain.on_block(lambda number, _receipts: self._on_block(chain, venue, token, gateway, number))

    def system_account(self, address: str) -> None:
        """Treat ``address`` as machinery (a gateway, a cross-space contract), not a holder."""
        self._system.add(address.lower())

    # ---- the issuer's KYC file and filings -------------------------------------------------------------
    def file_kyc(self, record: KycRecord) -> None:
        """The issuer files the KYC record of an account it onboarded."""
        self.kyc[record.account.lower()] = record
        self._emit("kyc", "kyc", None, account=record.account, owner=record.owner)

    def owner(self, account: str | None) -> str | None:
        """The owner the KYC file (or a bridge link) puts behind ``account``; the account itself if none."""
        if account is None:
            return None
        key = account.lower()
        record = self.kyc.get(key)
        if record is not None:
            return record.owner
        linked = self.links.get(key)
        if linked is not None and linked.lower() in self.kyc:
            return self.kyc[linked.lower()].owner
        return key

    def file_announcement(self, seq: int | None, **data: Any) -> None:
        """A corporate action announced off ledger reaches the regulator as a filing."""
        self._emit("filings", "announcement", seq, **data)

    # ---- data requests -----------------------------------------------------------------------------------
    def request_data(self, account: str) -> bool:
        """Ask the custodian who is behind ``account``; the answer arrives after its delay (once per account)."""
        if self.custodian is None or account.lower() in self._requested:
            return False
        self._requested.add(account.lower())
        self.requests += 1
        request = self.sim.record("supervision.data_request", "regulator", account=account)
        desk = self.custodian

        def reply():
            yield self.sim.timeout(desk.delay)
            self._emit("custodian", "owner", request.seq, account=account, **desk.answer(account))

        self.replies.append(self.sim.process(reply()))
        return True

    # ---- building items ----------------------------------------------------------------------------------
    def _emit(self, feed: str, kind: str, seq: int | None, **data: Any) -> None:
        self.sink(FeedItem(float(self.sim.now), feed, kind, seq, data))

    def _on_event(self, event: Any) -> None:
        if event.kind == "consortium.tx":
            self._seq[(event.source, bytes(event.data["tx"]))] = event.seq
        elif event.kind == "eth.tx":
            self._seq[str(event.data["hash"]).lower()] = event.seq

    def _move(
        self, feed: str, venue: str, seq: int | None, src: str | None, dst: str | None, amount: int, **extra: Any
    ) -> None:
        src_sys = src is None or src.lower() in self._system or src in SYSTEM_ACCOUNTS
        dst_sys = dst is None or dst.lower() in self._system or dst in SYSTEM_ACCOUNTS
        if src_sys and dst_sys:
            return
        kind = "cross_in" if src_sys else "cross_out" if dst_sys else "transfer"
        self._emit(
            feed,
            kind,
            seq,
            venue=venue,
            src=None if src_sys else src,
            dst=None if dst_sys else dst,
            amount=amount,
            **extra,
        )

    def _on_commit(self, venue: str, committed: Any) -> None:
        for tx, receipt in zip(committed.block.transactions, committed.receipts):
            if not receipt.ok:
                continue
            seq = self._seq.get((venue, bytes(tx.hash)))
            for event in receipt.events:
                f = event.fields
                if event.kind == "token.transfer":
                    self._move("consortium", venue, seq, f["from"], f["to"], int(f["amount"]))
                elif event.kind == "bridge.lock":
                    self.links[str(f["receiver"]).lower()] = str(f["sender"])
                    self._emit("consortium", "link", seq, a=f["sender"], b=f["receiver"], via="bridge.lock")
                elif event.kind == "bridge.release":
                    self._move("consortium", venue, seq, f["from"], str(f["to"]), int(f["amount"]))
                elif event.kind == "asset.corporate_action":
                    self._emit(
                        "consortium", "announcement", seq, venue=venue, asset_id=f["asset_id"], action=f["action"]
                    )

    def _on_block(self, chain: Any, venue: str, token: Any, gateway: Any, number: int) -> None:
        for log in chain.get_logs(token, "Transfer", number, number):
            seq = self._seq.get(str(log["_tx"]).lower())
            self._move(
                "ethereum", venue, seq, str(log["from"]), str(log["to"]), int(log["value"]), lane=gateway is not None
            )
        if gateway is not None:
            for log in chain.get_logs(gateway, "MessageSent", number, number):
                seq = self._seq.get(str(log["_tx"]).lower())
                receiver, sender = str(log["receiver"]), str(log["sender"])
                self.links[receiver.lower()] = sender
                self._emit("ethereum", "link", seq, a=sender, b=receiver, via="MessageSent")
