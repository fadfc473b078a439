"""Compiled replay: capture a graph once, then rerun its forward and backward passes fast.

A scalar engine rebuilds the same graph at every training step. For a fixed model the
graph's shape never changes, so it can be captured once and written out as straight-line
Python: one assignment per node, forward then backward, with no Value objects and no
graph walk. The captured program then

- replays one sample (``program(*x)``, ``program.backward(*x)``) with exactly the
  engine's numbers, reading the parameters' current data and adding into their grads;
- runs whole training loops (``program.training_loop(optimizer)``) with every parameter
  and optimizer buffer held in local variables, step for step equal to the eager loop;
- evaluates many samples at once on numpy arrays (``program.evaluate``,
  ``program.gradients``), each scalar node becoming a vector over the samples;
- writes the same code as C (``program.training_loop(optimizer, "c")``,
  ``program.native()``), built by the system's C compiler and cached: the same numbers,
  bit for bit, at close to the speed of hand-written C (``native``, ``toolchain``).

The static-graph contract: a program replays the graph it captured, op for op. Only the
inputs' values and the parameters' data change between calls. Python code that picks ops
by looking at the data is frozen at the branch taken during capture; check a function with
``trace(..., check=[...])``. Leaves that are neither inputs nor parameters are constants.

Example:
    >>> from micrograd44 import MLP
    >>> from micrograd44.compiled import trace
    >>> model = MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=2)
    >>> loss = trace(lambda x, y, t: (model([x, y]) - t).abs(), example=(0.0, 0.0, 0.0), parameters=model)
    >>> loss
    Program(inputs=3, parameters=44, ops=21, outputs=1)
    >>> value = loss.backward(1.0, 0.0, 1.0)  # fills every parameter's grad
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

from ..core.value import Value
from .batched import BatchGradients
from .program import Program, capture, parameter_list
from .tape import CaptureError, GraphMismatchError
from .toolchain import CompileError, CompilerUnavailable, announce_fallback, check_compiler, compiler
from .training import StepFailed, TrainingLoop


def _input_names(fn: Callable, n: int) -> list[str]:
    """The names of fn's first n positional parameters when it has them, else x0, x1, ..."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return [f"x{i}" for i in range(n)]
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    return positional[:n] if len(positional) >= n else [f"x{i}" for i in range(n)]


def _build(fn: Callable, values: Sequence, names: list[str]) -> tuple[list[Value], list[Value]]:
    """Call fn on input leaves holding the values: (its outputs, the inputs)."""
    inputs = [Value(v, label=name) for v, name in zip(values, names)]
    result = fn(*inputs)
    outputs = list(result) if isinstance(result, (list, tuple)) else [result]
    return outputs, inputs


def trace(fn: Callable, example: Sequence, parameters=(), *, check: Sequence[Sequence] = ()) -> Program:
    """Compile a function of scalar inputs by running it once on Values.

    Args:
        fn: called as ``fn(*inputs)`` with one Value per input; returns a Value, or a
            sequence of Values (the first is the root that backward differentiates).
        example: the input values to run fn on; they fix the number of inputs.
        parameters: a Module, or the leaf Values fn reads besides its inputs that must be
            read (and trained) at every call. Unlabelled leaves fn makes are constants.
        check: more input values at which fn is run again; the graph it builds there
            must have the traced structure.

    Returns:
        The Program; its input names are fn's parameter names.

    Raises:
        CaptureError: fn's graph uses a labelled leaf that is not in ``parameters``.
        GraphMismatchError: fn builds a graph of another structure at a ``check`` point.

    Example:
        >>> from micrograd44.compiled import trace
        >>> f = trace(lambda x: (1 + x.sin()).log(), example=(0.5,))
        >>> round(f(0.5), 6)  # log(1 + sin 0.5)
        0.391654
    """
    example = list(example)
    names = _input_names(fn, len(example))
    parameters = parameter_list(parameters)
    outputs, inputs = _build(fn, example, names)
    program = capture(outputs, inputs, parameters)
    for values in check:
        if len(values) != len(example):
            raise TypeError(
                f"check point {list(values)!r} has {len(values)} inputs, the example {len(example)}"
            )
        other_outputs, other_inputs = _build(fn, list(values), names)
        try:
            program.check_graph(other_outputs, other_inputs)
        except GraphMismatchError as error:
            raise GraphMismatchError(f"at the check point {list(values)!r}, {error}") from None
    return program


__all__ = [
    "BatchGradients",
    "CaptureError",
    "CompileError",
    "CompilerUnavailable",
    "GraphMismatchError",
    "Program",
    "StepFailed",
    "TrainingLoop",
    "announce_fallback",
    "capture",
    "check_compiler",
    "compiler",
    "trace",
]
