"""Initializers, optimizers, clipping, gradient-norm bookkeeping, determinism, bad input."""

import re

import numpy as np
import pytest

from conftest import B, D, H, O, T
from rnn_numpy import _shapes, activations, gradcheck, init, losses, lstm, models, optim, readout, rnn


# --- initializers ---------------------------------------------------------------------------

@pytest.mark.parametrize("gain", [1.0, 0.9, 1.3])
def test_orthogonal_spectral_radius_is_the_gain(gain):
    W = init.orthogonal(np.random.default_rng(0), (H, H), gain=gain, population=(4, 2))
    assert W.shape == (4, 2, H, H)
    np.testing.assert_allclose(init.spectral_radius(W), gain, rtol=0, atol=1e-10)
    np.testing.assert_allclose(W @ W.mT, np.broadcast_to(gain**2 * np.eye(H), W.shape), atol=1e-12)


@pytest.mark.parametrize("shape", [(7, 3), (3, 7)])
def test_orthogonal_rectangular_has_orthonormal_short_side(shape):
    W = init.orthogonal(np.random.default_rng(1), shape)
    small = W.mT @ W if shape[0] > shape[1] else W @ W.mT
    np.testing.assert_allclose(small, np.eye(min(shape)), atol=1e-12)


def test_spectral_radius_known_matrix_per_member():
    W = np.array([[[0.0, 2.0], [-2.0, 0.0]], [[0.5, 0.0], [0.0, -0.25]]])  # eigenvalues +-2i; 0.5, -0.25
    np.testing.assert_allclose(init.spectral_radius(W), [2.0, 0.5])


def test_xavier_bound_and_random_scale():
    rng = np.random.default_rng(2)
    W = init.xavier(rng, (200, 300), population=(2,))
    a = np.sqrt(6 / 500)
    assert np.abs(W).max() <= a and np.abs(W).max() > 0.99 * a
    G = init.random(rng, (400, 500), scale=0.3)
    assert abs(G.std() - 0.3) < 0.005
    U = init.uniform(rng, (100, 100), a=0.125)
    assert np.abs(U).max() <= 0.125 and abs(U.std() - 0.125 / np.sqrt(3)) < 0.003


def test_lstm_forget_bias_option():
    p = lstm.init_params(np.random.default_rng(0), D, H, (3,), forget_bias=2.0)
    assert np.all(p["b"][..., H:2 * H] == 2.0)
    assert np.all(p["b"][..., :H] == 0) and np.all(p["b"][..., 2 * H:] == 0)


def test_same_seed_same_numbers_bit_for_bit():
    def run(seed):
        rng = np.random.default_rng(seed)
        p = rnn.init_params(rng, D, H, (3,))
        x = rng.standard_normal((T, 3, B, D))
        h, cache = rnn.forward(x, np.zeros((3, B, H)), p)
        return p, h, rnn.backward(np.ones_like(h), cache)[2]

    (p1, h1, g1), (p2, h2, g2), (p3, _, _) = run(5), run(5), run(6)
    for k in p1:
        assert np.array_equal(p1[k], p2[k]) and np.array_equal(g1[k], g2[k])
        assert not np.array_equal(p1[k], p3[k]) or k == "b_h"
    assert np.array_equal(h1, h2)


# --- activations ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["tanh", "relu", "sigmoid", "identity"])
def test_activation_derivatives(name):
    act = activations.get(name)
    z = np.random.default_rng(0).standard_normal(50) * 3
    numeric = (act.value(z + 1e-6) - act.value(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(act.derivative(z), numeric, atol=1e-8)
    np.testing.assert_allclose(act.derivative_from_output(act.value(z)), act.derivative(z), atol=1e-12)


def test_sigmoid_is_exact_and_quiet_at_the_tails():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = activations.sigmoid.value(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(s, [0.0, 0.5, 1.0])


# --- gradient norms by step -----------------------------------------------------------------

def test_state_grad_norms_decay_geometrically_for_a_linear_rnn():
    """Identity units and W_hh = 0.8 * orthogonal: the error at the last step shrinks by
    exactly 0.8 per step back, so ||dL/dh_t|| = 0.8^(T-1-t) ||dL/dh_T||."""
    rng = np.random.default_rng(0)
    p = rnn.init_params(rng, D, H, (2,), gain=0.8)
    h, cache = rnn.forward(rng.standard_normal((T, 2, B, D)), np.zeros((2, B, H)), p, "identity")
    dh = np.zeros_like(h)
    dh[-1] = rng.standard_normal(h[-1].shape)
    *_, dh_total = rnn.backward(dh, cache, return_state_grads=True)
    norms = rnn.state_grad_norms(dh_total)  # (T, 2)
    assert norms.shape == (T, 2)
    expected = norms[-1] * 0.8 ** np.arange(T - 1, -1, -1)[:, None]
    np.testing.assert_allclose(norms, expected, rtol=1e-12)


# --- optimizers and clipping ----------------------------------------------------------------

def quadratic(rng):
    """f(w) = 1/2 (w - w*)^T A (w - w*) with A positive definite (condition number ~10)."""
    Q = init.orthogonal(rng, (6, 6))
    A = Q @ np.diag(np.linspace(1, 10, 6)) @ Q.T
    w_star = rng.standard_normal(6)
    return A, w_star, lambda w: 0.5 * (w - w_star) @ A @ (w - w_star)


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.05),
    lambda p: optim.SGD(p, lr=0.02, momentum=0.9),
    lambda p: optim.Adam(p, lr=0.05),
    lambda p: optim.AdaGrad(p, lr=0.5),
], ids=["sgd", "sgd-momentum", "adam", "adagrad"])
def test_optimizers_minimize_a_quadratic(make_opt):
    A, w_star, f = quadratic(np.random.default_rng(0))
    params = {"w": np.zeros(6)}
    opt = make_opt(params)
    f0 = f(params["w"])
    for _ in range(500):
        opt.step({"w": A @ (params["w"] - w_star)})
    assert f(params["w"]) < 1e-4 * f0


def test_weight_decay_pulls_towards_zero():
    params = {"w": np.ones(3)}
    opt = optim.SGD(params, lr=0.1, weight_decay=0.5)
    opt.step({"w": np.zeros(3)})
    np.testing.assert_allclose(params["w"], 1 - 0.1 * 0.5)


def test_optimizer_updates_only_the_parameters_it_was_given():
    rng = np.random.default_rng(0)
    params = {**rnn.init_params(rng, D, H), **readout.init_params(rng, H, O)}
    before = {k: v.copy() for k, v in params.items()}
    grads = {k: np.ones_like(v) for k, v in params.items()}
    opt = optim.Adam({k: params[k] for k in ("W_hy", "b_y")}, lr=0.1)  # a reservoir: readout only
    opt.step(grads)
    for k in params:
        assert np.array_equal(params[k], before[k]) == (k not in ("W_hy", "b_y")), k


def test_clipping_caps_each_network_by_its_own_norm():
    # Three networks whose gradients have global norms 0.5, 3 and 10 (over two tensors).
    scales = np.array([0.5, 3.0, 10.0])
    a = np.zeros((3, 2, 2))
    a[:, 0, 0] = 0.6 * scales
    b = np.zeros((3, 4))
    b[:, 1] = 0.8 * scales
    clipped, norm = optim.clip_global_norm({"a": a, "b": b}, 1.0, (3,))
    np.testing.assert_allclose(norm, scales)
    np.testing.assert_allclose(optim.global_norm(clipped, (3,)), [0.5, 1.0, 1.0])
    np.testing.assert_allclose(clipped["a"][0], a[0])  # under the cap: untouched
    np.testing.assert_allclose(clipped["b"][2] / b[2, 1], [0, 0.1, 0, 0])  # direction kept


def test_adam_two_steps_by_hand():
    """Two Adam steps on a 2-element parameter, written out with plain Python floats:
        m_n = b1 m_{n-1} + (1-b1) g_n            s_n = b2 s_{n-1} + (1-b2) g_n^2
        w_n = w_{n-1} - lr (m_n / (1-b1^n)) / (sqrt(s_n / (1-b2^n)) + eps)
    eps is large enough here (gradients ~1e-3) that putting it inside the root, or
    dropping a bias correction, moves the result by far more than the tolerance."""
    lr, b1, b2, eps = 0.1, 0.8, 0.99, 1e-3
    w0, g1, g2 = [0.5, -1.5], [2e-3, -5e-4], [-1e-3, 3e-3]
    expected, m, s, w = [], [0.0, 0.0], [0.0, 0.0], list(w0)
    for n, g in ((1, g1), (2, g2)):
        for i in range(2):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            s[i] = b2 * s[i] + (1 - b2) * g[i] ** 2
            w[i] = w[i] - lr * (m[i] / (1 - b1**n)) / ((s[i] / (1 - b2**n)) ** 0.5 + eps)
        expected.append(list(w))
    params = {"w": np.array(w0)}
    opt = optim.Adam(params, lr=lr, betas=(b1, b2), eps=eps)
    for g, want in zip((g1, g2), expected):
        opt.step({"w": np.array(g)})
        np.testing.assert_allclose(params["w"], want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(opt.m["w"], m, rtol=0, atol=1e-15)
    np.testing.assert_allclose(opt.s["w"], s, rtol=0, atol=1e-18)


def test_sgd_momentum_weight_decay_two_steps_by_hand():
    """v_n = mu v_{n-1} + (g_n + lambda w_{n-1});  w_n = w_{n-1} - lr v_n  (v_0 = 0)."""
    lr, mu, lam = 0.1, 0.9, 0.05
    w0, g1, g2 = [0.5, -1.5], [0.2, -0.3], [-0.4, 0.1]
    expected, v, w = [], [0.0, 0.0], list(w0)
    for g in (g1, g2):
        for i in range(2):
            v[i] = mu * v[i] + (g[i] + lam * w[i])
            w[i] = w[i] - lr * v[i]
        expected.append(list(w))
    params = {"w": np.array(w0)}
    opt = optim.SGD(params, lr=lr, momentum=mu, weight_decay=lam)
    for g, want in zip((g1, g2), expected):
        opt.step({"w": np.array(g)})
        np.testing.assert_allclose(params["w"], want, rtol=0, atol=1e-12)


def test_adagrad_two_steps_by_hand():
    """G_n = G_{n-1} + g_n^2;  w_n = w_{n-1} - lr g_n / (sqrt(G_n) + eps)  (G_0 = 0)."""
    lr, eps = 0.5, 1e-2
    w0, g1, g2 = [0.5, -1.5], [0.02, -0.3], [-0.04, 0.1]
    expected, G, w = [], [0.0, 0.0], list(w0)
    for g in (g1, g2):
        for i in range(2):
            G[i] = G[i] + g[i] ** 2
            w[i] = w[i] - lr * g[i] / (G[i] ** 0.5 + eps)
        expected.append(list(w))
    params = {"w": np.array(w0)}
    opt = optim.AdaGrad(params, lr=lr, eps=eps)
    for g, want in zip((g1, g2), expected):
        opt.step({"w": np.array(g)})
        np.testing.assert_allclose(params["w"], want, rtol=0, atol=1e-12)


def test_per_network_learning_rates():
    params = {"w": np.ones((3, 2))}
    optim.SGD(params, lr=np.array([0.0, 0.5, 1.0])).step({"w": np.ones((3, 2))})
    np.testing.assert_allclose(params["w"], [[1, 1], [0.5, 0.5], [0, 0]])


# --- losses -----------------------------------------------------------------------------------

def test_mse_normalizer_and_mask():
    y = np.zeros((2, 1, 3))  # T=2, B=1, O=3
    target = np.ones((2, 1, 3))
    loss, _ = losses.mse(y, target, mask=np.array([[1.0], [0.0]]))
    assert loss == pytest.approx(1.0)  # mean over 1 masked-in step x 3 outputs
    loss, _ = losses.mse(y, 2 * target)
    assert loss == pytest.approx(4.0)


def test_cross_entropy_of_uniform_logits_is_log_classes():
    loss, _ = losses.softmax_cross_entropy(np.zeros((T, 3, B, O)), np.zeros((T, B), dtype=int))
    np.testing.assert_allclose(loss, np.full(3, np.log(O)))


# --- bad input ------------------------------------------------------------------------------

def test_unknown_names_raise_value_error_naming_the_choices():
    with pytest.raises(ValueError, match="unknown activation 'softplus'.*tanh"):
        activations.get("softplus")
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        rnn.forward(np.zeros((T, B, D)), np.zeros((B, H)), rnn.init_params(np.random.default_rng(0), D, H),
                    activation="swish")
    with pytest.raises(ValueError, match="unknown initializer 'he'.*orthogonal"):
        init.get("he")
    with pytest.raises(ValueError, match="unknown initializer 'kaiming'"):
        rnn.init_params(np.random.default_rng(0), D, H, recurrent="kaiming")


def test_mismatched_shapes_raise_value_error_naming_the_array():
    rng = np.random.default_rng(0)
    p = rnn.init_params(rng, D, H, (3,))
    x, h0 = np.zeros((T, 3, B, D)), np.zeros((3, B, H))
    with pytest.raises(ValueError, match=re.escape(f"W_xh has shape {(3, H + 1, D)}; expected {(3, H, D)}")):
        rnn.forward(x, h0, {**p, "W_xh": np.zeros((3, H + 1, D))})  # the weight is wrong: blame it
    with pytest.raises(ValueError, match=re.escape(f"b_h has shape {(3, H + 1)}; expected {(3, H)}")):
        rnn.forward(x, h0, {**p, "b_h": np.zeros((3, H + 1))})
    with pytest.raises(ValueError, match="x must have shape"):
        rnn.forward(np.zeros((T, B, D)), h0, p)
    with pytest.raises(ValueError, match="h0 has shape"):
        rnn.forward(x, np.zeros((3, B, H + 1)), p)
    with pytest.raises(ValueError, match="mask has shape"):
        rnn.forward(x, h0, p, mask=np.ones((T + 1, B)))
    with pytest.raises(ValueError, match="leak must be in"):
        rnn.forward(x, h0, p, leak=0.0)
    h, cache = rnn.forward(x, h0, p)
    with pytest.raises(ValueError, match="dh has shape"):
        rnn.backward(h[:-1], cache)
    with pytest.raises(ValueError, match="truncate must be"):
        rnn.backward(h, cache, truncate=0)
    with pytest.raises(ValueError, match="W_h must have shape"):
        lstm.forward(x, h0, h0, {"W_h": np.zeros((3, H, H))})
    with pytest.raises(ValueError, match="c0 has shape"):
        lstm.forward(x, h0, np.zeros((2, B, H)), lstm.init_params(rng, D, H, (3,)))
    with pytest.raises(ValueError, match="h has 7 features"):
        readout.forward(np.zeros((T, B, H)), readout.init_params(rng, H + 1, O))
    with pytest.raises(ValueError, match="target shape"):
        losses.mse(np.zeros((T, B, O)), np.zeros((T, B, O + 1)))
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 6\)"):
        losses.softmax_cross_entropy(np.zeros((T, B, O)), np.full((T, B), O))
    with pytest.raises(ValueError, match="mask selects no"):
        losses.mse(np.zeros((T, B, O)), 0.0, mask=np.zeros((T, B)))
    with pytest.raises(ValueError, match="sizes must be positive"):
        init.orthogonal(rng, (H, -1))
    with pytest.raises(ValueError, match="no gradient given for trained parameter 'w'"):
        optim.SGD({"w": np.zeros(2)}, lr=0.1).step({})
    with pytest.raises(ValueError, match="expected leading population axes"):
        optim.clip_global_norm({"w": np.zeros((2, 3))}, 1.0, (3,))
    with pytest.raises(ValueError, match="float64"):
        gradcheck.check_gradients(lambda q: 0.0, {"w": np.zeros(2, np.float32)}, {"w": np.zeros(2)})


# --- input types, scalar initial states, masks ------------------------------------------------
# Integer and bool arrays are computed in float64 (exactly: small integers are exact floats),
# a Python number takes the network's dtype, and anything else is refused by name.

def small_ints(rng, shape):
    """Integers in {-1, 0, 1}: the same numbers as floats, so results must match bit for bit."""
    return rng.integers(-1, 2, size=shape)


def as_floats(d):
    return {k: v.astype(np.float64) for k, v in d.items()}


def assert_same_floats(got, want):
    """Equal bit for bit, and float64 (an integer result would also compare equal to zeros)."""
    assert np.asarray(got).dtype == np.float64
    np.testing.assert_array_equal(got, want)


def test_rnn_integer_inputs_give_the_float_results():
    rng = np.random.default_rng(0)
    p = {"W_xh": small_ints(rng, (3, H, D)), "W_hh": small_ints(rng, (3, H, H)), "b_h": small_ints(rng, (3, H))}
    x, h0, dh = small_ints(rng, (T, 3, B, D)), small_ints(rng, (3, B, H)), small_ints(rng, (T, 3, B, H))
    mask = rng.integers(0, 2, size=(T, B))
    for leak, m in ((1.0, None), (0.5, mask)):
        h_int, cache_int = rnn.forward(x, h0, p, leak=leak, mask=m)
        h_float, cache_float = rnn.forward(x.astype(float), h0.astype(float), as_floats(p), leak=leak,
                                           mask=None if m is None else m.astype(float))
        assert_same_floats(h_int, h_float)
        assert np.abs(h_float).max() > 0.5  # not trivially zero
        for truncate in (None, 2):
            dx, dh0, dp = rnn.backward(dh, cache_int, truncate=truncate)
            want = rnn.backward(dh.astype(float), cache_float, truncate=truncate)
            assert_same_floats(dx, want[0])
            assert_same_floats(dh0, want[1])
            for k in p:
                assert_same_floats(dp[k], want[2][k])
    assert p["W_hh"].dtype.kind == "i"  # the caller's dict is left alone


def test_lstm_integer_inputs_give_the_float_results():
    rng = np.random.default_rng(1)
    p = {"W_x": small_ints(rng, (4 * H, D)), "W_h": small_ints(rng, (4 * H, H)), "b": small_ints(rng, (4 * H,))}
    x, dh = small_ints(rng, (T, B, D)), small_ints(rng, (T, B, H))
    h0, c0 = small_ints(rng, (B, H)), small_ints(rng, (B, H)).astype(bool)
    mask = rng.integers(0, 2, size=(T, B)).astype(bool)
    for m in (None, mask):
        h_int, c_int, cache_int = lstm.forward(x, h0, c0, p, m)
        h_float, c_float, cache_float = lstm.forward(x.astype(float), h0.astype(float), c0.astype(float),
                                                     as_floats(p), m)
        assert_same_floats(h_int, h_float)
        assert_same_floats(c_int, c_float)
        assert np.abs(c_float).max() > 0.5
        got, want = lstm.backward(dh, cache_int), lstm.backward(dh.astype(float), cache_float)
        for a, b in zip(got[:3], want[:3]):
            assert_same_floats(a, b)
        for k in p:
            assert_same_floats(got[3][k], want[3][k])


def test_readout_and_losses_integer_inputs_give_the_float_results():
    rng = np.random.default_rng(2)
    p = {"W_hy": small_ints(rng, (O, H)), "b_y": small_ints(rng, (O,))}
    h, dy = small_ints(rng, (T, B, H)), small_ints(rng, (T, B, O))
    y_int, cache_int = readout.forward(h, p)
    y_float, cache_float = readout.forward(h.astype(float), as_floats(p))
    assert_same_floats(y_int, y_float)
    (dh, dp), (dh_f, dp_f) = readout.backward(dy, cache_int), readout.backward(dy.astype(float), cache_float)
    assert_same_floats(dh, dh_f)
    for k in p:
        assert_same_floats(dp[k], dp_f[k])

    target, mask = small_ints(rng, (T, B, O)), rng.integers(0, 2, size=(T, B))
    mask[0] = 1
    for got, want in ((losses.mse(y_int, target, mask), losses.mse(y_float, target.astype(float), mask)),
                      (losses.mse(y_int, 1), losses.mse(y_float, 1.0))):
        assert_same_floats(got[0], want[0])
        assert_same_floats(got[1], want[1])
    classes = rng.integers(0, O, size=(T, B))
    got = losses.softmax_cross_entropy(y_int, classes, mask)
    want = losses.softmax_cross_entropy(y_float, classes, mask)
    assert_same_floats(got[0], want[0])
    assert_same_floats(got[1], want[1])
    assert want[0] > 0.1


def float32_rnn(rng):
    p = {k: v.astype(np.float32) for k, v in rnn.init_params(rng, D, H, (3,)).items()}
    return p, rng.standard_normal((T, 3, B, D)).astype(np.float32)


def test_float32_stays_float32_with_python_number_states_and_targets():
    rng = np.random.default_rng(3)
    p, x = float32_rnn(rng)
    h, cache = rnn.forward(x, 0.0, p)
    dx, dh0, dp = rnn.backward(np.ones_like(h), cache)
    assert h.dtype == dx.dtype == dh0.dtype == dp["W_hh"].dtype == np.float32
    pl = {k: v.astype(np.float32) for k, v in lstm.init_params(rng, D, H, (3,)).items()}
    h, c, cache = lstm.forward(x, 0, 0.0, pl)
    assert h.dtype == c.dtype == lstm.backward(np.ones_like(h), cache)[3]["W_h"].dtype == np.float32
    loss, dy = losses.mse(h, 0.5)
    assert loss.dtype == dy.dtype == np.float32


def test_scalar_and_vector_initial_states_broadcast():
    """h0 = 0.5 and h0 of shape (H,) act like the full (*P, B, H) array they broadcast to, and
    their gradients are the full gradient summed down to their own shape."""
    rng = np.random.default_rng(4)
    p = rnn.init_params(rng, D, H, (3,))
    x = rng.standard_normal((T, 3, B, D))
    R = rng.standard_normal((T, 3, B, H))
    full_shape = (3, B, H)
    for h0 in (0.5, 0.0, rng.standard_normal(H), rng.standard_normal((B, 1))):
        h_full, cache_full = rnn.forward(x, np.broadcast_to(h0, full_shape).copy(), p, leak=0.7)
        h, cache = rnn.forward(x, h0, p, leak=0.7)
        np.testing.assert_array_equal(h, h_full)
        dh0 = rnn.backward(R, cache)[1]
        assert dh0.shape == np.shape(h0)
        dh0_full = rnn.backward(R, cache_full)[1]
        np.testing.assert_allclose(dh0, _shapes.sum_to_shape(dh0_full, np.shape(h0)), rtol=1e-12, atol=1e-14)
    assert np.abs(dh0_full).max() > 1e-3

    pl = lstm.init_params(rng, D, H, (3,))
    h_full, c_full, cache_full = lstm.forward(x, np.full(full_shape, 0.5), np.full(full_shape, -0.25), pl)
    h, c, cache = lstm.forward(x, 0.5, -0.25, pl)
    np.testing.assert_array_equal(h, h_full)
    np.testing.assert_array_equal(c, c_full)
    _, dh0, dc0, _ = lstm.backward(R, cache)
    _, dh0_full, dc0_full, _ = lstm.backward(R, cache_full)
    assert dh0.shape == dc0.shape == ()
    np.testing.assert_allclose(dh0, dh0_full.sum(), rtol=1e-12)
    np.testing.assert_allclose(dc0, dc0_full.sum(), rtol=1e-12)
    assert abs(dh0) > 1e-3 and abs(dc0) > 1e-3


def test_zero_initial_state_scalar_equals_zeros_array():
    rng = np.random.default_rng(5)
    p = rnn.init_params(rng, D, H)
    x = rng.standard_normal((T, B, D))
    h, cache = rnn.forward(x, 0.0, p)
    np.testing.assert_array_equal(h, rnn.forward(x, np.zeros((B, H)), p)[0])
    assert rnn.backward(np.ones_like(h), cache)[1].shape == ()
    pl = lstm.init_params(rng, D, H)
    h, c, _ = lstm.forward(x, 0.0, 0.0, pl)
    h_z, c_z, _ = lstm.forward(x, np.zeros((B, H)), np.zeros((B, H)), pl)
    np.testing.assert_array_equal(h, h_z)
    np.testing.assert_array_equal(c, c_z)


def test_wrong_input_size_blames_the_input():
    rng = np.random.default_rng(6)
    x = np.zeros((T, 3, B, D + 2))
    with pytest.raises(ValueError, match="^" + re.escape(
            f"x has {D + 2} input features per step (last axis of shape {x.shape}), "
            f"but W_xh has shape {(3, H, D)}, which expects D = {D}") + "$"):
        rnn.forward(x, 0.0, rnn.init_params(rng, D, H, (3,)))
    with pytest.raises(ValueError, match="^" + re.escape(
            f"x has {D + 2} input features per step (last axis of shape {x.shape}), "
            f"but W_x has shape {(3, 4 * H, D)}, which expects D = {D}") + "$"):
        lstm.forward(x, 0.0, 0.0, lstm.init_params(rng, D, H, (3,)))
    h = np.zeros((T, 3, B, H))
    with pytest.raises(ValueError, match="^" + re.escape(
            f"h has {H} features per step (last axis of shape {h.shape}), "
            f"but W_hy has shape {(3, O, H + 1)}, which expects H = {H + 1}") + "$"):
        readout.forward(h, readout.init_params(rng, H + 1, O, (3,)))


def test_inconsistent_weights_are_blamed_on_the_weight():
    rng = np.random.default_rng(7)
    x = np.zeros((T, B, D))
    p = lstm.init_params(rng, D, H)
    with pytest.raises(ValueError, match="^" + re.escape(f"W_x has shape {(4 * H + 4, D)}; expected {(4 * H, D)}")):
        lstm.forward(x, 0.0, 0.0, {**p, "W_x": np.zeros((4 * H + 4, D))})
    with pytest.raises(ValueError, match="^" + re.escape(f"b has shape {(H,)}; expected {(4 * H,)}")):
        lstm.forward(x, 0.0, 0.0, {**p, "b": np.zeros(H)})
    with pytest.raises(ValueError, match="^" + re.escape(f"b_y has shape {(O - 1,)}; expected {(O,)}")):
        readout.forward(np.zeros((T, B, H)), {**readout.init_params(rng, H, O), "b_y": np.zeros(O - 1)})


@pytest.mark.parametrize("name", ["x", "h0", "W_hh", "dh"])
def test_rnn_refuses_complex_input_by_name(name):
    rng = np.random.default_rng(8)
    args = {"x": rng.standard_normal((T, B, D)), "h0": np.zeros((B, H)), **rnn.init_params(rng, D, H)}
    dh = np.ones((T, B, H))
    if name == "dh":
        dh = dh.astype(complex)
    else:
        args[name] = args[name].astype(complex)
    with pytest.raises(ValueError, match=f"^{name} must hold real numbers .*got dtype complex128"):
        _, cache = rnn.forward(args.pop("x"), args.pop("h0"), args)
        rnn.backward(dh, cache)


def test_lstm_readout_losses_refuse_non_real_input_by_name():
    rng = np.random.default_rng(9)
    x, z = np.zeros((T, B, D)), np.zeros((B, H))
    with pytest.raises(ValueError, match="^c0 must hold real numbers"):
        lstm.forward(x, z, z.astype(complex), lstm.init_params(rng, D, H))
    with pytest.raises(ValueError, match="^dh must hold real numbers"):
        _, _, cache = lstm.forward(x, z, z, lstm.init_params(rng, D, H))
        lstm.backward(np.zeros((T, B, H), dtype=complex), cache)
    with pytest.raises(ValueError, match="^h must hold real numbers.*object"):
        readout.forward(np.zeros((T, B, H), dtype=object), readout.init_params(rng, H, O))
    with pytest.raises(ValueError, match="^dy must hold real numbers"):
        _, cache = readout.forward(np.zeros((T, B, H)), readout.init_params(rng, H, O))
        readout.backward(np.zeros((T, B, O), dtype=complex), cache)
    with pytest.raises(ValueError, match="^target must hold real numbers"):
        losses.mse(np.zeros((T, B, O)), 1j)
    with pytest.raises(ValueError, match="^y must hold real numbers"):
        losses.mse(np.zeros((T, B, O), dtype=complex), 0.0)
    with pytest.raises(ValueError, match="^logits must hold real numbers"):
        losses.softmax_cross_entropy(np.zeros((T, B, O), dtype=complex), np.zeros((T, B), dtype=int))


MASK_USERS = {
    "rnn": lambda x, mask: rnn.forward(x, 0.0, rnn.init_params(np.random.default_rng(0), D, H), mask=mask),
    "lstm": lambda x, mask: lstm.forward(x, 0.0, 0.0, lstm.init_params(np.random.default_rng(0), D, H), mask),
    "mse": lambda x, mask: losses.mse(x, 0.0, mask),
    "cross-entropy": lambda x, mask: losses.softmax_cross_entropy(x, np.zeros((T, B), dtype=int), mask),
}


@pytest.mark.parametrize("user", MASK_USERS)
@pytest.mark.parametrize("bad", [2, -1, 0.5, np.nan])
def test_mask_must_be_zero_or_one(user, bad):
    mask = np.ones((T, B))
    mask[T - 2, B - 1] = bad
    with pytest.raises(ValueError, match=rf"^mask must hold only 0 and 1 .*got {bad}.* at index \({T - 2}, {B - 1}\)"):
        MASK_USERS[user](np.ones((T, B, D)), mask)


@pytest.mark.parametrize("user", MASK_USERS)
def test_boolean_and_integer_masks_equal_float_masks(user):
    mask = np.arange(T)[:, None] < np.arange(B) % T + 1  # (T, B) bool: sequences of 1, 2, 3, ... steps
    x = np.random.default_rng(10).standard_normal((T, B, D))
    want = MASK_USERS[user](x, mask.astype(float))[0]
    for m in (mask, mask.astype(int)):
        np.testing.assert_array_equal(MASK_USERS[user](x, m)[0], want)
    assert not np.array_equal(MASK_USERS[user](x, None)[0], want)  # the mask does something


def test_class_targets_are_not_checked_as_a_mask():
    """Cross-entropy targets share the mask's shapes but hold any class index in [0, O)."""
    targets = np.full((T, B), O - 1)
    loss, _ = losses.softmax_cross_entropy(np.zeros((T, 3, B, O)), targets)
    np.testing.assert_allclose(loss, np.full(3, np.log(O)))
    with pytest.raises(ValueError, match="^" + re.escape(
            f"targets has shape {(T, 3)}; expected (T, B) = {(T, B)} or (T, *P, B) = {(T, 3, B)}") + "$"):
        losses.softmax_cross_entropy(np.zeros((T, 3, B, O)), np.zeros((T, 3), dtype=int))


@pytest.mark.parametrize("per_network", [False, True])
def test_cross_entropy_gathers_each_rows_target_as_take_along_axis_does(per_network):
    """The loss reads log p at each row's target through flat positions: the same entries,
    to the bit, as np.take_along_axis, for targets shared by 3 networks or their own, and
    its gradient p - onehot changes exactly those entries."""
    rng = np.random.default_rng(5)
    logits = rng.standard_normal((T, 3, B, O))
    targets = rng.integers(O, size=(T, 3, B) if per_network else (T, B))
    idx = np.broadcast_to((targets if per_network else targets[:, None])[..., None], (T, 3, B, 1))
    log_p = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    at = losses.target_positions(idx, logits.shape)
    np.testing.assert_array_equal(log_p.reshape(-1)[at], np.take_along_axis(log_p, idx, axis=-1).ravel())
    _, dy = losses.softmax_cross_entropy(logits, targets)
    p = np.exp(log_p) / (T * B)
    np.testing.assert_allclose(np.take_along_axis(dy, idx, axis=-1), np.take_along_axis(p, idx, axis=-1) - 1 / (T * B))
    off_target = np.ones(logits.shape, dtype=bool)
    np.put_along_axis(off_target, idx, False, axis=-1)
    np.testing.assert_allclose(dy[off_target], p[off_target])
    for layout in (np.asfortranarray(logits), np.moveaxis(np.moveaxis(logits, 2, 0).copy(), 0, 2)):  # not C-ordered
        loss_other, dy_other = losses.softmax_cross_entropy(layout, targets)
        np.testing.assert_allclose(dy_other, dy, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("masked", [False, True])
def test_skipping_validation_changes_nothing_but_the_checks(masked):
    """validate=False (a training loop's later calls) must give the same numbers, to the bit,
    as the checked call; and only the checked call rejects a bad mask."""
    rng = np.random.default_rng(3)
    p = rnn.init_params(rng, 4, 6, (2,))
    x = rng.standard_normal((5, 2, 3, 4))
    mask = rng.integers(0, 2, size=(5, 3)) if masked else None
    h_checked, _ = rnn.forward(x, 0.0, p, mask=mask)
    h_trusted, _ = rnn.forward(x, 0.0, p, mask=mask, validate=False)
    np.testing.assert_array_equal(h_checked, h_trusted)
    y, target = rng.standard_normal((5, 2, 3, 2)), rng.standard_normal((5, 2, 3, 2))
    for a, b in zip(losses.mse(y, target, mask), losses.mse(y, target, mask, validate=False)):
        np.testing.assert_array_equal(a, b)
    if masked:
        with pytest.raises(ValueError, match="only 0 and 1"):
            rnn.forward(x, 0.0, p, mask=2 * mask)


@pytest.mark.parametrize("opt_name", ["sgd", "adam", "adagrad"])
def test_float32_from_the_initializers_through_a_training_step(opt_name):
    """dtype=np.float32 in the initializers gives the float64 draws rounded (the random stream
    is the same), and a float32 population stays float32 through the loss, the gradients,
    per-network clipping and every optimizer's update and state, with per-network rates."""
    make = lambda dtype: {**rnn.init_params(np.random.default_rng(5), D, H, (3,), dtype=dtype),
                          **readout.init_params(np.random.default_rng(6), H, O, (3,), dtype=dtype)}
    p64, p32 = make(np.float64), make(np.float32)
    for k in p64:
        assert p32[k].dtype == np.float32
        np.testing.assert_array_equal(p32[k], p64[k].astype(np.float32))
    pl = lstm.init_params(np.random.default_rng(7), D, H, (3,), dtype=np.float32)
    assert all(v.dtype == np.float32 for v in pl.values())
    rng = np.random.default_rng(8)
    x, target = (rng.standard_normal(s).astype(np.float32) for s in ((T, 3, B, D), (T, 3, B, O)))
    lr = np.array([0.1, 0.01, 0.001])
    opt = {"sgd": lambda: optim.SGD(p32, lr=lr, momentum=0.9, weight_decay=1e-4),
           "adam": lambda: optim.Adam(p32, lr=lr, weight_decay=1e-4),
           "adagrad": lambda: optim.AdaGrad(p32, lr=lr)}[opt_name]()
    for _ in range(2):
        loss, grads, _, _ = models.rnn_loss_and_grads(p32, x, target, h0=0.0)
        grads, norm = optim.clip_global_norm(grads, 0.5, (3,))
        opt.step(grads)
        assert loss.dtype == np.float32 and all(g.dtype == np.float32 for g in grads.values())
    state = [a for name in ("velocity", "m", "s", "G") for a in getattr(opt, name, {}).values()]
    assert state and all(a.dtype == np.float32 for a in state)
    assert all(v.dtype == np.float32 for v in p32.values())


def test_add_bias_writes_into_the_product_only_when_its_dtype_holds_the_sum():
    rng = np.random.default_rng(2)
    b = rng.standard_normal((3, H))  # (P, H)
    z = rng.standard_normal((T, 3, B, H))
    want = z + b[:, None, :]
    got = _shapes.add_bias(z, b)
    assert got is z and np.array_equal(got, want)  # in place, the same additions
    z32 = z.astype(np.float32)
    got = _shapes.add_bias(z32, b)  # a float64 bias on float32: the sum is float64, as z32 + b would be
    assert got.dtype == np.float64 and np.array_equal(got, z32 + b[:, None, :])
    assert np.array_equal(z32, z.astype(np.float32))  # and z32 itself is untouched


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_slopes_from_outputs_are_the_textbook_formulas_to_the_bit(name):
    act = activations.get(name)
    y = act.value(np.random.default_rng(3).standard_normal((T, B, H)))
    want = 1.0 - y * y if name == "tanh" else y * (1.0 - y)
    for dtype in (np.float64, np.float32):
        got = act.derivative_from_output(y.astype(dtype))
        assert got.dtype == dtype
        assert np.array_equal(got, 1.0 - y.astype(dtype) ** 2 if name == "tanh" else
                              y.astype(dtype) * (1.0 - y.astype(dtype)))
    assert np.array_equal(act.derivative_from_output(y), want)
    assert np.isclose(act.derivative_from_output(0.5), 0.75 if name == "tanh" else 0.25)  # numbers work too


def test_the_benchmarks_two_product_layouts_compute_the_same_products():
    """bench --gaps compares the char lab's large products in two layouts; the comparison
    means something only if both compute the same six results (up to summation order)."""
    from rnn_numpy import bench
    T, K, B = 4, 3, 5
    time_major, population_major = bench.layout_products(K, T=T, B=B, H=6, V=7)
    for a, b in zip(time_major(), population_major()):
        if a.ndim == 4:  # (T, K, B, n) -> (K, T B, n)
            a = np.moveaxis(a, 1, 0).reshape(b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
