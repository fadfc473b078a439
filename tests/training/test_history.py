"""The History of a run: compact per-step columns, short reprs, a compact notebook view.

Run as a script, it prints the bytes the History keeps per step (the figure quoted in
docs/guarantees.md):

    PYTHONPATH=. python tests/training/test_history.py
"""

from __future__ import annotations

import gc
import random
import tracemalloc
import xml.etree.ElementTree as ET

import numpy
import pytest

from micrograd44 import files
from micrograd44.training import Column, History
from micrograd44.training.course import Recipe, build_model, run

# the most bytes a History may keep per single-sample step (8 for the loss, 1 for the sample,
# 2 for a quarter of the epoch mean, and the arrays' spare room)
MOST_BYTES_PER_STEP = 14


def history_bytes_per_step(steps: int = 400_000) -> float:
    """Bytes a History keeps per recorded step, measured with tracemalloc.

    The steps are recorded as run() records them, a run of 4,000 at a time, each loss a
    distinct float as the engines return them.
    """
    recipe = Recipe(epochs=steps // 4)
    history = History(recipe=recipe, model=build_model(recipe), initial_state={})
    rng = random.Random(0)
    gc.collect()
    tracemalloc.start()
    for _ in range(steps // 4000):
        samples = [rng.randrange(4) for _ in range(4000)]
        losses = [rng.random() for _ in range(4000)]
        history._record_steps(samples, losses)
        del samples, losses
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(history.step_losses) == steps and len(history.epoch_losses) == steps // 4
    return kept / steps


def test_the_history_keeps_a_few_bytes_per_step():
    assert history_bytes_per_step(100_000) <= MOST_BYTES_PER_STEP


@pytest.fixture(scope="module")
def history():
    return run(Recipe(epochs=300))


# ---- the columns read like lists ----


def test_a_column_reads_like_a_list(history):
    losses = history.step_losses
    as_list = list(losses)
    assert len(losses) == 1200 and losses[0] == as_list[0] and losses[-1] == as_list[-1]
    assert losses[10:13] == as_list[10:13] and isinstance(losses[10:13], list)
    assert losses == as_list and as_list == losses and losses != as_list[:-1]
    assert numpy.array_equal(numpy.asarray(losses), numpy.array(as_list))
    assert set(history.samples) == {0, 1, 2, 3}


def test_a_sample_column_keeps_none_for_a_full_batch_step():
    samples = Column("b", [0, None, 3], none=-1)
    assert list(samples) == [0, None, 3] and samples[1] is None and samples == [0, None, 3]
    assert run(Recipe(epochs=2, sampling="full-batch")).samples == [None, None]
    with pytest.raises(TypeError):
        Column("d").append(None)


def test_a_column_repr_is_short():
    assert repr(Column("d", [0.5, 0.25])) == "[0.5, 0.25]"
    assert repr(Column("d", range(10_000))) == "[0.0, 1.0, 2.0, ..., 9998.0, 9999.0] (10000 entries)"


# ---- short reprs ----


def test_a_recipe_repr_names_only_what_differs_from_the_course():
    assert repr(Recipe()) == "Recipe()"
    assert repr(Recipe(lr=0.5, hidden=[3], activation=None)) == "Recipe(lr=0.5, hidden=(3,), activation=None)"
    assert eval(repr(Recipe(loss="mse", seed=7)), {"Recipe": Recipe}) == Recipe(loss="mse", seed=7)


def test_a_history_repr_is_one_short_line(history):
    text = repr(history)
    assert "\n" not in text and len(text) < 120
    assert text == (
        f"<History of Recipe(epochs=300): 1200 steps, last epoch loss {history.epoch_losses[-1]:.6g}, solved>"
    )


def test_an_unfinished_history_says_how_far_it_got():
    def stop_at_epoch_10(epoch, loss, mean):
        if epoch == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as caught:
        run(Recipe(print_every=10), on_log=stop_at_epoch_10)
    assert "44 of 8004 steps" in repr(caught.value.history)


def test_the_notebook_view_is_compact_with_a_small_loss_curve(history):
    page = history._repr_html_()
    assert len(page) < 6000
    root = ET.fromstring(page)  # well-formed: the recipe and summary are escaped
    text = "".join(root.itertext())
    assert "History of Recipe(epochs=300)" in text and "1200 steps" in text and ", solved" in text
    svg = root.find("{http://www.w3.org/2000/svg}svg")
    assert svg is not None and int(svg.get("width")) <= 300
    points = svg.find("{http://www.w3.org/2000/svg}polyline").get("points").split()
    assert 50 <= len(points) <= 120


# ---- long runs write their files in bounded memory ----


def test_a_text_written_in_pieces_is_their_concatenation(tmp_path):
    path = tmp_path / "pieces.txt"
    files.write_text_atomic(path, (f"{i}\n" for i in range(1000)))
    assert path.read_text() == "".join(f"{i}\n" for i in range(1000))


def test_a_long_loss_series_is_drawn_as_a_band_of_bounded_size():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from micrograd44.cli import loss_plot

    axes = Figure().add_subplot()
    losses = numpy.random.default_rng(0).random(1_000_000)
    loss_plot.draw_losses(axes, numpy.arange(len(losses)), losses, "loss", 0.5, 0.5)
    assert not axes.lines
    (band,) = axes.collections
    assert len(band.get_paths()[0].vertices) <= 2 * loss_plot.MOST_POINTS_DRAWN


if __name__ == "__main__":
    steps = 400_000
    print(f"History keeps {history_bytes_per_step(steps):.1f} bytes per single-sample step ({steps:,} steps)")
