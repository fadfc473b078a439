"""viz.training_report and `micrograd44 train --report`: the replay page's data, pictures, size and flags."""

from __future__ import annotations

import html
import json
import re
import shutil

import pytest
from cli_runs import run_train

import viz
from micrograd44.cli import train as train_command
from micrograd44.training.course import INPUTS, TARGETS, Recipe, run, snapshot_steps
from viz import live_svg, style
from viz.frames import snapshot_model, weight_names

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

DATA = re.compile(r'<script type="application/json" id="replay-data">(.*?)</script>', re.DOTALL)
# a weight's edge in draw_network's DOT source: head node, input index k, attributes
DOT_EDGE = re.compile(r'^\t+"?[\w.]+"?(?::out:e)? -> "?([\w.]+)"?:w(\d+):w \[(.*)\]$', re.MULTILINE)
MEGABYTE = 1024 * 1024


def page_data(page: str) -> dict:
    """The JSON data the page's script reads."""
    return json.loads(DATA.search(page).group(1).replace("<\\/", "</"))


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course recipe trained with a snapshot every 50 epochs, its page and the page's data."""
    history = run(Recipe(), snapshot_every=50)
    path = viz.training_report(history, tmp_path_factory.mktemp("report") / "report.html")
    page = path.read_text(encoding="utf-8")
    return history, path, page, page_data(page)


def test_the_course_page_is_under_5_megabytes(course):
    _, path, _, _ = course
    assert path.stat().st_size < 5 * MEGABYTE
    assert path.stat().st_size < MEGABYTE / 2  # the pictures are laid out once, not once per snapshot


def test_the_page_is_self_contained(course):
    _, _, page, _ = course
    assert not re.search(r"\b(?:src|href)\s*=", page, re.IGNORECASE)
    assert not re.search(r"<(?:link|img|iframe|object|embed)\b|@import|url\(", page, re.IGNORECASE)
    assert "http:" not in page and "https:" not in page  # not even an XML namespace
    assert "default-src 'none'" in page  # the browser itself refuses any load
    assert page.count("<script") == 2 and page.count("<svg") == 3


def test_one_frame_per_snapshot_at_the_logged_epochs_first_and_last_step(course):
    history, _, _, data = course
    assert (
        [s["step"] for s in data["snapshots"]]
        == snapshot_steps(Recipe(), 50)
        == [s.step for s in history.snapshots]
    )
    assert [s["epoch"] for s in data["snapshots"]] == [0, *range(0, 2001, 50)]
    assert len(data["markers"]) == len(history.snapshots)
    assert 'max="41"' in re.search(r'<input id="snapshot"[^>]*>', course[2]).group()


def test_each_frame_holds_its_snapshots_numbers(course):
    history, _, _, data = course
    names = data["names"]
    assert names == [name for name, _ in history.model.named_parameters()]
    assert [names[i] for i in data["weights"]] == weight_names(history.model)
    for snapshot, shown in zip(history.snapshots, data["snapshots"]):
        assert shown["values"] == [snapshot.values[name] for name in names]
        assert shown["grads"] == [snapshot.grads[name] for name in names]
        assert shown["valueText"] == [style.format_number(snapshot.values[name]) for name in names]
        assert shown["gradText"] == [style.format_number(snapshot.grads[name]) for name in names]
        assert shown["predictions"] == [style.format_number(p) for p in snapshot.predictions]
        assert shown["rounded"] == snapshot.rounded
        assert shown["sample"] == snapshot.sample
        assert shown["label"].startswith(
            f"epoch {snapshot.epoch} of 2001 (counted from 0), step {snapshot.step},"
        )
        assert shown["label"].endswith(f"loss {style.format_number(snapshot.loss)}")


def test_epoch_1000_matches_the_history_and_draw_network_at_that_step(course):
    history, _, _, data = course
    index = next(i for i, s in enumerate(history.snapshots) if s.epoch == 1000)
    snapshot, shown = history.snapshots[index], data["snapshots"][index]
    assert snapshot.step == 4003 and snapshot.loss == history.step_losses[4003]  # the loss the log prints
    model = snapshot_model(history, snapshot)
    assert model.state_dict() == snapshot.values
    source = viz.draw_network(model).source
    edges = {f"{head}.w.{k}": attributes for head, k, attributes in DOT_EDGE.findall(source)}
    assert len(edges) == 34
    for name, (colour, width, dashed) in zip(weight_names(model), shown["edges"]):
        assert f'color="{colour}"' in edges[name] and f"penwidth={width:g}" in edges[name]
        assert ("style=dashed" in edges[name]) == dashed
    for name, value in zip(data["names"], shown["valueText"]):
        assert re.search(
            rf'ID="{re.escape(name)}" ALIGN="LEFT">[\w.]+</TD><TD ALIGN="RIGHT">{value}</TD>', source
        )
    assert all(f"g {grad}</FONT>" in source for grad in shown["gradText"])
    assert shown["widths"] in html.unescape(source)


def test_the_pictures_mark_every_number_and_edge(course):
    history, _, page, _ = course
    for name, _ in history.model.named_parameters():
        for picture in live_svg.PICTURES:
            for kind in live_svg.KINDS:
                assert page.count(f'id="{live_svg.element_id(picture, kind, name)}"') == 1
    for name in weight_names(history.model):
        assert page.count(f'id="{live_svg.element_id("network", "edge", name)}"') == 1
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert {live_svg.WIDTHS_ID, "loss-marker", "loss-marker-line", "epoch-label", "play"} <= set(ids)


def test_the_loss_curve_has_every_epoch_and_a_marker_per_snapshot(course):
    history, _, page, data = course
    polylines = re.findall(r'<polyline points="([^"]*)"', page)
    assert len(polylines[0].split()) == 2001 and len(polylines[1].split()) == 2001 // 50
    xs = [x for x, _ in data["markers"]]
    assert xs[0] == xs[1] and xs[1:] == sorted(xs[1:]) and len(set(xs[1:])) == 41


def test_placeholders_are_distinct_and_as_wide_as_any_number():
    texts = [
        style.format_number(live_svg._placeholder(kind, index))
        for kind in live_svg.KINDS
        for index in range(3000)
    ]
    assert len(set(texts)) == len(texts)
    assert all(live_svg.PLACEHOLDER.fullmatch(text) and len(text) == 10 for text in texts)
    assert len(style.format_number(-1234.5678)) == len(style.format_number(-1.5e-7)) == 10


def test_a_full_batch_run_replays_with_all_four_samples(tmp_path):
    history = run(Recipe(epochs=30, sampling="full-batch"), snapshot_every=10)
    data = page_data(viz.training_report(history, tmp_path / "r.html").read_text())
    assert [s["step"] for s in data["snapshots"]] == [0, 10, 20, 29]
    assert all(s["sample"] is None and "all 4 samples" in s["label"] for s in data["snapshots"])


def test_a_history_without_snapshots_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"no snapshots .* run\(recipe, snapshot_every=50\)"):
        viz.training_report(run(Recipe(epochs=2)), tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_without_dot_nothing_is_written(tmp_path, monkeypatch):
    history = run(Recipe(epochs=2), snapshot_every=1)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(viz.DotNotFoundError, match="apt-get install graphviz"):
        viz.training_report(history, tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


# ---- micrograd44 train --report FILE --snapshot-every N ----


def test_report_flag_writes_the_page_with_snapshots_every_n_epochs(tmp_path, capsys):
    report = tmp_path / "pages" / "report.html"
    argv = [
        "--epochs",
        "120",
        "--snapshot-every",
        "20",
        "--report",
        str(report),
        "--out",
        str(tmp_path / "o"),
    ]
    status, out, err = run_train(argv, capsys)
    assert status == 0, err
    data = page_data(report.read_text())
    assert (
        [s["step"] for s in data["snapshots"]]
        == snapshot_steps(Recipe(epochs=120), 20)
        == [
            0,
            *range(3, 480, 80),
            479,
        ]
    )
    assert f"Wrote {report} (" in out and "the training replay, 8 snapshots" in out
    assert (tmp_path / "o" / "history.csv").exists()


def test_report_flags_default_to_every_50_epochs(tmp_path, capsys):
    report = tmp_path / "report.html"
    status, _, err = run_train(
        ["--epochs", "101", "--report", str(report), "--out", str(tmp_path), "--quiet"], capsys
    )
    assert status == 0, err
    assert [s["epoch"] for s in page_data(report.read_text())["snapshots"]] == [0, 0, 50, 100]


@pytest.mark.parametrize("every", ["0", "-3", "x", "2.5"])
def test_bad_snapshot_every_is_one_line_and_status_2(every, tmp_path, capsys):
    status, out, err = run_train(
        ["--snapshot-every", every, "--report", "r.html", "--out", str(tmp_path)], capsys
    )
    assert status == 2 and out == ""
    assert "--snapshot-every: expected an integer >= 1" in err and len(err.strip().splitlines()) == 1


def test_report_that_is_a_folder_is_refused_before_training(tmp_path, capsys):
    status, out, err = run_train(["--report", str(tmp_path), "--out", str(tmp_path / "o")], capsys)
    assert status == 2 and out == ""
    assert err.startswith("micrograd44 train: error: --report ") and "is a folder" in err


def test_a_diverged_run_still_writes_the_replay_of_its_snapshots(tmp_path, capsys):
    report = tmp_path / "diverged.html"
    argv = ["--loss", "mse", "--lr", "100", "--snapshot-every", "5", "--report", str(report)]
    status, _, err = run_train([*argv, "--out", str(tmp_path), "--quiet"], capsys)
    assert status == 1
    assert f"The replay of its snapshots is in {report}." in err
    assert [s["step"] for s in page_data(report.read_text())["snapshots"]] == [0, 3, 23, 43]


def test_ctrl_c_still_writes_the_replay_of_the_snapshots_so_far(tmp_path, capsys, monkeypatch):
    def ctrl_c_at_epoch_100(epoch, loss, epoch_mean):
        if epoch == 100:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_command, "_print_log", ctrl_c_at_epoch_100)
    report = tmp_path / "r.html"
    argv = ["--snapshot-every", "40", "--report", str(report), "--out", str(tmp_path)]
    status, out, _ = run_train(argv, capsys)
    assert status == 130
    assert "Interrupted after 404 steps" in out and "the training replay, 4 snapshots" in out
    assert [s["epoch"] for s in page_data(report.read_text())["snapshots"]] == [0, 0, 40, 80]


def test_without_dot_the_report_is_skipped_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    report = tmp_path / "r.html"
    status, _, err = run_train(
        ["--epochs", "2", "--report", str(report), "--out", str(tmp_path), "--quiet"], capsys
    )
    assert status == 0
    assert [line for line in err.splitlines() if line.startswith(f"skipped {report}: ")]
    assert not report.exists()


def test_truth_table_rows_are_the_xor_samples(course):
    _, _, page, _ = course
    for i, (x, target) in enumerate(zip(INPUTS, TARGETS)):
        assert f'<tr id="row-{i}"><td>({x[0]:g}, {x[1]:g})</td><td>{target:g}</td>' in page
