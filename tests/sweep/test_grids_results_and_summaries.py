"""micrograd44.sweep: grids, run results, the results file, resuming, local processes and summaries."""

import dataclasses
import doctest
import importlib
import multiprocessing
import os
import re
import signal

import pytest

from micrograd44.sweep import (
    Grid,
    GridError,
    ResultsFileError,
    SweepInterrupted,
    run_grid,
    run_recipe,
    summarize,
    wilson_interval,
)
from micrograd44.sweep.results import columns, from_row, to_row
from micrograd44.sweep.runner import batch_size
from micrograd44.training import TrainingDiverged
from micrograd44.training.course import Recipe, run

# a small grid: 4 seeds x 2 losses x 2 rates, 40 epochs each
SMALL = {"seed": "0:4", "loss": ["l1", "mse"], "lr": [0.02, 0.1], "epochs": 40, "print_every": 10}


def outcome(result):
    """Everything a run's result says but its wall time, as text (nan compares equal to nan)."""
    return to_row(result)[:-1]


def test_a_grid_is_every_combination_in_order_the_first_field_slowest():
    grid = Grid({"seed": "0:2", "loss": "l1,mse", "hidden": [[5, 4], [8]]})
    recipes = list(grid.recipes())
    assert len(grid) == len(recipes) == 8
    assert [(r.seed, r.loss, r.hidden) for r in recipes[:3]] == [
        (0, "l1", (5, 4)),
        (0, "l1", (8,)),
        (0, "mse", (5, 4)),
    ]
    assert grid.swept == ["seed", "loss", "hidden"]
    # fields not given keep the course recipe's values, on the compiled engine
    assert {dataclasses.replace(r, seed=2, loss="l1", hidden=(5, 4)) for r in recipes} == {
        Recipe(engine="compiled")
    }


def test_every_way_of_writing_values_gives_the_same_grid():
    as_text = Grid({"seed": "0:3,7", "lr": "0.02,1", "activation": "tanh,none", "hidden": "5-4,none"})
    as_objects = Grid(
        {"seed": [*range(3), 7], "lr": [0.02, 1], "activation": ["tanh", None], "hidden": [[5, 4], []]}
    )
    assert as_text == as_objects
    assert as_text.to_json()["seed"] == [0, 1, 2, 7] and Grid({"seed": range(5)}).to_json()["seed"] == "0:5"
    assert Grid(as_text.to_json()) == as_text  # the JSON written beside the results reads back


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"lrr": [0.1]}, "lrr", "is not a Recipe field (did you mean 'lr'?"),
        ({"seed": "5:5"}, "seed", "the range 5:5 is empty"),
        ({"loss": []}, "loss", "has no values"),
        ({"lr": "0.02,-1"}, "lr", "must be a finite number > 0, got -1.0"),
        ({"lr": "fast"}, "lr", "'fast' is not a number"),
        ({"loss": "l1,hinge"}, "loss", "is unknown (choose one of 'l1', 'mse'), got hinge"),
        ({"epochs": [10, 2.5]}, "epochs", "must be an integer >= 0, got 2.5"),
        ({"seed": "0:3,2"}, "seed", "2 is given twice"),
        ({"hidden": [5, 4]}, "hidden", "give each choice of layer sizes as a list"),
    ],
)
def test_a_bad_grid_is_one_line_naming_the_field(fields, field, words):
    with pytest.raises(GridError) as caught:
        Grid(fields)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ") and words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_bad_grid_stops_run_grid_before_any_run_or_file(tmp_path):
    started = []
    with pytest.raises(GridError, match="^momentum: must be a finite number >= 0"):
        run_grid({"seed": "0:3", "momentum": [0.9, -1]}, tmp_path / "r.csv", jobs=1, on_result=started.append)
    assert started == [] and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"jobs": 0}, "jobs must be at least 1, got 0"),
        ({"batch": 0}, "batch must be at least 1, got 0"),
        ({"jobs": 2, "scheduler": "tcp://127.0.0.1:8786"}, "give jobs (local processes) or scheduler"),
    ],
)
def test_bad_options_are_refused_before_any_run(tmp_path, options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        run_grid({"epochs": 1}, tmp_path / "r.csv", **options)
    assert list(tmp_path.iterdir()) == []


def test_a_grid_file_in_toml_or_json(tmp_path):
    (tmp_path / "g.toml").write_text(
        'seed = "0:3"\nloss = ["l1", "mse"]\nhidden = [[5, 4], [8]]\nepochs = 20\n'
    )
    (tmp_path / "g.json").write_text('{"seed": [0, 1, 2], "loss": "l1,mse", "hidden": "5-4,8", "epochs": 20}')
    assert Grid.load(tmp_path / "g.toml") == Grid.load(tmp_path / "g.json")
    (tmp_path / "bad.toml").write_text("lr = [0.1, 'x']\n")
    with pytest.raises(GridError, match=r"bad.toml: lr: 'x' is not a number$"):
        Grid.load(tmp_path / "bad.toml")


def test_a_run_result_says_what_the_history_says():
    recipe = Recipe(epochs=60, print_every=10, engine="compiled")
    result, history = run_recipe(recipe), run(recipe, snapshot_every=10)
    assert result.solved == history.solved and not result.diverged and result.diverged_step is None
    assert result.final_loss == history.step_losses[-1] and result.last_epoch_loss == history.epoch_losses[-1]
    assert result.predictions == tuple(history.predictions)
    xor = [0, 1, 1, 0]
    solved_at = [s.epoch for s in history.snapshots if s.rounded == xor]
    assert result.solved_epoch == (solved_at[0] if solved_at else (59 if history.solved else None))


def test_a_diverged_run_is_a_result_that_reads_back_from_its_row():
    recipe = Recipe(loss="mse", lr=100, epochs=50, engine="compiled")
    with pytest.raises(TrainingDiverged) as caught:
        run(recipe)
    result = run_recipe(recipe)
    assert result.diverged and not result.solved and result.diverged_step == caught.value.step == 52
    assert result.final_loss == caught.value.history.step_losses[-1]
    row = to_row(result)
    assert to_row(from_row(dict(zip(columns(), row)))) == row


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_run_that_diverges_is_a_row_and_the_sweep_goes_on(jobs):
    results = run_grid({"lr": [0.02, 100], "loss": "mse", "epochs": 50}, jobs=jobs, batch=1)
    assert [(r.recipe.lr, r.diverged, r.diverged_step) for r in results] == [
        (0.02, False, None),
        (100.0, True, 52),
    ]
    assert [len(r.predictions) for r in results] == [4, 4]


def test_wilson_interval_matches_the_formula_and_stays_in_bounds():
    # at 0 or n successes one end is 0 or 1 and the other z^2 / (n + z^2) from it
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.27753), abs=1e-5)
    assert wilson_interval(10, 10) == pytest.approx((0.72247, 1.0), abs=1e-5)
    low, high = wilson_interval(81, 263)  # a textbook example: 0.2553 to 0.3662
    assert (low, high) == pytest.approx((0.25527, 0.36617), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_summary_cells_count_the_runs_of_each_combination():
    results = run_grid(SMALL, jobs=1)
    cells = summarize(results)
    assert [cell.values for cell in cells] == [
        {"loss": loss, "lr": lr} for loss in ("l1", "mse") for lr in (0.02, 0.1)
    ]
    for cell in cells:
        runs = [
            r for r in results if r.recipe.loss == cell.values["loss"] and r.recipe.lr == cell.values["lr"]
        ]
        assert cell.runs == 4 and cell.solved == sum(r.solved for r in runs)
        assert cell.interval == wilson_interval(cell.solved, 4)


def test_local_processes_give_the_rows_of_this_process(tmp_path):
    here = run_grid(SMALL, jobs=1)
    elsewhere = run_grid(SMALL, tmp_path / "r.csv", jobs=2, batch=3)
    assert [outcome(r) for r in elsewhere] == [outcome(r) for r in here]
    assert [r.recipe for r in here] == list(Grid(SMALL).recipes())


@pytest.mark.parametrize("jobs", [1, 2])
def test_without_solved_epochs_the_results_are_the_same_but_that_field(jobs):
    with_epochs = run_grid(SMALL, jobs=1)
    without = run_grid(SMALL, jobs=jobs, batch=3, solved_epoch=False)
    assert [outcome(dataclasses.replace(r, solved_epoch=None)) for r in with_epochs] == [
        outcome(r) for r in without
    ]
    assert any(r.solved_epoch is not None for r in with_epochs)


def test_batches_aim_at_a_second_of_work_and_four_tasks_per_worker():
    assert batch_size(0.01, runs=10_000, workers=2) == 100
    assert batch_size(0.01, runs=100, workers=2) == 13
    assert batch_size(5.0, runs=100, workers=2) == 1


class StopAfter:
    """An on_result that presses Ctrl-C once it has seen ``count`` results."""

    def __init__(self, count):
        self.count, self.seen = count, []

    def __call__(self, result):
        self.seen.append(result)
        if len(self.seen) == self.count:
            raise KeyboardInterrupt


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_interrupted_sweep_keeps_its_runs_and_resumes_without_running_one_twice(tmp_path, jobs):
    path = tmp_path / "r.csv"
    with pytest.raises(SweepInterrupted) as caught:
        run_grid(SMALL, path, jobs=jobs, batch=2, on_result=StopAfter(5))
    kept = {r.recipe: r for r in caught.value.results}
    assert len(kept) >= 5 and caught.value.total == 16
    computed = []
    results = run_grid(SMALL, path, jobs=jobs, batch=2, on_result=computed.append)
    assert sorted(map(repr, (r.recipe for r in computed))) == sorted(
        repr(r.recipe) for r in results if r.recipe not in kept
    )
    assert all(kept[r.recipe] == r for r in results if r.recipe in kept)  # the same rows, seconds too
    assert [outcome(r) for r in results] == [outcome(r) for r in run_grid(SMALL, jobs=1)]
    # the finished file is in the grid's order, and another rerun computes nothing
    assert [r.recipe for r in run_grid(SMALL, path, jobs=jobs, on_result=computed.append)] == [
        r.recipe for r in results
    ]
    assert len(computed) == 16 - len(kept)


def test_a_row_cut_off_mid_write_is_dropped_and_run_again(tmp_path):
    path = tmp_path / "r.csv"
    with pytest.raises(SweepInterrupted):
        run_grid(SMALL, path, jobs=1, on_result=StopAfter(3))
    text = path.read_text()
    path.write_text(text[:-20])  # the third row loses its end
    computed = []
    results = run_grid(SMALL, path, jobs=1, on_result=computed.append)
    assert len(computed) == 16 - 2 and len(results) == 16


def test_a_file_of_another_grid_is_refused_in_one_line(tmp_path):
    path = tmp_path / "r.csv"
    run_grid({"seed": "0:2", "epochs": 10}, path, jobs=1)
    with pytest.raises(
        ResultsFileError, match=r"holds the runs of another grid \(seed: 0:2 there, 0:3 here\)"
    ):
        run_grid({"seed": "0:3", "epochs": 10}, path, jobs=1)


class KillTheWorkers:
    """An on_result that kills the pool's worker processes (SIGKILL) when the first result arrives."""

    def __init__(self):
        self.seen, self.killed = [], []
        self.before = set(multiprocessing.active_children())  # children that are not the sweep's

    def __call__(self, result):
        self.seen.append(result)
        if len(self.seen) == 1:
            for worker in set(multiprocessing.active_children()) - self.before:
                os.kill(worker.pid, signal.SIGKILL)
                self.killed.append(worker.pid)


def test_killed_local_workers_cost_no_row(tmp_path):
    killer = KillTheWorkers()
    results = run_grid(SMALL, tmp_path / "r.csv", jobs=2, batch=1, on_result=killer)
    assert killer.killed
    assert [outcome(r) for r in results] == [outcome(r) for r in run_grid(SMALL, jobs=1)]
    assert len(killer.seen) == 16  # each run delivered once


def test_a_run_without_steps_has_no_losses_and_reads_back():
    result = run_recipe(Recipe(epochs=0, engine="compiled"))
    assert (result.final_loss, result.last_epoch_loss, result.solved_epoch) == (None, None, None)
    cells = dict(zip(columns(), to_row(result)))
    assert cells["final_loss"] == cells["last_epoch_loss"] == ""
    assert from_row(cells) == result


@pytest.mark.parametrize(
    "name",
    ["micrograd44.sweep", "micrograd44.sweep.grid", "micrograd44.sweep.summary", "micrograd44.sweep.runner"],
)
def test_the_docstring_examples_run(name):
    module = importlib.import_module(name)
    tried = doctest.testmod(module)
    assert tried.failed == 0 and tried.attempted > 0
