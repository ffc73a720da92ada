"""Server-rendered SVG charts for the progress page: no chart library, no script."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD, BOTTOM = 480, 240, 36, 34
MAX_DATE_LABELS = 6
BAR_HEIGHT, BAR_GAP, BAR_LABEL = 22, 10, 215


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    score: float
    label: str  # the interview's date

    @property
    def value_y(self) -> float:
        return round(self.y - 10, 1)


@dataclass(frozen=True)
class Chart:
    points: list[Point]
    polyline: str
    width: int = WIDTH
    height: int = HEIGHT
    pad: int = PAD

    @property
    def gridlines(self) -> list[tuple[float, int]]:
        return [(_y(v), v) for v in (0, 25, 50, 75, 100)]

    @property
    def date_labels(self) -> list[Point]:
        """At most a handful of dates under the axis, evenly spread, first and last too."""
        n = len(self.points)
        if n <= MAX_DATE_LABELS:
            return self.points
        picks = sorted({round(i * (n - 1) / (MAX_DATE_LABELS - 1)) for i in range(MAX_DATE_LABELS)})
        return [self.points[i] for i in picks]

    @property
    def axis_y(self) -> float:
        return HEIGHT - BOTTOM + 20

    @property
    def y_label_x(self) -> int:
        return PAD - 6


def _y(score: float) -> float:
    return round(HEIGHT - BOTTOM - (HEIGHT - BOTTOM - PAD / 2) * score / 100, 1)


def trend_chart(trend) -> Chart | None:
    """``trend`` is [(session, score)] oldest first; None when there is nothing to draw."""
    if not trend:
        return None
    step = (WIDTH - 2 * PAD) / max(1, len(trend) - 1)
    points = [
        Point(
            x=round(PAD + i * step, 1) if len(trend) > 1 else WIDTH / 2,
            y=_y(score),
            score=score,
            label=f"{session.started_at:%-d %b}",
        )
        for i, (session, score) in enumerate(trend)
    ]
    return Chart(points=points, polyline=" ".join(f"{p.x},{p.y}" for p in points))


@dataclass(frozen=True)
class Bar:
    name: str
    score: float
    answers: int
    y: int
    width: float

    @property
    def text_y(self) -> int:
        return self.y + 16


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int = WIDTH
    label_width: int = BAR_LABEL
    bar_height: int = BAR_HEIGHT

    @property
    def name_x(self) -> int:
        return BAR_LABEL - 8

    @property
    def value_x(self) -> int:
        return BAR_LABEL + 6

    @property
    def height(self) -> int:
        return len(self.bars) * (BAR_HEIGHT + BAR_GAP)


def topic_bars(by_topic) -> BarChart | None:
    """``by_topic`` is [(slug, name, average, answers)], weakest first."""
    if not by_topic:
        return None
    room = WIDTH - BAR_LABEL - 40
    return BarChart(
        bars=[
            Bar(
                name=name,
                score=avg,
                answers=n,
                y=i * (BAR_HEIGHT + BAR_GAP),
                width=round(max(2.0, room * avg / 100), 1),
            )
            for i, (_slug, name, avg, n) in enumerate(by_topic)
        ]
    )
