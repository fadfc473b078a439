"""nn.architecture: equal for models that build graphs of one structure, different or None otherwise."""

from __future__ import annotations

from micrograd44 import MLP, Value
from micrograd44.compiled import trace
from micrograd44.nn import Layer, Module, Neuron, architecture


def tape_of(model: MLP):
    """The tape of the model's graph on two inputs."""
    return trace(lambda x, y: model([x, y]), (0.25, -0.5), parameters=model)._tape


def test_models_of_one_architecture_build_equal_tapes_whatever_their_weights():
    models = [MLP(2, [3, 2, 1], activation="tanh", seed=seed, weight_init="normal") for seed in range(4)]
    assert len({architecture(m) for m in models}) == 1
    assert len({tape_of(m).digest for m in models}) == 1


def test_every_difference_in_what_forward_reads_changes_the_architecture():
    base = MLP(2, [3, 1], activation="tanh", seed=0)
    changed = {
        "sizes": MLP(2, [4, 1], activation="tanh", seed=0),
        "activation": MLP(2, [3, 1], activation="relu", seed=0),
        "final activation": MLP(2, [3, 1], activation="tanh", final_activation="sigmoid", seed=0),
        "inputs": MLP(3, [3, 1], activation="tanh", seed=0),
        "depth": MLP(2, [3, 3, 1], activation="tanh", seed=0),
    }
    swapped = MLP(2, [3, 1], activation="tanh", seed=0)
    swapped.layers[0].neurons[1] = Neuron(2, "relu", seed=0)  # one neuron replaced after building
    swapped._assign_names()
    changed["a replaced neuron"] = swapped
    for name, model in changed.items():
        assert architecture(model) != architecture(base), name


def test_a_layer_and_a_neuron_have_architectures_too():
    assert architecture(Layer(2, 3, seed=0)) == architecture(Layer(2, 3, seed=1))
    assert architecture(Neuron(2, seed=0)) == architecture(Neuron(2, seed=1))
    assert architecture(Neuron(2, "tanh")) != architecture(Neuron(2, "relu"))


class Scaled(Module):
    """A user's module: its forward may read anything."""

    def __init__(self):
        self.w = Value(1.0)
        self.scale = 2.0
        self._assign_names()

    def _named_members(self):
        return [("w", self.w)]

    def forward(self, x):
        return self.w * x[0] * self.scale


class WiderMLP(MLP):
    """A subclass of MLP, which may override forward."""


def test_other_module_classes_have_no_architecture():
    assert architecture(Scaled()) is None
    assert architecture(WiderMLP(2, [3, 1])) is None
    inner = MLP(2, [3, 1], seed=0)
    inner.layers.append(Scaled())  # one foreign module anywhere in the tree
    assert architecture(inner) is None
