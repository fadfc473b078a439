"""The command line: --help, --version, python -m, and one-line errors for bad flags."""

import subprocess
import sys
from pathlib import Path

from micrograd44 import __version__
from micrograd44.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "micrograd44", *args], capture_output=True, text=True)


def test_version_and_help():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"micrograd44 {__version__}"
    result = run("--help")
    assert result.returncode == 0 and "usage: micrograd44" in result.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 0
    assert "usage: micrograd44" in capsys.readouterr().out


def test_unknown_flag_is_one_line_and_status_2():
    result = run("--frobnicate")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["micrograd44: error: unrecognized arguments: --frobnicate"]
    assert "Traceback" not in result.stderr


def test_console_script_is_installed_next_to_the_interpreter():
    script = Path(sys.executable).parent / "micrograd44"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and __version__ in result.stdout
