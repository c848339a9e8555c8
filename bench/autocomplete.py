"""Autocomplete benchmark: build time, memory and lookup latency at 100k titles + 20k queries.

Run by hand:  .venv/bin/python -m bench.autocomplete [--titles 100000] [--queries 20000]

Titles and queries are synthetic but deterministic (a fixed seed): Chinese titles made of
common help-centre words (segmented and turned into pinyin by the real code), English titles,
some with model numbers. The index is built by the same function the app uses
(build_autocomplete_index), then installed in a real app so GET /search/autocomplete is timed
through the Flask test client (in-process: routing, JSON, no network), and the bare lookup
is timed on the same probes: title starts, words inside titles, pinyin, English, misses."""

import argparse
import random
import statistics
import tempfile
import time
import tracemalloc

from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db
from portal.searching.autocomplete import (
    Entry,
    build_autocomplete_index,
    install_index,
)
from portal.searching.pinyin import syllables

SEED = 20261102
PROBES = 2000
ZH_WORDS = (
    "退货 退款 换货 发票 抬头 快递 物流 订单 优惠券 支付 价格 保修 密码 登录 注册 账号 会员 积分 "
    "地址 修改 取消 申请 查询 到账 运费 签收 拒收 售后 维修 安装 下载 更新 升级 同步 备份 恢复 "
    "导出 导入 打印 扫描 蓝牙 耳机 充电 电池 屏幕 键盘 鼠标 手机 电脑 平板 笔记 云端 空间 容量 "
    "分享 协作 团队 权限 管理员 通知 提醒 日历 搜索 标签 文件夹 模板 主题 字体 语言 设置 隐私 "
    "安全 验证码 短信 邮箱 微信 支付宝 银行卡 分期 发货 缺货 预售 定金 尾款 赠品 包装 破损 "
    "七天无理由 政策 流程 时间 多久 怎么办 为什么 失败 错误 无法 不能 问题 说明 指南 教程"
).split()
EN_WORDS = (
    "install update upgrade login password reset account invoice refund return order "
    "shipping delivery payment coupon warranty repair battery bluetooth sync backup restore "
    "export import print scan notes cloud storage share team permission notification "
    "calendar search tag folder template theme font language settings privacy security "
    "linux windows macos android iphone tablet keyboard mouse error failed cannot how why "
    "guide policy setup offline mobile desktop web"
).split()
ZH_FORMS = ("{}{}", "{}{}{}", "如何{}{}", "{}{}怎么办", "{}后{}{}", "{}{}{}说明", "{}{}失败")
EN_FORMS = ("How to {} {}", "{} {} on {}", "Cannot {} {} {}", "{} {} guide", "Why {} {}")


def synthetic_entries(titles: int, queries: int, rng: random.Random) -> list[Entry]:
    """Article and solved-topic titles plus popular queries, with skewed popularity."""
    entries = []
    for n in range(titles):
        if rng.random() < 0.75:
            form = rng.choice(ZH_FORMS)
            title = form.format(*rng.sample(ZH_WORDS, form.count("{}")))
        else:
            form = rng.choice(EN_FORMS)
            title = form.format(*rng.sample(EN_WORDS, form.count("{}"))).capitalize()
        if rng.random() < 0.2:
            title += f" QH-{rng.randrange(1000)}"
        kind = "article" if n % 5 else "topic"
        entries.append(Entry(title, kind, int(rng.paretovariate(1.2) * 10), n, f"t-{n}"))
    for _ in range(queries):
        words = ZH_WORDS if rng.random() < 0.75 else EN_WORDS
        text = ("" if words is ZH_WORDS else " ").join(rng.sample(words, rng.randint(1, 3)))
        entries.append(Entry(text, "query", int(rng.paretovariate(1.1) * 2)))
    return entries


def probes(entries: list[Entry], rng: random.Random) -> list[str]:
    """What people type: starts of titles, words inside them, pinyin, English, misses."""
    out = []
    for _ in range(PROBES):
        text = rng.choice(entries).text
        roll = rng.random()
        if roll < 0.35:
            out.append(text[: rng.randint(1, 6)])
        elif roll < 0.55:
            start = rng.randrange(len(text))
            out.append(text[start : start + rng.randint(1, 4)])
        elif roll < 0.80:
            pinyin = "".join(syllables(text))
            out.append(pinyin[: rng.randint(1, 8)] or "a")
        elif roll < 0.95:
            out.append(rng.choice(EN_WORDS)[: rng.randint(1, 6)])
        else:
            out.append(rng.choice(("zzzq", "量子纠缠", "xyzzy", "🙂")))
    return out


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[94], cuts[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(SEED)
    entries = synthetic_entries(args.titles, args.queries, rng)

    started = time.perf_counter()
    index = build_autocomplete_index(entries)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    build_autocomplete_index(entries)
    warm = time.perf_counter() - started
    tracemalloc.start()
    # Entries made inside the trace, as load_entries() makes them, so the memory the index
    # keeps of them is counted (building from `entries` would share its Entry objects).
    index = build_autocomplete_index(
        synthetic_entries(args.titles, args.queries, random.Random(SEED))
    )
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    typed = probes(entries, rng)
    bare = []
    for text in typed:
        started = time.perf_counter()
        index.lookup(text)
        bare.append((time.perf_counter() - started) * 1000)

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATA_DIR": tmp,
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/portal.db",
                "SEARCH_INDEX_DIR": f"{tmp}/index",
                "RATELIMIT_ENABLED": False,  # 2,000 requests from one client in seconds
            }
        )
        with app.app_context():
            upgrade()
            install_index(index, app)
            client = app.test_client()
            client.get("/search/autocomplete?q=warm")
            http, sizes = [], []
            for text in typed:
                started = time.perf_counter()
                response = client.get("/search/autocomplete", query_string={"q": text})
                http.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
                sizes.append(len(response.json["suggestions"]))
            db.engine.dispose()

    print(
        f"Autocomplete: {args.titles:,} titles + {args.queries:,} queries "
        f"({len(entries):,} entries, {len(index.keys):,} keys, "
        f"{len(index.broad):,} precomputed broad prefixes)"
    )
    print(f"build: {cold:.1f} s cold (pinyin cache empty), {warm:.1f} s warm (TTL refresh)")
    print(
        f"memory held by the built index: {held / 2**20:.0f} MiB "
        f"(peak while building {peak / 2**20:.0f} MiB; tracemalloc)"
    )
    print(f"probes: {len(typed):,}, mean suggestions returned {statistics.mean(sizes):.1f}")
    print("| lookup | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|")
    for name, samples in (
        ("bare index.lookup()", bare),
        ("GET /search/autocomplete (test client)", http),
    ):
        p50, p95, p99 = percentiles(samples)
        print(f"| {name} | {p50:.3f} | {p95:.3f} | {p99:.3f} |")


if __name__ == "__main__":
    main()
