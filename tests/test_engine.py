"""Initializers, optimizers, clipping, gradient-norm bookkeeping, determinism, bad input."""

import numpy as np
import pytest

from conftest import B, D, H, O, T
from rnn_numpy import activations, gradcheck, init, losses, lstm, optim, readout, rnn


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
    with pytest.raises(ValueError, match="W_xh has shape"):
        rnn.forward(np.zeros((T, 3, B, D + 1)), h0, p)
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
