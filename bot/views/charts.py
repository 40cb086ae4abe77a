"""The figures as PNG charts (matplotlib's Agg canvas, no pyplot and its global state).

Each chart keeps what it drew, read back from its artists once drawn (the bars' heights or
widths, the term's line), so a test compares the picture's data, not the input, with the
figures. DejaVu Sans, matplotlib's own font, has the Kazakh letters.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.domain.figures import OUTCOMES, Figures
from bot.i18n import Translator

SIZE = (9.0, 5.0)  # inches
DPI = 110
TERM_COLOUR = "#c0392b"
OUTCOME_COLOURS = ("#2e8b57", "#e0a526", "#b03a2e")


@dataclass(frozen=True)
class Chart:
    name: str  # by_month | outcomes | answer_time | by_locality
    title: str
    png: bytes
    labels: tuple[str, ...]  # along the category axis, in order
    # Per series (its legend label): the bars as drawn, one value per label.
    series: Mapping[str, tuple[float, ...]]
    # Reference lines as drawn: {label: position on the value axis}.
    lines: Mapping[str, float] = field(default_factory=dict)
    x_label: str = ""
    y_label: str = ""


def _new(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(title)
    axes.grid(axis="both", alpha=0.25)
    axes.set_axisbelow(True)
    return figure, axes


def _drawn_bars(axes: Axes, *, horizontal: bool = False) -> dict[str, tuple[float, ...]]:
    drawn: dict[str, tuple[float, ...]] = {}
    for container in axes.containers:
        if isinstance(container, BarContainer):
            values = tuple(
                float(bar.get_width() if horizontal else bar.get_height()) for bar in container
            )
            drawn[str(container.get_label())] = values
    return drawn


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _chart(
    name: str,
    title: str,
    figure: Figure,
    axes: Axes,
    labels: Sequence[str],
    *,
    horizontal: bool = False,
) -> Chart:
    lines = {
        str(line.get_label()): float(next(iter(line.get_xdata())))  # type: ignore[arg-type]
        for line in axes.get_lines()
        if not str(line.get_label()).startswith("_")
    }
    return Chart(
        name=name,
        title=title,
        png=_png(figure),
        labels=tuple(labels),
        series=_drawn_bars(axes, horizontal=horizontal),
        lines=lines,
        x_label=axes.get_xlabel(),
        y_label=axes.get_ylabel(),
    )


def _integer_ticks(axes: Axes, *, horizontal: bool = False) -> None:
    (axes.xaxis if horizontal else axes.yaxis).set_major_locator(MaxNLocator(integer=True))


def by_month(figures: Figures, t: Translator, heading: str) -> Chart | None:
    if not figures.received:
        return None
    months = list(figures.by_month)
    labels = [
        t(
            "figures.chart.month_label",
            month=t(f"figures.chart.month_short.{month.month}"),
            year=month.year,
        )
        for month in months
    ]
    title = f"{t('figures.chart.month_title')}\n{heading}"
    figure, axes = _new(title)
    bottoms = [0] * len(months)
    for category, total in figures.by_category.items():
        if not total:
            continue
        heights = [figures.by_month[month].get(category, 0) for month in months]
        axes.bar(labels, heights, bottom=bottoms, label=t(f"category.{category}"))
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    axes.set_xlabel(t("figures.chart.month_x"))
    axes.set_ylabel(t("figures.chart.count_y"))
    _integer_ticks(axes)
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if len(labels) > 6:
        axes.tick_params(axis="x", labelrotation=45)
    return _chart("by_month", title, figure, axes, labels)


def outcomes(figures: Figures, t: Translator, heading: str) -> Chart | None:
    counts = [figures.satisfied, figures.partly, figures.refused]
    if not any(counts):
        return None
    labels = [t(f"staff.outcome.{name}") for name in OUTCOMES]
    title = f"{t('figures.chart.outcome_title')}\n{heading}"
    figure, axes = _new(title)
    bars = axes.bar(labels, counts, color=OUTCOME_COLOURS, label=t("figures.chart.count_y"))
    axes.bar_label(bars)
    axes.set_xlabel(t("figures.chart.outcome_x"))
    axes.set_ylabel(t("figures.chart.count_y"))
    _integer_ticks(axes)
    return _chart("outcomes", title, figure, axes, labels)


def answer_time(figures: Figures, t: Translator, heading: str) -> Chart | None:
    if not figures.answered:
        return None
    last = max([*figures.answer_days, figures.term_days + 1])
    days = list(range(last + 1))
    counts = [figures.answer_days.get(day, 0) for day in days]
    labels = [str(day) for day in days]
    title = f"{t('figures.chart.time_title')}\n{heading}"
    figure, axes = _new(title)
    colours = ["#2e6fa7" if day <= figures.term_days else TERM_COLOUR for day in days]
    axes.bar(days, counts, color=colours, label=t("figures.chart.count_y"))
    # The term ends with its last working day: the line stands just after that bar.
    axes.axvline(
        figures.term_days + 0.5,
        color=TERM_COLOUR,
        linestyle="--",
        label=t("figures.chart.term_line", days=figures.term_days),
    )
    axes.set_xticks(days, labels, fontsize="small" if len(days) > 30 else "medium")
    axes.set_xlabel(t("figures.chart.time_x"))
    axes.set_ylabel(t("figures.chart.count_y"))
    _integer_ticks(axes)
    axes.legend(fontsize="small")
    return _chart("answer_time", title, figure, axes, labels)


def by_locality(figures: Figures, t: Translator, heading: str) -> Chart | None:
    shown = [(key, n) for key, n in figures.by_locality.items() if n]
    if not shown:
        return None
    shown.sort(key=lambda kv: kv[1])  # the largest on top
    labels = [t(f"locality.{key}") for key, _ in shown]
    title = f"{t('figures.chart.locality_title')}\n{heading}"
    figure, axes = _new(title)
    bars = axes.barh(labels, [n for _, n in shown], label=t("figures.chart.count_x"))
    axes.bar_label(bars, padding=2)
    axes.set_xlabel(t("figures.chart.count_x"))
    axes.set_ylabel(t("figures.chart.locality_y"))
    _integer_ticks(axes, horizontal=True)
    return _chart("by_locality", title, figure, axes, labels, horizontal=True)


def draw_charts(figures: Figures, t: Translator) -> list[Chart]:
    """The period's charts in t's language; a chart with nothing to show is left out."""
    heading = figures.period.label()
    drawn = (
        by_month(figures, t, heading),
        outcomes(figures, t, heading),
        answer_time(figures, t, heading),
        by_locality(figures, t, heading),
    )
    return [chart for chart in drawn if chart is not None]
