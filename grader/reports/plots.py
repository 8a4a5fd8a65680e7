"""Small pictures for the feedback reports, written as SVG by hand: a training-loss curve and a heat map of errors.

Every number is formatted and every text escaped here, so the SVG is the grader's own markup: the HTML report
embeds it inline and the Markdown report as a ``data:`` URI, with no plotting library and nothing fetched.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from html import escape
from typing import Sequence

from markupsafe import Markup

FONT = "font-family=\"system-ui, 'DejaVu Sans', Arial, sans-serif\""
SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" ' \
           'aria-label="{label}">'
CELL = 22


@dataclass(frozen=True)
class Frame:
    """A chart's plotting area in pixels and the data it maps there: epochs 1..n across, [low, high] upwards."""

    left: float
    top: float
    right: float
    bottom: float
    epochs: int
    low: float
    high: float

    def x(self, epoch: int) -> float:
        """Where an epoch sits across (a single epoch in the middle)."""
        share = (epoch - 1) / (self.epochs - 1) if self.epochs > 1 else 0.5
        return self.left + (self.right - self.left) * share

    def y(self, value: float) -> float:
        """Where a loss sits upwards."""
        return self.top + (self.bottom - self.top) * (self.high - value) / (self.high - self.low)


def loss_curve(losses: Sequence[float]) -> Markup:
    """A line chart of the mean training loss per epoch, with labelled axes and ticks."""
    width, height = 440, 250
    low, high, ticks = axis_range(min(losses), max(losses))
    frame = Frame(62, 30, width - 18, height - 46, len(losses), low, high)
    points = [(frame.x(epoch), frame.y(value)) for epoch, value in enumerate(losses, start=1)]
    parts = [SVG_OPEN.format(w=width, h=height, label="mean training loss per epoch"),
             f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
             text(width / 2, 18, "Mean training loss per epoch (as fit returned it)", "middle", bold=True),
             *axes(frame, ticks),
             '<polyline fill="none" stroke="#1f6feb" stroke-width="2" points="'
             + " ".join(f"{px:.1f},{py:.1f}" for px, py in points) + '"/>']
    for epoch, ((px, py), value) in enumerate(zip(points, losses), start=1):
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="#1f6feb">'
                     f'<title>epoch {epoch}: {value:.4g}</title></circle>')
    return Markup("".join(parts) + "</svg>")


def axes(frame: Frame, ticks: Sequence[float]) -> list[str]:
    """A chart's horizontal grid lines with their values, the epoch labels, both axes and their names."""
    parts = []
    for tick in ticks:
        parts.append(f'<line x1="{frame.left}" x2="{frame.right}" y1="{frame.y(tick):.1f}" '
                     f'y2="{frame.y(tick):.1f}" stroke="#e3e5e8"/>')
        parts.append(text(frame.left - 6, frame.y(tick) + 4, f"{tick:g}", "end"))
    parts += [text(frame.x(epoch), frame.bottom + 16, str(epoch), "middle") for epoch in epoch_ticks(frame.epochs)]
    axis = 'stroke="#5c6370"'
    return parts + [f'<line x1="{frame.left}" x2="{frame.left}" y1="{frame.top}" y2="{frame.bottom}" {axis}/>',
                    f'<line x1="{frame.left}" x2="{frame.right}" y1="{frame.bottom}" y2="{frame.bottom}" {axis}/>',
                    text((frame.left + frame.right) / 2, frame.bottom + 38, "epoch", "middle"),
                    vertical_text(14, (frame.top + frame.bottom) / 2, "mean loss")]


def heat_map(expected: Sequence[Sequence[float]], actual: Sequence[Sequence[float]], scale: float,
             caption: str) -> Markup:
    """A grid of |expected - actual| for one 2-D slice, white for 0 up to dark red for ``scale``; black where
    the error is not finite. Each cell's tooltip gives its index and both values."""
    rows, cols = len(expected), len(expected[0])
    left, top = 28, 52
    width, height = max(left + cols * CELL + 8, 150), top + rows * CELL + 40
    parts = [SVG_OPEN.format(w=width, h=height, label=escape(f"heat map of |expected - yours| for {caption}")),
             f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
             text(left, 14, "|expected \u2212 yours|", "start", bold=True), text(left, 28, caption, "start")]
    parts += [text(left + c * CELL + CELL / 2, top - 5, str(c), "middle", small=True) for c in range(cols)]
    parts += [text(left - 5, top + r * CELL + CELL / 2 + 3, str(r), "end", small=True) for r in range(rows)]
    for r in range(rows):
        for c in range(cols):
            error = abs_error(expected[r][c], actual[r][c])
            tip = f"[{r}, {c}]: expected {expected[r][c]:.6g}, yours {actual[r][c]:.6g}, error {error:.4g}"
            parts.append(f'<rect x="{left + c * CELL}" y="{top + r * CELL}" width="{CELL}" height="{CELL}" '
                         f'fill="{heat_color(error, scale)}" stroke="#ffffff"><title>{escape(tip)}</title></rect>')
    parts += legend(left, top + rows * CELL + 12, scale)
    return Markup("".join(parts) + "</svg>")


def legend(x: float, y: float, scale: float) -> list[str]:
    """The colour scale under a heat map: a strip from 0 to ``scale`` with both ends labelled."""
    steps = 10
    colours = [heat_color(scale * i / (steps - 1), scale) for i in range(steps)]
    strip = [f'<rect x="{x + i * 10}" y="{y}" width="10" height="8" fill="{colour}"/>'
             for i, colour in enumerate(colours)]
    return strip + [text(x, y + 20, "0", "start", small=True),
                    text(x + steps * 10, y + 20, f"{scale:.3g}", "end", small=True)]


def abs_error(expected: float, actual: float) -> float:
    """|expected - actual|, infinite when either is not a finite number."""
    error = abs(float(expected) - float(actual))
    return error if math.isfinite(error) else math.inf


def heat_color(error: float, scale: float) -> str:
    """White for no error, through orange to dark red at ``scale``; black for a non-finite error."""
    if not math.isfinite(error):
        return "#000000"
    fraction = min(error / scale, 1.0) if scale > 0 else 0.0
    red = round(255 - 75 * fraction)
    green = round(255 - 235 * fraction ** 0.8)
    blue = round(255 - 235 * fraction ** 0.6)
    return f"#{red:02x}{green:02x}{blue:02x}"


def axis_range(low: float, high: float, count: int = 5) -> tuple[float, float, list[float]]:
    """A round axis range enclosing [low, high] and its ticks (steps of 1, 2 or 5 times a power of ten)."""
    if high - low < 1e-12 * max(abs(low), abs(high), 1.0):
        low, high = low - max(abs(low) * 0.1, 0.5), high + max(abs(high) * 0.1, 0.5)
    rough = (high - low) / count
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    start, stop = math.floor(low / step), math.ceil(high / step)
    ticks = [round(i * step, 12) for i in range(start, stop + 1)]
    return ticks[0], ticks[-1], ticks


def epoch_ticks(epochs: int) -> list[int]:
    """The epochs to label on the x axis: all of them, or about ten evenly spaced ones."""
    step = max(1, math.ceil(epochs / 10))
    return list(range(1, epochs + 1, step))


def text(x: float, y: float, words: str, anchor: str, bold: bool = False, small: bool = False) -> str:
    """One escaped SVG text element."""
    weight = ' font-weight="600"' if bold else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} font-size="{9 if small else 11}"{weight} '
            f'fill="#1d1f23">'
            f"{escape(words)}</text>")


def vertical_text(x: float, y: float, words: str) -> str:
    """An escaped SVG text element centred on (x, y) and turned to read upwards, for a y-axis label."""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" {FONT} font-size="11" fill="#1d1f23" '
            f'transform="rotate(-90 {x:.1f} {y:.1f})">{escape(words)}</text>')


def data_uri(svg: str) -> str:
    """An SVG as a ``data:image/svg+xml;base64`` URI, for documents that take images only by URI."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
