"""'Did you mean': a better query for a search with few or no results.

Candidates are queries that found something before (customers only, weighted by searches
and clicks) and a rewrite of the query word by word against the index vocabulary (titles
and tags of searchable documents, read from the database so every backend gets the same
answer). Chinese is matched by pinyin (腿货 and tuihuo both mean 退货), Latin words by
edit distance. A candidate is offered only if the backend finds more for it."""

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from sqlalchemy import String, cast, distinct, func, literal, select

from portal.extensions import db
from portal.indexing.backend import get_backend
from portal.models import Article, SearchClick, SearchLog, Tag, Topic, article_tags, topic_tags
from portal.searching import apart
from portal.searching.params import SearchParams
from portal.searching.pinyin import edit_distance, has_cjk, pinyin_key, syllables, typo_limit
from portal.searching.refresh import TimedCache
from search.analyzer import analyze, fold, normalize_query
from search.backend import SearchRequest
from search.han import HAN_RUN

logger = logging.getLogger(__name__)

FEW_RESULTS = 2  # at most this many results and a suggestion is worth looking for
MAX_QUERIES = 50_000  # the most searched successful queries kept in memory
MAX_BACKEND_CHECKS = 3
CLICK_WEIGHT = 2  # a search that was clicked through is stronger evidence than one that ran
MASK_MARK = "〔"  # masked personal data (pii.py): never worth suggesting
_READ_BATCH = 2000  # documents' rows read at a time while building
_PIECE = re.compile(HAN_RUN.pattern + "|[a-z0-9]+")

_cache = TimedCache("spelling", "SPELLING_REFRESH_SECONDS")


@dataclass
class SpellingIndex:
    """Everything did-you-mean looks at, built once per process (see build_spelling_index)."""

    queries: dict[str, int] = field(default_factory=dict)  # query -> weight
    query_by_pinyin: dict[str, str] = field(default_factory=dict)
    words: dict[str, int] = field(default_factory=dict)  # known word -> weight
    latin_by_length: dict[int, list[str]] = field(default_factory=dict)
    chinese_by_pinyin: dict[str, str] = field(default_factory=dict)  # key -> heaviest word
    longest_key: int = 0

    def candidates(self, query: str) -> list[str]:
        """Better spellings of ``query``, most promising first (not yet checked for results):
        a past query that sounds the same, then the word-by-word rewrite (which is itself a
        past query when its words came from one)."""
        if not self.words and not self.queries:  # the stand-in while the first is built
            return []
        folded = normalize_query(query)
        found = []
        by_sound = self.query_by_pinyin.get(pinyin_key(folded))
        if by_sound and by_sound != folded:
            found.append(by_sound)
        rewritten = self.rewrite(folded)
        if rewritten and rewritten != folded and rewritten not in found:
            found.append(rewritten)
        return sorted(found, key=lambda q: -self.queries.get(q, 0))

    def rewrite(self, folded: str) -> str:
        """Replace unknown words: Chinese by the known words that sound the same, pinyin
        typed in letters by the Chinese words it spells, Latin typos by the nearest word."""
        pieces = list(_PIECE.finditer(folded))
        out, cursor, i = [], 0, 0
        while i < len(pieces):
            piece = pieces[i]
            text = piece.group()
            end, replacement = piece.end(), None
            if has_cjk(text):
                replacement = self._cover(syllables(text), text)
            elif text not in self.words:
                # "fa piao": neighbouring unknown letter runs may be one word spelt in pinyin.
                j = i
                while (
                    j + 1 < len(pieces)
                    and not has_cjk(pieces[j + 1].group())
                    and pieces[j + 1].group() not in self.words
                    and not folded[pieces[j].end() : pieces[j + 1].start()].strip()
                ):
                    j += 1
                joined = "".join(p.group() for p in pieces[i : j + 1])
                replacement = self._cover(tuple(joined), None)
                if replacement:
                    end, i = pieces[j].end(), j
                else:
                    replacement = self._nearest_latin(text)
            out.append(folded[cursor : piece.start()] + (replacement or text))
            cursor, i = end, i + 1
        return "".join(out) + folded[cursor:]

    def _cover(self, units: tuple[str, ...], original: str | None) -> str | None:
        """Spell the pinyin ``units`` with the fewest known Chinese words (heaviest on ties).
        For Chinese ``original`` (one unit per character) a known word of the original is
        preferred, and a lone character may stay as it is; letters must be covered fully."""
        if original is not None and len(original) != len(units):
            return None
        keys = ["".join(units[:n]) for n in range(len(units) + 1)]
        best: list[tuple | None] = [None] * (len(units) + 1)
        best[0] = (0, 0, "")
        for start in range(len(units)):
            if best[start] is None:
                continue
            count, weight, text = best[start]
            for stop in range(start + 1, len(units) + 1):
                key = keys[stop][len(keys[start]) :]
                if len(key) > self.longest_key:
                    break
                options = []
                if original is not None:
                    own = original[start:stop]
                    if own in self.words:
                        options.append((own, self.words[own] * 1000))  # keep what was typed
                    elif stop == start + 1:
                        options.append((own, 0))
                word = self.chinese_by_pinyin.get(key)
                if word:
                    options.append((word, self.words[word]))
                for choice, choice_weight in options:
                    candidate = (count + 1, weight - choice_weight, text + choice)
                    if best[stop] is None or candidate < best[stop]:
                        best[stop] = candidate
        return best[-1][2] if best[-1] else None

    def _nearest_latin(self, word: str) -> str | None:
        limit = typo_limit(word)
        if not limit or any(ch.isdigit() for ch in word):
            return None
        best, best_score = None, 0.0
        for length in range(len(word) - limit, len(word) + limit + 1):
            for known in self.latin_by_length.get(length, ()):
                # Typos rarely hit both of the first two letters: skip the rest unscored.
                if known[0] != word[0] and known[1] != word[1]:
                    continue
                distance = edit_distance(word, known, limit)
                if distance:
                    # Two edits away needs four times the support of one edit away.
                    score = self.words[known] / 4 ** (distance - 1)
                    if score > best_score:
                        best, best_score = known, score
        return best


def surface_words(text: str, word_cache: dict | None = None) -> list[str]:
    """The analyzer's words of ``text`` as written (folded, not stemmed): suggestions must
    read as words, and 'installing' is a word where its stem 'instal' is not."""
    folded = fold(text)
    tokens = analyze(text, "query", word_cache=word_cache)
    return [folded[token.start : token.end] for token in tokens]


def build_spelling_index(
    query_weights: Iterable[tuple[str, int]], documents: Iterable[Iterable[str]]
) -> SpellingIndex:
    """Build the lookup from (successful query, weight) pairs and each document's texts
    (title and tags); a word's weight is its document frequency plus its queries' weight."""
    index = SpellingIndex()
    words: dict[str, int] = defaultdict(int)
    # Tag names repeat across documents (two texts in three at 100k documents): each
    # distinct text is analysed once per build. Rare title words are analysed with a
    # cache of the build's own, not the analyzer's, where they would stay (tens of MiB).
    analysed: dict[str, list[str]] = {}
    word_cache: dict = {}
    for texts in documents:
        document_words = set()
        for text in texts:
            found = analysed.get(text)
            if found is None:
                found = analysed[text] = surface_words(text, word_cache)
            document_words.update(found)
        for word in document_words:
            words[word] += 1
    del analysed, word_cache
    for query, weight in query_weights:
        query = normalize_query(query)
        if not query or MASK_MARK in query or query in index.queries:
            continue
        index.queries[query] = weight
        index.query_by_pinyin.setdefault(pinyin_key(query), query)  # heaviest come first
        for word in surface_words(query):
            words[word] += weight
    index.words = dict(words)
    for word, weight in index.words.items():
        if has_cjk(word):
            if len(word) > 1:
                key = pinyin_key(word)
                current = index.chinese_by_pinyin.get(key)
                if current is None or weight > index.words[current]:
                    index.chinese_by_pinyin[key] = word
                index.longest_key = max(index.longest_key, len(key))
        elif word.isalpha() and len(word) >= 3:
            index.latin_by_length.setdefault(len(word), []).append(word)
    return index


def successful_queries(limit: int = MAX_QUERIES, min_searchers: int = 1) -> list[tuple[str, int]]:
    """Queries customers ran with results (bots excluded) by at least ``min_searchers``
    different visitors, heaviest first (searches plus clicks). Visitors are counted by
    SearchLog.visitor_key (an account, or a network for anonymous visitors); older rows
    without one count by their account only, since a fresh cookie is not a new person."""
    weight = func.count(distinct(SearchLog.id)) + CLICK_WEIGHT * func.count(SearchClick.id)
    query = (
        select(SearchLog.query_normalized, weight)
        .outerjoin(SearchClick, SearchClick.search_id == SearchLog.id)
        .where(SearchLog.result_count > 0, SearchLog.is_bot.is_(False))
        .group_by(SearchLog.query_normalized)
        .order_by(weight.desc(), SearchLog.query_normalized)
        .limit(limit)
    )
    if min_searchers > 1:
        visitor = func.coalesce(
            SearchLog.visitor_key, literal("user:") + cast(SearchLog.user_id, String)
        )
        query = query.having(func.count(distinct(visitor)) >= min_searchers)
    return [(text, int(total)) for text, total in db.session.execute(query)]


def document_texts() -> Iterator[list[str]]:
    """Title and tag names of every published article and visible forum topic, one
    document after another, read in batches: the whole list at 100k documents took
    ~50 MiB, and much of it stayed with the process after the build."""
    published = (Article, article_tags.c.article_id, Article.status == "published")
    visible = (Topic, topic_tags.c.topic_id, Topic.hidden.is_(False) & Topic.deleted_at.is_(None))
    for model, owner, shown in (published, visible):
        rows = db.session.execute(
            select(model.id, model.title, Tag.name)
            .outerjoin(owner.table, owner == model.id)
            .outerjoin(Tag, Tag.id == owner.table.c.tag_id)
            .where(shown)
            .order_by(model.id)
            .execution_options(yield_per=_READ_BATCH)
        )
        for _key, group in groupby(rows, key=itemgetter(0)):
            first = next(group)
            yield [first.title, *(row.name for row in (first, *group) if row.name is not None)]


def build_from_database() -> SpellingIndex:
    """The lookup of the queries and documents in the database now."""
    return build_spelling_index(successful_queries(), document_texts())


def spelling_index() -> SpellingIndex:
    """This process's lookup, rebuilt after SPELLING_REFRESH_SECONDS (apart from the
    process for a large corpus: portal/searching/apart.py, and then an empty lookup, which
    suggests nothing, until the first one is built)."""
    return _cache.get(
        None,
        lambda: apart.build(build_from_database),
        meanwhile=lambda: SpellingIndex() if apart.builds_apart() else None,
    )


def did_you_mean(params: SearchParams, total: int) -> str | None:
    """The candidate finding the most results with the same filters, if that is more than
    ``total``; None when the search did well enough or nothing better is known."""
    if total > FEW_RESULTS or not params.q:
        return None
    best, best_total = None, total
    try:
        # The most results wins: a typo that once found a few (腿货) loses to 退货.
        for candidate in spelling_index().candidates(params.q)[:MAX_BACKEND_CHECKS]:
            request = SearchRequest(
                text=candidate,
                doc_type=params.doc_type,
                language=params.language,
                category_id=params.category.id if params.category else None,
                per_page=1,
            )
            found = get_backend().search(request).total
            if found > best_total:
                best, best_total = candidate, found
    except Exception:  # a hint is optional: the results page must render without it
        logger.exception("did-you-mean failed for %r", params.q)
    return best
