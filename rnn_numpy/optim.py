"""Optimizers and gradient clipping.

An optimizer is built on a dict of parameter arrays and updates those arrays in place;
step(grads) reads grads[k] for each of its keys and ignores the rest. Freezing is
therefore just leaving a parameter out: SGD({"W_hy": p["W_hy"], "b_y": p["b_y"]}, lr)
trains a readout on a fixed reservoir.

Hyperparameters may be per network: a float, or an array of shape (*P,) that is
broadcast over each parameter's own axes (lr of shape (K,) gives network k its own rate).

    SGD      v <- mu v + (g + lambda w);      w <- w - lr v        (momentum mu, weight decay lambda)
    Adam     m <- b1 m + (1-b1) g;  s <- b2 s + (1-b2) g^2
             w <- w - lr m_hat / (sqrt(s_hat) + eps),  m_hat = m/(1-b1^n), s_hat = s/(1-b2^n)
    AdaGrad  G <- G + g^2;                    w <- w - lr g / (sqrt(G) + eps)
"""

import numpy as np

from ._shapes import require


def _is_zero(value):
    """True for 0 or an all-zero per-network array (that term of the update is skipped)."""
    return value == 0 if isinstance(value, (int, float)) else not np.any(value)


def _per_network(value, w):
    """A hyperparameter given per network, shaped to broadcast over w's leading axes."""
    if isinstance(value, (int, float)):
        return value  # the common case, kept cheap: this runs for every parameter every step
    v = np.asarray(value, dtype=float)
    if v.ndim == 0:
        return float(v)
    require(v.shape == w.shape[:v.ndim],
            "per-network hyperparameter of shape {} does not match parameter shape {}", v.shape, w.shape)
    return v.reshape(v.shape + (1,) * (w.ndim - v.ndim)).astype(w.dtype)


class Optimizer:
    """Base: holds the parameters it trains; subclasses define _update(key, w, g)."""

    def __init__(self, params, lr):
        require(len(params) > 0, "an optimizer needs at least one parameter to train")
        for k, w in params.items():
            require(isinstance(w, np.ndarray) and np.issubdtype(w.dtype, np.floating),
                    "parameter {!r} must be a floating-point numpy array", k)
        self.params = params
        self.lr = lr
        self.steps = 0

    def step(self, grads):
        """Update every trained parameter in place from grads (a dict with at least its keys)."""
        self.steps += 1
        for k, w in self.params.items():
            require(k in grads, "no gradient given for trained parameter {!r}", k)
            require(np.shape(grads[k]) == w.shape,
                    "gradient for {!r} has shape {}; parameter has {}", k, np.shape(grads[k]), w.shape)
            self._update(k, w, grads[k])


class SGD(Optimizer):
    """Stochastic gradient descent with (heavy-ball) momentum and L2 weight decay."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum, self.weight_decay = momentum, weight_decay
        self.velocity = {k: np.zeros_like(w) for k, w in params.items()}

    def _update(self, k, w, g):
        if not _is_zero(self.weight_decay):
            g = g + _per_network(self.weight_decay, w) * w  # g + lambda w
        v = self.velocity[k]
        if not _is_zero(self.momentum):
            v *= _per_network(self.momentum, w)
            v += g  # v <- mu v + g
        else:
            v[...] = g
        w -= _per_network(self.lr, w) * v


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias-corrected moments and optional L2 weight decay."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        self.b1, self.b2 = betas
        self.eps, self.weight_decay = eps, weight_decay
        self.m = {k: np.zeros_like(w) for k, w in params.items()}
        self.s = {k: np.zeros_like(w) for k, w in params.items()}

    def _update(self, k, w, g):
        if not _is_zero(self.weight_decay):
            g = g + _per_network(self.weight_decay, w) * w
        m, s = self.m[k], self.s[k]
        m *= self.b1
        m += (1.0 - self.b1) * g  # m <- b1 m + (1 - b1) g
        s *= self.b2
        s += (1.0 - self.b2) * np.square(g)  # s <- b2 s + (1 - b2) g^2
        m_hat = m / (1.0 - self.b1 ** self.steps)
        s_hat = s / (1.0 - self.b2 ** self.steps)
        w -= _per_network(self.lr, w) * m_hat / (np.sqrt(s_hat) + self.eps)


class AdaGrad(Optimizer):
    """AdaGrad (Duchi et al. 2011): per-entry rates shrinking with the summed squared gradient."""

    def __init__(self, params, lr=1e-2, eps=1e-8):
        super().__init__(params, lr)
        self.eps = eps
        self.G = {k: np.zeros_like(w) for k, w in params.items()}

    def _update(self, k, w, g):
        G = self.G[k]
        G += np.square(g)  # G <- G + g^2
        w -= _per_network(self.lr, w) * g / (np.sqrt(G) + self.eps)


def global_norm(grads, pop_shape=()):
    """Each network's gradient norm over all its parameters: sqrt(sum_k ||g_k||^2), (*P,)."""
    pop_shape = tuple(pop_shape)
    n = len(pop_shape)
    total = 0.0
    for k, g in grads.items():
        require(np.shape(g)[:n] == pop_shape,
                "gradient {!r} has shape {}; expected leading population axes {}", k, np.shape(g), pop_shape)
        flat = np.reshape(g, pop_shape + (-1,))  # (*P, everything else)
        total = total + np.vecdot(flat, flat)  # ||g||^2 per network, one call (2x faster than square + sum)
    return np.sqrt(total)


def clip_global_norm(grads, max_norm, pop_shape=()):
    """Scale each network's gradients so that its global norm is at most max_norm.

    Every network is clipped by its own norm (pop_shape names the population axes, the
    leading axes of every gradient). max_norm may be a float or an array (*P,).
    Returns (clipped grads as a new dict, the norm before clipping (*P,)); when no network
    exceeds max_norm, the new dict holds the given arrays themselves.
        g <- g * min(1, max_norm / ||g||)
    """
    require(np.all(np.asarray(max_norm) > 0), "max_norm must be positive; got {}", max_norm)
    norm = global_norm(grads, pop_shape)
    if not np.any(norm > max_norm):  # nothing to clip: g * 1.0 would copy g unchanged
        return dict(grads), norm  # measured 29 -> 20 us at the headline's size (5 weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norm > max_norm, max_norm / norm, 1.0)  # (*P,)
    n = len(tuple(pop_shape))
    clipped = {k: g * scale.reshape(scale.shape + (1,) * (np.ndim(g) - n)) for k, g in grads.items()}
    return clipped, norm
