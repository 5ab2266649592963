"""path_integration: the walk generator and the place cells against hand-computed cases, the
whole model's gradient against finite differences, the pruning surgery, and quick runs that
must learn (the position read-out to the stated error bar)."""

import dataclasses

import numpy as np
import pytest

from conftest import load_problem, record_and_assert
from rnn_numpy import gradcheck

pi = load_problem("path_integration")

HALF = 1.1  # half the default 2.2 m box


@pytest.mark.parametrize("position, heading, expected_heading", [
    ((HALF - 0.01, 0.0), 0.3, np.pi / 2),  # at the east wall, heading a little north of it: turn to north
    ((HALF - 0.01, 0.0), -0.3, -np.pi / 2),  # a little south of it: turn to south
    ((0.0, HALF - 0.02), np.pi / 2 + 0.2, np.pi),  # at the north wall, heading a little west of north: west
    ((-HALF + 0.01, 0.5), 0.2, 0.2),  # at the west wall but heading away from it: no turn
    ((0.0, 0.0), 0.3, 0.3),  # in the middle: no turn
    ((HALF - 0.05, 0.0), 0.3, 0.3),  # 5 cm from the wall, outside the 3 cm border: no turn
])
def test_wall_turn_of_hand_made_cases(position, heading, expected_heading):
    near, turn = pi.wall_turn(np.array([position]), np.array([heading]), HALF)
    assert heading + turn[0] == pytest.approx(expected_heading)
    assert near[0] == (expected_heading != heading)  # the walks that turn are the ones slowed


def test_walks_integrate_their_velocity_and_stay_in_the_box():
    position, velocity = pi.random_walks(np.random.default_rng(0), 400, 50, 2.2)
    assert position.shape == (51, 400, 2) and velocity.shape == (50, 400, 2)
    np.testing.assert_allclose(np.diff(position, axis=0), pi.DT * velocity, atol=1e-12)
    assert np.abs(position).max() < HALF + 0.05  # a step may overshoot a wall by a few cm, no more
    speed = np.linalg.norm(velocity, axis=-1)
    # Rayleigh(sigma) has mean sigma sqrt(pi / 2); walks slowed at the walls pull it down a little
    assert 0.85 * pi.SPEED_SCALE * np.sqrt(np.pi / 2) < speed.mean() < 1.01 * pi.SPEED_SCALE * np.sqrt(np.pi / 2)


def test_place_code_is_a_distribution_peaked_at_the_nearest_centre():
    centres = np.array([[0.0, 0.0], [0.5, 0.0], [0.0, 0.5], [-0.6, -0.6]])
    here = np.array([[0.4, 0.05], [0.02, 0.41]])
    code = pi.place_code(here, centres, 0.12, 2.0)
    np.testing.assert_allclose(code.sum(axis=-1), 1.0)
    assert code.min() >= 0 and list(code.argmax(axis=-1)) == [1, 2]
    gaussian = pi.place_code(here, centres, 0.12, 0.0)  # no surround: a softmax of -d^2 / (2 sigma^2)
    d2 = np.square(here[:, None] - centres).sum(-1)
    expected = np.exp(-d2 / (2 * 0.12 ** 2))
    np.testing.assert_allclose(gaussian, expected / expected.sum(axis=-1, keepdims=True))


def test_position_targets_span_minus_five_to_five_and_decode_back():
    cfg = pi.resolve(pi.Config(readout="position"))
    corners = np.array([[-HALF, -HALF], [HALF, HALF], [0.0, HALF]])
    target = pi.targets(cfg, corners, None)
    np.testing.assert_allclose(target, [[-5, -5], [5, 5], [0, 5]])
    np.testing.assert_allclose(pi.decoded_position(cfg, target, None), corners)


def test_place_decoding_takes_the_mean_of_the_three_most_active_centres():
    cfg = pi.resolve(pi.Config())
    centres = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.5, 0.5]])
    y = np.array([[5.0, 4.0, -1.0, 0.0, 3.0]])
    np.testing.assert_allclose(pi.decoded_position(cfg, y, centres), [[0.5, 1 / 6]])


@pytest.mark.parametrize("readout, activation", [("place", "relu"), ("position", "tanh"), ("place", "tanh")])
def test_the_whole_models_gradient(readout, activation):
    """Encoder, RNN, read-out, loss and the W_hh penalty, 2 networks, in float64."""
    cfg = pi.resolve(pi.Config(readout=readout, activation=activation, networks=2, hidden=7, place_cells=6,
                               length=5, batch=4, weight_decay=0.01, dtype="float64"))
    rng = np.random.default_rng(3)
    params = pi.init_params(cfg, [0, 1])
    params["W_hh"] *= 3  # make the recurrence matter
    if readout == "position":
        params["b_h"] = 0.3 * rng.standard_normal(params["b_h"].shape)
    centres = pi.place_centres(cfg)
    batch = pi.stacked([pi.make_trials(cfg, rng, cfg.batch, cfg.length, centres) for _ in range(2)])
    loss, grads = pi.loss_and_grads(params, cfg, batch)
    assert loss.shape == (2,)
    if readout == "place":  # no biases: their gradient is held at 0, and they stay 0
        assert not grads["b_h"].any() and not grads["b_y"].any()
        grads = {k: g for k, g in grads.items() if k not in ("b_h", "b_y")}
    errors = gradcheck.check_gradients(lambda p: float(pi.loss_and_grads({**params, **p}, cfg, batch)[0].sum()),
                                       {k: params[k] for k in grads}, grads)
    record_and_assert(errors, f"path_integration {readout} {activation}")


def test_silencing_zeroes_exactly_the_named_connections():
    cfg = pi.resolve(pi.Config(networks=1, hidden=6, place_cells=5, dtype="float64"))
    net = pi.init_params(cfg, [0])
    recurrent = pi.silenced(net, "recurrent", (np.array([0, 1]), np.array([4])))
    changed = recurrent["W_hh"][0] != net["W_hh"][0]
    assert changed.sum() == 2 and changed[4, 0] and changed[4, 1] and recurrent["W_hh"][0][4, :2].sum() == 0
    inputs = pi.silenced(net, "input", np.array([2, 3]))
    assert not inputs["W_xh"][0][[2, 3]].any()
    assert np.array_equal(inputs["W_xh"][0][[0, 1, 4, 5]], net["W_xh"][0][[0, 1, 4, 5]])
    outputs = pi.silenced(net, "output", np.array([5]))
    assert not outputs["W_hy"][0][:, 5].any() and np.array_equal(outputs["W_hy"][0][:, :5], net["W_hy"][0][:, :5])
    assert np.array_equal(recurrent["W_xh"], net["W_xh"])  # the original is untouched and the rest copied


def test_the_position_readout_learns_to_the_stated_bar():
    """Issue target: final-step error below 10 % of the side. A short run of 2 small
    networks gets there (measured: 3.7 and 4.3 %); staying at the start is 16 % at step 20."""
    cfg = pi.resolve(pi.Config(readout="position", networks=2, hidden=64, batch=64, steps=800, test_walks=200))
    params, history, centres = pi.train(cfg, verbose=False)
    errors, errors_2x = pi.behaviour(cfg, params, centres)
    assert np.all(errors[-1] < 0.1 * cfg.box), errors[-1]
    baseline = pi.baselines(cfg, centres)["stay_at_start"]
    assert np.all(errors[-1] < 0.5 * baseline[cfg.length - 1])
    assert np.all(errors_2x[-1] < baseline[-1])  # twice as long: still better than not integrating


def test_population_equals_separate_runs():
    cfg = pi.resolve(pi.Config(networks=2, hidden=8, place_cells=10, batch=4, steps=20, test_walks=8,
                               dtype="float64"))
    together, _, _ = pi.train(cfg, verbose=False)
    for k in range(2):
        alone, _, _ = pi.train(dataclasses.replace(cfg, networks=1, seed=k), verbose=False)
        for name, w in alone.items():
            np.testing.assert_allclose(together[name][k], w[0], rtol=0, atol=1e-10, err_msg=f"network {k}, {name}")


@pytest.mark.parametrize("argv, activation, steps", [
    ([], "relu", 6000), (["--readout", "position"], "tanh", 8000),
    (["--activation", "tanh", "--steps", "7"], "tanh", 7), (["--readout", "position", "--activation", "relu"], "relu", 8000),
])
def test_the_read_out_sets_the_defaults_a_flag_overrides(argv, activation, steps):
    cfg = pi.resolve(pi.parse_config(pi.Config, "", argv, pi.check))
    assert (cfg.activation, cfg.steps) == (activation, steps)


def test_prefetched_batches_are_the_plain_ones_in_the_same_order():
    """The walks of step s + 1 are drawn on a second thread while step s trains; from one
    shared random stream, the batches must still come out exactly as drawn one by one."""
    task_rnn = pi.task_rnn
    plain_stream, threaded_stream = np.random.default_rng(5), np.random.default_rng(5)
    expected = [plain_stream.random(4) for _ in range(6)]
    next_batch = task_rnn.prefetched(lambda step: (step, threaded_stream.random(4)))
    for step in range(6):
        got_step, batch = next_batch(step)
        assert got_step == step
        np.testing.assert_array_equal(batch, expected[step])
