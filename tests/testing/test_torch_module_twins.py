"""torch_module is the equivalent torch.nn model; assert_module_matches_torch names what differs."""

from __future__ import annotations

import pytest
import torch

from micrograd44 import MLP, Layer, Neuron, Value, ops
from micrograd44.data import xor
from micrograd44.nn import ACTIVATIONS
from micrograd44.testing import (
    TorchMismatch,
    assert_module_matches_torch,
    copy_weights,
    torch_module,
    torch_state_dict,
)
from micrograd44.testing.modules import TORCH_ACTIVATIONS

XOR = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


def course_model() -> MLP:
    return MLP(2, [5, 4, 1], activation="tanh", weight_init="normal", bias_init="torch", seed=2)


def test_every_activation_of_the_engine_has_its_torch_module():
    assert set(TORCH_ACTIVATIONS) | {None} == set(ACTIVATIONS)


def test_the_course_model_becomes_linear_tanh_linear_tanh_linear():
    model = course_model()
    net = torch_module(model)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert all(p.dtype == torch.float64 for p in net.parameters())
    assert net[2].weight[3, 1].item() == model.layers[1].neurons[3].w[1].data
    assert net[4].bias[0].item() == model.layers[2].neurons[0].b.data
    assert torch_state_dict(model, net) == model.state_dict()
    assert list(torch_state_dict(model, net)) == [name for name, _ in model.named_parameters()]


def test_copy_weights_updates_the_same_tensors():
    model = course_model()
    net = torch_module(model)
    weight = net[0].weight
    model.layers[0].neurons[1].w[0].data = 0.125
    copy_weights(model, net)
    assert net[0].weight is weight and weight[1, 0].item() == 0.125
    assert torch_state_dict(model, net) == model.state_dict()


def test_a_model_of_other_shapes_is_refused():
    with pytest.raises(ValueError, match=r"Linear weights have shapes \[\(5, 2\), \(4, 5\), \(1, 4\)\]"):
        copy_weights(MLP(2, [3, 1], seed=0), torch_module(course_model()))


MODELS = {
    "course": course_model,
    "relu, sigmoid output": lambda: MLP(
        2, [3, 1, 4, 2], activation="relu", final_activation="sigmoid", seed=7
    ),
    "linear hidden layers": lambda: MLP(2, [3, 3, 2], activation=None, final_activation="tanh", seed=1),
    "one layer": lambda: Layer(2, 3, activation="sigmoid", seed=3),
    "one neuron": lambda: Neuron(2, activation="tanh", weight_init="normal", seed=4),
    "a linear neuron": lambda: Neuron(2, nonlin=False, seed=5),
}


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_right_modules_pass_on_a_batch_and_on_one_sample(make):
    model = make()
    assert_module_matches_torch(model, XOR)
    assert_module_matches_torch(model, [0.3, -1.1])
    assert_module_matches_torch(model, [Value(0.3), Value(-1.1)])


def test_inputs_and_output_grads_may_be_numpy_arrays():
    inputs, targets = xor()
    assert_module_matches_torch(course_model(), inputs, output_grads=targets.reshape(-1, 1))
    assert_module_matches_torch(course_model(), inputs[1], output_grads=targets[1:2])


def test_output_grads_weigh_each_output():
    model = MLP(3, [4, 2], activation="tanh", seed=9)
    assert_module_matches_torch(model, [0.5, -0.2, 1.0], output_grads=[2.0, -0.5])
    assert_module_matches_torch(
        model, [[0.5, -0.2, 1.0], [1.0, 2.0, 3.0]], output_grads=[[1.0, 0.0], [0.0, 3.0]]
    )


@pytest.mark.parametrize(
    "output_grads",
    [[1.0], [[1.0, 2.0]], [[1.0, 2.0], [3.0]]],
    ids=["too short", "a batch for one sample", "ragged"],
)
def test_output_grads_must_be_shaped_like_the_outputs(output_grads):
    with pytest.raises(ValueError, match=r"^output_grads must be shaped like the outputs \(2 numbers\)"):
        assert_module_matches_torch(MLP(3, [4, 2], seed=9), [0.5, -0.2, 1.0], output_grads=output_grads)


def test_parameter_grads_are_put_back_as_they_were():
    model = course_model()
    for i, p in enumerate(model.parameters()):
        p.grad = float(i)
    assert_module_matches_torch(model, XOR)
    assert [p.grad for p in model.parameters()] == [float(i) for i in range(44)]


def test_a_wrong_local_derivative_names_a_parameter_it_reaches(monkeypatch):
    model = course_model()
    monkeypatch.setattr(ops.TANH, "local", lambda m, out, x: (1.0 - out,))  # should be 1 - out^2
    with pytest.raises(TorchMismatch) as caught:
        assert_module_matches_torch(model, XOR)
    error = caught.value
    # the output layer's weights see the tanh values, not their slopes: the first to differ is in layer 0
    assert error.quantity == "gradient" and error.node is model.layers[0].neurons[0].w[0]
    assert error.name == "parameter 'layers.0.neurons.0.w.0' (PyTorch 0.weight[0, 0])"
    message = str(error)
    assert message.startswith(
        "micrograd44 and PyTorch differ in the gradient of parameter 'layers.0.neurons.0.w.0' "
        "(PyTorch 0.weight[0, 0]): "
        f"micrograd44 {error.ours!r}, PyTorch {error.theirs!r}, relative difference "
    )
    assert message.endswith("; 39 of 44 parameter gradients differ")


def test_a_perturbed_neuron_is_named_by_the_output_it_changes():
    model = course_model()
    model.layers[1].neurons[2]._activate = Value.relu  # its activation says tanh, it computes relu
    with pytest.raises(TorchMismatch) as caught:
        assert_module_matches_torch(model, XOR)
    error = caught.value
    assert (error.quantity, error.name) == ("output", "output 0 of sample 0")
    assert str(error).startswith(
        f"micrograd44 and PyTorch differ in output 0 of sample 0: micrograd44 {error.ours!r}"
    )


def test_a_layer_whose_neurons_disagree_has_no_torch_twin():
    layer = Layer(2, 3, activation="tanh", seed=0)
    layer.neurons[1].activation = "relu"
    with pytest.raises(ValueError, match="has activation 'tanh' but its neuron 1 has 'relu'"):
        torch_module(layer)


def test_only_neurons_layers_and_mlps():
    with pytest.raises(TypeError, match="needs a Neuron, Layer or MLP, got Value"):
        torch_module(Value(1.0))


@pytest.mark.parametrize("inputs", ["01", [], [[0.0, 1.0], "ab"]], ids=["a string", "empty", "a bad sample"])
def test_inputs_must_be_samples(inputs):
    with pytest.raises(ValueError, match="^inputs"):
        assert_module_matches_torch(course_model(), inputs)
