"""The overview's points chart as inline SVG, drawn on the server so it needs no script."""

from __future__ import annotations

from dataclasses import dataclass

from shopify_app.reporting.overview import PointsByDay

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 48, 24, 12
COLOURS = {"issued": "#008060", "redeemed": "#2c6ecb", "pending": "#b98900", "expired": "#d72c0d"}


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[tuple[str, str, str]]  # (series, colour, SVG points)
    y_ticks: list[tuple[float, int]]
    x_labels: list[tuple[float, str]]
    baseline: float


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value``, so ticks read well."""
    magnitude = 10 ** (len(str(max(value, 1))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return value


def build(points: PointsByDay) -> Chart:
    top = nice_ceiling(max([20, *(max(values) for values in points.series.values() if values)]))
    count = len(points.days)
    plot_w, plot_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP

    def x(i: int) -> float:
        return round(PAD_LEFT + (plot_w * i / max(count - 1, 1)), 1)

    def y(value: int) -> float:
        return round(PAD_TOP + plot_h - plot_h * value / top, 1)

    lines = [
        (name, COLOURS[name], " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values)))
        for name, values in points.series.items()
    ]
    step = max(count // 6, 1)
    return Chart(
        width=WIDTH, height=HEIGHT, lines=lines,
        y_ticks=[(y(top * k // 4), top * k // 4) for k in range(5)],
        x_labels=[(x(i), points.days[i].strftime("%b %d")) for i in range(0, count, step)],
        baseline=y(0),
    )
