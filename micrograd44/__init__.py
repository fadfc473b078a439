"""micrograd44: a small, fast, honest scalar autograd engine.

``Value`` records every operation into a computation graph and ``backward()`` runs the
chain rule over it in reverse topological order; ``Neuron``, ``Layer`` and ``MLP`` are
built on top, with optimizers in ``micrograd44.optim`` and losses in
``micrograd44.losses``. Data sets (numpy) live in ``micrograd44.data``.
"""

from . import _moved, losses, optim  # noqa: F401  (_moved installs the old module paths on import)
from .autodiff import grad, hessian, hvp, jacobian, jvp
from .core import ops
from .core.errors import DivisionByZeroError, DomainError, OpError, OverflowValueError, StateDictError
from .core.value import Value, linear, sum_values, topological_order
from .explain import explain_grad
from .gradcheck import GradcheckError, gradcheck
from .nn import MLP, Layer, Module, Neuron

__version__ = "0.1.0"


__all__ = [
    "Value",
    "linear",
    "sum_values",
    "topological_order",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "gradcheck",
    "explain_grad",
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "optim",
    "losses",
    "ops",
    "OpError",
    "DomainError",
    "DivisionByZeroError",
    "OverflowValueError",
    "StateDictError",
    "GradcheckError",
    "__version__",
]
