"""Eager training steps of a loss function, the reference the compiled loops are compared with."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from micrograd44 import Value, sum_values
from micrograd44.optim import Optimizer


def eager_losses(
    loss: Callable,
    optimizer: Optimizer,
    samples: Sequence[Sequence[float]],
    schedule: Iterable[int],
    full_batch: bool,
) -> list[float]:
    """The loss of every eager step: zero grads, forward, backward, update.

    ``loss(*sample)`` builds a sample's loss from Values. A single-sample step takes the sample
    at each index of ``schedule``; a full-batch step (one per entry of ``schedule``) takes the
    mean over all samples, as the compiled loops take it: a correctly rounded sum times 1/n.
    """
    losses = []
    for i in schedule:
        optimizer.zero_grad()
        if full_batch:
            values = [loss(*(Value(v) for v in sample)) for sample in samples]
            root = sum_values(values) * (1.0 / len(values))
        else:
            root = loss(*(Value(v) for v in samples[i]))
        root.backward()
        optimizer.step()
        losses.append(root.data)
    return losses
