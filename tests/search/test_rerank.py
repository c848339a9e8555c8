"""The shared re-rank (search/rerank.py): same order as scoring everything, fewer checks."""

import random

import pytest

from search import ranking
from search.rerank import Candidate, final_score, rerank, rerank_bounded


def candidates(seed, count=200):
    rng = random.Random(seed)
    return [
        Candidate(
            ref=n,
            text_score=rng.uniform(0.5, 10.0),
            boost=rng.uniform(0.7, 1.4),
            age_days=rng.choice([0.0, 30.0, 400.0, float("inf")]),
            matched=rng.randint(0, 3),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("need", [1, 10, 30])
def test_bounded_rerank_gives_the_same_top_as_scoring_every_candidate(seed, need):
    pool = candidates(seed)
    words = 3
    full = rerank(pool, words)
    asked: list[int] = []
    by_ref = {c.ref: c for c in pool}

    def check(refs):
        asked.extend(refs)
        return {ref: by_ref[ref].matched for ref in refs}

    unmatched = [Candidate(c.ref, c.text_score, c.boost, c.age_days) for c in pool]
    bounded = rerank_bounded(unmatched, words, need, check)
    assert [r.ref for r in bounded[:need]] == [r.ref for r in full[:need]]
    assert [r.score for r in bounded[:need]] == pytest.approx([r.score for r in full[:need]])
    assert len(asked) < len(pool)  # the tail that cannot reach the page is never checked


def test_candidates_left_out_by_the_check_are_not_hits():
    pool = [Candidate(ref=n, text_score=10.0 - n) for n in range(5)]
    ranked = rerank_bounded(pool, 1, 10, lambda refs: {r: 1 for r in refs if r % 2})
    assert [r.ref for r in ranked] == [1, 3]


def test_final_score_multiplies_every_signal():
    c = Candidate(ref=1, text_score=2.0, boost=1.2, age_days=0.0, matched=1)
    expected = 2.0 * 1.2 * ranking.freshness_boost(0.0) * ranking.coordination(1, 2)
    assert final_score(c, 2) == pytest.approx(expected)
    assert ranking.coordination(0, 2) == ranking.COORDINATION_FLOOR
    assert ranking.coordination(2, 2) == ranking.coordination(0, 0) == 1.0
