"""A population run must be exactly K independent networks: K networks trained together
end where the same K trained one by one end (to 1e-10), including per-network clipping
(which really clips here) and per-network learning rates."""

import numpy as np
import pytest

from conftest import B, D, H, O, T
from rnn_numpy import lstm, models, optim, readout, rnn

K, STEPS = 3, 40


def make_population(cell, seed):
    rng = np.random.default_rng(seed)
    core = (rnn if cell == "rnn" else lstm).init_params(rng, D, H, (K,))
    params = {**core, **readout.init_params(rng, H, O, (K,))}
    x = rng.standard_normal((T, K, B, D))
    target = rng.standard_normal((T, K, B, O))
    lengths = rng.integers(2, T + 1, size=(K, B))
    state_mask = (np.arange(T)[:, None, None] < lengths).astype(float)  # (T, K, B)
    loss_mask = (np.arange(T)[:, None, None] == lengths - 1).astype(float)  # score the last valid step
    return params, x, target, state_mask, loss_mask


def train(cell, params, x, target, state_mask, loss_mask, lr, opt_name):
    params = {k: v.copy() for k, v in params.items()}
    pop_shape = (rnn if cell == "rnn" else lstm).population_shape(params)  # (K,) or ()
    opt = optim.SGD(params, lr, momentum=0.9, weight_decay=1e-3) if opt_name == "sgd" else optim.Adam(params, lr)
    clipped = 0
    for _ in range(STEPS):
        if cell == "rnn":
            _, grads, _, _ = models.rnn_loss_and_grads(params, x, target, loss_mask, state_mask=state_mask,
                                                       truncate=3)
        else:
            _, grads, _, _ = models.lstm_loss_and_grads(params, x, target, loss_mask, state_mask=state_mask)
        grads, norm = optim.clip_global_norm(grads, 0.5, pop_shape)
        clipped += int(np.sum(norm > 0.5))
        opt.step(grads)
    return params, clipped


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_population_equals_separate_runs(cell, opt_name):
    params, x, target, state_mask, loss_mask = make_population(cell, seed=7)
    lrs = np.array([0.05, 0.02, 0.1]) if opt_name == "sgd" else np.array([0.01, 0.003, 0.02])
    together, clipped = train(cell, params, x, target, state_mask, loss_mask, lrs, opt_name)
    assert clipped > 0, "the test should exercise clipping"
    for k in range(K):
        alone, _ = train(cell, {n: v[k] for n, v in params.items()}, x[:, k], target[:, k],
                         state_mask[:, k], loss_mask[:, k], lrs[k], opt_name)
        for name in params:
            np.testing.assert_allclose(together[name][k], alone[name], rtol=0, atol=1e-10,
                                       err_msg=f"{cell}/{opt_name}: network {k}, {name}")
        assert not np.allclose(alone["W_hy"], params["W_hy"][k]), "training should move the weights"


def test_shared_inputs_broadcast_over_the_population():
    """x with a population axis of 1 is shared by every network and gives the same result
    as giving each network its own copy."""
    rng = np.random.default_rng(3)
    p = rnn.init_params(rng, D, H, (K,))
    x = rng.standard_normal((T, 1, B, D))
    h0 = np.zeros((K, B, H))
    h_shared, cache_shared = rnn.forward(x, h0, p)
    h_copied, cache_copied = rnn.forward(np.repeat(x, K, axis=1), h0, p)
    np.testing.assert_array_equal(h_shared, h_copied)
    R = rng.standard_normal(h_shared.shape)
    dx_shared, _, dp_shared = rnn.backward(R, cache_shared)
    dx_copied, _, dp_copied = rnn.backward(R, cache_copied)
    assert dx_shared.shape == x.shape
    np.testing.assert_allclose(dx_shared, dx_copied.sum(axis=1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(dp_shared["W_xh"], dp_copied["W_xh"], atol=1e-12)


def test_shared_lstm_weights_serve_a_population_of_inputs():
    """LSTM weights without population axes are one network run on K inputs at once: each
    member's states are that network's states on its own input, and the weight gradients
    are the sums of the K separate gradients (what a frozen, shared network needs)."""
    rng = np.random.default_rng(5)
    p = lstm.init_params(rng, D, H)  # no population axes: shared
    p["b"] += 0.3 * rng.standard_normal(p["b"].shape)
    x = rng.standard_normal((T, K, B, D))
    lengths = rng.integers(2, T + 1, size=(K, B))
    mask = (np.arange(T)[:, None, None] < lengths).astype(float)  # (T, K, B): padded sequences
    h_all, c_all, cache = lstm.forward(x, 0.0, 0.0, p, mask)
    assert h_all.shape == (T, K, B, H)
    R = rng.standard_normal(h_all.shape)
    dx_all, _, _, dp_all = lstm.backward(R, cache)
    dx_only, _, _, no_dp = lstm.backward(R, cache, param_grads=False)  # a frozen network
    assert no_dp is None
    np.testing.assert_array_equal(dx_only, dx_all)
    dp_sum = {k: 0.0 for k in dp_all}
    for k in range(K):
        h_k, c_k, cache_k = lstm.forward(x[:, k], 0.0, 0.0, p, mask[:, k])
        np.testing.assert_allclose(h_all[:, k], h_k, rtol=0, atol=1e-13)
        np.testing.assert_allclose(c_all[:, k], c_k, rtol=0, atol=1e-13)
        dx_k, _, _, dp_k = lstm.backward(R[:, k], cache_k)
        np.testing.assert_allclose(dx_all[:, k], dx_k, rtol=0, atol=1e-12)
        dp_sum = {n: dp_sum[n] + dp_k[n] for n in dp_k}
    for name, g in dp_all.items():
        assert g.shape == p[name].shape
        np.testing.assert_allclose(g, dp_sum[name], rtol=0, atol=1e-11, err_msg=name)


def test_padded_batch_equals_sequences_run_alone():
    """Masking: a padded batch of sequences of different lengths gives each sequence the
    final state and the gradients it gets when run alone at its own length."""
    rng = np.random.default_rng(4)
    p = rnn.init_params(rng, D, H, ())
    lengths = np.array([5, 2, 4, 3])
    x = rng.standard_normal((T, 4, D))
    mask = (np.arange(T)[:, None] < lengths).astype(float)  # (T, B)
    h, cache = rnn.forward(x, np.zeros((4, H)), p, mask=mask)
    R = rng.standard_normal((4, H))
    dh = np.zeros_like(h)
    dh[-1] = R  # loss on the state after the last step, which padding must leave unchanged
    _, _, dp = rnn.backward(dh, cache)
    total = {k: 0.0 for k in p}
    for b, n in enumerate(lengths):
        hb, cb = rnn.forward(x[:n, b:b + 1], np.zeros((1, H)), p)
        np.testing.assert_allclose(h[-1, b], hb[-1, 0], atol=1e-14)
        dhb = np.zeros_like(hb)
        dhb[-1] = R[b]
        for k, g in rnn.backward(dhb, cb)[2].items():
            total[k] = total[k] + g
    for k in p:
        np.testing.assert_allclose(dp[k], total[k], atol=1e-12)


@pytest.mark.parametrize("case", ["own inputs", "shared inputs", "per-network states and mask", "held input",
                                  "no weight gradients"])
def test_lstm_population_in_groups_equals_one_batch_to_the_bit(case, monkeypatch):
    """A population too large for one batch (lstm.GROUP_BYTES) runs a few networks at a
    time; every per-network output and gradient must equal the one-batch run exactly. The
    gradient of an operand the networks share (a scalar h0, inputs with a population axis
    of 1) is summed group by group, in another order: equal to rounding. Breaking the join
    (the wrong axis, or summing a per-network gradient) fails it."""
    K, T_, B_, H_, D_ = 5, 4, 3, 6, 2
    rng = np.random.default_rng(0)
    p = lstm.init_params(rng, D_, H_, (K,))
    x = rng.standard_normal((T_, 1 if case == "shared inputs" else K, B_, D_))
    h0 = c0 = 0.0
    mask, steps, param_grads = None, None, case != "no weight gradients"
    if case == "per-network states and mask":
        h0, c0 = rng.standard_normal((K, B_, H_)), rng.standard_normal((B_, H_))
        mask = rng.integers(0, 2, size=(T_, K, B_))
    if case == "held input":
        x, steps = x[:1], T_
    dh = rng.standard_normal((T_, K, B_, H_))

    def run(group_bytes):
        monkeypatch.setattr(lstm, "GROUP_BYTES", group_bytes)
        h, c, cache = lstm.forward(x, h0, c0, p, mask, steps)
        return h, c, lstm.backward(dh, cache, param_grads), len(cache.get("groups", [None]))

    h1, c1, grads1, n_groups = run(1 << 40)  # one batch
    assert n_groups == 1
    h2, c2, grads2, n_groups = run(2 * T_ * B_ * 4 * H_ * 8)  # two networks at a time: groups of 2, 2, 1
    assert n_groups == 3
    np.testing.assert_array_equal(h1, h2)
    np.testing.assert_array_equal(c1, c2)
    for a, b in zip(grads1[:3], grads2[:3]):  # dx, dh0, dc0
        assert np.shape(a) == np.shape(b)
        if np.ndim(a) >= 3 and np.shape(a)[-3] == K:  # one per network
            np.testing.assert_array_equal(a, b)
        else:  # shared by the population
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
    if param_grads:
        for k in grads1[3]:
            np.testing.assert_array_equal(grads1[3][k], grads2[3][k])
    else:
        assert grads2[3] is None
