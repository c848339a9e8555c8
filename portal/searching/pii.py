"""Mask personal data that customers type into the search box, before the query is stored.

The patterns, in the order they are applied (the first match wins where they overlap):

| what | pattern | stored as |
|---|---|---|
| e-mail address | name@domain.tld | 〔邮箱〕 |
| licence key | QH-XXXX-XXXX-XXXX-XXXX | 〔许可证密钥〕 |
| order number with a prefix | QH / DD / order / 订单(号) + 8 or more digits | 〔订单号〕 |
| mainland ID card number | 17 digits + digit or X, valid birth date | 〔身份证号〕 |
| mobile phone number | 1[3-9] + 9 digits, optional +86 / 86, spaces or hyphens | 〔手机号〕 |
| bank card number | 13-19 digits (spaces or hyphens allowed), Luhn check passes | 〔银行卡号〕 |
| landline number | 0 + 2-3 digit area code + 7-8 digits | 〔电话〕 |
| other long number | 10+ digits in a row, or a 13-19 digit group failing Luhn | 〔订单号〕 |

The search itself still uses what the customer typed; only the log keeps the masked text.
"""

import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
LICENCE_KEY = re.compile(r"\bQH(?:-[A-Z0-9]{4}){4}\b", re.IGNORECASE)
ID_CARD = re.compile(
    r"(?<!\d)[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?!\d)"
)
CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
# Not inside a longer digit group (a card number written in blocks of four).
MOBILE = re.compile(r"(?<!\d)(?<!\d[ -])(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?![ -]?\d)")
LANDLINE = re.compile(r"(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)")
PREFIXED_ORDER = re.compile(r"(?:QH|DD|order|订单号?)[ :：#-]*\d{8,}(?!\d)", re.IGNORECASE)
LONG_NUMBER = re.compile(r"(?<!\d)\d{10,}(?!\d)")

MASKS = {
    "email": "〔邮箱〕",
    "licence_key": "〔许可证密钥〕",
    "id_card": "〔身份证号〕",
    "bank_card": "〔银行卡号〕",
    "mobile": "〔手机号〕",
    "landline": "〔电话〕",
    "order": "〔订单号〕",
}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_cards(text: str) -> str:
    def replace(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        # A long number that fails the card check is still someone's number: an order.
        return MASKS["bank_card"] if _luhn_ok(digits) else MASKS["order"]

    return CARD.sub(replace, text)


def mask_pii(text: str) -> str:
    """The query with personal data replaced by labels (see the module docstring)."""
    if not text:
        return text
    text = EMAIL.sub(MASKS["email"], text)
    text = LICENCE_KEY.sub(MASKS["licence_key"], text)
    text = PREFIXED_ORDER.sub(MASKS["order"], text)
    text = ID_CARD.sub(MASKS["id_card"], text)
    text = MOBILE.sub(MASKS["mobile"], text)
    text = _mask_cards(text)
    text = LANDLINE.sub(MASKS["landline"], text)
    return LONG_NUMBER.sub(MASKS["order"], text)
