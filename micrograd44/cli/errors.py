"""What the sub-commands report the same way: a one-line error, an interrupted run, a file skipped."""

from __future__ import annotations

import sys

# exit status of a program stopped by Ctrl-C (128 + SIGINT), as shells report it
EXIT_INTERRUPTED = 130


class CommandError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 2."""


class Skipped(Exception):
    """An optional file that cannot be made here (a missing package, a non-finite model); says why."""


def skip(name: str, reason: str) -> None:
    """Say, in one line, that an optional file was not written."""
    print(f"skipped {name}: {reason}", file=sys.stderr)


def viz_import_problem(error: ImportError) -> str:
    """Why viz cannot be imported, and what to do about it."""
    if error.name == "graphviz":  # viz's own message says what to install
        return str(error)
    return f"the viz package cannot be imported ({error}); reinstall micrograd44 (checkout: pip install -e .)"
