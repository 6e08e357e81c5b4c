"""One shipped rule per typology, each a :class:`~rwasim.supervision.engine.Detector`.

The rules read movements as *legs*: an account-to-account move the regulator can see on
one venue (a transfer), or across venues (a bridge lock names its receiving wallet; a burn's
``MessageSent`` names its consortium receiver; a cross-space call burns and mints in one
transaction). A release on the consortium whose sender the regulator cannot see (no indexer)
is a leg from an unknown account. Owners come from the KYC file and bridge links.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from rwasim.supervision.engine import Case, Detector, case
from rwasim.supervision.feeds import FeedItem, RegulatorView

#: The typologies, in the order the study plants them.
TYPOLOGIES = ("wash_trade", "layering", "structuring", "sanctions", "nominee", "insider")


@dataclass(frozen=True)
class Leg:
    """One move of units the regulator can see: from ``src`` (None: unseen) to ``dst``."""

    time: float
    src: str | None
    dst: str
    amount: int
    cross: bool
    seq: int | None


class LegReader:
    """Turns feed items into legs (pairs a cross-space call's burn and mint by their transaction)."""

    def __init__(self) -> None:
        self._half: dict[int, FeedItem] = {}

    def read(self, item: FeedItem) -> list[Leg]:
        """The legs ``item`` shows (most items show none or one)."""
        t, seq = item.time, item.seq
        if item.kind == "transfer":
            return [
                Leg(t, str(item.get("src")).lower(), str(item.get("dst")).lower(), int(item.get("amount")), False, seq)
            ]
        if item.kind == "link":
            if item.get("a") is None or item.get("b") is None:
                return []
            return [Leg(t, str(item.get("a")).lower(), str(item.get("b")).lower(), 0, True, seq)]
        if item.kind == "cross_in" and item.feed == "consortium":  # a bridge release; its sender is unseen
            return [Leg(t, None, str(item.get("dst")).lower(), int(item.get("amount")), True, seq)]
        if item.kind in ("cross_in", "cross_out") and item.feed == "ethereum" and not item.get("lane"):
            if seq is None:
                return []
            other = self._half.pop(seq, None)
            if other is None:
                self._half[seq] = item
                return []
            out, into = (other, item) if other.kind == "cross_out" else (item, other)
            return [
                Leg(t, str(out.get("src")).lower(), str(into.get("dst")).lower(), int(item.get("amount")), True, seq)
            ]
        return []


class _LegDetector(Detector):
    """A detector over legs kept for ``window`` simulated seconds."""

    def __init__(self, window: float = 3600.0) -> None:
        self.window = float(window)
        self.reader = LegReader()
        self.legs: deque[Leg] = deque()

    def observe(self, item: FeedItem, view: RegulatorView) -> list[Case]:
        while self.legs and self.legs[0].time < item.time - self.window:
            self.legs.popleft()
        found: list[Case] = []
        for leg in self.reader.read(item):
            found += self.on_leg(leg, view)
            self.legs.append(leg)
        return found + self.on_item(item, view)

    def on_leg(self, leg: Leg, view: RegulatorView) -> list[Case]:
        """Cases a new leg opens (the legs before it are in :attr:`legs`)."""
        return []

    def on_item(self, item: FeedItem, view: RegulatorView) -> list[Case]:
        """Cases an item that is no leg opens."""
        return []


class WashTradeDetector(_LegDetector):
    """Units go from an account to another of the same owner and come back (on one venue or across)."""

    typology = "wash_trade"

    def on_leg(self, leg: Leg, view: RegulatorView) -> list[Case]:
        owner = view.owner(leg.dst)
        for e in self.legs:
            if e.src != leg.dst or e.dst == leg.dst or view.owner(e.dst) != owner:
                continue
            back = leg.src == e.dst or (leg.src is None and e.cross and leg.cross)
            if back:
                return [case(self.typology, [leg.dst, e.dst], [e.seq, leg.seq], f"round trip of owner {owner}")]
        return []


class LayeringDetector(_LegDetector):
    """An owner's units cross venues twice within the window and land on another of its accounts."""

    typology = "layering"

    def on_leg(self, leg: Leg, view: RegulatorView) -> list[Case]:
        if not leg.cross:
            return []
        owner = view.owner(leg.dst)
        for e in self.legs:
            if not e.cross or e.src is None or e.src == leg.dst or e.dst == leg.dst:
                continue
            if view.owner(e.src) != owner or view.owner(e.dst) != owner:
                continue
            if leg.src is None or leg.src == e.dst or view.owner(leg.src) == owner:
                return [case(self.typology, [e.src, e.dst, leg.dst], [e.seq, leg.seq], f"two crossings by {owner}")]
        return []


class StructuringDetector(_LegDetector):
    """Three or more moves by one owner each just under the reporting threshold, together above it."""

    typology = "structuring"

    def __init__(self, threshold: int, window: float = 86_400.0, band: float = 0.8, count: int = 3) -> None:
        super().__init__(window)
        self.threshold, self.band, self.count = int(threshold), float(band), int(count)

    def _near(self, leg: Leg) -> bool:
        return self.band * self.threshold <= leg.amount < self.threshold

    def on_leg(self, leg: Leg, view: RegulatorView) -> list[Case]:
        if leg.src is None or not self._near(leg):
            return []
        owner = view.owner(leg.src)
        near = [e for e in self.legs if e.src is not None and view.owner(e.src) == owner and self._near(e)] + [leg]
        if len(near) >= self.count and sum(e.amount for e in near) >= self.threshold:
            return [
                case(
                    self.typology,
                    [e.src for e in near],
                    [e.seq for e in near],
                    f"{len(near)} moves under {self.threshold}",
                )
            ]
        return []


class SanctionsDetector(_LegDetector):
    """Units reach a sanctioned owner's account: the case names the path back two hops."""

    typology = "sanctions"

    def __init__(self, sanctioned: set[str], window: float = 86_400.0) -> None:
        super().__init__(window)
        self.sanctioned = set(sanctioned)

    def on_leg(self, leg: Leg, view: RegulatorView) -> list[Case]:
        if view.owner(leg.dst) not in self.sanctioned:
            return []
        subjects, evidence, frontier = {leg.dst}, [leg.seq], {leg.src} if leg.src else set()
        for _hop in range(2):
            subjects |= frontier
            before = [e for e in self.legs if e.dst in frontier and e.src is not None]
            evidence += [e.seq for e in before]
            frontier = {str(e.src) for e in before} - subjects
        subjects |= frontier
        return [case(self.typology, subjects, evidence, "units reached a sanctioned wallet")]


class NomineeDetector(_LegDetector):
    """A custodian client's account receives units: ask the custodian who is behind it; an owner the
    note does not admit opens a case when the answer arrives."""

    typology = "nominee"

    def __init__(self, classes: set[str], countries: set[int]) -> None:
        super().__init__(86_400.0)
        self.classes, self.countries = set(classes), set(countries)
        self._trigger: dict[str, int | None] = {}

    def on_leg(self, leg: Leg, view: RegulatorView) -> list[Case]:
        record = view.kyc.get(leg.dst)
        if record is not None and record.custodian_client and view.request_data(leg.dst):
            self._trigger[leg.dst] = leg.seq
        return []

    def on_item(self, item: FeedItem, view: RegulatorView) -> list[Case]:
        if item.feed != "custodian" or item.get("owner") is None:
            return []
        if item.get("investor_class") in self.classes and item.get("country") in self.countries:
            return []
        account = str(item.get("account")).lower()
        return [
            case(
                self.typology,
                [account],
                [self._trigger.get(account), item.seq],
                f"behind it: {item.get('investor_class')} in {item.get('country')}",
            )
        ]


class InsiderDetector(_LegDetector):
    """An issuer insider moved units within the window before a corporate action was announced."""

    typology = "insider"

    def __init__(self, insiders: set[str], window: float = 7200.0) -> None:
        super().__init__(window)
        self.insiders = set(insiders)

    def on_item(self, item: FeedItem, view: RegulatorView) -> list[Case]:
        if item.kind != "announcement":
            return []
        found = []
        for e in self.legs:
            for account in (e.src, e.dst):
                if account is not None and view.owner(account) in self.insiders:
                    found.append(
                        case(self.typology, [account], [e.seq, item.seq], f"traded before {item.get('action')}")
                    )
        return found


def default_detectors(
    *,
    threshold: int,
    classes: set[str],
    countries: set[int],
    sanctioned: set[str],
    insiders: set[str],
    window: float = 3600.0,
) -> list[Detector]:
    """The shipped rule of every typology in :data:`TYPOLOGIES`."""
    return [
        WashTradeDetector(window),
        LayeringDetector(window),
        StructuringDetector(threshold),
        SanctionsDetector(sanctioned),
        NomineeDetector(classes, countries),
        InsiderDetector(insiders, 2 * window),
    ]


def describe(detectors: list[Any]) -> list[str]:
    """``typology: class name`` of each detector (for a report)."""
    return [f"{d.typology}: {type(d).__name__}" for d in detectors]
