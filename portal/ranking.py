"""Ranking signals that the portal adds to the engine's text score, in one place.

A document's boost multiplies its BM25F score. Helpfulness uses a damped ratio, so a single
vote moves an article only a little and many votes move it up to +/-30 %. A solved forum topic
(it has an accepted answer) ranks above an unsolved one with the same text."""

HELPFUL_WEIGHT = 0.3
HELPFUL_PRIOR_VOTES = 5


def helpful_boost(yes: int, no: int) -> float:
    """1.0 with no votes; towards 1.3 when all votes say helpful, towards 0.7 when none do."""
    return 1.0 + HELPFUL_WEIGHT * (yes - no) / (yes + no + HELPFUL_PRIOR_VOTES)


SOLVED_TOPIC_BOOST = 1.4
UNSOLVED_TOPIC_BOOST = 1.0


def forum_boost(solved: bool) -> float:
    return SOLVED_TOPIC_BOOST if solved else UNSOLVED_TOPIC_BOOST
