"""Charts drawn on the server as inline SVG: horizontal bars, one row a label.

Pure functions of their numbers (no database, no JavaScript, nothing downloaded). Each chart
is an ``<svg role="img">`` named by its ``<title>`` and described by its ``<desc>``; the
page puts a table with the same numbers beside it, for screen readers and for anyone who
would rather read. Colours are GOV.UK Design System colours; every mark that carries meaning
contrasts at least 3:1 with the white background, and every bar has its figure written at
its end, so colour is never the only cue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markupsafe import Markup, escape

BLUE = "#1d70b8"  # a value (5.2:1 on white)
GREEN = "#00703c"  # a value at or past the goal (5.9:1)
DARK_GREY = "#505a5f"  # outlines, axes (7:1)
BLACK = "#0b0c0c"  # text and the goal line
WIDTH = 960  # drawn at about its size in the page's main column (scaled down on phones)
LABEL = 260  # the label column
FIGURE = 110  # room after the longest bar for its figure
ROW = 30
BAR = 20
TOP = 44  # room for the legend and the goal's label
BOTTOM = 12
CHAR = 8  # about the width of a character at 15 units (Arial), for shortening labels
FONT = 'font-family="arial, sans-serif"'


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float | None  # None: nothing to draw (not known); ``text`` says why
    text: str  # the figure written at the bar's end
    behind: float | None = None  # an outlined bar behind the value (e.g. places allocated)
    reached: bool = False  # drawn in green: at or past the goal


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    bars: list[Bar],
    *,
    maximum: float | None = None,
    goal: float | None = None,
    goal_text: str = "",
    legend: list[tuple[str, str]] | None = None,
    width: int = WIDTH,
    label_width: int = LABEL,
    figure_width: int = FIGURE,
) -> Markup:
    """One horizontal bar per row, scaled to ``maximum`` (default: the largest value);
    ``goal`` draws a dashed vertical line at that value, labelled ``goal_text``;
    ``legend`` is ``[(kind, text)]`` with kind ``"value"`` or ``"behind"``. ``width``, the
    label column and the room after the longest bar for its figure are in the SVG's units,
    about pixels at full size."""
    largest = max([b.value or 0 for b in bars] + [b.behind or 0 for b in bars] + [goal or 0])
    maximum = maximum or largest or 1
    span = width - label_width - figure_width
    top_room = TOP if legend or goal is not None else 8
    height = top_room + ROW * max(len(bars), 1) + BOTTOM

    def x(value: float) -> float:
        return label_width + span * min(value, maximum) / maximum

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT}>',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    parts += _legend(legend or [])
    figures = []  # drawn last, over the goal line, each on a white halo
    for i, bar in enumerate(bars):
        top = top_room + i * ROW
        middle = top + ROW / 2
        label = _shorten(bar.label, (label_width - 10) // CHAR)
        parts.append(
            f'<text x="{label_width - 10}" y="{middle + 5:g}" text-anchor="end" font-size="15" '
            f'fill="{BLACK}">{escape(label)}</text>'
        )
        end = label_width
        if bar.behind is not None:
            parts.append(
                f'<rect x="{label_width}" y="{top + (ROW - BAR) / 2:g}" '
                f'width="{x(bar.behind) - label_width:.1f}" height="{BAR}" fill="#ffffff" '
                f'stroke="{DARK_GREY}" stroke-width="2"/>'
            )
            end = x(bar.behind)
        if bar.value is not None:
            colour = GREEN if bar.reached else BLUE
            inset = 4 if bar.behind is not None else 0
            parts.append(
                f'<rect x="{label_width}" y="{top + (ROW - BAR) / 2 + inset:g}" '
                f'width="{x(bar.value) - label_width:.1f}" height="{BAR - 2 * inset}" '
                f'fill="{colour}"/>'
            )
            end = max(end, x(bar.value))
        figures.append(
            f'<text x="{end + 8:.1f}" y="{middle + 5:g}" font-size="15" fill="{BLACK}" '
            f'stroke="#ffffff" stroke-width="4" paint-order="stroke">'
            f"{escape(bar.text)}</text>"
        )
    bottom = top_room + ROW * len(bars)
    parts.append(
        f'<line x1="{label_width}" y1="{top_room - 4}" x2="{label_width}" y2="{bottom + 4}" '
        f'stroke="{DARK_GREY}" stroke-width="2"/>'
    )
    if goal is not None:
        at = x(goal)
        parts.append(
            f'<line x1="{at:.1f}" y1="{top_room - 8}" x2="{at:.1f}" y2="{bottom + 4}" '
            f'stroke="{BLACK}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{at:.1f}" y="{top_room - 14}" text-anchor="middle" font-size="15" '
            f'font-weight="bold" fill="{BLACK}">{escape(goal_text)}</text>'
        )
    parts += figures
    parts.append("</svg>")
    return Markup("".join(parts))


def _shorten(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[: chars - 1].rstrip() + "…"


def _legend(items: list[tuple[str, str]]) -> list[str]:
    parts, left = [], 0
    for kind, text in items:
        if kind == "behind":
            swatch = f'fill="#ffffff" stroke="{DARK_GREY}" stroke-width="2"'
        else:
            swatch = f'fill="{GREEN if kind == "reached" else BLUE}"'
        parts.append(f'<rect x="{left + 1}" y="6" width="16" height="16" {swatch}/>')
        parts.append(
            f'<text x="{left + 24}" y="19" font-size="15" fill="{BLACK}">{escape(text)}</text>'
        )
        left += 24 + 8 * len(text) + 24
    return parts


def percent(share: float | None) -> str:
    """``0.6496`` as "64.9%": one decimal, rounded down, so that a share short of the goal
    never reads as the goal; "not known" without a share."""
    if share is None:
        return "not known"
    tenths = math.floor(round(share * 1000, 6))
    return f"{tenths / 10:.1f}%"
