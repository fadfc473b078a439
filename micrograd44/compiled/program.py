"""Program: a captured graph compiled to straight-line code, replayed for new inputs.

A Program runs one sample as generated Python (``Program``) or C (``CProgram``), many samples
at once on numpy arrays (``batched``) and training loops (``loop``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from math import isfinite

import numpy as np

from ..codegen.python import SCALAR_NAMESPACE, EagerWouldRaise, comment_text, define
from ..codegen.tape import Tape, first_difference
from ..core.value import Value
from ..optim import Optimizer
from .batched import DEFAULT_CHUNK_SIZE, ArrayProgram, BatchGradients, broadcast_columns
from .c_library import address, doubles, fingerprint, load_function
from .c_source import c_source
from .capture import GraphMismatchError, capture_tape, check_leaves, parameter_list, rebuild
from .loop import TrainingLoop
from .source import PythonWriter
from .toolchain import build_from


def _finite_input(value, name: str) -> float:
    """value as a float, checked as the engine checks a Value's data (TypeError, ValueError)."""
    if type(value) is float and isfinite(value):
        return value
    return Value(value, label=name).data


class Program:
    """A graph captured once and compiled to Python code that replays it for new inputs.

    Make one with ``trace(fn, example, parameters=...)`` or ``capture(outputs, inputs,
    parameters)``. The program replays the captured graph exactly: the same ops on the
    same wiring, with the inputs given at each call and the parameters' current ``data``.
    Its numbers are the engine's, bit for bit, ``.grad`` after ``backward`` included (only
    the input gradients of ``gradients`` may give a zero the other sign).
    Every other leaf of the graph is a constant, frozen at its captured value.

    The static-graph contract: Python code that chose the graph by looking at the data
    (``if x.data > 0: ...``) is not re-run; the branch taken at capture time is replayed
    for every input. Ops whose derivative depends on the data (relu, abs, pow, ...) are
    fine: their branches are part of the replayed code. ``trace(..., check=[...])`` and
    ``check_graph`` detect a function that builds different graphs for different inputs.

    Where the engine raises (log of a negative, overflow in exp, ...), the program
    rebuilds the graph with the engine, which raises its own error.

    Attributes:
        input_names: the names of the inputs, in call order.
        parameters: the parameter Values, read at every call.
        source: the generated Python of one sample (compiled on first use).

    Example:
        >>> from micrograd44 import MLP
        >>> from micrograd44.compiled import trace
        >>> model = MLP(2, [5, 4, 1], activation="tanh", seed=2)
        >>> net = trace(lambda x, y: model([x, y]), example=(0.0, 0.0), parameters=model)
        >>> net(0.5, -1.0) == model([0.5, -1.0]).data
        True
        >>> net.input_names
        ('x', 'y')
    """

    def __init__(self, tape: Tape, input_names: Sequence[str], parameters: Sequence[Value]):
        self._tape = tape
        self.input_names = tuple(input_names)
        self.parameters = tuple(parameters)
        self._compiled: tuple | None = None
        self._array_program: ArrayProgram | None = None

    def _functions(self) -> tuple:
        """(forward, backward, source) of one sample, compiled on first use."""
        if self._compiled is None:
            writer = PythonWriter(self._tape)
            forward, forward_source = define(
                "forward", writer.arguments(), writer.one_sample(backward=False), SCALAR_NAMESPACE
            )
            backward, backward_source = define(
                "backward", writer.arguments(), writer.one_sample(backward=True), SCALAR_NAMESPACE
            )
            source = "\n".join([*self._header(writer.lowering), "", forward_source, "", backward_source])
            self._compiled = (forward, backward, source)
        return self._compiled

    @functools.cached_property
    def _reached(self) -> tuple[int, ...]:
        """The positions of the parameters ``root.backward()`` reaches (the others' .grad stays as it is)."""
        below_root = self._tape.below_root()
        return tuple(k for k, s in enumerate(self._tape.parameters) if s in below_root)

    @property
    def source(self) -> str:
        """The generated code of one sample (Python; C for a CProgram): ``forward``, and ``backward``."""
        return self._functions()[2]

    def _header(self, lowering) -> list[str]:
        """Comment lines naming the inputs, parameters and outputs of the generated code."""
        tape = self._tape
        inputs = ", ".join(
            f"{lowering.names[s]} = {comment_text(name)}" for s, name in zip(tape.inputs, self.input_names)
        )
        lines = [
            f"# {self!r}",
            f"# inputs: {inputs or 'none'}",
            f"# outputs: {', '.join(lowering.outputs())} (the first is the root backward differentiates)",
        ]
        lines += [
            f"# {lowering.names[s]} = {comment_text(p.label) or 'an unlabelled parameter'}"
            for s, p in zip(tape.parameters, self.parameters)
        ]
        return lines

    def __repr__(self) -> str:
        tape = self._tape
        return (
            f"Program(inputs={len(tape.inputs)}, parameters={len(tape.parameters)}, "
            f"ops={len(tape.ops)}, outputs={len(tape.outputs)})"
        )

    # ---- one sample ----

    def __call__(self, *inputs) -> float | tuple[float, ...]:
        """The outputs for one sample: a float, or a tuple of floats for several outputs.

        Raises:
            TypeError: the number of inputs is not ``len(program.input_names)``.
            micrograd44.OpError: where the engine would raise (DomainError, ...).
        """
        xs = self._inputs(inputs)
        try:
            outputs = self._functions()[0](*xs, *[p.data for p in self.parameters])
        except (ArithmeticError, ValueError):
            outputs = [v.data for v in self._rebuild(xs)]
        return self._result(outputs)

    def backward(self, *inputs) -> float | tuple[float, ...]:
        """The outputs for one sample, and d(root)/d(p) added into every parameter's ``.grad``.

        Exactly what ``root.backward()`` does on the eagerly built graph: the parameters'
        grads accumulate (zero them between steps), so two calls add up two gradients.

        Raises:
            TypeError: the number of inputs is not ``len(program.input_names)``.
            micrograd44.OpError: where the engine would raise.

        Example:
            >>> from micrograd44 import Value
            >>> from micrograd44.compiled import trace
            >>> w = Value(3.0, label="w")
            >>> square = trace(lambda x: (w * x) ** 2, example=(1.0,), parameters=[w])
            >>> square.backward(2.0)  # (3 * 2)^2
            36.0
            >>> w.grad  # 2 (w x) x
            24.0
        """
        xs = self._inputs(inputs)
        parameters = self.parameters
        backward = self._functions()[1]
        try:
            outputs, grads = backward(*xs, *[p.data for p in parameters])
        except (ArithmeticError, ValueError):
            built = self._rebuild(xs)
            built[0].backward()
            return self._result([v.data for v in built])
        # As Value.backward: each parameter below the root adds the call's gradient, summed from
        # 0.0, to its .grad in one addition. The generated code sums from the first contribution
        # instead; 0.0 + that sum is the sum from 0.0, bit for bit (see source.zeroed).
        for k in self._reached:
            parameters[k].grad += 0.0 + grads[k]
        return self._result(outputs)

    def outputs_at(self, values, rows) -> tuple[np.ndarray, np.ndarray]:
        """The outputs of every sample under every set of parameter values, without touching ``.data``.

        Args:
            values: one row of parameter values per set, in ``parameters`` order (shape
                (m, number of parameters)), e.g. the ``values`` a training loop recorded.
            rows: one row of inputs per sample (shape (n, number of inputs)).

        Returns:
            (outputs, failed): outputs of shape (m, n, number of outputs), each what the
            program computes for that sample with those parameter values (the engine's
            numbers, bit for bit), and failed, of shape (m, n), True where the engine would
            raise (the outputs there are meaningless).

        Example:
            >>> from micrograd44 import Value
            >>> from micrograd44.compiled import trace
            >>> w = Value(1.0)
            >>> scaled = trace(lambda x: (w * x).log(), (1.0,), parameters=[w])
            >>> outputs, failed = scaled.outputs_at([[1.0], [-1.0]], [[1.0]])
            >>> outputs[0].tolist(), failed.tolist()
            ([[0.0]], [[False], [True]])
        """
        values, rows = self._grid_arrays(values, rows)
        forward = self._functions()[0]
        outputs = np.zeros((len(values), len(rows), len(self._tape.outputs)))
        failed = np.zeros((len(values), len(rows)), dtype=bool)
        samples = rows.tolist()
        for r, parameters in enumerate(values.tolist()):
            for i, xs in enumerate(samples):
                try:
                    outputs[r, i] = forward(*xs, *parameters)
                except (ArithmeticError, ValueError):
                    failed[r, i] = True
        return outputs, failed

    def _grid_arrays(self, values, rows) -> tuple[np.ndarray, np.ndarray]:
        """outputs_at's arguments as 2-d float arrays (views where they are); ValueError for a wrong shape."""
        values, rows = np.asarray(values, dtype=np.float64), np.asarray(rows, dtype=np.float64)
        shapes = {"values": (values, len(self.parameters)), "rows": (rows, len(self.input_names))}
        for name, (array, width) in shapes.items():
            if array.ndim != 2 or array.shape[1] != width:
                raise ValueError(f"outputs_at: {name} must have shape (_, {width}), got {array.shape}")
        return values, rows

    def with_parameters(self, parameters) -> Program:
        """The same program reading other parameter Values: those of a model of the same architecture.

        The copy shares this program's captured graph and generated code (nothing is traced
        or compiled again); only the Values it reads and trains differ.

        Args:
            parameters: a Module, or as many leaf Values as the program has parameters, in
                the order of ``program.parameters``.

        Raises:
            TypeError, CaptureError: a parameter is not a Value, is not a leaf, or is listed twice.
            ValueError: not as many parameters as the program's.

        Example:
            >>> from micrograd44 import MLP
            >>> from micrograd44.compiled import trace
            >>> first, second = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
            >>> program = trace(lambda x, y: first([x, y]), (0.0, 0.0), parameters=first)
            >>> program.with_parameters(second)(0.5, -1.0) == second([0.5, -1.0]).data
            True
        """
        parameters = parameter_list(parameters)
        if len(parameters) != len(self.parameters):
            raise ValueError(
                f"with_parameters: the program has {len(self.parameters)} parameters, got {len(parameters)}"
            )
        check_leaves(parameters, "parameter")
        copy = Program(self._tape, self.input_names, parameters)
        copy._compiled, copy._array_program = self._compiled, self._array_program
        return copy

    def c_program(self) -> CProgram:
        """The one-sample passes as C, compiled by the system's C compiler: a ``CProgram``.

        It is called as the program is (``c(*inputs)``, ``c.backward(*inputs)``) and gives
        the same numbers, bit for bit.

        Raises:
            micrograd44.compiled.CompilerUnavailable: no working C compiler.
        """
        return CProgram(self)

    def native(self) -> CProgram:
        """The older name of ``c_program()``, kept working: the one-sample passes as C."""
        return self.c_program()

    # ---- many samples at once ----

    def evaluate(self, *inputs, chunk_size: int = DEFAULT_CHUNK_SIZE, workers: int | None = None):
        """The outputs for many samples at once, on numpy arrays.

        Args:
            inputs: one array-like (or number) per input; they broadcast together, and
                the outputs take their shape (a meshgrid gives a grid of outputs).
            chunk_size: samples per chunk of computation.
            workers: threads that run the chunks (numpy releases the GIL inside its loops);
                None for one per CPU. The result does not depend on it.

        Returns:
            An array of the inputs' broadcast shape, or a tuple of them for several outputs.
            Each element equals the engine's output for that sample up to a few units in
            the last place (numpy's exp, tanh, ... round differently from the math
            module's); where the engine would raise, the element is nan or infinite.

        Example:
            >>> import numpy as np
            >>> from micrograd44 import MLP
            >>> from micrograd44.compiled import trace
            >>> model = MLP(2, [5, 4, 1], activation="tanh", seed=2)
            >>> net = trace(lambda x, y: model([x, y]), example=(0.0, 0.0), parameters=model)
            >>> xx, yy = np.meshgrid(np.linspace(-1, 2, 300), np.linspace(-1, 2, 200))
            >>> net.evaluate(xx, yy).shape
            (200, 300)
        """
        self._check_count(len(inputs))
        columns = broadcast_columns(inputs, self.input_names)
        if workers is None:
            workers = os.cpu_count() or 1
        elif not (isinstance(workers, int) and workers > 0):
            raise ValueError(f"workers must be a positive integer or None, got {workers!r}")
        outputs = self._arrays().evaluate(columns, [p.data for p in self.parameters], chunk_size, workers)
        return self._result(outputs)

    def gradients(
        self, *inputs, per_sample: bool = False, root_grad=1.0, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> BatchGradients:
        """The outputs and the root's gradients for many samples at once; ``.grad`` is not touched.

        Args:
            inputs: one array-like (or number) per input, broadcast together as in ``evaluate``.
            per_sample: return each sample's parameter gradients instead of their sum.
            root_grad: d(loss)/d(root), a number or one per sample, e.g. ``1 / n`` for the
                gradient of a mean loss (the engine seeds 1.0).
            chunk_size: samples per chunk of computation.

        Returns:
            BatchGradients(outputs, parameters, inputs): the outputs as ``evaluate`` gives
            them, d(root)/d(parameter) of shape (P,) summed over the samples (or
            (*shape, P) per sample), and d(root)/d(input) of shape (*shape, number of inputs).
            Equal to the engine's up to rounding, as for ``evaluate``.

        Example:
            >>> import numpy as np
            >>> from micrograd44.compiled import trace
            >>> f = trace(lambda x: (1 + x.sin()).log(), example=(0.0,))
            >>> x = np.linspace(0.0, 1.0, 5)
            >>> slope = f.gradients(x).inputs[:, 0]
            >>> bool(np.allclose(slope, np.cos(x) / (1 + np.sin(x))))
            True
        """
        self._check_count(len(inputs))
        columns = broadcast_columns([*inputs, root_grad], [*self.input_names, "root_grad"])
        outputs, parameter_grads, input_grads = self._arrays().evaluate_gradients(
            columns, [p.data for p in self.parameters], per_sample, chunk_size
        )
        return BatchGradients(self._result(outputs), parameter_grads, input_grads)

    @property
    def array_source(self) -> str:
        """The generated numpy code of ``evaluate`` and ``gradients``."""
        return self._arrays().source

    # ---- training ----

    def training_loop(self, optimizer: Optimizer, backend: str = "python") -> TrainingLoop:
        """Compiled training steps of the root with this optimizer (SGD or Adam over ``parameters``).

        ``backend`` is "python" (generated Python) or "c" (generated C, built by the
        system's C compiler). See TrainingLoop: ``single_sample(samples, order)`` takes one step per sample
        index, ``full_batch(samples, epochs)`` one step per epoch on the mean loss.
        """
        return TrainingLoop(self, optimizer, backend)

    # ---- the static-graph contract ----

    def check_graph(self, outputs, inputs: Sequence[Value], parameters=None) -> None:
        """Raise GraphMismatchError unless the graph below ``outputs`` has the captured structure.

        Args:
            outputs: the output Value(s) of a graph built by the engine.
            inputs: its input leaves, in call order.
            parameters: its parameters (default: this program's).

        Raises:
            GraphMismatchError: naming the first node that differs (op, wiring or constant).
        """
        parameters = self.parameters if parameters is None else parameter_list(parameters)
        difference = first_difference(self._tape, capture_tape(outputs, list(inputs), parameters))
        if difference is not None:
            raise GraphMismatchError(
                f"the graph differs from the captured one: {difference}. A program replays one fixed graph; "
                "Python code that chooses ops by looking at the data cannot be replayed"
            )

    # ---- helpers ----

    def _check_count(self, given: int) -> None:
        """TypeError unless ``given`` inputs is the program's number of inputs."""
        expected = len(self.input_names)
        if given != expected:
            names = ", ".join(self.input_names) or "none"
            raise TypeError(f"this program takes {expected} inputs ({names}), got {given}")

    def _inputs(self, values: tuple) -> list[float]:
        """The inputs of one sample as floats, checked as the engine checks a Value's data."""
        self._check_count(len(values))
        return [_finite_input(v, name) for v, name in zip(values, self.input_names)]

    def _result(self, outputs):
        """One output as itself, several as a tuple."""
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _rebuild(self, xs: Sequence[float]) -> list[Value]:
        """The graph built by the engine for one sample's inputs: its outputs."""
        return rebuild(self._tape, xs, self.input_names, self.parameters)

    def _rows(self, samples) -> list[tuple[float, ...]]:
        """Samples as tuples of floats, one per row; ValueError for a wrong shape or a non-finite value."""
        rows = np.asarray(samples, dtype=np.float64)
        if rows.size == 0:
            return []
        if not np.isfinite(rows).all():
            raise ValueError("samples must be finite numbers (a Value holds a finite number)")
        n = len(self.input_names)
        if rows.ndim != 2 or rows.shape[1] != n:
            raise ValueError(
                f"samples must have shape (n, {n}), one row of inputs per sample; got {rows.shape}"
            )
        return [tuple(row) for row in rows.tolist()]

    def _arrays(self) -> ArrayProgram:
        """The numpy version of the program, made on first use."""
        if self._array_program is None:
            self._array_program = ArrayProgram(self._tape)
        return self._array_program


class CProgram(Program):
    """A program whose one-sample passes run as compiled C: ``Program.c_program()``.

    Calls as the Program does (``c(*inputs)``, ``c.backward(*inputs)``), with the same
    results: where the C code reports that the engine would raise, the program rebuilds the
    graph with the engine, which raises its own error. Its ``source`` is the generated C.
    """

    def __init__(self, program: Program):
        super().__init__(program._tape, program.input_names, program.parameters)
        self._c_forward, self._c_backward, self._c_grid = _c_functions(self._tape, lambda: self.source)

    def _functions(self) -> tuple:
        """(forward, backward, None): the C functions, called as the generated Python ones are."""
        return self._forward, self._backward, None

    @property
    def source(self) -> str:
        """The generated C, made when asked for (a library found in the cache is loaded without it)."""
        return c_source(self._tape)

    def outputs_at(self, values, rows) -> tuple[np.ndarray, np.ndarray]:
        """As ``Program.outputs_at``, every sample under every set of values in one call of C."""
        values, rows = self._grid_arrays(values, rows)
        if values.strides[1] != values.itemsize or values.strides[0] % values.itemsize:
            values = np.ascontiguousarray(values)
        stride = values.strides[0] // values.itemsize if len(values) > 1 else values.shape[1]
        inputs = np.ascontiguousarray(rows)
        outputs = np.zeros((len(values), len(rows), len(self._tape.outputs)))
        failed = np.zeros((len(values), len(rows)), dtype=np.intc)
        self._c_grid(
            address(inputs),
            len(rows),
            address(values),
            len(values),
            stride,
            address(outputs),
            address(failed),
        )
        return outputs, failed.astype(bool)

    def _forward(self, *arguments) -> list[float]:
        """The outputs, from the inputs then the parameters; EagerWouldRaise where the engine would raise."""
        n = len(self._tape.inputs)
        out, inputs, parameters = (
            np.zeros(len(self._tape.outputs)),
            doubles(arguments[:n]),
            doubles(arguments[n:]),
        )
        if self._c_forward(address(inputs), address(parameters), address(out)):
            raise EagerWouldRaise
        return out.tolist()

    def _backward(self, *arguments) -> tuple[list[float], list[float]]:
        """The outputs and the parameters' gradients of the call, from the inputs then the parameters."""
        n = len(self._tape.inputs)
        out, inputs = np.zeros(len(self._tape.outputs)), doubles(arguments[:n])
        parameters, grads = doubles(arguments[n:]), np.zeros(len(self.parameters))
        if self._c_backward(address(inputs), address(parameters), address(grads), address(out)):
            raise EagerWouldRaise
        return out.tolist(), grads.tolist()


# the C functions of each program's tape, loaded once per process (by fingerprint)
_libraries: dict[str, tuple] = {}


def _c_functions(tape: Tape, make_source) -> tuple:
    """mg_forward, mg_backward and mg_forward_grid of a tape's C library (built or found in the cache)."""
    key = fingerprint(tape)
    if key not in _libraries:
        library = build_from(key, make_source)
        _libraries[key] = tuple(
            load_function(library, name) for name in ("forward", "backward", "forward_grid")
        )
    return _libraries[key]
