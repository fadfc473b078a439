"""micrograd44.files directly: bounded reads at the limit, atomic writes' modes, pieces and failures."""

import os
import stat

import pytest

from micrograd44 import files


@pytest.mark.parametrize("size", [0, 1, 7, 4096])
def test_a_file_of_exactly_the_limit_is_read_whole(tmp_path, size):
    path = tmp_path / "data.bin"
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    path.write_bytes(data)
    assert files.read_bounded(path, size) == data
    assert files.read_bounded(path, size + 1) == data


@pytest.mark.parametrize("size", [1, 7, 4096])
def test_a_file_one_byte_over_the_limit_is_refused(tmp_path, size):
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * (size + 1))
    with pytest.raises(ValueError):
        files.read_bounded(path, size)


def test_a_file_that_grows_past_the_limit_after_its_size_was_checked_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "data.bin"
    path.write_bytes(b"12345")
    fstat = os.fstat

    def grown(fd):
        with open(path, "ab") as handle:  # the file grows between the check and the read
            handle.write(b"6789")
        return fstat(fd)

    monkeypatch.setattr(files.os, "fstat", grown)
    with pytest.raises(ValueError):
        files.read_bounded(path, 6)


def test_read_json_parses_a_file_of_exactly_the_limit(tmp_path):
    path = tmp_path / "data.json"
    path.write_text('{"a": [1, 2.5, null]}', encoding="utf-8")
    assert files.read_json(path, path.stat().st_size) == {"a": [1, 2.5, None]}


def test_a_new_file_gets_the_mode_open_would_give_it(tmp_path):
    umask = os.umask(0o022)
    try:
        files.write_text_atomic(tmp_path / "new.txt", "hello")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644
    assert (tmp_path / "new.txt").read_text(encoding="utf-8") == "hello"


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "kept.txt"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o600)
    files.write_text_atomic(path, "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8") == "new"


def test_text_given_in_pieces_is_written_in_order(tmp_path):
    path = tmp_path / "pieces.txt"
    files.write_text_atomic(path, (piece for piece in ["a,", "b\n", "", "c"]))
    assert path.read_text(encoding="utf-8") == "a,b\nc"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pieces.txt"]


def test_a_failing_piece_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "kept.txt"
    path.write_text("old", encoding="utf-8")

    def pieces():
        yield "new"
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError) as raised:
        files.write_text_atomic(path, pieces())
    assert raised.value.errno == 28
    assert path.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt"]


def test_an_interrupt_after_the_rename_propagates_as_itself_and_the_new_file_stays(tmp_path, monkeypatch):
    path = tmp_path / "done.txt"

    def interrupted(folder):
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_fsync_folder", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_text_atomic(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done.txt"]
