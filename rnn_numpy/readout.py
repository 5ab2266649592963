"""Time-distributed affine readout: the same y = W_hy h + b_y applied at every step.

Shapes: h (T, *P, B, H) -> y (T, *P, B, O); also works on one step, h (*P, B, H).
    p {"W_hy": (*P, O, H), "b_y": (*P, O)}
Integer and bool inputs are computed in float64; float32 stays float32 (see _shapes.py).
Backward:  dh = W_hy^T dy,  dW_hy = sum_{t,b} dy h^T,  db_y = sum_{t,b} dy
"""

import numpy as np

from . import init
from ._shapes import as_float, bias_grad, check_input_size, check_weight, float_params, outer_sum, require, transposed

KEYS = ("W_hy", "b_y")


def init_params(rng, H, O, population=()):
    """Xavier-uniform W_hy, zero b_y."""
    return {"W_hy": init.xavier(rng, (O, H), population=population),
            "b_y": np.zeros((*population, O))}


def forward(h, p):
    """y = W_hy h + b_y at every step. Returns (y, cache)."""
    h, p = as_float(h, "h"), float_params(p, KEYS)  # p is a converted copy only for non-float weights
    require("W_hy" in p, "readout parameters need 'W_hy'; got keys {}", sorted(p))
    W = p["W_hy"]
    require(W.ndim >= 2, "W_hy must have shape (*P, O, H); got {}", W.shape)
    pop = W.shape[:-2]
    require(h.ndim >= 2 + len(pop) and all(a in (1, b) for a, b in zip(h.shape[-2 - len(pop):-2], pop)),
            "h has shape {}; expected (..., *P, B, H) with P = {}", h.shape, pop)
    check_input_size(h, "h", "features", "W_hy", W.shape, "H")  # W_hy (*P, O, H), h (..., H)
    check_weight(p, "b_y", pop, W.shape[-2:-1])
    y = h @ transposed(W) + p["b_y"][..., None, :]  # (T, *P, B, O)
    return y, {"h": h, "p": p}


def backward(dy, cache):
    """Returns (dh, dp): dh shaped like h, dp with keys W_hy and b_y."""
    h, p = cache["h"], cache["p"]
    dy = as_float(dy, "dy")  # (T, *P, B, O)
    W = p["W_hy"]
    dh = dy @ W  # W_hy^T dy                                (T, *P, B, H)
    dp = {"W_hy": outer_sum(dy, h, W.shape),  # sum dy h^T  (*P, O, H)
          "b_y": bias_grad(dy, p["b_y"].shape)}  # sum dy    (*P, O)
    return dh, dp
