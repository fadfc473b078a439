"""One sweep at a time per results file: an exclusive lock on ``NAME.lock`` beside it, naming its holder.

The lock is the operating system's (``flock`` on POSIX, ``msvcrt.locking`` on Windows):
it is released when its holder exits in any way, ``kill -9`` included, so a lock file
left behind never blocks a later sweep. The file itself stays, holding the pid of the
last sweep that wrote the results.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..files import NotARegularFileError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


class ResultsLocked(RuntimeError):
    """Another process holds the lock of a results file.

    Attributes:
        holder: that process's id, as its lock file says ("" when it has not written it yet).
    """

    def __init__(self, message: str, holder: str):
        super().__init__(message)
        self.holder = holder


def lock_path(results: Path) -> Path:
    """The lock file of a results CSV: results.csv -> results.csv.lock."""
    return results.with_name(f"{results.name}.lock")


class ResultsLock:
    """The held lock of one results file; ``release()`` (or exiting the process) lets it go."""

    def __init__(self, results: Path):
        """Take the lock of ``results`` without waiting.

        Raises:
            ResultsLocked: another process holds it; the message names its pid.
            OSError: the lock file cannot be created, or is not a regular file.
        """
        path = lock_path(results)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        self._fd = os.open(path, flags, 0o666)
        try:
            if not stat.S_ISREG(os.fstat(self._fd).st_mode):
                raise NotARegularFileError(f"cannot lock {str(path)!r}: it is not a regular file")
            if not _try_lock(self._fd):
                holder = _holder(self._fd)
                who = f"process {holder}" if holder.isdigit() else "another process"
                raise ResultsLocked(
                    f"{results} is being written by another sweep ({who}, per {path})", holder
                )
            os.ftruncate(self._fd, 0)
            os.write(self._fd, f"{os.getpid()}\n".encode("ascii"))
        except BaseException:
            os.close(self._fd)
            raise

    def release(self) -> None:
        """Let the lock go (closing the file releases it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file without waiting; False when another process holds it."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except (BlockingIOError, PermissionError):  # held: EWOULDBLOCK on POSIX, EACCES on Windows
        return False
    return True


def _holder(fd: int) -> str:
    """The pid a lock file holds, as text; "" when it cannot be read (Windows locks the byte read)."""
    try:
        return os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        return ""
