"""delayed_discrimination: the task generator against hand-made trials, the baselines and the
analysis helpers against cases worked out by hand, bad input, population = separate runs, and a
quick run: its accuracy, and the finding at quick scale (f1 held along one line in f1's order,
with a stable fixed point on it, by units tuned with both signs)."""

import dataclasses
import json

import numpy as np
import pytest

from conftest import load_problem
from rnn_numpy import fixed_points
from rnn_numpy.experiment import load_params

dd = load_problem("delayed_discrimination")


# --- the task generator -----------------------------------------------------------------------

def test_two_trials_by_hand():
    """Pulses of one step, a decision period of two, an array of 8 steps. Trial A: f1 = 3, delay
    2, f2 = 7: f1 at step 0, delay 1-2, f2 at 3, decision 4-5 (target +1), padding 6-7. Trial B:
    f1 = 9, delay 3, f2 = 4: f1 at 0, delay 1-3, f2 at 4, decision 5-6 (target -1), padding 7."""
    tr = dd.layout([3, 9], [7, 4], [2, 3], pulse_len=1, decision_len=2, length=8)
    assert tr.x.shape == tr.target.shape == (8, 2, 1) and tr.mask.shape == tr.decision.shape == (8, 2)
    np.testing.assert_array_equal(tr.x[:, 0, 0], [3, 0, 0, 7, 0, 0, 0, 0])
    np.testing.assert_array_equal(tr.x[:, 1, 0], [9, 0, 0, 0, 4, 0, 0, 0])
    np.testing.assert_array_equal(tr.target[:, 0, 0], [0, 0, 0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(tr.target[:, 1, 0], [0, 0, 0, 0, 0, -1, -1, 0])
    np.testing.assert_array_equal(tr.mask[:, 0], [1, 1, 1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(tr.mask[:, 1], [1, 1, 1, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(tr.decision[:, 0], [0, 0, 0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(tr.decision[:, 1], [0, 0, 0, 0, 0, 1, 1, 0])
    assert tr.delay.tolist() == [2, 3]


def test_longer_pulses_and_a_tie_by_hand():
    """Pulses of two steps, delay 1, decision 1: x = 5 5 0 6 6 0, target +1 at the last step only.
    A tie (f1 = f2) has target 0 in its decision period, which is still marked."""
    tr = dd.layout([5, 6], [6, 6], [1, 1], pulse_len=2, decision_len=1, length=6)
    np.testing.assert_array_equal(tr.x[:, 0, 0], [5, 5, 0, 6, 6, 0])
    np.testing.assert_array_equal(tr.target[:, 0, 0], [0, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(tr.mask[:, 0], [1] * 6)
    np.testing.assert_array_equal(tr.target[:, 1, 0], [0] * 6)
    np.testing.assert_array_equal(tr.decision[:, 1], [0, 0, 0, 0, 0, 1])


def test_a_trial_longer_than_the_array_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        dd.layout([3], [4], [10], pulse_len=1, decision_len=5, length=16)


def test_random_trials_have_the_stated_statistics():
    cfg = dd.Config()
    tr = dd.make_trials(np.random.default_rng(0), 4000, cfg, margin=0.5)
    assert tr.x.shape[0] == dd.trial_length(cfg) == 2 + 20 + 5
    assert np.all((tr.f1 >= 2) & (tr.f1 <= 10) & (tr.f2 >= 2) & (tr.f2 <= 10))
    assert np.abs(tr.f1 - tr.f2).min() >= 0.5  # the margin
    assert set(tr.delay.tolist()) == set(range(5, 21))  # every delay of the range occurs
    np.testing.assert_array_equal(tr.x[0, :, 0], tr.f1)  # f1 at step 0
    np.testing.assert_array_equal(tr.x[1 + tr.delay, np.arange(4000), 0], tr.f2)  # f2 right after the delay
    assert np.all((tr.x[..., 0] != 0).sum(axis=0) == 2)  # two pulses, nothing else
    np.testing.assert_array_equal(tr.mask.sum(axis=0), 2 + tr.delay + 5)
    np.testing.assert_array_equal(tr.target[..., 0].sum(axis=0), 5 * np.sign(tr.f2 - tr.f1))
    assert np.mean(tr.f2 > tr.f1) == pytest.approx(0.5, abs=0.03)


def test_the_doubled_delays_and_their_array():
    cfg = dd.Config()
    assert dd.doubled(cfg) == (10, 40)
    tr = dd.make_trials(np.random.default_rng(1), 500, cfg, 0.0, dd.doubled(cfg))
    assert tr.x.shape[0] == 2 + 40 + 5 and tr.delay.min() >= 10 and tr.delay.max() <= 40


def test_psychometric_and_table_trials():
    cfg = dd.Config()
    tr, grid = dd.psychometric_trials(cfg)
    assert len(grid) == 65 and grid[0] == -8 and grid[-1] == 8 and grid[32] == 0
    np.testing.assert_allclose(tr.f1 - tr.f2, np.repeat(grid, dd.PSY_REPEATS), atol=1e-12)
    assert np.all((tr.f2 >= 2 - 1e-12) & (tr.f2 <= 10 + 1e-12))
    table = dd.romo_trials(cfg)
    assert len(table.f1) == 9 * 9 * 16  # every pair of 2..10 at every delay 5..20
    assert len({(a, b, d) for a, b, d in zip(table.f1, table.f2, table.delay)}) == len(table.f1)


# --- baselines and analysis helpers -----------------------------------------------------------

def test_f2_rule_psychometric_by_hand():
    """Threshold 6. At f1 - f2 = 0, f2 is uniform on [2, 10]: P(f2 < 6) = 1/2; at +2 it is uniform
    on [2, 8]: 4/6; at +4 on [2, 6]: 1; at -4 on [6, 10]: 0."""
    got = dd.f2_rule_psychometric(np.array([0.0, 2.0, 4.0, -4.0]), 6.0)
    np.testing.assert_allclose(got, [0.5, 4 / 6, 1.0, 0.0])


def test_the_best_rule_without_f1_gets_three_quarters():
    """On uniform pairs, report "f2 larger" when f2 > 6: right with probability
    E[max(f2 - 2, 10 - f2) / 8] = 3/4."""
    tr = dd.make_trials(np.random.default_rng(2), 20_000, dd.Config(), 0.0)
    threshold = dd.best_f2_threshold(tr)
    assert threshold == pytest.approx(6.0, abs=0.3)
    assert dd.f2_rule(tr, threshold).mean() == pytest.approx(0.75, abs=0.01)


def test_read_f1_on_a_straight_line():
    """States on a line h = c + f1 v are read back as f1, also beyond the ends (extrapolated)."""
    rng = np.random.default_rng(3)
    c, v = rng.standard_normal(6), rng.standard_normal(6)
    h_end = c + dd.MEMORY_LEVELS[:, None] * v
    basis, along, share = dd.memory_ruler(h_end)
    assert share == pytest.approx(1.0) and np.all(np.diff(along) > 0)
    probe = c + np.array([2.0, 5.25, 10.0, 12.0, 0.5])[:, None] * v
    np.testing.assert_allclose(dd.read_f1(basis, along, probe), [2.0, 5.25, 10.0, 12.0, 0.5], atol=1e-9)


def test_drift_split_by_hand():
    """A network that drifts every f1 upwards: pairs with f2 = f1 + 1 are opposed (the drift
    moves f1 towards f2), pairs with f2 = f1 - 1 favoured. It answers every favoured pair right
    and half of the opposed ones."""
    f1, f2 = np.meshgrid(dd.ROMO_LEVELS, dd.ROMO_LEVELS, indexing="ij")
    p_larger = np.where(f1 > f2, 1.0, 0.0)
    p_larger[f2 == f1 + 1] = 0.5
    favoured, opposed = dd.drift_split(p_larger, np.ones(9))
    assert favoured == 1.0 and opposed == 0.5


def test_tuning_of_two_hand_made_units():
    """Two units that keep the sign of their input through the delay (W_hh = I, so
    h_t = tanh(h_{t-1})): unit 0 gets +0.1 f1, unit 1 gets -0.1 f1. At the end of any delay unit 0
    rises with f1 and unit 1 falls, both monotonically: half positive, half negative."""
    params = {"W_xh": np.array([[[0.1], [-0.1]]]), "W_hh": np.eye(2)[None], "b_h": np.zeros((1, 2)),
              "W_hy": np.zeros((1, 1, 2)), "b_y": np.zeros((1, 1))}
    rows, binned, t = dd.tuning(params, dd.Config())
    assert rows[0] == {"positive": 0.5, "negative": 0.5, "untuned": 0.0, "monotonic_of_tuned": 1.0}
    assert t[0, 0] > dd.TUNING_T and t[0, 1] < -dd.TUNING_T
    assert np.all(np.diff(binned[0, :, 0]) > 0) and np.all(np.diff(binned[0, :, 1]) < 0)


def test_tuning_is_read_at_each_trials_own_delay():
    """With W_hh = -I a unit's sign flips at every step, so at the end of a random delay it is
    +-tanh(..f1) with a sign set by the delay's parity: not tuned. (Read at one fixed step
    instead, it would look tuned.)"""
    params = {"W_xh": np.array([[[0.1], [-0.1]]]), "W_hh": -np.eye(2)[None], "b_h": np.zeros((1, 2)),
              "W_hy": np.zeros((1, 1, 2)), "b_y": np.zeros((1, 1))}
    rows, _, t = dd.tuning(params, dd.Config())
    assert rows[0]["untuned"] == 1.0 and np.all(np.abs(t) < dd.TUNING_T)


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--delay-min", "10", "--delay-max", "5"], "--delay-max must be at least --delay-min"),
    (["--margin", "8"], "--margin must be in [0, 8)"),
    (["--margin", "-0.1"], "--margin must be in [0, 8)"),
    (["--networks", "0"], "--networks must be at least 1"),
    (["--decision-len", "0"], "--decision-len must be at least 1"),
    (["--pulse-len", "0"], "--pulse-len must be at least 1"),
    (["--lr", "0"], "--lr must be positive"),
    (["--target-loss", "-1"], "--target-loss must be positive"),
    (["--start-noise", "-1"], "--start-noise must be at least 0"),
    (["--lr", "nan"], "--lr: must be a finite number"),
    (["--seed", "-1"], "--seed: must be 0 or more"),
])
def test_bad_input_is_a_usage_error(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        dd.main(["--quick", *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize("script, args, message", [
    ("visualize_delayed_discrimination", ["--quick", "--results", "{file}"], "--results would be ignored"),
    ("make_delayed_discrimination_gif", ["--frames", "1"], "--frames must be at least 2"),
    ("make_delayed_discrimination_gif", ["--publish", "--seed", "3"], "takes no other flag"),
])
def test_figure_scripts_refuse_bad_input(tmp_path, capsys, script, args, message):
    (tmp_path / "r.json").write_text("{}")
    with pytest.raises(SystemExit) as exit_info:
        load_problem(script).main([a.format(file=tmp_path / "r.json") for a in args])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_a_results_file_of_another_problem_is_refused(tmp_path, capsys):
    (tmp_path / "r.json").write_text(json.dumps({"problem": "flip_flop", "metrics": {}}))
    with pytest.raises(SystemExit) as exit_info:
        load_problem("visualize_delayed_discrimination").main(["--results", str(tmp_path / "r.json"),
                                                               "--out-dir", str(tmp_path)])
    assert exit_info.value.code == 1 and "is not the delayed_discrimination results file" in capsys.readouterr().err


# --- training -------------------------------------------------------------------------------

def test_each_network_draws_its_own_trials():
    """A training batch holds, for network k, the trials of its own stream [seed_k, TRAIN_KEY]."""
    cfg = dd.Config(batch=4)
    x, target, mask = dd.batch_maker(cfg, [3, 4])(0)
    assert x.shape == target.shape == (27, 2, 4, 1) and mask.shape == (27, 2, 4)
    own = dd.make_trials(np.random.default_rng([4, dd.TRAIN_KEY]), 4, cfg, cfg.margin)
    np.testing.assert_array_equal(x[:, 1], own.x)
    np.testing.assert_array_equal(mask[:, 1], own.mask)
    assert not np.array_equal(x[:, 0], x[:, 1])


def test_population_equals_separate_runs():
    """Network k of a population of seeds 0..2 ends where seed k trained alone ends (each draws
    its trials from its own stream)."""
    cfg = dd.Config(networks=3, hidden=6, batch=8, max_steps=30, lr=0.01, target_loss=1e-9)
    together, _ = dd.train(cfg, verbose=False)
    for k in range(3):
        alone, _ = dd.train(dataclasses.replace(cfg, networks=1, seed=k), verbose=False)
        for name, w in alone.items():
            np.testing.assert_allclose(together[name][k], w[0], rtol=0, atol=1e-10, err_msg=f"network {k}, {name}")
    assert not np.allclose(together["W_hh"][0], together["W_hh"][1])


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dd")
    results = dd.main(["--quick", "--save-results", str(folder / "r.json"), "--save-params", str(folder / "p.npz")])
    return results, folder


def reached(results):
    return [s for s in results["per_seed"] if s["reached_target"]]


def test_quick_run_writes_what_the_design_asks(quick):
    _, folder = quick
    saved = json.loads((folder / "r.json").read_text())
    for key in ("problem", "config", "metrics", "per_seed", "wallclock_s", "versions", "curves", "figure_data"):
        assert key in saved, key
    assert saved["problem"] == "delayed_discrimination" and len(saved["per_seed"]) == 3 and saved["config"]["quick"]


def test_quick_networks_discriminate(quick):
    """The smoke run (3 networks of 16 units, at most 1000 steps to MSE 0.02, about 2 s): the
    stated bar is that at least 2 networks reach the target and each of them gets at least 95% of
    the trials with |f1 - f2| >= 2 right at the trained delays and 90% at doubled delays (measured:
    2 networks, 100% and 100%), against 88% for the best rule that ignores f1."""
    results = quick[0]
    assert len(reached(results)) >= 2
    for s in reached(results):
        assert s["accuracy_easy"] >= 0.95 and s["accuracy_easy_2x"] >= 0.90
        assert s["accuracy"] > results["metrics"]["baseline"]["f2_rule_accuracy"] + 0.1
    assert results["metrics"]["baseline"]["f2_rule_accuracy_easy"] < 0.95  # the rule does not meet the bar


def test_quick_networks_hold_f1_along_a_line(quick):
    """The finding at quick scale: the delay states lie along one curve in f1's order, with at
    least one stable fixed point on it, and the units are tuned to f1 with both signs."""
    for s in reached(quick[0]):
        m, t = s["memory"], s["tuning"]
        assert m["ordered"] and m["line_share"] >= 0.8
        assert m["n_stable_on_line"] >= 1 and m["max_q"] <= 1e-10
        assert t["positive"] >= 0.1 and t["negative"] >= 0.1


def test_saved_parameters_reproduce_the_reported_accuracy(quick):
    results, folder = quick
    params, meta = load_params(folder / "p.npz")
    assert meta["problem"] == "delayed_discrimination" and params["W_hh"].shape == (3, 16, 16)
    cfg = dd.Config(**meta["config"])
    test = dd.make_trials(np.random.default_rng(dd.TEST_SEED), cfg.test_trials, cfg, 0.0)
    got = dd.behaviour(params, test, cfg.margin)["accuracy"]
    np.testing.assert_allclose(got, [s["accuracy"] for s in results["per_seed"]], rtol=0, atol=1e-12)


def test_fixed_points_of_the_quick_networks_are_fixed(quick):
    """Every reported fixed point of network 0 maps to itself at the delay input (recomputed)."""
    results, folder = quick
    params, meta = load_params(folder / "p.npz")
    cfg = dd.Config(**meta["config"])
    h = dd.delay_states(params, cfg)[:, 0]
    memory = dd.analyse_memory(params, cfg, h, 0)
    found = memory["found"]
    fixed = found["h"][~found["slow"]]
    net = dd.task_rnn.network(params, 0)
    np.testing.assert_allclose(np.tanh(fixed @ net["W_hh"].T + net["b_h"]), fixed, atol=1e-8)
    assert memory["summary"]["n_points"] == results["per_seed"][0]["memory"]["n_points"]
    assert fixed_points.pca(h, 1).explained_variance_ratio[0] > 0.3
