"""Which popular queries may be offered to everybody as autocomplete suggestions.

A suggestion is shown to every visitor, so it must not carry a way to reach someone: spam
such as "退货 客服微信 qhkf888 领取补偿" pushes a contact handle into everyone's search box.
Queries are refused when they contain an e-mail address, a URL or domain, a run of 5 or more
digits (QQ numbers, phone numbers, order numbers), a word mixing letters with 3 or more
digits (qhkf888: how chat ids look), or a contact word (微信, QQ, 加我...) next to any
letter-and-digit handle. The search itself still runs; only the suggestion is withheld."""

import re

from portal.searching.pii import EMAIL

# Latin word edges: \b does not separate "微信qhkf888" (CJK characters are word characters).
_START, _END = r"(?<![a-z0-9_-])", r"(?![a-z0-9_-])"
DIGIT_RUN = re.compile(r"\d{5,}")
URL = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://|www\.|\b[a-z0-9-]+\.(?:com|cn|net|org|top|xyz|cc|io|me|vip|shop"
    r"|site|link|info|biz|co|tk|app|club|online|ltd)" + _END + r"|t\.me/)",
    re.IGNORECASE,
)
LETTERS_AND_DIGITS = re.compile(
    _START + r"(?=[a-z_-]*\d)(?=[0-9_-]*[a-z])[a-z0-9_-]+" + _END, re.IGNORECASE
)
CONTACT_WORDS = re.compile(
    r"微信|威信|薇信|徽信|v信|wei ?xin|wechat|扣扣|企鹅号|加我|加v|私聊|私信|联系我|飞机号|"
    + _START
    + r"(?:vx|wx|qq|tg|telegram|whatsapp|line)"
    + _END,
    re.IGNORECASE,
)


def _handle_like(word: str) -> bool:
    return sum(ch.isdigit() for ch in word) >= 3 and len(word) >= 5


def has_contact_details(query: str) -> bool:
    """True when ``query`` looks like it carries a way to contact someone (see above)."""
    if EMAIL.search(query) or URL.search(query) or DIGIT_RUN.search(query):
        return True
    handles = LETTERS_AND_DIGITS.findall(query)
    if any(_handle_like(word) for word in handles):
        return True
    return (
        bool(handles)
        and bool(CONTACT_WORDS.search(query))
        and any(len(word) >= 4 for word in handles)
    )
