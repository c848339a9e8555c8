"""Where index documents come from: each content type registers how to build its documents."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from search.backend import DocumentRows, IndexDocument
from search.token_documents import REBUILD_BATCH


@dataclass(frozen=True)
class DocumentSource:
    doc_type: str
    # ids -> {id: document} for the ids that should be searchable; absent ids are deleted.
    load: Callable[[set[int]], dict[int, IndexDocument]]
    # size -> every searchable document, as batches of about ``size`` rows read with a few
    # set-based queries each; a rebuild makes the documents in its worker processes.
    batches: Callable[[int], Iterator[DocumentRows]]
    count_all: Callable[[], int]
    # (doc_id, slug) -> the page that shows the document
    url: Callable[[int, str], str]

    def iter_all(self) -> Iterator[IndexDocument]:
        """Every searchable document, made in this process."""
        for batch in self.batches(REBUILD_BATCH):
            yield from batch.documents()


_SOURCES: dict[str, DocumentSource] = {}


def register(source: DocumentSource) -> None:
    _SOURCES[source.doc_type] = source


def get_source(doc_type: str) -> DocumentSource:
    return _SOURCES[doc_type]


def all_sources() -> Iterable[DocumentSource]:
    return list(_SOURCES.values())


def key_for(doc_type: str, doc_id: int) -> str:
    return f"{doc_type}:{doc_id}"
