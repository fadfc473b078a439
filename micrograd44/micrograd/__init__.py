"""micrograd's module layout on this engine: graphs shaped node for node as the lecture draws them.

Code written for micrograd runs after one change to its imports, ``micrograd.`` becoming
``micrograd44.micrograd.``::

    from micrograd44.micrograd.engine import Value
    from micrograd44.micrograd.nn import Neuron, Layer, MLP

The default engine (``micrograd44.Value``, ``micrograd44.MLP``) builds ``a - b``, ``a / b``
and a neuron's ``w . x + b`` as one node each, which is faster. Here ``a - b`` is
``a + (b * -1)``, ``a / b`` is ``a * b**-1`` and a neuron is the chain of ``*`` and ``+``
that starts from its bias, exactly micrograd's graphs. The Values are this engine's
Values (a subclass), so ``viz``, ``micrograd44.testing``, ``grad``, ``hessian`` and the
compiled engines work on them. See docs/micrograd.md.
"""

from . import engine, nn
from .engine import Value
from .nn import MLP, Layer, Module, Neuron

__all__ = ["engine", "nn", "Value", "Module", "Neuron", "Layer", "MLP"]
