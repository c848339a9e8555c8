"""PostgreSQL backend: a table of an old layout refused until a rebuild replaces it, the
rebuild's swap while others search and write, upserts from two connections at once.
Skipped when no PostgreSQL server answers."""

import threading

import pytest

from search.backend import SearchRequest
from search.postgres.backend import TOTAL_CAP
from search.postgres.store import (
    REINDEX_HINT,
    IndexLayoutError,
    create_table,
)
from tests.search_helpers import doc, keys, rebuild_with_late_apply

# Every engine's fixtures (tests/search/conftest.py), on the PostgreSQL engine only.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("open_backend", ["postgres"], indirect=True),
]


def test_an_old_layout_is_refused_until_reindex(open_backend, postgres_table, sql):
    """A table of layout 1 (no layout comment) is neither searched nor written; it counts
    no documents (so `search reindex --if-missing` rebuilds it); rebuild() replaces it."""
    with sql.transaction():
        create_table(sql, postgres_table)
        sql.execute(f'COMMENT ON TABLE "{postgres_table}" IS NULL')
    backend, other = open_backend(), open_backend()
    for call in (
        lambda: backend.search(SearchRequest("发票")),
        lambda: backend.suggest("发"),
        lambda: backend.apply([doc(1, "发票")], []),
    ):
        with pytest.raises(IndexLayoutError, match="flask --app wsgi search reindex"):
            call()
    assert "flask --app wsgi search reindex" in REINDEX_HINT
    assert backend.document_count() == 0
    assert backend.rebuild([doc(1, "发票")]) == 1
    assert keys(backend, "发票") == ["article:1"]
    assert keys(other, "发票") == ["article:1"]  # another process sees the new table


def test_rebuild_swap_while_searching(backend, open_backend):
    """Searchers never see an empty or partial index: the old one until the swap, then
    the complete new one."""
    backend.apply([doc(n, "发票抬头") for n in range(1, 51)], [])
    reader = open_backend()  # another server process
    seen, stop, errors = [], threading.Event(), []
    new_total = min(1201, TOTAL_CAP)  # the total counts hits up to the cap

    def search_all_the_time():
        try:
            while not stop.is_set():
                # 0 for the old index (50 发票 hits), 1 for the new one (1201 退货 hits)
                seen.append({50: 0, 0: 1}.get(reader.search(SearchRequest("发票")).total))
                seen.append({0: 0, new_total: 1}.get(reader.search(SearchRequest("退货")).total))
        except Exception as exc:  # asserted in the main thread
            errors.append(exc)

    thread = threading.Thread(target=search_all_the_time)
    thread.start()
    try:
        mid_build = []
        docs = (doc(n, "退货政策") for n in range(100, 1301))
        assert (
            backend.rebuild(
                docs,
                progress=lambda _n: mid_build.append(
                    (keys(reader, "发票", per_page=100), reader.document_count())
                ),
            )
            == 1201
        )
        for _ in range(200):  # let the searcher run on the new table too
            if seen[-2:] == [1, 1]:
                break
            threading.Event().wait(0.01)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == []
    assert mid_build and all(len(k) == 50 and count == 50 for k, count in mid_build)
    assert None not in seen and seen == sorted(seen)  # never partial, never back to old
    assert seen[0] == 0 and seen[-1] == 1
    assert reader.document_count() == 1201


def test_apply_during_rebuild_waits_and_lands_in_the_new_table(backend, open_backend):
    rebuild_with_late_apply(
        backend, open_backend(), [doc(n, "文档") for n in range(1, 600)], doc(9999, "迟到的文档")
    )
    assert keys(backend, "迟到") == ["article:9999"]
    assert backend.document_count() == 600


def test_concurrent_upserts_from_two_connections(backend, open_backend):
    """Two writers upserting and deleting the same keys in opposite orders never deadlock
    and leave exactly one row per key."""
    other = open_backend()
    errors = []

    def write(target, order):
        try:
            for round_ in range(15):
                target.apply(
                    [doc(n, f"发票 {round_}") for n in order],
                    [f"article:{n}" for n in range(100, 110)],
                )
        except Exception as exc:  # asserted in the main thread
            errors.append(exc)

    keys_ = list(range(1, 41))
    threads = [
        threading.Thread(target=write, args=(backend, keys_)),
        threading.Thread(target=write, args=(other, keys_[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert backend.document_count() == 40
    assert backend.search(SearchRequest("发票", per_page=100)).total == 40
