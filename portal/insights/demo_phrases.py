"""What demo customers look for and how they put it: the subjects (an article, or a gap
the articles leave), the forms of their queries and questions, their browsers and the bots,
their comments on articles and the answers they get."""

import random
from dataclasses import dataclass
from functools import cache

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; V2307A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
)
APP_AGENT = "QingheNotes/4.2.1 (iPhone; iOS 17.4)"  # the mobile app calls the search API
BOT_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "python-requests/2.31.0",
    "curl/8.5.0",
)
ZH_FORMS = (
    "{}",
    "{}",
    "{}怎么办",
    "{}怎么弄",
    "请问{}",
    "{}在哪里",
    "{}要多久",
    "{} 不行",
    "{}求助",
)
TW_FORMS = ("{}", "{}", "{}怎麼辦", "請問{}", "{}要多久", "{}有問題")
EN_FORMS = ("{}", "{}", "how to {}", "{} not working", "{} help")
QUESTION_FORMS = (
    "{}怎么办？",
    "请问{}要怎么操作？",
    "{}一直不成功",
    "关于{}的问题",
    "{}有没有人遇到过？",
)
# Things customers ask about that the shipped articles do not cover: (phrases, weight,
# trend, category slug). Trend: flat, rising (grows through the period), late (starts midway).
GAPS = (
    (("以旧换新", "以旧换新怎么参加", "以舊換新", "以旧换新 补贴"), 1.0, "rising", "orders"),
    (("会员积分", "积分怎么用", "积分兑换", "會員積分 過期"), 1.0, "flat", "settings"),
    (("发票红冲", "红字发票", "发票冲红怎么弄"), 0.8, "flat", "invoices"),
    (("预售定金退款", "定金能退吗", "预售 定金 不想要了"), 0.6, "rising", "returns"),
    (("青禾笔记 Linux ARM", "linux arm64 安装包", "树莓派 青禾笔记"), 0.7, "late", "install"),
    (("批量导出PDF", "笔记导出 pdf", "export notes to pdf"), 0.9, "flat", "troubleshooting"),
    (("学生优惠", "教育版 折扣", "student discount"), 0.5, "flat", "licence"),
)
# Personal data typed into the box: the search path masks it before anything is stored.
PII_FORMS = (
    "订单号 DD{order} 退款进度",
    "{phone} 收不到验证码",
    "发票发到 {email} 没收到",
    "手机号 {phone} 怎么换绑",
    "order {order} not received",
)
NO_COMMENTS = (
    "步骤和现在的界面对不上",
    "说了等于没说，还是不知道怎么办",
    "没有提到我的情况",
    "太长了，找不到重点",
    "截图太旧了",
    "",
)
YES_COMMENTS = ("解决了，谢谢", "很清楚", "", "", "", "")
BODY_DETAILS = (
    "昨天开始就这样了，试了好几次。",
    "客服电话一直占线，只好来这里问。",
    "用的是 Windows 11，青禾笔记 4.2.1。",
    "在手机上操作的，找不到入口。",
    "急用，麻烦尽快回复，谢谢！",
)
ANSWERS = (
    "您好，可以先在“我的订单”里找到这笔订单，按页面提示操作；还不行的话请发截图上来。",
    "这是已知问题，下个版本修复。临时办法：退出账号重新登录，再同步一次。",
    "知识库里有步骤说明，按文章操作即可；如果某一步和界面对不上，请告诉我们是哪一步。",
)


@cache
def to_traditional():
    """The simplified-to-traditional converter, built on first use: reading its tables cost
    every CLI command start-up time (this module is imported to register demo-data)."""
    from opencc import OpenCC

    return OpenCC("s2t")


@dataclass
class Subject:
    """Something customers look for: an article's title and tags, or a content gap."""

    phrases: tuple[str, ...]
    language: str = "zh-CN"
    article_id: int | None = None
    category_id: int | None = None
    tags: tuple[str, ...] = ()
    weight: float = 1.0
    trend: str = "flat"


def typo(rng: random.Random, text: str) -> str:
    """A slip of the keyboard: swapped letters, or a dropped character (IME slip)."""
    chars = list(text)
    if len(chars) < 3:
        return text
    i = rng.randrange(len(chars) - 1)
    if chars[i].isascii() and chars[i + 1].isascii():
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        del chars[i]
    return "".join(chars)


def query_text(rng: random.Random, subject: Subject) -> str:
    """What a customer types into the box when looking for SUBJECT."""
    phrase = (
        rng.choice(subject.phrases[1:] or subject.phrases)
        if rng.random() < 0.8
        else subject.phrases[0]
    )
    if subject.article_id is None and rng.random() < 0.6:
        text = rng.choice(subject.phrases)  # gaps are mostly searched by their name
    elif subject.language == "en":
        text = rng.choice(EN_FORMS).format(phrase.lower())
    elif subject.language == "zh-TW":
        text = rng.choice(TW_FORMS).format(phrase)
    else:
        text = rng.choice(ZH_FORMS).format(phrase)
        if rng.random() < 0.2:
            text = to_traditional().convert(text)
    return typo(rng, text) if rng.random() < 0.07 else text
