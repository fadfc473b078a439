"""The caption under a picture: its title, an optional notice, and a small legend of colours and widths."""

from __future__ import annotations

import math

from . import style

# point sizes of the caption: the title, then the legend's rows, small beside the picture
TITLE_SIZE = 14
LEGEND_SIZE = 9


def title_row(title: str) -> str:
    """A caption row with the picture's title in bold."""
    return f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{TITLE_SIZE}"><B>{style.text(title)}</B></FONT></TD></TR>'


def notice_row(notice: str) -> str:
    """A caption row with a warning the reader must not miss."""
    return f'<TR><TD ALIGN="LEFT"><FONT COLOR="{style.NOTICE}"><B>{style.text(notice)}</B></FONT></TD></TR>'


def text_row(line: str) -> str:
    """A caption row of plain text."""
    return f'<TR><TD ALIGN="LEFT">{style.text(line)}</TD></TR>'


def sign_rows(quantity: str, largest: float, values: list[float]) -> list[str]:
    """Caption rows explaining an edge's colour (sign) and width (log-scale magnitude) for these values."""
    colours = [(style.POSITIVE, "positive"), (style.NEGATIVE, "negative"), (style.ZERO, "zero (dashed)")]
    if not all(math.isfinite(x) for x in values):
        colours.append((style.NOT_FINITE, "nan or infinite (widest)"))
    swatches = " ".join(
        f'<FONT COLOR="{colour}"><B>&#9473;&#9473; {name}</B></FONT>' for colour, name in colours
    )
    thinnest = largest / 10**style.DECADES
    widths = (
        f"width: |{quantity}| on a log scale; widest = {style.format_number(largest)} (the largest), "
        f"thinnest = {style.format_number(thinnest)} or less"
    )
    return [
        f'<TR><TD ALIGN="LEFT">edge colour = sign of the {style.text(quantity)}: {swatches}</TD></TR>',
        text_row(widths),
    ]


def kind_row(kinds: list[str], names: dict[str, str] | None = None) -> str:
    """A caption row with a filled swatch per node kind (named as style.KIND_NAMES, or as ``names`` says)."""
    names = {**style.KIND_NAMES, **(names or {})}
    cells = "".join(
        f'<TD BGCOLOR="{style.FILLS[kind]}" BORDER="1">{style.text(names[kind])}</TD>' for kind in kinds
    )
    return (
        '<TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLSPACING="2" CELLPADDING="2"><TR>'
        f"<TD>nodes:</TD>{cells}</TR></TABLE></TD></TR>"
    )


def caption(rows: list[str], size: int = LEGEND_SIZE) -> str:
    """The HTML-like graph label that stacks the caption rows, in the legend's type size (points)."""
    body = "".join(rows)
    table = f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>'
    return style.html_label(f'<FONT POINT-SIZE="{size}">{table}</FONT>')
