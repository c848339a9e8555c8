"""Personal data is masked before a query is stored; bots and staff are flagged."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import SearchLog
from portal.searching.bots import _BY_ANON, _BY_USER, RATE_LIMIT, too_fast
from portal.searching.pii import mask_pii


@pytest.mark.parametrize(
    ("query", "stored"),
    [
        ("我的手机13812345678收不到验证码", "我的手机〔手机号〕收不到验证码"),
        ("+86 138 1234 5678", "〔手机号〕"),
        ("138-1234-5678 改手机", "〔手机号〕 改手机"),
        ("邮箱 li.wei@example.com 改不了", "邮箱 〔邮箱〕 改不了"),
        ("身份证110101199003071234退款", "身份证〔身份证号〕退款"),
        ("卡 4111 1111 1111 1111 扣款两次", "卡 〔银行卡号〕 扣款两次"),
        ("卡号 6222 0214 0000 0000 006", "卡号 〔订单号〕"),  # fails Luhn: still masked
        ("订单号 QH2026110212345678 没发货", "订单号 〔订单号〕 没发货"),
        ("2026110212345 物流不动", "〔订单号〕 物流不动"),
        ("激活码 QH-AB12-CD34-EF56-GH78 无效", "激活码 〔许可证密钥〕 无效"),
        ("客服电话 010-62345678", "客服电话 〔电话〕"),
        # ordinary numbers stay
        ("退货 7 天", "退货 7 天"),
        ("4.2.1 版本", "4.2.1 版本"),
        ("E1001 错误", "E1001 错误"),
        ("满 99 包邮", "满 99 包邮"),
        ("iPhone 15 退货", "iPhone 15 退货"),
    ],
)
def test_mask_pii(query, stored):
    assert mask_pii(query) == stored


def test_search_log_never_stores_personal_data(client):
    client.get("/search?q=手机13812345678 订单 QH2026110212345678 退款")
    client.get("/api/v1/search?q=li.wei@example.com 发票")
    for log in db.session.scalars(select(SearchLog)):
        for text in (log.query_raw, log.query_normalized, log.tokens):
            assert "13812345678" not in text and "2026110212345678" not in text
            assert "example.com" not in text and "li.wei" not in text
    first = db.session.scalar(select(SearchLog).order_by(SearchLog.id))
    assert first.query_raw == "手机〔手机号〕 订单 〔订单号〕 退款"


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1)",
        "curl/8.5.0",
        "python-requests/2.32",
        "Baiduspider",
        "",
    ],
)
def test_bot_user_agents_are_flagged(client, agent):
    client.get("/search?q=退货", headers={"User-Agent": agent})
    assert db.session.scalar(select(SearchLog)).is_bot


def test_a_person_is_not_a_bot_but_a_flood_is(client):
    browser = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0"}
    client.get("/search?q=退货", headers=browser)
    assert db.session.scalar(select(SearchLog)).is_bot is False
    for i in range(25):
        client.get(f"/search?q=退货{i}", headers=browser)
    flags = db.session.scalars(select(SearchLog.is_bot).order_by(SearchLog.id)).all()
    assert flags[:20] == [False] * 20 and all(flags[21:])


def test_staff_searches_are_flagged(client, make):
    client.login(make.user("editor"))
    client.get("/search?q=退货")
    assert db.session.scalar(select(SearchLog)).is_staff


def _logged(at: datetime, user_id=None, anon_id=None, n: int = 1) -> None:
    for _ in range(n):
        db.session.add(
            SearchLog(
                created_at=at,
                user_id=user_id,
                anon_id=anon_id,
                source="page",
                query_raw="q",
                query_normalized="q",
                tokens="q",
                result_count=1,
            )
        )
    db.session.commit()


def test_the_flood_count_is_the_last_minute_only(app, make):
    """A long history does not make a visitor a flood; RATE_LIMIT in the last minute does."""
    at = datetime(2026, 12, 4, 12, 0)
    user = make.user()
    _logged(at - timedelta(hours=1), user_id=user.id, anon_id=None, n=RATE_LIMIT + 5)
    _logged(at - timedelta(hours=1), anon_id="a1", n=RATE_LIMIT + 5)
    assert not too_fast(user.id, None, at) and not too_fast(None, "a1", at)
    _logged(at - timedelta(seconds=30), anon_id="a1", n=RATE_LIMIT - 1)
    assert not too_fast(None, "a1", at)
    _logged(at - timedelta(seconds=10), anon_id="a1", n=RATE_LIMIT)  # a flood: still True
    assert too_fast(None, "a1", at)
    assert not too_fast(None, "a1", at - timedelta(seconds=31))  # nothing of its minute yet


def test_the_flood_count_reads_only_the_visitors_minute(app):
    """On SQLite the count is a range of the (visitor, created_at) index: a visitor's
    older searches are not read (their number grows with every search)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    for statement, index in (
        (_BY_ANON, "ix_search_logs_anon_id_created_at"),
        (_BY_USER, "ix_search_logs_user_id_created_at"),
    ):
        compiled = statement.compile(db.engine)
        values = {**compiled.params, "visitor": "a1", "since": "2026-01-01", "until": "2026-01-02"}
        plan = (
            db.session.connection()
            .exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}",
                tuple(values[name] for name in compiled.positiontup),
            )
            .all()
        )
        details = " ".join(row[-1] for row in plan)
        assert f"COVERING INDEX {index} " in details and "created_at>" in details, details
