"""Loss functions: one Value that says how wrong the predictions are (mean over samples).

Predictions are a Value or a list of Values; targets are numbers, or Values (a traced
program feeds them as inputs, see micrograd44.compiled).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

from .core.value import Value, sum_values


def _is_target(t) -> bool:
    """t is a number or a Value (float and Value first: the slower numbers.Real test is rarely needed)."""
    return type(t) is float or isinstance(t, (Value, numbers.Real))


def _pairs(name: str, predictions, targets) -> list[tuple[Value, float | Value]]:
    """Predictions paired with targets (numbers as floats, or Values), with clear errors."""
    if isinstance(predictions, Value):
        predictions = [predictions]
    if _is_target(targets):
        targets = [targets]
    predictions, targets = list(predictions), list(targets)
    if len(predictions) != len(targets):
        raise ValueError(f"{name}: {len(predictions)} predictions but {len(targets)} targets")
    if not predictions:
        raise ValueError(f"{name}: needs at least one prediction")
    for i, p in enumerate(predictions):
        if not isinstance(p, Value):
            raise TypeError(f"{name}: prediction {i} is a {type(p).__name__}, not a Value")
    for i, t in enumerate(targets):
        if not _is_target(t):
            raise TypeError(f"{name}: target {i} is a {type(t).__name__}, not a number")
    return list(zip(predictions, (t if isinstance(t, Value) else float(t) for t in targets)))


def _mean(terms: list[Value]) -> Value:
    """The mean of the terms: one sum node times 1/n."""
    return sum_values(terms) * (1.0 / len(terms))


def l1_loss(predictions: Value | Sequence[Value], targets: float | Value | Sequence) -> Value:
    """Mean absolute error, as ``torch.nn.L1Loss()``: mean |p - t|.

    Its gradient has the same size, 1/n, for every wrong prediction: only the sign of
    the error matters.
    """
    return _mean([(p - t).abs() for p, t in _pairs("l1_loss", predictions, targets)])


def mse_loss(predictions: Value | Sequence[Value], targets: float | Value | Sequence) -> Value:
    """Mean squared error, as ``torch.nn.MSELoss()``: mean (p - t)^2.

    Its gradient, 2 (p - t) / n, shrinks with the error.
    """
    return _mean([(p - t) ** 2 for p, t in _pairs("mse_loss", predictions, targets)])


def bce_with_logits(logits: Value | Sequence[Value], targets: float | Value | Sequence) -> Value:
    """Binary cross-entropy on raw scores, as ``torch.nn.BCEWithLogitsLoss()``.

    mean softplus(x) - x t for targets t in [0, 1]; no overflow for any finite score.
    """
    return _mean([x.softplus() - x * t for x, t in _pairs("bce_with_logits", logits, targets)])


def hinge(scores: Value | Sequence[Value], labels: float | Value | Sequence) -> Value:
    """Mean hinge loss for labels -1 or +1, micrograd's demo loss: mean relu(1 - y s)."""
    return _mean([(1 - y * s).relu() for s, y in _pairs("hinge", scores, labels)])
