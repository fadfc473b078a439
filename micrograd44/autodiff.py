"""Derivatives as functions: gradients that are graphs themselves, Hessians, Jacobians, forward mode.

Every derivative here comes from the op table's rules (``micrograd44.ops``), evaluated
on Values instead of floats (``engine.VALUES``): the chain rule then builds a graph of ordinary
nodes, which can be drawn, compiled, or differentiated again, to any order. Forward mode
(``jvp``) runs the same local derivatives on floats, from the inputs up.

Like PyTorch's ``torch.autograd.grad``, these functions never touch ``.grad``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .core.graph import sorted_graph
from .core.ops import MASKED
from .core.slopes import local_floats
from .core.value import Value, chain_rule, gradient_graphs, sum_values, topological_order


def _data(x) -> float:
    """The number behind a Value or a float."""
    return x.data if isinstance(x, Value) else x


def grad(
    output: Value, inputs: Sequence[Value], *, create_graph: bool = False, allow_unused: bool = True
) -> tuple:
    """The gradient of ``output`` with respect to each input, like ``torch.autograd.grad``.

    Args:
        output: a Value.
        inputs: the Values to differentiate with respect to (leaves or interior nodes).
        create_graph: return each gradient as a Value, a graph built from the ops'
            derivative rules, which can be differentiated again (any order), drawn or
            compiled. Otherwise return floats.
        allow_unused: for an input that ``output`` does not depend on, return 0 (a
            constant Value with create_graph); with False, raise ValueError instead, as
            PyTorch does by default.

    Returns:
        A tuple with one gradient per input. ``.grad`` attributes are not touched.

    Raises:
        TypeError: output or an input is not a Value.
        ValueError: an input is unused and allow_unused is False.

    Example:
        >>> from micrograd44 import Value, grad
        >>> x = Value(0.5, label="x")
        >>> y = x**3
        >>> (dy,) = grad(y, [x], create_graph=True)
        >>> dy.data, grad(dy, [x])[0]  # 3 x^2 and 6 x
        (0.75, 3.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: input {i} is a {type(x).__name__}, not a Value")
    _, interior = sorted_graph(output, with_leaves=False)
    if not interior:  # output is a leaf
        grads = {output: Value(1.0) if create_graph else 1.0}
    elif create_graph:
        grads = gradient_graphs(interior)
    else:
        grads = chain_rule(interior, 1.0, Value._edges, start=0.0)
    results = []
    for i, x in enumerate(inputs):
        gradient = grads.get(x, MASKED)
        if gradient is not MASKED:
            results.append(gradient)
            continue
        if not allow_unused:
            name = f" ({x.label!r})" if x.label else ""
            raise ValueError(
                f"grad: output does not depend on input {i}{name} (pass allow_unused=True for 0)"
            )
        results.append(Value(0.0) if create_graph else 0.0)
    return tuple(results)


def _leaves_for(inputs: Sequence) -> list[Value]:
    """Fresh leaves x0, x1, ... holding the inputs' numbers."""
    return [Value(_data(x), label=f"x{i}") for i, x in enumerate(inputs)]


def _scalar_output(f: Callable, xs: list[Value]) -> Value:
    """f(*xs), which must be one Value."""
    y = f(*xs)
    if not isinstance(y, Value):
        raise TypeError(f"f must return one Value, got {type(y).__name__}")
    return y


def hessian(f: Callable, inputs: Sequence) -> list[list[float]]:
    """The matrix of second derivatives of a scalar function, like ``torch.autograd.functional.hessian``.

    Args:
        f: a function of n Values returning one Value.
        inputs: n numbers (or Values, whose data is used) at which to differentiate.

    Returns:
        H as a list of n rows of n floats: H[i][j] = d^2 f / dx_i dx_j.

    Example:
        >>> from micrograd44 import hessian
        >>> hessian(lambda x, y: x * x * y, [3.0, 2.0])  # [[2y, 2x], [2x, 0]]
        [[4.0, 6.0], [6.0, 0.0]]
    """
    xs = _leaves_for(inputs)
    return second_derivatives(_scalar_output(f, xs), xs)


def second_derivatives(output: Value, inputs: Sequence[Value]) -> list[list[float]]:
    """The Hessian of a graph already built: d^2 output / d inputs[i] d inputs[j], as rows of floats.

    The graph form of ``hessian``, for a loss built from a model: ``second_derivatives(loss,
    model.parameters())``. One reverse pass builds the gradient as graphs; one more pass
    per input differentiates them again.

    Example:
        >>> from micrograd44 import Value
        >>> x, y = Value(3.0), Value(2.0)
        >>> second_derivatives(x * x * y, [x, y])
        [[4.0, 6.0], [6.0, 0.0]]
    """
    first = grad(output, inputs, create_graph=True)
    return [list(grad(g, inputs)) for g in first]


def hvp(f: Callable, inputs: Sequence, v: Sequence[float]) -> tuple[float, list[float]]:
    """The Hessian times a vector without building the Hessian, like ``torch.autograd.functional.hvp``.

    Differentiates ``sum_i (df/dx_i) v_i`` once more: one extra backward pass.

    Returns:
        (f's value, H v as a list of floats).

    Example:
        >>> from micrograd44 import hvp
        >>> hvp(lambda x, y: x * x * y, [3.0, 2.0], [1.0, 0.0])
        (18.0, [4.0, 6.0])
    """
    xs = _leaves_for(inputs)
    if len(v) != len(xs):
        raise ValueError(f"hvp: v has {len(v)} entries, inputs {len(xs)}")
    y = _scalar_output(f, xs)
    first = grad(y, xs, create_graph=True)
    directional = sum_values([g * vi for g, vi in zip(first, v)])
    return y.data, list(grad(directional, xs))


def jacobian(f: Callable, inputs: Sequence) -> list[list[float]]:
    """The matrix of first derivatives of a function with one or several outputs.

    Like ``torch.autograd.functional.jacobian``: one reverse pass per output.

    Args:
        f: a function of n Values returning a Value or a sequence of m Values.
        inputs: n numbers.

    Returns:
        J as m rows of n floats: J[k][i] = d out_k / dx_i (one row for a single output).

    Example:
        >>> from micrograd44 import jacobian
        >>> jacobian(lambda x, y: [x * y, x + y], [3.0, 2.0])
        [[2.0, 3.0], [1.0, 1.0]]
    """
    xs = _leaves_for(inputs)
    outputs = f(*xs)
    outputs = [outputs] if isinstance(outputs, Value) else list(outputs)
    return [list(grad(out, xs)) for out in outputs]


def jvp(f: Callable, inputs: Sequence, tangents: Sequence[float]):
    """Forward mode: f's output and its directional derivative, like ``torch.func.jvp``.

    Pushes the tangent forward node by node, from the inputs up: each node's tangent is
    the sum over its children of local derivative times the child's tangent, with the
    same local derivatives backward() uses (the chain rule in the other direction). One
    pass gives the derivative along one direction, for every output at once.

    Args:
        f: a function of n Values returning a Value or a sequence of Values.
        inputs: n numbers, the point.
        tangents: n numbers, the direction.

    Returns:
        (output, tangent): floats for one output, tuples of floats for several.

    Example:
        >>> from micrograd44 import jvp
        >>> jvp(lambda x, y: x * y, [3.0, 2.0], [1.0, 0.0])  # d/dx (x y) = y
        (6.0, 2.0)
    """
    xs = _leaves_for(inputs)
    if len(tangents) != len(xs):
        raise ValueError(f"jvp: {len(tangents)} tangents for {len(xs)} inputs")
    outputs = f(*xs)
    single = isinstance(outputs, Value)
    outputs = [outputs] if single else list(outputs)
    pushed = push_tangents(outputs, dict(zip(xs, tangents)))
    values = tuple(out.data for out in outputs)
    derivatives = tuple(pushed[out] for out in outputs)
    return (values[0], derivatives[0]) if single else (values, derivatives)


def push_tangents(outputs: Sequence[Value], tangents: dict[Value, float]) -> dict[Value, float]:
    """Forward mode on graphs already built: the tangent of every node below the outputs.

    A child whose tangent is 0 adds nothing to its parent's, as in JAX and PyTorch's
    forward mode: so a slope that overflows (d/dy of x / y for a tiny y) does not make a
    direction that leaves y alone nan.

    Args:
        outputs: the Values whose graphs to sweep.
        tangents: d(leaf)/dt for the leaves that move; every other leaf is fixed (0).

    Returns:
        d(node)/dt for every node of the graphs, leaves included.

    Example:
        >>> from micrograd44 import Value
        >>> x, y = Value(3.0), Value(2.0)
        >>> z = x * y
        >>> push_tangents([z], {x: 1.0})[z]  # dz/dx
        2.0
    """
    pushed: dict[Value, float] = {}
    for out in outputs:
        for node in topological_order(out):
            if node in pushed:
                continue
            if not node.children:
                pushed[node] = float(tangents.get(node, 0.0))
                continue
            if node._rule is None:
                raise ValueError(f"{node!r} was made with op {node.op!r}, which is not in the op table")
            total = 0.0
            slopes = local_floats(node._rule, node.data, [c.data for c in node.children])
            for child, local in zip(node.children, slopes):
                if (
                    pushed[child] != 0.0
                ):  # a child that does not move adds nothing, even along an infinite slope
                    total += local * pushed[child]
            pushed[node] = total
    return pushed
