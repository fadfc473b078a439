"""The course recipe: Recipe validation, run() and its History, failing loudly, and `micrograd44 train`."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runs import interrupt_training, run_command

from micrograd44 import MLP, Value, losses
from micrograd44.training import TrainingDiverged, TrainingInterrupted, block_means
from micrograd44.training.course import (
    INPUTS,
    TARGETS,
    Recipe,
    RecipeError,
    build_model,
    run,
    sample_loss,
    stable_learning_rate,
)
from micrograd44.training.loop import Trainer

ROOT = Path(__file__).resolve().parents[2]


# ---- Recipe ----


def test_recipe_defaults_are_the_course_recipe():
    recipe = Recipe()
    assert dataclasses.asdict(recipe) == {
        "epochs": 2001,
        "lr": 0.02,
        "momentum": 0.9,
        "loss": "l1",
        "hidden": (5, 4),
        "activation": "tanh",
        "weight_init": "normal",
        "bias_init": "torch",
        "sampling": "random",
        "optimizer": "sgd",
        "seed": 2,
        "print_every": 50,
        "engine": "eager",
    }
    assert recipe.steps_per_epoch == 4


INVALID = [
    ("epochs", -1),
    ("epochs", 2.5),
    ("epochs", True),
    ("lr", 0),
    ("lr", -0.02),
    ("lr", math.nan),
    ("lr", math.inf),
    ("lr", "0.1"),
    ("momentum", -0.5),
    ("loss", "hinge"),
    ("loss", None),
    ("hidden", (5, 0)),
    ("hidden", (5, -4)),
    ("hidden", (5, 2.0)),
    ("hidden", "54"),
    ("hidden", 5),
    ("activation", "gelu"),
    ("weight_init", "glorot"),
    ("bias_init", "ones"),
    ("sampling", "shuffle"),
    ("optimizer", "rmsprop"),
    ("seed", 1.5),
    ("seed", None),
    ("print_every", 0),
    ("engine", "jit"),
    ("engine", None),
]


@pytest.mark.parametrize(("field", "value"), INVALID, ids=[f"{f}={v!r}" for f, v in INVALID])
def test_invalid_recipe_names_field_and_value(field, value):
    with pytest.raises(RecipeError) as caught:
        Recipe(**{field: value})
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == field
    assert f"Recipe.{field} " in str(caught.value)
    assert repr(value) in str(caught.value)


def test_recipe_accepts_any_sequence_of_hidden_sizes_and_no_hidden_layer():
    assert Recipe(hidden=[8, 3]).hidden == (8, 3)
    assert build_model(Recipe(hidden=())).num_parameters() == 3


def test_build_model_is_the_44_parameter_network_with_seeded_weights():
    model = build_model(Recipe())
    assert repr(model) == "MLP(2 -> 5 -> 4 -> 1, act=tanh, 44 parameters)"
    assert model.state_dict() == build_model(Recipe()).state_dict()
    expected = MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=2)
    assert model.state_dict() == expected.state_dict()
    assert model.state_dict() != build_model(Recipe(seed=3)).state_dict()


def test_sample_loss_is_the_mean_over_the_samples():
    model = build_model(Recipe())
    singles = [sample_loss(model, Recipe(), [i]).data for i in range(4)]
    assert singles[2] == abs(model(INPUTS[2]).data - 1.0)
    assert sample_loss(model, Recipe(), [0, 1, 2, 3]).data == pytest.approx(sum(singles) / 4, rel=1e-15)
    mse = sample_loss(model, Recipe(loss="mse"), [1]).data
    assert mse == losses.mse_loss(model(INPUTS[1]), TARGETS[1]).data


# ---- run() with the default recipe: trained once for the whole module ----


@pytest.fixture(scope="module")
def course():
    """The default recipe's History and every on_log call."""
    logged = []
    history = run(Recipe(), on_log=lambda *entry: logged.append(entry))
    return history, logged


def test_course_history_has_every_step(course):
    history, _ = course
    assert len(history.step_losses) == len(history.samples) == 8004
    assert len(history.epoch_losses) == 2001
    assert set(history.samples) == {0, 1, 2, 3}
    assert history.epoch_losses[7] == pytest.approx(sum(history.step_losses[28:32]) / 4, rel=1e-15)
    assert history.initial_state == build_model(Recipe()).state_dict()
    assert history.final_state == history.model.state_dict()
    assert len(history.final_state) == 44


def test_default_recipe_solves_xor(course):
    history, _ = course
    assert history.rounded == [0, 1, 1, 0]
    assert history.solved
    assert history.predictions == [history.model(x).data for x in INPUTS]


def test_on_log_every_50_epochs_with_last_step_loss_and_epoch_mean(course):
    history, logged = course
    assert [epoch for epoch, _, _ in logged] == list(range(0, 2001, 50))
    epoch, loss, mean = logged[-1]
    assert loss == history.step_losses[-1]
    assert mean == history.epoch_losses[-1]


def test_same_recipe_gives_the_same_history_bit_for_bit(course):
    history, _ = course
    again = run(Recipe())
    assert again.step_losses == history.step_losses
    assert again.samples == history.samples
    assert again.epoch_losses == history.epoch_losses
    assert again.final_state == history.final_state
    assert again.predictions == history.predictions


def test_another_seed_gives_other_weights_and_samples():
    a, b = run(Recipe(epochs=5)), run(Recipe(epochs=5, seed=3))
    assert a.initial_state != b.initial_state
    assert a.samples != b.samples


def test_samples_do_not_depend_on_the_model():
    assert run(Recipe(epochs=5)).samples == run(Recipe(epochs=5, hidden=(3,), weight_init="zeros")).samples


def test_cycle_and_full_batch_sampling():
    cycle = run(Recipe(epochs=3, sampling="cycle"))
    assert cycle.samples == [0, 1, 2, 3] * 3
    full = run(Recipe(epochs=3, sampling="full-batch"))
    assert full.samples == [None] * 3
    assert full.epoch_losses == full.step_losses


def test_block_means_are_the_means_of_complete_runs():
    assert block_means([1.0, 3.0, 2.0, 4.0, 9.0], 2) == [2.0, 3.0]
    assert block_means([0.1] * 10, 5) == [0.1, 0.1]
    assert block_means([1.0, 2.0], 3) == []


def test_zero_epochs_is_the_untrained_model():
    history = run(Recipe(epochs=0))
    assert history.step_losses == [] and history.epoch_losses == []
    assert history.final_state == history.initial_state
    assert len(history.predictions) == 4


# ---- failing loudly ----


def test_overflow_stops_with_epoch_step_and_advice():
    with pytest.raises(TrainingDiverged) as caught:
        run(Recipe(loss="mse", lr=100))
    error = caught.value
    message = str(error)
    assert f"at epoch {error.epoch}, step {error.step}:" in message
    assert "overflows" in message
    assert "try a smaller one (stable_learning_rate() finds one that trains)" in message
    history = error.history
    assert len(history.step_losses) == error.step
    assert error.epoch == error.step // 4
    assert all(math.isfinite(v) for v in history.final_state.values())


def test_nan_loss_stops_before_the_update(monkeypatch):
    # The engine refuses to make a non-finite Value, but a step's computation can be
    # swapped for another engine's, which returns whatever its floats say.
    real = Trainer._forward_backward

    def nan_at_step_9(trainer, indices):
        calls.append(indices)
        return math.nan if len(calls) == 10 else real(trainer, indices)

    calls = []
    monkeypatch.setattr(Trainer, "_forward_backward", nan_at_step_9)
    with pytest.raises(TrainingDiverged) as caught:
        run(Recipe())
    message = str(caught.value)
    assert "training diverged at epoch 2, step 9: the loss is nan" in message
    assert "no parameter or gradient is non-finite yet, the largest parameter is layers." in message
    assert len(caught.value.history.step_losses) == 9


def test_non_finite_update_names_the_parameter():
    with pytest.raises(TrainingDiverged) as caught:
        run(Recipe(lr=1e308))
    message = str(caught.value)
    assert "the update made a parameter non-finite" in message
    assert "layers.2.neurons.0.w.0 = -inf" in message
    history = caught.value.history
    assert not all(math.isfinite(p) for p in history.predictions)
    assert not history.solved


def test_non_finite_gradient_stops_before_the_update(monkeypatch):
    real = Trainer._forward_backward

    def poisoned(trainer, indices):
        loss = real(trainer, indices)
        if len(history_steps) == 5:
            dict(trainer.history.model.named_parameters())["layers.1.neurons.2.w.3"].grad = math.inf
        history_steps.append(loss)
        return loss

    history_steps = []
    monkeypatch.setattr(Trainer, "_forward_backward", poisoned)
    with pytest.raises(TrainingDiverged) as caught:
        run(Recipe())
    assert (caught.value.epoch, caught.value.step) == (1, 5)
    assert "a gradient is not finite" in str(caught.value)
    assert "layers.1.neurons.2.w.3 = " in str(caught.value)
    assert caught.value.history.step_losses == history_steps[:5]


def test_keyboard_interrupt_keeps_the_history_so_far():
    def interrupt(epoch, loss, mean):
        if epoch == 100:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted) as caught:
        run(Recipe(), on_log=interrupt)
    history = caught.value.history
    assert isinstance(caught.value, KeyboardInterrupt)
    assert len(history.epoch_losses) == 101 and len(history.step_losses) == 404
    assert history.final_state == history.model.state_dict()
    assert len(history.predictions) == 4


# ---- the command line ----


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`micrograd44 train --out DIR` with the defaults, in a subprocess from the repository root."""
    out = tmp_path_factory.mktemp("demo") / "out"
    result = subprocess.run(
        [sys.executable, "-m", "micrograd44", "train", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return result, out


def test_demo_prints_recipe_log_truth_table_and_verdict(demo):
    result, _ = demo
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Recipe: the course's 44-parameter XOR exercise" in out
    assert "(2*5+5) + (5*4+4) + (4*1+1) = 15 + 24 + 5 = 44" in out
    log = [line for line in out.splitlines() if line.startswith("Epoch: ")]
    assert len(log) == 41 and log[0].startswith("Epoch: 0, Loss: ") and log[-1].startswith("Epoch: 2000, ")
    assert "(epoch mean " in log[-1]
    assert "  (1, 1)       0" in out
    assert "XOR solved: yes" in out
    assert "Traceback" not in result.stderr


def test_demo_files(demo):
    result, out = demo
    rows = list(csv.reader((out / "history.csv").open()))
    assert rows[0] == ["epoch", "step", "sample", "loss"]
    assert len(rows) == 8005 and rows[-1][:2] == ["2000", "8003"]
    history = run(Recipe(epochs=1))
    assert [float(row[3]) for row in rows[1:5]] == history.step_losses
    model = MLP.load(out / "model.json")
    assert model.num_parameters() == 44
    assert json.loads((out / "recipe.json").read_text())["hidden"] == [5, 4]
    assert (out / "training.png").read_bytes().startswith(b"\x89PNG")


def test_demo_pictures_or_one_line_per_skipped_picture(demo):
    result, out = demo
    pictures = ["network.svg", "graph.svg", "parameters.svg"]
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    for name in pictures:
        written = (out / name).exists()
        assert written != any(line.startswith(f"skipped {name}:") for line in skipped)
    try:
        import viz  # noqa: F401
    except ImportError:
        return
    if shutil.which("dot"):
        assert all((out / name).read_text().lstrip().startswith("<?xml") for name in pictures)


def test_every_flag_reaches_the_recipe(tmp_path, capsys):
    argv = "train --epochs 3 --lr 0.05 --momentum 0.5 --loss mse --hidden 3,2 --activation relu"
    argv += " --weight-init he --bias-init zeros --sampling cycle --optimizer adam --seed 7 --print-every 2"
    argv += " --engine compiled"
    status, out, err = run_command([*argv.split(), "--out", str(tmp_path), "--quiet"], capsys)
    assert status == 0, err
    expected = Recipe(3, 0.05, 0.5, "mse", (3, 2), "relu", "he", "zeros", "cycle", "adam", 7, 2, "compiled")
    assert json.loads((tmp_path / "recipe.json").read_text()) == json.loads(
        json.dumps(dataclasses.asdict(expected))
    )
    assert "Epoch:" not in out and "XOR solved:" in out


def test_no_activation_and_no_hidden_layer_flags(tmp_path, capsys):
    argv = ["train", "--epochs", "2", "--activation", "none", "--hidden", "", "--out", str(tmp_path)]
    status, out, _ = run_command(argv, capsys)
    assert status == 0
    assert "(2*1+1) = 3" in out
    assert json.loads((tmp_path / "recipe.json").read_text())["activation"] is None


BAD_FLAGS = [
    (["--lr", "abc"], "--lr"),
    (["--lr", "-1"], "--lr"),
    (["--lr", "nan"], "--lr"),
    (["--epochs", "-5"], "--epochs"),
    (["--epochs", "1.5"], "--epochs"),
    (["--momentum", "-0.1"], "--momentum"),
    (["--hidden", "5,x"], "--hidden"),
    (["--hidden", "5,0"], "--hidden"),
    (["--loss", "hinge"], "--loss"),
    (["--sampling", "shuffle"], "--sampling"),
    (["--optimizer", "rmsprop"], "--optimizer"),
    (["--activation", "gelu"], "--activation"),
    (["--weight-init", "glorot"], "--weight-init"),
    (["--seed", "two"], "--seed"),
    (["--print-every", "0"], "--print-every"),
    (["--engine", "jit"], "--engine"),
    (["--snapshot-every", "10"], "--snapshot-every"),
    (["--frobnicate"], "--frobnicate"),
]


@pytest.mark.parametrize(("flags", "named"), BAD_FLAGS, ids=[" ".join(f) for f, _ in BAD_FLAGS])
def test_bad_flag_is_one_line_naming_it_and_status_2(flags, named, tmp_path, capsys):
    status, out, err = run_command(["train", *flags, "--out", str(tmp_path)], capsys)
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert named in err and "Traceback" not in err
    assert out == ""
    assert not (tmp_path / "history.csv").exists()


def test_out_that_is_a_file_is_one_line_and_status_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    status, _, err = run_command(["train", "--epochs", "1", "--out", str(blocker / "out")], capsys)
    assert status == 2
    assert err.startswith("micrograd44 train: error: --out ") and len(err.strip().splitlines()) == 1


def test_divergence_in_the_cli_writes_the_history_and_exits_1(tmp_path, capsys):
    argv = ["train", "--loss", "mse", "--lr", "100", "--out", str(tmp_path), "--quiet"]
    status, _, err = run_command(argv, capsys)
    assert status == 1
    assert "micrograd44 train: error: training diverged at epoch 13, step 52" in err
    assert "try a smaller one" in err and "Traceback" not in err
    assert len(list(csv.reader((tmp_path / "history.csv").open()))) == 1 + 52
    assert MLP.load(tmp_path / "model.json").num_parameters() == 44


def test_ctrl_c_writes_what_was_trained_and_exits_130(tmp_path):
    argv = ["--epochs", "1000000", "--print-every", "20", "--out", str(tmp_path)]
    status, out, err = interrupt_training(argv, after="Epoch: 20,")
    assert status == 130, err
    assert "Interrupted after" in out and "Traceback" not in err
    rows = list(csv.reader((tmp_path / "history.csv").open()))
    assert len(rows) > 1 + 20 * 4
    model = MLP.load(tmp_path / "model.json")
    assert model.num_parameters() == 44
    assert isinstance(model([1.0, 0.0]), Value)
    assert json.loads((tmp_path / "recipe.json").read_text())["epochs"] == 1000000


def test_a_stable_learning_rate_is_checked_by_training():
    recipe = Recipe(loss="mse", lr=100)
    lr = stable_learning_rate(recipe, epochs=100)
    assert lr == 0.1
    run(dataclasses.replace(recipe, lr=lr, epochs=100))  # does not diverge
    with pytest.raises(TrainingDiverged):
        run(dataclasses.replace(recipe, lr=lr * 10, epochs=100))  # the larger candidate does
    assert stable_learning_rate(Recipe(loss="mse", lr=1e300), epochs=10, tries=2) is None


def test_the_divergence_message_suggests_a_learning_rate_it_checked(tmp_path, capsys):
    status, _, err = run_command(
        ["train", *["--loss", "mse", "--lr", "100"], "--out", str(tmp_path), "--quiet"], capsys
    )
    assert status == 1
    assert "--lr 0.1 trains the first 100 epochs of this recipe without diverging (checked): try it." in err
    assert "e.g. 10" not in err  # lr / 10 diverges again at epoch 19
    with pytest.raises(TrainingDiverged):
        run(Recipe(loss="mse", lr=10))
