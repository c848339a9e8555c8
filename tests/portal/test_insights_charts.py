"""The insight charts (portal/insights/charts.py): hand-drawn SVG whose shapes follow the
figures, styled by class only, with each point's figures in a <title>."""

import re
from datetime import date, timedelta
from xml.etree import ElementTree

import pytest

from portal.insights.charts import (
    HEIGHT,
    searches_by_hour_chart,
    searches_per_day_chart,
    value_ticks,
)
from portal.insights.query_reports import DailySeries, HourlySeries

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    "top, ticks",
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (4, [0, 1, 2, 3, 4]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 2, 4, 6, 8, 10]),
        (23, [0, 5, 10, 15, 20, 25]),
        (310, [0, 100, 200, 300, 400]),
    ],
)
def test_value_ticks_are_whole_round_steps_covering_the_top(top, ticks):
    assert value_ticks(top) == ticks


def parsed(markup) -> ElementTree.Element:
    return ElementTree.fromstring(str(markup))


def test_the_day_chart_draws_one_point_per_day_at_its_height(app):
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]
    searches = [i * 10 for i in range(30)]
    zero = [i for i in range(30)]
    with app.test_request_context("/"):
        svg = parsed(
            searches_per_day_chart(DailySeries("Asia/Shanghai", days, searches, zero, [0] * 30))
        )
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text
    points = svg.findall(f".//{SVG}circle")
    assert len(points) == 30
    heights = [float(p.get("cy")) for p in points]
    assert heights == sorted(heights, reverse=True)  # more searches, higher up
    assert float(points[0].get("cy")) == pytest.approx(HEIGHT - 44)  # 0 on the axis
    titles = [g.find(f"{SVG}title").text for g in svg.findall(f"{SVG}g")]
    assert "2026-11-30" in titles[-1] and "290" in titles[-1] and "29" in titles[-1]
    x_labels = [t.text for t in svg.iter(f"{SVG}text") if "chart-tick-x" in t.get("class")]
    assert 5 <= len(x_labels) <= 10 and x_labels[0] == "11-01"


def test_the_hour_chart_draws_bars_proportional_to_the_figures(app):
    searches = [0] * 24
    searches[10], searches[21] = 40, 20
    zero = [0] * 24
    zero[10] = 10
    with app.test_request_context("/"):
        svg = parsed(searches_by_hour_chart(HourlySeries("Asia/Shanghai", searches, zero)))
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar-all"]
    assert len(bars) == 24
    height = {i: float(bar.get("height")) for i, bar in enumerate(bars)}
    assert height[10] == pytest.approx(2 * height[21]) and height[0] == 0
    inner = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar-zero"]
    assert float(inner[10].get("height")) == pytest.approx(height[10] / 4)
    assert any("Asia/Shanghai" in (t.text or "") for t in svg.iter(f"{SVG}text"))


def test_charts_carry_no_inline_style_and_escape_their_labels(app):
    with app.test_request_context("/"):
        markup = str(searches_by_hour_chart(HourlySeries("<b>zone</b>", [1] * 24, [0] * 24)))
    assert "style=" not in markup and "<b>" not in markup and "&lt;b&gt;" in markup
    assert not re.search(r"<script|on\w+=", markup)
