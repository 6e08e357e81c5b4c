"""Real-time supervision: bad actors with ground truth, the regulator's feeds, a streaming
surveillance engine with pluggable detectors, and scoring against ground truth.

- :mod:`~rwasim.supervision.typologies`: planting schemes; ground truth kept apart;
- :mod:`~rwasim.supervision.feeds`: the regulator's view, built per topology from feeds;
- :mod:`~rwasim.supervision.engine`: the :class:`Detector` interface and the engine;
- :mod:`~rwasim.supervision.detectors`: one shipped rule per typology;
- :mod:`~rwasim.supervision.scoring`: recall, precision, time to detect and the rest;
- :mod:`~rwasim.supervision.study`: all of it inside the topology study's workload.
"""

from rwasim.supervision.detectors import TYPOLOGIES, default_detectors
from rwasim.supervision.engine import ACTIONS, Case, Detector, SurveillanceEngine, case
from rwasim.supervision.feeds import CustodianDesk, FeedItem, KycRecord, RegulatorView
from rwasim.supervision.scoring import flatten, metric_domains, metric_names, score
from rwasim.supervision.study import SUPERVISION_PARAMS, Supervision
from rwasim.supervision.typologies import GroundTruth, Truth

__all__ = [
    "ACTIONS",
    "SUPERVISION_PARAMS",
    "TYPOLOGIES",
    "Case",
    "CustodianDesk",
    "Detector",
    "FeedItem",
    "GroundTruth",
    "KycRecord",
    "RegulatorView",
    "Supervision",
    "SurveillanceEngine",
    "Truth",
    "case",
    "default_detectors",
    "flatten",
    "metric_domains",
    "metric_names",
    "score",
]
