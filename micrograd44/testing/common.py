"""What the assertions share: the tolerance test, the failure they raise, gradients computed afresh."""

from __future__ import annotations

import math
import numbers

from ..core.value import Value


class TorchMismatch(AssertionError):
    """A number micrograd44 computes differently from PyTorch float64, beyond the tolerances.

    An AssertionError, so pytest and unittest report it as a test failure. The message says
    everything below in one line; the attributes let a test check them as data.

    Attributes:
        quantity: what differs: "value" or "gradient" (of a node, a parameter, an input)
            or "output" (of a module).
        node: the Value where it differs (the parameter, for a module's gradient).
        name: how the message names it: the node with its op and label, the dotted
            parameter name, or "output 0 of sample 1".
        ours: micrograd44's number.
        theirs: PyTorch's number.
        path: for a graph, the nodes from a leaf up to ``node``; () for a module.
        origin: for a graph's gradient, the op node whose local derivative differs, from
            which the difference flows down to ``node``; None if none differs alone.
    """

    def __init__(
        self, message: str, quantity: str, node: Value, name: str, ours: float, theirs: float, **more
    ):
        super().__init__(message)
        self.quantity = quantity
        self.node = node
        self.name = name
        self.ours = ours
        self.theirs = theirs
        self.path: tuple[Value, ...] = more.get("path", ())
        self.origin: Value | None = more.get("origin")


def check_tolerances(rtol, atol) -> None:
    """ValueError naming the keyword unless rtol and atol are finite numbers >= 0."""
    for keyword, value in (("rtol", rtol), ("atol", atol)):
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not 0.0 <= value < math.inf:
            raise ValueError(f"{keyword} must be a finite number >= 0, got {value!r}")


def agree(ours: float, theirs: float, rtol: float, atol: float) -> bool:
    """|ours - theirs| <= atol + rtol * |theirs| (torch.allclose's test); inf and nan must match exactly."""
    if math.isfinite(ours) and math.isfinite(theirs):
        return abs(ours - theirs) <= atol + rtol * abs(theirs)
    return ours == theirs or (math.isnan(ours) and math.isnan(theirs))


def difference(ours: float, theirs: float, rtol: float, atol: float) -> str:
    """How two numbers differ, for a message: both numbers, the relative difference, the tolerances."""
    if math.isfinite(ours) and math.isfinite(theirs) and theirs != 0.0:
        relative = f"relative difference {abs(ours - theirs) / abs(theirs):.3g}"
    else:
        relative = f"difference {abs(ours - theirs)!r}"
    return f"micrograd44 {ours!r}, PyTorch {theirs!r}, {relative} (rtol {rtol:g}, atol {atol:g})"


def fresh_gradients(root: Value, nodes: list[Value]) -> dict[Value, float]:
    """d(root)/d(node) for each node, by ``root.backward()`` from zero grads; every .grad is then put back."""
    saved = [node.grad for node in nodes]
    try:
        for node in nodes:
            node.grad = 0.0
        root.backward()
        return {node: node.grad for node in nodes}
    finally:
        for node, grad in zip(nodes, saved):
            node.grad = grad
