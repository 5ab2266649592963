"""The headline problem: data identical to the reference's, the paper-level results, the
population run against separate runs, and the command line."""

import json
import os

import numpy as np
import pytest

from conftest import load_problem, record_and_assert
from rnn_numpy import gradcheck
from rnn_numpy.experiment import load_params

slu = load_problem("sequence_lookup_25")
studies = load_problem("_sequence_lookup_25_studies")


def test_dataset_seed_0_holds_out_the_reference_sequences():
    data = slu.make_data(slu.resolve(slu.Config()), np.random.default_rng(0))
    held_out = [slu.spell(s) for s in data["letters"][20:]]
    assert held_out == ["CDBBD", "DCDBD", "DECDE", "DBCEE", "BEBBD"]
    assert len({tuple(s) for s in data["letters"]}) == 25  # all distinct


def test_teacher_matches_its_definition():
    teacher = slu.make_teacher()
    rng = np.random.default_rng(1234)  # drawn in the documented order
    np.testing.assert_array_equal(teacher["W"], rng.standard_normal((3, 5)))
    np.testing.assert_array_equal(teacher["pos_weight"], np.linspace(1, 0.2, 5) + 0.15 * rng.standard_normal(5))
    letters = np.random.default_rng(5).integers(0, 5, size=(40, 5))
    expected = np.array([[np.sign(sum(teacher["pos_weight"][t] * teacher["W"][i, s[t]] for t in range(5))
                                  + teacher["b"][i]) or 1.0 for i in range(3)] for s in letters])
    np.testing.assert_array_equal(slu.teacher_codes(letters, teacher), expected)


def test_encode_holds_each_letter_and_pads():
    letters = np.array([[0, 1], [2, 2]])  # AB, CC
    timings = np.array([[2, 1], [1, 1]])
    x, mask = slu.encode(letters, timings, n_letters=3, n_steps=4)
    assert x.shape == (4, 2, 3) and mask.shape == (4, 2)
    np.testing.assert_array_equal(x[:, 0].argmax(-1)[:3], [0, 0, 1])  # A A B
    np.testing.assert_array_equal(mask, [[1, 1], [1, 1], [1, 0], [0, 0]])
    assert x[3].sum() == 0 and x[2:, 1].sum() == 0  # padding is all zeros


def test_baselines_on_dataset_seed_0():
    data = slu.make_data(slu.resolve(slu.Config()), np.random.default_rng(0))
    base = slu.baselines(data, 20)
    assert base["majority_n_correct"] == 4  # as the issue notes: the majority code already gets 4/5


def test_fixed_timing_seed_0_reproduces_the_reference_exactly():
    """Seed 0 draws its weights, data and split as the reference does, so it must match the
    reference's published run to the sweep: 20/20 train, 4/5 held out (100/100/80 % per
    bit), first fully correct at sweep 22, final loss 2.1e-5 (the reference: 2e-5)."""
    results, *_ = slu.run(slu.Config(seed=0), verbose=False)
    m = results["metrics"]
    assert (m["train_acc"], m["test_n_correct"], m["converged_sweep"]) == (1.0, 4, 22)
    assert m["test_per_bit"] == [1.0, 1.0, 0.8]
    assert m["final_loss"] == pytest.approx(2.11e-5, rel=0.01)


def test_five_seeds_table_is_pinned():
    """`--multi-seed 5`: seeds 0-4 as one population; the table in the write-up."""
    results, *_ = slu.run(slu.Config(multi_seed=5), verbose=False)
    table = [(s["seed"], s["train_n_correct"], s["test_n_correct"], s["converged_sweep"]) for s in results["per_seed"]]
    assert table == [(0, 20, 4, 22), (1, 20, 5, 18), (2, 20, 5, 83), (3, 19, 5, None), (4, 20, 5, 21)]


def test_variable_timing_seed_0_gets_every_held_out_sequence():
    results, *_ = slu.run(slu.Config(seed=0, variable_timing=True), verbose=False)
    assert results["metrics"]["test_n_correct"] == 5
    assert results["metrics"]["train_acc"] == 1.0
    assert results["metrics"]["converged_sweep"] == 76  # the reference's sweep too


@pytest.mark.parametrize("masked", [False, True], ids=["fixed timing", "variable timing"])
def test_loss_and_gradients_against_finite_differences(masked):
    """The problem's own loss (output tanh, loss on the last step only, held-out columns at
    zero weight) differentiated by hand, checked entry by entry."""
    cfg = slu.resolve(slu.Config(n_hidden=6, multi_seed=2, variable_timing=masked))
    data = slu.make_data(cfg, np.random.default_rng(0))
    params = slu.init_params(cfg, [0, 1])
    params["b_h"] += 0.1 * np.random.default_rng(1).standard_normal(params["b_h"].shape)  # non-zero biases
    params["b_y"] += 0.1
    rngs = [np.random.default_rng(s) for s in (7, 8)]
    x, mask = (slu.variable_batch(cfg, data, rngs, cfg.max_timing, cfg.seq_len * cfg.max_timing) if masked
               else slu.evaluation_inputs(cfg, data, 2))
    train_cols = np.zeros((1, cfg.n_train + cfg.n_test))
    train_cols[0, :cfg.n_train] = 1.0
    targets = data["targets"][None, None]

    def loss(p):
        return float(slu.loss_and_grads(p, x, mask, targets, train_cols)[0].sum())

    _, grads, _ = slu.loss_and_grads(params, x, mask, targets, train_cols)
    record_and_assert(gradcheck.check_gradients(loss, params, grads), f"sequence_lookup_25 loss (masked={masked})")


def test_mean_code_loss_is_the_best_constant_answer():
    """The trivial predictor every run must beat: no constant code has a lower loss."""
    data = slu.make_data(slu.resolve(slu.Config()), np.random.default_rng(0))
    best = slu.baselines(data, 20)["mean_code_loss"]
    train = data["targets"][:20]
    mean = train.mean(axis=0)
    assert best == pytest.approx(0.5 * ((train - mean) ** 2).sum(axis=1).mean())
    for shift in np.random.default_rng(2).standard_normal((20, 3)) * 0.1:
        assert 0.5 * ((train - mean - shift) ** 2).sum(axis=1).mean() > best


def test_saved_parameters_reload_and_give_the_same_outputs(tmp_path):
    path = tmp_path / "params.npz"
    results = slu.main(["--quick", "--multi-seed", "2", "--save-params", str(path)])
    params, meta = load_params(path)
    assert meta["problem"] == "sequence_lookup_25" and meta["config"] == results["config"]
    cfg = slu.resolve(slu.Config(quick=True, multi_seed=2))
    data = slu.make_data(cfg, np.random.default_rng(cfg.dataset_seed))
    x, mask = slu.evaluation_inputs(cfg, data, 2)
    y = slu.forward(params, x, mask)[0]  # (K, B, 3)
    for k, seed_row in enumerate(results["per_seed"]):
        np.testing.assert_allclose(y[k, cfg.n_train:], seed_row["test_outputs"], rtol=0, atol=1e-12)


@pytest.mark.parametrize("variable", [False, True], ids=["fixed", "variable"])
def test_population_of_three_equals_three_separate_runs(variable):
    cfg = slu.Config(seed=4, multi_seed=3, variable_timing=variable, n_sweeps=60)
    together, history, _ = slu.train(cfg)
    for k in range(3):
        alone, alone_history, _ = slu.train(slu.Config(seed=4 + k, variable_timing=variable, n_sweeps=60))
        for name in together:
            np.testing.assert_allclose(together[name][k], alone[name][0], rtol=0, atol=1e-10, err_msg=name)
        np.testing.assert_allclose(history["loss"][:, k], alone_history["loss"][:, 0], rtol=1e-10)


@pytest.mark.parametrize("args", [["--quick"], ["--quick", "--variable-timing"], ["--quick", "--multi-seed", "2"],
                                  ["--quick", "--grad-clip", "2", "--lr", "0.04", "--n-hidden", "20", "--n-sweeps", "50"]],
                         ids=["fixed", "variable", "multi-seed", "explicit-settings"])
def test_quick_runs_write_complete_results(tmp_path, capsys, args):
    path = tmp_path / "out" / "results.json"
    slu.main(args + ["--save-results", str(path)])
    saved = json.loads(path.read_text())
    for key in ("problem", "config", "metrics", "per_seed", "wallclock_s", "train_loop_s", "versions"):
        assert key in saved, key
    for key in ("train_acc", "test_acc", "test_n_correct", "test_per_bit", "final_loss", "converged_sweep",
                "baseline_majority_n_correct", "baseline_bag_of_letters_n_correct"):
        assert key in saved["metrics"], key
    assert len(saved["per_seed"]) == saved["config"]["multi_seed"]
    assert not list(path.parent.glob("*.tmp"))  # written whole, no leftovers
    assert "baselines on the same split" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--n-hidden", "0"], "--n-hidden must be at least 1"),
    (["--lr", "-1"], "--lr must be positive"),
    (["--n-train", "3200"], "distinct sequences asked for"),
    (["--optimizer", "rmsprop"], "invalid choice"),
])
def test_bad_input_is_a_clear_error(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        slu.main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_divergence_is_a_clear_error_not_a_nan(capsys):
    with pytest.raises(SystemExit) as exit_info:
        slu.main(["--lr", "1e200", "--grad-clip", "0", "--n-sweeps", "20"])
    assert exit_info.value.code == 1
    assert "training diverged at sweep" in capsys.readouterr().err


def test_fresh_timing_scores_match_the_fixed_draw_when_holds_are_all_one():
    """With max_timing 1 every draw is the fixed draw, so the fresh-timing score must equal
    the held-out count from evaluate()."""
    cfg = slu.resolve(slu.Config(variable_timing=True, max_timing=1, n_sweeps=80, multi_seed=2))
    params, history, data = slu.train(cfg)
    fresh = studies.held_out_over_timings(slu, params, cfg, data, 4, np.random.default_rng(0))
    counts = [s["test_n_correct"] for s in slu.evaluate(params, cfg, data, history)]
    np.testing.assert_array_equal(fresh, np.repeat(np.array(counts)[:, None], 4, axis=1))


@pytest.mark.parametrize("study", ["max_timing_3", "datasets", "scale"])
def test_each_study_runs_quick_and_its_figure_draws(tmp_path, capsys, study):
    """The study's quick run through the figure script: its results JSON and its figure.
    (The figure and GIF scripts' other runs are in test_smoke.py.)"""
    os.environ.setdefault("MPLBACKEND", "Agg")
    written = load_problem("visualize_sequence_lookup_25").main(["--study", study, "--quick", "--out-dir", str(tmp_path)])
    assert written == [tmp_path / f"study_{study}.png"]
    saved = json.loads((tmp_path / f"study_{study}.json").read_text())
    assert saved["study"] == study and saved["rows"] and saved["config"]["quick"]
    assert "study took" in capsys.readouterr().out


def test_study_all_on_two_dask_workers_writes_the_serial_files(tmp_path):
    """--study all, serially and as a sweep on 2 local Dask workers: the same study files, all
    but the wall time; the sweep folder keeps each finished study."""
    slu.main(["--study", "all", "--quick", "--results-dir", str(tmp_path / "serial")])
    slu.main(["--study", "all", "--quick", "--results-dir", str(tmp_path / "dask"), "--workers", "2",
              "--sweep-dir", str(tmp_path / "dask" / "sweep")])
    for name in slu.studies.STUDIES:
        serial, swept = (json.loads((tmp_path / run / f"study_{name}.json").read_text()) for run in ("serial", "dask"))
        assert swept["wallclock_s"] > 0 and without_times(serial) == without_times(swept)
        assert (tmp_path / "dask" / "sweep" / f"study_{name}.json").exists()


def without_times(value):
    """A results dict with every wall time ("seconds", "wallclock_s") left out, at any depth."""
    if isinstance(value, dict):
        return {k: without_times(v) for k, v in value.items() if k not in ("seconds", "wallclock_s")}
    if isinstance(value, list):
        return [without_times(v) for v in value]
    return value


@pytest.mark.parametrize("args, message", [
    (["--workers", "2"], "only applies with --study all"),
    (["--study", "scale", "--results-dir", "x"], "only applies with --study all"),
    (["--study", "all", "--save-results", "x.json"], "--save-results names one file"),
    (["--study", "all", "--sweep-dir", "x"], "--sweep-dir is for --workers or --scheduler"),
    (["--study", "all", "--scheduler", "nowhere"], "tcp://host:port"),
])
def test_study_sweep_flags_are_checked(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        slu.main(args)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("max_timing", [1, 2, 3, 7])
def test_one_draw_of_all_timings_matches_the_references_draw_per_sequence(max_timing):
    """draw_timings draws every sequence's holds in one call; the reference draws one
    sequence per call. The numbers, and the generator's state after them, must agree."""
    ours, reference = np.random.default_rng(11), np.random.default_rng(11)
    drawn = slu.draw_timings(ours, 25, 5, max_timing)
    expected = np.stack([reference.integers(1, max_timing + 1, size=5) for _ in range(25)])
    np.testing.assert_array_equal(drawn, expected)
    assert ours.random() == reference.random()


@pytest.mark.parametrize("max_timing, K", [(1, 1), (2, 1), (2, 3), (3, 2)])
def test_the_timing_table_looks_up_what_encode_computes(max_timing, K):
    data = slu.make_data(slu.resolve(slu.Config(variable_timing=True)), np.random.default_rng(0))
    n_steps = 5 * max_timing
    table = slu.TimingTable(data["letters"], 5, max_timing, n_steps)
    rng = np.random.default_rng(max_timing)
    for _ in range(20):
        timings = rng.integers(1, max_timing + 1, size=(K, 25, 5))
        for looked_up, encoded in zip(table.lookup(timings), slu.encode(data["letters"], timings, 5, n_steps)):
            assert looked_up.shape == encoded.shape and looked_up.dtype == encoded.dtype
            assert np.array_equal(looked_up, encoded)
