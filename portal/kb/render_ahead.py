"""Markdown of a bulk import rendered in worker processes, ahead of the saving loop.

Rendering is most of an import's CPU (Python-Markdown, then the sanitiser: about 4 ms an
article, three quarters of the work). The import saves one batch at a time in one process;
forked workers render the next batches meanwhile, and the save finds each text already
rendered (portal.markup.rendered_ahead), so every core works. A file the import then skips
(unchanged, or edited on the web) was rendered for nothing, in a worker.
"""

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from portal.markup import RenderedMarkdown, render_markdown

# Below this many files a pool costs more to start than it saves (kb_articles/ has ~70).
PARALLEL_FROM = 400
IN_FLIGHT = 2  # batches queued per worker: enough to keep each busy while the caller saves


def workers() -> int:
    return min(os.cpu_count() or 1, 4)


def _render(sources: list[str]) -> dict[str, RenderedMarkdown]:
    return {source: render_markdown(source) for source in sources}


def rendered_batches(batches: list[list[str]]) -> Iterator[dict[str, RenderedMarkdown] | None]:
    """For each batch of Markdown texts, in order: the texts rendered (by text), or None
    where rendering ahead does not pay (few files, one core, no fork on this platform)."""
    count = sum(map(len, batches))
    if (
        count < PARALLEL_FROM
        or workers() < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        yield from (None for _ in batches)
        return
    context = multiprocessing.get_context("fork")  # workers inherit the loaded renderer
    with ProcessPoolExecutor(workers(), mp_context=context) as pool:
        pending: deque[Future] = deque()
        for batch in batches:
            pending.append(pool.submit(_render, batch))
            if len(pending) >= workers() * IN_FLIGHT:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
