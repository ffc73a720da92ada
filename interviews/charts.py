"""A server-rendered SVG trend line: no chart library, no script."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 600, 220, 32


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    score: float
    label: str


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


def _y(score: float) -> float:
    return round(HEIGHT - PAD - (HEIGHT - 2 * PAD) * score / 100, 1)


def trend_chart(trend) -> Chart | None:
    """``trend`` is [(session, score)] oldest first; None when there is nothing to draw."""
    if not trend:
        return None
    step = (WIDTH - 2 * PAD) / max(1, len(trend) - 1)
    points = [
        Point(
            x=round(PAD + i * step, 1),
            y=_y(score),
            score=score,
            label=f"{session.started_at:%d %b}",
        )
        for i, (session, score) in enumerate(trend)
    ]
    return Chart(points=points, polyline=" ".join(f"{p.x},{p.y}" for p in points))
