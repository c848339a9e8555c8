"""insert_row: the row a flush of a new object writes, through a plain INSERT, and the
object persistent in the session as after that flush."""

from datetime import datetime

from sqlalchemy import event, inspect, select

from portal.extensions import db
from portal.models import SearchLog
from portal.rows import insert_row, insert_values

VALUES = dict(
    created_at=datetime(2026, 11, 2, 9, 30),
    user_id=None,
    anon_id="s1",
    visitor_key="net:a",
    source="api",
    query_raw="退货 \x00运费",
    query_normalized="退货 运费",
    tokens="退货 运费",
    filters={"type": "article"},
    result_count=3,
    page=2,
    user_agent="Mozilla/5.0",
    is_bot=False,
    is_staff=True,
)


def stored(search_id: int) -> dict:
    columns = SearchLog.__table__.columns
    row = db.session.execute(select(*columns).where(columns.id == search_id)).one()
    return {key: value for key, value in row._mapping.items() if key != "id"}


def statements_during(action) -> list[str]:
    seen = []

    def log(_conn, _cursor, statement, *_args):
        seen.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", log)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", log)
    return seen


def test_insert_row_writes_what_a_flush_writes(app):
    flushed = SearchLog(**VALUES)
    db.session.add(flushed)
    db.session.commit()
    inserted = insert_row(SearchLog, **VALUES)
    db.session.commit()
    assert inserted.id == flushed.id + 1
    assert stored(inserted.id) == stored(flushed.id)
    assert stored(inserted.id)["query_raw"] == "退货 运费"  # NUL stripped on both paths


def test_the_object_is_persistent_and_clean(app):
    log = insert_row(SearchLog, **VALUES)
    state = inspect(log)
    assert state.persistent and not db.session.dirty and not db.session.new
    assert statements_during(lambda: db.session.get(SearchLog, log.id)) == []  # in the map
    assert statements_during(db.session.flush) == []  # nothing left to save
    assert log.filters == {"type": "article"} and log.is_staff is True


def test_columns_left_out_get_their_defaults(app):
    values = {key: value for key, value in VALUES.items() if key not in ("page", "is_bot")}
    log = insert_row(SearchLog, **values)
    assert (log.page, log.is_bot) == (1, False)  # read back: the INSERT's defaults


def test_insert_values_writes_the_row_and_adds_no_object(app):
    """insert_values: the same row as insert_row, its key back, nothing in the session."""
    first = insert_row(SearchLog, **VALUES)
    db.session.commit()
    (key,) = insert_values(SearchLog, **VALUES)
    assert not db.session.new and len(db.session.identity_map) == 1  # only ``first``
    db.session.commit()
    assert key == first.id + 1 and stored(key) == stored(first.id)
