"""Concurrency probe: several threads voting (each vote reindexes its article) and searching
at once through the app, on every embedded search engine. No request may fail: SQLite's
"database is locked" is waited out, and a search reads one consistent index generation."""

import threading

import pytest

from portal.extensions import db
from portal.models import Article
from tests.factories import Factories
from tests.probe_world import own_app

VOTERS, VOTES_EACH = 4, 12
SEARCHERS, SEARCHES_EACH = 4, 15
QUERIES = ["退货", "运费", "退款 到账", "退货 运费 说明", "安装"]


def _run_threads(targets) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target):
        try:
            target()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


@pytest.mark.parametrize("backend", ["tantivy", "whoosh"])
def test_votes_and_searches_at_once_never_fail(tmp_path, migrated_database, backend):
    with own_app(tmp_path, migrated_database, SEARCH_BACKEND=backend) as app:
        make = Factories()
        slugs = [
            make.article(
                f"退货运费说明 {n}",
                slug=f"storm-{n}",
                body="退货运费由卖家承担，退款三个工作日到账。",
            ).slug
            for n in range(VOTERS)
        ]
        statuses: list[tuple[str, int]] = []
        lock = threading.Lock()

        def note(what, response):
            with lock:
                statuses.append((what, response.status_code))

        def voter(number):
            def run():
                for vote in range(VOTES_EACH):
                    # A new browser on another network per vote: a new voter, a new write.
                    http = app.test_client()
                    address = {"REMOTE_ADDR": f"10.{number}.{vote}.1"}
                    slug = slugs[(number + vote) % len(slugs)]
                    note(
                        "vote",
                        http.post(
                            f"/a/{slug}/feedback",
                            data={"helpful": "yes" if vote % 2 else "no"},
                            environ_base=address,
                        ),
                    )

            return run

        def searcher(number):
            def run():
                http = app.test_client()
                for n in range(SEARCHES_EACH):
                    note(
                        "search",
                        http.get(
                            "/search", query_string={"q": QUERIES[(number + n) % len(QUERIES)]}
                        ),
                    )

            return run

        app.config["WTF_CSRF_ENABLED"] = False  # the threads post like scripts: no pages
        errors = _run_threads(
            [voter(n) for n in range(VOTERS)] + [searcher(n) for n in range(SEARCHERS)]
        )
        assert not errors
        failed = [s for s in statuses if s[1] >= 500]
        assert not failed, failed
        assert {s for _w, s in statuses} <= {200, 303}
        assert len(statuses) == VOTERS * VOTES_EACH + SEARCHERS * SEARCHES_EACH
        db.session.expire_all()
        votes = sum(a.helpful_yes + a.helpful_no for a in db.session.query(Article))
        assert votes == VOTERS * VOTES_EACH  # no vote lost
