"""The code blocks of a Markdown page, for the tests that run the docs' examples."""

import re


def python_blocks(text: str) -> list[str]:
    """The code of every ```python block."""
    return re.findall(r"```python\n(.*?)```", text, re.S)
