"""The README's Python examples run as written, and the files it points to exist."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_python_block_runs(code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})


def test_the_first_example_prints_what_the_readme_says(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(BLOCKS[0], str(README), "exec"), {})
    assert capsys.readouterr().out.split() == ["0.3916538628347176", "0.5931914374807586"]


@pytest.mark.parametrize("path", sorted(set(re.findall(r"\]\(((?:docs|examples)/[^)\s]+)\)", TEXT))))
def test_linked_files_exist(path):
    assert (README.parent / path).is_file(), path


@pytest.mark.parametrize(
    "path", sorted(set(re.findall(r"`((?:tests|examples|benchmarks|docs)/[\w./]+\.py)`", TEXT)))
)
def test_named_scripts_and_tests_exist(path):
    assert (README.parent / path).is_file(), path
