"""The look shared by every picture: colours, number format, sign colours and log-scale pen widths."""

from __future__ import annotations

import html
import math
import unicodedata
from collections.abc import Iterable

FONT = "Helvetica"
NUMBER_FONT = "monospace"

# Colour-blind-safe sign colours (Okabe-Ito): blue for positive, vermillion for negative.
POSITIVE = "#0072B2"
NEGATIVE = "#D55E00"
ZERO = "#9E9E9E"
NOT_FINITE = "#CC79A7"

# Fill colours of the node kinds.
FILLS = {
    "parameter": "#FFF1B8",
    "input": "#E6E6E6",
    "value": "#FFFFFF",
    "neuron": "#DCEBF7",
    "op": "#F2F2F2",
    "root": "#F7CFCB",
}
KIND_NAMES = {
    "parameter": "parameter",
    "input": "input / constant",
    "value": "intermediate",
    "neuron": "neuron (collapsed)",
    "root": "root",
}
NOTICE = "#B00020"

# Pen widths: the largest magnitude gets WIDEST; DECADES powers of ten below it get THINNEST.
THINNEST = 0.6
WIDEST = 5.0
DECADES = 4


def format_number(x: float) -> str:
    """x with 4 decimals, in scientific notation when very small or large, "0" when exactly zero."""
    if x == 0.0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.4f}"
    return f"{x:.3e}"


def sign_colour(x: float) -> str:
    """The colour of a signed quantity: blue positive, vermillion negative, grey zero."""
    if not math.isfinite(x):
        return NOT_FINITE
    if x > 0.0:
        return POSITIVE
    return NEGATIVE if x < 0.0 else ZERO


def largest_magnitude(values: Iterable[float]) -> float:
    """The largest finite |x| among the values, 0.0 when there is none."""
    return max((abs(x) for x in values if math.isfinite(x)), default=0.0)


def pen_width(x: float, largest: float) -> float:
    """A pen width for |x| on a log scale relative to ``largest`` (THINNEST .. WIDEST)."""
    if not math.isfinite(x):
        return WIDEST
    if x == 0.0 or largest == 0.0:
        return THINNEST
    decades_below = math.log10(largest / abs(x))
    fraction = min(1.0, max(0.0, 1.0 - decades_below / DECADES))
    return round(THINNEST + (WIDEST - THINNEST) * fraction, 2)


def signed_edge(x: float, largest: float) -> dict[str, str]:
    """Graphviz edge attributes for a signed quantity: colour by sign, width by magnitude."""
    colour = sign_colour(x)
    attributes = {"color": colour, "fontcolor": colour, "penwidth": str(pen_width(x, largest))}
    if x == 0.0:
        attributes["style"] = "dashed"
    return attributes


def printable(s: str) -> str:
    """s with every control character and lone surrogate shown as its escape (``\\x00``, ``\\ud800``).

    Graphviz refuses control characters and a lone surrogate cannot be encoded as UTF-8,
    so any label text passes through this before it reaches a picture.
    """
    return "".join(_visible(ch) for ch in s)


def _visible(ch: str) -> str:
    """One character as drawn: itself, or its Python escape if it is a control or surrogate."""
    if unicodedata.category(ch) in ("Cc", "Cs"):
        return ascii(ch)[1:-1]
    return ch


def text(s: str) -> str:
    """s made printable and escaped for a Graphviz HTML-like label."""
    return html.escape(printable(s), quote=True)


def html_label(body: str) -> str:
    """An HTML-like label for Graphviz (the graphviz package passes ``<...>`` through unquoted)."""
    return f"<{body}>"


def check_choice(option: str, value, accepted: tuple) -> None:
    """ValueError naming the option and listing the accepted values unless value is one of them."""
    if value not in accepted:
        choices = ", ".join(repr(a) for a in accepted)
        raise ValueError(f"unknown {option} {value!r}; choose one of {choices}")
