"""Date probes: year 1, year 9999, impossible and odd-looking dates in the start and end of every
GET route and of the write forms that carry a range. Never a 500; the pages that read dates
(found by their date inputs) answer 400 with the allowed range."""

import re

import pytest

from portal.inputs import FIRST_DAY, LAST_DAY, parse_day
from tests.probe_world import build_world
from tests.probe_write_routes import WRITE_ROUTES, fill
from tests.probes.test_probe_integers import _values, get_rules

BAD_DAYS = [
    "0001-01-01",
    "9999-12-31",
    "1999-12-31",
    "2100-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "2026-1-1",
    "20261101",
    "2026-W44-1",
    "+2026-01-01",
    "-2026-01-01",
    "10000-01-01",
    "2026-11-01T00:00",
    "２０２６-01-01",
    "٢٠٢٦-01-01",
]
GOOD = "2026-10-01"
DATE_INPUT = re.compile(r'<input[^>]*name="start"')


@pytest.fixture
def world(app, make, client):
    return build_world(app, make, client)


@pytest.mark.parametrize("raw", BAD_DAYS + ["", "yesterday"])
def test_the_day_parser_refuses_what_is_not_a_day_in_range(raw):
    with pytest.raises(ValueError):
        parse_day(raw)


def test_the_day_parser_takes_the_bounds():
    assert parse_day(str(FIRST_DAY)) == FIRST_DAY and parse_day(str(LAST_DAY)) == LAST_DAY


def _range_message(body: str) -> bool:
    return str(FIRST_DAY) in body and str(LAST_DAY) in body


@pytest.mark.slow
def test_bad_dates_in_every_get_route(app, client, world):
    client.login(world.admin)
    client.post("/lang/en")
    values = _values(world, 1)
    date_pages, failures = [], []
    for rule in get_rules(app):
        url = fill(rule, values | ({"slug": world.category.slug} if "/c/" in rule else {}))
        page = client.get(url)
        reads_dates = page.status_code == 200 and bool(
            DATE_INPUT.search(page.get_data(as_text=True))
        )
        date_pages += [rule] if reads_dates else []
        # A page that reads dates gets each bad day in each place; any other page gets it in
        # both at once, to show it ignores them (or reads them safely though it shows no input).
        for bad in BAD_DAYS:
            places = (
                ({"start": bad}, {"start": GOOD, "end": bad}, {"start": bad, "end": bad})
                if reads_dates
                else ({"start": bad, "end": bad},)
            )
            for args in places:
                response = client.get(url, query_string=args)
                if response.status_code >= 500:
                    failures.append((rule, args, response.status_code))
                elif reads_dates and (
                    response.status_code != 400
                    or not _range_message(response.get_data(as_text=True))
                ):
                    failures.append((rule, args, response.status_code, "no range message"))
    assert set(date_pages) >= {
        "/admin/audit",
        "/insights/",
        "/insights/gaps",
        "/insights/articles",
        "/insights/articles/<int:article_id>",
    }
    assert not failures, failures


def test_bad_dates_in_the_write_forms_with_a_range(app, client, world):
    client.login(world.admin)
    client.post("/lang/en")
    failures = []
    for rule in ("/insights/gaps/draft", "/insights/gaps/handled"):
        for bad in BAD_DAYS:
            form = dict(WRITE_ROUTES[rule].form(world), start=bad, end=GOOD)
            response = client.post(fill(rule, world.ids()), form)
            if response.status_code != 400 or not _range_message(response.get_data(as_text=True)):
                failures.append((rule, bad, response.status_code))
    assert not failures, failures
