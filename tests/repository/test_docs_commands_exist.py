"""Every `micrograd44 ...` command shown in README.md and docs/*.md names a real subcommand and real flags.

The commands are read from the pages (code blocks, indented blocks and inline code) and
parsed by the command line's own parser, ``micrograd44.cli.build_parser()``: a renamed flag
or subcommand fails here before a reader types it.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from micrograd44.cli import build_parser

REPOSITORY = Path(__file__).resolve().parents[2]
PAGES = [REPOSITORY / "README.md", *sorted((REPOSITORY / "docs").glob("*.md"))]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser's subcommands by name."""
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


SUBCOMMANDS = subcommands(build_parser())


def command_lines(text: str) -> list[str]:
    """The candidate command lines of a page: code lines and inline code starting with `micrograd44 `."""
    text = re.sub(r"\\\n\s*", " ", text)  # a command continued on the next line
    lines = [line.strip().removeprefix("$ ") for line in text.splitlines()]
    inline = re.findall(r"`(micrograd44 [^`]+)`", text)
    return [line for line in lines if line.startswith("micrograd44 ")] + inline


def is_command(line: str) -> bool:
    """A line that shows a command, not output that starts with the program's name.

    Output lines name no subcommand and pass no flag ("micrograd44 eager 70.5"), or start with
    the program's name and a colon ("micrograd44 grad: error: ..."); a command does neither.
    """
    words = line.split()
    if words[1].endswith(":"):
        return False
    return words[1] in SUBCOMMANDS or words[1].startswith("-") or any(w.startswith("--") for w in words)


COMMANDS = sorted(
    {
        (page.relative_to(REPOSITORY).as_posix(), line)
        for page in PAGES
        for line in command_lines(page.read_text(encoding="utf-8"))
        if is_command(line)
    }
)


def test_the_docs_show_every_subcommand():
    shown = {shlex.split(line, comments=True)[1] for _, line in COMMANDS}
    assert set(SUBCOMMANDS) <= shown


@pytest.mark.parametrize("page, line", COMMANDS, ids=[f"{page}: {line}" for page, line in COMMANDS])
def test_the_command_names_a_subcommand_and_flags_that_exist(page, line):
    words = shlex.split(line, comments=True)[1:]
    if words == ["--help"] or words[-1:] == ["--help"]:
        words = words[:-1]
    if not words:
        return
    if words[0].isupper():  # a placeholder, `micrograd44 COMMAND --help`: every subcommand takes the flags
        for parser in SUBCOMMANDS.values():
            flags = {option for action in parser._actions for option in action.option_strings}
            assert {word for word in words[1:] if word.startswith("--")} <= flags | {"--help"}
        return
    assert words[0] in SUBCOMMANDS, f"{page}: {line!r}: no subcommand {words[0]!r}"
    flags = {option for action in SUBCOMMANDS[words[0]]._actions for option in action.option_strings}
    for word in words[1:]:
        if word.startswith("--"):
            assert word.split("=")[0] in flags, f"{page}: {line!r}: `micrograd44 {words[0]}` has no {word}"
    if len(words) == 1:  # the subcommand named in the text, not a command line to type
        return
    try:
        build_parser().parse_args(words)
    except SystemExit as error:  # argparse's error: a value it refuses, a missing argument
        pytest.fail(f"{page}: {line!r} does not parse (exit {error.code})")


def test_the_pages_name_the_folder_micrograd44_graph_writes_to():
    [out] = [a for a in SUBCOMMANDS["graph"]._actions if "--out" in a.option_strings]
    for page in ["docs/pictures.md", "docs/command-line.md"]:
        assert f"`{out.default}`" in (REPOSITORY / page).read_text(encoding="utf-8"), page
