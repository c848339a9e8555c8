"""Every ranking signal the portal adds to the engine's text score, in one place.

One query model for every engine:
1. the engine retrieves the top CANDIDATES documents by its text score, with its own top-k
   pruning:  text score = BM25 over words (title x3, tags x2, body x1; synonyms x0.6)
                          + UNIGRAM_WEIGHT x BM25 over single Han characters
                            (FUNCTION_CHAR_WEIGHT for the stop-word ones; none
                            in over CHAR_MAX_DOCUMENT_SHARE of the documents)
                          + BIGRAM_WEIGHT x BM25 over overlapping Han bigrams;
2. the total is the engine's cheap count of matches;
3. those candidates are re-ranked here (search/rerank.py):
   final score = text score
                 x document boost (helpful ratio for articles, solved state for forum topics;
                                   computed when the document is indexed)
                 x freshness      (computed at query time from the document's last update)
                 x coordination   (share of the query's words the document has)
   and only the page shown is highlighted.
Every backend applies these same numbers, so the relevance evaluation compares like with like.
"""

from __future__ import annotations

import math
from datetime import datetime

from search.timestamps import naive_utc, utcnow

# Field weights of the text score.
TITLE_WEIGHT = 3.0
TAGS_WEIGHT = 2.0
BODY_WEIGHT = 1.0

# A term found through a synonym counts this much of the literal term.
SYNONYM_WEIGHT = 0.6

# Characters beside words (search/ngrams.py): what one matched character or bigram adds,
# relative to a body word. Tuned on the public question set (bench/relevance.py --set
# public, OPPO-xiaobu on tantivy), not on our own labelled queries: MRR@10 0.492 with no
# characters, 0.565 at (0.3, 0.5), 0.614 at (2, 1), 0.616 at (4, 1), 0.624 at (30, 10),
# where words barely count any more and our own queries lose (mixed 0.88 -> 0.76).
UNIGRAM_WEIGHT = 2.0
BIGRAM_WEIGHT = 1.0
# A function character of the query (我, 你, 是, 吗: the one-character stop words) as a
# single character. Words drop them, yet in short colloquial questions they carry meaning
# (你是谁 / 我是谁); their low idf keeps them below content characters. Public set MRR@10
# at 0 / 1 / 2: tantivy 0.601 / 0.608 / 0.612, whoosh 0.604 / 0.612 / 0.617, postgres
# 0.479 / 0.491 / 0.487 (its ts_rank_cd has no idf); own queries lose up to 0.005 at 2.
FUNCTION_CHAR_WEIGHT = 1.0

# A query character found in more than this share of the documents is not scored: its idf
# is under ln(1 + 0.7/0.3) = 1.2, so it barely orders anything, yet its posting list is
# the longest the engine walks, and a character in every other document keeps top-k
# pruning from skipping anything. MRR@10 (bench.relevance, own / public) with every
# character -> at 0.3: tantivy 0.803 / 0.608 -> 0.802 / 0.608, whoosh 0.784 / 0.612 ->
# 0.790 / 0.612. Not on postgres (it scores every character): its own-set figure fell
# 0.791 -> 0.776 there, with document counts from the column statistics.
CHAR_MAX_DOCUMENT_SHARE = 0.3

# How many candidates the engine hands to the re-rank. Boost, freshness and coordination
# move a document by tens of percent at most, so what they lift into the first pages is
# within the engine's top few hundred by text score.
CANDIDATES = 200

# Coordination: FLOOR + (1 - FLOOR) x matched / words. A document that matches only through
# characters (a typo such as 发漂) keeps FLOOR of its score rather than none. Paraphrases
# share characters more than words: on the public set a floor of 1 (no coordination) ranks
# best, 0.5 loses 0.013 MRR@10; on our own queries 0.5 wins 0.008. 0.8 sits between.
COORDINATION_FLOOR = 0.8

# Helpfulness: a damped ratio, so one vote moves an article a little and many votes move it
# up to +/-30 %.
HELPFUL_WEIGHT = 0.3
HELPFUL_PRIOR_VOTES = 5

# A solved forum topic (it has an accepted answer) ranks above an unsolved one.
SOLVED_TOPIC_BOOST = 1.4
UNSOLVED_TOPIC_BOOST = 1.0

# Freshness: up to +15 % for a document updated today, half of that after 180 days.
FRESHNESS_WEIGHT = 0.15
FRESHNESS_HALF_LIFE_DAYS = 180.0


def coordination(matched: int, words: int) -> float:
    """The coordination factor of a document having ``matched`` of the query's ``words``."""
    if words <= 0:
        return 1.0
    share = min(max(matched, 0), words) / words
    return COORDINATION_FLOOR + (1.0 - COORDINATION_FLOOR) * share


def helpful_boost(yes: int, no: int) -> float:
    """1.0 with no votes; towards 1.3 when all votes say helpful, towards 0.7 when none do."""
    return 1.0 + HELPFUL_WEIGHT * (yes - no) / (yes + no + HELPFUL_PRIOR_VOTES)


def forum_boost(solved: bool) -> float:
    return SOLVED_TOPIC_BOOST if solved else UNSOLVED_TOPIC_BOOST


def freshness_boost(age_days: float) -> float:
    """1 + FRESHNESS_WEIGHT for a document updated now, decaying by half every half-life;
    an unknown age (infinite, as age_in_days gives it) adds nothing."""
    if math.isnan(age_days) or age_days < 0:
        age_days = 0.0
    return 1.0 + FRESHNESS_WEIGHT * 0.5 ** (age_days / FRESHNESS_HALF_LIFE_DAYS)


def age_in_days(updated: datetime | None, now: datetime | None = None) -> float:
    """Days since ``updated`` (naive values are UTC); very old when unknown."""
    if updated is None:
        return math.inf
    now = now or utcnow()
    return max(0.0, (now - naive_utc(updated)).total_seconds() / 86400.0)
