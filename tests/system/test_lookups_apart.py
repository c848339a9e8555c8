"""The did-you-mean and autocomplete lookups of a large corpus are built in a child
process: the same tables as built in the worker, and built there after all if the child
fails."""

import logging
import threading
import time
from dataclasses import replace

import pytest

from portal.searching import apart, autocomplete, spelling


def _unordered(index: spelling.SpellingIndex) -> spelling.SpellingIndex:
    by_length = {length: sorted(words) for length, words in index.latin_by_length.items()}
    return replace(index, latin_by_length=by_length)


@pytest.fixture
def corpus(app, make):
    app.config.update(SPELLING_REFRESH_SECONDS=0, AUTOCOMPLETE_REFRESH_SECONDS=0)
    make.article("七天无理由退货政策", slug="return-policy", tags=["退货"])
    make.article("如何开具发票", slug="invoice", tags=["发票"])
    make.article("Installing Qinghe Notes on Linux", slug="install-linux", language="en")


@pytest.fixture
def children(monkeypatch):
    """The child processes started, by the function they built."""
    started = []
    run = apart.subprocess.run

    def spy(args, **kwargs):
        started.append(args[-1])
        return run(args, **kwargs)

    monkeypatch.setattr(apart.subprocess, "run", spy)
    return started


def test_from_the_configured_size_the_lookups_are_built_by_a_child(app, corpus, children):
    app.config["LOOKUPS_APART_FROM"] = 3
    with app.test_request_context():
        here = spelling.build_from_database(), autocomplete.build_from_database()
        apart_ = spelling.spelling_index(), autocomplete.autocomplete_index()
    assert children == [
        "portal.searching.spelling:build_from_database",
        "portal.searching.autocomplete:build_from_database",
    ]
    assert apart_[1] == here[1]
    # The same vocabulary; the order of equally weighted words follows string hashes,
    # which differ between processes.
    assert _unordered(apart_[0]) == _unordered(here[0])
    assert apart_[0].candidates("tuihuo") == ["退货"]
    assert [entry.slug for entry in apart_[1].lookup("fapiao")] == ["invoice"]


def test_below_it_they_are_built_in_the_worker(app, corpus, children):
    app.config["LOOKUPS_APART_FROM"] = 4
    with app.test_request_context():
        assert spelling.spelling_index().candidates("fa piao") == ["发票"]
    assert children == []


def test_a_failed_child_is_logged_and_the_worker_builds_the_lookup(
    app, corpus, children, monkeypatch, caplog
):
    app.config["LOOKUPS_APART_FROM"] = 1
    monkeypatch.setattr(apart, "_CHILD", "import sys; sys.exit('no database')")
    with app.test_request_context(), caplog.at_level(logging.ERROR, "portal.searching.apart"):
        assert spelling.spelling_index().candidates("tuihuo") == ["退货"]
    assert children and "no database" in caplog.text


def test_the_first_requests_do_not_wait_for_a_child(app, client, corpus, monkeypatch):
    """With the cache on, the first search and autocomplete answer at once without
    suggestions while the children build; once built, the next ones suggest."""
    app.config.update(
        LOOKUPS_APART_FROM=3, SPELLING_REFRESH_SECONDS=300, AUTOCOMPLETE_REFRESH_SECONDS=300
    )
    release, run, threads = threading.Event(), apart.subprocess.run, []

    def held(args, **kwargs):
        threads.append(threading.current_thread())
        if threads[-1] is not threading.main_thread():  # the request's own would deadlock
            assert release.wait(60)
        return run(args, **kwargs)

    monkeypatch.setattr(apart.subprocess, "run", held)
    assert client.get("/api/v1/search?q=tuihuo").json["did_you_mean"] is None
    assert client.get("/search/autocomplete?q=fapiao").json["suggestions"] == []
    release.set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        suggested = client.get("/search/autocomplete?q=fapiao").json["suggestions"]
        if suggested and client.get("/api/v1/search?q=tuihuo").json["did_you_mean"]:
            break
        time.sleep(0.2)
    assert [s["url"] for s in suggested] == ["/a/invoice"]
    assert client.get("/api/v1/search?q=tuihuo").json["did_you_mean"] == "退货"
    assert len(threads) == 2 and threading.main_thread() not in threads
