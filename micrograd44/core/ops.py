"""The op table: every op of the engine, defined once.

An op is one ``OpRule``: its name, how many inputs it takes, the checks its inputs must
pass, its forward computation and its local derivatives d(out)/d(input), the last two
written once over a vocabulary ``m`` of primitives: the operators ``+ - * / **`` and
``m.exp``, ``m.log``, ``m.where``, ... (``VOCABULARY`` lists them). The same rule is
evaluated with different vocabularies:

- ``FLOATS`` (the math module): the engine's forward pass and backward();
- Values (``micrograd44.autodiff``): derivatives that are graphs themselves, so that they
  can be differentiated again;
- expressions (``micrograd44.expr``): the compiled backends print them as Python,
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
    """The type of MASKED: no number, so that ``MASKED * upstream`` fails fast and the edge is skipped."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MASKED"

    def __float__(self) -> float:
        return 0.0


# A local derivative of 0 that passes nothing back, not even the nan of 0 * inf from an
# infinite upstream gradient. PyTorch's backward masks this way in relu (and in pow where
# the exponent is 0); every other zero slope multiplies as IEEE 754 says (0 * inf = nan).
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

    def times(self, upstream: float) -> float:
        """upstream * (1 / d), computed as upstream / d."""
        return ieee_divide(upstream, self.denominator)


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
    shown = int(n) if n.is_integer() else n
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


def _dot_plus_bias(m, *args):
    """w . x + b for inputs (*weights, *inputs, bias), summed left to right."""
    n = len(args) // 2
    total = 0.0
    for k in range(n):
        total = total + args[k] * args[n + k]
    return total + args[-1]


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


# ---- the same vocabulary with IEEE 754 results where Python raises ----
# Python raises on 1.0 / 0.0, 0.0 ** -1.0, math.log(0.0), math.exp(1000.0); IEEE 754 (and
# PyTorch, numpy, C) gives inf or nan. Local derivatives are evaluated on IEEE floats where
# the plain ones raised, so that backward() can pass on an infinite or undefined slope.


class IEEEFloat(float):
    """A float whose arithmetic gives IEEE 754's inf and nan where Python's raises."""

    __slots__ = ()

    def __add__(self, other):
        return IEEEFloat(float(self) + float(other))

    __radd__ = __add__

    def __sub__(self, other):
        return IEEEFloat(float(self) - float(other))

    def __rsub__(self, other):
        return IEEEFloat(float(other) - float(self))

    def __mul__(self, other):
        return IEEEFloat(float(self) * float(other))

    __rmul__ = __mul__

    def __truediv__(self, other):
        return IEEEFloat(ieee_divide(self, other))

    def __rtruediv__(self, other):
        return IEEEFloat(ieee_divide(other, self))

    def __pow__(self, other):
        return IEEEFloat(ieee_power(self, other))

    def __rpow__(self, other):
        return IEEEFloat(ieee_power(other, self))

    def __neg__(self):
        return IEEEFloat(-float(self))


def ieee_divide(a: float, b: float) -> float:
    """a / b, with +-inf for a non-zero a over zero and nan for 0 / 0."""
    try:
        return float(a) / float(b)
    except ZeroDivisionError:
        a, b = float(a), float(b)
        if a == 0.0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def ieee_power(a: float, b: float) -> float:
    """a ** b, with C's pow results where Python raises: inf for 0 ** negative and on overflow."""
    a, b = float(a), float(b)
    odd = b.is_integer() and b % 2.0 == 1.0
    try:
        result = a**b
    except ZeroDivisionError:  # 0 ** negative: +inf, or -inf for -0.0 to an odd negative integer
        return math.copysign(math.inf, a) if odd else math.inf
    except OverflowError:
        return -math.inf if a < 0.0 and odd else math.inf
    return math.nan if isinstance(result, complex) else result


# Where each function of the vocabulary that can raise has a pole (the log of 0 is -inf).
_POLES = {"log": 0.0, "log1p": -1.0}


def _ieee(name: str) -> Callable:
    """The float vocabulary's function ``name``, on floats: inf where it overflows, nan outside its domain."""
    function = getattr(FLOATS, name)
    pole = _POLES.get(name)

    def total(x):
        try:
            return function(x)
        except OverflowError:
            return math.inf
        except ValueError:
            return -math.inf if float(x) == pole else math.nan

    total.__name__ = f"ieee_{name}"
    return total


# The functions of the vocabulary that raise for some float, as total functions on floats.
IEEE_FUNCTIONS = {name: _ieee(name) for name in ("exp", "log", "log1p", "sqrt", "tan")}


def _on_ieee_floats(function: Callable) -> Callable:
    """function with its result as an IEEEFloat, so that arithmetic on it stays IEEE."""
    return lambda *args: IEEEFloat(function(*args))


IEEE_FLOATS = SimpleNamespace(
    # the functions of one number (exp, log, ..., abs): total, and returning IEEE floats
    **{
        name: _on_ieee_floats(IEEE_FUNCTIONS.get(name, getattr(FLOATS, name)))
        for name in VOCABULARY
        if name in UNARY
    },
    sign=_on_ieee_floats(sign),
    floor=math.floor,
    fsum=_on_ieee_floats(exact_sum),
    reciprocal=lambda d: Reciprocal(float(d)),
    where=_where,
    gt=operator.gt,
    ge=operator.ge,
    eq=operator.eq,
    ne=operator.ne,
    and_=FLOATS.and_,
    or_=FLOATS.or_,
)


def local_floats(rule: OpRule, out: float, xs) -> tuple:
    """rule's local derivatives on floats; inf or nan where one is infinite or undefined."""
    try:
        return rule.local(FLOATS, out, *xs)
    except (ArithmeticError, ValueError):
        slopes = rule.local(IEEE_FLOATS, IEEEFloat(out), *map(IEEEFloat, xs))
        return tuple(
            slope if slope is MASKED or type(slope) is Reciprocal else float(slope) for slope in slopes
        )


def chain(local, upstream: float) -> float | None:
    """local * upstream, the contribution of one edge to its child's gradient; None for a masked edge."""
    if local is MASKED:
        return None
    if type(local) is Reciprocal:
        return local.times(upstream)
    return local * upstream
