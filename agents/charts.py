"""Charts of the analytics page as inline SVG, drawn on the server.

No script and no third-party host: the geometry is computed here and one template
(`agents/_chart.html`) draws any chart, so the charts work under the CSP, offline and
without JavaScript. Coordinates are strings ("12.5"), never localised; the figures
shown are formatted by the caller in the page's language (`display`). Every chart
carries its own table (`head`, `rows`), which the template offers to screen readers.

The view box is phone-sized (360 wide): on a 360 px screen the text is drawn at its
nominal size, on wider screens the chart scales up to the card's width.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

WIDTH = 360
ROW_HEIGHT = 22
FONT_SIZE = 11
LABEL_WIDTH = 140
VALUE_WIDTH = 56
PLOT_HEIGHT = 140
PAD = 8
# Longer category names are cut in the chart (the table shows them whole).
LABEL_CHARS = 20


def _n(value: float) -> str:
    return f"{value:.1f}"


@dataclass(frozen=True)
class Bar:
    x: str
    y: str
    width: str
    height: str
    label: str
    value: float
    display: str


@dataclass(frozen=True)
class Text:
    x: str
    y: str
    text: str
    anchor: str = "start"


@dataclass(frozen=True)
class Line:
    x1: str
    y1: str
    x2: str
    y2: str


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    points: str
    dots: list[tuple[str, str, str]]  # x, y, tooltip


@dataclass(frozen=True)
class Chart:
    kind: str  # "bars" (horizontal), "columns" (vertical) or "lines"
    height: int
    head: list[str]
    rows: list[list[str]]
    bars: list[Bar] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    grid: list[Line] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    width: int = WIDTH

    @property
    def is_empty(self) -> bool:
        return not self.rows


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    display: Callable[[float], str],
    head: list[str],
    maximum: float | None = None,
) -> Chart:
    """Horizontal bars, one row per item: label left, bar, figure right. For categories
    with long names (reasons, intents, agents), which stay readable on a phone."""
    top = maximum if maximum is not None else max((value for _label, value in items), default=0)
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars, texts = [], []
    for position, (label, value) in enumerate(items):
        y = PAD + position * ROW_HEIGHT
        length = plot * value / top if top else 0
        shown = display(value)
        bars.append(
            Bar(
                x=_n(LABEL_WIDTH),
                y=_n(y + 4),
                width=_n(max(length, 1 if value else 0)),
                height=_n(ROW_HEIGHT - 8),
                label=label,
                value=value,
                display=shown,
            )
        )
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        texts.append(Text(x=_n(LABEL_WIDTH - 4), y=_n(y + 15), text=short, anchor="end"))
        texts.append(Text(x=_n(LABEL_WIDTH + length + 4), y=_n(y + 15), text=shown))
    return Chart(
        kind="bars",
        height=int(2 * PAD + len(items) * ROW_HEIGHT),
        head=head,
        rows=[[label, bar.display] for (label, _value), bar in zip(items, bars, strict=True)],
        bars=bars,
        texts=texts,
    )


def column_chart(
    items: Sequence[tuple[str, float]],
    *,
    display: Callable[[float], str],
    head: list[str],
    label_every: int = 1,
) -> Chart:
    """Vertical columns over an ordered axis (hours of the day, duration buckets)."""
    top = max((value for _label, value in items), default=0)
    # The scale's one figure (the largest value) stands above the plot, clear of the bars.
    left, bottom = PAD, 2 * PAD + FONT_SIZE + PLOT_HEIGHT
    step = (WIDTH - 2 * PAD) / max(len(items), 1)
    bars, texts = [], []
    grid = [Line(x1=_n(left), y1=_n(bottom), x2=_n(WIDTH - PAD), y2=_n(bottom))]
    for position, (label, value) in enumerate(items):
        height = PLOT_HEIGHT * value / top if top else 0
        x = left + position * step
        bars.append(
            Bar(
                x=_n(x + 1),
                y=_n(bottom - height),
                width=_n(max(step - 2, 1)),
                height=_n(height),
                label=label,
                value=value,
                display=display(value),
            )
        )
        if position % label_every == 0:
            texts.append(Text(x=_n(x + step / 2), y=_n(bottom + 14), text=label, anchor="middle"))
    if top:
        texts.append(
            Text(
                x=_n(left),
                y=_n(PAD + FONT_SIZE - 2),
                text=_("max. %(value)s") % {"value": display(top)},
            )
        )
        grid.append(
            Line(
                x1=_n(left),
                y1=_n(bottom - PLOT_HEIGHT),
                x2=_n(WIDTH - PAD),
                y2=_n(bottom - PLOT_HEIGHT),
            )
        )
    return Chart(
        kind="columns",
        height=bottom + PAD + 14,
        head=head,
        rows=[[bar.label, bar.display] for bar in bars],
        bars=bars,
        texts=texts,
        grid=grid,
    )


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    display: Callable[[float], str],
    head: list[str],
    label_every: int = 7,
    axis_labels: Sequence[str] | None = None,
) -> Chart:
    """Shares between 0 and 1 over time (automation, answer precision per day): one
    polyline per (key, label, values); a missing value (no data that day) is no dot.
    `axis_labels` (shorter) replace `labels` under the axis; the table keeps `labels`."""
    left, right, top, bottom = PAD + 38, WIDTH - PAD, PAD + 4, PAD + 4 + PLOT_HEIGHT
    step = (right - left) / max(len(labels) - 1, 1)
    drawn = []
    for key, label, values in series:
        dots = []
        for position, value in enumerate(values):
            if value is None:
                continue
            x, y = left + position * step, bottom - (bottom - top) * float(value)
            dots.append((_n(x), _n(y), f"{labels[position]}: {display(value)}"))
        drawn.append(
            Series(
                key=key, label=label, points=" ".join(f"{x},{y}" for x, y, _t in dots), dots=dots
            )
        )
    grid = [
        Line(x1=_n(left), y1=_n(y), x2=_n(right), y2=_n(y))
        for y in (top, (top + bottom) / 2, bottom)
    ]
    texts = [
        Text(x=_n(left - 4), y=_n(top + 4), text=display(1), anchor="end"),
        Text(x=_n(left - 4), y=_n(bottom + 4), text=display(0), anchor="end"),
    ]
    texts += [
        Text(x=_n(left + position * step), y=_n(bottom + 16), text=label, anchor="middle")
        for position, label in enumerate(axis_labels or labels)
        if position % label_every == 0
    ]
    rows = [
        [label, *("—" if values[i] is None else display(values[i]) for _k, _l, values in series)]
        for i, label in enumerate(labels)
    ]
    return Chart(
        kind="lines",
        height=PLOT_HEIGHT + 2 * PAD + 26,
        head=head,
        rows=rows,
        texts=texts,
        grid=grid,
        series=drawn,
    )
