"""solution_degeneracy: the training objective's gradient (readout scale gamma and the weight
penalty) against finite differences, the c-copy trials against what each task means, the
sweep's conditions, the seed-spread arithmetic and the verdicts, the regime factor doing what
it claims (a larger gamma moves the weights further at equal loss), and quick sweeps: serial
and on 2 Dask workers, the same numbers; the figures and the GIF from them."""

import json
import os

import numpy as np
import pytest

from conftest import load_problem, record_and_assert
from rnn_numpy import gradcheck

sd = load_problem("solution_degeneracy")
import _degeneracy_study as study  # noqa: E402  (problems/ is on the path once a problem is loaded)
import _task_rnn as task_rnn  # noqa: E402


# --- the model ----------------------------------------------------------------------------------

@pytest.mark.parametrize("gamma, weight_decay", [(1.0, 0.0), (2.0, 0.01), (0.5, 0.003)])
def test_the_objective_gradient_with_gamma_and_the_penalty(gamma, weight_decay):
    """Delayed discrimination's masked trials, 2 networks of 7 units, float64."""
    rng = np.random.default_rng(4)
    x, target, mask = sd.delayed_discrimination_trials(rng, 5, 2, training=True)
    x, target = np.stack([x, x], axis=1), np.stack([target, target], axis=1)  # (T, 2, 5, D)
    params = task_rnn.init_params([0, 1], x.shape[-1], 7, target.shape[-1])
    params["W_hh"] *= 3  # make the recurrence matter
    batch_loss, _ = sd.objective(gamma, weight_decay)
    loss, grads = batch_loss(params, (x, target, mask))
    assert loss.shape == (2,)
    errors = gradcheck.check_gradients(lambda p: float(batch_loss({**params, **p}, (x, target, mask))[0].sum()),
                                       params, grads)
    record_and_assert(errors, f"solution_degeneracy gamma {gamma} lambda {weight_decay}")


def test_the_validation_loss_is_the_mse_of_the_scaled_outputs():
    rng = np.random.default_rng(5)
    x, target, _ = sd.flip_flop_trials(rng, 6, 2)
    params = task_rnn.init_params([3, 4], 2, 9, 2)
    x, target = x[:, None], target[:, None]
    _, validation_loss = sd.objective(2.5, 0.1)  # the penalty is not part of the stopping test
    y, _ = sd.outputs(params, x, 2.5)
    direct = ((y - target) ** 2).mean(axis=(0, 2, 3))  # (K,)
    np.testing.assert_allclose(validation_loss(params, (x, target, None)), direct, rtol=1e-12)


# --- the tasks, c copies side by side -----------------------------------------------------------

def test_flip_flop_copies_each_hold_their_own_last_pulse():
    x, target, mask = sd.flip_flop_trials(np.random.default_rng(0), 50, 3)
    assert x.shape == target.shape == (40, 50, 3) and mask is None
    for j in range(3):
        np.testing.assert_array_equal(target[..., j], sd.ff.hold_last_pulse(x[..., j:j + 1])[..., 0])


def test_sine_copies_each_follow_their_own_level():
    x, target, _ = sd.sine_trials(np.random.default_rng(1), 20, 2, ood=True)
    assert x.shape == target.shape == (60, 20, 2)
    level = np.abs(x[0][..., None] - sd.sw.U).argmin(axis=-1)  # (20, 2): which level each channel holds
    assert np.all(sd.sw.TRAINED[level])  # drawn from the trained levels
    t = np.arange(1, 61)[:, None, None]
    np.testing.assert_allclose(target, np.sin(sd.sw.OMEGA[level] * t), atol=1e-12)


def test_delayed_discrimination_copies_score_until_the_last_decision_ends():
    x, target, mask = sd.delayed_discrimination_trials(np.random.default_rng(2), 30, 2, ood=True)
    assert x.shape == target.shape == (2 * 1 + 40 + 5, 30, 2)
    for j in range(2):  # each channel: f1, then f2 after its own delay; the target is sign(f2 - f1)
        first, second = x[0, :, j], x[:, :, j].sum(axis=0) - x[0, :, j]  # (30,) amplitudes f1, f2
        signs = np.array([np.unique(target[:, n, j][target[:, n, j] != 0]) for n in range(30)]).ravel()
        np.testing.assert_array_equal(signs, np.sign(second - first))
    last_scored = mask.shape[0] - 1 - np.argmax(mask[::-1] > 0, axis=0)  # (30,)
    last_decision = np.max([mask.shape[0] - 1 - np.argmax(target[::-1, :, j] != 0, axis=0) for j in range(2)], axis=0)
    np.testing.assert_array_equal(last_scored, last_decision)  # the union: scored to the later channel's end


def test_path_integration_targets_are_the_start_plus_the_integrated_velocity():
    x, target, _ = sd.path_integration_trials(np.random.default_rng(3), 16, 2)
    assert x.shape == (20, 16, 8) and target.shape == (20, 16, 4)
    scale = 2 * sd.pi.OUTPUT_HALF_RANGE / sd.PI_CONFIG.box
    for j in range(2):
        velocity, cue = x[..., 4 * j:4 * j + 2], x[..., 4 * j + 2:4 * j + 4]
        assert not cue[1:].any()  # the start is shown on step 0 only
        position = cue[0] + scale * sd.pi.DT * np.cumsum(velocity, axis=0)  # start + sum of steps, scaled
        np.testing.assert_allclose(target[..., 2 * j:2 * j + 2], position, atol=1e-9)


def test_the_walk_bank_hands_out_its_own_walks():
    bank = sd.WalkBank(np.random.default_rng(0), 2, size=64)
    x, target, mask = bank.draw(10)
    assert x.shape == (20, 10, 8) and mask is None
    rows = {tuple(r) for r in bank.x[0].round(12)}
    assert all(tuple(r) in rows for r in x[0].round(12))


# --- the sweep ----------------------------------------------------------------------------------

def test_the_default_sweep_is_36_conditions_sharing_each_tasks_reference():
    conditions = sd.conditions_for(sd.Config())
    names = [c["name"] for c in conditions]
    assert len(conditions) == 36 and len(set(names)) == 36
    assert sum(name.endswith("-reference") for name in names) == 4
    records = [{"reached": 10} for _ in conditions]
    rows = study.level_rows(conditions, records, sd.LEVELS, sd.REFERENCE)
    assert len(rows) == 4 * 4 * 3  # every task x factor x level finds its condition
    for row in rows:
        condition = next(c for c in conditions if c["name"] == row["condition"])
        assert condition[row["factor"]] == row["level"]
        assert all(condition[f] == sd.REFERENCE[f] for f in sd.FACTORS if f != row["factor"])


def test_the_jackknife_of_a_mean_is_its_standard_error():
    """For the mean, the jackknife standard error equals sd (ddof 1) / sqrt(K) exactly."""
    e = np.random.default_rng(0).standard_normal(9)
    leave_one_out = [np.delete(e, i).mean() for i in range(9)]
    np.testing.assert_allclose(study.jackknife(leave_one_out), e.std(ddof=1) / 3, rtol=1e-12)


def test_a_pairwise_degeneracy_and_its_spread():
    D = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], dtype=float)
    levels = study.degeneracy_levels([1.0, 2.0, 4.0], {"dynamics": D})
    assert levels["dynamics"]["value"] == pytest.approx(2.0)
    # leaving out network 0, 1, 2 leaves the pairs (1,2), (0,2), (0,1): 3, 2, 1
    assert levels["dynamics"]["se"] == pytest.approx(np.sqrt(2 / 3 * 2.0))
    assert levels["behaviour"]["value"] == pytest.approx(np.std([1, 2, 4], ddof=1))


@pytest.mark.parametrize("low, high, paper, measured, verdict", [
    ((1.0, 0.1), (2.0, 0.1), "up", "up", "reproduced"),
    ((1.0, 0.1), (0.5, 0.1), "up", "down", "not reproduced"),
    ((1.0, 0.3), (1.5, 0.3), "down", "not resolved at 10 seeds", "not resolved at 10 seeds"),  # 0.5 < 2 x 0.42
    ((1.0, 0.1), (1.5, 0.1), "mixed", "up", "reported (paper: mixed)"),
])
def test_a_direction_is_a_verdict_only_beyond_twice_the_spread(low, high, paper, measured, verdict):
    as_dict = [{"value": v, "se": s} for v, s in (low, high)]
    assert study.direction(*as_dict, 10) == measured
    assert study.verdict(measured, paper) == verdict


def test_a_larger_gamma_moves_the_weights_further_at_equal_loss(monkeypatch):
    """The regime factor does what it claims: networks trained to the same loss with
    y = W_hy h / gamma move their recurrent weights further from initialization when gamma is
    larger (measured, 3 seeds: 0.85-0.97 of |W_hh(0)| at gamma 0.5, 1.28-1.38 at gamma 2)."""
    monkeypatch.setattr(sd, "QUICK_TRAINING", {"steps": 3000, "target": 0.05})
    cfg = sd.Config(networks=3, quick=True)
    initial = task_rnn.init_params([0, 1, 2], 1, 16, 1)["W_hh"]
    moved = {}
    for gamma in (0.5, 2.0):
        condition = sd.condition_for("flip_flop", {"regime": gamma, "complexity": 1, "size": 16}, cfg)
        params, history = sd.train_condition(condition)
        assert np.all(history["stopped_at"] >= 0)  # both at the same loss
        moved[gamma] = np.linalg.norm((params["W_hh"] - initial).reshape(3, -1), axis=1) / np.linalg.norm(
            initial.reshape(3, -1), axis=1)
    assert np.all(moved[2.0] > moved[0.5]), moved


# --- quick sweeps, serial and on Dask -------------------------------------------------------------

@pytest.fixture(scope="module")
def quick_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("solution_degeneracy")
    path = folder / "results.json"
    sd.main(["--quick", "--factors", "size", "--sweep-dir", str(folder / "sweep"), "--save-results", str(path)])
    return json.loads(path.read_text()), folder


def test_a_quick_sweep_measures_every_level(quick_results):
    results, _ = quick_results
    assert [c["condition"]["name"] for c in results["conditions"]] == [
        "flip_flop-reference", "flip_flop-size=16", "flip_flop-size=64"]
    for entry in results["conditions"]:
        record = entry["result"]
        for name in ("behaviour", "dynamics", "shape", "weights", "weight_changes"):
            assert record[name]["value"] > 0 and record[name]["se"] >= 0
        assert len(record["weights_moved"]) == 3 and min(record["weights_moved"]) > 0
        D = np.array(record["matrices"]["weights"])
        np.testing.assert_array_equal(D, D.T)
    assert {r["measure"] for r in results["findings"]} == {"behaviour", "dynamics", "shape", "weights",
                                                           "weight_changes"}
    for row in results["rows"]:  # the same networks before training: random weights, far apart after matching
        assert 1.0 < row["weights_untrained"]["value"] < 1.5
    assert len(results["per_seed"]) == 9


def test_two_dask_workers_give_the_serial_numbers(quick_results, tmp_path):
    serial, _ = quick_results
    path = tmp_path / "results.json"
    sd.main(["--quick", "--factors", "size", "--workers", "2", "--sweep-dir", str(tmp_path / "sweep"),
             "--save-results", str(path)])
    swept = json.loads(path.read_text())

    def numbers(results):
        return [{k: v for k, v in c["result"].items() if "seconds" not in k} for c in results["conditions"]]

    assert numbers(swept) == numbers(serial)
    assert swept["findings"] == serial["findings"]


def test_the_figures_and_the_gif_draw_from_quick_runs(quick_results, tmp_path):
    os.environ.setdefault("MPLBACKEND", "Agg")
    _, folder = quick_results
    viz = load_problem("visualize_solution_degeneracy")
    written = viz.main(["--results", str(folder / "results.json"), "--out-dir", str(tmp_path)])
    assert sorted(p.name for p in written) == ["degeneracy.png", "dsa_vs_shape.png", "verdicts.png"]
    gif = load_problem("make_solution_degeneracy_gif")
    frames = gif.main(["--quick", "--networks", "3", "--out", str(tmp_path / "sd.gif")])
    assert len(frames) >= 2 and (tmp_path / "sd.gif").stat().st_size > 0


@pytest.mark.parametrize("args, message", [
    (["--tasks", "juggling"], "unknown --tasks juggling"),
    (["--factors", "size,colour"], "unknown --factors colour"),
    (["--networks", "2"], "--networks must be at least 3"),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--scheduler", "nowhere"], "tcp://host:port"),
])
def test_bad_input_is_a_clear_error(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        sd.main(args)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
