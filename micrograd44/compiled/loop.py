"""Training loops: many optimizer steps of a program's root in one generated function, Python or C.

Inside the function every parameter, gradient and optimizer buffer is a local variable,
so a step costs only its arithmetic. Both languages print the same skeleton
(``source.Writer.training_loop``), and the optimizers' updates are ``micrograd44.optim``'s
own definitions (``sgd_update``, ``adam_update``) printed as code (``codegen.updates``), so
a compiled run follows the eager run step for step. The C loop is built by the system's C
compiler (``toolchain``) and called through ctypes (``c_library``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from ..codegen.lowering import slot_names
from ..codegen.python import define
from ..codegen.tape import Tape
from ..core.value import sum_values
from ..optim import Optimizer
from .c_library import address, doubles, fingerprint, load_function
from .c_source import c_source
from .python_layers import python_writer
from .source import LOOP_ARGUMENTS, STAGES
from .toolchain import build_from
from .updates import UpdateCode


class StepFailed(ArithmeticError):
    """A step of a compiled training loop failed; the loop stopped there.

    The parameters, their grads and the optimizer are left as the eager loop would leave
    them at that point: before the update for the stages "forward", "loss" and
    "gradient", after it for "update". For "forward" the engine's own error (a
    DomainError, ...) is the ``__cause__``.

    Attributes:
        stage: "forward" (the forward pass raised), "loss" (the loss is nan or infinite),
            "gradient" (a parameter's gradient is) or "update" (a parameter is, after the update).
        step: the index of the failed step in this call (the epoch, for ``full_batch``).
        losses: the losses of the steps completed before it in this call.
        steps: the ``Steps`` completed before it (the losses as an array, and the rows
            recorded: the failed step's too where it failed in its update).
    """

    def __init__(self, message: str, stage: str, step: int, steps: Steps):
        super().__init__(message)
        self.stage = stage
        self.step = step
        self.steps = steps
        self.losses = steps.losses.tolist()


@dataclasses.dataclass(frozen=True)
class Steps:
    """What a call of a compiled training loop did (``TrainingLoop.run``).

    Attributes:
        losses: the loss of every step taken, in order (a float array).
        recorded: the steps of ``record_at`` that were recorded, in increasing order (an int array).
        values: the parameters at each recorded step, after its backward and before its
            update, as eager's ``p.data`` then: shape (len(recorded), number of
            parameters), in ``program.parameters`` order.
        grads: their gradients at that point, as eager's ``p.grad`` then; the same shape.
        recorded_losses: the loss of each recorded step (one that failed in its update
            has none in ``losses``).
    """

    losses: np.ndarray
    recorded: np.ndarray
    values: np.ndarray
    grads: np.ndarray
    recorded_losses: np.ndarray


# What runs the generated loops: Python functions, or C compiled into a shared library.
BACKENDS = ("python", "c")

# The generated loops: one step per sample of an order, or one step per epoch on the mean loss.
MODES = ("single_sample", "full_batch")


def _check_mode(mode: str) -> None:
    """ValueError unless the mode is one of MODES."""
    if mode not in MODES:
        raise ValueError(f"mode must be 'single_sample' or 'full_batch', got {mode!r}")


class TrainingLoop:
    """Training steps of a program's root (a loss) with an SGD or Adam optimizer, compiled.

    Made by ``Program.training_loop(optimizer, backend)``. The ``backend`` writes the loops
    as Python (the default) or as C, compiled by the system's C compiler into a shared
    library (see ``c_library``); both give the same numbers. Each loop
    is generated and compiled on its first call (a call with no steps compiles it too).
    Each call reads the parameters' data and the optimizer's state and hyper-parameters (so
    a changed ``lr`` is honoured), runs every step inside one generated function, and
    writes the parameters, their grads (those of the last step) and the optimizer's state
    back: eager and compiled steps can be mixed freely. The results equal those of the eager loop::

        for i in order:
            optimizer.zero_grad()
            root(samples[i]).backward()
            optimizer.step()

    Example:
        >>> from micrograd44 import MLP, Value
        >>> from micrograd44.compiled import trace
        >>> from micrograd44.optim import SGD
        >>> model = MLP(2, [4, 1], activation="tanh", seed=0)
        >>> program = trace(lambda x, y, t: ((model([x, y]) - t) ** 2), (0.0, 0.0, 0.0), parameters=model)
        >>> loop = program.training_loop(SGD(model.parameters(), lr=0.1, momentum=0.9))
        >>> samples = [[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
        >>> losses = loop.single_sample(samples, [0, 1, 2, 3] * 100)
        >>> len(losses)
        400
    """

    def __init__(self, program, optimizer: Optimizer, backend: str = "python"):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
        UpdateCode(optimizer, [])  # TypeError for an optimizer the loops cannot print
        self.backend = backend
        parameters = program.parameters
        if set(optimizer.params) != set(parameters) or len(optimizer.params) != len(parameters):
            raise ValueError(
                f"the optimizer must hold exactly the program's {len(parameters)} parameters "
                f"(it holds {len(optimizer.params)}, {len(set(optimizer.params) - set(parameters))} of them "
                "not the program's)"
            )
        self.program = program
        self.optimizer = optimizer
        position = {p: k for k, p in enumerate(optimizer.params)}
        self._positions = [position[p] for p in parameters]  # optimizer index of each program parameter
        names = slot_names(program._tape)
        self._parameter_names = [names[s] for s in program._tape.parameters]  # their source names
        self._functions: dict[tuple, Callable] = {}
        self._update_code: UpdateCode | None = None

    # ---- the public steps ----

    def single_sample(self, samples, order: Iterable[int], *, check_finite: bool = False) -> list[float]:
        """One step per entry of ``order``, each on one sample: zero grads, forward, backward, update.

        Args:
            samples: the input values of every sample, shape (n, number of program
                inputs), as nested sequences or a numpy array.
            order: the index of the sample of each step, e.g. drawn at random.
            check_finite: stop with StepFailed when a loss, a gradient or an updated
                parameter is nan or infinite (what a trainer checks after every step).

        Returns:
            The root's value (the loss) at every step.

        Raises:
            StepFailed: the forward pass raised (the engine's error is its ``__cause__``),
                or, with check_finite, a step went non-finite.
        """
        return self.run("single_sample", samples, order, check_finite=check_finite).losses.tolist()

    def full_batch(self, samples, epochs: int, *, check_finite: bool = False) -> list[float]:
        """One step per epoch on the mean of the root over all the samples.

        Each epoch computes ``loss = mean_i root(sample_i)`` (a correctly rounded sum times
        1/n) and the gradient of that mean, summing the samples' contributions in order,
        then updates once. This is exactly what the engine computes for a mean loss over
        the samples: with root = ``l1_loss(model(x), t)``, a full-batch epoch equals
        ``l1_loss([model(x) for x in X], T).backward()`` followed by ``optimizer.step()``.

        Args:
            samples: the input values of every sample, shape (n, number of program inputs).
            epochs: how many steps to take.
            check_finite: as for ``single_sample``.

        Returns:
            The mean loss of every epoch.

        Raises:
            StepFailed: as for ``single_sample``; ``step`` is then the epoch.
        """
        return self.run("full_batch", samples, epochs, check_finite=check_finite).losses.tolist()

    def run(
        self, mode: str, samples, schedule, *, check_finite: bool = False, record_at: Sequence[int] = ()
    ) -> Steps:
        """``single_sample`` (schedule: the sample order) or ``full_batch`` (schedule: the epochs), as Steps.

        The losses come as an array, and at each step of ``record_at`` (indices into this
        call's steps; others are ignored) the parameters and their grads are copied after
        the step's checks, before its update: what a snapshot of the eager step sees.

        Raises:
            StepFailed: as ``single_sample``; its ``steps`` holds what was done before it.
            ValueError: an unknown mode, or full_batch without samples.

        Example:
            >>> from micrograd44 import Value
            >>> from micrograd44.compiled import trace
            >>> from micrograd44.optim import SGD
            >>> w = Value(1.0)
            >>> square = trace(lambda x: (w - x) ** 2, (0.0,), parameters=[w])
            >>> loop = square.training_loop(SGD([w], lr=0.125))
            >>> steps = loop.run("single_sample", [(0.5,)], [0, 0, 0], record_at=[1])
            >>> steps.losses.tolist(), steps.recorded.tolist(), steps.values.tolist(), steps.grads.tolist()
            ([0.25, 0.140625, 0.0791015625], [1], [[0.875]], [[0.75]])
        """
        rows = self.program._rows(samples)
        _check_mode(mode)
        if mode == "single_sample":
            schedule = self._sample_indices(schedule, len(rows))
            count, scale = len(schedule), 1.0
        else:
            if not rows:
                raise ValueError("full_batch needs at least one sample")
            count, scale = schedule, 1.0 / len(rows)
        update = self._update()
        function = self._function(mode, update)
        marks = np.unique(np.asarray(record_at, dtype=np.int_))
        marks = marks[(marks >= 0) & (marks < count)]
        if count == 0:
            return self._steps(np.zeros(0), marks[:0], np.zeros(0))
        recorded = np.empty((len(marks), 2 * len(self.program.parameters) + 1))
        results = self._call(function, update, rows, schedule, scale, check_finite, marks, recorded)
        stage, step, losses = results
        filled = int(np.searchsorted(marks, step))
        if stage == "update" and filled < len(marks) and marks[filled] == step:
            filled += 1  # recorded before its update
        steps = self._steps(np.asarray(losses, dtype=np.float64), marks[:filled], recorded[:filled])
        if stage == "forward":
            self._raise_engine_error([rows[schedule[step]]] if mode == "single_sample" else rows, step, steps)
        if stage is not None:
            what = {"loss": "the loss", "gradient": "a gradient", "update": "an updated parameter"}[stage]
            raise StepFailed(f"step {step}: {what} is not finite", stage, step, steps)
        return steps

    def compile(self, mode: str = "single_sample") -> None:
        """Generate and compile a loop ("single_sample" or "full_batch") for the optimizer's current settings.

        Raises:
            ValueError: an unknown mode.
            micrograd44.compiled.CompilerUnavailable: the C backend has no
                working C compiler.
        """
        _check_mode(mode)
        self._function(mode, self._update())

    @property
    def source(self) -> str:
        """The generated source of both loops, for the optimizer's current settings (Python or C)."""
        update = self._update()
        return "\n\n".join(self._function(mode, update).source for mode in MODES)

    # ---- running a generated loop ----

    def _sample_indices(self, order: Iterable[int], n: int):
        """The indices as a list of ints (an array for the C backend); IndexError unless each is in [0, n).

        An int array is taken as it is; any other iterable is read once.
        """
        given = order if isinstance(order, np.ndarray) else list(order)
        array = np.asarray(given)
        if len(given) and (array.ndim != 1 or array.dtype.kind not in "iu"):
            array = np.array([int(i) if 0 <= i < n else -1 for i in given])
        out_of_range = np.flatnonzero((array < 0) | (array >= n)) if len(given) else []
        if len(out_of_range):
            bad = given[out_of_range[0]]
            bad = bad.item() if isinstance(bad, np.generic) else bad
            raise IndexError(f"sample index {bad!r} is out of range for {n} samples")
        return array.astype(np.int_, copy=False) if self.backend == "c" else array.tolist()

    def _update(self) -> UpdateCode:
        """The optimizer's update, for its current settings (made again only when they change)."""
        optimizer, code = self.optimizer, self._update_code
        key = (type(optimizer).__name__, optimizer.structure())
        hyper = tuple(vars(optimizer.hyper()).values())
        if code is None or (code.key, code.hyper) != (key, hyper):
            self._update_code = UpdateCode(optimizer, self._parameter_names)
        return self._update_code

    def _steps(self, losses: np.ndarray, marks: np.ndarray, recorded: np.ndarray) -> Steps:
        """Steps of the losses and the rows recorded at the marks (values, grads, loss)."""
        count = len(self.program.parameters)
        recorded = recorded.reshape(len(marks), 2 * count + 1)
        return Steps(
            losses, marks, recorded[:, :count], recorded[:, count : 2 * count], recorded[:, 2 * count]
        )

    def _call(
        self, function, update, rows: list, schedule, scale: float, check_finite: bool, marks, recorded
    ):
        """Call a generated loop and store its results: (stage, step, losses)."""
        parameters = self.program.parameters
        record_at = marks if self.backend == "c" else {s: k for k, s in enumerate(marks.tolist())}
        stage, step, losses, data, state, grads = function(
            rows,
            schedule,
            scale,
            [p.data for p in parameters],
            update.read_state(self.optimizer, self._positions),
            update.hyper,
            check_finite,
            record_at,
            recorded,
        )
        for p, value, grad in zip(parameters, data, grads or [0.0] * len(parameters)):
            p.data, p.grad = value, grad
        update.write_state(self.optimizer, state, self._positions)
        return stage, step, losses

    def _raise_engine_error(self, samples: list, step: int, steps: Steps) -> None:
        """Build the failed step's graph with the engine, which raises its own error; StepFailed from it."""
        try:
            roots = [self.program._rebuild(row)[0] for row in samples]
            sum_values(roots)
        except Exception as error:
            raise StepFailed(
                f"step {step}: the forward pass failed: {error}", "forward", step, steps
            ) from error
        raise RuntimeError(f"step {step}: the compiled forward pass failed where the engine's did not")

    # ---- generating the loops ----

    def _function(self, mode: str, update):
        """The generated loop for a mode and the optimizer's settings, made once; its ``source`` attribute.

        A C loop found in the cache is loaded without its source, which is made when asked for.
        """
        key = (mode, update.key)
        if key not in self._functions and self.backend == "c":
            self._functions[key] = c_loop(self.program._tape, update, mode)
        if key not in self._functions:
            writer = python_writer(self.program._tape)
            body = writer.training_loop(update, full_batch=mode == "full_batch")
            function, source = define(mode, LOOP_ARGUMENTS, body, writer.namespace)
            self._functions[key] = function
            function.source = source
        return self._functions[key]


class CLoop:
    """One training loop (a mode) of one program and one optimizer structure, as compiled C.

    Called as the generated Python loop is, with the same arguments and the same result
    (see ``TrainingLoop._run``).
    """

    def __init__(self, graph: Tape, update: UpdateCode, mode: str, fingerprint: str):
        self._graph, self._update, self.mode = graph, update, mode
        self._run = load_function(build_from(fingerprint, lambda: self.source), mode)
        self._count = len(graph.parameters)

    @functools.cached_property
    def source(self) -> str:
        """The generated C."""
        return c_source(self._graph, self._update, self.mode)

    def __call__(self, rows, schedule, scale, params, state, hyper, check_finite, record_at, recorded):
        """Run the loop: (stage, step, losses, params, state, grads); the losses an array."""
        steps = len(schedule) if self.mode == "single_sample" else schedule
        samples, losses, par, st, hy, grads, taken = (
            doubles(rows),
            np.zeros(steps),
            doubles(params),
            doubles(state),
            doubles(hyper),
            np.zeros(self._count),
            np.zeros(1, dtype=np.int_),
        )
        common = (
            *(address(par), address(st), address(hy), int(check_finite), address(losses), address(grads)),
            *(address(record_at), len(record_at), address(recorded)),
        )
        if self.mode == "single_sample":
            order = np.ascontiguousarray(schedule, dtype=np.int_)  # C reads it element after element
            status = self._run(address(samples), address(order), steps, *common, address(taken))
        else:
            terms = np.zeros(len(rows))
            status = self._run(
                address(samples), len(rows), steps, scale, address(terms), *common, address(taken)
            )
        stage, step = STAGES.get(status), int(taken[0])
        # the state comes back with the types it went in with (the SGD flag a bool, Adam's step count an int)
        state_out = [type(s)(v) for s, v in zip(state, st.tolist())]
        grads_out = None if stage == "forward" else grads.tolist()
        return stage, step, losses[:step], par.tolist(), state_out, grads_out


_loops: dict[str, CLoop] = {}


def c_loop(graph: Tape, update: UpdateCode, mode: str) -> CLoop:
    """The CLoop of a program's tape, an update's structure and a mode, made once per process.

    Loops are told apart by their fingerprint, which tells a constant -0.0 from 0.0 (equal tapes may not).
    """
    key = fingerprint(graph, update.key, update.hyper_names, update.state, mode)
    if key not in _loops:
        _loops[key] = CLoop(graph, update, mode, key)
    return _loops[key]
