"""Every backward pass against central finite differences (float64, relative error < 1e-6).

Each layer is checked through the scalar L = sum(R * output) with a fixed random R, so
dL/doutput = R is what we feed the backward pass; inputs and initial states are checked
alongside the weights.
"""

import numpy as np
import pytest

from conftest import B, D, H, O, T, record_and_assert
from rnn_numpy import _shapes, gradcheck, losses, lstm, readout, rnn


def random_mask(rng, pop):
    """A (T, B) or (T, *P, B) padding mask: sequence b is valid for its first len_b steps."""
    lengths = rng.integers(2, T + 1, size=pop + (B,))
    lengths[..., 0] = T  # at least one full-length sequence
    return (np.arange(T).reshape((T,) + (1,) * (len(pop) + 1)) < lengths).astype(float)


def rnn_problem(rng, pop):
    p = rnn.init_params(rng, D, H, pop, gain=1.2)
    p["b_h"] = 0.3 * rng.standard_normal(p["b_h"].shape)
    return p, rng.standard_normal((T, *pop, B, D)), rng.standard_normal((*pop, B, H))


def truncated_surrogate(q, act, leak, mask, R, k, h_base, h0_fixed):
    """The loss whose true gradient truncated BPTT(k) computes: the term R_s . h_s is
    recomputed by running steps s-k+1..s from the state h_{s-k}, held fixed at its
    unperturbed value (h_base[s-k], or h0 itself when s-k = -1). Only when the window
    reaches past the start (s-k < -1) does the term see the variable h0."""
    total = 0.0
    for s in range(T):
        start = s - k + 1
        if start < 0:
            start, h_start = 0, q["h0"]
        else:
            h_start = h_base[start - 1] if start > 0 else h0_fixed
        m = None if mask is None else mask[start:s + 1]
        h, _ = rnn.forward(q["x"][start:s + 1], h_start, q, act, leak, m)
        total += float((R[s] * h[-1]).sum())
    return total


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "identity"])
@pytest.mark.parametrize("leak", [1.0, 0.2])
@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
@pytest.mark.parametrize("truncate", [None, 2], ids=["full", "trunc2"])
def test_rnn_backward(rng, pop, activation, leak, masked, truncate):
    check_rnn_backward(rng, pop, activation, leak, masked, truncate)


def check_rnn_backward(rng, pop, activation, leak, masked, truncate, label="rnn"):
    p, x, h0 = rnn_problem(rng, pop)
    mask = random_mask(rng, pop) if masked else None
    h, cache = rnn.forward(x, h0, p, activation, leak, mask)
    R = rng.standard_normal(h.shape)
    dx, dh0, dp = rnn.backward(R, cache, truncate=truncate)

    if truncate is None:
        def loss(q):
            return float((R * rnn.forward(q["x"], q["h0"], q, activation, leak, mask)[0]).sum())
    else:
        h0_fixed = h0.copy()  # the unperturbed h0, for windows that start exactly at it

        def loss(q):
            return truncated_surrogate(q, activation, leak, mask, R, truncate, h, h0_fixed)

    errors = gradcheck.check_gradients(loss, {**p, "x": x, "h0": h0}, {**dp, "x": dx, "h0": dh0})
    record_and_assert(errors, f"{label} {activation} leak={leak} mask={masked} truncate={truncate} P={pop}")


def test_long_truncation_is_full_bptt(rng):
    """k = T already gives the full weight gradients; h0 sits one step further back, so
    its gradient is complete from k = T + 1 on."""
    p, x, h0 = rnn_problem(rng, ())
    h, cache = rnn.forward(x, h0, p)
    R = rng.standard_normal(h.shape)
    full = rnn.backward(R, cache)
    for k in (T, T + 1, T + 3):
        cut = rnn.backward(R, cache, truncate=k)
        for key in ("W_hh", "W_xh", "b_h"):
            np.testing.assert_allclose(cut[2][key], full[2][key], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(cut[0], full[0], rtol=1e-12, atol=1e-14)
        if k > T:
            np.testing.assert_allclose(cut[1], full[1], rtol=1e-12, atol=1e-14)
    # and a short window really does cut something
    assert not np.allclose(rnn.backward(R, cache, truncate=1)[2]["W_hh"], full[2]["W_hh"])


@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
def test_lstm_backward(rng, pop, masked):
    check_lstm_backward(rng, pop, masked)


def check_lstm_backward(rng, pop, masked, label="lstm"):
    p = lstm.init_params(rng, D, H, pop)
    p["b"] += 0.3 * rng.standard_normal(p["b"].shape)
    x = rng.standard_normal((T, *pop, B, D))
    h0, c0 = rng.standard_normal((2, *pop, B, H))
    mask = random_mask(rng, pop) if masked else None
    h, c, cache = lstm.forward(x, h0, c0, p, mask)
    R = rng.standard_normal(h.shape)
    dx, dh0, dc0, dp = lstm.backward(R, cache)

    def loss(q):
        return float((R * lstm.forward(q["x"], q["h0"], q["c0"], q, mask)[0]).sum())

    errors = gradcheck.check_gradients(
        loss, {**p, "x": x, "h0": h0, "c0": c0}, {**dp, "x": dx, "h0": dh0, "c0": dc0})
    record_and_assert(errors, f"{label} mask={masked} P={pop}")


@pytest.mark.parametrize("weight_pop, x_pop", [((), (3,)), ((3, 1), (3, 2))], ids=["()x(3,)", "(3,1)x(3,2)"])
def test_lstm_backward_with_weights_shared_by_a_population(rng, weight_pop, x_pop):
    """Weights without population axes (or with an axis of 1) shared by several inputs."""
    p = lstm.init_params(rng, D, H, weight_pop)
    p["b"] += 0.3 * rng.standard_normal(p["b"].shape)
    x = rng.standard_normal((T, *x_pop, B, D))
    h0, c0 = rng.standard_normal((2, *x_pop, B, H))
    h, c, cache = lstm.forward(x, h0, c0, p)
    assert h.shape == (T, *x_pop, B, H)
    R = rng.standard_normal(h.shape)
    dx, dh0, dc0, dp = lstm.backward(R, cache)

    def loss(q):
        return float((R * lstm.forward(q["x"], q["h0"], q["c0"], q)[0]).sum())

    errors = gradcheck.check_gradients(
        loss, {**p, "x": x, "h0": h0, "c0": c0}, {**dp, "x": dx, "h0": dh0, "c0": dc0})
    record_and_assert(errors, f"lstm shared weights {weight_pop} x {x_pop}")


@pytest.mark.parametrize("weight_pop, x_pop, masked", [((), (), True), ((), (3,), False), ((3,), (3,), True)],
                         ids=["one network, mask", "shared weights", "population"])
def test_lstm_held_input(rng, weight_pop, x_pop, masked):
    """steps=T with x (1, *P, B, D): the same input at every step. It equals x repeated T times
    (forward, and dx = the sum over steps of the repeated input's dx), and its gradients pass
    the finite-difference check."""
    p = lstm.init_params(rng, D, H, weight_pop)
    p["b"] += 0.3 * rng.standard_normal(p["b"].shape)
    x = rng.standard_normal((1, *x_pop, B, D))
    h0, c0 = rng.standard_normal((2, *x_pop, B, H))
    mask = random_mask(rng, x_pop) if masked else None
    h, c, cache = lstm.forward(x, h0, c0, p, mask, steps=T)
    assert h.shape == (T, *x_pop, B, H)
    h_rep, _, cache_rep = lstm.forward(np.repeat(x, T, axis=0), h0, c0, p, mask)
    np.testing.assert_allclose(h, h_rep, rtol=0, atol=1e-14)
    R = rng.standard_normal(h.shape)
    dx, dh0, dc0, dp = lstm.backward(R, cache)
    dx_rep, _, _, dp_rep = lstm.backward(R, cache_rep)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, dx_rep.sum(axis=0, keepdims=True), rtol=1e-12, atol=1e-13)
    for key in lstm.KEYS:
        np.testing.assert_allclose(dp[key], dp_rep[key], rtol=1e-12, atol=1e-13, err_msg=key)

    def loss(q):
        return float((R * lstm.forward(q["x"], q["h0"], q["c0"], q, mask, steps=T)[0]).sum())

    errors = gradcheck.check_gradients(
        loss, {**p, "x": x, "h0": h0, "c0": c0}, {**dp, "x": dx, "h0": dh0, "c0": dc0})
    record_and_assert(errors, f"lstm held input {weight_pop} x {x_pop}")


def test_lstm_held_input_needs_one_step_of_input(rng):
    p = lstm.init_params(rng, D, H)
    with pytest.raises(ValueError, match="held input needs x of shape"):
        lstm.forward(rng.standard_normal((T, B, D)), 0.0, 0.0, p, steps=T)
    with pytest.raises(ValueError, match="held input needs x of shape"):
        lstm.forward(rng.standard_normal((1, B, D)), 0.0, 0.0, p, steps=0)


@pytest.mark.parametrize("time_axis", [True, False], ids=["(T,*P,B,H)", "(*P,B,H)"])
def test_readout_backward(rng, pop, time_axis):
    check_readout_backward(rng, pop, time_axis)


def test_readout_as_a_dense_layer_under_other_names(rng):
    """names=("W_d", "b_d"): the same layer, its weights read and returned under those keys."""
    p = readout.init_params(rng, H, O, (3,))
    p["b_y"] = rng.standard_normal(p["b_y"].shape)
    dense = {"W_d": p["W_hy"], "b_d": p["b_y"]}
    h = rng.standard_normal((3, B, H))
    y, cache = readout.forward(h, dense, names=("W_d", "b_d"))
    np.testing.assert_array_equal(y, readout.forward(h, p)[0])
    R = rng.standard_normal(y.shape)
    dh, dp = readout.backward(R, cache)
    assert sorted(dp) == ["W_d", "b_d"]

    def loss(q):
        return float((R * readout.forward(q["h"], q, names=("W_d", "b_d"))[0]).sum())

    errors = gradcheck.check_gradients(loss, {**dense, "h": h}, {**dp, "h": dh})
    record_and_assert(errors, "dense layer (readout under other names)")


def check_readout_backward(rng, pop, time_axis, label="readout"):
    p = readout.init_params(rng, H, O, pop)
    p["b_y"] = rng.standard_normal(p["b_y"].shape)
    h = rng.standard_normal(((T,) if time_axis else ()) + (*pop, B, H))
    y, cache = readout.forward(h, p)
    assert y.shape == h.shape[:-1] + (O,)
    R = rng.standard_normal(y.shape)
    dh, dp = readout.backward(R, cache)

    def loss(q):
        return float((R * readout.forward(q["h"], q)[0]).sum())

    record_and_assert(gradcheck.check_gradients(loss, {**p, "h": h}, {**dp, "h": dh}),
                      f"{label} time={time_axis} P={pop}")


# --- outer_sum's step-by-step branch ----------------------------------------------------------
# Weight gradients sum_t a_t^T b_t are one stacked matmul while the stacked products take at
# most _shapes.OUTER_SUM_STACK_LIMIT_BYTES (1 MB), and are accumulated one step at a time
# above it. No test size comes near 1 MB, so these tests set the limit to 0.

def outer_sum_by_einsum(a, b, shape):
    """The reference: sum over time (if any), batch and broadcast population axes of a^T b."""
    full = np.einsum("...bo,...bh->...oh", a, b)  # ([T,] *P, O, H)
    return _shapes.sum_to_shape(full, shape)


@pytest.mark.parametrize("case", ["T,P,B", "T,B", "T,P,B shared b", "P,B (no time)"])
def test_outer_sum_branches_agree(case, monkeypatch):
    """Both branches against each other and against einsum, to 1e-12. (Without a time axis
    there is one product and both settings take the stacked path: a check of that path.)"""
    rng = np.random.default_rng(0)
    pop = () if case == "T,B" else (3,)
    a_shape = ((T,) if "no time" not in case else ()) + pop + (B, O)
    b_shape = a_shape[:-1] + (H,)
    if "shared" in case:  # inputs shared by the population: x (T, 1, B, D)
        b_shape = (T, 1, B, H)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    shape = pop + (O, H)
    stacked = _shapes.outer_sum(a, b, shape)
    monkeypatch.setattr(_shapes, "OUTER_SUM_STACK_LIMIT_BYTES", 0)
    by_step = _shapes.outer_sum(a, b, shape)
    assert stacked.shape == by_step.shape == shape
    np.testing.assert_allclose(by_step, stacked, rtol=0, atol=1e-12)
    np.testing.assert_allclose(stacked, outer_sum_by_einsum(a, b, shape), rtol=0, atol=1e-12)


@pytest.mark.parametrize("truncate", [None, 2], ids=["full", "trunc2"])
def test_rnn_backward_step_by_step_outer_sum(rng, pop, truncate, monkeypatch):
    monkeypatch.setattr(_shapes, "OUTER_SUM_STACK_LIMIT_BYTES", 0)
    check_rnn_backward(rng, pop, "tanh", 0.2, True, truncate, label="rnn (step-by-step outer_sum)")


def test_lstm_backward_step_by_step_outer_sum(rng, pop, monkeypatch):
    monkeypatch.setattr(_shapes, "OUTER_SUM_STACK_LIMIT_BYTES", 0)
    check_lstm_backward(rng, pop, True, label="lstm (step-by-step outer_sum)")


def test_readout_backward_step_by_step_outer_sum(rng, pop, monkeypatch):
    monkeypatch.setattr(_shapes, "OUTER_SUM_STACK_LIMIT_BYTES", 0)
    check_readout_backward(rng, pop, True, label="readout (step-by-step outer_sum)")


@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
def test_mse_backward(rng, pop, masked):
    y = rng.standard_normal((T, *pop, B, O))
    target = rng.standard_normal((T, 1, B, O) if pop else (T, B, O))  # shared across networks
    mask = random_mask(rng, pop) if masked else None
    loss, dy = losses.mse(y, target, mask)
    assert loss.shape == pop

    def total(q):
        return float(losses.mse(q["y"], target, mask)[0].sum())

    record_and_assert(gradcheck.check_gradients(total, {"y": y}, {"y": dy}), f"mse mask={masked} P={pop}")


@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
def test_cross_entropy_backward(rng, pop, masked):
    logits = 2.0 * rng.standard_normal((T, *pop, B, O))
    targets = rng.integers(0, O, size=(T, *pop, B))
    mask = random_mask(rng, pop) if masked else None
    loss, dy = losses.softmax_cross_entropy(logits, targets, mask)
    assert loss.shape == pop

    def total(q):
        return float(losses.softmax_cross_entropy(q["y"], targets, mask)[0].sum())

    record_and_assert(gradcheck.check_gradients(total, {"y": logits}, {"y": dy}),
                      f"cross-entropy mask={masked} P={pop}")


@pytest.mark.parametrize("masked", [False, True], ids=["nomask", "mask"])
def test_soft_cross_entropy_backward(rng, pop, masked):
    logits = 2.0 * rng.standard_normal((T, *pop, B, O))
    raw = rng.random((T, *pop, B, O))
    probs = raw / raw.sum(axis=-1, keepdims=True)
    mask = random_mask(rng, pop) if masked else None
    loss, dy = losses.soft_cross_entropy(logits, probs, mask)
    assert loss.shape == pop

    def total(q):
        return float(losses.soft_cross_entropy(q["y"], probs, mask)[0].sum())

    record_and_assert(gradcheck.check_gradients(total, {"y": logits}, {"y": dy}),
                      f"soft cross-entropy mask={masked} P={pop}")


def test_soft_cross_entropy_of_one_hot_targets_is_the_integer_version(rng):
    logits = rng.standard_normal((T, B, O))
    targets = rng.integers(0, O, size=(T, B))
    soft = losses.soft_cross_entropy(logits, np.eye(O)[targets])
    hard = losses.softmax_cross_entropy(logits, targets)
    assert np.allclose(soft[0], hard[0]) and np.allclose(soft[1], hard[1])


def test_gradcheck_catches_a_wrong_gradient(rng):
    """The checker itself must fail a backward pass with a small bug (here: b_h grad x 1.01)."""
    p, x, h0 = rnn_problem(rng, ())
    h, cache = rnn.forward(x, h0, p)
    _, _, dp = rnn.backward(np.ones_like(h), cache)
    dp["b_h"] = dp["b_h"] * 1.01
    errors = gradcheck.check_gradients(lambda q: float(rnn.forward(x, h0, q)[0].sum()), p, dp)
    assert errors["b_h"] > 1e-3 and errors["W_hh"] < 1e-6
