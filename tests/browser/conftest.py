"""The browser scenarios' fixtures: one live portal and one headless Chromium per test module,
and a page that fails its test on any problem it reports (see tests/browser_support.py).
Without Chromium every test here is skipped."""

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser_support import (
    CHROMIUM,
    WAIT_MS,
    PageProblems,
    launch_chromium,
    new_context,
    start_live_server,
)

expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_database):
    """One live portal for the module, on the suite's test database."""
    data_dir = tmp_path_factory.mktemp("live-portal")
    database_url = migrated_database.new(data_dir)
    live = start_live_server(data_dir, database_url)
    yield live
    live.stop()
    migrated_database.drop(database_url)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: browser tests skipped "
            "(apt-get install chromium, or set PORTAL_CHROMIUM)"
        )
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def problems():
    return PageProblems()


@pytest.fixture
def page(browser, server, problems):
    """A page in a fresh browser context; the test fails on any problem the page reports."""
    context = new_context(browser, server)
    context.on("page", problems.watch)
    yield context.new_page()
    context.close()
    assert not problems.found, "\n".join(problems.found)
