"""Time-distributed affine readout: the same y = W_hy h + b_y applied at every step.
The same layer serves as a dense (fully connected, linear) layer anywhere else in a model:
forward(x, p, names=("W_d", "b_d")) reads and returns its weights under other names.

Shapes: h (T, *P, B, H) -> y (T, *P, B, O); also works on one step, h (*P, B, H).
    p {"W_hy": (*P, O, H), "b_y": (*P, O)}
Integer and bool inputs are computed in float64; float32 stays float32 (see _shapes.py).
Backward:  dh = W_hy^T dy,  dW_hy = sum_{t,b} dy h^T,  db_y = sum_{t,b} dy
"""

import numpy as np

from . import init
from ._shapes import (add_bias, as_float, bias_grad, check_input_size, check_weight, float_params, outer_sum, require,
                      transposed)

KEYS = ("W_hy", "b_y")


def init_params(rng, H, O, population=(), dtype=np.float64):
    """Xavier-uniform W_hy, zero b_y (dtype: as in rnn.init_params)."""
    return {"W_hy": init.xavier(rng, (O, H), population=population).astype(dtype, copy=False),
            "b_y": np.zeros((*population, O), dtype=dtype)}


def forward(h, p, names=KEYS):
    """y = W_hy h + b_y at every step. Returns (y, cache). names: the keys of the weight
    and the bias in p (and in the gradients backward returns)."""
    weight, bias = names
    h, p = as_float(h, "h"), float_params(p, names)  # p is a converted copy only for non-float weights
    require(weight in p, "readout parameters need {!r}; got keys {}", weight, sorted(p))
    W = p[weight]
    require(W.ndim >= 2, "{} must have shape (*P, O, H); got {}", weight, W.shape)
    pop = W.shape[:-2]
    require(h.ndim >= 2 + len(pop) and all(a in (1, b) for a, b in zip(h.shape[-2 - len(pop):-2], pop)),
            "h has shape {}; expected (..., *P, B, H) with P = {}", h.shape, pop)
    check_input_size(h, "h", "features", weight, W.shape, "H")  # W_hy (*P, O, H), h (..., H)
    check_weight(p, bias, pop, W.shape[-2:-1])
    y = add_bias(h @ transposed(W), p[bias])  # (T, *P, B, O)
    return y, {"h": h, "W": W, "b": p[bias], "names": names}


def backward(dy, cache):
    """Returns (dh, dp): dh shaped like h, dp with the forward pass's names (W_hy, b_y)."""
    h, W, b = cache["h"], cache["W"], cache["b"]
    weight, bias = cache["names"]
    dy = as_float(dy, "dy")  # (T, *P, B, O)
    dh = dy @ W  # W_hy^T dy                                (T, *P, B, H)
    dp = {weight: outer_sum(dy, h, W.shape),  # sum dy h^T  (*P, O, H)
          bias: bias_grad(dy, b.shape)}  # sum dy    (*P, O)
    return dh, dp
