"""character_challenge: the dense + LSTM + readout model and the input-inference objective against
finite differences, the one-shot population against separate inferences (and that it moves only
each new letter's own dense-layer column), the measures on hand-made cases, bad input, and the
quick run's findings."""

import dataclasses
import json

import numpy as np
import pytest

from conftest import load_problem, record_and_assert
from rnn_numpy import gradcheck
from rnn_numpy.experiment import load_params

cc = load_problem("character_challenge")
SMALL = cc.Config(hidden=7, dense=5)


def small_model(seed=0, population=()):
    p = cc.init_model(np.random.default_rng(seed), SMALL, population)
    p["b"] = p["b"] + 0.3 * np.random.default_rng(seed + 1).standard_normal(p["b"].shape)
    return p


def random_batch(rng, T, shape):
    """target (T, *shape, 4) and a mask (T, *shape) of sequences 2..T long."""
    target = rng.standard_normal((T, *shape, cc.N_OUT))
    lengths = rng.integers(2, T + 1, size=shape)
    mask = (np.arange(T).reshape((T,) + (1,) * len(shape)) < lengths).astype(float)
    return target, mask


# --- gradients -------------------------------------------------------------------------------------

@pytest.mark.parametrize("population, held", [((), True), ((), False), ((2,), True)],
                         ids=["one network", "label changes every step", "population of 2"])
def test_model_gradients(population, held):
    """d MSE / d every weight and d the input vector, through dense layer, LSTM and readout."""
    rng = np.random.default_rng(3)
    p = small_model(0, population)
    T, B = 6, 3
    code = rng.standard_normal((1 if held else T, *population, B, cc.N_LABELS))
    target, mask = random_batch(rng, T, (*population, B))
    loss, grads, _ = cc.loss_and_grads(p, code, target, mask)

    def total(q):
        return float(cc.loss_and_grads(q, q["code"], target, mask)[0].sum())

    errors = gradcheck.check_gradients(total, {**p, "code": code}, grads, rng=rng)
    record_and_assert(errors, f"character_challenge model P={population} held={held}")


def test_input_inference_gradient_with_a_shared_network():
    """The classification objective: one network shared by J members, each with its own input
    vector (1, J, 1, 26); only the vectors' gradient is needed (the LSTM's is skipped)."""
    rng = np.random.default_rng(4)
    p = small_model(1)
    code = 0.3 * rng.standard_normal((1, 3, 1, cc.N_LABELS))
    target, mask = random_batch(rng, 7, (3, 1))
    _, grads, _ = cc.loss_and_grads(p, code, target, mask, lstm_too=False)
    assert "W_h" not in grads and grads["code"].shape == code.shape

    def total(q):
        return float(cc.loss_and_grads(p, q["code"], target, mask)[0].sum())

    errors = gradcheck.check_gradients(total, {"code": code}, {"code": grads["code"]}, rng=rng)
    record_and_assert(errors, "character_challenge input inference")


# --- one-shot inference: a population of new letters on one shared network -----------------------

def test_one_shot_population_equals_separate_inferences():
    """Member j of the population (13 new letters at once) ends where inferring letter j alone ends,
    and only the new letters' own columns of W_d move; the LSTM and readout stay as they were."""
    rng = np.random.default_rng(5)
    p = small_model(2)
    before = {k: v.copy() for k, v in p.items()}
    letters = [cc.LETTERS.index(c) for c in cc.NEW]
    examples = [rng.standard_normal((n, cc.N_OUT)) for n in rng.integers(3, 9, size=len(letters))]
    together, history = cc.one_shot(p, examples, letters, steps=25, lr=0.01, verbose=False)
    assert history["loss"][-1].mean() < history["loss"][0].mean()
    for k, v in before.items():
        np.testing.assert_array_equal(p[k], v, err_msg=k)  # nothing of the trained network changed
    untouched = [i for i in range(cc.N_LABELS) if i not in letters]
    np.testing.assert_array_equal(together[:, untouched], p["W_d"][:, untouched])
    for j in (0, 6, 12):
        alone, _ = cc.one_shot(p, [examples[j]], [letters[j]], steps=25, lr=0.01, verbose=False)
        np.testing.assert_allclose(together[:, letters[j]], alone[:, letters[j]], rtol=0, atol=1e-10)
        assert not np.allclose(alone[:, letters[j]], p["W_d"][:, letters[j]])


def test_bounded_one_shot_keeps_each_new_column_within_the_radius():
    """With a radius, every new letter's column ends no longer than it (and reaches it here, where
    the unbounded inference goes beyond); population = separate inferences holds with the bound."""
    rng = np.random.default_rng(8)
    p = small_model(4)
    letters = [cc.LETTERS.index(c) for c in cc.NEW]
    examples = [3 * rng.standard_normal((n, cc.N_OUT)) for n in rng.integers(3, 9, size=len(letters))]
    radius = cc.code_radius(p, range(13))
    assert radius == pytest.approx(np.linalg.norm(p["W_d"][:, :13], axis=0).max())
    free, _ = cc.one_shot(p, examples, letters, steps=60, lr=0.05, verbose=False)
    bounded, _ = cc.one_shot(p, examples, letters, steps=60, lr=0.05, radius=radius, verbose=False)
    assert np.linalg.norm(free[:, letters], axis=0).max() > 1.5 * radius
    np.testing.assert_allclose(np.linalg.norm(bounded[:, letters], axis=0), radius, rtol=1e-12)
    alone, _ = cc.one_shot(p, [examples[4]], [letters[4]], steps=60, lr=0.05, radius=radius, verbose=False)
    np.testing.assert_allclose(bounded[:, letters[4]], alone[:, letters[4]], rtol=0, atol=1e-10)


def test_bound_columns_by_hand():
    W = np.zeros((2, 3, 26))
    W[0, :, 5] = [3.0, 4.0, 0.0]  # length 5: scaled to 2
    W[1, :, 7] = [0.6, 0.8, 0.0]  # length 1: inside, kept
    W[1, :, 5] = [30.0, 0.0, 0.0]  # member 1's column 5 is not its letter: kept
    cc.bound_columns(W, [5, 7], 2.0)
    np.testing.assert_allclose(W[0, :, 5], [1.2, 1.6, 0.0])
    np.testing.assert_allclose(W[1, :, 7], [0.6, 0.8, 0.0])
    assert W[1, 0, 5] == 30.0


def test_non_negative_inference_keeps_a_mixture():
    rng = np.random.default_rng(9)
    p = small_model(5)
    targets = [rng.standard_normal((n, cc.N_OUT)) for n in (5, 6)]
    codes, _ = cc.infer_code(p, targets, steps=30, lr=0.05, verbose=False)
    free, _ = cc.infer_code(p, targets, steps=30, lr=0.05, non_negative=False, verbose=False)
    assert codes.min() >= 0.0 and free.min() < 0.0


def test_infer_code_population_equals_separate_inferences():
    rng = np.random.default_rng(6)
    p = small_model(3)
    targets = [rng.standard_normal((n, cc.N_OUT)) for n in (4, 7, 5)]
    together, _ = cc.infer_code(p, targets, steps=20, lr=0.01, verbose=False)
    for j in range(3):
        alone, _ = cc.infer_code(p, [targets[j]], steps=20, lr=0.01, verbose=False)
        np.testing.assert_allclose(together[j], alone[0], rtol=0, atol=1e-10)


# --- measures --------------------------------------------------------------------------------------

def test_resample_and_stroke_similarity_by_hand():
    states = np.array([[0.0, 0.0], [2.0, 4.0], [4.0, 8.0]])
    np.testing.assert_allclose(cc.resample(states, 5), [[0, 0], [1, 2], [2, 4], [3, 6], [4, 8]])
    rng = np.random.default_rng(7)
    a = rng.standard_normal((12, 9))
    centre = np.zeros(9)
    assert cc.stroke_similarity(a, a, centre) == pytest.approx(1.0)
    assert cc.stroke_similarity(a, -a, centre) == pytest.approx(-1.0)
    stretched = cc.resample(a, 30)  # the same stroke written more slowly
    assert cc.stroke_similarity(a, stretched, centre) > 0.95


def test_spearman_by_hand():
    assert cc._spearman(np.array([1.0, 2.0, 5.0]), np.array([0.0, 1.0, 2.0])) == pytest.approx(1.0)
    assert cc._spearman(np.array([3.0, 2.0, 1.0]), np.array([0.0, 1.0, 2.0])) == pytest.approx(-1.0)


def test_scale_round_trip_and_one_hot():
    steps = np.array([[0.01, -0.02, 0.7, 1.0]])
    np.testing.assert_allclose(cc.unscale(cc.scale(steps)), steps)
    assert cc.scale(steps)[0, 0] == pytest.approx(0.01 * cc.POSITION_SCALE)
    np.testing.assert_array_equal(cc.one_hot([0, 25]).argmax(axis=1), [0, 25])


# --- the quick run: the finding at small scale, and what it writes ---------------------------------

@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("quick")
    results = cc.main(["--quick", "--save-results", str(out / "r.json"), "--save-params", str(out / "p.npz")])
    return results, out


def test_quick_run_learns_new_letters_from_one_example(quick):
    """Even at quick scale (24 units, 300 training steps) the trained network's one-shot inference
    writes the new letters closer to their examples than the untrained network's does, and the
    nearest-example rule recognises what it writes; without inference it writes other letters."""
    m = quick[0]["metrics"]
    reg = m["regeneration"]
    assert m["trained_closer_than_untrained"] >= 11  # measured: 13
    assert reg["trained"]["identified"] >= 9  # measured: 10, against 4 without inference and 4 untrained
    assert reg["trained"]["identified"] >= 4 + max(reg["no_inference"]["identified"], reg["untrained"]["identified"])
    assert reg["trained"]["dtw"]["mean"] < 0.5 * reg["no_inference"]["dtw"]["mean"]
    assert reg["trained"]["dtw"]["mean"] < 0.75 * reg["untrained"]["dtw"]["mean"]
    # the bound holds: no new letter's column is longer than the longest trained one
    for arm in ("trained", "untrained"):
        assert m["columns"][arm]["new_letters"]["max"] <= m["columns"][arm]["bound"] * (1 + 1e-12)
    # variants: more noise, more spread between variants
    diversity = [v["diversity"] for v in m["variants"]]
    assert diversity == sorted(diversity) and diversity[-1] > 2 * diversity[0]


def test_quick_run_writes_results_and_params(quick):
    results, out = quick
    saved = json.loads((out / "r.json").read_text())
    for key in ("problem", "config", "metrics", "per_seed", "wallclock_s", "versions", "figure_data"):
        assert key in saved, key
    assert saved["problem"] == "character_challenge" and len(saved["per_seed"]) == 1
    assert saved["metrics"]["trained_closer_than_untrained"] == results["metrics"]["trained_closer_than_untrained"]
    params, meta = load_params(out / "p.npz")
    quick_cfg = cc.resolve(dataclasses.replace(cc.Config(), quick=True))
    assert params["W_d"].shape == (1, quick_cfg.dense, cc.N_LABELS)
    assert params["W_h"].shape == (1, 4 * quick_cfg.hidden, quick_cfg.hidden)
    assert meta["problem"] == "character_challenge"


def test_networks_flag_repeats_the_run_per_seed(quick):
    """--networks 2 trains seeds 0 and 1 one after another: network 0 is exactly the single run of
    seed 0, and the spread across networks is computed from the per-seed numbers."""
    two = cc.main(["--quick", "--networks", "2"])
    single = quick[0]["per_seed"][0]
    assert [row["seed"] for row in two["per_seed"]] == [0, 1]
    assert two["per_seed"][0] == single
    assert two["per_seed"][1]["dtw_trained"] != single["dtw_trained"]
    across = two["metrics"]["across_networks"]["dtw_trained"]
    assert across["mean"] == pytest.approx(np.mean([row["dtw_trained"] for row in two["per_seed"]]))
