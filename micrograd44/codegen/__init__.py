"""Code generation: the op table's rules and the optimizers' updates written as Python, numpy or C.

Nothing here knows an op's math or an optimizer's formula: a rule of the op table
(``micrograd44.core.ops``) or an update of ``micrograd44.optim`` is evaluated on
expressions, and a printer writes the expressions in one language. Nothing here imports
``micrograd44.optim``: the optimizers print their own step with it, and
``micrograd44.compiled.updates`` prints their updates for the compiled loops.

- ``expr``: expressions (``Expr``), the vocabulary that builds them (``EXPRESSIONS``), and
  the printer every language shares.
- ``statements``: expressions assigned to variables, each shared value computed once, and
  written as lines of a language.
- ``python``, ``arrays``, ``c``: one module per language (Python on floats, Python on numpy
  arrays, C on doubles): its printer, its statements' syntax and what its code calls.
- ``tape``: a graph as numbered slots, the input of the lowering.
- ``lowering``: a tape written out as assignments, forward and backward (the chain rule).

``micrograd44.compiled`` runs the generated code; nothing here imports it.
"""

from .expr import EXPRESSIONS, Expr, Printer, expr, name
from .python import PYTHON, define, python_lines
from .statements import Assign, Branch, assignments, variables

__all__ = [
    "EXPRESSIONS",
    "PYTHON",
    "Assign",
    "Branch",
    "Expr",
    "Printer",
    "assignments",
    "define",
    "expr",
    "name",
    "python_lines",
    "variables",
]
