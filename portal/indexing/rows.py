"""Set-based reads the document sources share for rebuilds: rows a batch at a time, category
chains and tag names, so reading costs a few queries per batch instead of ORM objects per row."""

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import Select, Table, select

from portal.extensions import db
from portal.models import Category, Tag


def batches_by_id(query: Select, id_column, size: int) -> Iterator[list]:
    """The rows of ``query`` (whose first column is ``id_column``) in id order, ``size`` at a
    time. Keyset paging: each batch starts after the last id, so no query reads again what
    earlier batches read."""
    last = None
    while True:
        paged = query if last is None else query.where(id_column > last)
        rows = db.session.execute(paged.order_by(id_column).limit(size)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def category_chains() -> dict[int, list[int]]:
    """Category id -> the ids of its ancestors, root first, then its own: what
    ``Category.chain_ids()`` gives, for every category."""
    parents = dict(db.session.execute(select(Category.id, Category.parent_id)).all())
    chains = {}
    for category_id, parent_id in parents.items():
        chain: list[int] = []
        node = parent_id if parent_id in parents else None
        while node is not None and node not in chain:  # a cycle ends where it closes
            chain.append(node)
            node = parents[node] if parents[node] in parents else None
        chains[category_id] = [*reversed(chain), category_id]
    return chains


def tag_names(link: Table, owner_column: str, ids: list[int]) -> dict[int, list[str]]:
    """Owner id -> its tag names ordered by name (as the models' ``tags`` relationships), for
    ``ids``, through the many-to-many table ``link``."""
    owner = link.c[owner_column]
    rows = db.session.execute(
        select(owner, Tag.name)
        .join(Tag, Tag.id == link.c.tag_id)
        .where(owner.in_(ids))
        .order_by(owner, Tag.name)
    )
    names: dict[int, list[str]] = defaultdict(list)
    for owner_id, name in rows:
        names[owner_id].append(name)
    return names
