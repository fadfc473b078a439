"""Whether this machine has a working C compiler, for tests of the C backend (``make test`` installs one)."""

from __future__ import annotations

import os
import shlex
import shutil
import time
from pathlib import Path

import pytest

from micrograd44.compiled import CompilerUnavailable, compiler


def compiler_found() -> bool:
    """True when a C compiler is found (micrograd44.compiled.compiler)."""
    try:
        compiler()
    except CompilerUnavailable:
        return False
    return True


needs_compiler = pytest.mark.skipif(not compiler_found(), reason="no C compiler (make test installs one)")

# the compiled backends a test runs on, C skipped without a compiler
BACKENDS = ["python", pytest.param("c", marks=needs_compiler)]


def slow_compiler(folder: Path) -> tuple[str, Path]:
    """A fake C compiler (a value for CC) that never finishes a build, and the executable of its `cc1`.

    It builds the backend's probe with the real compiler; for any other source it writes a
    partial output file, touches ``folder/started``, then waits for a child named ``cc1``
    (a copy of sleep) that sleeps for ten minutes, as a compiler waits for its cc1.
    """
    real = compiler()
    cc1 = folder / "cc1"
    shutil.copy(shutil.which("sleep"), cc1)
    script = folder / "slow-cc"
    script.write_text(
        "#!/bin/bash\n"
        f'for a in "$@"; do case "$a" in *probe.c) exec {shlex.join(real)} "$@";; esac; done\n'
        'out=""; previous=""\n'
        'for a in "$@"; do [ "$previous" = "-o" ] && out="$a"; previous="$a"; done\n'
        'echo partial > "$out"\n'
        f"touch {shlex.quote(str(folder / 'started'))}\n"
        f"{shlex.quote(str(cc1))} 600 &\n"
        "wait\n"
    )
    script.chmod(0o755)
    return str(script), cc1


def running(executable: Path) -> list[int]:
    """The ids of the live (not zombie) processes running this executable."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "exe") == str(executable):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def gone(executable: Path, seconds: float = 10.0) -> bool:
    """True once no process runs the executable (killed processes take a moment to go), within the seconds."""
    deadline = time.monotonic() + seconds
    while running(executable):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
