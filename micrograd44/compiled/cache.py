"""The folder of built C libraries: its entries checked before use, written atomically, failures remembered.

An entry is the files ``KEY.c`` (the source), ``KEY.so`` (the library), ``KEY.sha256``
(the checksum of the library's bytes) and ``KEY.timeout`` (the time limit a build of KEY
exceeded, so later runs do not wait for it again). The folder is
``$XDG_CACHE_HOME/micrograd44`` (``~/.cache/micrograd44`` by default), readable by its
owner only; a folder that cannot be made so, or that others could write, turns caching
off (said once on stderr), and each library is then built in a temporary folder that is
removed once it is loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import struct
import sys
import tempfile
from pathlib import Path

_said_off: list[str] = []


def folder() -> Path | None:
    """The cache folder, created readable by its owner only; None (said once) when it cannot be trusted.

    ``$XDG_CACHE_HOME/micrograd44`` when XDG_CACHE_HOME is an absolute path, else
    ``~/.cache/micrograd44``. It is not trusted when it cannot be created or written, when
    others can write it, or when another user owns it.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    directory = root / "micrograd44"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
        if info.st_uid != os.getuid():
            why = "another user owns it"
        elif info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            why = "others can write to it"
        elif not os.access(directory, os.W_OK | os.X_OK):
            why = "it is not writable"
        else:
            return directory
    except OSError as error:
        why = error.strerror or str(error)
    if not _said_off:
        _said_off.append(why)
        message = f"micrograd44: the cache folder {directory} cannot be used ({why}); caching is off"
        print(message, file=sys.stderr)
    return None


def is_regular(path: Path) -> bool:
    """True when the path is a regular file (not a folder, FIFO, device or link)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def clear(path: Path) -> None:
    """Remove whatever is at the path unless it is a regular file (a folder with its contents)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path)
    elif not stat.S_ISREG(info.st_mode):
        path.unlink()


def library_digest(path: Path) -> str | None:
    """The SHA-256 of a library's bytes; None for a path that is not a regular file or a complete library."""
    if not is_regular(path):
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return hashlib.sha256(data).hexdigest() if complete(data) else None


def complete(data: bytes) -> bool:
    """False for an empty file, or an ELF file cut short of its own headers' extent.

    The loader maps the segments an ELF header announces; one that ends past the end of
    the file kills the process with SIGBUS when touched. Files of other formats are not
    inspected.
    """
    if data[:4] != b"\x7fELF":
        return bool(data)
    if len(data) < 52 or data[4] not in (1, 2) or data[5] not in (1, 2):
        return False
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    if wide and len(data) < 64:
        return False
    header = "Q Q 6x H H H H" if wide else "I I 6x H H H H"
    program, sections, program_size, programs, section_size, section_count = struct.unpack_from(
        order + header.replace(" ", ""), data, 32 if wide else 28
    )
    if program + program_size * programs > len(data) or sections + section_size * section_count > len(data):
        return False
    segment = order + ("8xQ16xQ" if wide else "4xI8xI")
    for index in range(programs):
        start, size = struct.unpack_from(segment, data, program + index * program_size)
        if start + size > len(data):
            return False
    return True


def matches_checksum(library: Path, checksum: Path) -> bool:
    """True when both are regular files, the library is complete and its bytes match the checksum."""
    if not is_regular(checksum):
        return False
    try:
        return checksum.read_text().strip() == library_digest(library)
    except (OSError, UnicodeDecodeError):
        return False


def write(path: Path, data: bytes) -> None:
    """Write the file atomically (a temporary file renamed over it); no temporary file is left on failure."""
    clear(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remembered_timeout(directory: Path, key: str) -> float | None:
    """The time limit (seconds) an earlier build of the key exceeded, or None."""
    path = directory / f"{key}.timeout"
    if not is_regular(path):
        return None
    try:
        return float(path.read_text())
    except (OSError, ValueError):
        return None


def remember_timeout(directory: Path, key: str, limit: float) -> None:
    """Record that building the key took longer than the limit (nothing when the cache cannot be written)."""
    with contextlib.suppress(OSError):
        write(directory / f"{key}.timeout", f"{limit:g}\n".encode())


def forget_timeout(directory: Path, key: str) -> None:
    """Remove the record of a timeout of the key (built since, under a longer limit)."""
    with contextlib.suppress(OSError):
        clear(directory / f"{key}.timeout")
        (directory / f"{key}.timeout").unlink(missing_ok=True)
