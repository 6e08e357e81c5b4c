"""Bad actors with ground truth: a seeded share of the population follows a known typology.

:func:`plan_schemes` picks the actors from the run's seed (stream ``("supervision", "plant")``),
opens the extra accounts each scheme needs (KYC'd by the issuer like any other) and returns
the schemes: each a list of legs (seller, buyer, units, whether it crosses venues) run during
trading by the study. What each scheme really is (typology, owner, the accounts involved,
when it started and ended, the units it moved) is kept in a :class:`GroundTruth` that the
regulator's view never sees; scoring compares the cases with it at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rwasim.agents.investors import InvestorProfile
from rwasim.supervision.detectors import TYPOLOGIES


@dataclass
class Truth:
    """One bad scheme as it really happened (never shown to the regulator).

    Attributes
    ----------
    typology : str
    owner : str
        The beneficial owner behind it.
    subjects : list of str
        Every account it used (lower case).
    variant : str
        ``same_chain`` or ``cross_chain`` for a wash trade; ``""`` otherwise.
    start, end : float or None
        When its first leg was submitted and its last leg settled (None until then).
    volume : int
        Units its legs moved (counted once per scheme: the largest leg).
    legs_failed : int
    """

    typology: str
    owner: str
    subjects: list[str]
    variant: str = ""
    start: float | None = None
    end: float | None = None
    volume: int = 0
    legs_failed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "typology": self.typology,
            "owner": self.owner,
            "subjects": list(self.subjects),
            "variant": self.variant,
            "start": self.start,
            "end": self.end,
            "volume": self.volume,
            "legs_failed": self.legs_failed,
        }


@dataclass
class GroundTruth:
    """Every planted scheme, and the typologies that could not be planted on this topology."""

    truths: list[Truth] = field(default_factory=list)
    not_planted: list[str] = field(default_factory=list)
    sanctioned: set[str] = field(default_factory=set)  # owners on the sanctions list (the regulator has it)
    insiders: set[str] = field(default_factory=set)  # owners on the issuer's insider list (filed)
    behind: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # nominee account -> its real owner

    def executed(self) -> list[Truth]:
        """The schemes whose first leg was submitted."""
        return [t for t in self.truths if t.start is not None]


@dataclass
class Leg:
    """One move a scheme makes: ``seller`` pays ``units`` to ``buyer``; ``pause`` seconds before it."""

    seller: Any
    buyer: Any
    units: int
    crossing: bool
    pause: float = 0.0


@dataclass
class Scheme:
    """A planted scheme: its truth, when it starts and its legs; ``announce`` after it for an insider."""

    truth: Truth
    at: float
    legs: list[Leg]
    announce_after: float | None = None
    actor: Any = None
    reserved: int = 0  # units set aside from the actor's holding (so honest trading cannot spend them first)


#: Units each typology needs its actor to hold (``T`` is the reporting threshold).
def _need(typology: str, threshold: int) -> int:
    return 3 * threshold if typology == "structuring" else 10


def plan_schemes(
    world: Any,
    *,
    count: int,
    threshold: int,
    start: float,
    span: float,
    open_account: Callable[[str, InvestorProfile, str], Any],
    joined: Callable[[Any], list[Any]],
) -> tuple[GroundTruth, list[Scheme]]:
    """Pick ``count`` actors (typologies in turn) and plan their schemes, starting within ``span`` s of ``start``.

    ``open_account(book_name, profile, owner)`` opens (and KYCs) an account on a book and
    returns its holder; ``joined(book)`` lists the books a lane or a cross-space call reaches.
    """
    rng = world.sim.rng.stream("supervision", "plant")
    truth = GroundTruth()
    pool = sorted((h for h in world.holders if h.eligible and h.book is not None), key=lambda h: h.profile.name)
    rng.shuffle(pool)
    used: set[str] = set()
    schemes: list[Scheme] = []
    for i in range(count):
        typology = TYPOLOGIES[i % len(TYPOLOGIES)]
        need = _need(typology, threshold)
        candidates = [
            h
            for h in pool
            if h.profile.name not in used
            and h.available >= need
            and (typology != "layering" or joined(world.books[h.book]))
        ]
        if not candidates:
            truth.not_planted.append(typology)
            continue
        actor = candidates[0]
        used.add(actor.profile.name)
        owner = actor.profile.name
        book = world.books[actor.book]
        others = joined(book)
        at = start + rng.uniform(10.0, max(20.0, span))
        units = min(actor.available, rng.randint(10, 40))

        def account(
            suffix: str, on: str, as_owner: str, like: InvestorProfile = actor.profile, owner: str = owner
        ) -> Any:
            profile = InvestorProfile(f"{owner}~{suffix}", like.investor_class, like.country, 0, like.chain)
            return open_account(on, profile, as_owner)

        t = Truth(typology, owner, [actor.account.lower()])
        legs: list[Leg] = []
        announce_after = None
        if typology == "wash_trade":
            cross = bool(others) and (i // len(TYPOLOGIES)) % 2 == 1  # every other wash trade crosses venues
            alt = account("alt", others[0].name if cross else book.name, owner)
            t.variant = "cross_chain" if cross else "same_chain"
            legs = [Leg(actor, alt, units, cross), Leg(alt, actor, units, cross, rng.uniform(30.0, 300.0))]
        elif typology == "layering":
            far = account("far", others[0].name, owner)
            back = account("back", book.name, owner)
            sink = account("sink", book.name, f"{owner}~associate")
            legs = [
                Leg(actor, far, units, True),
                Leg(far, back, units, True, rng.uniform(30.0, 300.0)),
                Leg(back, sink, units, False, rng.uniform(30.0, 300.0)),
            ]
        elif typology == "structuring":
            payee = account("payee", book.name, f"{owner}~associate")
            amounts = [rng.randint(int(0.85 * threshold), threshold - 1) for _ in range(3)]
            legs = [
                Leg(actor, payee, a, False, 0.0 if k == 0 else rng.uniform(60.0, 600.0)) for k, a in enumerate(amounts)
            ]
            units = sum(amounts)
        elif typology == "sanctions":
            first = account("hop1", book.name, f"{owner}~hop1")
            second = account("hop2", book.name, f"{owner}~hop2")
            barred = account("sanctioned", book.name, f"sanctioned-{i}")
            truth.sanctioned.add(f"sanctioned-{i}")
            legs = [
                Leg(actor, first, units, False),
                Leg(first, second, units, False, rng.uniform(30.0, 300.0)),
                Leg(second, barred, units, False, rng.uniform(30.0, 300.0)),
            ]
        elif typology == "nominee":
            nominee = account("nominee", book.name, f"custodian/{owner}~nominee")
            truth.behind[nominee.account.lower()] = (owner, "retail", 840)  # the note admits neither
            legs = [Leg(actor, nominee, units, False)]
        else:  # insider
            buyer = account("counterparty", book.name, f"{owner}~counterparty")
            truth.insiders.add(owner)
            legs = [Leg(actor, buyer, units, False)]
            announce_after = rng.uniform(300.0, 1800.0)
        t.subjects = sorted({t.subjects[0], *(leg.buyer.account.lower() for leg in legs)})
        t.volume = units
        truth.truths.append(t)
        reserved = sum(leg.units for leg in legs if leg.seller is actor)
        actor.available -= reserved
        schemes.append(Scheme(t, at, legs, announce_after, actor, reserved))
    return truth, schemes
