"""LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000),
written by hand. Gate order i, f, g, o, as in PyTorch, so one can be checked against the other.

Shapes (see _shapes.py): T steps, P population, B batch, D input, H hidden.
    x   (T, *P, B, D)      h0, c0  (*P, B, H) or anything that broadcasts to it (0.0, (H,), ...)
    h, c  (T, *P, B, H)
    p   {"W_x": (*P, 4H, D), "W_h": (*P, 4H, H), "b": (*P, 4H)}   rows: [i; f; g; o]
        Population axes of weights and x broadcast (see _validate): weights without
        population axes, or with an axis of 1, are shared by the networks along it (one
        trained network run on many inputs at once); their gradients are summed over it.
    mask (T, B) or (T, *P, B) of 0/1: where 0, h and c are carried over unchanged
    steps: with x of shape (1, *P, B, D), the same input held for this many steps (a label
        fed at every step): its drive W_x x + b is computed once, and backward returns dx
        of shape (1, ...), the sum over the steps. Measured at T=60, 13 sequences, D=100,
        H=100: the input drive 1.7 ms -> 0.04 ms, dx 2.2 ms -> 0.12 ms.
Integer and bool inputs are computed in float64; float32 stays float32 (see _shapes.py).

Forward, for t = 1..T:
    a_t = W_x x_t + W_h h_{t-1} + b               (*P, B, 4H) pre-activations
    i = sigma(a_i)   f = sigma(a_f)   g = tanh(a_g)   o = sigma(a_o)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Backward, with dh_t and dc_t the total gradients at step t:
    do = dh_t * tanh(c_t)
    dc = dc_t + dh_t * o * (1 - tanh(c_t)^2)
    di = dc * g     dg = dc * i     df = dc * c_{t-1}     dc_{t-1} = dc * f
    da = [di i(1-i), df f(1-f), dg (1-g^2), do o(1-o)]
    dh_{t-1} = W_h^T da;   dW_x = sum_t da x_t^T;   dW_h = sum_t da h_{t-1}^T;   db = sum_t da
"""

import numpy as np

from . import init
from .activations import sigmoid
from ._shapes import (add_bias, as_float, bias_grad, broadcasts_to, check_input_weight, check_weight, expand_mask,
                      float_params, matmul_operand, outer_sum, require, sum_to_shape, transposed)

KEYS = ("W_x", "W_h", "b")

# A population of K networks (one population axis) runs as one batch only while a group's
# gate array, (T, g, B, 4H), fits in GROUP_BYTES; larger populations run g networks at a time.
# Every network's arithmetic is the same either way (the tests check equality to the bit).
# Measured on the 2-core AMD EPYC, one training step of 16 LSTMs at T=25, B=32, H=64 (float64,
# 1.6 MB of gates per network; bench.make_trainer's step, the group sizes set through
# GROUP_BYTES and timed in turns with speed.median_times), two runs: groups of 16 took 80
# and 73 ms, of 8 81 and 77, of 4 76 and 74, of 2 74 and 68, one by one 75 and 71. Two is the
# fastest by 2-4 %, inside the run-to-run spread. At T=5, B=20, H=30 (96 KB per network)
# the whole population runs at once.
GROUP_BYTES = 4 << 20


def population_shape(p):
    """The population shape P of an LSTM parameter dict."""
    return np.shape(p["W_h"])[:-2]


def init_params(rng, D, H, population=(), forget_bias=1.0, recurrent="orthogonal", dtype=np.float64):
    """Fresh parameters: W_x Xavier-uniform, each gate's block of W_h from `recurrent`
    (orthogonal per gate by default), b = 0 except the forget-gate bias = forget_bias
    (1.0 lets the cell remember by default early in training; 0 gives the plain LSTM).
    dtype: as in rnn.init_params (drawn in float64, then rounded)."""
    W_h = np.concatenate([init.initialize(recurrent, rng, (H, H), population=population) for _ in range(4)],
                         axis=-2)
    b = np.zeros((*population, 4 * H))
    b[..., H:2 * H] = forget_bias
    params = {"W_x": init.xavier(rng, (4 * H, D), population=population), "W_h": W_h, "b": b}
    return {k: v.astype(dtype, copy=False) for k, v in params.items()}


def _validate(x, h0, c0, p):
    """Check shapes; return (P, H). The weights' population axes and x's broadcast against
    each other: an axis of 1 on either side is shared (x (T, 1, B, D) feeds every network
    the same inputs; W_h (K, 1, 4H, H) with x (T, K, S, B, D) runs network k on S inputs),
    and weights without population axes are one network shared by the whole population."""
    require("W_h" in p, "LSTM parameters need 'W_h'; got keys {}", sorted(p))
    W_h = np.asarray(p["W_h"])
    require(W_h.ndim >= 2 and W_h.shape[-2] == 4 * W_h.shape[-1],
            "W_h must have shape (*P, 4H, H); got {}", W_h.shape)
    weight_pop, H = W_h.shape[:-2], W_h.shape[-1]
    x_pop = x.shape[1:-2]
    require(x.ndim == 3 + len(weight_pop) or (weight_pop == () and x.ndim > 3),
            "x must have shape (T, *P, B, D) with P = {}; got {}", weight_pop, x.shape)
    check_input_weight(p, "W_x", weight_pop, 4 * H, x, "x", "input features", "D")  # W_x (*P, 4H, D), x (..., D)
    check_weight(p, "b", weight_pop, (4 * H,))
    require(weight_pop == () or all(1 in (a, b) or a == b for a, b in zip(x_pop, weight_pop)),
            "x population axes {} do not match the weights' {}", x_pop, weight_pop)
    pop = x_pop if weight_pop == () else tuple(max(a, b) for a, b in zip(x_pop, weight_pop))
    state = (*pop, x.shape[-2], H)
    for name, s in (("h0", h0), ("c0", c0)):
        shape = np.shape(s)
        require(broadcasts_to(shape, state), "{} has shape {}; expected (*P, B, H) = {}", name, shape, state)
    return pop, H


def forward(x, h0, c0, p, mask=None, steps=None):
    """Run the LSTM over all T steps (T = steps for a held input, see the module docstring).
    Returns (h, c, cache); h, c: (T, *P, B, H)."""
    x, p = as_float(x, "x"), float_params(p, KEYS)  # p is a converted copy only for non-float weights
    pop, H = _validate(x, h0, c0, p)
    held = steps is not None
    require(not held or (x.shape[0] == 1 and int(steps) == steps and steps >= 1),
            "a held input needs x of shape (1, *P, B, D) and steps >= 1; got x {} and steps={}", x.shape, steps)
    if pop and p["W_h"].ndim == 2:
        return _forward_shared(x, h0, c0, p, mask, pop, H, steps)
    T, B = (int(steps) if held else x.shape[0]), x.shape[-2]
    if len(pop) == 1 and p["W_h"].ndim == 3 and pop[0] > group_size(T, B, H, x.dtype.itemsize):
        return _forward_grouped(x, h0, c0, p, mask, steps, group_size(T, B, H, x.dtype.itemsize))
    W_h_T = transposed(p["W_h"])  # (*P, H, 4H); a contiguous copy multiplies 2x faster than .mT
    xw = add_bias(x @ transposed(p["W_x"]), p["b"])  # (T or 1, *P, B, 4H): input drive, all steps at once
    xw = np.broadcast_to(xw, (T,) + xw.shape[1:])  # a held input: one drive for every step (a view)
    h0, c0 = as_float(h0, "h0", xw.dtype), as_float(c0, "c0", xw.dtype)  # (*P, B, H) or broadcastable
    m = None if mask is None else expand_mask(mask, T, pop, B).astype(xw.dtype)  # (T, *P', B, 1)
    gates = np.empty(xw.shape, dtype=xw.dtype)  # (T, *P, B, 4H): i, f, g, o after their nonlinearities
    state_shape = xw.shape[:-1] + (H,)
    h = np.empty(state_shape, dtype=xw.dtype)  # (T, *P, B, H)
    c = np.empty(state_shape, dtype=xw.dtype)
    tanh_c = np.empty(state_shape, dtype=xw.dtype)  # tanh(c_t) before masking
    h_prev, c_prev = matmul_operand(h0, state_shape[1:]), c0  # h_prev feeds a matmul: (..., B, H)
    for t in range(T):
        a = xw[t] + h_prev @ W_h_T  # a_t = W_x x_t + W_h h_{t-1} + b   (*P, B, 4H)
        gt = gates[t]
        gt[...] = sigmoid.value(a)  # i, f, o (the g slot is overwritten next)
        np.tanh(a[..., 2 * H:3 * H], out=gt[..., 2 * H:3 * H])  # g = tanh(a_g)
        i, f, g, o = gt[..., :H], gt[..., H:2 * H], gt[..., 2 * H:3 * H], gt[..., 3 * H:]
        c_new = f * c_prev + i * g  # c_t = f c_{t-1} + i g
        np.tanh(c_new, out=tanh_c[t])
        h_new = o * tanh_c[t]  # h_t = o tanh(c_t)
        if m is None:
            c[t], h[t] = c_new, h_new
        else:  # carry the old state where m_t = 0
            c[t] = c_prev + m[t] * (c_new - c_prev)
            h[t] = h_prev + m[t] * (h_new - h_prev)
        h_prev, c_prev = h[t], c[t]
    cache = {"x": x, "h0": h0, "c0": c0, "p": p, "h": h, "c": c, "gates": gates,
             "tanh_c": tanh_c, "m": m, "held": held}
    return h, c, cache


def group_size(T, B, H, itemsize):
    """How many networks of a population run as one batch (see GROUP_BYTES)."""
    return max(1, GROUP_BYTES // (T * B * 4 * H * itemsize))


def _members(a, members, K, axis):
    """The part of `a` that belongs to the networks `members` (a slice), `axis` (negative,
    counted from the end) being its population axis: a sliced there if that axis holds all K
    networks, else a itself (shared by every network: an axis of 1, or none)."""
    if a is None or np.ndim(a) < -axis or np.shape(a)[axis] != K:
        return a
    return a[(Ellipsis, members) + (slice(None),) * (-axis - 1)]


def _forward_grouped(x, h0, c0, p, mask, steps, g):
    """A population of K networks (weights (K, ...)) run g networks at a time; h and c
    are joined again along the population axis."""
    K = p["W_h"].shape[0]
    groups = [slice(s, min(s + g, K)) for s in range(0, K, g)]
    mask_axis = -2 if np.ndim(mask) == 3 else -3  # (T, K, B) per network; (T, B) is shared
    parts = [forward(_members(x, m, K, -3), _members(h0, m, K, -3), _members(c0, m, K, -3),
                     {k: p[k][m] for k in KEYS}, _members(mask, m, K, mask_axis), steps)  # only the LSTM's weights
             for m in groups]
    h = np.concatenate([part[0] for part in parts], axis=1)  # (T, K, B, H)
    c = np.concatenate([part[1] for part in parts], axis=1)
    cache = {"groups": groups, "caches": [part[2] for part in parts], "K": K, "h_shape": h.shape,
             "x_shape": x.shape, "h0_shape": np.shape(h0), "c0_shape": np.shape(c0)}
    return h, c, cache


def _joined(parts, shape, K, axis):
    """Gradients of the groups -> the gradient of an operand of `shape`: joined along the
    population axis if the operand had one per network, else summed (it was shared)."""
    if len(shape) >= -axis and shape[axis] == K:
        return np.concatenate(parts, axis=axis)
    return sum(parts[1:], parts[0])


def _backward_grouped(dh, cache, param_grads, input_grads):
    """backward for _forward_grouped, group by group."""
    K = cache["K"]
    require(dh.shape == cache["h_shape"], "dh has shape {}; expected the states' shape {}", dh.shape, cache["h_shape"])
    outs = [backward(dh[:, m], inner, param_grads, input_grads) for m, inner in zip(cache["groups"], cache["caches"])]
    dx = _joined([o[0] for o in outs], cache["x_shape"], K, -3) if input_grads else None
    dh0, dc0 = (_joined([o[j] for o in outs], shape, K, -3) for j, shape in ((1, cache["h0_shape"]), (2, cache["c0_shape"])))
    dp = None if not param_grads else {k: np.concatenate([o[3][k] for o in outs]) for k in outs[0][3]}
    return dx, dh0, dc0, dp


def _forward_shared(x, h0, c0, p, mask, pop, H, steps=None):
    """One network (weights without population axes) run on a population of inputs: for it
    the population is only more batch, so (T, *P, B, D) is folded into (T, P*B, D) and run as
    one batch. Measured (13 members of one sequence each, T=60, H=100, forward + backward):
    140 ms unfolded (P small matmuls per step), 14 ms folded."""
    T, B = (x.shape[0] if steps is None else int(steps)), x.shape[-2]
    state = (*pop, B, H)
    n = int(np.prod(state[:-1]))  # P * B sequences

    def fold(a, shape):  # broadcast a to shape (..., *P, B, F), then merge *P and B
        return np.broadcast_to(a, shape).reshape(shape[:-len(state)] + (n, shape[-1]))

    h0, c0 = as_float(h0, "h0", x.dtype), as_float(c0, "c0", x.dtype)
    m = None if mask is None else fold(expand_mask(mask, T, pop, B), (T, *state[:-1], 1))[..., 0]  # (T, P*B)
    h, c, inner = forward(fold(x, x.shape), fold(h0, state), fold(c0, state), p, m, steps)  # (T, P*B, H)
    cache = {"folded": inner, "x_shape": x.shape, "h0_shape": h0.shape, "c0_shape": c0.shape, "state": state}
    return h.reshape((T, *state)), c.reshape((T, *state)), cache


def _backward_shared(dh, cache, param_grads, input_grads):
    """backward for _forward_shared: unfold the gradients; the weights' are already summed."""
    state = cache["state"]
    dx, dh0, dc0, dp = backward(dh.reshape((dh.shape[0], -1, state[-1])), cache["folded"], param_grads, input_grads)
    return (dx.reshape(cache["x_shape"]) if input_grads else None, sum_to_shape(dh0.reshape(state), cache["h0_shape"]),
            sum_to_shape(dc0.reshape(state), cache["c0_shape"]), dp)


def backward(dh, cache, param_grads=True, input_grads=True):
    """BPTT through the LSTM. dh: (T, *P, B, H) = dLoss/dh_t from the loss at every step.
    Returns (dx, dh0, dc0, dp), shaped like x, h0, c0 and p. param_grads=False skips the
    weight gradients (dp is then None): a frozen network that only passes gradients on to
    its inputs (measured: a quarter of forward + backward at T=60, B=64, H=100).
    input_grads=False skips dx (then None), for inputs that are data, not trained."""
    if "folded" in cache:
        return _backward_shared(dh, cache, param_grads, input_grads)
    if "groups" in cache:
        return _backward_grouped(as_float(dh, "dh"), cache, param_grads, input_grads)
    x, h0, c0, p = cache["x"], cache["h0"], cache["c0"], cache["p"]
    h, c, gates, tanh_c, m = cache["h"], cache["c"], cache["gates"], cache["tanh_c"], cache["m"]
    dh = as_float(dh, "dh")
    require(dh.shape == h.shape, "dh has shape {}; expected the states' shape {}", dh.shape, h.shape)
    T, H = h.shape[0], h.shape[-1]
    W_h = p["W_h"]
    # d gate / d pre-activation for all steps at once: s(1-s) for i, f, o and 1-g^2 for g.
    gate_slope = gates * (1.0 - gates)  # (T, *P, B, 4H)
    gate_slope[..., 2 * H:3 * H] = 1.0 - np.square(gates[..., 2 * H:3 * H])
    c_prev_all = np.concatenate([np.broadcast_to(c0, c.shape[1:])[None], c[:-1]])  # (T, *P, B, H)
    h_prev_all = np.concatenate([np.broadcast_to(h0, h.shape[1:])[None], h[:-1]])
    da = np.empty_like(gates)  # dL/da_t                      (T, *P, B, 4H)
    dh_next = np.zeros_like(h[0])  # dL/dh_t from step t+1    (*P, B, H)
    dc_next = np.zeros_like(c[0])  # dL/dc_t from step t+1
    for t in reversed(range(T)):
        dh_t = dh[t] + dh_next
        dc_t = dc_next
        if m is not None:  # only the m_t part reaches the new state; the rest skips the step
            dh_new, dc_new = m[t] * dh_t, m[t] * dc_t
        else:
            dh_new, dc_new = dh_t, dc_t
        gt = gates[t]
        i, f, g, o = gt[..., :H], gt[..., H:2 * H], gt[..., 2 * H:3 * H], gt[..., 3 * H:]
        dc = dc_new + dh_new * o * (1.0 - np.square(tanh_c[t]))  # (*P, B, H)
        dgate = da[t]  # dL/d(i, f, g, o), then times the slope -> dL/da_t
        np.multiply(dc, g, out=dgate[..., :H])  # di = dc g
        np.multiply(dc, c_prev_all[t], out=dgate[..., H:2 * H])  # df = dc c_{t-1}
        np.multiply(dc, i, out=dgate[..., 2 * H:3 * H])  # dg = dc i
        np.multiply(dh_new, tanh_c[t], out=dgate[..., 3 * H:])  # do = dh tanh(c_t)
        dgate *= gate_slope[t]
        dh_next = da[t] @ W_h  # W_h^T da_t                   (*P, B, H)
        dc_next = dc * f  # dc_{t-1} = dc f
        if m is not None:
            dh_next += dh_t - dh_new  # (1 - m_t) dh_t
            dc_next += dc_t - dc_new
    da_x = da.sum(axis=0, keepdims=True) if cache["held"] else da  # held x_t = x: sum_t da_t x^T = (sum_t da_t) x^T
    dp = None if not param_grads else {
        "W_x": outer_sum(da_x, x, p["W_x"].shape),  # sum_t da_t x_t^T      (*P, 4H, D)
        "W_h": outer_sum(da, h_prev_all, W_h.shape),  # sum_t da_t h_{t-1}^T (*P, 4H, H)
        "b": bias_grad(da, p["b"].shape),  # (*P, 4H)
    }
    dx = sum_to_shape(da_x @ p["W_x"], x.shape) if input_grads else None  # (T or 1, *P, B, D)
    return dx, sum_to_shape(dh_next, h0.shape), sum_to_shape(dc_next, c0.shape), dp  # h0's, c0's own shapes
