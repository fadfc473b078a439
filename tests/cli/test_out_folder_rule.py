"""The --out folder rule of `micrograd44 train` and `micrograd44 graph`.

A folder holds one run at a time, listed in its manifest.json: a rerun of the same command
replaces the earlier run as a whole; the other command's files, or files with the command's
names that no manifest lists, are refused before any work; an unwritable folder is refused
before training; a file that cannot be written at the end is said in one line.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys

import pytest
from cli_runs import run_command

from micrograd44 import MLP
from micrograd44.cli import build_parser, outputs, run_folder

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")

SHORT = ["--epochs", "3", "--quiet"]
DIVERGES = ["--loss", "mse", "--lr", "100", "--quiet"]


def listing(folder) -> list[str]:
    return sorted(os.listdir(folder))


def manifest(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def train(argv, capsys) -> tuple[int, str, str]:
    return run_command(["train", *argv], capsys)


# ---- a folder holds one run ----


def test_a_diverged_run_leaves_no_file_of_the_earlier_run(tmp_path, capsys):
    status, _, err = train([*SHORT, "--out", str(tmp_path)], capsys)
    assert status == 0, err
    complete = set(manifest(tmp_path)["files"])
    assert {"history.csv", "model.json", "recipe.json"} < complete

    status, _, err = train([*DIVERGES, "--out", str(tmp_path)], capsys)
    assert status == 1
    document = manifest(tmp_path)
    assert {key: document[key] for key in ("format", "command", "files")} == {
        "format": "micrograd44.run",
        "command": "train",
        "files": ["history.csv", "model.json", "recipe.json"],
    }
    assert sorted(document["stamps"]) == document["files"]
    assert listing(tmp_path) == ["history.csv", "manifest.json", "model.json", "recipe.json"]
    assert json.loads((tmp_path / "recipe.json").read_text())["lr"] == 100


def test_the_files_listed_are_the_files_in_the_folder(tmp_path, capsys):
    status, out, err = train(["--epochs", "3", "--out", str(tmp_path)], capsys)
    assert status == 0, err
    listed = out.split(f"Wrote to {tmp_path}/:\n")[1].splitlines()
    names = [line.split()[0] for line in listed if line.startswith("  ")]
    assert sorted(names) == listing(tmp_path)
    assert sorted(manifest(tmp_path)["files"]) == sorted(set(names) - {"manifest.json"})


def test_other_files_in_the_folder_are_left_alone(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "sub").mkdir()
    for _ in range(2):
        assert train([*SHORT, "--out", str(tmp_path)], capsys)[0] == 0
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "sub").is_dir()


@pytest.mark.parametrize("name", ["model.json", "graph.svg"])
def test_a_file_with_the_commands_name_that_no_manifest_lists_is_refused(tmp_path, capsys, name):
    (tmp_path / name).write_text("someone else's")
    status, out, err = train([*SHORT, "--out", str(tmp_path)], capsys)
    assert status == 2 and out == ""
    assert err.startswith(f"micrograd44 train: error: --out {tmp_path}: {name} already there, not written")
    assert len(err.strip().splitlines()) == 1
    assert (tmp_path / name).read_text() == "someone else's"


@needs_dot
def test_graph_refuses_a_train_folder_and_train_refuses_a_graph_folder(tmp_path, capsys):
    trained, drawn = tmp_path / "trained", tmp_path / "drawn"
    assert train([*SHORT, "--out", str(trained)], capsys)[0] == 0
    before = {name: (trained / name).read_bytes() for name in listing(trained)}
    status, _, err = run_command(["graph", "--out", str(trained)], capsys)
    assert status == 2 and "holds the files of a `micrograd44 train` run" in err
    assert {name: (trained / name).read_bytes() for name in listing(trained)} == before

    assert run_command(["graph", "--what", "network", "--out", str(drawn)], capsys)[0] == 0
    status, _, err = train([*SHORT, "--out", str(drawn)], capsys)
    assert status == 2 and "holds the files of a `micrograd44 graph` run (network.svg)" in err


@needs_dot
def test_a_graph_rerun_replaces_the_earlier_pictures_as_a_whole(tmp_path, capsys):
    assert run_command(["graph", "--out", str(tmp_path)], capsys)[0] == 0
    assert (
        run_command(["graph", "--what", "network", "--format", "png", "--out", str(tmp_path)], capsys)[0] == 0
    )
    assert listing(tmp_path) == ["manifest.json", "network.png"]


def test_the_graph_command_draws_into_its_own_folder_by_default():
    assert build_parser().parse_args(["graph"]).out == "out/first-step/"
    assert build_parser().parse_args(["train"]).out == "out/"


# ---- --report ----


def test_a_report_named_as_one_of_the_runs_files_is_refused(tmp_path, capsys):
    status, out, err = train(
        [*SHORT, "--report", str(tmp_path / "model.json"), "--out", str(tmp_path)], capsys
    )
    assert status == 2 and out == ""
    assert "--report" in err and "is the run's own model.json" in err
    assert listing(tmp_path) == []


@needs_dot
def test_a_report_that_would_replace_a_file_of_another_run_is_refused(tmp_path, capsys):
    assert run_command(["graph", "--what", "network", "--out", str(tmp_path / "drawn")], capsys)[0] == 0
    report = tmp_path / "drawn" / "network.svg"
    status, _, err = train([*SHORT, "--report", str(report), "--out", str(tmp_path / "trained")], capsys)
    assert status == 2 and "would replace a file of the `micrograd44 graph` run" in err


@needs_dot
def test_a_report_inside_out_belongs_to_its_run(tmp_path, capsys):
    argv = ["--epochs", "3", "--quiet", "--out", str(tmp_path)]
    assert train([*argv, "--report", str(tmp_path / "replay.html")], capsys)[0] == 0
    assert "replay.html" in manifest(tmp_path)["files"]
    assert train(argv, capsys)[0] == 0
    assert "replay.html" not in listing(tmp_path)


# ---- writability ----


def unwritable_folder(tmp_path):
    """A folder this process cannot create files in: a read-only one, or /sys for root."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK) and sys.platform != "win32" and os.geteuid() != 0:
        return folder
    try:
        os.close(os.open("/sys/.micrograd44-probe", os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    except PermissionError:
        return "/sys"
    except OSError:
        pass
    pytest.skip("no folder here refuses this process's writes")


def test_an_unwritable_out_is_refused_before_training(tmp_path, capsys):
    folder = unwritable_folder(tmp_path)
    status, out, err = train(["--epochs", "3", "--out", str(folder)], capsys)
    assert status == 2
    assert out == ""  # not even the recipe: nothing was trained
    assert (
        err == f"micrograd44 train: error: --out {folder}: cannot write in this folder (Permission denied)\n"
    )


def test_a_file_that_cannot_be_written_at_the_end_is_one_line_and_the_rest_is_kept(
    tmp_path, capsys, monkeypatch
):
    def disk_full(history, path):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs, "save_model", disk_full)
    status, out, err = train(["--epochs", "3", "--out", str(tmp_path)], capsys)
    assert status == 1
    assert (
        f"micrograd44 train: error: cannot write {tmp_path / 'model.json'}: No space left on device\n" in err
    )
    assert "Traceback" not in err
    assert {"history.csv", "recipe.json"} <= set(listing(tmp_path)) and "model.json" not in listing(tmp_path)
    assert "model.json" not in manifest(tmp_path)["files"]
    with pytest.raises(FileNotFoundError):
        MLP.load(tmp_path / "model.json")


def test_a_manifest_that_is_not_ours_is_refused(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text('{"files": ["../../etc/passwd"]}')
    status, _, err = train([*SHORT, "--out", str(tmp_path)], capsys)
    assert status == 2 and "manifest.json is not a micrograd44 run manifest" in err


def test_a_manifest_names_only_files_inside_its_folder(tmp_path, capsys):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    folder = tmp_path / "out"
    folder.mkdir()
    document = {"format": "micrograd44.run", "command": "train", "files": ["../outside.txt"]}
    (folder / "manifest.json").write_text(json.dumps(document))
    status, _, err = train([*SHORT, "--out", str(folder)], capsys)
    assert status == 2 and outside.read_text() == "keep"
    assert run_folder.MANIFEST in err
