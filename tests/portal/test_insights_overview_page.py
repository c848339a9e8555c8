"""The insights overview page: permissions, the KPIs, charts and tables shown, privacy, CSV
downloads that equal the tables, bad ranges and the staff toggle."""

import csv
import io

import pytest

from portal.insights.query_reports import (
    top_queries,
    zero_result_queries,
)
from tests.insights_week import NOW, RANGE, WEEK, seed_week


@pytest.fixture
def week(make, clock):
    """Two weeks of traffic (tests/insights_week.py), rolled up."""
    return seed_week(make, clock)


def test_customers_get_403_and_visitors_the_login_page(client, make, week):
    assert client.get("/insights/").status_code == 302
    assert "/login" in client.get("/insights/").headers["Location"]
    client.login(week["customers"][0])
    assert client.get("/insights/").status_code == 403


def test_editor_sees_kpis_charts_tables_and_the_excluded_line(client, week):
    client.login(week["editor"])
    client.post("/lang/en")  # the assertions below read the English wording
    response = client.get("/insights/", query_string=RANGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert (
        page.count("<svg") - page.count('<svg class="icon"') == 2
        and "<?xml" not in page
        and "<!DOCTYPE svg" not in page
    )
    assert 'id="chart-per-day"' in page and 'id="chart-by-hour"' in page
    assert "2 bot searches and 1 staff searches are excluded" in page
    assert 'id="kpi-self_service_score"' in page and "2.2" in page
    assert "25.0%" in page and "Previous: 40.0%" in page
    for name in (
        "top-queries",
        "zero-result-queries",
        "no-click-queries",
        "rising-queries",
        "searches-by-day",
        "searches-by-hour",
    ):
        assert f'id="table-{name}"' in page and f"csv={name}" in page
    assert "Figures up to" in page
    assert 'href="/insights/gaps?start=2026-10-08' in page
    assert 'href="/insights/articles?start=2026-10-08' in page


def test_the_page_shows_no_user_ids_names_or_emails(client, week):
    client.login(week["editor"])
    page = client.get("/insights/", query_string=RANGE).get_data(as_text=True)
    csv_text = "".join(
        client.get("/insights/", query_string=RANGE | {"csv": name}).get_data(as_text=True)
        for name in ("top-queries", "searches-by-day")
    )
    for customer in week["customers"]:
        for secret in (
            customer.email,
            customer.display_name,
            f"u:{customer.id}",
            f"user_id={customer.id}",
        ):
            assert secret not in page and secret not in csv_text
    assert "anon-visitor" not in page and "anon-visitor" not in csv_text


def test_csv_equals_the_table(client, week):
    client.login(week["editor"])
    for name, table in (
        ("top-queries", top_queries(WEEK)),
        ("zero-result-queries", zero_result_queries(WEEK)),
    ):
        response = client.get("/insights/", query_string=RANGE | {"csv": name})
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        assert rows[0] == [str(c) for c in table.columns]
        assert rows[1:] == [["" if v is None else str(v) for v in row] for row in table.rows]


def test_unknown_csv_is_a_bad_request(client, week):
    client.login(week["editor"])
    assert client.get("/insights/", query_string={"csv": "nope"}).status_code == 400


@pytest.mark.parametrize(
    "args, message",
    [
        ({"start": "2026-10-14", "end": "2026-10-08"}, "the end date is before the start date"),
        ({"start": "yesterday"}, "dates must look like"),
        ({"days": "0"}, "days must be a whole number from 1 to 366"),
    ],
)
def test_bad_range_is_a_400_with_the_reason(client, week, args, message):
    """An everyday mistake: the page itself answers, the reason beside the date fields and
    the default range's figures below, rather than a bare error page."""
    client.login(week["editor"])
    client.post("/lang/en")
    response = client.get("/insights/", query_string=args)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'role="alert"' in page
    assert "Showing the last 30 days instead" in page
    assert 'name="start"' in page and "Searches" in page


@pytest.mark.parametrize("path", ["/insights/gaps", "/insights/articles"])
def test_every_insights_page_shows_a_bad_range_on_the_page(client, week, path):
    client.login(week["editor"])
    response = client.get(path, query_string={"start": "2026-10-14", "end": "2026-10-08"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "结束日期早于开始日期" in page and 'name="start"' in page
    assert (
        client.get(
            path, query_string={"start": "2026-10-14", "end": "2026-10-08", "csv": "x"}
        ).status_code
        == 400
    )


def test_include_staff_toggle_and_empty_state(client, make, clock):
    clock.current = NOW
    client.login(make.user("editor"))
    client.post("/lang/en")  # the assertions below read the English wording
    page = client.get("/insights/", query_string=RANGE | {"staff": "1"}).get_data(as_text=True)
    assert "the search log has not been rolled up" in page
    assert "added to the search count only" in page
    assert page.count("<svg") - page.count('<svg class="icon"') == 2  # empty charts still render
