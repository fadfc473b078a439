"""A run folder's manifest.json never costs a file: what a rerun removes, which manifests are refused."""

import json
import os

from cli_runs import run_command

SHORT = ["--epochs", "3", "--quiet"]
NOT_OURS = "manifest.json is not a micrograd44 run manifest; delete it"


def train(argv, capsys) -> tuple[int, str, str]:
    return run_command(["train", *argv], capsys)


def manifest(folder) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def write_manifest(folder, files) -> None:
    document = {"format": "micrograd44.run", "command": "train", "files": files}
    (folder / "manifest.json").write_text(json.dumps(document))


def test_a_file_the_command_never_writes_is_kept_though_the_manifest_lists_it(tmp_path, capsys):
    (tmp_path / "notes.md").write_text("my notes")
    write_manifest(tmp_path, ["notes.md"])
    status, _, err = train([*SHORT, "--out", str(tmp_path)], capsys)
    assert status == 0, err
    assert (tmp_path / "notes.md").read_text() == "my notes"
    assert "notes.md" not in manifest(tmp_path)["files"]
    assert {"history.csv", "model.json", "recipe.json"} <= set(manifest(tmp_path)["files"])


def test_an_earlier_runs_file_changed_since_is_kept(tmp_path, capsys):
    argv = ["--epochs", "3", "--quiet", "--out", str(tmp_path)]
    assert train([*argv, "--report", str(tmp_path / "replay.html")], capsys)[0] == 0
    with open(tmp_path / "replay.html", "a") as handle:
        handle.write("<!-- my edit -->")
    assert train(argv, capsys)[0] == 0
    assert (tmp_path / "replay.html").read_text().endswith("<!-- my edit -->")
    assert "replay.html" not in manifest(tmp_path)["files"]


def test_a_manifest_that_is_a_json_list_is_one_line_and_status_2(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text('["model.json"]')
    status, out, err = train([*SHORT, "--out", str(tmp_path)], capsys)
    assert status == 2 and out == ""
    [line] = err.splitlines()
    assert line == f"micrograd44 train: error: --out {tmp_path}: {NOT_OURS}"


def test_a_manifest_that_lists_a_folder_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "kept.txt").write_text("mine")
    write_manifest(tmp_path, ["sub", "model.json"])
    status, out, err = train([*SHORT, "--out", str(tmp_path)], capsys)
    assert status == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith(f"micrograd44 train: error: --out {tmp_path}: manifest.json lists sub, a folder")
    assert sorted(os.listdir(tmp_path)) == ["manifest.json", "sub"]
    assert (tmp_path / "sub" / "kept.txt").read_text() == "mine"


def test_a_manifest_with_malformed_stamps_is_refused(tmp_path, capsys):
    document = {"format": "micrograd44.run", "command": "train", "files": [], "stamps": {"model.json": "x"}}
    (tmp_path / "manifest.json").write_text(json.dumps(document))
    status, _, err = train([*SHORT, "--out", str(tmp_path)], capsys)
    assert status == 2 and "manifest.json is not a micrograd44 run manifest" in err
