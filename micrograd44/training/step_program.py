"""The compiled engines' program of a training step: one sample's loss and prediction, traced once.

A Trainer with a compiled engine traces its model and loss on one sample into a Program,
which its training loop then runs. A model of micrograd44's own classes with a loss of
``micrograd44.losses`` builds the same graph whatever its weights, so the trace of an
architecture is kept and bound to each later model of that architecture (a sweep's runs,
``run()`` called again): nothing is traced or compiled twice.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

from .. import losses
from ..compiled import Program, trace
from ..core.errors import OpError
from ..core.value import Value
from ..nn import Module, architecture

# the traces kept, by _trace_key: at most this many, the oldest dropped first
_TRACES_KEPT = 16
_traced: dict[tuple, Program] = {}


def _traced_inputs(n: int) -> list[inspect.Parameter]:
    """The positional parameters x1, ..., xn, target: the names of the compiled step's inputs."""
    names = [f"x{i}" for i in range(1, n + 1)] + ["target"]
    return [inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY) for name in names]


def _trace_key(model: Module, loss: Callable) -> tuple | None:
    """What decides the traced step's graph: the model's architecture (its inputs too) and the loss; or None.

    Only the losses of ``micrograd44.losses`` are known to build one graph shape for every
    value (a user's loss may choose its ops by looking at them).
    """
    shape = architecture(model)
    if shape is None or getattr(loss, "__module__", None) != losses.__name__:
        return None
    return shape, loss


def step_program(
    model: Module, loss: Callable, examples: Sequence[Sequence[float]], parameters: list[Value]
) -> Program:
    """The program of a one-sample step: outputs the loss (the root), then the model's prediction.

    Args:
        model, loss: what the Trainer trains, called as ``loss([model(x)], [target])``.
        examples: the samples' inputs and targets, ``[*x, target]`` each; the step is traced
            on the first on which the model and the loss compute.
        parameters: the model's parameters, in the Trainer's order.

    Returns:
        A Program with inputs x1, ..., xn, target, reading and training ``parameters``.

    Raises:
        OpError: the engine's error on the first sample, when no sample computes.
    """
    key = _trace_key(model, loss)
    if key in _traced:
        return _traced[key].with_parameters(parameters)

    def sample_outputs(*inputs: Value) -> list[Value]:
        """A one-sample step's loss as eager computes it on inputs (x..., target), and the prediction."""
        prediction = model(list(inputs[:-1]))
        return [loss([prediction], [inputs[-1]]), prediction]

    sample_outputs.__signature__ = inspect.Signature(_traced_inputs(len(examples[0]) - 1))
    failures = []
    for example in examples:
        try:
            program = trace(sample_outputs, example=example, parameters=parameters)
            break
        except OpError as error:
            failures.append(error)
    else:
        raise failures[0]
    if key is not None:
        if len(_traced) >= _TRACES_KEPT:
            _traced.pop(next(iter(_traced), None), None)  # the oldest (pop: another thread may have)
        _traced[key] = program
    return program
