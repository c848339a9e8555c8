"""Word lists for the benchmark corpus and its query set (青禾商城 and 青禾笔记 support).

Terms per leaf category of kb_articles/_categories.yaml, so generated articles, forum topics
and benchmark queries share one vocabulary and the queries hit realistic documents."""

import random
from dataclasses import dataclass
from functools import cache, lru_cache

# leaf category -> (things, problems, actions)
ZH_TERMS = {
    "orders": (
        ["订单", "收货地址", "订单详情", "待发货订单", "合并发货", "预售订单", "订单号"],
        ["一直显示待付款", "无法取消", "地址填错了", "找不到订单", "被系统拆单"],
        ["取消订单", "修改收货地址", "查询订单", "申请合并发货", "催发货"],
    ),
    "shipping": (
        ["快递", "物流信息", "运费", "配送时效", "海外配送", "自提点", "包裹"],
        ["物流不更新", "显示已签收但没收到", "配送太慢", "被退回", "运费多收"],
        ["跟踪物流", "更换快递", "预约送货", "申请运费补偿", "修改配送时间"],
    ),
    "returns": (
        ["退货", "换货", "退款", "退货运费", "七天无理由", "部分退款", "破损商品"],
        ["退款一直没到账", "退货申请被拒绝", "换货没发出", "商品破损", "少发漏发"],
        ["申请退货", "申请换货", "寄回商品", "查看退款进度", "上传破损照片"],
    ),
    "payment": (
        ["支付", "银行卡", "分期付款", "微信支付", "支付宝", "优惠券", "余额"],
        ["支付失败", "重复扣款", "优惠券用不了", "分期不可用", "扣款成功订单未更新"],
        ["绑定银行卡", "更换支付方式", "申请分期", "使用优惠券", "申请退回重复扣款"],
    ),
    "invoices": (
        ["发票", "电子发票", "发票抬头", "增值税专用发票", "税号", "纸质发票"],
        ["发票开错了", "发票一直没收到", "抬头填错", "无法下载发票", "税号校验失败"],
        ["申请电子发票", "修改发票抬头", "下载发票", "申请专票", "补开发票"],
    ),
    "security": (
        ["密码", "两步验证", "手机号", "账号", "验证码", "登录设备", "安全邮箱"],
        ["收不到验证码", "账号被盗", "密码忘记了", "登录提示异常", "账号被锁定"],
        ["修改密码", "找回密码", "开启两步验证", "绑定手机", "注销账号"],
    ),
    "settings": (
        ["收货地址", "语言设置", "地区", "第三方账号", "头像", "昵称", "通知设置"],
        ["地址保存不了", "语言切换无效", "微信绑定失败", "昵称改不了", "通知太多"],
        ["添加收货地址", "切换语言", "绑定微信", "解绑第三方账号", "关闭通知"],
    ),
    "install": (
        ["安装包", "系统要求", "Windows", "macOS", "Linux", "升级", "安装目录"],
        ["安装失败", "升级后打不开", "提示缺少组件", "安装进度卡住", "杀毒软件拦截"],
        ["安装青禾笔记", "升级到最新版", "卸载旧版本", "更改安装目录", "静默安装"],
    ),
    "licence": (
        ["许可证", "专业版", "团队版", "激活码", "设备数量", "席位", "离线激活"],
        ["激活失败", "提示许可证已过期", "设备数量超限", "激活码无效", "席位不够"],
        ["激活许可证", "离线激活", "更换电脑", "续费专业版", "分配团队席位"],
    ),
    "downloads": (
        ["下载", "历史版本", "安装包校验", "发布渠道", "测试版", "镜像"],
        ["下载速度慢", "下载中断", "校验值不一致", "找不到旧版本", "下载链接失效"],
        ["下载安装包", "校验文件", "切换发布渠道", "下载历史版本", "加入测试版"],
    ),
    "troubleshooting": (
        ["同步", "笔记", "代理", "错误代码", "回收站", "附件", "数据库"],
        ["同步冲突", "启动崩溃", "同步一直转圈", "笔记丢失", "附件打不开"],
        ["解决同步冲突", "找回误删笔记", "设置代理", "导出日志", "重建索引"],
    ),
}
EN_TERMS = {
    "orders": (
        ["order", "shipping address", "order details"],
        ["cannot cancel", "wrong address"],
        ["cancel an order", "change the address"],
    ),
    "shipping": (
        ["parcel", "tracking", "delivery fee"],
        ["tracking not updated", "late delivery"],
        ["track a parcel", "reschedule delivery"],
    ),
    "returns": (
        ["refund", "return label", "exchange"],
        ["refund not received", "item damaged"],
        ["request a refund", "return an item"],
    ),
    "payment": (
        ["payment", "credit card", "coupon"],
        ["payment failed", "charged twice"],
        ["pay in instalments", "apply a coupon"],
    ),
    "invoices": (
        ["invoice", "VAT invoice", "tax number"],
        ["invoice missing", "wrong title"],
        ["download an invoice", "change the invoice title"],
    ),
    "security": (
        ["password", "two-factor authentication", "phone number"],
        ["verification code not arriving", "account hacked"],
        ["reset the password", "enable two-factor authentication"],
    ),
    "settings": (
        ["language", "address book", "linked accounts"],
        ["settings not saved"],
        ["switch language", "unlink an account"],
    ),
    "install": (
        ["installer", "system requirements", "upgrade"],
        ["installation fails"],
        ["install Qinghe Notes", "upgrade to the latest version"],
    ),
    "licence": (
        ["licence key", "Pro edition", "team seats"],
        ["activation failed"],
        ["activate a licence", "move a licence to a new computer"],
    ),
    "downloads": (
        ["download", "checksum", "older versions"],
        ["download interrupted"],
        ["verify the checksum", "download an older version"],
    ),
    "troubleshooting": (
        ["sync", "notes", "proxy"],
        ["sync conflict", "crash on start"],
        ["resolve a sync conflict", "restore deleted notes"],
    ),
}
ENGLISH_SHARE = 0.15
TRADITIONAL_SHARE = 0.10  # of the Chinese documents
SHOP_LEAVES = ("orders", "shipping", "returns", "payment", "invoices", "security", "settings")
PRODUCTS = {"shop": "青禾商城", "notes": "青禾笔记"}
ZH_OPENERS = [
    "很多用户反馈{p}的时候{x}。",
    "如果您在{p}中遇到{x}，请先不要着急。",
    "本文介绍{a}的方法，以及{x}时的处理办法。",
    "遇到{x}，通常与{t}的设置有关。",
]
ZH_SENTENCES = [
    "请打开{p}，进入「我的」页面，找到{t}。",
    "{a}之前，请确认{t}信息填写正确。",
    "一般情况下，{t}会在 1 到 3 个工作日内处理完成。",
    "如果仍然{x}，请联系在线客服。",
    "部分情况下{x}是因为网络不稳定，可以稍后重试。",
    "您也可以在电脑端{a}，步骤相同。",
    "注意：{t}一经提交无法撤回，请仔细核对。",
    "我们建议先{a}，再检查{t}是否更新。",
    "客服工作时间为每天 9:00 到 21:00，节假日照常。",
    "完成后，系统会通过短信通知您。",
]
ZH_HEADINGS = ["原因", "解决步骤", "常见问题", "注意事项", "操作方法", "相关说明", "还是不行？"]
ZH_TITLES = [
    "{t}{x}怎么办",
    "如何{a}",
    "{a}的方法",
    "为什么{t}{x}？",
    "{p}：{a}",
    "关于{t}的常见问题",
    "{x}的原因与解决办法",
]
FORUM_TITLES = [
    "{t}{x}，求助",
    "请问怎么{a}？",
    "{x}了怎么办",
    "{p}{t}{x}，有人遇到吗",
    "大家是怎么{a}的？",
    "急！{x}",
]
FORUM_REPLIES = [
    "我也遇到过，后来{a}就好了。",
    "试试先{a}，再重启{p}。",
    "同问，{x}好几天了。",
    "官方客服说{t}要等 24 小时。",
    "已解决，谢谢楼上！",
    "可以看看帮助中心关于{t}的文章。",
]
EN_TITLES = ["How to {a}", "{T} {x}: what to do", "Why is my {t} {x}?", "{P}: {a}"]
EN_SENTENCES = [
    "Open {p} and go to the account page to find the {t}.",
    "Before you {a}, check that the {t} is correct.",
    "If the problem is {x}, wait a few minutes and try again.",
    "Most requests about the {t} are handled within one to three working days.",
    "You can also {a} from the desktop app; the steps are the same.",
    "Contact customer service if it is still {x} after that.",
]
EN_HEADINGS = ["Why this happens", "Steps", "Good to know", "Still stuck?"]
# Words planted in a handful of documents each (the "rare" queries), and words in none.
RARE_WORDS = [
    "墨水屏",
    "蓝牙打印机",
    "批量导出PDF",
    "树莓派",
    "以旧换新",
    "学生优惠",
    "Zotero",
    "webhook",
    "手写识别",
    "发票红冲",
    "跨境直邮",
    "年度账单",
]
ABSENT_WORDS = [
    "潜水艇",
    "量子纠缠",
    "火箭发射",
    "恐龙化石",
    "xylophone",
    "submarine warranty",
    "长颈鹿饲料",
    "火山温泉",
    "quasar",
    "冰川徒步",
]


def product_for(leaf: str, english: bool = False) -> str:
    """The product a leaf category belongs to, named in the document's language."""
    if leaf in SHOP_LEAVES:
        return "the Qinghe Shop" if english else PRODUCTS["shop"]
    return "Qinghe Notes" if english else PRODUCTS["notes"]


@cache
def _converter():
    import opencc  # pure-Python s2t: converting once per string keeps generation fast

    return opencc.OpenCC("s2t")


@lru_cache(maxsize=200_000)
def traditional(text: str) -> str:
    """Traditional-script form of a simplified string (cached: templates repeat)."""
    return _converter().convert(text)


@dataclass(frozen=True)
class BenchQuery:
    """One benchmark query: what is typed plus the optional filters of the search form."""

    kind: str
    text: str
    doc_type: str | None = None
    category: str | None = None  # a category slug
    language: str | None = None

    def request(self, category_ids: dict[str, int]):
        """This query as a first-page SearchRequest of 10 hits; ``category_ids`` maps the
        corpus's category slugs to their ids."""
        from search.backend import SearchRequest  # the vocabulary alone imports no engine

        return SearchRequest(
            text=self.text,
            doc_type=self.doc_type,
            category_id=category_ids.get(self.category) if self.category else None,
            language=self.language,
            per_page=10,
        )


def query_set(seed: int = 7) -> list[BenchQuery]:
    """About 400 mixed queries (8 kinds), the same for every engine and every run."""
    rng = random.Random(seed)
    leaves = sorted(ZH_TERMS)

    def terms(leaf=None):
        leaf = leaf or rng.choice(leaves)
        things, problems, actions = ZH_TERMS[leaf]
        return leaf, rng.choice(things), rng.choice(problems), rng.choice(actions)

    def colloquial():
        _leaf, t, x, a = terms()
        form = rng.choice(
            [
                "{t} {x}",
                "{t} {x} 怎么办",
                "为什么 {t} {x}",
                "怎么 {a}",
                "{p} {a} 要多久",
                "{a} 在哪里",
            ]
        )
        return form.format(t=t, x=x, a=a, p=rng.choice(list(PRODUCTS.values())))

    queries = [BenchQuery("1-word", terms()[rng.randint(1, 3)]) for _ in range(60)]
    queries += [BenchQuery("colloquial", colloquial()) for _ in range(80)]
    queries += [BenchQuery("phrase", f'"{terms()[3]}"') for _ in range(40)]
    queries += [BenchQuery("traditional", traditional(colloquial())) for _ in range(40)]
    for _ in range(50):
        leaf = rng.choice(leaves)
        things, problems, actions = EN_TERMS[leaf]
        queries.append(BenchQuery("english", rng.choice(things + problems + actions)))
    for _ in range(60):
        leaf, t, x, _a = terms()
        choice = rng.randrange(3)
        queries.append(
            BenchQuery(
                "filtered",
                rng.choice([t, f"{t} {x}"]),
                doc_type=rng.choice(["article", "forum"]) if choice == 0 else None,
                category=leaf if choice == 1 else None,
                language=rng.choice(["zh-CN", "zh-TW"]) if choice == 2 else None,
            )
        )
    queries += [BenchQuery("rare", rng.choice(RARE_WORDS)) for _ in range(30)]
    queries += [BenchQuery("zero-hit", rng.choice(ABSENT_WORDS)) for _ in range(40)]
    rng.shuffle(queries)
    return queries
