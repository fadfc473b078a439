"""Neural-network modules on top of Value: Module, Neuron, Layer and MLP."""

from __future__ import annotations

import numbers
import os
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence

from . import model_files
from .core import Value, enter_scope, leave_scope, linear
from .weight_init import make_rng, scheme

# activation name -> the Value method that applies it (None: no activation)
ACTIVATIONS = {"tanh": Value.tanh, "relu": Value.relu, "sigmoid": Value.sigmoid, None: None}


def activation_function(name: str | None):
    """The Value method for an activation name; ValueError listing the accepted names."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        names = ", ".join(repr(n) for n in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; choose one of {names}") from None


def _activation_name(activation: str | bool | None, nonlin: bool | None, where: str) -> str | None:
    """The activation name from ``activation`` or micrograd's ``nonlin`` (True: "relu", False: None).

    ``where`` names the module in errors; ``activation`` at its default "relu" gives way
    to ``nonlin``, any other activation given with ``nonlin`` is a TypeError.
    """
    if nonlin is not None:
        if not isinstance(nonlin, bool):
            raise TypeError(f"{where} nonlin must be True or False, got {nonlin!r:.40}")
        if activation != "relu":
            raise TypeError(f"{where}: give activation={activation!r:.40} or nonlin={nonlin}, not both")
        activation = nonlin
    if isinstance(activation, bool):
        return "relu" if activation else None
    activation_function(activation)
    return activation


def _positive_int(value, what: str) -> int:
    """value if it is a positive int; ValueError naming ``what`` otherwise."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0:
        return int(value)
    raise ValueError(f"{what} must be a positive integer, got {value!r}")


def _layer_sizes(nouts) -> list[int]:
    """nouts as a list of positive layer sizes; ValueError naming what is wrong."""
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
        raise ValueError(f"MLP nouts must be a non-empty list of layer sizes, got {nouts!r:.60}")
    return [_positive_int(n, "MLP layer size") for n in nouts]


class Module:
    """The base of every model: a tree of named parameters and sub-modules.

    Subclasses list their direct members in ``_named_members()`` and compute in
    ``forward()``; calling the module runs ``forward`` with the module's name scope active,
    so every Value it makes records which module made it (pictures group by it).
    """

    _scope: tuple | None = None

    def _named_members(self) -> Iterable[tuple[str, Value | Module]]:
        """The module's own parameters and sub-modules, with their names."""
        return ()

    def forward(self, x):
        """The module's computation; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, x):
        token = enter_scope(self._scope)
        try:
            return self.forward(x)
        finally:
            leave_scope(token)

    def config(self) -> dict:
        """The constructor arguments that rebuild this module's architecture (for files)."""
        raise NotImplementedError(f"{type(self).__name__} does not define config()")

    def _assign_names(self, path: str = "", outer: tuple = ()) -> None:
        """Label every parameter with its dotted path and give every module its scope."""
        self._scope = (*outer, (type(self).__name__.lower(), path))
        prefix = f"{path}." if path else ""
        for name, member in self._named_members():
            if isinstance(member, Module):
                member._assign_names(prefix + name, self._scope)
            else:
                member.label = prefix + name

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted path, module) for this module ("" when no prefix) and every module below it."""
        yield prefix, self
        for name, member in self._named_members():
            if isinstance(member, Module):
                yield from member.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """(dotted name, Value) for every parameter, in a stable order.

        Names follow the attributes: ``layers.0.neurons.3.w.1`` is weight 1 of neuron 3
        of layer 0; ``...b`` is a bias. Each parameter's ``label`` is its name.
        """
        found: list[tuple[str, Value]] = []
        self._find_parameters(f"{prefix}." if prefix else "", found)
        return iter(found)

    def _find_parameters(self, prefix: str, found: list[tuple[str, Value]]) -> None:
        """Append (prefix + dotted name, Value) of every parameter to found, in named_parameters' order."""
        for name, member in self._named_members():
            if isinstance(member, Module):
                member._find_parameters(f"{prefix}{name}.", found)
            else:
                found.append((prefix + name, member))

    def parameters(self) -> list[Value]:
        """Every parameter Value, in the order of ``named_parameters()``."""
        found: list[tuple[str, Value]] = []
        self._find_parameters("", found)
        return [p for _, p in found]

    def num_parameters(self) -> int:
        """How many scalar parameters the module has."""
        return sum(1 for _ in self.named_parameters())

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0 (backward() adds to it)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """{parameter name: value}, in the order of ``named_parameters()``."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Set every parameter from ``state``, all or nothing.

        Raises:
            StateDictError: listing every missing, unexpected, non-numeric or non-finite
                entry; the parameters are then left exactly as they were.
        """
        params = dict(self.named_parameters())
        model_files.check_state(params, state)
        for name, p in params.items():
            p.data = float(state[name])

    def save(self, path: str | os.PathLike) -> None:
        """Write the architecture and every parameter to a JSON file, atomically.

        The file is replaced in one rename, so a failure leaves any previous file intact.

        Only a regular file is written: a symlink is followed and its target replaced (the
        link stays); a device, a FIFO, a socket or a folder is refused, never replaced.

        Raises:
            ValueError: if a parameter is nan or infinite (JSON cannot hold it).
            OSError: the path cannot be written, with a message saying what is wrong with it:
                FileNotFoundError (an empty path, a missing folder), IsADirectoryError
                (a folder, '.', 'out/'), ``files.NotARegularFileError`` (a device, a FIFO).
        """
        model_files.write(path, type(self).__name__, self.config(), self.state_dict())

    @classmethod
    def load(cls, path: str | os.PathLike) -> Module:
        """Build the module saved in a JSON file by ``save()``.

        ``MLP.load(path)`` checks that the file holds an MLP; ``Module.load(path)`` builds
        whichever module the file names. Nothing is unpickled or evaluated.

        Raises:
            StateDictError: the file is not JSON, not a model file of this kind, larger than
                ``model_files.MAX_FILE_BYTES`` (16 MiB, checked before reading), its config asks
                for more than ``model_files.MAX_PARAMETERS`` (100,000, checked before building),
                or its parameters do not fit (the first 10 problems listed in the message, all
                in ``problems``).
            OSError: the file cannot be read; ``files.NotARegularFileError`` for a device,
                a FIFO or a socket (never read: it could block or never end).
        """
        kinds = {k.__name__: k for k in (Neuron, Layer, MLP)}
        return model_files.read(path, kinds, None if cls is Module else cls)

    def summary(self) -> str:
        """A table of the direct sub-modules: name, type, output size and parameters, with the total."""
        rows = [
            (name, repr(member), str(member.nout), str(member.num_parameters()))
            for name, member in self._named_members()
            if isinstance(member, Module)
        ] or [("", repr(self), str(getattr(self, "nout", "")), str(self.num_parameters()))]
        header = ("Module", "Type", "Output size", "Parameters")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
        rule = "-" * len(max(lines, key=len))
        return "\n".join([lines[0], rule, *lines[1:], rule, f"Total parameters: {self.num_parameters()}"])


class Neuron(Module):
    """One neuron: activation(w . x + b).

    ``Neuron(nin)`` is micrograd's neuron: ReLU, U(-1, 1) weights, a zero bias; micrograd's
    ``Neuron(nin, nonlin=False)`` (or ``Neuron(nin, False)``) is a linear one.

    Args:
        nin: number of inputs.
        activation: "tanh", "relu", "sigmoid" or None (no activation); True and False
            mean "relu" and None, as micrograd's positional ``nonlin``.
        nonlin: micrograd's keyword, instead of ``activation``: True for ReLU, False for
            a linear neuron.
        weight_init: scheme for the weights (see ``micrograd44.weight_init.SCHEMES``).
        bias_init: scheme for the bias.
        seed: an int or a random.Random for a private stream; None (the default) draws
            from Python's global ``random``, so ``random.seed(n)`` reproduces the neuron.

    Example:
        >>> n = Neuron(2, activation="tanh", seed=0)
        >>> out = n([1.0, -2.0])
        >>> [name for name, _ in n.named_parameters()]
        ['w.0', 'w.1', 'b']
    """

    nout = 1

    def __init__(
        self,
        nin: int,
        activation: str | bool | None = "relu",
        *,
        nonlin: bool | None = None,
        weight_init: str = "uniform",
        bias_init: str = "zeros",
        seed: int | random.Random | None = None,
    ):
        self.nin = _positive_int(nin, "Neuron nin")
        self.activation = _activation_name(activation, nonlin, "Neuron")
        self._activate = activation_function(self.activation)
        draw_weight, draw_bias = scheme(weight_init), scheme(bias_init)
        rng = make_rng(seed)
        self.w = [Value(draw_weight(rng, nin)) for _ in range(nin)]
        self.b = Value(draw_bias(rng, nin))
        self._assign_names()

    @staticmethod
    def parameter_count(nin: int, activation: str | None = "relu") -> int:
        """How many parameters ``Neuron(nin, activation)`` has, without building it."""
        activation_function(activation)
        return _positive_int(nin, "Neuron nin") + 1

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True when the neuron has an activation, False when it is linear."""
        return self.activation is not None

    def _named_members(self):
        return [*((f"w.{i}", w) for i, w in enumerate(self.w)), ("b", self.b)]

    def forward(self, x: Sequence) -> Value:
        """activation(w . x + b) for a sequence of nin Values or numbers."""
        out = linear(self.w, x, self.b)
        return out if self._activate is None else self._activate(out)

    def config(self) -> dict:
        return {"nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron(nin={self.nin}, act={self.activation})"


class Layer(Module):
    """A layer of ``nout`` neurons that all read the same ``nin`` inputs.

    Calling it returns a list of the neurons' outputs, or one Value when the layer has one
    neuron (as micrograd's Layer).

    Args:
        nin, nout: inputs and neurons.
        activation, nonlin, weight_init, bias_init, seed: as for Neuron (one seed for
            the layer), so micrograd's ``Layer(nin, nout, nonlin=False)`` works.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | bool | None = "relu",
        *,
        nonlin: bool | None = None,
        weight_init: str = "uniform",
        bias_init: str = "zeros",
        seed: int | random.Random | None = None,
    ):
        self.nin = _positive_int(nin, "Layer nin")
        self.nout = _positive_int(nout, "Layer nout")
        self.activation = _activation_name(activation, nonlin, "Layer")
        rng = make_rng(seed)
        self.neurons = [
            Neuron(nin, self.activation, weight_init=weight_init, bias_init=bias_init, seed=rng)
            for _ in range(nout)
        ]
        self._assign_names()

    @staticmethod
    def parameter_count(nin: int, nout: int, activation: str | None = "relu") -> int:
        """How many parameters ``Layer(nin, nout, activation)`` has, without building it."""
        return Neuron.parameter_count(nin, activation) * _positive_int(nout, "Layer nout")

    def _named_members(self):
        return [(f"neurons.{i}", n) for i, n in enumerate(self.neurons)]

    def forward(self, x: Sequence) -> Value | list[Value]:
        """Every neuron's output as a list; the output itself for a layer of one neuron."""
        x = [v if isinstance(v, Value) else Value(v) for v in x]
        outputs = [neuron(x) for neuron in self.neurons]
        return outputs[0] if len(outputs) == 1 else outputs

    def config(self) -> dict:
        return {"nin": self.nin, "nout": self.nout, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Layer(nin={self.nin}, nout={self.nout}, act={self.activation})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes ``nouts`` on ``nin`` inputs.

    Hidden layers use ``activation``; the last layer uses ``final_activation`` (None: a
    linear output). Calling it returns one Value when the last layer has one neuron,
    else a list. ``MLP(nin, nouts)`` is micrograd's MLP: ReLU hidden layers, U(-1, 1)
    weights, zero biases.

    Args:
        nin: number of inputs.
        nouts: sizes of the layers, the last one being the output layer.
        activation: activation of the hidden layers ("tanh", "relu", "sigmoid", None).
        final_activation: activation of the output layer.
        weight_init, bias_init: init schemes (see ``micrograd44.weight_init.SCHEMES``).
        seed: an int or random.Random for a private stream (the same seed gives the same
            weights); None (the default) draws from Python's global ``random`` in
            micrograd's order, so ``random.seed(n); MLP(nin, nouts)`` holds exactly the
            weights micrograd's ``MLP(nin, nouts)`` holds after the same ``random.seed(n)``.

    Example:
        >>> model = MLP(2, [5, 4, 1], activation="tanh", weight_init="normal",
        ...             bias_init="torch", seed=2)
        >>> model
        MLP(2 -> 5 -> 4 -> 1, act=tanh, 44 parameters)
        >>> y = model([0.0, 1.0])
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "relu",
        final_activation: str | None = None,
        *,
        weight_init: str = "uniform",
        bias_init: str = "zeros",
        seed: int | random.Random | None = None,
    ):
        self.nin = _positive_int(nin, "MLP nin")
        self.nouts = _layer_sizes(nouts)
        self.activation = activation
        self.final_activation = final_activation
        rng = make_rng(seed)
        sizes = [self.nin, *self.nouts]
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation if i < len(self.nouts) - 1 else final_activation,
                weight_init=weight_init,
                bias_init=bias_init,
                seed=rng,
            )
            for i in range(len(self.nouts))
        ]
        self._assign_names()

    @property
    def nout(self) -> int:
        """Size of the output layer."""
        return self.nouts[-1]

    @staticmethod
    def parameter_count(
        nin: int, nouts: Sequence[int], activation: str | None = "relu", final_activation: str | None = None
    ) -> int:
        """How many parameters ``MLP(nin, nouts, ...)`` has, without building it."""
        activation_function(final_activation)
        sizes = [nin, *_layer_sizes(nouts)]
        return sum(Layer.parameter_count(a, b, activation) for a, b in zip(sizes, sizes[1:]))

    def _named_members(self):
        return [(f"layers.{i}", layer) for i, layer in enumerate(self.layers)]

    def forward(self, x: Sequence) -> Value | list[Value]:
        """The output for one input sample (a sequence of nin Values or numbers)."""
        if len(x) != self.nin:
            raise ValueError(f"{self!r} takes {self.nin} inputs, got {len(x)}")
        for layer in self.layers:
            out = layer(x)
            x = [out] if isinstance(out, Value) else out
        return out

    def config(self) -> dict:
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "final_activation": self.final_activation,
        }

    def __repr__(self) -> str:
        sizes = " -> ".join(str(n) for n in [self.nin, *self.nouts])
        final = f", final={self.final_activation}" if self.final_activation else ""
        return f"MLP({sizes}, act={self.activation}{final}, {self.num_parameters()} parameters)"


def architecture(model: Module) -> tuple | None:
    """What decides the graph a model of this module's classes builds for one sample, or None.

    Two models with equal architectures build graphs of the same structure (the same ops,
    wiring, constants and module paths) on the same number of inputs, whatever their
    weights: it lists, for every module, what its ``forward`` reads besides the weights.
    A model with a module of any other class (a subclass included), whose forward may
    read anything, has None.

    Example:
        >>> architecture(MLP(2, [3, 1], seed=0)) == architecture(MLP(2, [3, 1], seed=1))
        True
        >>> architecture(MLP(2, [3, 1])) == architecture(MLP(2, [3, 1], activation="tanh"))
        False
    """
    parts = []
    for _, module in model.named_modules():
        kind = type(module)
        if kind is Neuron:
            parts.append((kind, module._scope, len(module.w), module._activate))
        elif kind is Layer:
            parts.append((kind, module._scope, len(module.neurons)))
        elif kind is MLP:
            parts.append((kind, module._scope, module.nin, len(module.layers)))
        else:
            return None
    return tuple(parts)
