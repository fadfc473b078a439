"""The system's C compiler: found, run once per source under a time limit, its libraries cached and checked.

The compiler is ``$CC`` when set (a command, possibly with arguments), else the first of
``cc``, ``gcc`` and ``clang`` on the PATH. A library is built once per (source, compiler,
flags), where a generated source is represented by a fingerprint of what it is generated
from (``build_from``: a warm start need not generate it), and kept in the cache folder
(``cache``: ``$XDG_CACHE_HOME/micrograd44``, ``~/.cache/micrograd44`` by default) next to its
source and a SHA-256 checksum of its bytes. An entry is loaded only when its bytes match the
checksum, it is a complete library and, once loaded, it names the key it was built for;
anything else (a truncated file, a foreign one, a folder in its place) is rebuilt.

The compiler runs in a session of its own and may take ``$MICROGRAD44_COMPILE_TIMEOUT``
seconds (default ``DEFAULT_TIMEOUT``); past that, its whole process group is killed, the
cache remembers that this source took too long under that limit, and CompileTimeout is
raised (a CompilerUnavailable: the compiled engine then runs as Python).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from . import cache

# No fused multiply-add, no fast-math: every operation rounds as in Python (a vectorized loop,
# whose iterations are independent, does each element's operations as they are). The libm
# functions are never folded at compile time (GCC would round a constant exp(0.5) its own
# way) nor rewritten (pow(x, 2.0) as x * x): each call is libm's, as Python's math makes it.
FLAGS = (
    "-std=c99",
    "-ffp-contract=off",
    "-fPIC",
    "-shared",
    *(
        f"-fno-builtin-{f}"
        for f in ("exp", "log", "log1p", "tanh", "sin", "cos", "tan", "atan", "erf", "pow")
    ),
)

# The optimisation level by the source's size: -O2 up to LARGE_SOURCE characters, -O0 beyond,
# where -O2's compile time grows much faster than the source while -O0's grows with it. With
# the neurons printed as loops, a 2-256-256-1 network's training loop is about 89,000
# characters and compiles at -O2 in 1.3 s (2-64-64-1: 29,000 characters, 0.24 s); a graph
# printed node by node (no linear nodes) of 100,000 characters takes 1.1 s, of 164,000 2.7 s
# (gcc 12, measured on the generated sources; the width sweep is in benchmarks/native.py).
# The level changes no result: every operation is an IEEE 754 double operation at either
# level, never contracted, folded or reordered.
SMALL_LEVEL, LARGE_LEVEL, LARGE_SOURCE = "-O2", "-O0", 100_000


def optimisation(source: str) -> str:
    """The optimisation flag a source is compiled with, by its size."""
    return SMALL_LEVEL if len(source) <= LARGE_SOURCE else LARGE_LEVEL


# The symbol each library holds: the key it was built for.
KEY_SYMBOL = "mg_cache_key"

# The compiler's first lines of errors shown in a CompileError.
ERROR_LINES = 12

# Seconds a compiler run may take unless MICROGRAD44_COMPILE_TIMEOUT says otherwise.
DEFAULT_TIMEOUT = 120.0
TIMEOUT_VARIABLE = "MICROGRAD44_COMPILE_TIMEOUT"


class CompilerUnavailable(RuntimeError):
    """No working C compiler: none found, one that cannot build a shared library, or no room to build."""


class CompileTimeout(CompilerUnavailable):
    """The C compiler took longer than the time limit (now, or for the same source in an earlier run)."""


class CompileError(RuntimeError):
    """The C compiler rejected a generated source; the message has its first errors and the source's path."""


def compiler() -> list[str]:
    """The compiler's command: ``$CC`` when set, else cc, gcc or clang; CompilerUnavailable if none."""
    wanted = os.environ.get("CC", "").strip()
    try:
        candidates = [shlex.split(wanted)] if wanted else [["cc"], ["gcc"], ["clang"]]
    except ValueError as error:
        raise CompilerUnavailable(f"CC={wanted!r} cannot be read as a command: {error}") from None
    for command in candidates:
        path = shutil.which(command[0])
        if path is not None:
            return [path, *command[1:]]
    if wanted:
        raise CompilerUnavailable(f"CC={wanted!r} is not a command on the PATH")
    raise CompilerUnavailable("no C compiler found (cc, gcc or clang; or set CC)")


def _identity(command: list[str]) -> str:
    """The compiler in a cache key: its command, and its executable's file, size and modification time.

    The file (behind any symbolic links) is named by its device and inode, which one stat
    gives (resolving the links' path takes a call per link).
    """
    info = os.stat(command[0])
    return f"{command!r} {info.st_dev}:{info.st_ino} {info.st_size} {info.st_mtime_ns}"


def compile_timeout() -> float:
    """The seconds a compiler run may take: ``$MICROGRAD44_COMPILE_TIMEOUT``, else DEFAULT_TIMEOUT."""
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < float("inf"):
        raise CompilerUnavailable(f"{TIMEOUT_VARIABLE} must be a number of seconds above 0, got {text!r}")
    return seconds


def set_compile_timeout(seconds: float) -> None:
    """Let compiler runs of this process (and of the processes it starts) take up to this many seconds."""
    if not 0 < seconds < float("inf"):
        raise ValueError(f"the compile timeout must be a number of seconds above 0, got {seconds!r}")
    os.environ[TIMEOUT_VARIABLE] = repr(float(seconds))


def _load_checked(library: Path, checksum: Path, key: str) -> ctypes.CDLL | None:
    """The cached library if it matches its checksum, is complete and was built for the key; else None."""
    if not cache.matches_checksum(library, checksum):
        return None
    try:
        loaded = ctypes.CDLL(str(library))
        built_for = (ctypes.c_char * (len(key) + 1)).in_dll(loaded, KEY_SYMBOL).value
    except (OSError, ValueError):
        return None
    return loaded if built_for == key.encode() else None


class _Terminated(BaseException):
    """SIGTERM arrived while a library was being built."""


@contextlib.contextmanager
def _cleaned_up_on_sigterm():
    """In the block, SIGTERM unwinds it (temporary files removed, compiler killed), then ends the process.

    Only where SIGTERM would otherwise end the process on the spot (its default action,
    in the main thread); a handler someone installed is left to do its job.
    """
    in_main = threading.current_thread() is threading.main_thread()
    if not in_main or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        yield
        return

    def terminated(signum, frame):
        raise _Terminated

    signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_compiler(
    command: list[str], source: Path, output: Path, limit: float, level: str
) -> tuple[int, str]:
    """Run the compiler on the source (at the optimisation level) in a session of its own: (status, stderr).

    Raises:
        CompilerUnavailable: it cannot be run at all.
        CompileTimeout: it took longer than the limit; its whole process group is killed.
    """
    try:
        process = subprocess.Popen(
            [*command, level, *FLAGS, "-o", str(output), str(source), "-lm"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise CompilerUnavailable(f"the C compiler {command[0]} cannot be run: {error}") from None
    try:
        _, errors = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        raise CompileTimeout(f"compiling took longer than {limit:g} s") from None
    finally:
        if process.returncode is None:  # timed out or interrupted: the compiler and its children go
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    return process.returncode, errors


_probed: dict[str, str | None] = {}


def check_compiler(command: list[str]) -> None:
    """CompilerUnavailable unless the compiler builds a trivial shared library (tried once per process)."""
    key = repr(command)
    if key not in _probed:
        with tempfile.TemporaryDirectory(prefix="micrograd44-probe-") as directory:
            source, library = Path(directory) / "probe.c", Path(directory) / "probe.so"
            source.write_text("#include <math.h>\ndouble mg_probe(double x) { return tanh(x); }\n")
            status, errors = _run_compiler(command, source, library, compile_timeout(), SMALL_LEVEL)
            if status != 0:
                _probed[key] = errors.strip() or f"it exited with status {status}"
            elif cache.library_digest(library) is None:
                _probed[key] = "it exited with status 0 but wrote no complete library"
            else:
                _probed[key] = None
    if _probed[key] is not None:
        first = _probed[key].splitlines()[0]
        raise CompilerUnavailable(f"the C compiler {command[0]} cannot build a shared library: {first}")


def build(source: str) -> ctypes.CDLL:
    """The shared library of a C source, built once and then loaded from the cache.

    The source must not define ``mg_cache_key``: it is appended here.

    Raises:
        CompilerUnavailable: no compiler, one that cannot build a shared library, or no
            room to write the library (a full disk).
        CompileTimeout: the compiler took longer than the time limit, now or in an
            earlier run under the same or a longer limit.
        CompileError: the compiler rejected the source; shows its first errors and the
            path of the source, which is kept.
    """
    return build_from(hashlib.sha256(source.encode()).hexdigest(), lambda: source)


def build_from(fingerprint: str, make_source: Callable[[], str]) -> ctypes.CDLL:
    """``build(make_source())``, with the source made only when the cache does not hold its library.

    Args:
        fingerprint: a digest of everything the source is made from (for generated code:
            the generator's own code and its inputs); it stands for the source in the key.
        make_source: makes the source.

    Raises:
        As ``build``.
    """
    command = compiler()
    limit = compile_timeout()
    levels = (SMALL_LEVEL, LARGE_LEVEL, LARGE_SOURCE)
    key = hashlib.sha256(f"{fingerprint}\0{_identity(command)}\0{FLAGS!r}\0{levels!r}".encode()).hexdigest()
    directory = cache.folder()
    if directory is None:  # caching is off: built in a folder removed once the library is loaded
        with tempfile.TemporaryDirectory(prefix="micrograd44-") as private:
            return _build(command, key, Path(private), make_source, limit)
    loaded = _load_checked(directory / f"{key}.so", directory / f"{key}.sha256", key)
    if loaded is not None:
        return loaded
    exceeded = cache.remembered_timeout(directory, key)
    if exceeded is not None and limit <= exceeded:
        raise CompileTimeout(
            f"compiling took longer than {exceeded:g} s in an earlier run (remembered in "
            f"{directory / key}.timeout; a longer {TIMEOUT_VARIABLE} tries again)"
        )
    try:
        loaded = _build(command, key, directory, make_source, limit)
    except CompileTimeout:
        cache.remember_timeout(directory, key, limit)
        raise
    cache.forget_timeout(directory, key)
    return loaded


def _build(command: list[str], key: str, directory: Path, make_source: Callable[[], str], limit: float):
    """Build ``directory/KEY.so`` beside its checksum and load it; no temporary file is left behind."""
    kept, library, checksum = (directory / f"{key}{suffix}" for suffix in (".c", ".so", ".sha256"))
    built = directory / f".{key}.{os.getpid()}.so"
    with _cleaned_up_on_sigterm():
        try:
            for path in (library, checksum):
                cache.clear(path)
            source = make_source()
            cache.write(kept, f'{source}\nconst char {KEY_SYMBOL}[] = "{key}";\n'.encode())
            status, errors = _run_compiler(command, kept, built, limit, optimisation(source))
            if status != 0:
                check_compiler(command)
                lines = "\n".join(errors.strip().splitlines()[:ERROR_LINES])
                failed = f"the C compiler {command[0]} failed on the generated source {kept}"
                raise CompileError(f"{failed}:\n{lines}")
            digest = cache.library_digest(built)
            if digest is None:
                raise CompilerUnavailable(
                    f"the C compiler {command[0]} exited with status 0 but wrote no complete library"
                )
            cache.write(checksum, digest.encode())
            os.replace(built, library)
        except OSError as error:
            raise CompilerUnavailable(
                f"the library cannot be written in {directory} ({error.strerror or error})"
            ) from None
        finally:
            built.unlink(missing_ok=True)
    loaded = _load_checked(library, checksum, key)
    if loaded is None:
        raise CompileError(f"the library built from {kept} does not load or holds another key ({library})")
    return loaded


_announced: list[str] = []


def announce_fallback(reason: str) -> None:
    """Print once per process why the compiled engine runs as Python ("REASON; using the Python engine")."""
    if not _announced:
        _announced.append(reason)
        print(f"micrograd44: {reason}; using the Python engine", file=sys.stderr)
