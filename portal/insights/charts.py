"""Server-side SVG charts for the insight pages: no JavaScript, readable in black and white.

Matplotlib's object API (``Figure``, never pyplot, so no global figure state); text stays
SVG text (``svg.fonttype = none``) so the browser draws Chinese labels with its own fonts.
Drawing holds a lock (matplotlib's rc settings and font cache are process-wide), and the
SVG of the same figures and labels is cached: the rollups change a few times an hour.
Matplotlib is imported where a chart is drawn, not with this module: loading it costs
about a second of CPU that every process and CLI command paid at start-up."""

from __future__ import annotations

import io
import re
import threading
import warnings
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.insights.query_reports import DailySeries, HourlySeries

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 7.2, 3.0, 100  # about 720 x 300 px
# For measuring text only: the page's stylesheet picks the fonts the browser draws with.
FONTS = ["DejaVu Sans", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC",
         "Microsoft YaHei"]
CACHE_SIZE = 64
_lock = threading.Lock()
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_OPEN_TAG = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(?:width|height)="[^"]*"')


@contextmanager
def _drawing(name: str):
    """Hold the lock and the chart's rc settings while a figure is built and saved (fonts
    are picked when text is created, glyphs measured when it is drawn)."""
    import matplotlib  # slow to import: only when a chart is drawn

    settings = {"svg.fonttype": "none", "svg.hashsalt": name, "font.family": "sans-serif",
                "font.sans-serif": FONTS}
    with _lock, matplotlib.rc_context(settings), warnings.catch_warnings():
        # Glyphs the measuring fonts lack are only measured here; the browser draws them.
        warnings.simplefilter("ignore", UserWarning)
        yield


def _figure() -> tuple[Figure, object]:
    from matplotlib.figure import Figure  # slow to import: only when a chart is drawn

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#cccccc", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _finish(ax, title: str, x_label: str, y_label: str) -> None:
    ax.set_ylim(bottom=0)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, loc="left")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    # Above the plot, right of the title: never over the data.
    ax.legend(loc="lower right", bbox_to_anchor=(1, 1), ncols=2, frameon=False)


def _to_svg(fig: Figure, title: str) -> str:
    """The figure as an inline <svg> element (no XML prolog, scalable, with a <title>)."""
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    label = escape(title)

    def open_tag(match: re.Match) -> str:
        # Drop the fixed size (the viewBox stays, CSS scales it); name it for screen readers.
        tag = _SIZE.sub("", match.group(0))
        return (f'{tag[:-1]} role="img" aria-label="{label}" class="chart-svg">'
                f"<title>{label}</title>")

    svg = _PROLOG.sub("", buffer.getvalue(), count=1)
    return _OPEN_TAG.sub(open_tag, svg, count=1)


@lru_cache(maxsize=CACHE_SIZE)
def _day_svg(days: tuple[date, ...], searches: tuple[int, ...], zero: tuple[int, ...],
             labels: tuple[str, ...]) -> str:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # see _figure()

    title, searches_label, zero_label, x_label = labels
    with _drawing("searches-per-day"):
        fig, ax = _figure()
        ax.plot(days, searches, color="black", linestyle="-", marker="o", markersize=3,
                linewidth=1.5, label=searches_label)
        ax.plot(days, zero, color="#555555", linestyle="--", marker="s", markersize=3,
                linewidth=1.2, label=zero_label)
        locator = AutoDateLocator(maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        _finish(ax, title, x_label, searches_label)
        return _to_svg(fig, title)


@lru_cache(maxsize=CACHE_SIZE)
def _hour_svg(searches: tuple[int, ...], zero: tuple[int, ...],
              labels: tuple[str, ...]) -> str:
    title, searches_label, zero_label, x_label = labels
    hours = list(range(24))
    with _drawing("searches-by-hour"):
        fig, ax = _figure()
        ax.bar(hours, searches, width=0.8, color="white", edgecolor="black", hatch="//",
               linewidth=0.8, label=searches_label)
        ax.bar(hours, zero, width=0.45, color="#888888", edgecolor="black", linewidth=0.6,
               label=zero_label)
        ax.set_xticks(range(0, 24, 2))
        ax.set_xlim(-0.7, 23.7)
        _finish(ax, title, x_label, searches_label)
        return _to_svg(fig, title)


def searches_per_day_chart(series: DailySeries) -> Markup:
    """Line chart: searches per day (solid, round markers) and those with no result
    (dashed, square markers)."""
    labels = (_("Searches per day"), _("Searches"), _("No result"),
              _("Date (%(zone)s)", zone=series.zone))
    return Markup(_day_svg(tuple(series.days), tuple(series.searches),
                           tuple(series.zero_results), labels))


def searches_by_hour_chart(series: HourlySeries) -> Markup:
    """Bar chart by hour of day: white hatched bars for all searches, narrower grey bars
    inside them for those with no result (both legible in black and white)."""
    labels = (_("Searches by hour of day"), _("Searches"), _("No result"),
              _("Hour of day (%(zone)s)", zone=series.zone))
    return Markup(_hour_svg(tuple(series.searches), tuple(series.zero_results), labels))
