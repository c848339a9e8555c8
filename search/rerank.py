"""Step 3 of the query model (search/ranking.py): re-rank an engine's top candidates.

Engines hand over their top ranking.CANDIDATES documents by text score, each with its
stored boost, last-update time and how many of the query's words it matched; the
document boost, freshness and coordination are applied here, in plain Python, so every
engine ranks with the same numbers and none has to score every match with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from search.ranking import age_in_days, coordination, freshness_boost

__all__ = ["Candidate", "Ranked", "days_old", "final_score", "rerank"]

Ref = TypeVar("Ref")


@dataclass(frozen=True)
class Candidate(Generic[Ref]):
    """One engine hit: ``ref`` is the engine's handle to fetch it again (an address, a key)."""

    ref: Ref
    text_score: float
    boost: float = 1.0
    age_days: float = float("inf")  # unknown update time: no freshness bonus
    matched: int = 0  # query words (should clauses) the document contains


@dataclass(frozen=True)
class Ranked(Generic[Ref]):
    """A candidate with its final score."""

    ref: Ref
    score: float


def final_score(candidate: Candidate, words: int) -> float:
    """Text score x boost x freshness x coordination (search/ranking.py)."""
    return (candidate.text_score * candidate.boost * freshness_boost(candidate.age_days)
            * coordination(candidate.matched, words))


def rerank(candidates: Iterable[Candidate[Ref]], words: int) -> list[Ranked[Ref]]:
    """The candidates by final score, best first; ties keep the engine's order."""
    scored = [Ranked(c.ref, final_score(c, words)) for c in candidates]
    scored.sort(key=lambda r: -r.score)  # stable: equal scores keep engine order
    return scored


def days_old(updated: datetime | None, now: datetime | None = None) -> float:
    """Age in days of a document updated at ``updated`` (inf when unknown)."""
    return age_in_days(updated, now)
