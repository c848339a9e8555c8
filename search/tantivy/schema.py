"""The tantivy index's fields and the one tokenizer they share.

Text fields receive our analyzer's tokens joined by spaces (documents.py), so tantivy only
splits on whitespace: folding, segmentation, stop words and stemming stay ours and behave
exactly as on the other engines. Whole words go in title/tags/body (with positions, so
phrases line up), dictionary sub-words in *_sub, Han characters and bigrams in chars and
bigrams (frequencies only), and every word once more in any_word (no scores, for counting
and checking). The original title and body are stored apart, for hits.
"""

from __future__ import annotations

import tantivy

__all__ = [
    "ANY_WORD_FIELD",
    "BIGRAM_FIELD",
    "CHAR_FIELD",
    "FAST_FILTERS",
    "SUB_FIELDS",
    "TOKENIZER",
    "WORD_FIELDS",
    "build_schema",
    "register_tokenizer",
]

TOKENIZER = "portal_tokens"
WORD_FIELDS = ("title", "tags", "body")
SUB_FIELDS = tuple(f"{name}_sub" for name in WORD_FIELDS)
ANY_WORD_FIELD = "any_word"  # every word and sub-word of every field: "has it at all"
CHAR_FIELD = "chars"
BIGRAM_FIELD = "bigrams"
# Filters with a fast field of their value's code (documents.value_code) beside the term:
# a filtered search checks its candidates' values there instead of asking the index.
FAST_FILTERS = {"doc_type": "doc_type_code", "language": "language_code"}
# tantivy refuses terms over ~64 KB; nothing longer can be a useful token anyway.
MAX_TOKEN_BYTES = 255


def build_schema() -> tantivy.Schema:
    """The schema of a portal index."""
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("doc_type", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("doc_id", stored=True)
    builder.add_text_field("slug", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("language", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("category_ids", indexed=True)
    # A 63-bit hash of the key: the re-rank restricts per-word queries to its candidates
    # by this number (fast fields hold numbers, not text).
    builder.add_integer_field("uid", indexed=True, fast=True)
    for code in FAST_FILTERS.values():
        builder.add_integer_field(code, fast=True)
    builder.add_float_field("boost", fast=True)
    builder.add_float_field("updated_days", fast=True)  # days since 2000-01-01 (UTC)
    for name in WORD_FIELDS:
        builder.add_text_field(name, tokenizer_name=TOKENIZER, index_option="position")
    for name in SUB_FIELDS:
        builder.add_text_field(name, tokenizer_name=TOKENIZER, index_option="freq")
    # One posting list per word instead of six: counting hits and checking candidates
    # walk this, not the scored fields.
    builder.add_text_field(ANY_WORD_FIELD, tokenizer_name=TOKENIZER, index_option="basic")
    builder.add_text_field(CHAR_FIELD, tokenizer_name=TOKENIZER, index_option="freq")
    builder.add_text_field(BIGRAM_FIELD, tokenizer_name=TOKENIZER, index_option="freq")
    builder.add_bytes_field("title_text", stored=True)
    builder.add_bytes_field("body_text", stored=True)
    # The folded body as well, so highlighting a hit does not fold it again.
    builder.add_bytes_field("body_folded", stored=True)
    return builder.build()


def register_tokenizer(index: tantivy.Index) -> None:
    """Register the whitespace tokenizer the text fields name (needed on every open)."""
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_BYTES))
        .build()
    )
    index.register_tokenizer(TOKENIZER, analyzer)
