"""Run times quoted in the README and the examples say where they were measured and with which command.

A time measured on a quiet machine is several times longer on a busy one, so each quote says
"on a quiet 2-core machine" and names the command that measures it.
"""

import ast
import re
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPOSITORY / "examples").glob("*.py"))
# "about 4 s", "2 min", "43 s": a duration
DURATION = re.compile(r"\b\d+(?:\.\d+)? (?:s|min)\b")


def docstring(path: Path) -> str:
    """The module docstring of a script."""
    return ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_an_example_that_quotes_its_time_says_where_and_how_it_was_measured(path):
    text = docstring(path)
    if DURATION.search(text):
        assert "on a quiet 2-core machine" in text
        assert f"`time python examples/{path.name}`" in text


def test_the_readme_quotes_make_demos_time_with_the_script_that_measured_it():
    text = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    [line] = [line for line in text.splitlines() if line.strip().startswith("make demo on a fresh clone:")]
    before = text[: text.index(line)]
    assert "`scripts/measure-demo`" in before[-400:] and "on a quiet 2-core machine" in before[-400:]
