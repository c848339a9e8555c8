"""Keeping the search index in step with the database (the source of truth).

Content changes write an IndexTask row in their own transaction (outbox.enqueue); one writer
at a time drains those rows into the backend (outbox.drain). The index can always be rebuilt
from the database (outbox.reindex_all)."""
