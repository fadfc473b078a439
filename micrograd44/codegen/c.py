"""C on doubles: the printer, the statements' syntax, finiteness tests, and the helpers' prelude.

The op table's rules print as C with the same operations, in the same order, as the engine.

C's arithmetic on doubles is IEEE 754's, like Python's floats where Python does not raise;
where Python raises (1.0 / 0.0, math.log(0.0), an overflow in math.exp), C gives the inf or
nan that the engine's IEEE vocabulary (``slopes.IEEE_FLOATS``) gives. So one printer serves
both the forward pass and the local derivatives. The functions are libm's, the ones
Python's math module calls; the few helpers the vocabulary adds (sign, sigmoid, softplus,
a correctly rounded sum) are the C ``PRELUDE``, each written as ``ops`` computes it.

The generated code never raises: where the engine would raise (a failed check, a value that
is not finite), it computes nan or inf, the program's finiteness check fails, and Python
replays that step with the engine, which raises its own error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .expr import Printer
from .statements import Syntax


def c_literal(value: float) -> str:
    """A double as C source, exactly: "2.0", "(-0.5)" as a hexadecimal float, "INFINITY", "NAN"."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "(-INFINITY)"
    text = repr(value) if value.is_integer() and abs(value) < 2.0**53 else value.hex()
    return f"({text})" if text.startswith("-") else text


class CPrinter(Printer):
    """C on doubles: libm's functions, the prelude's helpers, ``?:`` for conditionals."""

    functions = {"abs": "fabs", "sign": "mg_sign", "sigmoid": "mg_sigmoid", "softplus": "mg_softplus"}
    operators = {"and": "&&", "or": "||"}

    def constant(self, value: float) -> str:
        return c_literal(value)

    def fsum(self, terms: list[str]) -> str:
        # + 0.0 turns a sum of -0.0 into 0.0, as math.fsum (which starts from 0.0) returns it
        if len(terms) == 1:
            return f"({terms[0]} + 0.0)"
        if len(terms) == 2:  # one addition is correctly rounded
            return f"(({terms[0]} + {terms[1]}) + 0.0)"
        return f"mg_fsum({len(terms)}, (const double[]){{{', '.join(terms)}}})"

    def where(self, condition: str, if_true: str, if_false: str) -> str:
        return f"(({condition}) ? ({if_true}) : ({if_false}))"

    def power(self, base: str, exponent: str) -> str:
        return f"pow({base}, {exponent})"

    def negate(self, condition: str) -> str:
        return f"!({condition})"

    def guarded(self, forward: str, checks: list[str]) -> str:
        """forward where every check holds; nan otherwise (the engine would raise there)."""
        if not checks:
            return forward
        return f"(({' && '.join(f'({c})' for c in checks)}) ? ({forward}) : NAN)"

    def masked(self, condition: str, contribution: str) -> str:
        """contribution where condition holds, else 0.0."""
        return f"(({condition}) ? ({contribution}) : 0.0)"


C = CPrinter()

# C's statements (every variable a double declared by the caller; a branch's condition a number)
C_SYNTAX = Syntax("{target} = {source};", "if ({condition} != 0.0) {{", "} else {", "}")


def declare(names: Sequence[str], indent: str = "    ") -> list[str]:
    """Declarations of the variables as doubles set to 0.0, a few per line."""
    names = list(dict.fromkeys(names))
    return [
        f"{indent}double {', '.join(f'{n} = 0.0' for n in names[i : i + 8])};"
        for i in range(0, len(names), 8)
    ]


def _tree_sum(terms: Sequence[str]) -> str:
    """The C sum of the terms as a balanced tree, so that its additions are independent of each other."""
    while len(terms) > 1:
        pairs = [terms[k : k + 2] for k in range(0, len(terms), 2)]
        terms = [f"({pair[0]} + {pair[1]})" if len(pair) == 2 else pair[0] for pair in pairs]
    return terms[0]


def c_all_finite(names: Sequence[str]) -> str:
    """A C condition that holds when every variable is finite, without a branch per variable.

    x - x is 0 for a finite x and nan otherwise, and any sum with a nan is nan.
    """
    return f"{_tree_sum([f'({n} - {n})' for n in names])} == 0.0" if names else "1"


# The helpers the vocabulary needs beyond libm, each as micrograd44.ops computes it on floats.
PRELUDE = r"""
#include <math.h>
#include <stdint.h>
#include <string.h>

/* sign(x) with sign(0) = 0 (and sign(nan) = 0), ops.sign */
static double mg_sign(double x) { return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : 0.0); }

/* 1 when every element of x[0..n) is finite (x - x is 0 for a finite x, nan otherwise) */
static int mg_all_finite(const double *x, long n)
{
    int bad = 0;
    long k;
    for (k = 0; k < n; k++)
        bad |= !(x[k] - x[k] == 0.0);
    return !bad;
}

/* 1 / (1 + exp(-x)) without overflow, ops.sigmoid */
static double mg_sigmoid(double x)
{
    double e;
    if (x >= 0.0)
        return 1.0 / (1.0 + exp(-x));
    e = exp(x);
    return e / (1.0 + e);
}

/* max(x, 0) + log1p(exp(-|x|)), ops.softplus (Python's max keeps x unless 0.0 > x) */
static double mg_softplus(double x) { return (0.0 > x ? 0.0 : x) + log1p(exp(-fabs(x))); }

/* x_1 + ... + x_n correctly rounded, ties to even: math.fsum's result, and ops.exact_sum's
   where a partial sum overflows (+-inf only when the exact sum rounds beyond the largest
   double). Every finite double is an integer times 2^-1074: the integers are added exactly
   in base-2^32 digits, then rounded once. */
#define MG_DIGITS 72

static uint64_t mg_window(const int64_t *digit, int shift)
{
    int w = shift >> 5, b = shift & 31;
    uint64_t low = ((uint64_t)digit[w] | ((uint64_t)digit[w + 1] << 32)) >> b;
    return b ? low | ((uint64_t)digit[w + 2] << (64 - b)) : low;
}

static double mg_fsum(int n, const double *xs)
{
    int64_t digit[MG_DIGITS];
    int i, top, length, negative = 0, saw_inf = 0, saw_minus_inf = 0;
    memset(digit, 0, sizeof digit);
    for (i = 0; i < n; i++) {
        uint64_t bits, mantissa, m0, m1;
        int exponent, k, o;
        int64_t sign;
        if (isnan(xs[i]))
            return NAN;
        if (isinf(xs[i])) {
            if (xs[i] > 0.0) saw_inf = 1; else saw_minus_inf = 1;
            continue;
        }
        memcpy(&bits, &xs[i], sizeof bits);
        exponent = (int)((bits >> 52) & 0x7ff);
        mantissa = bits & 0xfffffffffffffULL;
        if (exponent) {
            mantissa |= 1ULL << 52;
            exponent -= 1;
        }
        sign = (bits >> 63) ? -1 : 1;
        k = exponent >> 5;
        o = exponent & 31;
        m0 = (mantissa & 0xffffffffULL) << o;
        m1 = (mantissa >> 32) << o;
        digit[k] += sign * (int64_t)(m0 & 0xffffffffULL);
        digit[k + 1] += sign * (int64_t)((m0 >> 32) + (m1 & 0xffffffffULL));
        digit[k + 2] += sign * (int64_t)(m1 >> 32);
    }
    if (saw_inf || saw_minus_inf)
        return saw_inf && saw_minus_inf ? NAN : (saw_inf ? INFINITY : -INFINITY);
    for (i = 0; i < MG_DIGITS - 1; i++) {  /* carries: every digit into [0, 2^32) but the last */
        int64_t carry = digit[i] >> 32;   /* an arithmetic shift: floor(digit / 2^32) */
        digit[i] -= carry * ((int64_t)1 << 32);
        digit[i + 1] += carry;
    }
    if (digit[MG_DIGITS - 1] < 0) {  /* a negative sum: its magnitude, digit by digit */
        negative = 1;
        for (i = 0; i < MG_DIGITS; i++)
            digit[i] = -digit[i];
        for (i = 0; i < MG_DIGITS - 1; i++) {
            int64_t carry = digit[i] >> 32;
            digit[i] -= carry * ((int64_t)1 << 32);
            digit[i + 1] += carry;
        }
    }
    for (top = MG_DIGITS - 1; top >= 0 && digit[top] == 0; top--)
        ;
    if (top < 0)
        return 0.0;
    for (length = 32 * top; length < 32 * top + 32 && (digit[top] >> (length - 32 * top)) != 0; length++)
        ;
    {
        double magnitude;
        if (length <= 53) {  /* exact */
            magnitude = ldexp((double)mg_window(digit, 0), -1074);
        } else {  /* the top 53 bits, rounded to nearest, ties to even, with what lies below */
            uint64_t window, mantissa, rest;
            int sticky = 0, shift = length - 64;
            if (shift < 0) {
                window = mg_window(digit, 0) << -shift;
            } else {
                window = mg_window(digit, shift);
                for (i = 0; i < (shift >> 5); i++)
                    sticky |= digit[i] != 0;
                sticky |= ((uint64_t)digit[shift >> 5] & ((1ULL << (shift & 31)) - 1)) != 0;
            }
            mantissa = window >> 11;
            rest = window & 0x7ff;
            if (rest > 0x400 || (rest == 0x400 && (sticky || (mantissa & 1))))
                mantissa += 1;
            magnitude = ldexp((double)mantissa, length - 53 - 1074);
        }
        return negative ? -magnitude : magnitude;
    }
}
"""
