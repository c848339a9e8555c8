"""A question no expert can take is held, not re-routed on every sweep: it is tried again
when something that could change the answer happens (an expert appears or changes, a place
frees up, the question is edited or moved or shown again) or when its back-off ends; and
each sweep looks at a bounded batch. ``report.unrouted`` counts the questions a sweep tried
and could not give to anyone."""

from datetime import timedelta

import pytest

from portal.experts import sweep as sweep_module
from portal.experts.sweep import sweep
from portal.extensions import db
from portal.forum.moderation import move_topic, set_locked, set_topic_hidden
from portal.forum.services import edit_post, reply
from portal.models import Topic
from tests.portal.test_routing import ask, events, open_assignment_of


@pytest.fixture
def returns(make):
    category = make.category("returns", "退货与退款")
    category.first_response_hours = 4
    db.session.commit()
    return category


@pytest.fixture
def elsewhere(make):
    return make.category("software", "软件")


def sweep_a_minute_later(clock):
    clock.advance(minutes=1)
    return sweep()


def test_nobody_matches_held_until_a_matching_expert_appears(make, clock, returns, elsewhere):
    make.expert("软件专家", categories=[elsewhere], keywords="安装 激活")
    topic = ask(make, returns, wants_expert=True)
    assert sweep().unrouted == 1
    for _ in range(4):  # its back-off: its age, at least 5 minutes
        report = sweep_a_minute_later(clock)
        assert (report.assigned, report.unrouted) == (0, 0)  # not tried again
    assert [kind for kind, _ in events(topic)] == ["unrouted"]

    expert = make.expert("退货专家", categories=[returns])
    assert sweep_a_minute_later(clock).assigned == 1
    assert open_assignment_of(topic).expert_id == expert.id


def test_an_expert_back_on_duty_or_given_the_category_is_noticed(make, clock, returns, elsewhere):
    expert = make.expert("e", categories=[returns], on_duty=False)
    topic = ask(make, returns, wants_expert=True)
    assert sweep().unrouted == 1
    assert sweep_a_minute_later(clock).unrouted == 0
    make.expert_profile(expert, [returns])
    assert sweep_a_minute_later(clock).assigned == 1
    assert open_assignment_of(topic).expert_id == expert.id


def test_held_for_a_full_expert_until_a_place_frees_up(make, clock, returns):
    expert = make.expert("e", categories=[returns], max_open=1)
    first = ask(make, returns, title="退货一", wants_expert=True)
    second = ask(make, returns, title="退货二", wants_expert=True)
    report = sweep()
    assert (report.assigned, report.unrouted) == (1, 1)
    assert open_assignment_of(first).expert_id == expert.id
    assert sweep_a_minute_later(clock).unrouted == 0  # still full: not tried again

    reply(db.session.get(Topic, first.id), expert, "运费由卖家承担。")  # answers the first
    assert sweep_a_minute_later(clock).assigned == 1  # at once, not after a back-off
    assert open_assignment_of(second).expert_id == expert.id


def test_an_edited_question_is_tried_again(make, clock, returns):
    expert = make.expert("发票专家", keywords="发票")
    asker = make.user("customer")
    topic = ask(make, returns, author=asker, tags=(), wants_expert=True)
    assert sweep().unrouted == 1
    assert sweep_a_minute_later(clock).unrouted == 0
    question = db.session.get(Topic, topic.id).posts[0]
    edit_post(question, asker, body_md="退货以后发票怎么处理？", title="退货发票")
    assert sweep_a_minute_later(clock).assigned == 1
    assert open_assignment_of(topic).expert_id == expert.id


def test_a_moved_question_is_tried_again(make, clock, returns, elsewhere):
    expert = make.expert("软件专家", categories=[elsewhere])
    editor = make.user("editor")
    topic = ask(make, returns, tags=(), wants_expert=True)
    assert sweep().unrouted == 1
    assert sweep_a_minute_later(clock).unrouted == 0
    move_topic(db.session.get(Topic, topic.id), elsewhere.id, editor)
    assert sweep_a_minute_later(clock).assigned == 1
    assert open_assignment_of(topic).expert_id == expert.id


def test_hidden_or_locked_questions_wait_and_come_back_when_shown(make, clock, returns):
    editor = make.user("editor")
    topic = ask(make, returns, wants_expert=True)
    assert sweep().unrouted == 1  # nobody yet: held for its back-off
    set_topic_hidden(db.session.get(Topic, topic.id), True, editor)
    set_locked(db.session.get(Topic, topic.id), True, editor)
    expert = make.expert("e", categories=[returns])
    assert sweep_a_minute_later(clock).assigned == 0  # hidden and locked: not routed
    set_topic_hidden(db.session.get(Topic, topic.id), False, editor)
    assert sweep_a_minute_later(clock).assigned == 0  # still locked
    set_locked(db.session.get(Topic, topic.id), False, editor)
    assert sweep_a_minute_later(clock).assigned == 1
    assert open_assignment_of(topic).expert_id == expert.id


def test_the_back_off_grows_with_the_wait(make, clock, returns, elsewhere):
    """Nothing changes at all: the question is still tried now and then, each time after
    as long as it has waited so far (within the bounds)."""
    make.expert("软件专家", categories=[elsewhere])
    ask(make, returns)
    clock.advance(hours=4)  # its first-response target: due now, 4 hours old
    assert sweep().unrouted == 1
    clock.advance(hours=3, minutes=59)
    assert sweep().unrouted == 0
    clock.advance(minutes=1)
    assert sweep().unrouted == 1  # 8 hours old: next try in 8 hours
    clock.advance(hours=7, minutes=59)
    assert sweep().unrouted == 0
    clock.advance(minutes=1)
    assert sweep().unrouted == 1


def test_a_question_not_yet_due_is_held_until_its_target(make, clock, returns):
    make.expert("e", categories=[returns])
    topic = ask(make, returns)
    asked_at = clock()
    assert sweep().assigned == 0
    assert db.session.get(Topic, topic.id).next_route_at == asked_at + timedelta(hours=4)
    clock.advance(hours=3, minutes=59)
    assert sweep().assigned == 0
    clock.advance(minutes=1)
    assert sweep().assigned == 1


def test_each_sweep_looks_at_a_bounded_batch_new_questions_first(
    make, clock, returns, elsewhere, monkeypatch
):
    monkeypatch.setattr(sweep_module, "ROUTE_BATCH", 3)
    make.expert("软件专家", categories=[elsewhere])
    for number in range(5):
        ask(make, returns, title=f"退货问题 {number}", wants_expert=True)
    assert [sweep_a_minute_later(clock).unrouted for _ in range(3)] == [3, 2, 0]

    # The experts change, so all five are looked at again, in batches; a new question
    # goes first and is not kept waiting behind them.
    expert = make.expert("退货专家", categories=[returns], max_open=0)
    newest = ask(make, returns, title="新的退货问题", wants_expert=True)
    make.expert_profile(expert, [returns], max_open=1)
    report = sweep_a_minute_later(clock)
    assert (report.assigned, report.unrouted) == (1, 2)
    assert open_assignment_of(newest).expert_id == expert.id
