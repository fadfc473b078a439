"""Generated Python training loops for a wide network: its layers as numpy calls (``codegen.numpy_layers``).

Python pays per operation, so for a network whose layers are wide, a loop that hands each
layer to numpy (and updates every parameter in a few array operations) is faster than one
statement per multiply-add; for a small one, numpy's cost per call is more than it saves.
``python_writer`` chooses by the number of parameters (``LAYERS_FROM``, measured with the
width sweep of benchmarks/native.py). Both give the engine's numbers bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..codegen.numpy_layers import ARRAY_UPDATES, LAYER_NAMESPACE, NumpyLayersLowering, fits
from ..codegen.python import PYTHON, python_lines, tuple_source
from ..codegen.tape import Tape
from .source import InArrays, PythonWriter, Writer, whole_arrays
from .updates import UpdateCode

# Networks with at least this many parameters train with their layers as numpy operations.
# Measured (microseconds per course step, one line per op -> numpy layers): 2-5-4-1 (44
# parameters) 3.4 -> 21; 2-12-12-1 (205) 16.5 -> 24; 2-16-16-1 (337) 26.5 -> 26.5; 2-32-32-1
# (1,185) 92 -> 38; 2-64-64-1 (4,417) 363 -> 81, and 0.59 s -> 0.03 s to generate and compile.
LAYERS_FROM = 400


def python_writer(tape: Tape) -> PythonWriter:
    """The writer of a tape's Python training loops: numpy layers for a wide network, else a line per op."""
    if len(tape.parameters) >= LAYERS_FROM and fits(tape):
        return PythonLayersWriter(tape)
    return PythonWriter(tape)


class PythonLayersWriter(InArrays, PythonWriter):
    """Python loops whose parameters, gradients and optimizer buffers are numpy arrays, updated in place."""

    namespace = LAYER_NAMESPACE

    def __init__(self, tape: Tape):
        Writer.__init__(self, tape, NumpyLayersLowering(tape))

    def zero(self, grads: list[str]) -> list[str]:
        return ["G[:] = 0.0"]

    def unless_finite(self, names: Sequence[str], line: str, many: bool = False) -> list[str]:
        """``line`` unless every variable is finite; a whole array (P or G) in one test."""
        whole, others = whole_arrays(names)
        if not others and list(whole.values()) == [self.count]:
            return self.test(f"not all_finite_array({next(iter(whole))})", [line])
        return super().unless_finite(names, line, many)

    def update(self, update: UpdateCode, grads: list[str]) -> tuple[list[str], list[str]]:
        """The update of every parameter at once, on whole arrays, in place."""
        state = [f"{a}[:]" for a in update.arrays()]

        def each(first: bool) -> list:
            return update.element(ARRAY_UPDATES, "P[:]", "G", state, first, "d_")

        return python_lines(update.step(PYTHON, each)), []

    def _state(self, update: UpdateCode) -> str:
        flag = [f"({f},)" for f in update.flag]
        parts = [*flag, *(f"tuple({a}.tolist())" for a in update.arrays())]
        return f"P.tolist(), {' + '.join(parts) or '()'}"

    @staticmethod
    def _grads_out(grads: list[str], full_batch: bool) -> str:
        return "G.tolist()" if full_batch else "(G + 0.0).tolist()"  # see source.zeroed

    def copy_recorded(self, grads: list[str], loss: str, full_batch: bool) -> list[str]:
        """At a step of ``record_at``: its row of ``recorded`` gets P, the grads, the loss."""
        step, count = "epoch" if full_batch else "step", self.count
        row = f"recorded[record_at[{step}]]"
        grads = "G" if full_batch else "G + 0.0"  # see source.zeroed
        copies = [
            f"{row}[:{count}] = P",
            f"{row}[{count} : {2 * count}] = {grads}",
            f"{row}[{2 * count}] = {loss}",
        ]
        return self.test(f"{step} in record_at", copies)

    def unpack(self, update: UpdateCode) -> list[str]:
        """Make the arrays and the layers' views of them, unpack the hyper-parameters."""
        count = self.count
        read = {"B": "state[1:]", "M": f"state[1 : 1 + {count}]", "V": f"state[1 + {count} :]"}
        return [
            "P = array(params, dtype=float)",
            f"G = zeros({count})",
            *(f"{f} = state[0]" for f in update.flag),
            *(f"{a} = array({read[a]}, dtype=float)" for a in update.arrays()),
            f"{tuple_source(update.hyper_names)} = hyper",
            *self.lowering.views(),
        ]
