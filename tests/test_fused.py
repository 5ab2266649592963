"""rnn_numpy.fused.LastStepSGD against the modular path it replaces (rnn, readout, losses,
optim): the same numbers to the bit, through the whole of the headline's training runs."""

import numpy as np
import pytest

from conftest import load_problem
from rnn_numpy import fused

slu = load_problem("sequence_lookup_25")

CASES = {
    "fixed": {"seed": 0},  # the headline: one network, clipped early on, 800 sweeps
    "variable": {"seed": 0, "variable_timing": True, "n_sweeps": 600},  # masked steps
    "population": {"seed": 3, "multi_seed": 3, "n_sweeps": 300},
    # five networks at H=60, T=10: dW_hh's per-step products outgrow 1 MB and are added up step by step
    "population-variable": {"seed": 1, "multi_seed": 5, "variable_timing": True, "n_sweeps": 120, "curriculum": 40},
    "no-clip-momentum-decay": {"seed": 2, "n_sweeps": 200, "grad_clip": 0, "momentum": 0, "weight_decay": 0},
    # one step (dW_hh = dz_1 h_0^T = 0), and as many hidden units as inputs
    "one-step": {"seed": 0, "seq_len": 1, "n_letters": 26, "n_hidden": 26, "n_sweeps": 100},
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_fused_training_equals_the_modular_path_to_the_bit(case):
    cfg = slu.Config(**CASES[case])
    fast, fast_history, _ = slu.train(cfg, fused_sgd=True)
    modular, modular_history, _ = slu.train(cfg, fused_sgd=False)
    for name in modular:
        assert fast[name].shape == modular[name].shape
        assert np.array_equal(fast[name], modular[name]), name
    for name, values in modular_history.items():
        assert np.array_equal(fast_history[name], values), name


def small_trainer(K=2, T=4, B=6, H=5, D=3, O=2):
    rng = np.random.default_rng(0)
    params = {"W_xh": rng.standard_normal((K, H, D)), "W_hh": 0.3 * rng.standard_normal((K, H, H)),
              "b_h": np.zeros((K, H)), "W_hy": rng.standard_normal((K, O, H)), "b_y": np.zeros((K, O))}
    targets = np.sign(rng.standard_normal((B, O)))
    trainer = fused.LastStepSGD(params, targets, np.ones(B), lr=0.1, momentum=0.9, grad_clip=1.0)
    return trainer, rng.standard_normal((T, K, B, D))


def test_the_trainer_views_one_flat_buffer_and_its_update_moves_them():
    trainer, x = small_trainer()
    before = {k: v.copy() for k, v in trainer.params.items()}
    loss, y, norm = trainer.step(x)
    assert loss.shape == (2,) and y.shape == (2, 6, 2) and norm.shape == (2,)
    for name, view in trainer.params.items():
        assert np.shares_memory(view, trainer.theta.flat)
        assert not np.array_equal(view, before[name]), name
    velocity = trainer.velocity.flat
    assert np.allclose(np.sqrt(np.square(velocity).sum(axis=1)), np.minimum(norm, 1.0))  # v = clipped g


@pytest.mark.parametrize("bad", ["x", "mask", "targets", "mask values"])
def test_wrong_shapes_and_masks_are_clear_errors(bad):
    trainer, x = small_trainer()
    if bad == "targets":
        trainer = fused.LastStepSGD(trainer.params, np.zeros((5, 2)), np.ones(5), lr=0.1)
        with pytest.raises(ValueError, match="one row per sequence"):
            trainer.step(x)
        return
    if bad == "mask values":
        with pytest.raises(ValueError, match="only 0 and 1"):
            trainer.step(x, mask=np.full((4, 2, 6), 0.5))
        return
    trainer.step(x, mask=np.ones((4, 6)))
    with pytest.raises(ValueError, match="first step's shapes"):
        trainer.step(x[:3] if bad == "x" else x, mask=np.ones((4, 6)) if bad == "x" else np.ones((4, 2, 6)))


def test_active_steps_ends_at_the_last_step_any_sequence_runs():
    mask = np.zeros((6, 2, 3))  # (T, K, B)
    mask[:2] = 1
    mask[3, 1, 2] = 1  # one sequence of the second network still runs at step 4
    assert fused.LastStepSGD.active_steps(mask) == 4
    assert fused.LastStepSGD.active_steps(mask[:, 0]) == 2  # (T, B): the first network's
    assert fused.LastStepSGD.active_steps(np.ones((5, 3), dtype=bool)) == 5
    assert fused.LastStepSGD.active_steps(np.zeros((5, 3))) == 5  # nothing runs: no step is left out


def test_steps_held_for_every_sequence_are_left_out_without_changing_a_bit():
    """A mask whose last steps are 0 everywhere trains exactly as the same batch cut short."""
    full, x = small_trainer(T=6)
    cut, _ = small_trainer(T=6)
    mask = np.ones((6, 2, 6))
    mask[2:, :, ::2] = 0  # half of the sequences stop after 2 steps
    mask[4:] = 0  # and every sequence after 4
    for _ in range(3):
        out_full = full.step(x, mask)
        out_cut = cut.step(x[:4], mask[:4])  # a trainer that only ever sees 4 steps
        for a, b in zip(out_full, out_cut):
            assert np.array_equal(a, b)
    assert np.array_equal(full.theta.flat, cut.theta.flat)
    assert 4 in full.prefixes and 6 not in full.prefixes  # the full run really was cut at step 4
