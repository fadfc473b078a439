"""Stopping `micrograd44 train`: SIGTERM as Ctrl-C, exit statuses 128 + signal, robust Ctrl-C tests.

The scenarios run in a child process whose SIGINT and SIGTERM are at their defaults
(tests/support/cli_runs.py restores them), so they hold when the suite itself runs with SIGINT
ignored, as a background job does.
"""

from __future__ import annotations

import csv
import json
import signal
import sys

import pytest
from cli_runs import interrupt_training, run_command

from micrograd44 import MLP
from micrograd44.cli import train as train_command
from micrograd44.training import StopRequested, TrainingInterrupted, stop_on_signal
from micrograd44.training.course import Recipe, run

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

LONG_RUN = ["--epochs", "1000000", "--print-every", "20"]


@posix_only
def test_sigterm_writes_what_was_trained_and_exits_143(tmp_path):
    status, out, err = interrupt_training([*LONG_RUN, "--out", str(tmp_path)], "Epoch: 20,", signal.SIGTERM)
    assert status == 128 + signal.SIGTERM == 143, err
    assert "Terminated (SIGTERM) after" in out and "Traceback" not in err
    steps = len(list(csv.reader((tmp_path / "history.csv").open()))) - 1
    assert steps > 20 * 4
    assert MLP.load(tmp_path / "model.json").num_parameters() == 44
    assert json.loads((tmp_path / "recipe.json").read_text())["epochs"] == 1000000


@posix_only
def test_ctrl_c_reaches_the_command_even_when_this_process_ignores_it(tmp_path):
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in a background job
    try:
        status, out, err = interrupt_training([*LONG_RUN, "--out", str(tmp_path)], "Epoch: 20,")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert status == 130, err
    assert "Interrupted after" in out


@posix_only
def test_sigterm_under_stop_on_signal_is_deferred_to_the_end_of_the_step():
    def sigterm_at_epoch_10(epoch, loss, mean):
        if epoch == 10:
            signal.raise_signal(signal.SIGTERM)  # deferred: the step ends, then training stops

    previous = signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        with pytest.raises(TrainingInterrupted) as caught:
            run(Recipe(print_every=10), on_log=sigterm_at_epoch_10)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert caught.value.signum == signal.SIGTERM
    history = caught.value.history
    assert len(history.step_losses) == 45  # the step under way when the signal came was completed
    assert history.final_state == history.model.state_dict()
    assert signal.getsignal(signal.SIGTERM) is previous


def test_a_library_run_leaves_sigterm_alone():
    seen = []
    run(Recipe(epochs=2, print_every=1), on_log=lambda *_: seen.append(signal.getsignal(signal.SIGTERM)))
    assert seen == [signal.SIG_DFL, signal.SIG_DFL]


def test_a_stop_while_the_command_starts_is_one_line_and_128_plus_the_signal(tmp_path, capsys, monkeypatch):
    def stopped(recipe):
        raise StopRequested(signal.SIGTERM)

    monkeypatch.setattr(train_command, "_describe_recipe", stopped)
    status, out, err = run_command(["train", "--out", str(tmp_path)], capsys)
    assert status == 143 and err.strip() == "Terminated (SIGTERM)." and "Traceback" not in err


def test_ctrl_c_while_the_commands_load_is_one_line_and_130(capsys, monkeypatch):
    def ctrl_c(subparsers):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_command, "register", ctrl_c)
    try:
        status, _, err = run_command(["train"], capsys)
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped main(): Python prints its traceback")
    assert status == 130 and len(err.strip().splitlines()) == 1
