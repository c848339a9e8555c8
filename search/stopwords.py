"""Stop-word lists (simplified Chinese, after folding, and English) used by the analyzer."""

# Function words and question fillers that carry no topic in support questions such as
# 我想修改发票抬头怎么弄. Only simplified forms: text is folded to simplified before lookup.
# Deliberately modest: words like 不能 / 无法 / 失败 are kept because they describe problems.
CHINESE_STOP_WORDS = frozenset(
    """
    的 地 得 了 着 过 吗 呢 吧 啊 呀 嘛 哦 哈 么 啦 喔 呗 哇 嗯 噢
    是 在 和 与 及 以及 或 或者 而 而且 并 并且 但 但是 也 都 就 还 又 再 才 很 太 更 最
    我 你 您 他 她 它 我们 你们 他们 她们 它们 咱们 自己 大家 人家
    这 那 这个 那个 这些 那些 这里 那里 这样 那样 这么 那么 此 其 之 某
    怎么 怎么办 怎么样 怎样 怎么弄 怎么回事 怎么做 如何 什么 为什么 为何 哪 哪里 哪儿 哪个 哪些
    谁 几 多少 是否 是不是 有没有 能不能 可不可以 会不会
    可以 可 能 能够 会 要 想要 需要 应该 得以
    请 请问 麻烦 谢谢 你好 您好 一下 一个 一些 个 些 下
    有 没有 没 被 把 给 让 对 从 到 向 于 以 为 为了 因为 所以 如果 然后 还是 就是 只是
    啥 咋 咋办
    """.split()
)

# A standard English list (close to the classic Lucene/Snowball sets), lower-case.
ENGLISH_STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your
    yours yourself yourselves s t d ll m re ve don doesn didn isn aren wasn weren won
    hi hello please thanks thank
    """.split()
)

STOP_WORDS = CHINESE_STOP_WORDS | ENGLISH_STOP_WORDS
