"""Batched replay: the captured graph on numpy arrays, every scalar node a vector over the samples.

The samples are cut into chunks small enough for every intermediate vector to stay in
the processor's cache; each chunk runs the generated straight-line code once.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from ..codegen.lowering import ARRAYS, Lowering
from ..codegen.python import define, tuple_source
from ..codegen.tape import Tape

# Samples per chunk: 16384 float64 vectors (128 kB each) keep the working set in cache.
DEFAULT_CHUNK_SIZE = 16384


class BatchGradients(NamedTuple):
    """The result of ``Program.gradients``.

    Attributes:
        outputs: the outputs, each an array of the inputs' broadcast shape (a tuple of
            arrays when the program has several outputs).
        parameters: d(root)/d(parameter), shape (P,) summed over the samples, or
            (*shape, P) per sample; P = ``len(program.parameters)``.
        inputs: d(root)/d(input) per sample, shape (*shape, number of inputs).
    """

    outputs: np.ndarray | tuple[np.ndarray, ...]
    parameters: np.ndarray
    inputs: np.ndarray


class Columns(NamedTuple):
    """Input columns broadcast together and flattened: arrays of length n, or floats for constant columns."""

    shape: tuple[int, ...]
    n: int
    values: list[np.ndarray | float]

    def chunk(self, start: int, stop: int) -> list[np.ndarray]:
        """Every column's samples start..stop, as arrays (a float column repeated)."""
        return [v[start:stop] if isinstance(v, np.ndarray) else np.full(stop - start, v) for v in self.values]


def _real_array(column, name: str) -> np.ndarray:
    """column as a float64 array of finite real numbers, as a Value takes them; TypeError or ValueError."""
    array = np.asarray(column)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"input {name!r} must hold real numbers (int, float or bool), got an array of {array.dtype}"
            + (f": {column!r:.60}" if array.ndim == 0 else "")
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(
            f"input {name!r} must hold finite numbers (a Value holds a finite number); it holds nan or inf"
        )
    return array


def broadcast_columns(columns: Sequence, names: Sequence[str]) -> Columns:
    """Numbers and array-likes broadcast to one shape; TypeError or ValueError naming the input or shapes."""
    arrays = [_real_array(c, name) for c, name in zip(columns, names)]
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise ValueError(f"the input arrays do not broadcast to one shape: {shapes}") from None
    values = [
        float(a) if a.ndim == 0 else np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1)
        for a in arrays
    ]
    return Columns(shape, int(np.prod(shape, dtype=np.int64)), values)


def _chunks(n: int, chunk_size: int):
    """(start, stop) of each chunk of n samples."""
    if not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    return ((start, min(start + chunk_size, n)) for start in range(0, n, chunk_size))


class ArrayProgram:
    """A tape compiled to numpy code: forward, and forward with backward, on chunks of samples."""

    def __init__(self, tape: Tape):
        lowering = Lowering(tape, ARRAYS, fuse_layers=True)
        xs = [lowering.names[s] for s in tape.inputs]
        ps = [lowering.names[s] for s in tape.parameters]
        outputs = tuple_source(lowering.outputs())
        self.forward, forward_source = define(
            "forward_arrays", [*xs, *ps], [*lowering.forward(), f"return {outputs}"], ARRAYS.namespace
        )
        backward, grads = lowering.backward("root_grad", [*tape.inputs, *tape.parameters], accumulate=False)
        input_grads = tuple_source(grads[s] for s in tape.inputs)
        parameter_grads = tuple_source(grads[s] for s in tape.parameters)
        self.gradients, gradients_source = define(
            "gradients_arrays",
            [*xs, "root_grad", *ps],
            [
                *lowering.forward(),
                *backward,
                f"return {outputs}, {parameter_grads}, {input_grads}",
            ],
            ARRAYS.namespace,
        )
        self.source = f"{forward_source}\n\n{gradients_source}"
        self.n_outputs = len(tape.outputs)

    def evaluate(
        self, columns: Columns, parameters: list[float], chunk_size: int, workers: int
    ) -> list[np.ndarray]:
        """Every output for every sample, each shaped like the columns; chunks run on ``workers`` threads."""
        outputs = [np.empty(columns.n) for _ in range(self.n_outputs)]

        def run_chunk(bounds: tuple[int, int]) -> None:
            start, stop = bounds
            with np.errstate(all="ignore"):
                values = self.forward(*columns.chunk(start, stop), *parameters)
            for out, value in zip(outputs, values):
                out[start:stop] = value

        chunks = list(_chunks(columns.n, chunk_size))
        if workers > 1 and len(chunks) > 1:
            with ThreadPoolExecutor(min(workers, len(chunks))) as pool:
                list(pool.map(run_chunk, chunks))
        else:
            for bounds in chunks:
                run_chunk(bounds)
        return [out.reshape(columns.shape) for out in outputs]

    def evaluate_gradients(
        self, columns: Columns, parameters: list[float], per_sample: bool, chunk_size: int
    ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """The outputs, the parameters' gradients (summed or per sample) and the inputs' per sample.

        The last column is d(loss)/d(root) of each sample; the others are the inputs.
        """
        n, n_inputs = columns.n, len(columns.values) - 1
        outputs = [np.empty(n) for _ in range(self.n_outputs)]
        parameter_grads = np.zeros((n, len(parameters)) if per_sample else len(parameters))
        input_grads = np.empty((n, n_inputs))
        with np.errstate(all="ignore"):
            for start, stop in _chunks(n, chunk_size):
                values, p_grads, x_grads = self.gradients(*columns.chunk(start, stop), *parameters)
                for out, value in zip(outputs, values):
                    out[start:stop] = value
                for j, grad in enumerate(p_grads):
                    if per_sample:
                        parameter_grads[start:stop, j] = grad
                    else:
                        parameter_grads[j] += np.sum(np.broadcast_to(grad, (stop - start,)))
                for i, grad in enumerate(x_grads):
                    input_grads[start:stop, i] = grad
        shape = columns.shape
        if per_sample:
            parameter_grads = parameter_grads.reshape(*shape, len(parameters))
        return [out.reshape(shape) for out in outputs], parameter_grads, input_grads.reshape(*shape, n_inputs)
