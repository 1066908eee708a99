"""Accessible bar charts drawn on the server: the geometry is computed here, the SVG and its
data table are written by templates/releases/public/_chart.html.

Every chart has a title and a description (SVG <title> and <desc>, named by aria-labelledby
on an svg with role="img"), a value label on or beside every bar, scales that start at zero,
a fill pattern per series (solid, hatched, dotted) with a legend, so nothing depends on
colour, and the same numbers as an HTML table right after it. A missing value (not
reported) draws no bar and says so; it is never drawn as zero. No JavaScript.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

PATTERNS = ("solid", "hatched", "dotted")
FONT = 12  # px, in the chart's own coordinates


@dataclass(frozen=True)
class Series:
    label: str
    values: list  # one per category; None = not reported


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    pattern: str
    text: str  # the value as written beside the bar ("not reported" when missing)
    text_x: float
    text_y: float
    anchor: str = "middle"
    rotate: bool = False  # written upwards along the bar (narrow columns)
    missing: bool = False


@dataclass(frozen=True)
class Label:
    text: str
    x: float
    y: float
    anchor: str = "middle"


@dataclass(frozen=True)
class Tick:
    value: float
    label: str
    # A gridline from (x1, y1) to (x2, y2) and its label at (text_x, text_y).
    x1: float
    y1: float
    x2: float
    y2: float
    text_x: float
    text_y: float
    anchor: str


@dataclass(frozen=True)
class LegendItem:
    label: str
    pattern: str
    x: float
    y: float

    @property
    def text_x(self) -> float:
        return self.x + 22

    @property
    def text_y(self) -> float:
        return self.y + 13


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    orientation: str  # "columns" (categories along the bottom) or "bars" (categories down the side)
    width: float
    height: float
    series: list[Series]
    categories: list[str]
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    legend: list[LegendItem] = field(default_factory=list)
    axis: tuple[float, float, float, float] = (0, 0, 0, 0)  # the zero line: x1, y1, x2, y2
    rows: list[tuple[str, list[str]]] = field(default_factory=list)  # the data table
    unit: str = ""

    @property
    def patterns(self) -> list[str]:
        return [PATTERNS[i % len(PATTERNS)] for i in range(len(self.series))]


def format_value(value) -> str:
    """A figure as people read it in the current language (1,234 · 12.5); "" for None."""
    if value is None:
        return ""
    if isinstance(value, Decimal | float) and value != int(value):
        return formats.number_format(value, decimal_pos=1, use_l10n=True, force_grouping=True)
    return formats.number_format(int(value), decimal_pos=0, use_l10n=True, force_grouping=True)


def nice_scale(maximum: float, *, steps: int = 4, whole: bool = True) -> tuple[float, list[float]]:
    """The top of a scale from zero that holds `maximum`, and its ticks, in round steps
    (whole steps for counts)."""
    maximum = max(float(maximum), 0.0)
    if maximum == 0:
        return 1.0, [0.0, 1.0]
    raw = maximum / steps
    magnitude = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in multiples if m * magnitude >= raw)
    if whole:
        step = max(1, round(step))
    count = math.ceil(maximum / step - 1e-9)
    return round(step * count, 10), [round(step * i, 10) for i in range(count + 1)]


def _numbers(series: list[Series]) -> list[float]:
    return [float(v) for s in series for v in s.values if v is not None]


def _scale(series: list[Series]) -> tuple[float, list[float]]:
    numbers = _numbers(series)
    return nice_scale(max(numbers, default=0), whole=all(n == int(n) for n in numbers))


def _description(title: str, categories: list[str], series: list[Series], top: float, unit: str) -> str:
    parts = [
        _("%(title)s: bar chart from %(first)s to %(last)s, on a scale that starts at 0 and goes to %(top)s.")
        % {
            "title": title,
            "first": categories[0] if categories else "",
            "last": categories[-1] if categories else "",
            "top": f"{format_value(top)} {unit}".strip(),
        }
    ]
    for index, s in enumerate(series):
        known = [(v, c) for v, c in zip(s.values, categories, strict=True) if v is not None]
        pattern = _pattern_name(PATTERNS[index % len(PATTERNS)])
        if not known:
            parts.append(_("%(series)s (%(pattern)s bars): not reported.") % {"series": s.label, "pattern": pattern})
            continue
        high = max(known, key=lambda pair: pair[0])
        low = min(known, key=lambda pair: pair[0])
        text = _("%(series)s (%(pattern)s bars): highest %(high)s (%(high_at)s), lowest %(low)s (%(low_at)s).") % {
            "series": s.label,
            "pattern": pattern,
            "high": format_value(high[0]),
            "high_at": high[1],
            "low": format_value(low[0]),
            "low_at": low[1],
        }
        missing = len(categories) - len(known)
        if missing:
            text += " " + _("Not reported for %(count)s of them.") % {"count": missing}
        parts.append(text)
    parts.append(_("The table that follows lists every value."))
    return " ".join(parts)


def _pattern_name(pattern: str) -> str:
    return {"solid": _("solid"), "hatched": _("hatched"), "dotted": _("dotted")}[pattern]


def _rows(categories: list[str], series: list[Series]) -> list[tuple[str, list[str]]]:
    not_reported = _("not reported")
    return [
        (category, [format_value(s.values[i]) if s.values[i] is not None else not_reported for s in series])
        for i, category in enumerate(categories)
    ]


def _legend(series: list[Series], *, x: float, y: float) -> list[LegendItem]:
    if len(series) < 2:
        return []
    items, cursor = [], x
    for index, s in enumerate(series):
        items.append(LegendItem(label=s.label, pattern=PATTERNS[index % len(PATTERNS)], x=cursor, y=y))
        cursor += 28 + 7.5 * len(s.label)
    return items


def column_chart(chart_id: str, title: str, categories: list[str], series: list[Series], *, unit: str = "") -> Chart:
    """Columns over categories along the bottom (months): one column per series in each."""
    top, ticks = _scale(series)
    many = len(series) > 1
    bar_w, gap = (26, 18) if many else (40, 16)
    left, right = 64, 16
    label_room = 44 if many else 20  # rotated value labels need room above the tallest bar
    plot_top, plot_h = label_room, 200
    bottom = plot_top + plot_h
    group_w = bar_w * len(series) + gap
    width = max(left + group_w * len(categories) + right, 360)
    height = bottom + 30 + (30 if many else 0)

    def y(value: float) -> float:
        return bottom - float(value) / top * plot_h

    chart_ticks = [
        Tick(v, format_value(v), left, y(v), width - right, y(v), left - 8, y(v) + FONT / 3, "end") for v in ticks
    ]
    bars, labels = [], []
    for g, category in enumerate(categories):
        x0 = left + g * group_w + gap / 2
        labels.append(Label(category, x0 + bar_w * len(series) / 2, bottom + 18))
        for s_index, s in enumerate(series):
            value, x = s.values[g], x0 + s_index * bar_w
            pattern = PATTERNS[s_index % len(PATTERNS)]
            if value is None:
                bars.append(
                    Bar(x + 2, bottom, bar_w - 4, 0, pattern, _("n/r"), x + bar_w / 2, bottom - 6, missing=True)
                )
                continue
            top_y = y(value)
            if many:
                bars.append(
                    Bar(
                        x + 2, top_y, bar_w - 4, bottom - top_y, pattern, format_value(value),
                        x + bar_w / 2 + FONT / 3, top_y - 4, anchor="start", rotate=True,
                    )
                )  # fmt: skip
            else:
                bars.append(
                    Bar(x + 4, top_y, bar_w - 8, bottom - top_y, pattern, format_value(value), x + bar_w / 2, top_y - 5)
                )
    return Chart(
        id=chart_id,
        title=title,
        description=_description(title, categories, series, top, unit),
        orientation="columns",
        width=width,
        height=height,
        series=series,
        categories=categories,
        bars=bars,
        labels=labels,
        ticks=chart_ticks,
        legend=_legend(series, x=left, y=bottom + 38),
        axis=(left, bottom, width - right, bottom),
        rows=_rows(categories, series),
        unit=unit,
    )


def bar_chart(chart_id: str, title: str, categories: list[str], series: list[Series], *, unit: str = "") -> Chart:
    """Horizontal bars, one row of bars per category (cities): names read easily on the left."""
    top, ticks = _scale(series)
    many = len(series) > 1
    left, plot_w, right = 150, 360, 110
    bar_h, gap, plot_top = 20, 14, 8
    group_h = bar_h * len(series) + gap
    bottom = plot_top + group_h * len(categories)
    width = left + plot_w + right
    height = bottom + 28 + (30 if many else 0)

    def x(value: float) -> float:
        return left + float(value) / top * plot_w

    chart_ticks = [Tick(v, format_value(v), x(v), plot_top, x(v), bottom, x(v), bottom + 18, "middle") for v in ticks]
    bars, labels = [], []
    for g, category in enumerate(categories):
        y0 = plot_top + g * group_h + gap / 2
        labels.append(Label(category, left - 8, y0 + bar_h * len(series) / 2 + FONT / 3, anchor="end"))
        for s_index, s in enumerate(series):
            value, y = s.values[g], y0 + s_index * bar_h
            pattern = PATTERNS[s_index % len(PATTERNS)]
            text_y = y + bar_h / 2 + FONT / 3
            if value is None:
                bars.append(
                    Bar(left, y + 2, 0, bar_h - 4, pattern, _("not reported"), left + 6, text_y, "start", missing=True)
                )
                continue
            end = x(value)
            bars.append(
                Bar(left, y + 2, end - left, bar_h - 4, pattern, format_value(value), end + 6, text_y, anchor="start")
            )
    return Chart(
        id=chart_id,
        title=title,
        description=_description(title, categories, series, top, unit),
        orientation="bars",
        width=width,
        height=height,
        series=series,
        categories=categories,
        bars=bars,
        labels=labels,
        ticks=chart_ticks,
        legend=_legend(series, x=left, y=bottom + 34),
        axis=(left, plot_top, left, bottom),
        rows=_rows(categories, series),
        unit=unit,
    )
