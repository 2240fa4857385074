"""Demands (需求, request for quote) and matching: a verified buyer posts what it needs; the
engine ranks the listings that fit, with an explanation per match; suppliers of the best matches
are notified, and new listings are matched against open demands.

Pure modules: ``demand_lifecycle`` (the lifecycle as data), ``fields`` (names, synonyms and
types), ``scoring`` (the match score and its explanation), ``visibility`` (who sees a demand).
"""

from marketplace.matching.demand_lifecycle import DemandEvent, DemandStatus
from marketplace.matching.scoring import Candidate, Explanation, Match, Requirement, rank, score

__all__ = [
    "Candidate",
    "DemandEvent",
    "DemandStatus",
    "Explanation",
    "Match",
    "Requirement",
    "rank",
    "score",
]
