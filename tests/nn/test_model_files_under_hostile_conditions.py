"""Model files under hostile or unlucky conditions: special files, symlinks, huge files, bad paths.

save() writes regular files only (a symlink is followed, its target replaced); load() checks
the file type and size before reading and the config's size before building; every message
is bounded and names the path the user gave.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from pathlib import Path

import pytest

from micrograd44 import MLP, StateDictError, model_files
from micrograd44.files import NotARegularFileError

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")


def course_model(seed: int = 2) -> MLP:
    return MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=seed)


def make_device(path: Path) -> None:
    """A character device node like /dev/null at path; skips the test where mknod is not permitted."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except (PermissionError, AttributeError) as error:
        pytest.skip(f"cannot make a device node here ({error})")


# ---- save: only regular files are written ----


@posix_only
@pytest.mark.parametrize("kind", ["FIFO", "device"])
def test_save_refuses_a_special_file_and_leaves_it_in_place(tmp_path, kind):
    path = tmp_path / "node"
    os.mkfifo(path) if kind == "FIFO" else make_device(path)
    with pytest.raises(NotARegularFileError, match=r"not a regular file"):
        course_model().save(path)
    mode = os.lstat(path).st_mode
    assert stat.S_ISFIFO(mode) if kind == "FIFO" else stat.S_ISCHR(mode)
    assert os.listdir(tmp_path) == ["node"]


@posix_only
def test_save_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "models" / "model.json"
    target.parent.mkdir()
    course_model(seed=1).save(target)
    link = tmp_path / "latest.json"
    link.symlink_to(target)

    course_model(seed=2).save(link)

    assert link.is_symlink() and link.resolve() == target
    assert MLP.load(target).state_dict() == course_model(seed=2).state_dict()
    assert sorted(os.listdir(target.parent)) == ["model.json"]


@posix_only
def test_save_through_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "model.json")
    course_model().save(link)
    assert link.is_symlink() and MLP.load(tmp_path / "model.json").num_parameters() == 44


@posix_only
def test_save_through_a_symlink_to_a_fifo_is_refused_naming_both(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "model.json"
    link.symlink_to(fifo)
    with pytest.raises(NotARegularFileError, match=r"a symlink to .*fifo', which is a FIFO"):
        course_model().save(link)
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize(
    ("path", "error", "words"),
    [
        ("", FileNotFoundError, "cannot write '': the path is empty"),
        (".", IsADirectoryError, "cannot write '.': it names a folder"),
        ("out/", IsADirectoryError, "cannot write 'out/': it names a folder"),
        ("missing/model.json", FileNotFoundError, "the folder 'missing' does not exist"),
        ("folder", IsADirectoryError, "cannot write 'folder': it is a folder"),
    ],
)
def test_save_says_what_is_wrong_with_the_path_given(tmp_path, monkeypatch, path, error, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "folder").mkdir()
    with pytest.raises(error) as caught:
        course_model().save(path)
    message = str(caught.value)
    assert words in message
    assert ".tmp" not in message and "PosixPath" not in message
    assert sorted(os.listdir(tmp_path)) == ["folder", "out"]


def refuses_writes(folder: str) -> bool:
    """True when creating a file in folder fails with PermissionError, even for root (as in /sys)."""
    try:
        os.close(os.open(os.path.join(folder, ".micrograd44-probe"), os.O_WRONLY | os.O_CREAT | os.O_EXCL))
    except PermissionError:
        return True
    except OSError:
        return False
    os.unlink(os.path.join(folder, ".micrograd44-probe"))
    return False


@pytest.mark.skipif(not refuses_writes("/sys"), reason="needs a folder nobody may write in (/sys)")
def test_a_refused_write_names_the_path_given_not_a_temporary_file():
    with pytest.raises(PermissionError) as caught:
        course_model().save("/sys/model.json")
    assert str(caught.value) == "cannot write '/sys/model.json': Permission denied"
    assert caught.value.errno is not None


# ---- load: the file type and size are checked before reading ----


@posix_only
def test_load_of_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(_load_error(fifo)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # blocked waiting for a writer: release it, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=10)
        pytest.fail("MLP.load blocked on a FIFO")
    assert isinstance(outcome[0], NotARegularFileError)
    assert "is a FIFO (named pipe), not a regular file" in str(outcome[0])


def _load_error(path) -> BaseException | None:
    """The exception MLP.load(path) raises, or None."""
    try:
        MLP.load(path)
    except BaseException as error:
        return error
    return None


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_load_of_an_endless_device_is_refused_before_reading():
    with pytest.raises(NotARegularFileError, match=r"'/dev/zero': it is a character device"):
        MLP.load("/dev/zero")


def test_load_of_a_folder_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError):
        MLP.load(tmp_path)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    with open(path, "wb") as handle:  # sparse: no disk space used
        handle.truncate(model_files.MAX_FILE_BYTES + 1)
    monkeypatch.setattr(json, "loads", lambda *a, **k: pytest.fail("parsed the file"))
    with pytest.raises(StateDictError, match=r"larger than 16,777,216 bytes"):
        MLP.load(path)


def test_the_size_limit_holds_a_model_of_the_largest_allowed_config(tmp_path):
    model = MLP(2, [316, 311, 1], seed=0)  # 99,856 parameters, the most below MAX_PARAMETERS here
    assert model.num_parameters() <= model_files.MAX_PARAMETERS
    path = tmp_path / "model.json"
    model.save(path)
    assert path.stat().st_size < model_files.MAX_FILE_BYTES / 2


def test_an_oversized_config_is_refused_before_building(tmp_path, monkeypatch):
    # a file that holds as many entries as its config asks for, more than MAX_PARAMETERS
    count = MLP.parameter_count(2, [400, 300, 1])
    assert count > model_files.MAX_PARAMETERS
    document = {
        "format": model_files.FILE_FORMAT,
        "version": 1,
        "module": "MLP",
        "config": {"nin": 2, "nouts": [400, 300, 1], "activation": "relu", "final_activation": None},
        "parameters": {f"p{i}": 0.0 for i in range(count)},
    }
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    monkeypatch.setattr(MLP, "__init__", lambda *a, **k: pytest.fail("built the architecture"))
    with pytest.raises(StateDictError, match=rf"makes {count} parameters .* more than the 100,000"):
        MLP.load(path)


# ---- bounded messages ----

HOSTILE_KEY = "layers.0.neurons.0.b\x1b[2K\u202e"  # erases the line, then reverses the text after it


def test_many_bad_keys_give_a_bounded_message_with_the_count_of_the_rest(tmp_path):
    document = json.loads(_saved_text(tmp_path))
    junk = {f"junk.{i}": 1.0 for i in range(50_000)}
    document["parameters"] = {HOSTILE_KEY: 1.0, **junk, **document["parameters"]}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))

    with pytest.raises(StateDictError) as caught:
        MLP.load(path)

    message = str(caught.value)
    assert len(message) < 2000
    assert "50001 problem(s)" in message and "; and 49991 more" in message
    assert len(caught.value.problems) == 50_001
    assert "unexpected: 'layers.0.neurons.0.b\\x1b[2K\\u202e'" in message
    assert "\x1b" not in message and "\u202e" not in message


def test_a_very_long_key_is_cut_in_the_message(tmp_path):
    document = json.loads(_saved_text(tmp_path))
    document["parameters"]["x" * 100_000] = 1.0
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    with pytest.raises(StateDictError) as caught:
        MLP.load(path)
    assert len(str(caught.value)) < 500 and "unexpected: 'xxx" in str(caught.value)


def test_unknown_config_keys_are_listed_with_repr(tmp_path):
    document = json.loads(_saved_text(tmp_path))
    document["config"].update({HOSTILE_KEY: 1, **{f"k{i}": i for i in range(20)}})
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    with pytest.raises(
        StateDictError, match=r"unknown keys 'layers\.0\.neurons\.0\.b\\x1b\[2K\\u202e'; .*and 11 more"
    ):
        MLP.load(path)


def _saved_text(tmp_path) -> str:
    """The text of the course model's file."""
    path = tmp_path / "saved.json"
    course_model().save(path)
    return path.read_text()
