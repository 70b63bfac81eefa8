"""Training a small network by gradient descent on a data set, with the generated gradient code.

Each step runs ``symbp.gradient_function(network)``'s ``loss_and_gradients`` (the NumPy module
``symbp codegen`` writes, compiled once) on one batch and moves every parameter by
``-lr`` times its gradient: the gradient of the batch's mean cost, plus lambda W with
weight decay (``Network(..., l2=lambda)``: the generated code adds (lambda/2) sum W^2 to C).
The cost recorded per epoch is the mean cost over the whole data set (with the decay),
so the curve does not depend on the batch order.

>>> from symbp import Network
>>> from symbp.datasets import load
>>> result = train(Network([2, 4, 1], ["tanh", "sigmoid"], "binary_cross_entropy"), load("xor"), epochs=3)
>>> len(result.costs)
4
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from .costs import PROBABILITY_TARGETS, bad_target
from .datasets import Dataset
from .errors import SymbpError
from .layout import learning_rate, parameter_layout
from .spec import Network

Progress = Callable[[int, int, float], None]
"""Called after each epoch with (epochs done, epochs, mean cost)."""


@dataclass(frozen=True)
class TrainingResult:
    """The mean cost before training and after each epoch, the trained parameters, the accuracy."""

    network: Network
    data: str
    costs: tuple[float, ...]
    """costs[0] before any step, costs[k] after epoch k."""
    parameters: Mapping[str, np.ndarray]
    """W1, b1, ... in the point file's layout."""
    accuracy: float | None
    """Share of samples whose class is right (targets 0/1), else None."""
    epochs: int
    lr: float
    batch_size: int
    seed: int

    @property
    def final_cost(self) -> float:
        return self.costs[-1]


def initial_parameters(network: Network, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Weights uniform in +-1/sqrt(fan-in) (keeps z of order 1 for any width), biases zero."""
    params: dict[str, np.ndarray] = {}
    for key, shape in parameter_layout(network).shapes:  # W1, b1, W2, ...: the draws keep this order
        bound = 1 / np.sqrt(shape[-1])  # a W's fan-in is its columns, D(m-1)
        params[key] = rng.uniform(-bound, bound, shape) if key.startswith("W") else np.zeros(shape)
    return params


def outputs(network: Network, params: Mapping[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """a^{(L)} for every row of ``x`` (the generated code returns only costs and gradients, so this is
    the graph's forward pass, lambdified once per layer)."""
    from .numeric import evaluator_for, point_shapes

    shapes = point_shapes(network)
    evaluator = evaluator_for(network)
    graph = evaluator.graph
    rows = []
    for sample in x:
        point = {**params, "x": sample, "t": np.full(shapes["t"], 0.5)}
        values = evaluator.forward_at(point)
        rows.append([values[a] for a in graph.a[network.L]])
    return np.array(rows)


def accuracy(network: Network, params: Mapping[str, np.ndarray], data: Dataset) -> float | None:
    """Share of rows classed right: a >= 0.5 for one output, the largest output for several (one-hot t)."""
    if not data.is_classes:
        return None
    a = outputs(network, params, data.x)
    if data.t.shape[1] == 1:
        right = (a[:, 0] >= 0.5) == (data.t[:, 0] == 1)
    else:
        right = np.argmax(a, axis=1) == np.argmax(data.t, axis=1)
    return float(np.mean(right))


def train(network: Network, data: Dataset, *, epochs: int = 1000, lr: float = 0.5, batch_size: int | None = None,
          seed: int = 0, progress: Progress | None = None) -> TrainingResult:
    """Gradient descent over ``epochs`` passes of ``data`` in shuffled batches (default: the whole set).

    ``network.batch`` must be 1: the generated code takes any number of rows, and ``batch_size`` says how many.
    """
    from .codegen import gradient_function as compile_network

    if network.is_abstract:
        raise SymbpError(f"network {network.describe()} has abstract parts: name sigma and C to train it")
    if data.x.shape[1] != network.D(0) or data.t.shape[1] != network.D(network.L):
        raise SymbpError(_shape_mismatch(network, data))
    if network.batch != 1:
        raise SymbpError(f"network {network.describe()} has batch {network.batch}; give the network of one "
                         f"example and batch_size={network.batch} (the rows of each step)")
    _check_targets(network.cost, data)
    if epochs < 1:
        raise SymbpError(f"epochs {epochs} must be 1 or more")
    lr = learning_rate(lr)
    n = len(data.x)
    batch = n if batch_size is None else batch_size
    if not 1 <= batch <= n:
        raise SymbpError(f"batch size {batch} must be 1 to {n} (the rows of {data.name!r})")
    loss_and_gradients = compile_network(network)
    rng = np.random.default_rng(seed)
    params = initial_parameters(network, rng)
    defined = ", ".join(network.formulas)
    domain = f" or a defined non-linearity ({defined}) was taken outside its domain" if defined else ""
    with np.errstate(all="ignore"):  # divergence or a value outside a formula's domain is reported below, in one line
        costs = [float(loss_and_gradients(params, data.x, data.t)[0])]
        if not np.isfinite(costs[0]):
            raise SymbpError(f"the cost is {costs[0]} at the initial weights (seed {seed}), before any step: a value "
                             f"of the forward pass is not finite{domain}; accepted: non-linearities defined for "
                             "every z the data gives")
        for epoch in range(1, epochs + 1):
            order = rng.permutation(n)
            for start in range(0, n, batch):
                rows = order[start : start + batch]
                _, grads = loss_and_gradients(params, data.x[rows], data.t[rows])
                params = {key: value - lr * grads[key] for key, value in params.items()}
            costs.append(float(loss_and_gradients(params, data.x, data.t)[0]))
            if not np.isfinite(costs[-1]):  # gradient descent diverged; every later epoch would be nan
                raise SymbpError(f"the cost became {costs[-1]} at epoch {epoch}: lower --lr (now {lr:g}){domain}")
            if progress is not None:
                progress(epoch, epochs, costs[-1])
    return TrainingResult(network, data.name, tuple(costs), params, accuracy(network, params, data), epochs, lr,
                          batch, seed)


def _columns(letter: str, count: int) -> str:
    """The CSV header a row of ``count`` values has: ``t`` alone, or ``t1,t2,t3``."""
    return letter if count == 1 and letter == "t" else ",".join(f"{letter}{k}" for k in range(1, count + 1))


def _shape_mismatch(network: Network, data: Dataset) -> str:
    """One line: what the rows hold, what the network needs, and the CSV header that would fit."""
    sizes = ",".join(map(str, network.layers))
    inputs, outputs = network.D(0), network.D(network.L)
    have_x, have_t = data.x.shape[1], data.t.shape[1]
    s = lambda n: "" if n == 1 else "s"  # noqa: E731
    wrong = []
    if have_x != inputs:
        wrong.append(f"{have_x} input{s(have_x)} per row where network {sizes} needs {inputs}")
    if have_t != outputs:
        wrong.append(f"{have_t} target{s(have_t)} per row where network {sizes} has {outputs} output{s(outputs)}")
    hint = f"CSV header {_columns('x', inputs)},{_columns('t', outputs)}: one target column per output"
    if outputs > 1:
        hint += " (classes one-hot: 1 in the column of the row's class, 0 in the others)"
        t = data.t[:, 0]
        if have_t == 1 and np.all(t == np.round(t)) and t.min() >= 0 and t.max() < outputs:
            hint += f"; its one t column looks like class numbers 0..{outputs - 1}: write them one-hot"
    return f"data {data.name!r} has {' and '.join(wrong)}; give {hint}"


def _check_targets(cost: str, data: Dataset) -> None:
    bad = bad_target(cost, data.t)
    if bad:
        row = bad[0][0]
        raise SymbpError(
            f"data {data.name!r} row {row + 1}: targets {data.t[row].tolist()} do not go with cost {cost!r}; "
            f"{PROBABILITY_TARGETS}"
        )


@dataclass(frozen=True)
class Training:
    """One ``symbp train`` run: its data set and result, and what is written from them."""

    dataset: Dataset
    result: TrainingResult

    def parameters(self) -> dict[str, list]:
        return {key: value.tolist() for key, value in self.result.parameters.items()}

    def point_file(self) -> str:
        """The trained parameters as a point file (x and t: the data set's first row), for grad and example."""
        from .printers.json import dumps

        return dumps({"x": self.dataset.x[0].tolist(), "t": self.dataset.t[0].tolist(), **self.parameters()})

    def plot(self, fmt: str) -> bytes:
        """The cost curve as PNG, SVG or PDF bytes."""
        from .plots import render, training_plot

        return render(training_plot(self.result), fmt)

    def report(self, format: str = "text") -> str:
        """What ``symbp train --format`` prints: the run and its cost before and after (``text`` or ``json``)."""
        result, network = self.result, self.result.network
        if format == "json":
            from .printers.json import dumps

            return dumps({"network": network.describe(), "data": self.dataset.name, "epochs": result.epochs,
                          "lr": result.lr, "batch_size": result.batch_size, "l2": network.l2, "seed": result.seed,
                          "costs": list(result.costs), "final_cost": result.final_cost, "accuracy": result.accuracy,
                          "parameters": self.parameters()})
        accuracy = "" if result.accuracy is None else f", accuracy {result.accuracy:.0%}"
        return (f"network {network.describe()}; data {self.dataset.name} ({len(self.dataset.x)} rows)\n"
                f"{result.epochs} epochs, learning rate {result.lr:g}, batch size {result.batch_size}"
                + (f", weight decay {network.l2:g}" if network.l2 else "") + f", seed {result.seed}\n"
                f"mean cost C: {_cost(result.costs[0])} before, {_cost(result.final_cost)} after{accuracy}\n")


def _cost(value: float) -> str:
    """A mean cost to 6 decimals, or 7 significant digits past a billion: 1e308 is not 309 digits on the line."""
    return f"{value:.6f}" if abs(value) < 1e9 else f"{value:.7g}"


def train_on(data: str, network: Network | None = None, *, epochs: int = 1000, lr: float = 0.5,
             batch_size: int | None = None, seed: int = 0, l2: float | None = None,
             progress: Progress | None = None) -> Training:
    """``symbp train``: ``network`` trained on ``data`` (a shipped set's name or a CSV/JSON file).

    ``network`` None: D(0),8,D(L) with tanh then sigmoid, and binary cross-entropy for classes (targets 0/1),
    else squared error, with weight decay ``l2``. A network with a batch of N is one example's network
    trained in minibatches of N rows, unless ``batch_size`` says otherwise.
    """
    from dataclasses import replace

    from .datasets import load

    dataset = load(data)
    if network is None:
        network = Network([dataset.x.shape[1], 8, dataset.t.shape[1]], ["tanh", "sigmoid"],
                          "binary_cross_entropy" if dataset.is_classes else "squared_error", l2=l2 or 0.0)
    else:  # a spec's batch is the minibatch here: the network itself is one example's
        batch_size = batch_size if batch_size is not None or network.batch == 1 else network.batch
        network = replace(network, batch=1)
    result = train(network, dataset, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, progress=progress)
    return Training(dataset, result)
