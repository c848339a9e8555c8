"""Helpers for the forum tests: a question asked through the service, the new-topic form,
a page's text and a list page's topic titles."""

import re

from portal.forum.services import create_topic

BODY = "买的衣服不合适，想退货，运费怎么算？"


def ask(author, title="退货运费谁承担？", **kwargs):
    kwargs.setdefault("body_md", BODY)
    return create_topic(author, title=title, **kwargs)


def topic_form(**overrides):
    data = {
        "title": "发票抬头写错了怎么办？",
        "kind": "question",
        "category_id": "",
        "tags": "发票, 售后",
        "body_md": "我把公司名称写错了，能重开吗？",
    }
    data.update(overrides)
    return data


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def titles(client, url):
    """Topic titles on a list page, in order."""
    return re.findall(r'class="topic-title" href="[^"]+">([^<]+)</a>', page(client, url))
