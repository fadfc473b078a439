"""What the assertions share: the failure they raise, with its one-line message.

The tolerance test is ``gradcheck.allclose``, the gradients compared ``micrograd44.grad``'s.
"""

from __future__ import annotations

import math

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


def mismatch(quantity, node, name, ours, theirs, tolerances, *details, **more) -> TorchMismatch:
    """The failure of an assertion, in one line: "micrograd44 and PyTorch differ in the <quantity> of
    <name>: <both numbers, their relative difference, the tolerances>", then each detail.

    An output names itself (no "the output of"); ``more`` gives TorchMismatch's path and origin.
    """
    rtol, atol = tolerances
    if math.isfinite(ours) and math.isfinite(theirs) and theirs != 0.0:
        relative = f"relative difference {abs(ours - theirs) / abs(theirs):.3g}"
    else:
        relative = f"difference {abs(ours - theirs)!r}"
    what = name if quantity == "output" else f"the {quantity} of {name}"
    numbers = f"micrograd44 {ours!r}, PyTorch {theirs!r}, {relative} (rtol {rtol:g}, atol {atol:g})"
    message = "; ".join([f"micrograd44 and PyTorch differ in {what}: {numbers}", *details])
    return TorchMismatch(message, quantity, node, name, ours, theirs, **more)
