"""docs/ops.md lists exactly the op table's ops: its table is what docs/ops_table.py writes."""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS))

import ops_table  # noqa: E402  (a script of docs/, not a package)


def test_the_table_on_the_page_is_the_op_table():
    text = ops_table.PAGE.read_text(encoding="utf-8")
    assert text == ops_table.page_with_table(text), "run: python docs/ops_table.py"
