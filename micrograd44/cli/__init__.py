"""The ``micrograd44`` command line: the parser and ``main``; one module per sub-command beside it.

``micrograd44/cli/train.py``, ``graph.py``, ``grad.py`` and ``sweep.py`` each define one
sub-command (``register(subparsers)``); the files a run writes are written by the modules
beside them (``outputs.py``, ``loss_plot.py``, ``pictures.py``, ``run_folder.py``).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from .errors import EXIT_INTERRUPTED, CommandError

# Sub-command modules in micrograd44/cli/; each defines register(subparsers).
COMMANDS: tuple[str, ...] = ("train", "graph", "grad", "sweep")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit status 2, never a traceback."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser of every sub-command."""
    parser = _Parser(
        prog="micrograd44",
        description="A small, fast, honest scalar autograd engine and the 44-parameter XOR exercise.",
    )
    parser.add_argument("--version", action="version", version=f"micrograd44 {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"micrograd44.cli.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        return args.run(args)
    except CommandError as error:
        print(f"micrograd44 {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before a command handles it (while the commands load)
        print("micrograd44: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


__all__ = ["COMMANDS", "EXIT_INTERRUPTED", "CommandError", "build_parser", "main"]
