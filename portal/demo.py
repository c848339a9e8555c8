"""`flask demo seed`: demo accounts for each role and a few forum topics, so a person can
play customer, expert, editor and admin in `make run`. Idempotent; never run in production."""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.auth.services import create_user, find_user, generate_password
from portal.clock import now
from portal.experts.profiles import profile_for, update_profile
from portal.extensions import db
from portal.forum.services import accept_answer, create_topic, reply
from portal.models import Category, Topic

demo_cli = AppGroup("demo", help="Demo data for trying the portal.")

DEMO_USERS = (
    ("customer@example.com", "customer", "顾客小李"),
    ("expert@example.com", "expert", "专家王工"),
    ("editor@example.com", "editor", "编辑陈晨"),
)


def _category(slug: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def seed_users(password: str) -> dict[str, object]:
    users = {}
    for email, role, name in DEMO_USERS:
        user = find_user(email) or create_user(email, password, name, role=role)
        # Demo accounts are not "new accounts": keep the spam throttle out of the way.
        user.created_at = now() - timedelta(days=30)
        users[role] = user
    shop, software = _category("shop"), _category("software")
    expert = users["expert"]
    update_profile(
        profile_for(expert),
        category_ids=[c.id for c in (shop, software) if c],
        tags=["退货", "发票", "安装"],
        keywords="青禾笔记 退款 运费",
        on_duty=True,
        max_open=5,
    )
    return users


def seed_topics(users) -> int:
    if db.session.scalar(select(Topic).limit(1)) is not None:
        return 0
    customer, expert = users["customer"], users["expert"]
    returns, sync = _category("returns"), _category("troubleshooting")
    solved = create_topic(
        customer,
        title="退货寄回后多久能收到退款？",
        body_md="我上周五寄回了退货，物流显示已签收，退款什么时候到账？",
        category_id=returns.id if returns else None,
        tags=["退款", "退货"],
    )
    answer = reply(
        solved,
        expert,
        "仓库验收后 1–3 个工作日原路退回；银行卡最长 7 个工作日。"
        "可以在“我的订单 → 退款详情”查看进度。",
    )
    accept_answer(solved, answer, customer)
    waiting = create_topic(
        customer,
        title="青禾笔记同步一直转圈怎么办？",
        body_md="Windows 版 4.2.1，笔记同步一直显示“正在同步”，已经重启过。",
        category_id=sync.id if sync else None,
        tags=["同步"],
    )
    # Asked five hours ago: past the first-response target, so the router picks it up.
    waiting.created_at = now() - timedelta(hours=5)
    create_topic(
        customer,
        title="大家平时怎么整理读书笔记？",
        kind="discussion",
        body_md="想听听大家用青禾笔记整理读书笔记的方法。",
        tags=["使用技巧"],
    )
    db.session.commit()
    return 3


@demo_cli.command("seed")
def seed():
    """Create demo customer, expert and editor accounts and three forum topics."""
    password = current_app.config["DEMO_PASSWORD"] or generate_password()
    existing = [email for email, _role, _name in DEMO_USERS if find_user(email)]
    users = seed_users(password)
    topics = seed_topics(users)
    for email, role, _name in DEMO_USERS:
        shown = "(unchanged)" if email in existing else password
        click.echo(f"{role:9} {email:24} {shown}")
    click.echo(f"Forum topics created: {topics}.")
