"""Who the router can give questions to, read once per pass, and digests that tell when
that changed.

A question that found no expert is stamped (Topic.route_digest) with one of two digests:
- "expertise": the on-duty experts' categories, tags and keywords, the category tree and
  the first-response targets. Stamped when no expert matched at all: only a change there
  (a new or edited expert, someone going on or off duty, a category moved) can help it.
- "availability": the expertise digest plus which of those experts have room. Stamped when a
  matching expert was full: a freed place can help it too.
The sweep takes a question up again when its stamp is neither current digest, when its
back-off ends, or when the question itself changed (events.reconsider clears the stamp)."""

import hashlib
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Assignment, Category, ExpertProfile, User
from search.analyzer import tokenize


@dataclass(frozen=True)
class Expert:
    """An on-duty expert's profile and expertise, in the shape matching needs."""

    profile: ExpertProfile
    user_id: int
    category_ids: frozenset[int]
    tag_ids: frozenset[int]
    keywords: frozenset[str]
    max_open: int


def _digest(kind: str, parts: object) -> str:
    return f"{kind}:{hashlib.sha256(repr(parts).encode()).hexdigest()[:16]}"


def open_loads() -> dict[int, int]:
    rows = db.session.execute(
        select(Assignment.expert_id, func.count())
        .where(Assignment.state == "open")
        .group_by(Assignment.expert_id)
    )
    return dict(rows.all())


def _on_duty_experts() -> list[Expert]:
    profiles = db.session.scalars(
        select(ExpertProfile)
        .join(User, User.id == ExpertProfile.user_id)
        .where(ExpertProfile.on_duty.is_(True), User.active.is_(True), User.role == "expert")
        .options(selectinload(ExpertProfile.categories), selectinload(ExpertProfile.tags))
        .order_by(ExpertProfile.user_id)
    )
    return [
        Expert(
            profile=profile,
            user_id=profile.user_id,
            category_ids=frozenset(c.id for c in profile.categories),
            tag_ids=frozenset(t.id for t in profile.tags),
            keywords=frozenset(tokenize(profile.keywords or "", mode="index")),
            max_open=profile.max_open,
        )
        for profile in profiles
    ]


class Roster:
    """The on-duty experts and their open loads; ``took`` keeps the loads current as a pass
    assigns questions."""

    def __init__(self) -> None:
        self.experts = _on_duty_experts()
        self.loads = open_loads()
        self.any_keywords = any(e.keywords for e in self.experts)
        categories = db.session.execute(
            select(Category.id, Category.parent_id, Category.first_response_hours).order_by(
                Category.id
            )
        ).all()
        self.expertise = _digest(
            "e",
            (
                [
                    (e.user_id, sorted(e.category_ids), sorted(e.tag_ids), sorted(e.keywords))
                    for e in self.experts
                ],
                [tuple(row) for row in categories],
                current_app.config["FORUM_FIRST_RESPONSE_HOURS"],
            ),
        )

    def has_room(self, expert: Expert) -> bool:
        return self.loads.get(expert.user_id, 0) < expert.max_open

    def load(self, expert: Expert) -> int:
        return self.loads.get(expert.user_id, 0)

    def took(self, user_id: int) -> None:
        self.loads[user_id] = self.loads.get(user_id, 0) + 1

    def availability(self) -> str:
        with_room = [e.user_id for e in self.experts if self.has_room(e)]
        return _digest("a", (self.expertise, with_room))

    def current_digests(self) -> tuple[str, str]:
        return self.expertise, self.availability()
