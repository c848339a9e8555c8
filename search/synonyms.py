"""Synonym groups: query expansion in search and keyword grouping in analytics.

Editors manage the groups (portal/search_tuning); each process loads them with
``set_groups``. Until then the curated ``DEFAULT_GROUPS`` apply (they also seed the table).
Search matches a term OR the other members of its group (search/query.py); the content-gap
clustering maps every token to its group's first member, so 退货 / 退貨 / 退款 / refund count
as one keyword.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence

from search.analyzer import tokenize

__all__ = ["DEFAULT_GROUPS", "canonical", "expansions", "set_groups", "synonym_table"]

logger = logging.getLogger(__name__)

# The first member of each group is its canonical form (Chinese first, so keywords read well
# on the insight pages and as draft article tags). Each member must analyse to exactly ONE
# token: members are run through the analyzer, so traditional script, width, case and English
# stems (refunds -> refund) are covered without listing them.
DEFAULT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("退货", "退换货", "退款", "退钱", "return", "refund"),
    ("换货", "exchange"),
    ("发票", "开票", "票据", "专票", "普票", "invoice", "fapiao"),
    ("抬头", "名头"),
    ("快递", "物流", "配送", "发货", "运单", "送货", "shipping", "delivery", "courier"),
    ("订单", "订单号", "order"),
    ("优惠券", "代金券", "coupon", "voucher"),
    ("支付", "付款", "付钱", "pay", "payment"),
    ("价格", "费用", "收费", "price", "pricing", "cost"),
    ("保修", "质保", "保修期", "warranty"),
    ("密码", "口令", "password", "passcode"),
    ("登录", "登陆", "登入", "login"),
    ("注册", "signup", "register"),
    ("账号", "账户", "用户名", "account"),
    (
        "激活",
        "激活码",
        "许可证",
        "授权",
        "序列号",
        "注册码",
        "license",
        "licence",
        "activation",
        "serial",
    ),
    ("安装", "装", "install", "setup"),
    ("卸载", "uninstall"),
    ("升级", "更新", "update", "upgrade"),
    ("同步", "sync", "synchronize"),
    ("崩溃", "闪退", "打不开", "卡死", "crash"),
    ("备份", "backup"),
    ("恢复", "找回", "还原", "restore", "recover"),
    ("删除", "删掉", "delete", "remove"),
    ("订阅", "续费", "续订", "subscription", "subscribe", "renew"),
    ("取消", "cancel"),
)

_lock = threading.Lock()
_groups: tuple[tuple[str, ...], ...] = DEFAULT_GROUPS
_table: dict[str, str] | None = None  # token -> canonical token
_members: dict[str, tuple[str, ...]] = {}  # canonical token -> all member tokens


def _single_token(member: str) -> str | None:
    tokens = tokenize(member, mode="query")
    return tokens[0] if len(tokens) == 1 else None


def _build(groups: Iterable[Sequence[str]]) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    table: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    for group in groups:
        normalised = [_single_token(member) for member in group]
        head = next((token for token in normalised if token and token not in table), None)
        if head is None:
            logger.warning("synonym group %r skipped: no usable member", group)
            continue
        for member, token in zip(group, normalised, strict=True):
            if token is None:
                logger.warning("synonym %r skipped: it is not one analyzer token", member)
            elif token in table and table[token] != head:
                # A token in two groups would make grouping depend on list order; keep the
                # first and say so (the editor form refuses this up front).
                logger.warning("synonym %r already belongs to %r", member, table[token])
            elif token not in table:
                table[token] = head
                members.setdefault(head, []).append(token)
    return table, {head: tuple(tokens) for head, tokens in members.items()}


def _ensure() -> dict[str, str]:
    global _table, _members
    if _table is None:
        with _lock:
            if _table is None:
                _table, _members = _build(_groups)
    return _table


def set_groups(groups: Iterable[Sequence[str]]) -> None:
    """Replace the synonym groups (each a list of words, the first being canonical)."""
    global _groups, _table, _members
    frozen = tuple(tuple(group) for group in groups)
    table, members = _build(frozen)
    with _lock:
        _groups, _table, _members = frozen, table, members


def synonym_table() -> dict[str, str]:
    """token -> canonical token (the analyzer must be loaded to normalise members)."""
    return _ensure()


def canonical(token: str) -> str:
    """The canonical form of an analyzer-normalised token (itself when it has no synonyms)."""
    return _ensure().get(token, token)


def expansions(token: str) -> tuple[str, ...]:
    """The other tokens of ``token``'s synonym group (empty when it has none)."""
    head = _ensure().get(token)
    if head is None:
        return ()
    return tuple(member for member in _members.get(head, ()) if member != token)
