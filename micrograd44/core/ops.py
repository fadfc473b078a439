"""The op table: every op of the engine, defined once.

An op is one ``OpRule``: its name, how many inputs it takes, the checks its inputs must
pass, its forward computation and its local derivatives d(out)/d(input), the last two
written once over a vocabulary ``m`` of primitives: the operators ``+ - * / **`` and
``m.exp``, ``m.log``, ``m.where``, ... (``VOCABULARY`` lists them). The same rule is
evaluated with different vocabularies:

- ``FLOATS`` (the math module): the engine's forward pass and backward();
- Values (``micrograd44.autodiff``): derivatives that are graphs themselves, so that they
  can be differentiated again;
- expressions (``micrograd44.codegen``): the compiled backends print them as Python,
  numpy or C code;
- tensors (``micrograd44.testing``): the PyTorch twin of a graph.

So a derivative is written once, and adding an op is one entry here plus its tests. The
entries below read like a table of derivatives: ``tanh``'s forward is ``m.tanh(x)`` and
its local derivative ``1 - out * out``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from types import SimpleNamespace

from .errors import DivisionByZeroError, DomainError
from .ieee import ieee_divide

# The primitives a rule may call on its vocabulary, besides the operators + - * / ** and
# unary minus. Every vocabulary (floats, Values, expressions, tensors) provides each one.
VOCABULARY = (
    "exp",
    "log",
    "log1p",
    "sqrt",
    "tanh",
    "sin",
    "cos",
    "tan",
    "atan",
    "erf",
    "sigmoid",
    "softplus",
    "abs",
    "sign",
    "floor",
    "fsum",
    "reciprocal",
    "where",
    "gt",
    "ge",
    "eq",
    "ne",
    "and_",
    "or_",
)

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)  # d/dx erf(x) = 2/sqrt(pi) * exp(-x^2)


class _Masked:
    """The type of MASKED: a local derivative that passes nothing back along its edge.

    ``MASKED * upstream`` is MASKED and adding MASKED changes nothing, so the chain rule's
    ``grad[child] += local * upstream`` leaves the child's gradient exactly as it was,
    even where upstream is infinite (where 0 * inf would be nan).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "MASKED"

    def __float__(self) -> float:
        return 0.0

    def __mul__(self, upstream):
        return self

    def __add__(self, other):
        return other

    __radd__ = __add__


# A local derivative of 0 that passes nothing back, not even the nan of 0 * inf from an
# infinite upstream gradient. PyTorch's backward masks this way in relu (and in pow where
# the exponent is 0); every other zero slope multiplies as IEEE 754 says (0 * inf = nan).
# It is also where every gradient starts: nothing has reached a node yet.
MASKED = _Masked()


class Reciprocal:
    """The local derivative 1 / d, applied as ``upstream / d`` (a vocabulary's ``reciprocal(d)``).

    PyTorch divides the upstream gradient (log: grad / x), so a tiny d with a small
    upstream gives a finite gradient where the slope 1 / d alone would overflow.
    """

    __slots__ = ("denominator",)

    def __init__(self, denominator: float):
        self.denominator = denominator

    def __repr__(self) -> str:
        return f"Reciprocal({self.denominator!r})"

    def __float__(self) -> float:
        return ieee_divide(1.0, self.denominator)

    def __mul__(self, upstream):
        """upstream * (1 / d), computed as upstream / d (inf or nan for d = 0, on floats)."""
        if isinstance(upstream, float):
            return ieee_divide(upstream, self.denominator)
        return upstream / self.denominator


@dataclass(frozen=True)
class Check:
    """A condition on an op's inputs: ``ok(m, *xs)`` is true where the op is defined.

    Attributes:
        ok: the condition, over the vocabulary (so a compiled program tests it too).
        error: the exception raised where it fails (DomainError or DivisionByZeroError).
        says: what the op needs, for the message ("needs an input > 0").
    """

    ok: Callable
    error: type
    says: str


@dataclass(eq=False)
class OpRule:
    """One op: its name, its forward computation and its local derivatives.

    Attributes:
        name: the op's name, as ``Value.op`` and pictures show it ("+", "tanh", "**2").
        arity: how many inputs it takes; None for any number (``linear``, ``sum``).
        forward: ``forward(m, *xs)``, the result from the inputs.
        local: ``local(m, out, *xs)``, the tuple of d(out)/d(x_i), one per input, from the
            inputs and the result.
        checks: conditions on the inputs, tested before the forward computation.
        doc: one line of math, the docstring of the Value method.
        method: the name of the Value method that applies a unary op ("tanh"), or None
            for ops reached through operators or functions.
        micrograd: the op's name in micrograd's ``_op`` where it differs ("ReLU").
        exponent: the fixed exponent n of a ``**n`` op; None for every other op.
    """

    name: str
    arity: int | None
    forward: Callable
    local: Callable
    checks: tuple[Check, ...] = ()
    doc: str = ""
    method: str | None = None
    micrograd: str | None = None
    exponent: float | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        return f"OpRule({self.name!r})"


def _unary(name: str, forward, local, doc: str, checks=(), micrograd=None) -> OpRule:
    """A unary op reached as the Value method of the same name."""
    return OpRule(name, 1, forward, local, tuple(checks), doc, method=name, micrograd=micrograd)


# ---- arithmetic: the operators of Value ----

ADD = OpRule("+", 2, lambda m, x, y: x + y, lambda m, out, x, y: (1.0, 1.0), doc="x + y; d/dx = 1, d/dy = 1")

SUB = OpRule(
    "-", 2, lambda m, x, y: x - y, lambda m, out, x, y: (1.0, -1.0), doc="x - y; d/dx = 1, d/dy = -1"
)

MUL = OpRule("*", 2, lambda m, x, y: x * y, lambda m, out, x, y: (y, x), doc="x * y; d/dx = y, d/dy = x")

DIV = OpRule(
    "/",
    2,
    lambda m, x, y: x / y,
    # -(out / y) is -x/y^2 without squaring y, which would overflow or vanish first
    lambda m, out, x, y: (m.reciprocal(y), -(out / y)),
    checks=(Check(lambda m, x, y: m.ne(y, 0.0), DivisionByZeroError, "division by zero"),),
    doc="x / y; d/dx = 1/y, d/dy = -x/y^2 (as -(x/y)/y)",
)

POW = OpRule(
    "**",
    2,
    lambda m, x, y: x**y,
    lambda m, out, x, y: (
        m.where(m.eq(y, 0.0), MASKED, y * x ** (y - 1.0)),
        # PyTorch zeroes this slope (grad * 0), where it masks the other edge (0 whatever grad is)
        m.where(m.eq(x, 0.0), 0.0, out * m.log(x)),
    ),
    checks=(
        Check(
            lambda m, x, y: m.or_(m.ne(x, 0.0), m.ge(y, 0.0)),
            DivisionByZeroError,
            "0 to a negative power divides by zero",
        ),
        Check(
            lambda m, x, y: m.or_(m.ge(x, 0.0), m.eq(m.floor(y), y)),
            DomainError,
            "a negative base needs an integer exponent",
        ),
    ),
    doc="x ** y; d/dx = y x^(y-1) (0 where y = 0), d/dy = x^y ln x (0 where x = 0)",
)


@lru_cache(maxsize=1024)
def power(n: float) -> OpRule:
    """The op x ** n for a fixed number n, named like ``**2`` or ``**0.5``."""
    shown = int(n) if n.is_integer() and abs(n) < 1e15 else n  # **2, **0.5, **1e+308: never 300 digits
    checks = []
    if n < 0.0:
        checks.append(
            Check(lambda m, x: m.ne(x, 0.0), DivisionByZeroError, "0 to a negative power divides by zero")
        )
    if not n.is_integer():
        checks.append(
            Check(lambda m, x: m.ge(x, 0.0), DomainError, "a negative base needs an integer exponent")
        )
    if n == 0.0:
        local = lambda m, out, x: (MASKED,)  # noqa: E731  (PyTorch: exactly 0, whatever x is)
    else:
        local = lambda m, out, x: (n * x ** (n - 1.0),)  # noqa: E731
    return OpRule(
        f"**{shown}",
        1,
        lambda m, x: x**n,
        local,
        tuple(checks),
        doc=f"x ** {shown}; d/dx = {shown} x^{n - 1.0:g}",
        exponent=n,
    )


# ---- unary ops: each a Value method of the same name ----

EXP = _unary("exp", lambda m, x: m.exp(x), lambda m, out, x: (out,), "exp(x); d/dx = exp(x)")

LOG = _unary(
    "log",
    lambda m, x: m.log(x),
    lambda m, out, x: (m.reciprocal(x),),
    "natural log, for x > 0; d/dx = 1/x",
    checks=[Check(lambda m, x: m.gt(x, 0.0), DomainError, "needs an input > 0")],
)

LOG1P = _unary(
    "log1p",
    lambda m, x: m.log1p(x),
    lambda m, out, x: (m.reciprocal(x + 1.0),),
    "log(1 + x), exact for small x, for x > -1; d/dx = 1/(1 + x)",
    checks=[Check(lambda m, x: m.gt(x, -1.0), DomainError, "needs an input > -1")],
)

SQRT = _unary(
    "sqrt",
    lambda m, x: m.sqrt(x),
    lambda m, out, x: (m.reciprocal(2.0 * out),),
    "square root, for x >= 0; d/dx = 1 / (2 sqrt(x)), +inf at 0 as in PyTorch",
    checks=[Check(lambda m, x: m.ge(x, 0.0), DomainError, "needs an input >= 0")],
)

TANH = _unary(
    "tanh", lambda m, x: m.tanh(x), lambda m, out, x: (1.0 - out * out,), "tanh(x); d/dx = 1 - tanh(x)^2"
)

SIGMOID = _unary(
    "sigmoid",
    lambda m, x: m.sigmoid(x),
    lambda m, out, x: (out * (1.0 - out),),
    "1 / (1 + exp(-x)), without overflow; d/dx = s (1 - s)",
)

SOFTPLUS = _unary(
    "softplus",
    lambda m, x: m.softplus(x),
    lambda m, out, x: (m.sigmoid(x),),
    "log(1 + exp(x)), without overflow; d/dx = sigmoid(x)",
)

RELU = _unary(
    "relu",
    lambda m, x: m.where(m.gt(x, 0.0), x, 0.0),
    lambda m, out, x: (m.where(m.gt(x, 0.0), 1.0, MASKED),),
    "max(0, x); d/dx = 1 for x > 0, else 0 (0 at the kink, as in PyTorch)",
    micrograd="ReLU",
)

ABS = _unary(
    "abs", lambda m, x: m.abs(x), lambda m, out, x: (m.sign(x),), "|x|; d/dx = sign(x), 0 at the kink"
)

SIN = _unary("sin", lambda m, x: m.sin(x), lambda m, out, x: (m.cos(x),), "sin(x); d/dx = cos(x)")

COS = _unary("cos", lambda m, x: m.cos(x), lambda m, out, x: (-m.sin(x),), "cos(x); d/dx = -sin(x)")

TAN = _unary(
    "tan", lambda m, x: m.tan(x), lambda m, out, x: (1.0 + out * out,), "tan(x); d/dx = 1 + tan(x)^2"
)

ATAN = _unary(
    "atan",
    lambda m, x: m.atan(x),
    lambda m, out, x: (m.reciprocal(x * x + 1.0),),
    "atan(x); d/dx = 1/(1 + x^2)",
)

ERF = _unary(
    "erf",
    lambda m, x: m.erf(x),
    lambda m, out, x: (TWO_OVER_SQRT_PI * m.exp(-(x * x)),),
    "the error function; d/dx = 2/sqrt(pi) exp(-x^2)",
)


# ---- n-ary ops: a neuron's weighted sum and the sum of many terms, each one node ----


def weighted_sum(weights, inputs, bias):
    """w . x + b, summed left to right from 0: linear's forward, on numbers of any vocabulary."""
    total = 0.0
    for w, x in zip(weights, inputs):
        total = total + w * x
    return total + bias


def _dot_plus_bias(m, *args):
    """w . x + b for inputs (*weights, *inputs, bias)."""
    n = len(args) // 2
    return weighted_sum(args[:n], args[n:-1], args[-1])


def _linear_local(m, out, *args):
    """d/dw_i = x_i, d/dx_i = w_i, d/db = 1, for inputs (*weights, *inputs, bias)."""
    n = len(args) // 2
    return (*args[n:-1], *args[:n], 1.0)


LINEAR = OpRule(
    "linear",
    None,
    _dot_plus_bias,
    _linear_local,
    doc="w . x + b as one node; d/dw_i = x_i, d/dx_i = w_i, d/db = 1",
)

SUM = OpRule(
    "sum",
    None,
    lambda m, *xs: m.fsum(xs),
    lambda m, out, *xs: (1.0,) * len(xs),
    doc="x_1 + ... + x_n as one node, correctly rounded; d/dx_i = 1",
)


# Every op with a fixed name; the ops x ** n come from power(n).
OPS: dict[str, OpRule] = {
    rule.name: rule
    for rule in (ADD, SUB, MUL, DIV, POW, EXP, LOG, LOG1P, SQRT, TANH, SIGMOID, SOFTPLUS, RELU, ABS, SIN, COS)
    + (TAN, ATAN, ERF, LINEAR, SUM)
}

# The unary ops by method name: the formula tool's functions, the Value methods.
UNARY: dict[str, OpRule] = {rule.method: rule for rule in OPS.values() if rule.method}


def rule_for(name: str) -> OpRule:
    """The rule of the op named ``name`` (a name of OPS, or "**n" for a number n); KeyError otherwise."""
    if name in OPS:
        return OPS[name]
    if name.startswith("**"):
        try:
            return power(float(name[2:]))
        except ValueError:
            pass
    raise KeyError(f"no op named {name!r}")


# ---- the vocabulary on floats: the engine's own arithmetic ----


def sign(x: float) -> float:
    """sign(x) with sign(0) = 0, PyTorch's derivative of |x|."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def sigmoid(x: float) -> float:
    """The logistic function 1 / (1 + exp(-x)), without overflow for any finite x."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus(x: float) -> float:
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def exact_sum(xs) -> float:
    """x_1 + ... + x_n correctly rounded, even where a partial sum overflows (math.fsum would raise)."""
    try:
        return math.fsum(xs)
    except OverflowError:
        try:
            return float(sum(map(Fraction, xs)))
        except OverflowError:  # the exact sum itself is beyond the largest float
            return math.inf if sum(map(Fraction, xs)) > 0 else -math.inf


def _where(condition, if_true, if_false):
    """if_true where condition holds, else if_false."""
    return if_true if condition else if_false


FLOATS = SimpleNamespace(
    exp=math.exp,
    log=math.log,
    log1p=math.log1p,
    sqrt=math.sqrt,
    tanh=math.tanh,
    sin=math.sin,
    cos=math.cos,
    tan=math.tan,
    atan=math.atan,
    erf=math.erf,
    sigmoid=sigmoid,
    softplus=softplus,
    abs=abs,
    sign=sign,
    floor=math.floor,
    fsum=exact_sum,
    reciprocal=Reciprocal,
    where=_where,
    gt=operator.gt,
    ge=operator.ge,
    eq=operator.eq,
    ne=operator.ne,
    and_=lambda a, b: a and b,
    or_=lambda a, b: a or b,
)
