"""Pure helpers for the relevance benchmark: ranking metrics and two plain BM25 baselines.

Nothing here imports Flask or the search engine, so the figures can be checked by hand."""

import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import rjieba

CUTOFF = 10


@dataclass(frozen=True)
class Scores:
    """Mean metrics over a set of queries."""

    mrr: float
    recall: float
    ndcg: float
    queries: int


def first_relevant_rank(ranked: Sequence[str], relevant: Collection[str]) -> int | None:
    """1-based rank of the first relevant document in ``ranked``, None if there is none."""
    return next((rank for rank, key in enumerate(ranked, 1) if key in relevant), None)


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str], k: int = CUTOFF) -> float:
    """1/rank of the first relevant document within the top ``k``, else 0."""
    rank = first_relevant_rank(ranked[:k], relevant)
    return 1.0 / rank if rank else 0.0


def recall_at(ranked: Sequence[str], relevant: Collection[str], k: int = CUTOFF) -> float:
    """Share of the relevant documents found in the top ``k``."""
    found = set(ranked[:k]) & set(relevant)
    return len(found) / len(relevant) if relevant else 0.0


def ndcg_at(ranked: Sequence[str], relevant: Collection[str], k: int = CUTOFF) -> float:
    """Binary-gain nDCG: sum of 1/log2(rank+1) over relevant hits, over the ideal sum."""
    gain = sum(1 / math.log2(rank + 1) for rank, key in enumerate(ranked[:k], 1) if key in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return gain / ideal if ideal else 0.0


def evaluate(
    ranked_lists: Sequence[Sequence[str]], labels: Sequence[Collection[str]], k: int = CUTOFF
) -> Scores:
    """Mean MRR@k, Recall@k and nDCG@k of ranked lists against their relevant sets."""
    if len(ranked_lists) != len(labels):
        raise ValueError("one ranked list per labelled query")
    count = len(labels)
    if not count:
        return Scores(0.0, 0.0, 0.0, 0)

    def mean(metric):
        return sum(metric(r, rel, k) for r, rel in zip(ranked_lists, labels, strict=True)) / count

    return Scores(mean(reciprocal_rank), mean(recall_at), mean(ndcg_at), count)


# One token per CJK character (no word segmentation, no script folding) and one per run of
# ASCII letters/digits: the naive index a search engine has to beat.
_BASELINE_TOKEN_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z0-9]+")


def baseline_tokens(text: str) -> list[str]:
    """Single CJK characters and lower-cased ASCII words; everything else is dropped."""
    return _BASELINE_TOKEN_RE.findall(text.lower())


class BM25:
    """Okapi BM25 over ``baseline_tokens``: no stemming, synonyms or traditional folding."""

    def __init__(self, documents: Mapping[str, str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.freqs = {key: Counter(baseline_tokens(text)) for key, text in documents.items()}
        self.postings: dict[str, list[str]] = defaultdict(list)
        for key, freqs in self.freqs.items():
            for term in freqs:
                self.postings[term].append(key)
        self.lengths = {key: sum(freqs.values()) for key, freqs in self.freqs.items()}
        self.average_length = sum(self.lengths.values()) / max(len(self.lengths), 1)
        doc_freq = Counter(term for freqs in self.freqs.values() for term in freqs)
        total = len(self.freqs)
        # The "+1" form keeps idf positive for terms found in most documents.
        self.idf = {
            term: math.log(1 + (total - df + 0.5) / (df + 0.5)) for term, df in doc_freq.items()
        }

    def score(self, key: str, terms: Collection[str]) -> float:
        """BM25 score of one document for the (already tokenised) query terms."""
        freqs = self.freqs[key]
        norm = self.k1 * (1 - self.b + self.b * self.lengths[key] / self.average_length)
        return sum(
            self.idf[term] * freqs[term] * (self.k1 + 1) / (freqs[term] + norm)
            for term in terms
            if freqs[term]
        )

    def rank(self, query: str, k: int = CUTOFF) -> list[str]:
        """Keys of the ``k`` best-scoring documents (ties by key), matching documents only."""
        terms = set(baseline_tokens(query)) & self.idf.keys()
        # Only documents holding a query term can score above zero (idf is always positive).
        candidates = {key for term in terms for key in self.postings[term]}
        scores = {key: self.score(key, terms) for key in candidates}
        return sorted(scores, key=lambda key: (-scores[key], key))[:k]


# A token counts when it holds a letter, digit or CJK character: jieba also returns spaces
# and punctuation as tokens, and those would only add noise. No stop words are removed.
_WORD_RE = re.compile(r"\w")


def jieba_tokens(text: str) -> list[str]:
    """Lower-cased jieba words (rjieba, jieba's dictionary); spaces and punctuation dropped."""
    return [token for token in rjieba.cut(text.lower()) if _WORD_RE.search(token)]


class JiebaBM25:
    """BM25 over jieba words, the bm25s package as shipped (Lucene variant, k1=1.5, b=0.75):
    the word-based index a search engine has to beat, next to the single-character one."""

    def __init__(self, documents: Mapping[str, str]):
        self.keys = list(documents)
        self.retriever = bm25s.BM25()
        self.retriever.index(
            [jieba_tokens(text) for text in documents.values()], show_progress=False
        )

    def rank(self, query: str, k: int = CUTOFF) -> list[str]:
        """Keys of the ``k`` best-scoring documents (ties by key), matching documents only."""
        terms = list(dict.fromkeys(jieba_tokens(query)))  # each query word once, as BM25 above
        if not terms or not self.keys:
            return []
        scores = self.retriever.get_scores(terms)
        matching = np.flatnonzero(scores > 0)
        best = sorted(matching, key=lambda i: (-scores[i], self.keys[i]))[:k]
        return [self.keys[i] for i in best]
