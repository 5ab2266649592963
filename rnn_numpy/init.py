"""Weight initializers. Every one draws from an explicit numpy.random.Generator and takes
an optional population shape P, returning an array of shape (*P, *shape): one
independent draw per network.

    orthogonal  W = gain * Q, Q Haar-distributed with orthonormal rows or columns
    xavier      W ~ U(-a, a),  a = gain * sqrt(6 / (fan_in + fan_out))   (Glorot & Bengio 2010)
    random      W ~ N(0, scale^2)
    uniform     W ~ U(-a, a)

Weights are in paper orientation (out, in): fan_out = shape[-2], fan_in = shape[-1].
"""

import numpy as np

from ._shapes import require


def _full_shape(shape, population):
    shape, population = tuple(shape), tuple(population)
    require(
        all(isinstance(n, (int, np.integer)) and n > 0 for n in shape + population),
        "sizes must be positive integers; got shape {}, population {}", shape, population,
    )
    return population + shape


def orthogonal(rng, shape, gain=1.0, population=()):
    """Orthogonal matrix times gain, (*P, n, m). A square one has every eigenvalue on the
    circle of radius `gain`, so its spectral radius is exactly `gain`.

    Q comes from the QR decomposition of a Gaussian matrix, with the signs of R's
    diagonal folded into Q so that Q is uniformly (Haar) distributed.
    """
    full = _full_shape(shape, population)
    require(len(shape) == 2, "orthogonal needs a 2-D shape (out, in); got {}", tuple(shape))
    n, m = shape
    tall = (*full[:-2], max(n, m), min(n, m))
    q, r = np.linalg.qr(rng.standard_normal(tall))  # q: (*P, max, min) orthonormal columns
    q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
    if n < m:
        q = q.mT  # orthonormal rows instead
    return gain * q


def xavier(rng, shape, gain=1.0, population=()):
    """Glorot uniform, (*P, out, in): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    full = _full_shape(shape, population)
    require(len(shape) == 2, "xavier needs a 2-D shape (out, in); got {}", tuple(shape))
    fan_out, fan_in = shape
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=full)


def random(rng, shape, scale=1.0, population=()):
    """Gaussian, (*P, *shape): N(0, scale^2)."""
    return scale * rng.standard_normal(_full_shape(shape, population))


def uniform(rng, shape, a=1.0, population=()):
    """Uniform, (*P, *shape): U(-a, a)."""
    return rng.uniform(-a, a, size=_full_shape(shape, population))


INITIALIZERS = {"orthogonal": orthogonal, "xavier": xavier, "random": random, "uniform": uniform}


def initialize(name, rng, shape, size=1.0, population=()):
    """Draw with the initializer called `name`, `size` being its one size parameter:
    the gain of orthogonal and xavier, the standard deviation of random, the bound of uniform."""
    fn = get(name)
    keyword = {orthogonal: "gain", xavier: "gain", random: "scale", uniform: "a"}[fn]
    return fn(rng, shape, population=population, **{keyword: size})


def get(name):
    """The initializer called `name`; ValueError naming the choices otherwise."""
    try:
        return INITIALIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown initializer {name!r}; choose one of {', '.join(INITIALIZERS)}"
        ) from None


def spectral_radius(W):
    """Largest |eigenvalue| of each square matrix: W (*P, H, H) -> (*P,)."""
    W = np.asarray(W)
    require(W.ndim >= 2 and W.shape[-1] == W.shape[-2], "spectral_radius needs square matrices; got {}", W.shape)
    return np.abs(np.linalg.eigvals(W)).max(axis=-1)
