"""The system's C compiler: found, run once per source, its libraries cached and checked before loading.

The compiler is ``$CC`` when set (a command, possibly with arguments), else the first of
``cc``, ``gcc`` and ``clang`` on the PATH. A library is built once per (source, compiler,
flags), where a generated source is represented by a fingerprint of what it is generated
from (``build_from``: a warm start need not generate it), and kept in
``$XDG_CACHE_HOME/micrograd44`` (``~/.cache/micrograd44`` by default,
made readable by its owner only), next to its source and a SHA-256 checksum of its bytes.
An entry is loaded only when its bytes match the checksum and, once loaded, it names the
key it was built for; anything else (a truncated file, a foreign one) is rebuilt.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

# No fused multiply-add, no fast-math: every operation rounds as in Python. The libm
# functions are never folded at compile time (GCC would round a constant exp(0.5) its own
# way) nor rewritten (pow(x, 2.0) as x * x): each call is libm's, as Python's math makes it.
FLAGS = (
    "-std=c99",
    "-O2",
    "-ffp-contract=off",
    "-fPIC",
    "-shared",
    *(
        f"-fno-builtin-{f}"
        for f in ("exp", "log", "log1p", "tanh", "sin", "cos", "tan", "atan", "erf", "pow")
    ),
)

# The symbol each library holds: the key it was built for.
KEY_SYMBOL = "mg_cache_key"

# The compiler's first lines of errors shown in a CompileError.
ERROR_LINES = 12


class CompilerUnavailable(RuntimeError):
    """No working C compiler: none found, or it cannot build a shared library."""


class CompileError(RuntimeError):
    """The C compiler rejected a generated source; the message has its first errors and the source's path."""


def compiler() -> list[str]:
    """The compiler's command: ``$CC`` when set, else cc, gcc or clang; CompilerUnavailable if none."""
    wanted = os.environ.get("CC", "").strip()
    candidates = [shlex.split(wanted)] if wanted else [["cc"], ["gcc"], ["clang"]]
    for command in candidates:
        path = shutil.which(command[0])
        if path is not None:
            return [path, *command[1:]]
    if wanted:
        raise CompilerUnavailable(f"CC={wanted!r} is not a command on the PATH")
    raise CompilerUnavailable("no C compiler found (cc, gcc or clang; or set CC)")


def _identity(command: list[str]) -> str:
    """The compiler as part of a cache key: its command, and its executable's size and modification time."""
    info = os.stat(command[0])
    return f"{command!r} {os.path.realpath(command[0])} {info.st_size} {info.st_mtime_ns}"


def cache_directory() -> Path:
    """The cache of built libraries, created readable by its owner only.

    ``$XDG_CACHE_HOME/micrograd44`` when XDG_CACHE_HOME is an absolute path, else
    ``~/.cache/micrograd44``. A directory that others can write, or that another user
    owns, is not trusted: a private temporary directory is used instead.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    directory = root / "micrograd44"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
        trusted = info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    except OSError:
        trusted = False
    return directory if trusted else Path(tempfile.mkdtemp(prefix="micrograd44-"))


def _digest(path: Path) -> str:
    """The SHA-256 of the file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_checked(library: Path, checksum: Path, key: str) -> ctypes.CDLL | None:
    """The cached library if its bytes match its checksum and it was built for the key; else None."""
    try:
        if checksum.read_text().strip() != _digest(library):
            return None
    except OSError:
        return None
    try:
        loaded = ctypes.CDLL(str(library))
        built_for = (ctypes.c_char * (len(key) + 1)).in_dll(loaded, KEY_SYMBOL).value
    except (OSError, ValueError):
        return None
    return loaded if built_for == key.encode() else None


def _write(path: Path, data: bytes) -> None:
    """Write the file atomically (a temporary file renamed over it), readable by its owner only."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def _run_compiler(command: list[str], source: Path, output: Path) -> subprocess.CompletedProcess:
    """Run the compiler on the source; CompilerUnavailable when it cannot be run at all."""
    try:
        return subprocess.run(
            [*command, *FLAGS, "-o", str(output), str(source), "-lm"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise CompilerUnavailable(f"the C compiler {command[0]} cannot be run: {error}") from None


_probed: dict[str, str | None] = {}


def check_compiler(command: list[str]) -> None:
    """CompilerUnavailable unless the compiler builds a trivial shared library (tried once per process)."""
    key = repr(command)
    if key not in _probed:
        with tempfile.TemporaryDirectory(prefix="micrograd44-probe-") as directory:
            source = Path(directory) / "probe.c"
            source.write_text("#include <math.h>\ndouble mg_probe(double x) { return tanh(x); }\n")
            result = _run_compiler(command, source, Path(directory) / "probe.so")
            _probed[key] = None if result.returncode == 0 else (result.stderr.strip() or "no message")
    if _probed[key] is not None:
        first = _probed[key].splitlines()[0]
        raise CompilerUnavailable(f"the C compiler {command[0]} cannot build a shared library: {first}")


def build(source: str) -> ctypes.CDLL:
    """The shared library of a C source, built once and then loaded from the cache.

    The source must not define ``mg_cache_key``: it is appended here.

    Raises:
        CompilerUnavailable: no compiler, or one that cannot build a shared library.
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
    key = hashlib.sha256(f"{fingerprint}\0{_identity(command)}\0{FLAGS!r}".encode()).hexdigest()
    directory = cache_directory()
    library, checksum = directory / f"{key}.so", directory / f"{key}.sha256"
    if library.exists():
        loaded = _load_checked(library, checksum, key)
        if loaded is not None:
            return loaded
    kept = directory / f"{key}.c"
    _write(kept, f'{make_source()}\nconst char {KEY_SYMBOL}[] = "{key}";\n'.encode())
    built = directory / f".{key}.{os.getpid()}.so"
    result = _run_compiler(command, kept, built)
    if result.returncode != 0:
        check_compiler(command)
        errors = "\n".join(result.stderr.strip().splitlines()[:ERROR_LINES])
        raise CompileError(f"the C compiler {command[0]} failed on the generated source {kept}:\n{errors}")
    _write(checksum, _digest(built).encode())
    os.replace(built, library)
    loaded = _load_checked(library, checksum, key)
    if loaded is None:
        raise CompileError(f"the library built from {kept} does not load or holds another key ({library})")
    return loaded


_announced: list[str] = []


def announce_fallback(reason: str) -> None:
    """Print, once per process, that the compiled engine runs as Python because no C compiler works."""
    if not _announced:
        _announced.append(reason)
        print(f"micrograd44: the compiled engine runs as Python ({reason})", file=sys.stderr)
