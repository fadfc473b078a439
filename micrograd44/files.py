"""Files the package writes and reads: atomic text writes to regular files, bounded JSON reads."""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

# what a path that is not a regular file is, by its stat.S_IFMT type
_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}


class NotARegularFileError(OSError):
    """A path names a device, a FIFO, a socket or something else that is not a regular file.

    Writing such a path would replace the node (or block, or never end), so it is refused.
    """


def _kind(mode: int) -> str:
    """What a non-regular file is, e.g. 'a character device'."""
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def _refuse_non_regular(shown: str, mode: int, target: Path, followed: bool) -> None:
    """Refuse a path whose file (``target``, through a symlink when ``followed``) is not regular."""
    what = f"a symlink to {str(target)!r}, which is {_kind(mode)}" if followed else _kind(mode)
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"cannot write {shown}: it is {what}, expected a file path")
    raise NotARegularFileError(f"cannot write {shown}: it is {what}, not a regular file")


def writable_destination(path: str | os.PathLike) -> Path:
    """The regular file that writing ``path`` replaces or creates; a symlink is followed to its target.

    Raises:
        FileNotFoundError: the path is empty, or its folder does not exist.
        IsADirectoryError: the path is (or names, like '.' or 'out/') a folder.
        NotARegularFileError: the path is a device, a FIFO or a socket (or a symlink to one).
        OSError: the path cannot be examined (a symlink loop, a permission problem).
    """
    text = os.fspath(path)
    shown = repr(text)
    if text == "":
        raise FileNotFoundError("cannot write '': the path is empty, expected a file path such as model.json")
    if text.endswith(("/", os.sep)) or Path(text).name in ("", ".", ".."):
        raise IsADirectoryError(f"cannot write {shown}: it names a folder, expected a file path")
    target = Path(os.path.realpath(text))
    followed = os.path.islink(text)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise _naming(error, f"cannot write {shown}") from None
    if mode is not None and not stat.S_ISREG(mode):
        _refuse_non_regular(shown, mode, target, followed)
    if not target.parent.is_dir():
        folder = target.parent if followed else Path(text).parent
        raise FileNotFoundError(f"cannot write {shown}: the folder {str(folder)!r} does not exist")
    return target


def write_text_atomic(path: str | os.PathLike, text: str | Iterable[str]) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a mix.

    ``text`` is a string, or its pieces in order (written one by one, so a long file is
    never held in memory whole). It goes to a temporary file in the same folder, is
    flushed to disk, then renamed over ``path`` (which keeps its permissions); on any
    failure the temporary file is removed and ``path`` is untouched. A symlink is
    followed: its target is replaced and the link kept. Only regular files are written
    (see ``writable_destination``).
    """
    target = writable_destination(path)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        _write_and_rename(temp, target, text)
    except OSError as error:
        raise _naming(error, f"cannot write {os.fspath(path)!r}") from None


def _naming(error: OSError, what: str) -> OSError:
    """The same kind of OSError, with its errno, saying ``what`` failed instead of naming a temporary file."""
    if error.strerror is None:  # already one of ours, with its own message
        return error
    renamed = type(error)(f"{what}: {error.strerror}")
    renamed.errno = error.errno
    return renamed


def _write_and_rename(temp: Path, target: Path, text: str | Iterable[str]) -> None:
    """Write ``text`` (or its pieces) to the new file ``temp``, flush it and rename it over ``target``."""
    # mode 0o666 less the umask, as open() creates files (tempfile.mkstemp would give 0o600)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for piece in [text] if isinstance(text, str) else text:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.chmod(temp, stat.S_IMODE(target.stat().st_mode))
        os.replace(temp, target)
        _fsync_folder(target.parent)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk so a rename survives a power cut (where the OS allows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_bounded(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``, checked before reading.

    The file is opened without blocking (a FIFO would otherwise wait for a writer) and
    checked to be a regular file no larger than ``max_bytes``; at most ``max_bytes + 1``
    bytes are read, so a file that grows meanwhile is refused too.

    Raises:
        NotARegularFileError: the path is a device, a FIFO or a socket.
        IsADirectoryError: the path is a folder.
        ValueError: the file is larger than ``max_bytes``.
        OSError: the file cannot be opened or read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        mode, size = status.st_mode, status.st_size
        if not stat.S_ISREG(mode):
            error = IsADirectoryError if stat.S_ISDIR(mode) else NotARegularFileError
            raise error(f"cannot read {os.fspath(path)!r}: it is {_kind(mode)}, not a regular file")
        data = handle.read(max_bytes + 1) if size <= max_bytes else b""
        if size > max_bytes or len(data) > max_bytes:
            raise ValueError(f"{path}: larger than {max_bytes:,} bytes, the most this reader accepts")
    return data


def read_json(path: str | os.PathLike, max_bytes: int):
    """Parse a JSON file of at most ``max_bytes``; ValueError naming the file and what is wrong.

    Raises:
        ValueError: the file is too large, not UTF-8, not JSON (with the position of the
            syntax error) or nested too deeply.
        OSError: the file cannot be read, or is not a regular file (see ``read_bounded``).
    """
    data = read_bounded(path, max_bytes)
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise ValueError(f"{path}: not readable as JSON (nested too deeply)") from None
    except ValueError as error:  # an integer literal longer than Python's int-conversion limit
        raise ValueError(f"{path}: not readable as JSON ({error})") from None
