"""The search benchmark's baseline: SQLite FTS5 with the trigram tokenizer over raw text.

No analyzer, no folding, no synonyms: what a team would get from the database alone."""

import sqlite3
import time
from pathlib import Path

from bench._vocab import BenchQuery

TRIGRAM = 3


def query_words(query: BenchQuery) -> list[str]:
    """The strings the baseline matches: the quoted phrase whole, else each word."""
    text = query.text.strip()
    if query.kind == "phrase" or (text.startswith('"') and text.endswith('"')):
        return [text.strip('"')] if text.strip('"') else []
    return [word.strip('"') for word in text.split() if word.strip('"')]


def short_word_share(queries: list[BenchQuery]) -> float:
    """Share of queries with a word too short for trigram MATCH (it then finds nothing)."""
    short = sum(1 for q in queries if any(len(w) < TRIGRAM for w in query_words(q)))
    return short / len(queries) if queries else 0.0


class TrigramBaseline:
    """An FTS5 trigram table on disk with the filter columns stored unindexed."""

    def __init__(self, path: Path, category_ids: dict[str, int]):
        self.connection = sqlite3.connect(path)
        self.category_ids = category_ids
        self.connection.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(title, body, doc_type UNINDEXED, "
            "language UNINDEXED, categories UNINDEXED, tokenize='trigram')"
        )

    def build(self, docs) -> float:
        """Insert every document in one transaction; returns the seconds taken."""
        started = time.perf_counter()
        with self.connection:
            self.connection.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
                (
                    (
                        d.title,
                        d.body,
                        d.doc_type,
                        d.language,
                        "," + ",".join(map(str, d.category_ids)) + ",",
                    )
                    for d in docs
                ),
            )
        return time.perf_counter() - started

    def search(self, query: BenchQuery) -> int:
        """Top 10 by bm25 rank; returns how many came back (0 means no hit)."""
        words = query_words(query)
        if not words:
            return 0
        match = " ".join('"' + word.replace('"', '""') + '"' for word in words)
        sql, params = "SELECT rowid FROM docs WHERE docs MATCH ?", [match]
        if query.doc_type:
            sql, params = sql + " AND doc_type = ?", [*params, query.doc_type]
        if query.language:
            sql, params = sql + " AND language = ?", [*params, query.language]
        if query.category:
            category_id = self.category_ids.get(query.category, -1)
            sql, params = sql + " AND instr(categories, ?)", [*params, f",{category_id},"]
        return len(self.connection.execute(sql + " ORDER BY rank LIMIT 10", params).fetchall())

    def close(self) -> None:
        self.connection.close()
