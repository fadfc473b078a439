"""Files the package writes and reads: atomic text writes and plain JSON reads."""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a mix.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed
    over ``path`` (which keeps its permissions); on any failure the temporary file is
    removed and ``path`` is untouched.
    """
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # mode 0o666 less the umask, as open() creates files (tempfile.mkstemp would give 0o600)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        os.replace(temp, path)
        _fsync_folder(path.parent)
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


def read_json(path: str | os.PathLike):
    """Parse a JSON file; ValueError naming the file and the position of a syntax error."""
    data = Path(path).read_bytes()
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
