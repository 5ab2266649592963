"""Finite-difference gradient checking, usable on any loss(params) -> float.

Central differences in float64:  dL/dw ~ (L(w + eps) - L(w - eps)) / (2 eps), with error
O(eps^2) from truncation plus about 1e-16 |L| / eps from rounding; eps = 1e-6 balances them.

The relative error of a parameter compares the analytic and numerical gradients on the
checked entries as vectors:
    rel = ||g_analytic - g_numeric|| / (||g_analytic|| + ||g_numeric||)
It is 0 for a perfect match, 1 when one side is zero or the two are opposite, and, unlike an
entry-by-entry ratio, it stays meaningful when some entries are exactly zero (dead ReLU
units, masked-out steps).
"""

import numpy as np

from ._shapes import require


def numerical_gradient(loss_fn, params, key, indices, eps=1e-6):
    """Central-difference estimate of dL/dparams[key] at the given flat indices."""
    w = params[key]
    flat = w.reshape(-1)  # a view: writing to it perturbs w
    require(np.shares_memory(flat, w), "parameter {!r} must be a contiguous array", key)
    grad = np.empty(len(indices))
    for n, i in enumerate(indices):
        old = flat[i]
        flat[i] = old + eps
        plus = float(loss_fn(params))
        flat[i] = old - eps
        minus = float(loss_fn(params))
        flat[i] = old
        grad[n] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """||a - b|| / (||a|| + ||b||), 0 when both are zero."""
    a, b = np.ravel(a), np.ravel(b)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def check_gradients(loss_fn, params, grads, eps=1e-6, max_entries=60, rng=None):
    """Compare analytic grads with central differences, parameter by parameter.

    loss_fn(params) -> float (for a population, the sum of the per-network losses);
    params, grads: dicts with the same keys (grads may hold a subset). Tensors with more
    than max_entries entries are checked on a random sample of that many entries.
    Returns {key: relative error}.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    errors = {}
    for key, g in grads.items():
        w = params[key]
        require(w.dtype == np.float64, "gradient checks need float64; {!r} is {}", key, w.dtype)
        require(np.shape(g) == w.shape, "gradient {!r} has shape {}; parameter has {}", key, np.shape(g), w.shape)
        n = w.size
        idx = np.arange(n) if n <= max_entries else rng.choice(n, size=max_entries, replace=False)
        numeric = numerical_gradient(loss_fn, params, key, idx, eps)
        errors[key] = relative_error(np.ravel(g)[idx], numeric)
    return errors
