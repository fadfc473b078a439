"""What the sub-commands say the same way: a one-line error, an interrupted run, a file skipped, a flag."""

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


def flag(field: str) -> str:
    """A Recipe field's flag, as the parsers spell it and messages name it: weight_init -> --weight-init."""
    return "--" + field.replace("_", "-")


def viz_import_problem(error: ImportError) -> str:
    """Why viz cannot be imported, and what to do about it."""
    if error.name == "graphviz":  # viz's own message says what to install
        return str(error)
    return f"the viz package cannot be imported ({error}); reinstall micrograd44 (checkout: pip install -e .)"


def matplotlib_missing(error: ImportError) -> Skipped:
    """Skipped for a plot that needs matplotlib, saying how to install it."""
    return Skipped(f"matplotlib is not installed ({error}); pip install 'micrograd44[plot]'")
