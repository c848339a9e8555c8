"""Backend-neutral query plan: a ParsedQuery as weighted token matches, for every engine.

Each :class:`TokenMatch` is a term (any token column, sub-words included) or a phrase (the
whole-word columns) with its weight: 1 for the user's own words, ranking.SYNONYM_WEIGHT for
their synonyms. A clause's first match is the literal one, the rest are its synonyms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from search.ngrams import query_grams
from search.query import Clause, ParsedQuery
from search.ranking import SYNONYM_WEIGHT
from search.stopwords import STOP_WORDS

__all__ = ["QueryPlan", "TokenMatch", "plan_query"]


@dataclass(frozen=True)
class TokenMatch:
    """One token (a term) or several adjacent tokens (a phrase), scored times ``weight``."""

    tokens: Clause
    weight: float = 1.0

    @property
    def is_phrase(self) -> bool:
        """True for several tokens, which must be adjacent in one whole-word column."""
        return len(self.tokens) > 1


Alternatives = tuple[TokenMatch, ...]
"""A clause: matched when any of its matches is (the literal one and its synonyms)."""


@dataclass
class QueryPlan:
    """Required clauses (all must match), should clauses (any; matching more of them
    ranks higher), and excluded matches (none may match)."""

    required: list[Alternatives] = field(default_factory=list)
    should: list[Alternatives] = field(default_factory=list)
    excluded: list[TokenMatch] = field(default_factory=list)

    def highlight_tokens(self) -> set[str]:
        """Tokens worth marking in a hit: every token of a positive match."""
        return {
            token
            for clause in [*self.required, *self.should]
            for match in clause
            for token in match.tokens
        }


def _alternatives(clause: Clause, synonyms: dict[str, tuple[str, ...]]) -> Alternatives:
    matches = [TokenMatch(clause)]
    if len(clause) == 1:
        matches.extend(TokenMatch((alt,), SYNONYM_WEIGHT) for alt in synonyms.get(clause[0], ()))
    return tuple(matches)


def plan_query(parsed: ParsedQuery) -> QueryPlan | None:
    """Return the plan for ``parsed``, or None when nothing positive is left to search for.

    Text that is all stop words (我是谁呀, 那你在哪里啊) has no words but still its Han
    bigrams: unless those are stop words too (请问 怎么), the plan then has no clause, and
    the engines match the bigrams alone."""
    if parsed.is_empty and all(gram in STOP_WORDS for gram in query_grams(parsed)[1]):
        return None
    synonyms = parsed.alternatives
    return QueryPlan(
        required=[_alternatives(c, synonyms) for c in [*parsed.must, *parsed.phrases]],
        should=[_alternatives((token,), synonyms) for token in parsed.should],
        # Exclusions take no synonyms, like the Whoosh backend: -退货 keeps 退款 articles.
        excluded=[TokenMatch(clause) for clause in parsed.must_not],
    )
