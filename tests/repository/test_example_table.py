"""docs/concepts.md's table of examples lists every script of examples/, and only those."""

import re
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_table_of_examples_lists_every_example():
    text = (REPOSITORY / "docs" / "concepts.md").read_text(encoding="utf-8")
    table = text[text.index("## Every example") :]
    listed = set(re.findall(r"^\| `examples/([\w-]+\.py)` \|", table, re.M))
    assert listed == {path.name for path in (REPOSITORY / "examples").glob("*.py")}
