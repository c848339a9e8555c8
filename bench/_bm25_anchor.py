"""The search benchmark's second anchor: BM25 over jieba words with the bm25s package.

What a team gets from a plain BM25 library over jieba tokens (bench/_metrics.py's
relevance baseline, timed here): no filters, no folding, no synonyms, no highlighting."""

import time

import numpy as np

from bench._metrics import JiebaBM25, jieba_tokens
from bench._vocab import BenchQuery

TOP = 10


class JiebaBM25Anchor:
    """bm25s over title + body of every document, queried for the top 10."""

    def __init__(self) -> None:
        self.index: JiebaBM25 | None = None

    def build(self, docs) -> float:
        """Tokenise and index every document; returns the seconds taken."""
        started = time.perf_counter()
        self.index = JiebaBM25({d.key: f"{d.title}\n{d.body}" for d in docs})
        return time.perf_counter() - started

    def search(self, query: BenchQuery) -> int:
        """Scores every document, keeps the top 10; returns how many of them matched."""
        assert self.index is not None
        terms = list(dict.fromkeys(jieba_tokens(query.text)))
        if not terms:
            return 0
        scores = self.index.retriever.get_scores(terms)
        top = np.argpartition(-scores, TOP)[:TOP] if len(scores) > TOP else np.arange(len(scores))
        return int(np.count_nonzero(scores[top] > 0))
