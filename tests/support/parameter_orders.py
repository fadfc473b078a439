"""Orders of a model's parameters for the compiled engines' tests: the model's own, and one shuffled."""

from __future__ import annotations

from micrograd44 import MLP


def neurons_shuffled(model: MLP) -> list:
    """The parameters neuron by neuron, every layer of three in the order 2, 0, 1: no even spacing.

    In a wide model the shuffled layer's weights and biases then lie at parameter indices past
    256, which the C loops reach through index tables.
    """
    parameters = []
    for layer in model.layers:
        order = (2, 0, 1) if len(layer.neurons) == 3 else range(len(layer.neurons))
        parameters += [p for k in order for p in layer.neurons[k].parameters()]
    return parameters
