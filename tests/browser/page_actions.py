"""What the browser scenarios do on a page more than once: search from a box, and look up a
category's id on the live portal."""

import re

from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Category
from tests.browser_support import (
    type_text,
)


def search_from_box(page, box: str, query: str) -> None:
    """Type a query into a search box and press Enter, as a customer does."""
    type_text(page, box, query)
    page.locator(box).press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    expect(page.locator("#search-q")).to_have_value(query)


def category_id(server, slug: str) -> int:
    with server.app_context():
        return db.session.scalar(select(Category.id).where(Category.slug == slug))
