"""Time-distributed affine readout: the same y = W_hy h + b_y applied at every step.

Shapes: h (T, *P, B, H) -> y (T, *P, B, O); also works on one step, h (*P, B, H).
    p {"W_hy": (*P, O, H), "b_y": (*P, O)}
Backward:  dh = W_hy^T dy,  dW_hy = sum_{t,b} dy h^T,  db_y = sum_{t,b} dy
"""

import numpy as np

from . import init
from ._shapes import bias_grad, transposed, check_weight, outer_sum, require


def init_params(rng, H, O, population=()):
    """Xavier-uniform W_hy, zero b_y."""
    return {"W_hy": init.xavier(rng, (O, H), population=population),
            "b_y": np.zeros((*population, O))}


def forward(h, p):
    """y = W_hy h + b_y at every step. Returns (y, cache)."""
    h = np.asarray(h)
    require("W_hy" in p, "readout parameters need 'W_hy'; got keys {}", sorted(p))
    W = np.asarray(p["W_hy"])
    pop = W.shape[:-2]
    require(W.ndim >= 2 and h.shape[-1] == W.shape[-1],
            "h has {} features but W_hy has shape {} (expected (*P, O, H))", h.shape[-1], W.shape)
    require(h.ndim >= 2 + len(pop) and all(a in (1, b) for a, b in zip(h.shape[-2 - len(pop):-2], pop)),
            "h has shape {}; expected (..., *P, B, H) with P = {}", h.shape, pop)
    check_weight(p, "b_y", pop, W.shape[-2:-1])
    y = h @ transposed(W) + p["b_y"][..., None, :]  # (T, *P, B, O)
    return y, {"h": h, "p": p}


def backward(dy, cache):
    """Returns (dh, dp): dh shaped like h, dp with keys W_hy and b_y."""
    h, p = cache["h"], cache["p"]
    W = p["W_hy"]
    dh = dy @ W  # W_hy^T dy                                (T, *P, B, H)
    dp = {"W_hy": outer_sum(dy, h, W.shape),  # sum dy h^T  (*P, O, H)
          "b_y": bias_grad(dy, p["b_y"].shape)}  # sum dy    (*P, O)
    return dh, dp
