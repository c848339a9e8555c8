"""Server-side SVG charts for the insight pages: no JavaScript, readable in black and white.

Two small charts, drawn as SVG by hand rather than by a plotting library: matplotlib cost
about two seconds on a worker's first insights page (importing it), styled every element
inline (the page had to allow inline styles), and added ~44 MiB to each worker. Here every
element carries a class styled by static/css/insights.css, text stays SVG text so the
browser draws Chinese labels with the page's fonts, and each point or bar has a <title>
with its figures for pointer and screen-reader users. The data tables below the charts
carry the same figures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.insights.query_reports import DailySeries, HourlySeries

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 56, 44  # room for the y labels, title and legend, x labels
MAX_X_LABELS = 10
Y_TICKS = 5  # about this many steps on the value axis


def value_ticks(top: int, steps: int = Y_TICKS) -> list[int]:
    """Whole-number axis ticks from 0 to at least ``top`` in steps of 1, 2 or 5 x 10^n."""
    if top <= 0:
        return [0, 1]
    raw = top / steps
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(s for s in (magnitude, 2 * magnitude, 5 * magnitude, 10 * magnitude) if s >= raw)
    return list(range(0, math.ceil(top / step) * step + 1, step))


@dataclass(frozen=True)
class _Plot:
    """The plotting area: ``slots`` evenly spaced places on x, values 0..ticks[-1] on y."""

    slots: int
    ticks: list[int]

    @property
    def bottom(self) -> float:
        return HEIGHT - BOTTOM

    @property
    def slot_width(self) -> float:
        return (WIDTH - LEFT - RIGHT) / max(1, self.slots)

    def x(self, slot: int) -> float:
        return LEFT + (slot + 0.5) * self.slot_width

    def y(self, value: float) -> float:
        return self.bottom - value / self.ticks[-1] * (HEIGHT - TOP - BOTTOM)


def _f(number: float) -> str:
    return f"{number:.1f}".removesuffix(".0")


def _text_width(text: str, size: float = 12) -> float:
    # Layout only (legend spacing): CJK characters are about a font size wide, others half.
    return sum(size if ord(ch) > 0x2E80 else size * 0.55 for ch in text)


def _frame(
    plot: _Plot,
    title: str,
    x_label: str,
    y_label: str,
    legend: Sequence[tuple[str, str]],
    x_labels: dict[int, str],
) -> list[str]:
    """Title, legend, value grid and axis labels: everything but the data."""
    parts = [f'<text class="chart-title" x="{LEFT}" y="18">{escape(title)}</text>']
    x = LEFT
    for css_class, label in legend:  # (sample class, label), left to right under the title
        parts.append(f'<rect class="legend-{css_class}" x="{x}" y="28" width="14" height="10"/>')
        parts.append(f'<text class="chart-legend" x="{x + 20}" y="37">{escape(label)}</text>')
        x += 20 + _text_width(label) + 24
    for tick in plot.ticks:
        y = _f(plot.y(tick))
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}"/>'
        )
        parts.append(f'<text class="chart-tick chart-tick-y" x="{LEFT - 6}" y="{y}">{tick}</text>')
    bottom = _f(plot.bottom)
    parts.append(
        f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{bottom}" y2="{bottom}"/>'
    )
    for slot, label in x_labels.items():
        parts.append(
            f'<text class="chart-tick chart-tick-x" x="{_f(plot.x(slot))}" '
            f'y="{_f(plot.bottom + 16)}">{escape(label)}</text>'
        )
    parts.append(
        f'<text class="chart-axis-label" x="{_f((LEFT + WIDTH - RIGHT) / 2)}" '
        f'y="{HEIGHT - 6}">{escape(x_label)}</text>'
    )
    middle = _f((TOP + plot.bottom) / 2)
    parts.append(
        f'<text class="chart-axis-label" x="14" y="{middle}" '
        f'transform="rotate(-90 14 {middle})">{escape(y_label)}</text>'
    )
    return parts


def _svg(title: str, parts: list[str]) -> Markup:
    label = escape(title)
    # Every text in ``parts`` was escaped where it was put in; the rest is our own markup.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{label}" class="chart-svg"><title>{label}</title>'
        + "".join(parts)
        + "</svg>"
    )


def _every(count: int) -> int:
    return max(1, math.ceil(count / MAX_X_LABELS))


def _searches_frame(
    series: DailySeries | HourlySeries,
    slots: int,
    title: str,
    x_label: str,
    x_labels: dict[int, str],
) -> tuple[_Plot, list[str]]:
    """What both charts share: all searches and those with no result on one value axis,
    with their legend."""
    searches = _("Searches")
    plot = _Plot(slots, value_ticks(max([*series.searches, *series.zero_results, 0])))
    legend = [("all", searches), ("zero", _("No result"))]
    return plot, _frame(plot, title, x_label, searches, legend, x_labels)


def searches_per_day_chart(series: DailySeries) -> Markup:
    """Line chart: searches per day (solid, round markers) and those with no result
    (dashed, square markers)."""
    title = _("Searches per day")
    days = series.days
    step = _every(len(days))
    x_labels = {i: day.strftime("%m-%d") for i, day in enumerate(days) if i % step == 0}
    plot, parts = _searches_frame(
        series, len(days), title, _("Date (%(zone)s)", zone=series.zone), x_labels
    )
    for css_class, values in (("all", series.searches), ("zero", series.zero_results)):
        points = " ".join(f"{_f(plot.x(i))},{_f(plot.y(v))}" for i, v in enumerate(values))
        if points:
            parts.append(f'<polyline class="series-{css_class}" points="{points}"/>')
    for i, day in enumerate(days):
        figures = escape(
            _(
                "%(day)s: %(searches)d searches, %(zero)d with no result",
                day=day.isoformat(),
                searches=series.searches[i],
                zero=series.zero_results[i],
            )
        )
        x = _f(plot.x(i))
        parts.append(
            f"<g><title>{figures}</title>"
            f'<circle class="point-all" cx="{x}" cy="{_f(plot.y(series.searches[i]))}" '
            f'r="3"/><rect class="point-zero" x="{_f(plot.x(i) - 2.5)}" '
            f'y="{_f(plot.y(series.zero_results[i]) - 2.5)}" width="5" height="5"/>'
            "</g>"
        )
    return _svg(title, parts)


def searches_by_hour_chart(series: HourlySeries) -> Markup:
    """Bar chart by hour of day: white outlined bars for all searches, narrower grey bars
    inside them for those with no result (both legible in black and white)."""
    title = _("Searches by hour of day")
    x_labels = {hour: str(hour) for hour in range(0, 24, 2)}
    plot, parts = _searches_frame(
        series, 24, title, _("Hour of day (%(zone)s)", zone=series.zone), x_labels
    )
    for hour in range(24):
        figures = escape(
            _(
                "%(hour)02d:00: %(searches)d searches, %(zero)d with no result",
                hour=hour,
                searches=series.searches[hour],
                zero=series.zero_results[hour],
            )
        )
        parts.append(f"<g><title>{figures}</title>")
        for css_class, share, value in (
            ("all", 0.8, series.searches[hour]),
            ("zero", 0.45, series.zero_results[hour]),
        ):
            width = plot.slot_width * share
            top = plot.y(value)
            parts.append(
                f'<rect class="bar-{css_class}" x="{_f(plot.x(hour) - width / 2)}" '
                f'y="{_f(top)}" width="{_f(width)}" '
                f'height="{_f(plot.bottom - top)}"/>'
            )
        parts.append("</g>")
    return _svg(title, parts)
