"""Routing unanswered questions to experts, with a clock the tests move."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.experts.profiles import profile_for
from portal.experts.sweep import sweep
from portal.extensions import db
from portal.forum.services import accept_answer, create_topic, reply
from portal.models import Article, Assignment, Notification, RoutingEvent, Topic


@pytest.fixture
def returns(make):
    shop = make.category("shop", "购物帮助")
    category = make.category("returns", "退货与退款", parent=shop)
    category.first_response_hours = 4
    db.session.commit()
    return category


def ask(make, category, title="退货运费谁承担？", tags=("退货",), wants_expert=False, author=None):
    author = author or make.user("customer")
    return create_topic(
        author,
        title=title,
        body_md="买的衣服不合适，想退货，运费怎么算？",
        category_id=category.id,
        tags=list(tags),
        wants_expert=wants_expert,
    )


def events(topic):
    rows = db.session.scalars(
        select(RoutingEvent).where(RoutingEvent.topic_id == topic.id).order_by(RoutingEvent.id)
    )
    return [(e.kind, e.expert_id) for e in rows]


def open_assignment_of(topic):
    return db.session.scalar(
        select(Assignment).where(Assignment.topic_id == topic.id, Assignment.state == "open")
    )


def test_whole_life_of_a_question(app, client, make, clock, returns):
    """posted -> no answer in time -> best expert -> declined -> next -> overdue -> escalated
    -> answered -> accepted -> turned into an article."""
    best = make.expert("退货专家", categories=[returns], tags=["退货"])
    second = make.expert("购物专家", categories=[returns.parent])
    third = make.expert("运费专家", keywords="运费 退货")
    make.expert("软件专家", keywords="安装 激活")  # never matches
    editor = make.user("editor")
    asker = make.user("customer")
    topic = ask(make, returns, author=asker)

    clock.advance(hours=3, minutes=59)
    assert sweep().assigned == 0  # still within the 4-hour first-response target
    clock.advance(minutes=1)
    assert sweep().assigned == 1
    assert open_assignment_of(topic).expert_id == best.id
    assert open_assignment_of(topic).due_at == clock.current + timedelta(hours=4)
    assert sweep().assigned == 0  # idempotent

    client.login(best)
    queue = client.get("/experts/queue").get_data(as_text=True)
    assert topic.title in queue
    assignment = open_assignment_of(topic)
    response = client.post(f"/experts/assignments/{assignment.id}/decline", {"reason": "休假中"})
    assert response.status_code == 302
    assert open_assignment_of(topic).expert_id == second.id

    clock.advance(hours=4, minutes=1)
    report = sweep()
    assert report.escalated == 1
    assert open_assignment_of(topic).expert_id == third.id
    editor_notes = db.session.scalars(
        select(Notification.message).where(Notification.user_id == editor.id)
    ).all()
    assert any("Overdue" in n for n in editor_notes)

    clock.advance(hours=1)
    answer = reply(topic, third, "退货运费：质量问题由我们承担，七天无理由由您承担。")
    db.session.refresh(topic)
    assert topic.routing_state == "answered" and topic.first_response_at == clock.current
    assert open_assignment_of(topic) is None

    accept_answer(topic, answer, asker)
    assert topic.solved
    assert events(topic) == [
        ("assigned", best.id),
        ("declined", best.id),
        ("assigned", second.id),
        ("escalated", second.id),
        ("assigned", third.id),
        ("answered", third.id),
    ]
    client.logout()
    client.login(editor)
    assert client.post(f"/forum/t/{topic.id}/to-article").status_code == 302
    article = db.session.scalar(select(Article).where(Article.status == "draft"))
    assert article.title == topic.title and "七天无理由由您承担" in article.body_md


def test_asking_for_an_expert_routes_at_once(make, clock, returns):
    expert = make.expert("e", categories=[returns])
    topic = ask(make, returns, wants_expert=True)
    assert sweep().assigned == 1
    assert open_assignment_of(topic).expert_id == expert.id


def test_accepted_answer_before_target_means_no_routing(make, clock, returns):
    make.expert("e", categories=[returns])
    asker = make.user("customer")
    topic = ask(make, returns, author=asker)
    helper = make.user("customer")
    post = reply(topic, helper, "我上周退过，运费自己出。")
    accept_answer(topic, post, asker)
    clock.advance(hours=5)
    assert sweep().assigned == 0
    assert events(topic) == [("answered", helper.id)]


def test_never_the_asker_off_duty_or_full(make, clock, returns):
    asker = make.expert("asker", categories=[returns])
    make.expert("off", categories=[returns], on_duty=False)
    full = make.expert("full", categories=[returns], max_open=0)
    topic = ask(make, returns, author=asker, wants_expert=True)
    report = sweep()
    assert report.assigned == 0 and report.unrouted == 1
    assert db.session.get(Topic, topic.id).routing_state == "unrouted"
    make.expert_profile(full, [returns], max_open=3)
    assert sweep().assigned == 1  # unrouted questions are retried
    assert open_assignment_of(topic).expert_id == full.id


def test_ties_rotate_and_load_counts(make, clock, returns):
    a = make.expert("a", categories=[returns])
    b = make.expert("b", categories=[returns])
    topics = [ask(make, returns, title=f"退货问题 {i}", wants_expert=True) for i in range(4)]
    sweep()
    owners = [open_assignment_of(t).expert_id for t in topics]
    assert sorted(owners) == sorted([a.id, b.id, a.id, b.id])
    assert owners[0] != owners[1]


def test_topic_match_beats_load(make, clock, returns):
    specialist = make.expert("s", categories=[returns], tags=["退货"])
    make.expert("g", categories=[returns])
    for i in range(2):
        ask(make, returns, title=f"退货 {i}", wants_expert=True)
    sweep()
    count = db.session.scalar(
        select(func.count()).select_from(Assignment).where(Assignment.expert_id == specialist.id)
    )
    assert count == 2


def test_database_refuses_two_open_assignments_for_one_topic(make, clock, returns):
    expert = make.expert("e", categories=[returns])
    topic = ask(make, returns)
    for _ in range(2):
        db.session.add(
            Assignment(topic_id=topic.id, expert_id=expert.id, state="open", due_at=clock.current)
        )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_concurrent_sweeps_never_double_assign(app, make, clock, returns):
    for name in "abc":
        make.expert(name, categories=[returns])
    topics = [ask(make, returns, title=f"退货 {i}", wants_expert=True) for i in range(6)]
    barrier = threading.Barrier(2)
    reports = []

    def run():
        with app.app_context():
            barrier.wait()
            reports.append(sweep())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.assigned for r in reports) == len(topics)
    for topic in topics:
        assert (
            db.session.scalar(
                select(func.count()).select_from(Assignment).where(Assignment.topic_id == topic.id)
            )
            == 1
        )
    assert sum(1 for r in reports if not r.ran) <= 1


def test_cli_sweep(app, make, clock, returns):
    make.expert("e", categories=[returns])
    ask(make, returns, wants_expert=True)
    result = app.test_cli_runner().invoke(args=["experts", "sweep"])
    assert result.exit_code == 0 and "Assigned 1" in result.output


def test_queue_permissions_and_manual_reassign(client, make, clock, returns):
    first = make.expert("first", categories=[returns])
    other = make.expert("other", categories=[returns])
    topic = ask(make, returns, wants_expert=True)
    sweep()
    assignment = open_assignment_of(topic)
    owner, stranger = (first, other) if assignment.expert_id == first.id else (other, first)
    client.login(make.user("customer"))
    assert client.get("/experts/queue").status_code == 403
    client.logout()
    client.login(stranger)
    assert (
        client.post(f"/experts/assignments/{assignment.id}/decline", {"reason": "x"}).status_code
        == 403
    )
    assert (
        client.post(f"/experts/topics/{topic.id}/reassign", {"expert_id": stranger.id}).status_code
        == 403
    )
    client.logout()
    client.login(make.user("editor"))
    page = client.get("/experts/queues").get_data(as_text=True)
    assert topic.title in page
    assert (
        client.post(f"/experts/topics/{topic.id}/reassign", {"expert_id": stranger.id}).status_code
        == 302
    )
    assert open_assignment_of(topic).expert_id == stranger.id
    assert ("reassigned", owner.id) in events(topic)


def _rows(page):
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)


def test_queues_show_category_asker_time_left_sorted_and_history_newest_first(
    client, make, clock, returns
):
    expert = make.expert("e", categories=[returns])
    asker = make.user("customer", name="提问的王女士")
    first = ask(make, returns, title="第一个问题", author=asker, wants_expert=True)
    sweep()
    clock.advance(hours=3)
    second = ask(make, returns, title="第二个问题", wants_expert=True)
    sweep()
    clock.advance(hours=1, minutes=30)  # 4-hour target: the first 30 min overdue
    # the second due in 2 h 30 min
    client.login(expert)
    client.post("/lang/en")
    page = client.get("/experts/queue").get_data(as_text=True)
    rows = _rows(page)
    assert "第一个问题" in rows[0] and "第二个问题" in rows[1]  # least time left first
    assert "退货与退款" in rows[0] and "提问的王女士" in rows[0]
    assert "Overdue by 30 min" in rows[0] and "2 h 30 min" in rows[1]
    assert 'href="/experts/queue?sort=-time_left"' in page
    rows = _rows(client.get("/experts/queue?sort=-time_left").get_data(as_text=True))
    assert "第二个问题" in rows[0]
    assert client.get("/experts/queue?sort=asker").status_code == 400
    client.logout()
    client.login(make.user("editor"))
    client.post("/lang/en")
    page = client.get("/experts/queues?sort=time_left").get_data(as_text=True)
    rows = _rows(page)
    assert "第一个问题" in rows[0] and "提问的王女士" in rows[0] and "退货与退款" in rows[0]
    history = page[page.index("Recent routing events") :]
    # Newest first, by topic title, with the event kind in words.
    assert history.index("第二个问题") < history.index("第一个问题")
    assert ">Assigned</span>" in history
    assert first.id and second.id


def test_expertise_categories_are_checkboxes(client, make, returns):
    expert = make.user("expert")
    client.login(expert)
    page = client.get("/experts/profile").get_data(as_text=True)
    assert f'type="checkbox" value="{returns.id}"' in page and "<select multiple" not in page
    client.post(
        "/experts/profile",
        {"categories": [str(returns.id), str(returns.parent_id)], "max_open": "3"},
    )
    assert {c.slug for c in profile_for(expert).categories} == {"returns", "shop"}
    page = client.get("/experts/profile").get_data(as_text=True)
    assert re.search(rf'checked[^>]*value="{returns.id}"|value="{returns.id}"[^>]*checked', page)


def test_expert_edits_own_profile_and_admin_edits_any(client, make, returns):
    expert = make.user("expert")
    client.login(expert)
    response = client.post(
        "/experts/profile",
        {
            "categories": [str(returns.id)],
            "tags": "退货, 运费",
            "keywords": "青禾笔记",
            "max_open": "3",
            "on_duty": "y",
        },
    )
    assert response.status_code == 302
    profile = profile_for(expert)
    assert [c.slug for c in profile.categories] == ["returns"] and profile.max_open == 3
    assert {t.name for t in profile.tags} == {"退货", "运费"}
    assert client.get(f"/experts/profile/{expert.id}").status_code == 403
    client.logout()
    client.login(make.user("admin"))
    client.post(f"/experts/profile/{expert.id}", {"max_open": "7"})
    db.session.refresh(profile)
    assert profile.max_open == 7 and profile.on_duty is False


def test_demo_seed_is_idempotent_and_feeds_the_router(app):
    from portal.kb.importer import import_categories
    from portal.models import User
    from tests.portal.test_import_export import ROOT

    import_categories(ROOT / "kb_articles" / "_categories.yaml")
    app.config["DEMO_PASSWORD"] = "demo-pass-2026"
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "Forum topics created: 3" in first.output
    assert "Forum topics created: 0" in runner.invoke(args=["demo", "seed"]).output
    assert db.session.scalar(select(func.count()).select_from(User)) == 3
    assert sweep().assigned == 1  # the five-hour-old sync question goes to the demo expert
