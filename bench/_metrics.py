"""Pure helpers for the relevance benchmark: ranking metrics and a plain BM25 baseline.

Nothing here imports Flask or the search engine, so the figures can be checked by hand."""

import math
import re
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

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
    gain = sum(1 / math.log2(rank + 1)
               for rank, key in enumerate(ranked[:k], 1) if key in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return gain / ideal if ideal else 0.0


def evaluate(ranked_lists: Sequence[Sequence[str]], labels: Sequence[Collection[str]],
             k: int = CUTOFF) -> Scores:
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
        self.lengths = {key: sum(freqs.values()) for key, freqs in self.freqs.items()}
        self.average_length = sum(self.lengths.values()) / max(len(self.lengths), 1)
        doc_freq = Counter(term for freqs in self.freqs.values() for term in freqs)
        total = len(self.freqs)
        # The "+1" form keeps idf positive for terms found in most documents.
        self.idf = {term: math.log(1 + (total - df + 0.5) / (df + 0.5))
                    for term, df in doc_freq.items()}

    def score(self, key: str, terms: Collection[str]) -> float:
        """BM25 score of one document for the (already tokenised) query terms."""
        freqs = self.freqs[key]
        norm = self.k1 * (1 - self.b + self.b * self.lengths[key] / self.average_length)
        return sum(self.idf[term] * freqs[term] * (self.k1 + 1) / (freqs[term] + norm)
                   for term in terms if freqs[term])

    def rank(self, query: str, k: int = CUTOFF) -> list[str]:
        """Keys of the ``k`` best-scoring documents (ties by key), matching documents only."""
        terms = set(baseline_tokens(query)) & self.idf.keys()
        scores = {key: self.score(key, terms) for key in self.freqs}
        matching = [key for key, value in scores.items() if value > 0]
        return sorted(matching, key=lambda key: (-scores[key], key))[:k]
