"""Server-rendered SVG charts: no script, no outside assets, black and grey so they
print well on an office laser printer and read the same on screen.

The rate chart has the weekly "has QR" rate as its black line (round dots) and, when
banks have reported, the monthly "paid by QR" rate as a grey line (square dots) at each
month's last day; the page names both in a legend under the chart.

The chart is a picture (``role="img"``) with a title and a one-sentence description;
the page puts the same numbers in a table next to it for anyone who cannot see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from flask_babel import gettext as _
from markupsafe import Markup, escape

from market4.dashboard.activity import MonthPoint
from market4.dashboard.trends import TrendPoint
from market4.formatting import vn_date, vn_month, vn_number, vn_percent


@dataclass(frozen=True)
class ChartBox:
    """The drawing area inside the SVG's viewBox, in SVG units."""

    width: int = 680
    height: int = 290
    left: int = 52
    right: int = 64
    top: int = 16
    bottom: int = 44

    # Label a date under every n-th week, counting back from the last point.
    label_every: int = 4
    font_size: int = 13

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


Y_TICKS = (0, 20, 40, 60, 80, 100)
# A phone gets its own, narrower drawing: scaling the wide one down would shrink the
# labels below reading size (the page shows one or the other with CSS).
WIDE = ChartBox()
NARROW = ChartBox(width=380, height=240, left=40, right=52, label_every=8, font_size=12)


@dataclass(frozen=True)
class RateCharts:
    wide: Markup
    narrow: Markup


def rate_charts(
    points: list[TrendPoint],
    *,
    threshold: Fraction,
    threshold_label: str,
    months: list[MonthPoint] | None = None,
) -> RateCharts:
    """The weekly rate chart drawn for a wide screen (and paper) and for a phone."""
    return RateCharts(
        wide=rate_chart_svg(
            points,
            threshold=threshold,
            threshold_label=threshold_label,
            element_id="trend-wide",
            box=WIDE,
            months=months,
        ),
        narrow=rate_chart_svg(
            points,
            threshold=threshold,
            threshold_label=threshold_label,
            element_id="trend-narrow",
            box=NARROW,
            months=months,
        ),
    )


def rate_chart_svg(
    points: list[TrendPoint],
    *,
    threshold: Fraction,
    threshold_label: str,
    element_id: str = "trend",
    box: ChartBox = WIDE,
    months: list[MonthPoint] | None = None,
) -> Markup:
    """A line of the acceptance rate at each week end, with the threshold as a dashed line,
    and the months' "paid by QR" rate that fall within the weeks shown."""
    if not points:
        return Markup("")
    shown_months = [m for m in months or () if points[0].day <= m.day <= points[-1].day]
    title_id, desc_id = f"{element_id}-title", f"{element_id}-desc"
    parts = [
        f'<svg class="chart {element_id}" id="{element_id}" viewBox="0 0 {box.width} {box.height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="{box.font_size}">',
        f'<title id="{title_id}">{escape(_("Tỉ lệ tiểu thương chấp nhận TTKDTM theo tuần"))}</title>',
        f'<desc id="{desc_id}">{escape(_describe(points, shown_months))}</desc>',
        *_y_axis(box),
        *_x_axis(points, box),
        *_threshold_line(float(threshold), threshold_label, box),
        *_paid_line(shown_months, points, box),
        *_rate_line(points, box),
        "</svg>",
    ]
    return Markup("\n".join(parts))


def _describe(points: list[TrendPoint], months: list[MonthPoint]) -> str:
    first, last = points[0], points[-1]
    weeks = _(
        "Từ %(start)s đến %(end)s, tỉ lệ đi từ %(from_rate)s lên %(to_rate)s "
        "(%(accepting)s/%(total)s tiểu thương).",
        start=vn_date(first.day),
        end=vn_date(last.day),
        from_rate=vn_percent(first.rate),
        to_rate=vn_percent(last.rate),
        accepting=vn_number(last.stalls_accepting),
        total=vn_number(last.stalls_total),
    )
    if not months:
        return weeks
    paid = months[-1]
    return (
        weeks
        + " "
        + _(
            "Nhận tiền qua QR tháng %(month)s: %(rate)s (%(paid)s/%(total)s tiểu thương).",
            month=vn_month(paid.month),
            rate=vn_percent(paid.paid_rate),
            paid=vn_number(paid.stalls_paid),
            total=vn_number(paid.stalls_total),
        )
    )


def _x(index_day: int, span_days: int, box: ChartBox) -> float:
    return box.left + (box.plot_width * index_day / span_days if span_days else box.plot_width)


def _y(rate: float, box: ChartBox) -> float:
    return box.top + box.plot_height * (1 - rate)


def _y_axis(box: ChartBox) -> list[str]:
    lines = []
    for tick in Y_TICKS:
        y = _y(tick / 100, box)
        # The 0% line is the axis itself; the others are faint guides.
        stroke = "#000" if tick == 0 else "#c8c8c8"
        lines.append(
            f'<line x1="{box.left}" x2="{box.width - box.right}" y1="{y:.1f}" '
            f'y2="{y:.1f}" stroke="{stroke}" stroke-width="1"/>'
        )
        lines.append(
            f'<text x="{box.left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#333">{tick}%</text>'
        )
    return lines


def _x_axis(points: list[TrendPoint], box: ChartBox) -> list[str]:
    start, end = points[0].day, points[-1].day
    span = (end - start).days
    base = _y(0, box)
    marks = []
    last_index = len(points) - 1
    for index, point in enumerate(points):
        # Label every few weeks counting back from the last point, which is always labelled.
        from_end = last_index - index
        if from_end % box.label_every:
            continue
        x = _x((point.day - start).days, span, box)
        marks.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base:.1f}" y2="{base + 5:.1f}" stroke="#000"/>'
        )
        marks.append(
            f'<text x="{x:.1f}" y="{base + 19:.1f}" text-anchor="middle" '
            f'fill="#333">{point.day.strftime("%d/%m")}</text>'
        )
    caption = escape(
        _("Cuối tuần (ngày/tháng), năm %(year)s", year=end.year)
        if start.year == end.year
        else _("Cuối tuần (ngày/tháng)")
    )
    marks.append(
        f'<text x="{box.left + box.plot_width / 2:.1f}" y="{box.height - 4}" '
        f'text-anchor="middle" fill="#555">{caption}</text>'
    )
    return marks


def _threshold_line(threshold: float, label: str, box: ChartBox) -> list[str]:
    y = _y(min(threshold, 1.0), box)
    # Labelled at the left, above the line: the rate line starts low there, so they never meet.
    return [
        f'<line x1="{box.left}" x2="{box.width - box.right}" y1="{y:.1f}" y2="{y:.1f}" '
        f'stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>',
        f'<text x="{box.left + 6}" y="{y - 6:.1f}" fill="#333">'
        f"{escape(_('Ngưỡng %(value)s', value=label))}</text>",
    ]


def _rate_line(points: list[TrendPoint], box: ChartBox) -> list[str]:
    start = points[0].day
    span = (points[-1].day - start).days
    coordinates = [(_x((p.day - start).days, span, box), _y(p.rate or 0.0, box), p) for p in points]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coordinates)
    shapes = [
        f'<polyline points="{path}" fill="none" stroke="#000" stroke-width="2.5" '
        f'stroke-linejoin="round"/>'
    ]
    for x, y, point in coordinates:
        tip = (
            f"{vn_date(point.day)}: {vn_percent(point.rate)} "
            f"({vn_number(point.stalls_accepting)}/{vn_number(point.stalls_total)})"
        )
        shapes.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#000">'
            f"<title>{escape(tip)}</title></circle>"
        )
    x, y, last = coordinates[-1]
    # The latest value, in the right margin beside its dot: the figure people look for.
    shapes.append(
        f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" font-weight="700" '
        f'fill="#000">{escape(vn_percent(last.rate))}</text>'
    )
    return shapes


def _paid_line(months: list[MonthPoint], points: list[TrendPoint], box: ChartBox) -> list[str]:
    """The months' "paid by QR" rate: a grey line with square dots, under the black one."""
    if not months:
        return []
    start = points[0].day
    span = (points[-1].day - start).days
    coordinates = [
        (_x((m.day - start).days, span, box), _y(m.paid_rate or 0.0, box), m) for m in months
    ]
    shapes = []
    if len(coordinates) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in coordinates)
        shapes.append(
            f'<polyline points="{path}" fill="none" stroke="#555" stroke-width="2" '
            f'stroke-linejoin="round"/>'
        )
    for x, y, month in coordinates:
        tip = _(
            "Tháng %(month)s: %(rate)s nhận tiền qua QR (%(paid)s/%(total)s)",
            month=vn_month(month.month),
            rate=vn_percent(month.paid_rate),
            paid=vn_number(month.stalls_paid),
            total=vn_number(month.stalls_total),
        )
        shapes.append(
            f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="#555">'
            f"<title>{escape(tip)}</title></rect>"
        )
    return shapes
