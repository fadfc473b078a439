"""Write the table of ops in docs/ops.md from the op table itself: ``python docs/ops_table.py``.

The page's table is the text between the two marker lines; tests/repository/test_ops_page.py checks
that it is what this script writes, so the list of ops is never kept by hand.
"""

from __future__ import annotations

from pathlib import Path

from micrograd44 import ops

PAGE = Path(__file__).resolve().parent / "ops.md"
BEGIN = "<!-- begin: the table of ops, written by python docs/ops_table.py -->"
END = "<!-- end: the table of ops -->"


def _how_reached(rule: ops.OpRule) -> str:
    """How a user applies the op."""
    if rule.method:
        return f"`x.{rule.method}()`"
    if rule is ops.LINEAR:
        return "`linear(w, x, b)`"
    if rule is ops.SUM:
        return "`sum_values(xs)`"
    return f"`x {rule.name} y`"


def _cell(text: str) -> str:
    """Text for a table cell: a | would end the cell."""
    return text.replace("|", "\\|")


def table() -> str:
    """The Markdown table: each op's name, how to apply it, its math and what it checks."""
    rows = [
        "| op | applied as | forward and local derivatives | refuses |",
        "| --- | --- | --- | --- |",
    ]
    for rule in ops.OPS.values():
        refuses = "; ".join(check.says for check in rule.checks)
        rows.append(f"| `{rule.name}` | {_how_reached(rule)} | {_cell(rule.doc)} | {_cell(refuses)} |")
    rows.append(
        "| `**n` (`**2`, `**0.5`, ...) | `x ** n` for a number n "
        "| x ** n; d/dx = n x^(n-1), exactly 0 for n = 0 "
        "| 0 to a negative power; a negative base with a non-integer n |"
    )
    return "\n".join(rows)


def page_with_table(text: str) -> str:
    """The page's text with the table between the markers replaced by today's."""
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main() -> None:
    PAGE.write_text(page_with_table(PAGE.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the table of {len(ops.OPS) + 1} ops into {PAGE}")


if __name__ == "__main__":
    main()
