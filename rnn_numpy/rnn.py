"""Vanilla (Elman) RNN with optional leak, masking and truncated BPTT, written by hand.

Shapes (see _shapes.py): T steps, P population (zero or more axes), B batch,
D input, H hidden.
    x   (T, *P, B, D)     inputs; a population axis may be 1 to share inputs
    h0  (*P, B, H)        initial state (anything that broadcasts to it: 0.0, (H,), ...)
    h   (T, *P, B, H)     state after each step
    p   {"W_xh": (*P, H, D), "W_hh": (*P, H, H), "b_h": (*P, H)}
    mask (T, B) or (T, *P, B) of 0/1
Integer and bool inputs are computed in float64; float32 stays float32 (see _shapes.py).

Forward, for t = 1..T:
    z_t = W_xh x_t + W_hh h_{t-1} + b_h
    h_t = (1 - a) h_{t-1} + a f(z_t)            a = leak (1 = Elman RNN; < 1 = Euler
                                                 step of a continuous-time RNN)
    with a mask m_t, the step mixes in only where m_t = 1:
    h_t = h_{t-1} + g_t (f(z_t) - h_{t-1})      g_t = a * m_t

Backward (BPTT): with dh_t the total gradient dL/dh_t (the loss's own dL/dh_t plus what
flows back from step t+1):
    dz_t       = g_t dh_t * f'(z_t)
    dL/dh_{t-1} += (1 - g_t) dh_t + W_hh^T dz_t
    dW_xh = sum_t dz_t x_t^T,   dW_hh = sum_t dz_t h_{t-1}^T,   db_h = sum_t dz_t
"""

import numpy as np

from . import activations, init
from ._shapes import (add_bias, as_float, bias_grad, broadcasts_to, check_input_weight, check_weight, expand_mask,
                      float_params, matmul_operand, outer_sum, require, sum_to_shape, transposed)

KEYS = ("W_xh", "W_hh", "b_h")


def population_shape(p):
    """The population shape P of an RNN parameter dict."""
    return np.shape(p["W_hh"])[:-2]


def init_params(rng, D, H, population=(), recurrent="orthogonal", gain=1.0, input_init="xavier",
                input_scale=1.0, dtype=np.float64):
    """Fresh parameters: W_hh from the initializer `recurrent` with size `gain` (see
    init.initialize: a gain, a standard deviation or a bound), W_xh from `input_init` with
    size `input_scale`, b_h = 0. dtype=np.float32 gives the same draws rounded to float32
    (they are always drawn in float64, so the random stream does not depend on the dtype)."""
    return {
        "W_xh": init.initialize(input_init, rng, (H, D), input_scale, population).astype(dtype, copy=False),
        "W_hh": init.initialize(recurrent, rng, (H, H), gain, population).astype(dtype, copy=False),
        "b_h": np.zeros((*population, H), dtype=dtype),
    }


def _validate(x, h0, p, leak):
    require("W_hh" in p, "RNN parameters need 'W_hh'; got keys {}", sorted(p))
    W_hh = np.asarray(p["W_hh"])
    require(W_hh.ndim >= 2 and W_hh.shape[-1] == W_hh.shape[-2],
            "W_hh must have shape (*P, H, H); got {}", W_hh.shape)
    pop, H = W_hh.shape[:-2], W_hh.shape[-1]
    require(x.ndim == 3 + len(pop),
            "x must have shape (T, *P, B, D) with P = {}; got {}", pop, x.shape)
    check_input_weight(p, "W_xh", pop, H, x, "x", "input features", "D")  # W_xh (*P, H, D), x (..., D)
    check_weight(p, "b_h", pop, (H,))
    require(all(a in (1, b) for a, b in zip(x.shape[1:-2], pop)),
            "x population axes {} do not match the weights' {}", x.shape[1:-2], pop)
    state = (*pop, x.shape[-2], H)
    h0_shape = np.shape(h0)
    require(broadcasts_to(h0_shape, state), "h0 has shape {}; expected (*P, B, H) = {}", h0_shape, state)
    require(0.0 < leak <= 1.0, "leak must be in (0, 1]; got {}", leak)
    return pop


def forward(x, h0, p, activation="tanh", leak=1.0, mask=None, validate=True):
    """Run the RNN over all T steps. Returns (h, cache); h: (T, *P, B, H).
    validate=False skips the shape checks and the mask's 0/1 check, for a training loop
    that validated its first call and sends arrays of the same shapes and kinds after it:
    measured 39 -> 36 us a call at the headline's size (T=5, B=25, H=30, one network)."""
    act = activations.get(activation)
    x, p = as_float(x, "x"), float_params(p, KEYS)  # p is a converted copy only for non-float weights
    pop = _validate(x, h0, p, leak) if validate else population_shape(p)
    T, B = x.shape[0], x.shape[-2]
    W_hh_T = transposed(p["W_hh"])  # (*P, H, H); a contiguous copy multiplies 2x faster than .mT
    xw = add_bias(x @ transposed(p["W_xh"]), p["b_h"])  # (T, *P, B, H): input drive, all steps at once
    h0 = as_float(h0, "h0", xw.dtype)  # (*P, B, H) or anything that broadcasts to it
    # g: how much of the new activation enters the state; None for the plain Elman step.
    g = None
    if mask is not None:
        m = expand_mask(mask, T, pop, B, check=validate)  # (T, *P', B, 1)
        # spelled out to (T, *P, B, H): a product with a (..., B, 1) operand broadcast along H
        # took 3.3 us against 1.0 us for equal shapes (B=25, H=60), in every step both ways
        g = np.broadcast_to(leak * m.astype(xw.dtype), xw.shape).copy()
    elif leak != 1.0:
        g = np.full((T,) + (1,) * (xw.ndim - 1), leak, dtype=xw.dtype)
    h = np.empty(xw.shape, dtype=np.result_type(xw, h0))  # (T, *P, B, H)
    y = h if g is None else np.empty_like(h)  # f(z_t); the same array as h when h_t = f(z_t)
    h_prev = matmul_operand(h0, xw.shape[1:])  # (*P, B, H), or a matrix that broadcasts to it
    # From a zero state, W_hh h_0 = 0 and z_1 is the input drive alone: the product is left out
    # (16 networks at T=5, B=20, H=30: a fifth of the forward pass's products).
    zero_start = np.count_nonzero(h0) == 0  # NaN counts as nonzero; 0.5-0.7 us, np.any 2.5-3.7 (B=20, H=30)
    in_place = isinstance(act.value, np.ufunc)  # np.tanh writes f(z_t) over z_t without a copy
    for t in range(T):
        if t or not zero_start:
            np.add(xw[t], h_prev @ W_hh_T, out=y[t])  # z_t = W_xh x_t + b_h + W_hh h_{t-1}
        else:
            y[t] = xw[t]  # z_1 = W_xh x_1 + b_h
        if in_place:
            act.value(y[t], out=y[t])  # f(z_t)
        else:
            y[t] = act.value(y[t])
        if g is not None:
            h[t] = h_prev + g[t] * (y[t] - h_prev)  # h_t = h_{t-1} + g_t (f(z_t) - h_{t-1})
        h_prev = h[t]
    cache = {"x": x, "h0": h0, "p": p, "h": h, "y": y, "g": g, "act": act, "zero_start": zero_start}
    return h, cache


def backward(dh, cache, truncate=None, return_state_grads=False, input_grads=True):
    """BPTT. dh: (T, *P, B, H) = dLoss/dh_t from the loss at every step.

    truncate=k: the error injected at step s flows back through at most k steps: it
    reaches z_s, ..., z_{s-k+1} and stops before h_{s-k} (Williams & Peng's BPTT(k);
    k = 1 means no gradient through the recurrence at all).

    Returns (dx, dh0, dp), shaped like x, h0 and p. With return_state_grads=True a fourth
    item is the total dL/dh_t for every step, (T, *P, B, H): see state_grad_norms.
    input_grads=False skips dx (returned as None), for inputs that are data, not trained:
    measured on the char lab's step for 16 networks (T=25, B=32, H=64, 27 inputs shared by
    the population), skipping dx and its sum over the networks saved 3-9 % of the step.
    """
    h, y, g, act = cache["h"], cache["y"], cache["g"], cache["act"]
    x, h0, p = cache["x"], cache["h0"], cache["p"]
    dh = as_float(dh, "dh")
    require(dh.shape == h.shape, "dh has shape {}; expected the states' shape {}", dh.shape, h.shape)
    W_hh = p["W_hh"]
    fprime = act.derivative_from_output(y)  # (T, *P, B, H): f'(z_t), all steps at once
    dz_gain = fprime if g is None else g * fprime  # dh_t -> dz_t factor, g_t f'(z_t)
    kept = None if g is None else 1.0 - g  # the part of dh_t that skips the step, (1 - g_t), all steps at once
    if truncate is None:
        dz, dh_total, dh0 = _bptt_full(dh, dz_gain, kept, W_hh)
    else:
        require(int(truncate) == truncate and truncate >= 1,
                "truncate must be a positive whole number of steps; got {}", truncate)
        dz, dh_total, dh0 = _bptt_truncated(dh, dz_gain, kept, W_hh, int(truncate))
    dp = {
        "W_xh": outer_sum(dz, x, p["W_xh"].shape),  # sum_t dz_t x_t^T       (*P, H, D)
        "W_hh": _recurrent_weight_grad(dz, h, h0, W_hh.shape, cache.get("zero_start", False)),  # (*P, H, H)
        "b_h": bias_grad(dz, p["b_h"].shape),  # sum_t,b dz_t             (*P, H)
    }
    dx = sum_to_shape(dz @ p["W_xh"], x.shape) if input_grads else None  # W_xh^T dz_t   (T, *P, B, D)
    dh0 = sum_to_shape(dh0, h0.shape)  # h0's own shape: (*P, B, H), or () for h0 = 0.0
    if return_state_grads:
        return dx, dh0, dp, dh_total
    return dx, dh0, dp


def _recurrent_weight_grad(dz, h, h0, shape, zero_start):
    """dW_hh = sum_t dz_t h_{t-1}^T  (*P, H, H). From a zero state the t = 1 term is 0, and
    0 + a = a exactly, so leaving it out (and the copy of h_0 in front of the states) gives
    the same bits: outer_sum adds the per-step products in time order either way."""
    if zero_start:
        return outer_sum(dz[1:], h[:-1], shape)  # T = 1: no terms left, zeros
    h_prev = np.concatenate([np.broadcast_to(h0, h.shape[1:])[None], h[:-1]])  # (T, *P, B, H)
    return outer_sum(dz, h_prev, shape)


def _bptt_full(dh, dz_gain, kept, W_hh):
    """Full BPTT. Returns dz (T, *P, B, H), the total dL/dh_t (T, *P, B, H), and dL/dh0."""
    dz = np.empty_like(dh)
    dh_total = np.empty_like(dh)
    carry = np.zeros((), dtype=dh.dtype)  # dL/dh_t arriving from step t+1 (*P, B, H); none into the last step
    for t in reversed(range(dh.shape[0])):
        np.add(dh[t], carry, out=dh_total[t])  # total dL/dh_t
        np.multiply(dh_total[t], dz_gain[t], out=dz[t])  # dz_t = g_t f'(z_t) dh_t
        carry = dz[t] @ W_hh  # W_hh^T dz_t                   (*P, B, H)
        if kept is not None:
            carry += kept[t] * dh_total[t]  # leak / masked carry-over: (1 - g_t) dh_t
    return dz, dh_total, carry if len(dh) else np.zeros(dh.shape[1:], dtype=dh.dtype)  # T = 0: dL/dh0 = 0


def _bptt_truncated(dh, dz_gain, kept, W_hh, k):
    """BPTT(k). The gradient at h_t is kept as a stack by age: ages[j] is the part that
    was injected j steps later (at h_{t+j}). The whole stack moves back one step with one
    batched matmul, and the oldest age (j = k-1) is dropped instead of moved."""
    T = dh.shape[0]
    dz = np.empty_like(dh)
    dh_total = np.empty_like(dh)
    ages = np.zeros((k,) + dh.shape[1:], dtype=dh.dtype)  # (k, *P, B, H)
    moved = np.zeros_like(ages[:-1])  # ages 0..k-2 moved back from step t+1   (k-1, *P, B, H)
    for t in reversed(range(T)):
        ages[1:] = moved
        ages[0] = dh[t]
        ages.sum(axis=0, out=dh_total[t])  # total (truncated) dL/dh_t
        dz_by_age = ages * dz_gain[t]  # (k, *P, B, H)
        dz_by_age.sum(axis=0, out=dz[t])
        moved = dz_by_age[:-1] @ W_hh  # W_hh^T dz_t, ages that survive one more step
        if kept is not None:
            moved += kept[t] * ages[:-1]  # (1 - g_t) of each age
    return dz, dh_total, moved.sum(axis=0)  # dL/dh0 (zero when k = 1)


def state_grad_norms(dh_total):
    """||dL/dh_t|| per step and network: (T, *P, B, H) -> (T, *P), the norm over batch and
    units. Feed it the fourth output of backward(..., return_state_grads=True)."""
    return np.sqrt(np.square(dh_total).sum(axis=(-2, -1)))
