"""Forum votes and accepted answers: one vote per user, never your own; who may accept an
answer, switching it, and which topics can be solved."""

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.forum.services import (
    ForumError,
    PostingForbidden,
    accept_answer,
    can_accept,
    reply,
)
from portal.models import Notification, PostVote
from tests.forum_support import BODY, ask, page


def test_votes_one_per_user_toggle_and_never_your_own(client, make):
    topic = ask(make.user())
    author = make.user()
    answer = reply(topic, author, "运费由卖家承担。")
    voter = make.user()
    client.login(voter)
    assert client.post(f"/forum/p/{answer.id}/vote").status_code == 302
    db.session.refresh(answer)
    assert answer.score == 1
    assert 'aria-pressed="true"' in page(client, f"/forum/t/{topic.id}")
    client.post(f"/forum/p/{answer.id}/vote")  # second click takes the vote back
    db.session.refresh(answer)
    assert answer.score == 0
    client.post(f"/forum/p/{answer.id}/vote")
    client.logout()
    client.login(author)
    response = client.post(f"/forum/p/{answer.id}/vote")
    assert response.status_code == 403
    assert client.post(f"/forum/p/{topic.posts[0].id}/vote").status_code == 400
    db.session.refresh(answer)
    assert answer.score == 1
    assert db.session.scalar(select(func.count()).select_from(PostVote)) == 1


@pytest.mark.parametrize(
    "role, allowed",
    [
        ("asker", True),
        ("expert", True),
        ("editor", True),
        ("admin", True),
        ("customer", False),
    ],
)
def test_who_may_accept_an_answer(client, make, role, allowed):
    asker = make.user()
    topic = ask(asker)
    answer = reply(topic, make.user(), "运费由卖家承担。")
    actor = asker if role == "asker" else make.user(role)
    assert can_accept(actor, topic) is allowed
    client.login(actor)
    response = client.post(f"/forum/p/{answer.id}/accept")
    assert response.status_code == (302 if allowed else 403)
    db.session.refresh(topic)
    assert topic.solved is allowed


def test_accepting_switches_answers_shows_it_under_the_question_and_notifies(client, make):
    asker, first_author, second_author = make.user(), make.user(), make.user(name="第二位")
    topic = ask(asker)
    first = reply(topic, first_author, "第一个回答")
    second = reply(topic, second_author, "第二个回答更准确")
    reply(topic, make.user(), "第三个回答")
    client.login(asker)
    client.post(f"/forum/p/{first.id}/accept")
    client.post(f"/forum/p/{second.id}/accept")
    db.session.refresh(topic)
    assert topic.accepted_post_id == second.id and topic.solved
    html = page(client, f"/forum/t/{topic.id}")
    # the accepted answer comes right after the question, before the other replies
    assert html.index(BODY) < html.index("第二个回答更准确") < html.index("第一个回答")
    assert re.search(r'class="accepted-answer".*?第二个回答更准确', html, re.S)
    notified = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "forum_accepted")
    ).all()
    assert sorted(notified) == sorted([first_author.id, second_author.id])


def test_only_questions_can_be_solved(make):
    asker = make.user()
    topic = ask(asker, "聊聊退货", kind="discussion")
    post = reply(topic, make.user(), "我的经验")
    assert not can_accept(asker, topic)
    with pytest.raises(ForumError):
        accept_answer(topic, post, asker)
    question = ask(asker)
    with pytest.raises(ForumError):  # the opening post is not an answer
        accept_answer(question, question.posts[0], asker)
    with pytest.raises(PostingForbidden):
        accept_answer(question, reply(question, make.user(), "x"), make.user())
