"""Running the ``micrograd44`` command line from the tests: in this process, or interrupted by Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from micrograd44.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_command(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run `micrograd44 ARGV` in this process: exit status, stdout, stderr."""
    try:
        status = main(argv)
    except SystemExit as stop:
        status = stop.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_train(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run `micrograd44 train ARGV` in this process: exit status, stdout, stderr."""
    return run_command(["train", *argv], capsys)


def _default_stop_signals() -> None:
    """In the child, before Python starts: SIGINT and SIGTERM back to their defaults.

    A test run in the background (`make test &`) inherits SIGINT as ignored, and Python
    then leaves it ignored: Ctrl-C would never reach the command under test.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def interrupt_training(argv: list[str], after: str, signum: int = signal.SIGINT) -> tuple[int, str, str]:
    """Run `micrograd44 train ARGV` in a subprocess; send Ctrl-C (or signum) once a line starts with after.

    The child starts with SIGINT and SIGTERM at their defaults, whatever this process
    inherited. Returns the exit status and what it printed after that line (stdout, stderr).
    """
    command = [sys.executable, "-u", "-m", "micrograd44", "train", *argv]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        preexec_fn=_default_stop_signals if os.name == "posix" else None,
    ) as process:
        for line in process.stdout:
            if line.startswith(after):
                break
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    return process.returncode, out, err
