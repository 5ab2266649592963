"""Element-wise activation functions, chosen by name.

Each activation has a value f(z), a derivative f'(z), and the same derivative written
in terms of the output y = f(z). Backward passes use the output form, so a forward pass
only has to keep its outputs:
    tanh      f = tanh z            f' = 1 - y^2
    sigmoid   f = 1 / (1 + e^-z)    f' = y (1 - y)
    relu      f = max(z, 0)         f' = 1 if y > 0 else 0
    identity  f = z                 f' = 1

Speed note: on an AMD EPYC without AVX-512, np.tanh was measured at about 14 ns per
float64 element, and there the exp form 1 - 2 / (exp(2z) + 1) is twice as fast. On the Intel
Xeon with AVX-512 that this project's timings come from, np.tanh costs 1.3 ns per
element and the exp form 5.4-5.6 ns (n = 48,000, three runs of python -m timeit), so we
keep np.tanh: it wins where we measured most and it is the readable choice.
"""

from typing import Callable, NamedTuple

import numpy as np


class Activation(NamedTuple):
    name: str
    value: Callable  # z -> f(z)
    derivative: Callable  # z -> f'(z)
    derivative_from_output: Callable  # y = f(z) -> f'(z)


def _sigmoid(z):
    # 1 / (1 + exp(-z)); exp overflows to inf for z < -709 and the result is then exactly 0.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _relu(z):
    return np.maximum(z, 0.0)


def _identity(z):
    return z


def _tanh_slope(y):
    """1 - y^2 from y = tanh(z), the second operation written over the first's result: one
    fresh array instead of two, the same operations, so the same bits (0.88 -> 0.33 ms
    timed alone on the char lab's 16-network states, T=25, B=32, H=64; for the whole
    step see _shapes.add_bias)."""
    slope = np.multiply(y, y)
    if not isinstance(slope, np.ndarray):  # a number in, a number out
        return 1.0 - slope
    return np.subtract(1.0, slope, out=slope)


def _sigmoid_slope(y):
    """y (1 - y) from y = sigmoid(z), in one fresh array as _tanh_slope (a product is the same
    in either order)."""
    slope = np.subtract(1.0, y)
    if not isinstance(slope, np.ndarray):
        return y * slope
    return np.multiply(y, slope, out=slope)


tanh = Activation("tanh", np.tanh, lambda z: 1.0 - np.tanh(z) ** 2, _tanh_slope)
sigmoid = Activation("sigmoid", _sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z)), _sigmoid_slope)
relu = Activation("relu", _relu, lambda z: (z > 0).astype(z.dtype), lambda y: (y > 0).astype(y.dtype))
identity = Activation("identity", _identity, lambda z: np.ones_like(z), lambda y: np.ones_like(y))

ACTIVATIONS = {a.name: a for a in (tanh, sigmoid, relu, identity)}


def get(name):
    """The Activation called `name` (tanh, relu, sigmoid, identity); ValueError otherwise."""
    if isinstance(name, Activation):
        return name
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        ) from None
