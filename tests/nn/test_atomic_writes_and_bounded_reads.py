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
        status = fstat(fd)
        with open(path, "ab") as handle:  # the file grows between the check and the read
            handle.write(b"6789")
        return status

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


def test_a_temporary_name_that_exists_is_never_written_over(tmp_path, monkeypatch):
    path = tmp_path / "out.txt"
    monkeypatch.setattr(files.secrets, "token_hex", lambda size: "0" * (2 * size))
    squatter = tmp_path / f".out.txt.{'0' * 16}.tmp"
    squatter.write_text("someone else's", encoding="utf-8")
    with pytest.raises(FileExistsError):
        files.write_text_atomic(path, "new")
    assert squatter.read_text(encoding="utf-8") == "someone else's"
    assert not path.exists()


def test_a_folder_that_cannot_be_opened_or_flushed_does_not_fail_the_write(tmp_path, monkeypatch):
    path = tmp_path / "out.txt"
    real_open, real_fsync = os.open, os.fsync

    def no_folder_open(target, flags, *mode):
        if os.path.isdir(target):
            raise PermissionError(13, "Permission denied")
        return real_open(target, flags, *mode)

    def no_folder_fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(22, "Invalid argument")
        return real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", no_folder_fsync)
    files.write_text_atomic(path, "flushed file, unflushed folder")
    assert path.read_text(encoding="utf-8") == "flushed file, unflushed folder"
    monkeypatch.setattr(files.os, "open", no_folder_open)
    files.write_text_atomic(path, "unopened folder")
    assert path.read_text(encoding="utf-8") == "unopened folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_symlink_loop_is_refused_with_its_errno_naming_the_path_given(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(OSError) as raised:
        files.write_text_atomic(loop, "x")
    assert raised.value.errno == 40  # ELOOP
    assert repr(str(loop)) in str(raised.value)
    assert raised.value.filename is None  # the message names the path, not a temporary file
