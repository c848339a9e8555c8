"""The mixed load of bench/faults.py: customers search, open topics, reply and vote;
the editor searches and appends to articles through the editor form."""

import logging
import random
import re
import threading
from dataclasses import dataclass

from bench._faults_client import Client, Tally, Write, form_fields, marker

logger = logging.getLogger(__name__)
TOPIC_RE = re.compile(r"^/forum/t/(\d+)$")
EDIT_RE = re.compile(r"^/editor/articles/(\d+)/edit$")


@dataclass
class Account:
    email: str
    password: str
    role: str  # customer | editor


@dataclass
class Plan:
    """What the clients may touch: published articles (id, slug) and search words."""

    articles: list[tuple[int, str]]
    words: list[str]


def new_topic(client: Client, rng: random.Random) -> None:
    write = Write("topic", marker(rng), "")
    fields = {
        "title": f"负载测试主题 {rng.randrange(10**6)}",
        "kind": "question",
        "category_id": "",
        "tags": "",
        "body_md": f"故障测试正文 {write.marker} 请帮忙看看。",
    }
    client.write(write, "/forum/new", fields, TOPIC_RE)


def reply(client: Client, rng: random.Random, topic_id: int) -> None:
    write = Write("reply", marker(rng), "", target=topic_id)
    fields = {"body_md": f"回复一下 {write.marker} 我也遇到了。"}
    client.write(write, f"/forum/t/{topic_id}/reply", fields, re.compile(rf"^/forum/t/{topic_id}$"))


def vote(client: Client, rng: random.Random, article: tuple[int, str]) -> None:
    article_id, slug = article
    write = Write("vote", marker(rng), "", target=article_id)
    fields = {"helpful": rng.choice(["yes", "no"]), "comment": f"评价 {write.marker}", "sid": ""}
    client.write(write, f"/a/{slug}/feedback", fields, re.compile(rf"^/a/{re.escape(slug)}$"))


def edit(client: Client, rng: random.Random, article_id: int) -> None:
    """Append a marker paragraph through the editor form. The form is read right before
    each save, so its base_revision is current (one editor: no edit conflicts expected)."""
    path = f"/editor/articles/{article_id}/edit"
    page = client.read("page", path)
    if page is None:
        return
    fields = form_fields(page, "body_md")
    write = Write("edit", marker(rng), "", target=article_id)
    fields["body_md"] = fields["body_md"].rstrip() + f"\n\n故障测试补充 {write.marker}\n"
    fields["note"] = "fault load"
    client.write(write, path, fields, EDIT_RE)


def customer_loop(client: Client, plan: Plan, rng: random.Random) -> None:
    tally = client.tally
    # One vote per (user, article): a second one would overwrite the first one's marker.
    unvoted = rng.sample(plan.articles, len(plan.articles))
    while not tally.done():
        roll = rng.random()
        with tally.lock:
            topics = list(tally.topics)
        if roll < 0.4:
            client.search(plan.words, rng)
        elif roll < 0.55 or not topics:
            new_topic(client, rng)
        elif roll < 0.8:
            reply(client, rng, rng.choice(topics))
        elif unvoted:
            vote(client, rng, unvoted.pop())


def editor_loop(client: Client, plan: Plan, rng: random.Random) -> None:
    while not client.tally.done():
        if rng.random() < 0.4:
            client.search(plan.words, rng)
        else:
            edit(client, rng, rng.choice(plan.articles)[0])


def run_clients(
    base: str, tally: Tally, accounts: list[Account], plan: Plan, seed: int
) -> list[str]:
    """One thread per account until the tally is done; returns the crashes (tracebacks
    are logged), which make the run fail."""
    crashes: list[str] = []

    def run(account: Account, number: int) -> None:
        rng = random.Random(seed * 100 + number)
        client = Client(base, tally, account.email)
        try:
            client.login(account.password)
            loop = editor_loop if account.role == "editor" else customer_loop
            loop(client, plan, rng)
        except Exception as exc:  # reported, and the run fails
            logger.exception("client %s crashed", account.email)
            crashes.append(f"{account.email}: {exc!r}")

    # Daemons: after an interrupt they must not keep the process alive retrying reads.
    threads = [
        threading.Thread(target=run, args=(account, n), daemon=True)
        for n, account in enumerate(accounts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return crashes
