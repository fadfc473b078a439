"""The loss curve of a run as inline SVG: epoch means and their trend, each snapshot's step loss, a marker."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from micrograd44.training.history import Snapshot, block_means

from . import style
from .picture import inline_html

WIDTH, HEIGHT = 460, 250
LEFT, RIGHT, TOP, BOTTOM = 58, 14, 34, 40

# the ids of the marker a script moves to the current snapshot
MARKER_ID = "loss-marker"
MARKER_LINE_ID = "loss-marker-line"


@dataclasses.dataclass(frozen=True)
class LossCurve:
    """The curve's SVG markup and, per snapshot, the (x, y) of its marker in SVG units."""

    svg: str
    markers: list[tuple[float, float]]

    def _repr_html_(self) -> str:
        """In a notebook: the curve as an image, which JupyterLab shows in untrusted notebooks too."""
        # an SVG file needs its namespace, which the report page, inline, does without
        document = self.svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
        return inline_html(document.encode("utf-8"))


def _epoch_ticks(last_epoch: int, count: int = 5) -> list[int]:
    """Round epochs (1, 2 or 5 times a power of ten apart) from 0 to last_epoch, about ``count`` of them."""
    power = 10 ** max(0, math.floor(math.log10(last_epoch / count)))
    step = next(power * m for m in (1, 2, 5, 10) if last_epoch / (power * m) <= count)
    return list(range(0, last_epoch + 1, step))


def _decade_ticks(low: float, high: float) -> list[float]:
    """1, 2 and 5 times the powers of ten between low and high (just the powers when they are many)."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    multiples = (1, 2, 5) if last - first <= 3 else (1,)
    ticks = [m * 10.0**e for e in range(first, last + 1) for m in multiples]
    return [t for t in ticks if low <= t * (1 + 1e-9) and t <= high * (1 + 1e-9)]


def _trend(losses: Sequence[float], size: int) -> list[tuple[float, float]]:
    """The trend line's points: (middle epoch, mean loss) of each run of ``size`` epochs."""
    return [
        (start + (size - 1) / 2, mean)
        for start, mean in zip(range(0, len(losses), size), block_means(losses, size))
    ]


def loss_curve(
    epoch_losses: Sequence[float], snapshots: Sequence[Snapshot], loss_name: str, block: int
) -> LossCurve:
    """Draw the loss on a log scale against the epoch: epoch means, their trend, a dot per snapshot.

    Args:
        epoch_losses: the mean loss of every epoch (``History.epoch_losses``).
        snapshots: the snapshots, each drawn as a dot at (its epoch, its step's loss).
        loss_name: the loss's name for the axis label ("l1", "mse").
        block: the trend line is the mean over each run of this many epochs.

    Returns:
        LossCurve: the SVG, with a marker (ids ``MARKER_ID``, ``MARKER_LINE_ID``) at the
        first snapshot, and every snapshot's marker position.
    """
    losses = [*epoch_losses, *(s.loss for s in snapshots)]
    positive = [x for x in losses if x > 0.0 and math.isfinite(x)] or [1.0]
    low, high = min(positive), max(positive)
    if high / low < 10:
        low, high = low / 2, high * 2
    last_epoch = max(1, len(epoch_losses) - 1, *(s.epoch for s in snapshots))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_height

    def x_of(epoch: float) -> float:
        """The x of an epoch."""
        return round(LEFT + plot_width * epoch / last_epoch, 1)

    def y_of(loss: float) -> float:
        """The y of a loss on the log scale (clamped to the plot)."""
        loss = min(max(loss, low), high) if math.isfinite(loss) else high
        return round(TOP + plot_height * math.log(high / loss) / math.log(high / low), 1)

    parts = [
        f'<svg width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{style.FONT},sans-serif" font-size="11">',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_width}" height="{plot_height}" '
        'fill="#FFFFFF" stroke="#7F7F7F"/>',
    ]
    for tick in _decade_ticks(low, high):
        y = y_of(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" stroke="#E6E6E6"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4}" text-anchor="end">{tick:g}</text>')
    for tick in _epoch_ticks(last_epoch):
        x = x_of(tick)
        parts.append(f'<line x1="{x}" x2="{x}" y1="{bottom}" y2="{bottom + 4}" stroke="#7F7F7F"/>')
        parts.append(f'<text x="{x}" y="{bottom + 16}" text-anchor="middle">{tick:g}</text>')
    parts.append(f'<text x="{LEFT + plot_width / 2}" y="{HEIGHT - 6}" text-anchor="middle">epoch</text>')
    parts.append(
        f'<text transform="translate(12 {TOP + plot_height / 2}) rotate(-90)" text-anchor="middle">'
        f"{style.text(loss_name)} loss (log scale)</text>"
    )
    points = " ".join(f"{x_of(epoch)},{y_of(loss)}" for epoch, loss in enumerate(epoch_losses))
    parts.append(
        f'<polyline points="{points}" fill="none" stroke="{style.POSITIVE}" stroke-width="0.8" '
        'stroke-opacity="0.45"/>'
    )
    trend = " ".join(f"{x_of(epoch)},{y_of(loss)}" for epoch, loss in _trend(epoch_losses, block))
    parts.append(f'<polyline points="{trend}" fill="none" stroke="#000000" stroke-width="1.6"/>')
    markers = [(x_of(s.epoch), y_of(s.loss)) for s in snapshots]
    parts += [f'<circle cx="{x}" cy="{y}" r="2.2" fill="#000000"/>' for x, y in markers]
    x, y = markers[0] if markers else (LEFT, TOP)
    parts += [
        f'<line id="{MARKER_LINE_ID}" x1="{x}" x2="{x}" y1="{TOP}" y2="{bottom}" '
        f'stroke="{style.NEGATIVE}" stroke-dasharray="3,2"/>',
        _ring(x, y, f' id="{MARKER_ID}"'),
        _legend(block),
        "</svg>",
    ]
    return LossCurve(svg="\n".join(parts), markers=markers)


def _ring(x: float, y: float, attributes: str = "") -> str:
    """The marker of the current snapshot: a vermillion ring."""
    ring = f'r="5" fill="none" stroke="{style.NEGATIVE}" stroke-width="2"'
    return f'<circle{attributes} cx="{x}" cy="{y}" {ring}/>'


def _legend(block: int) -> str:
    """The key above the plot: the two lines, the dots and the marker."""
    y, x = TOP - 14, LEFT - 40
    return (
        f'<line x1="{x}" x2="{x + 16}" y1="{y}" y2="{y}" stroke="{style.POSITIVE}" stroke-opacity="0.45"/>'
        f'<text x="{x + 20}" y="{y + 4}">epoch mean</text>'
        f'<line x1="{x + 92}" x2="{x + 108}" y1="{y}" y2="{y}" stroke="#000000" stroke-width="1.6"/>'
        f'<text x="{x + 112}" y="{y + 4}">mean of {block} epochs</text>'
        f'<circle cx="{x + 230}" cy="{y}" r="2.2" fill="#000000"/>'
        f'<text x="{x + 236}" y="{y + 4}">snapshot\'s step loss</text>'
        f"{_ring(x + 360, y)}"
        f'<text x="{x + 368}" y="{y + 4}">now</text>'
    )
