"""Whether this machine has a working C compiler, for tests of the C backend (``make test`` installs one)."""

from __future__ import annotations

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
