"""atomic_states: the balanced-accuracy metric, the corpus, the model's gradients, the runs."""

import json

import numpy as np
import pytest

from conftest import load_problem, record_and_assert
from rnn_numpy import gradcheck
from rnn_numpy.experiment import load_params

atom = load_problem("atomic_states")


def test_balanced_accuracy_of_perfect_clusters_is_one():
    centres = np.eye(4) * 5
    vectors = centres[np.arange(32) % 4] + 0.01 * np.random.default_rng(0).standard_normal((32, 4))
    assert atom.balanced_accuracy(atom.cosine_similarity(vectors)) == pytest.approx(1.0)


def test_balanced_accuracy_of_random_vectors_is_about_chance():
    """Maximizing over thresholds lifts random vectors a little above 0.5 (about 0.53)."""
    rng = np.random.default_rng(1)
    scores = [float(atom.balanced_accuracy(atom.cosine_similarity(rng.standard_normal((32, 64))))) for _ in range(30)]
    assert 0.5 <= np.mean(scores) < 0.56


def test_balanced_accuracy_by_hand():
    """4 words, categories 0, 1, 0, 1: pairs (0,2) and (1,3) are 'same'. With similarities
    0.9 for (0,2), 0.2 for (1,3) and 0.5 for the four 'different' pairs, the best threshold
    catches one same pair and rejects every different one: (1/2 + 1) / 2 = 0.75."""
    S = np.full((4, 4), 0.5)
    S[0, 2] = S[2, 0] = 0.9
    S[1, 3] = S[3, 1] = 0.2
    _, _, same = atom.same_category_pairs(4, n_categories=2)
    assert same.tolist() == [False, True, False, False, True, False]
    assert atom.balanced_accuracy(S, n_categories=2) == pytest.approx(0.75)


@pytest.mark.parametrize("alpha, beta", [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (0.0, 0.5)])
def test_corpus_statistics(alpha, beta):
    seq = atom.sample_sequences(np.random.default_rng(2), 20_000, alpha, beta)
    a, x, b, y = seq[:, 0] - atom.A0, seq[:, 1] - atom.X0, seq[:, 2] - atom.B0, seq[:, 3] - atom.Y0
    assert np.all((y % 4) == (x % 4))  # Y always in X's category
    for cue, rate in ((a, alpha), (b, beta)):  # partner with probability rate (plus 1/32 by chance)
        assert np.mean(cue == x) == pytest.approx(rate + (1 - rate) / 32, abs=0.015)
    assert seq.min() >= 0 and seq.max() < atom.V


def test_pretraining_ends_exactly_at_half_the_steps():
    """exp2 with beta = 0 pre-training: every sequence from word steps/2 * batch on has B = X,
    and before it B matches X only by chance."""
    batch, steps = 64, 200
    stream = atom.make_stream(np.random.default_rng(4), steps * batch, atom.condition_schedule("exp2", 0.0))
    assert len(stream) == steps * batch + atom.WINDOW - 1
    seq = stream[:(len(stream) // 4) * 4].reshape(-1, 4)
    boundary = steps // 2 * batch // 4  # the first sequence of the beta = 1 phase
    same = (seq[:, 2] - atom.B0) == (seq[:, 1] - atom.X0)
    assert same[boundary:].all() and same[:boundary].mean() < 0.1


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_model_gradients_including_the_embedding(cell):
    cfg = atom.Config(hidden=5, init_bound=0.5)
    params = atom.init_params(cfg, cell, K=2, vocab=9)
    ids = np.random.default_rng(3).integers(9, size=(4, 2, 3))  # (window, K, B)
    _, grads = atom.loss_and_grads(params, cell, ids)
    errors = gradcheck.check_gradients(lambda p: float(atom.loss_and_grads(p, cell, ids)[0].sum()), params, grads)
    record_and_assert(errors, f"atomic_states {cell} language model")


@pytest.fixture(scope="module")
def quick_all(tmp_path_factory):
    path = tmp_path_factory.mktemp("atomic_states") / "r.json"
    atom.main(["--experiment", "all", "--quick", "--save-results", str(path)])
    return json.loads(path.read_text())["experiments"]


def test_every_experiment_runs_quick(quick_all):
    assert list(quick_all) == [*atom.EXPERIMENTS, "cds"]
    for name, r in quick_all.items():
        assert r["experiment"] == name and r["seconds"] > 0


def test_two_dask_workers_give_the_serial_experiments(quick_all, tmp_path):
    """--experiment all as a sweep on 2 local Dask workers: every experiment's results equal the
    serial run's, all but the wall time; the sweep folder keeps each finished experiment."""
    path = tmp_path / "r.json"
    atom.main(["--experiment", "all", "--quick", "--workers", "2", "--sweep-dir", str(tmp_path / "sweep"),
               "--save-results", str(path)])
    swept = json.loads(path.read_text())["experiments"]
    for name, serial in quick_all.items():
        assert swept[name].pop("seconds") > 0 and {**serial, "seconds": None} == {**swept[name], "seconds": None}
        assert (tmp_path / "sweep" / f"{name}.json").exists()


def test_no_redundancy_learns_x_categories_and_ignores_b():
    """Experiment 1's beta = 0 condition, shortened: X words sort into their categories while
    B words stay near chance."""
    r, _ = atom.run_experiment(atom.Config(networks=2, steps=600), "exp1", verbose=False)
    beta0 = r["conditions"][0]
    assert beta0["x_final"][0] > 0.9 and beta0["cue_final"][0] < 0.6


@pytest.mark.parametrize("args, message", [(["--networks", "0"], "--networks must be at least 1"),
                                           (["--cue-rate", "2"], "--cue-rate must be in [0, 1]"),
                                           (["--experiment", "exp9"], "invalid choice"),
                                           (["--workers", "2"], "only applies with --experiment all"),
                                           (["--experiment", "all", "--workers", "0"], "at least 1"),
                                           (["--experiment", "all", "--sweep-dir", "x"], "is for --workers or"),
                                           (["--experiment", "all", "--scheduler", "nowhere"], "tcp://host:port")])
def test_bad_input_is_a_clear_error(capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        atom.main(args)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_saved_parameters_reproduce_the_reported_accuracy(tmp_path):
    path = tmp_path / "exp1.npz"
    results = atom.main(["--experiment", "exp1", "--quick", "--save-params", str(path)])
    params, meta = load_params(path)
    per_seed = results["experiments"]["exp1"]["per_seed"]
    assert meta["problem"] == "atomic_states" and params["W_emb"].shape[0] == len(per_seed) == 9
    x_accuracy = atom.slot_accuracy(params, "rnn", atom.X0)  # (K,)
    np.testing.assert_allclose(x_accuracy, [s["x_final"] for s in per_seed], rtol=0, atol=1e-12)
