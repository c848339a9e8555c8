"""Analyzer benchmark and output check: CPU per document, and a hash of every token.

Run:  .venv/bin/python -m bench.analysis --size 10000 [--limit N] [--profile] [--docs FILE]

Reads every searchable document of a cached corpus (bench.corpus) once, then analyses them
in this process the way rebuilds do (search.token_documents.document_tokens: the word,
sub-word, character and bigram fields of every engine) and, for the Whoosh engine, as
search.analyzer.analyze(text, "index") per field. Prints the CPU time per document and a
SHA-256 over the output: a change that claims to be "faster, same output" must print the
same hashes before and after. --docs keeps the documents in a pickle, so repeated runs skip
reading (and Markdown-rendering) the corpus. The segmenter's caches start empty each run.
"""

import argparse
import hashlib
import pickle
import sys
import time
from pathlib import Path

from bench._common import CACHE, bench_app, corpus_root


def load_documents(size: int, base: Path, cache: Path | None) -> list:
    """The corpus's documents, through the registered sources (or the --docs pickle), with
    the editors' product terms in the segmenter as a rebuild has them."""
    from search.analyzer import set_user_words, user_words

    if cache is not None and cache.exists():
        docs, words = pickle.loads(cache.read_bytes())  # noqa: S301 (our own file)
        set_user_words(words)
        return docs
    from portal.indexing.documents import all_sources

    data_dir = corpus_root(size, base) / "data"
    if not (data_dir / "portal.db").exists():
        sys.exit(f"no corpus at {data_dir}: run python -m bench.corpus --size {size} first")
    app = bench_app(data_dir, SECRET_KEY="bench")
    with app.app_context():
        from portal.indexing.outbox import _load_search_tuning

        _load_search_tuning()
        docs = [doc for source in all_sources() for doc in source.iter_all()]
    if cache is not None:
        blob = pickle.dumps((docs, user_words()), protocol=pickle.HIGHEST_PROTOCOL)
        cache.write_bytes(blob)
    return docs


def rebuild_pass(docs: list) -> tuple[float, str]:
    """(CPU seconds, SHA-256) of document_tokens over ``docs``."""
    from search.token_documents import document_tokens

    digest = hashlib.sha256()
    started = time.process_time()
    out = [document_tokens(doc) for doc in docs]
    cpu = time.process_time() - started
    for row, chars, bigrams in out:
        digest.update(repr((tuple(row), chars, bigrams)).encode("utf-8", "surrogatepass"))
    return cpu, digest.hexdigest()


def analyze_pass(docs: list) -> tuple[float, str]:
    """(CPU seconds, SHA-256) of analyze(field, "index") over every field of ``docs``."""
    from search.analyzer import analyze
    from search.token_documents import tags_text

    digest = hashlib.sha256()
    started = time.process_time()
    out = [
        (
            analyze(d.title or "", "index"),
            analyze(tags_text(d.tags), "index"),
            analyze(d.body or "", "index"),
        )
        for d in docs
    ]
    cpu = time.process_time() - started
    for fields in out:
        text = repr([[tuple(token) for token in field] for field in fields])
        digest.update(text.encode("utf-8", "surrogatepass"))
    return cpu, digest.hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--base", type=Path, default=CACHE, help="where corpus-<size>/ is")
    parser.add_argument("--limit", type=int, help="only the first N documents")
    parser.add_argument("--docs", type=Path, help="keep the documents in this pickle")
    parser.add_argument("--profile", action="store_true", help="cProfile the rebuild pass")
    parser.add_argument("--no-analyze", action="store_true", help="skip the Whoosh pass")
    args = parser.parse_args(argv)
    docs = load_documents(args.size, args.base, args.docs)[: args.limit]
    from search.analyzer import _jieba

    _jieba().tokenize("预热", mode="search")  # the dictionary loads outside the timing
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        rebuild_pass(docs)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    cpu, digest = rebuild_pass(docs)
    print(f"documents: {len(docs):,}")
    print(f"document_tokens: {1000 * cpu / len(docs):.3f} ms CPU/doc  sha256 {digest}")
    if not args.no_analyze:
        cpu, digest = analyze_pass(docs)
        print(f"analyze(index):  {1000 * cpu / len(docs):.3f} ms CPU/doc  sha256 {digest}")


if __name__ == "__main__":
    main()
