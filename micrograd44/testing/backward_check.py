"""check_backward: is the ``_backward`` you wrote, micrograd style, right? If not, which edge is wrong?

A learner writes an op the way micrograd's lecture does: a new Value with its children,
and a ``_backward`` function that adds ``local derivative * out.grad`` into each child's
grad. ``check_backward`` runs that function and compares what it sends along each edge
with the true derivative, from PyTorch float64 when it is installed and from this
engine's op table otherwise. It needs no PyTorch.

Example:
    >>> import math
    >>> from micrograd44 import Value
    >>> def exp(x):
    ...     out = Value(math.exp(x.data), (x,), "my exp")
    ...     def _backward():
    ...         x.grad += out.data * out.grad
    ...     out._backward = _backward
    ...     return out
    >>> check_backward(exp, "exp(x)", reference="op table").ok
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..core import Value, topological_order
from ..formula import parse
from ..gradcheck import allclose

# where an op is checked unless told otherwise: both signs, near 0 and away from it
POINTS = (-1.3, -0.4, 0.5, 1.2)

# |yours - reference| <= ABS_TOL + REL_TOL * |reference| counts as equal
REL_TOL = 1e-9
ABS_TOL = 1e-12

REFERENCES = ("PyTorch", "op table")


@dataclass(frozen=True)
class BackwardCheck:
    """The verdict of ``check_backward``: ``ok``, and a message that says right or names the wrong edge.

    Attributes:
        ok: True when every edge sends the right gradient at every point.
        message: one paragraph; ``print`` the check to read it.
        reference: where the right numbers came from: "PyTorch" or "op table".
        point: the x where the first problem shows (None when ok).
        yours, right: the two numbers that differ there (None when ok).
    """

    ok: bool
    message: str
    reference: str
    point: float | None = None
    yours: float | None = None
    right: float | None = None

    def __str__(self) -> str:
        return self.message

    def __bool__(self) -> bool:
        return self.ok


def check_backward(
    op: Callable[[Value], Value], formula: str, at: Iterable[float] = POINTS, *, reference: str | None = None
) -> BackwardCheck:
    """Check an op with a hand-written ``_backward`` against the true derivative of ``formula``.

    At each point x, ``op(Value(x))`` is built and its graph walked micrograd's way: every
    grad zeroed, ``out.grad = 1``, then each node's ``_backward()`` from the output down.
    The gradient that reaches x is compared with d formula / dx. When it differs, each
    hand-written ``_backward`` is run alone to find the edge that is wrong, and whether
    it forgets ``* out.grad`` or writes ``=`` where the chain rule adds (``+=``).

    Args:
        op: the learner's function: takes a Value, returns the Value it makes.
        formula: the same function as a formula in x, e.g. ``"log(1 + sin(x))"``
            (read by ``micrograd44.formula``, never by eval).
        at: the points to check at.
        reference: "PyTorch" or "op table"; default: PyTorch when it is installed.

    Returns:
        A BackwardCheck: ``print`` it; ``.ok`` is the verdict, ``.point``, ``.yours`` and
        ``.right`` the numbers of the first difference.

    Raises:
        TypeError: op does not return a Value.
        ValueError: an unknown reference, or PyTorch asked for and not installed.
    """
    source = _reference(reference)
    function = parse(formula, ["x"])
    points = [float(p) for p in at]
    for p in points:
        x = Value(p, label="x")
        out = op(x)
        if not isinstance(out, Value):
            raise TypeError(f"check_backward: op returned a {type(out).__name__}, not a Value")
        right_value, right_grad = _truth(function, p, source)
        if not _close(out.data, right_value):
            return BackwardCheck(
                False,
                f"wrong forward: at x = {p!r} your op gives out.data = {out.data!r}, "
                f"{formula} is {right_value!r} ({source}). Fix the forward first.",
                source,
                p,
                out.data,
                right_value,
            )
        misuse = _chain_rule_misuse(out, x, p, source)
        if misuse is not None:
            return misuse
        yours = _run_backward(out, x)
        if not _close(yours, right_grad):
            return _wrong_edge(out, x, p, yours, right_grad, formula, source)
    where = ", ".join(f"{p:g}" for p in points)
    return BackwardCheck(
        True, f"right: your _backward gives d({formula})/dx as {source} does, at x = {where}.", source
    )


def _reference(reference: str | None) -> str:
    """The reference to use: the one asked for, else PyTorch when importable, else the op table."""
    if reference is not None:
        if reference not in REFERENCES:
            raise ValueError(f"reference must be one of {REFERENCES}, got {reference!r}")
        if reference == "PyTorch" and not _torch_installed():
            raise ValueError("reference='PyTorch' needs PyTorch: pip install 'micrograd44[torch]'")
        return reference
    return "PyTorch" if _torch_installed() else "op table"


def _torch_installed() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _truth(function, p: float, source: str) -> tuple[float, float]:
    """(f(p), f'(p)) of the formula, from PyTorch float64 or from the op table."""
    x = Value(p, label="x")
    root = function.evaluate({"x": x})
    if source == "PyTorch":
        from .twin import torch_twin

        twin = torch_twin(root)
        twin[root].backward()
        return twin[root].item(), twin[x].grad.item()
    root.backward()
    return root.data, x.grad


def _close(yours: float, right: float) -> bool:
    """yours equals right within REL_TOL and ABS_TOL (torch.allclose's rule; nan equals nan)."""
    return allclose(yours, right, REL_TOL, ABS_TOL, equal_nan=True)


def _run_backward(out: Value, x: Value) -> float:
    """micrograd's backward by hand: zero every grad, seed out with 1, call each _backward from the top."""
    nodes = topological_order(out)
    for node in nodes:
        node.grad = 0.0
    out.grad = 1.0
    for node in reversed(nodes):
        node._backward()
    return x.grad


def _hand_written(node: Value) -> bool:
    """Whether the learner set this node's _backward (micrograd style) rather than the engine providing it."""
    return "_backward" in vars(node)


def _sent(node: Value, child: Value, upstream: float, before: float = 0.0) -> float:
    """What node's _backward leaves in child.grad, run alone with node.grad = upstream."""
    for other in topological_order(node):
        other.grad = 0.0
    child.grad = before
    node.grad = upstream
    node._backward()
    return child.grad


def _name(node: Value, x: Value, out: Value) -> str:
    """How a message names a node: x, out (with its op), or the node of an op inside."""
    if node is x:
        return "x"
    if node is out:
        return f"out ({node._op!r})"
    return f"the {node._op!r} node"


def _hand_written_edges(out: Value, x: Value):
    """(node, child, how the edge reads) for every edge whose gradient a hand-written _backward sends."""
    for node in reversed(topological_order(out)):
        if node.children and _hand_written(node):
            for child in dict.fromkeys(node.children):
                yield node, child, f"the edge {_name(child, x, out)} <- {_name(node, x, out)}"


def _chain_rule_misuse(out: Value, x: Value, p: float, source: str) -> BackwardCheck | None:
    """A _backward that ignores out.grad or replaces the child's grad (invisible when out.grad is 1)."""
    for node, child, edge in _hand_written_edges(out, x):
        once = _sent(node, child, 1.0)
        twice = _sent(node, child, 2.0)
        if not _close(twice, 2.0 * once):
            return BackwardCheck(
                False,
                f"wrong: {edge} at x = {p!r} sends {once!r} when out.grad is 1 and {twice!r} when it "
                "is 2: multiply your local derivative by out.grad (the chain rule).",
                source,
                p,
                twice,
                2.0 * once,
            )
        if not _close(_sent(node, child, 1.0, before=0.5), 0.5 + once):
            return BackwardCheck(
                False,
                f"wrong: {edge} replaces {_name(child, x, out)}.grad instead of adding to it: write += "
                "(a value used twice gets a gradient from each use).",
                source,
                p,
            )
    return None


def _wrong_edge(
    out: Value, x: Value, p: float, yours: float, right: float, formula: str, source: str
) -> BackwardCheck:
    """The verdict for a wrong gradient: the edge that sends the wrong number, when one can be named."""
    for node, child, edge in _hand_written_edges(out, x):
        once = _sent(node, child, 1.0)
        local = _right_local(node, child, x, out, right)
        if local is not None and not _close(once, local):
            return BackwardCheck(
                False,
                f"wrong: {edge} at x = {p!r}: your _backward gives the local derivative {once!r}, "
                f"the right one is {local!r} ({source}). d({formula})/dx is {right!r}, yours comes "
                f"to {yours!r}.",
                source,
                p,
                once,
                local,
            )
    return BackwardCheck(
        False,
        f"wrong: at x = {p!r} your backward gives d({formula})/dx = {yours!r}, the right value is "
        f"{right!r} ({source}).",
        source,
        p,
        yours,
        right,
    )


def _right_local(node: Value, child: Value, x: Value, out: Value, right: float) -> float | None:
    """The true d(node)/d(child): f'(x) when the op is one node on x, the op table's for a known op."""
    if node is out and node.children == (x,):
        return right
    slopes = [s for c, s in zip(node.children, node.local_grads()) if c is child]
    if slopes and all(math.isfinite(s) for s in slopes):
        return sum(slopes)
    return None
