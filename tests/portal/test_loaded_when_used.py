"""What start-up leaves for later still works when it is first used: URL builders compiled on
the first URL built, `search drain` past its quick check of the outbox table."""

from flask import url_for
from werkzeug.routing import Rule

from portal.extensions import db
from portal.indexing.outbox import enqueue, pending_count
from portal.url_converters import LazyBuilderRule


def test_a_url_builder_is_compiled_when_a_url_is_first_built_from_it(app):
    rule = next(app.url_map.iter_rules("forum.topic"))
    assert isinstance(rule, LazyBuilderRule)
    assert rule._build.__name__ == rule._build_unknown.__name__ == "build_on_first_call"
    with app.test_request_context():
        plain = url_for("forum.topic", topic_id=7)
        with_query = url_for("forum.topic", topic_id=7, page=2, q="发票")
        assert url_for("forum.topic", topic_id=8) == "/forum/t/8"
    # url_for() asks for the builder that appends unknown arguments as a query string.
    assert rule._build_unknown.__name__ != "build_on_first_call"
    assert rule._build.__name__ == "build_on_first_call"
    # The same URLs as werkzeug's own rule builds.
    eager = Rule(rule.rule, endpoint="forum.topic")
    eager.bind(app.url_map)
    assert plain == eager.build({"topic_id": 7})[1] == "/forum/t/7"
    assert with_query == eager.build({"topic_id": 7, "page": 2, "q": "发票"})[1]
    assert with_query == "/forum/t/7?page=2&q=%E5%8F%91%E7%A5%A8"


def test_search_drain_applies_what_is_queued_and_nothing_when_the_outbox_is_empty(
    app, client, make
):
    article = make.article("退货地址", slug="return-address", body="寄回仓库地址")
    article.title = "退货寄回地址变更"
    enqueue("article", article.id)
    db.session.commit()  # queued, not yet in the index
    runner = app.test_cli_runner()
    assert runner.invoke(args=["search", "drain"]).output == "Applied 1 pending changes.\n"
    assert pending_count() == 0
    assert client.get("/api/v1/search?q=变更").json["total"] == 1
    assert runner.invoke(args=["search", "drain"]).output == "Applied 0 pending changes.\n"
