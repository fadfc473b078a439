"""Generated C as a library: the fingerprint of what its source is made from, and calls through ctypes.

The source of each function comes from ``c_source.CWriter``; ``toolchain.build_from`` builds
and caches the library under the fingerprint, which stands for the source, so a warm start
loads the library without generating its source. The functions take numpy arrays by
address and return a status (``source.STAGES``).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import sys
from pathlib import Path

import numpy as np

from .. import codegen, optim
from ..codegen.tape import Tape
from ..core import ops
from . import c_source, source, updates

# the ctypes type of each C type an argument that is not a pointer has
_SCALARS = {"long": ctypes.c_long, "int": ctypes.c_int, "double": ctypes.c_double}


def argument_types(name: str) -> list:
    """The ctypes types of a generated function's arguments from its signature (``c_source.SIGNATURES``).

    A pointer is passed as the address of a numpy array (faster than a ctypes pointer object).
    """
    text = " ".join(c_source.SIGNATURES[name])
    declarations = text[text.index("(") + 1 : text.rindex(")")].split(",")
    return [ctypes.c_void_p if "*" in d else _SCALARS[d.split()[0]] for d in declarations]


def load_function(library: ctypes.CDLL, name: str):
    """The generated function ``mg_NAME`` of the library, with its argument types and an int status."""
    loaded = getattr(library, f"mg_{name}")
    loaded.argtypes = argument_types(name)
    loaded.restype = ctypes.c_int
    return loaded


def doubles(values) -> np.ndarray:
    """A new contiguous array of doubles."""
    return np.array(values, dtype=np.float64).reshape(-1)


def address(array: np.ndarray) -> int:
    """The address of the array's data (the caller keeps the array alive during the call)."""
    return array.ctypes.data


@functools.cache
def _generator_digest() -> str:
    """A digest of the code of every module that decides the generated C."""
    digest = hashlib.sha256()
    folder = Path(codegen.__file__).parent
    names = ("expr", "statements", "python", "c", "lowering", "loops", "tape")
    files = [folder / f"{name}.py" for name in names]
    for path in [
        *files,
        *(Path(m.__file__) for m in (ops, optim, source, c_source, updates, sys.modules[__name__])),
    ]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(graph: Tape, *parts) -> str:
    """A digest of everything the C source of a tape (and the given parts) is made from."""
    text = f"{_generator_digest()}\0{graph.digest}\0{parts!r}"
    return hashlib.sha256(text.encode()).hexdigest()
