"""Step 3 of the query model (search/ranking.py): re-rank an engine's top candidates.

Engines hand over their top ranking.CANDIDATES documents by text score, each with its
stored boost, last-update time and how many of the query's words it matched; the
document boost, freshness and coordination are applied here, in plain Python, so every
engine ranks with the same numbers and none has to score every match with them.

Finding which words a candidate has costs the engine a lookup, so :func:`rerank_bounded`
asks only for the candidates that can still reach the page: coordination is at most 1,
so text x boost x freshness bounds a candidate's final score from above.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, NamedTuple, TypeVar

from search.ranking import coordination, freshness_boost

__all__ = ["Candidate", "Ranked", "final_score", "rerank", "rerank_bounded"]

Ref = TypeVar("Ref", bound=Hashable)
CHECK_BATCH = 32  # candidates looked up at a time by rerank_bounded


class Candidate(NamedTuple, Generic[Ref]):
    """One engine hit: ``ref`` is the engine's handle to fetch it again (an address, a key).
    A named tuple: engines make 200 a search, and a frozen dataclass takes twice as long."""

    ref: Ref
    text_score: float
    boost: float = 1.0
    age_days: float = float("inf")  # unknown update time: no freshness bonus
    matched: int = 0  # query words (should clauses) the document contains


class Ranked(NamedTuple, Generic[Ref]):
    """A candidate with its final score."""

    ref: Ref
    score: float


def final_score(candidate: Candidate, words: int) -> float:
    """Text score x boost x freshness x coordination (search/ranking.py)."""
    return (
        candidate.text_score
        * candidate.boost
        * freshness_boost(candidate.age_days)
        * coordination(candidate.matched, words)
    )


def rerank(candidates: Iterable[Candidate[Ref]], words: int) -> list[Ranked[Ref]]:
    """The candidates by final score, best first; ties keep the engine's order."""
    scored = [Ranked(c.ref, final_score(c, words)) for c in candidates]
    scored.sort(key=lambda r: -r.score)  # stable: equal scores keep engine order
    return scored


def upper_bound(candidate: Candidate) -> float:
    """The final score the candidate would have with every query word (coordination 1)."""
    return candidate.text_score * candidate.boost * freshness_boost(candidate.age_days)


def rerank_bounded(
    candidates: Sequence[Candidate[Ref]],
    words: int,
    need: int,
    check: Callable[[list[Ref]], dict[Ref, int]],
) -> list[Ranked[Ref]]:
    """The best of ``candidates`` by final score, at least ``need`` of them when there are.

    ``check(refs)`` returns, for each ref that is a hit, how many query words it has
    (refs left out are no hits). Candidates are checked best upper bound first, and the
    rest are skipped once none of them can beat the ``need``-th final score.
    """
    order = sorted(candidates, key=lambda c: -upper_bound(c))
    batch = max(CHECK_BATCH, need + 10)
    ranked: list[Ranked[Ref]] = []
    done = 0
    while done < len(order):
        chunk = order[done : done + batch]
        done += len(chunk)
        matched = check([c.ref for c in chunk])
        ranked.extend(
            Ranked(c.ref, upper_bound(c) * coordination(matched[c.ref], words))
            for c in chunk
            if c.ref in matched
        )
        if len(ranked) >= need and done < len(order):
            kth = heapq.nlargest(need, (r.score for r in ranked))[-1]
            if upper_bound(order[done]) <= kth:
                break
    ranked.sort(key=lambda r: -r.score)
    return ranked
