"""Shape helpers shared by the engine modules.

Shape glossary (used in every engine module):
    T  time steps          P  population (zero or more axes: independent networks)
    B  batch               D  input features
    H  hidden units        O  output features

Arrays are time-major with the population between time and batch:
    sequences x: (T, *P, B, D),  states h: (T, *P, B, H),  weights W: (*P, out, in).

Input types (as_float, float_params): the engine computes in the floating-point type it is
given (float64, or float32 where the caller chose it). Integer and bool arrays become
float64; a Python number takes the dtype of the network it meets, as NumPy 2 arithmetic
treats Python numbers (h0=0.0 keeps a float32 network in float32). Complex, object or
string data raise ValueError naming the argument.
"""

import math

import numpy as np

# outer_sum stacks the per-step products (T, *P, O, H) and sums them while they take at most
# this many bytes; above it, accumulating one step at a time is faster (see outer_sum).
# Tests set it to 0 to push every multi-step case through the step-by-step branch.
OUTER_SUM_STACK_LIMIT_BYTES = 2**20


def sum_to_shape(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched, so it has `shape`.

    The gradient of a broadcast operand is the sum of the gradient over the copies.
    Example: a bias of shape (*P, H) added to (T, *P, B, H) gets grad.sum over T and B.
    """
    shape = tuple(shape)
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def outer_sum(a, b, shape, out=None):
    """sum over time and batch of a_t^T b_t, reduced to a weight of `shape` (*P, O, H).

    a: (T, *P, B, O) or (*P, B, O);  b: (T, *P, B, H) or (*P, B, H)  ->  (*P, O, H)
    Small cases: one stacked matmul, then a sum over time. When the stacked per-step
    products (T, *P, O, H) would outgrow the cache (over OUTER_SUM_STACK_LIMIT_BYTES, 1 MB),
    accumulating one step at a time is faster: measured 1.3x to 1.7x for populations of 16
    at T=5..25, H=30..64. Both add the products in time order, so they give the same bits.
    T = 0 gives zeros. out: an array of `shape` to write the sum into (and return). The size
    test uses math.prod: 0.06-0.1 us on a shape, against 2.8-3.1 for np.prod (timeit).
    """
    n_steps = a.shape[0] if a.ndim > len(shape) else 1
    if n_steps == 0:
        total = np.zeros(shape, dtype=np.result_type(a, b))
    elif n_steps == 1 or n_steps * math.prod(shape) * a.itemsize <= OUTER_SUM_STACK_LIMIT_BYTES:
        product = a.mT @ b  # a_t^T b_t for every t    (T, *P, O, H), or (*P', O, H) for one step
        if out is not None and product.shape[1:] == out.shape:  # sum over time straight into out:
            return np.add.reduce(product, axis=0, out=out)  # 8.4 us against 11.2 (T=4, B=25, H=30, timeit)
        total = sum_to_shape(product, shape)  # sum_t a_t^T b_t
    else:
        total = a[0].mT @ b[0]  # a_0^T b_0                      (*P, O, H)
        product = np.empty_like(total)
        for t in range(1, n_steps):
            total += np.matmul(a[t].mT, b[t], out=product)  # += a_t^T b_t
        total = sum_to_shape(total, shape)
    if out is None:
        return total
    out[...] = total
    return out


def expand_mask(mask, T, pop_shape, B, check=True):
    """Check a 0/1 step mask and shape it to broadcast against (T, *P, B, H).

    mask: (T, B) (the same for every network) or (T, *P, B), of bools or of numbers that
    are all 0 or 1  ->  (T, *P', B, 1). check=False skips the 0/1 check (its shape is still
    checked), for a training loop's calls after one that checked the same kind of mask.
    """
    mask = np.asarray(mask)
    if check and mask.dtype != bool:
        require(mask.dtype.kind in "iuf", "mask must hold 0/1 numbers or bools; got dtype {}", mask.dtype)
        # all entries are 0 or 1 <=> every nonzero entry is a 1 (NaN counts as nonzero, not 1).
        # Two counts cost 1.2 us on a (5, 20) mask, half of testing (m != 0) & (m != 1).
        if np.count_nonzero(mask) != np.count_nonzero(mask == 1):
            where = tuple(int(i) for i in np.argwhere((mask != 0) & (mask != 1))[0])
            raise ValueError(f"mask must hold only 0 and 1 (or False and True); got {mask[where]} "
                             f"at index {where}")
    return per_step(mask, "mask", T, pop_shape, B)


def per_step(a, name, T, pop_shape, B):
    """Shape a per-(step, sequence) array to broadcast against (T, *P, B, H); no value check
    (masks go through expand_mask; class targets use this directly).

    a: (T, B) (the same for every network) or (T, *P, B)  ->  (T, *P', B, 1)
    """
    a = np.asarray(a)
    if a.shape == (T, B):
        return a.reshape((T,) + (1,) * len(pop_shape) + (B, 1))
    if a.shape == (T, *pop_shape, B):
        return a[..., None]
    per_network = f" or (T, *P, B) = {(T, *pop_shape, B)}" if pop_shape else ""
    raise ValueError(f"{name} has shape {a.shape}; expected (T, B) = {(T, B)}{per_network}")


def require(condition, message, *args):
    """Raise ValueError unless condition holds (input validation).

    The message is formatted only on failure, message.format(*args), because these checks
    run on every forward pass and building an f-string each time costs microseconds."""
    if not condition:
        raise ValueError(message.format(*args) if args else message)


def broadcasts_to(shape, target):
    """True when an array of `shape` broadcasts to `target` without changing it.
    Equal shapes (the common case) are answered first: 30 ns instead of 1.3 us for
    np.broadcast_shapes, which matters on every forward pass."""
    if tuple(shape) == tuple(target):
        return True
    try:
        return np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        return False


def check_weight(p, key, pop_shape, expected_tail):
    """Validate that p[key], an array (see float_params), has shape (*P, *expected_tail)."""
    require(key in p, "parameter dict is missing {!r} (has {})", key, sorted(p))
    shape = p[key].shape  # .shape: 30 ns; np.shape() costs 300 ns, and this runs per weight per pass
    expected = tuple(pop_shape) + tuple(expected_tail)
    require(shape == expected, "{} has shape {}; expected {}", key, shape, expected)


def check_input_weight(p, key, pop_shape, rows, a, name, what, letter):
    """Validate a weight W = p[key] of shape (*P, rows, n) that multiplies the last axis of
    the input `a` (..., n). The weights define the network, so a wrong P or row count is the
    weight's fault, while an input whose last axis differs from W's is the input's fault
    (see check_input_size)."""
    require(key in p, "parameter dict is missing {!r} (has {})", key, sorted(p))
    shape = p[key].shape  # an array (see float_params)
    check_weight(p, key, pop_shape, (rows, shape[-1] if shape else a.shape[-1]))  # n: W's own input size
    check_input_size(a, name, what, key, shape, letter)


def check_input_size(a, name, what, key, weight_shape, letter):
    """Raise, blaming the input, when its last axis differs from the weight's input size:
    "x has 4 input features per step (...), but W_xh has shape (3, 6, 3), which expects D = 3"."""
    if a.shape[-1] != weight_shape[-1]:
        raise ValueError(f"{name} has {a.shape[-1]} {what} per step (last axis of shape {a.shape}), "
                         f"but {key} has shape {weight_shape}, which expects {letter} = {weight_shape[-1]}")


def as_float(value, name, scalar_dtype=np.float64):
    """`value` as a floating-point array for the engine's arithmetic (see the module notes).

    float arrays (float64, float32, ...) pass unchanged; integer and bool arrays become
    float64; a Python number becomes a 0-d array of scalar_dtype (pass the network's
    working dtype for initial states and targets); anything else raises a ValueError
    that names the argument `name`."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value  # the common case: nothing to do
    if type(value) in (bool, int, float):
        return np.asarray(value, dtype=scalar_dtype)
    a = np.asarray(value)  # a list, a NumPy scalar or a non-float array
    if a.dtype.kind == "f":
        return a
    if a.dtype.kind in "biu":
        return a.astype(np.float64)
    raise ValueError(f"{name} must hold real numbers (float, integer or bool); got dtype {a.dtype}")


def float_params(p, keys):
    """p itself when every weight in `keys` is already a float array (the common case: no
    copy, about 0.3 us); otherwise a shallow copy of p with those weights converted by
    as_float. Keys missing from p are left for the shape checks to report."""
    for k in keys:
        w = p.get(k)
        if not (isinstance(w, np.ndarray) and w.dtype.kind == "f"):
            break
    else:
        return p
    return {**p, **{k: as_float(p[k], k) for k in keys if k in p}}


def matmul_operand(h0, state):
    """An initial state h0 ready for h0 @ W. It may be anything that broadcasts to the state
    shape (*P, B, H), but matmul needs a (..., B, H) matrix: a scalar, an (H,) vector or a
    (B, 1) column is broadcast to the full state (a view, no copy). A state that already is
    such a matrix is used as given, so its results stay bit for bit what they were."""
    if h0.ndim >= 2 and h0.shape[-1] == state[-1]:
        return h0
    return np.broadcast_to(h0, state)


def bias_grad(dz, shape):
    """Gradient of a bias b (*P, H) that was added as b[..., None, :] to z (..., *P, B, H):
    the sum of dz over batch and over any leading (time) axes, in one reduction."""
    leading = tuple(range(dz.ndim - len(shape) - 1))
    return sum_to_shape(dz.sum(axis=leading + (dz.ndim - 2,)), shape)


def add_bias(z, b):
    """z + b[..., None, :] for a bias b (*P, n) on z (..., *P, B, n). z must be a new array
    that the caller owns (a fresh product): the bias is added into it when its dtype holds
    the sum (the same additions, so the same bits). That saves a fresh array as large as
    z: timed alone on the char lab's 16 networks (T=25, B=32, H=64, 27 symbols), the input
    drive took 1.48 ms instead of 1.93 and the readout 2.48 instead of 2.83; inside the
    whole training step, with activations' one-array tanh slope, the step took 0.97-0.99x
    its time (medians in turns, two runs; one network: 1.00-1.01x)."""
    if z.dtype == np.result_type(z, b):
        z += b[..., None, :]
        return z
    return z + b[..., None, :]  # e.g. a float32 product and a float64 bias: the sum is float64


def transposed(W):
    """W.mT as a contiguous array: (*P, out, in) -> (*P, in, out). A matmul with it runs about
    twice as fast as with the strided .mT view at our sizes (measured; see rnn.forward)."""
    return np.ascontiguousarray(W.mT)
