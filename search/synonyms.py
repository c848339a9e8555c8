"""Curated synonym groups for the shop and Qinghe Notes, used to group customer queries.

Analytics (the content-gap clustering) maps every analyzer token to its group's first member,
so 退货 / 退貨 / 退款 / refund count as one keyword. The search engine does not expand queries
with these yet. Next step: make the groups editor-managed (a table edited under /editor,
loaded here in place of ``GROUPS``, with the same single-token check).
"""

from __future__ import annotations

import logging
import threading

from search.analyzer import tokenize

__all__ = ["GROUPS", "canonical", "synonym_table"]

logger = logging.getLogger(__name__)

# The first member of each group is its canonical form (Chinese first, so keywords read well
# on the insight pages and as draft article tags). Each member must analyse to exactly ONE
# token: members are run through the analyzer, so traditional script, width, case and English
# stems (refunds -> refund) are covered without listing them.
GROUPS: tuple[tuple[str, ...], ...] = (
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
    ("激活", "激活码", "许可证", "授权", "序列号", "注册码",
     "license", "licence", "activation", "serial"),
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
_table: dict[str, str] | None = None


def _single_token(member: str) -> str | None:
    tokens = tokenize(member, mode="query")
    return tokens[0] if len(tokens) == 1 else None


def _build() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in GROUPS:
        normalised = [_single_token(member) for member in group]
        head = normalised[0]
        if head is None:
            logger.warning("synonym group %r skipped: %r is not one token", group, group[0])
            continue
        for member, token in zip(group, normalised, strict=True):
            if token is None:
                logger.warning("synonym %r skipped: it is not one analyzer token", member)
            elif token in table and table[token] != head:
                # A token in two groups would make grouping depend on list order; keep the
                # first and say so (the tests keep the curated list free of this).
                logger.warning("synonym %r already belongs to %r", member, table[token])
            else:
                table[token] = head
    return table


def synonym_table() -> dict[str, str]:
    """token -> canonical token, built once (the analyzer must be loaded to normalise)."""
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                _table = _build()
    return _table


def canonical(token: str) -> str:
    """The canonical form of an analyzer-normalised token (itself when it has no synonyms)."""
    return synonym_table().get(token, token)
