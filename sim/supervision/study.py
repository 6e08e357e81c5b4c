"""Supervision inside the topology study: plant the schemes, build the regulator's feeds, run the
engine while the workload trades, and score the cases against ground truth.

The study is handed the workload's world and three of its functions (so this package does not
import the workload): ``make_holder(profile, book, eligible)``, ``submit_trade(world, seller,
buyer, units, crossing)`` and ``joined(world, book)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rwasim.agents.investors import InvestorProfile
from rwasim.params import Param
from rwasim.supervision.detectors import default_detectors
from rwasim.supervision.engine import ACTIONS, Case, SurveillanceEngine
from rwasim.supervision.feeds import CustodianDesk, KycRecord, RegulatorView
from rwasim.supervision.scoring import flatten, score
from rwasim.supervision.typologies import GroundTruth, Scheme, plan_schemes

#: The study's parameters (merged into the topology study's).
SUPERVISION_PARAMS: dict[str, Param] = {
    "bad_actors": Param(
        0,
        min=0,
        max=60,
        help="investors who follow a typology (wash_trade, layering, structuring, sanctions, nominee, insider in turn)",
    ),
    "surveillance": Param(False, help="run the regulator's surveillance engine (always on when bad_actors > 0)"),
    "report_threshold": Param(100, min=2, max=10**9, help="units above which a transfer is reported (structuring)"),
    "detect_window": Param(3600.0, min=1.0, max=30 * 86_400.0, help="seconds the detectors look back"),
    "custodian_share": Param(0.2, min=0.0, max=1.0, help="share of honest holders who hold as a custodian's client"),
    "custodian_delay": Param(
        3600.0, min=0.0, max=30 * 86_400.0, help="seconds a custodian takes to answer a data request"
    ),
    "supervision_action": Param("none", choices=ACTIONS, help="what the regulator does on a case"),
    "honest_insiders": Param(
        0,
        min=0,
        max=50,
        help="honest holders on the issuer's insider list (their ordinary trades can raise false alarms)",
    ),
    "exit_delay": Param(
        0.0, min=0.0, max=30 * 86_400.0, help="seconds after a scheme ends before its units leave the venues"
    ),
}


class Supervision:
    """The regulator's surveillance of one topology-study run (see the module docstring)."""

    def __init__(
        self,
        world: Any,
        *,
        make_holder: Callable[[InvestorProfile, str, bool], Any],
        submit_trade: Callable[..., Any],
        joined: Callable[[Any, Any], list[Any]],
    ) -> None:
        self.world = world
        self.p = world.p
        self.sim = world.sim
        self.make_holder = make_holder
        self.submit_trade = submit_trade
        self.joined = joined
        self.engine = SurveillanceEngine(self.sim, [], action=self.p["supervision_action"], actor=self)
        self.desk = CustodianDesk(self.sim, self.p["custodian_delay"])
        self.view = RegulatorView(self.sim, self.engine.push, self.desk)
        self.engine.attach(self.view)
        self.truth = GroundTruth()
        self.schemes: list[Scheme] = []
        self.start_at = 0.0
        self._procs: list[Any] = []
        self._accounts: dict[str, Any] = {}
        self._clients: dict[str, Any] = {}
        self.frozen: set[str] = set()
        self.halted: set[int] = set()
        world.stopped_by_regulator = self.stopped

    # ---- before trading -----------------------------------------------------------------------------
    def connect(self) -> None:
        """Give the regulator the feeds its place in the topology allows."""
        world, graph = self.world, self.world.graph
        sees = set(graph.nodes["regulator"]["sees"]) if "regulator" in graph else set()
        members: list[str] = []
        for _name, book in sorted(world.books.items()):
            if book.kind == "consortium" and book.venue in sees and book.ledger.name not in members:
                members.append(book.ledger.name)
                self.view.member_of(book.ledger)
        for _lane, bridge in sorted(world.bridges.items()):
            self.view.system_account(bridge.end.gateway.address)
        if world.cross is not None:
            self.view.system_account(world.cross.address)
        for name, book in sorted(world.books.items()):
            if book.kind == "evm" and book.venue in sees:
                gateway = world.bridges[book.lane].end.gateway if book.lane is not None else None
                self.view.index(world.chain, name, book.suite.token, gateway)

    def _open_account(self, book_name: str, profile: InvestorProfile, owner: str) -> Any:
        from rwasim.ethereum.suite import register_investors

        world = self.world
        book = world.books[book_name]
        holder = self.make_holder(profile, book_name, True)
        if book.kind == "consortium":
            holder.client = book.issuer.onboard([profile])[0].client
        else:
            holder.wallet = world.chain.new_account(f"{book.name}/{profile.name}")
            register_investors(world.chain, book.suite, [(holder.wallet, profile.country, profile.investor_class)])
        world.accounts.append(holder)
        self._accounts[holder.account.lower()] = holder
        self.view.file_kyc(
            KycRecord(holder.account, owner, profile.investor_class, profile.country, owner.startswith("custodian/"))
        )
        if owner.startswith("custodian/"):
            self.desk.book(holder.account, owner, profile.investor_class, profile.country)
        return holder

    def plant(self, start: float, span: float) -> None:
        """Connect the feeds, plan the schemes, file the population's KYC and arm the detectors."""
        p, world = self.p, self.world
        self.start_at = start
        self.connect()
        self.truth, self.schemes = plan_schemes(
            world,
            count=int(p["bad_actors"]),
            threshold=int(p["report_threshold"]),
            start=start,
            span=span,
            open_account=self._open_account,
            joined=lambda book: self.joined(world, book),
        )
        for account, (owner, klass, country) in sorted(self.truth.behind.items()):
            self.desk.book(account, owner, klass, country)  # the custodian's own books know who is behind
        actors = {t.owner for t in self.truth.truths}
        rng = self.sim.rng.stream("supervision", "custody")
        for h in world.holders:
            if h.book is None:
                continue
            client = rng.random() < p["custodian_share"] and h.profile.name not in actors
            owner = f"custodian/{h.profile.name}" if client else h.profile.name
            record = KycRecord(h.account, owner, h.profile.investor_class, h.profile.country, client)
            self.view.file_kyc(record)
            self._accounts[h.account.lower()] = h
            if client:
                self.desk.book(h.account, h.profile.name, h.profile.investor_class, h.profile.country)
        honest = sorted(h.profile.name for h in world.holders if h.eligible and h.profile.name not in actors)
        listed = self.sim.rng.stream("supervision", "insiders").sample(
            honest, min(int(p["honest_insiders"]), len(honest))
        )
        self.engine.detectors = default_detectors(
            threshold=int(p["report_threshold"]),
            classes=set(p["classes"]),
            countries={int(c) for c in p["countries"]},
            sanctioned=set(self.truth.sanctioned),
            insiders=set(self.truth.insiders) | set(listed) | {"issuer/board"},
            window=float(p["detect_window"]),
        )
        self.sim.record(
            "supervision.armed",
            "regulator",
            feeds=sorted(self.view.feeds),
            detectors=[d.typology for d in self.engine.detectors],
            sanctioned=len(self.truth.sanctioned),
            insiders=len(self.truth.insiders) + len(listed) + 1,
        )
        begin = self.sim.now  # the schemes start once their accounts are open
        for scheme in self.schemes:
            scheme.at += begin - start
            self._procs.append(self.sim.process(self._run(scheme)))
        if not any(s.announce_after is not None for s in self.schemes):
            self._procs.append(self.sim.process(self._announce_at(begin + span / 2)))

    # ---- during trading -------------------------------------------------------------------------------
    def _run(self, scheme: Scheme):
        sim, t = self.sim, scheme.truth
        yield sim.timeout(max(0.0, scheme.at - sim.now))
        scheme.actor.available += scheme.reserved
        for leg in scheme.legs:
            if leg.pause:
                yield sim.timeout(leg.pause)
            if leg.seller.available < leg.units:  # honest trading spent the units first
                t.legs_failed += 1
                break
            leg.seller.available -= leg.units
            op = self.submit_trade(self.world, leg.seller, leg.buyer, leg.units, leg.crossing)
            self.world.ops.append(op)
            if t.start is None:
                t.start = float(sim.now)
            while not op.done:
                yield sim.timeout(2.0)
            if not op.ok:
                t.legs_failed += 1
                break
            t.end = float(op.done_at)
        if scheme.announce_after is not None:
            yield sim.timeout(scheme.announce_after)
            self._announce()

    def _announce_at(self, when: float):
        yield self.sim.timeout(max(0.0, when - self.sim.now))
        self._announce()

    def _announce(self) -> None:
        """The issuer announces a knock-out: on its ledger if it has one, else as a public filing."""
        books = [b for _, b in sorted(self.world.books.items()) if b.kind == "consortium"]
        if books:
            book = books[0]
            admin = book.issuer.on_consortium("a corporate action")[1]
            admin.submit(
                "asset.corporate_action",
                {"asset_id": book.asset_id, "action": "knock_out", "date": str(int(self.sim.now // 86_400))},
            )
        else:
            event = self.sim.record("issuer.announcement", "issuer", action="knock_out")
            self.view.file_announcement(event.seq, action="knock_out")

    def busy(self) -> bool:
        """Some scheme (or the announcement) has not finished."""
        return any(proc.is_alive for proc in self._procs + self.view.replies)

    def finish(self, timeout: float = 2 * 86_400.0) -> None:
        """Run the simulation until every scheme has run its course (at most ``timeout`` seconds)."""
        deadline = self.sim.now + timeout
        while self.busy() and self.sim.now < deadline:
            self.sim.run(until=min(self.sim.now + 5.0, deadline))

    # ---- acting on a case -----------------------------------------------------------------------------
    def _regulator(self, ledger: Any) -> Any:
        if ledger.name not in self._clients:
            self._clients[ledger.name] = ledger.org_client("regulator")
        return self._clients[ledger.name]

    def freeze(self, account: str, case: Case) -> None:
        """Freeze ``account`` on its book: directly on a ledger, by order to the token's agent on Ethereum."""
        holder = self._accounts.get(account.lower())
        self.sim.record("supervision.action", "regulator", action="freeze", account=account, case=case.id)
        if holder is None or holder.book is None:
            return
        self.frozen.add(account.lower())
        book = self.world.books[holder.book]
        if book.kind == "consortium":
            self._regulator(book.ledger).submit(
                "token.freeze", {"asset_id": book.asset_id, "holder": holder.client.holder, "frozen": True}
            )
        else:
            self.world.chain.send(book.suite.token, "setAddressFrozen", holder.wallet, True, sender=book.suite.issuer)

    def halt(self, case: Case) -> None:
        """Halt the bridge lanes of the books the case's subjects hold on (the consortium side)."""
        lanes = sorted(
            {
                self.world.books[h.book].lane
                for s in case.subjects
                if (h := self._accounts.get(s)) is not None and h.book is not None
            }
            - {None}
        )
        self.sim.record("supervision.action", "regulator", action="halt", lanes=lanes, case=case.id)
        for lane in lanes:
            self.halted.add(lane)
            bridge = self.world.bridges[lane]
            self._regulator(bridge.ledger).submit(
                "bridge.halt", {"lane": lane, "halted": True, "reason": f"case {case.id}"}
            )

    def stopped(self, op: Any) -> bool:
        """``op`` failed because the regulator acted: a party it froze, or a lane it halted."""
        if op.done and op.ok:
            return False
        parties = {h.account.lower() for h in (op.seller, op.buyer) if h is not None}
        lanes = {self.world.books[name].lane for name in (op.source, op.dest)} - {None}
        return bool(parties & self.frozen) or bool(op.direction and lanes & self.halted)

    # ---- after ------------------------------------------------------------------------------------------
    def scores(self) -> dict[str, Any]:
        """Scores of the cases against ground truth (see :mod:`rwasim.supervision.scoring`)."""
        return score(
            self.truth.truths,
            self.engine.cases,
            investors=len(self.world.holders),
            seconds=self.sim.now - self.start_at,
            data_requests=self.view.requests,
            exit_delay=float(self.p["exit_delay"]),
        )

    def metrics(self) -> dict[str, Any]:
        """The ``sup_*`` metrics of this run."""
        return flatten(self.scores())

    def report(self) -> dict[str, Any]:
        """What report.json keeps: feeds, cases, ground truth (kept apart) and scores."""
        return {
            "feeds": sorted(self.view.feeds),
            "feed_items": self.engine.items,
            "cases": [
                {
                    "id": c.id,
                    "time": round(c.time, 6),
                    "typology": c.typology,
                    "subjects": list(c.subjects),
                    "evidence": list(c.evidence),
                    "detail": c.detail,
                }
                for c in self.engine.cases
            ],
            "ground_truth": [t.to_json() for t in self.truth.truths],
            "not_planted": list(self.truth.not_planted),
            "scores": self.scores(),
        }
