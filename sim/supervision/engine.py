"""The surveillance engine: the regulator's feeds as a stream, in simulated time, through detectors.

A detector is anything with a ``typology`` and an ``observe(item, view)`` method that returns
the cases the item opens (see :class:`Detector`; subclass it to add your own). The engine hands
every :class:`~rwasim.supervision.feeds.FeedItem` to every detector the moment the regulator
receives it, opens each case once (a case is its typology and its subjects), records it in the
run's event log (``supervision.case``, with its evidence: the seqs of the events it rests on)
and applies the regulator's action policy to it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rwasim.supervision.feeds import FeedItem, RegulatorView

#: What the regulator does when a case opens: nothing more than record it, freeze the
#: subjects' accounts, or halt the cross-border lane the case touched.
ACTIONS = ("none", "freeze", "halt")


@dataclass
class Case:
    """One suspicion the regulator opened.

    Attributes
    ----------
    typology : str
    subjects : tuple of str
        The accounts it names (sorted).
    evidence : tuple of int
        Seqs of the run's events it rests on.
    time : float
        Simulated seconds when it was opened.
    detail : str
    """

    typology: str
    subjects: tuple[str, ...]
    evidence: tuple[int, ...]
    time: float = 0.0
    detail: str = ""
    id: int = -1
    lanes: tuple[int, ...] = field(default=())

    def key(self) -> tuple[str, tuple[str, ...]]:
        """What makes two cases the same case."""
        return (self.typology, self.subjects)


def case(typology: str, subjects: Iterable[str | None], evidence: Iterable[int | None], detail: str = "") -> Case:
    """A case with its subjects and evidence normalised (sorted, unique, no ``None``)."""
    return Case(
        typology,
        tuple(sorted({s.lower() for s in subjects if s})),
        tuple(sorted({e for e in evidence if e is not None})),
        detail=detail,
    )


class Detector(ABC):
    """One rule over the regulator's feeds. Subclass it and implement :meth:`observe`.

    Attributes
    ----------
    typology : str
        The typology of the cases it opens.
    """

    typology: str = "custom"

    @abstractmethod
    def observe(self, item: FeedItem, view: RegulatorView) -> list[Case]:
        """The cases ``item`` opens (``[]`` for none); ``view`` resolves owners and requests data."""


class SurveillanceEngine:
    """Runs detectors over a :class:`RegulatorView`'s feed items as they arrive.

    Parameters
    ----------
    sim : Simulation
    detectors : iterable of Detector
    action : {"none", "freeze", "halt"}
        What the regulator does on each case (see :data:`ACTIONS`).
    actor : object, optional
        Carries out actions: ``actor.freeze(account, case)`` and ``actor.halt(case)``.
    """

    def __init__(self, sim: Any, detectors: Iterable[Detector], *, action: str = "none", actor: Any = None) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
        self.sim = sim
        self.detectors = list(detectors)
        self.action = action
        self.actor = actor
        self.cases: list[Case] = []
        self.items = 0
        self._keys: set[tuple[str, tuple[str, ...]]] = set()
        self.view: RegulatorView | None = None

    def attach(self, view: RegulatorView) -> None:
        """Read ``view``'s items (the view's sink must be :meth:`push`)."""
        self.view = view

    def push(self, item: FeedItem) -> None:
        """Process one feed item now, through every detector in order."""
        if self.view is None:
            raise RuntimeError("attach a RegulatorView first")
        self.items += 1
        for detector in self.detectors:
            for found in detector.observe(item, self.view):
                self._open(found)

    def _open(self, found: Case) -> None:
        if not found.subjects or found.key() in self._keys:
            return
        self._keys.add(found.key())
        found.time = float(self.sim.now)
        found.id = len(self.cases)
        self.cases.append(found)
        self.sim.record(
            "supervision.case",
            "regulator",
            case=found.id,
            typology=found.typology,
            subjects=list(found.subjects),
            evidence=list(found.evidence),
            detail=found.detail,
        )
        if self.action != "none" and self.actor is not None:
            if self.action == "freeze":
                for subject in found.subjects:
                    self.actor.freeze(subject, found)
            else:
                self.actor.halt(found)

    def by_typology(self) -> dict[str, list[Case]]:
        """Cases per typology (typologies sorted)."""
        out: dict[str, list[Case]] = {}
        for c in self.cases:
            out.setdefault(c.typology, []).append(c)
        return dict(sorted(out.items()))
