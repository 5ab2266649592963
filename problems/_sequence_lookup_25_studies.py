"""Three studies of the 25-sequence look-up beyond the reference (see "Beyond the reference"
in sequence_lookup_25.md):

    max_timing_3   holds of 1..3 steps: the reference's settings, a curriculum, Adam
    datasets       is 4/5 held out real? 20 dataset seeds x 5 initialization seeds, beside
                   three non-recurrent baselines
    scale          more letters, longer sequences and more training data

    python problems/sequence_lookup_25.py --study NAME [--quick] [--save-results PATH]

Imports go one way: the problem script imports this helper, never the reverse. Every study
is handed the problem module as `slu` and trains with its functions.
"""

import time
from typing import Callable, NamedTuple

import numpy as np

from rnn_numpy.experiment import Progress, config_record

FRESH_DRAWS, FRESH_SEED = 200, 2024  # held-out sequences re-scored under 200 fresh timing draws


# --- measurements -----------------------------------------------------------------------------

def held_out_over_timings(slu, params, cfg, data, n_draws, rng):
    """Score every network on n_draws fresh timing draws of the held-out sequences (timings
    it has never seen). Returns (K, n_draws): held-out sequences right per draw."""
    n_train, n_test, L = cfg.n_train, cfg.n_test, cfg.seq_len
    timings = rng.integers(1, cfg.max_timing + 1, size=(n_draws * n_test, L))
    letters = np.tile(data["letters"][n_train:], (n_draws, 1))  # (n_draws * n_test, L)
    x, mask = slu.encode(letters, timings, cfg.n_letters, L * cfg.max_timing)
    y, _, _ = slu.forward(params, x[:, None], mask)  # the (T, B) mask serves every network
    right = slu.bits_correct(y, np.tile(data["targets"][n_train:], (n_draws, 1))).all(axis=-1)
    return right.reshape(len(y), n_draws, n_test).sum(axis=-1)


def sweeps_to_full_difficulty(slu, cfg, train_acc):
    """Per network, the first sweep (1-based) with 100% train accuracy at the full longest
    hold (after a curriculum has reached it), or None."""
    start = cfg.curriculum * (cfg.max_timing - 1) if cfg.curriculum else 0
    later = slu.first_full_sweep(train_acc[start:])
    return [None if s is None else s + start for s in later]


def held_out_names(slu, cfg, data):
    return [slu.spell(s) for s in data["letters"][cfg.n_train:]]


# --- (a) holds of 1..3 steps ------------------------------------------------------------------

def study_max_timing_3(slu, quick=False):
    """(a) Holds of 1..3 steps: the reference's settings against a curriculum and Adam,
    20 seeds each, scored on the fixed held-out draw and on 200 fresh timing draws."""
    n_seeds, n_sweeps = (3, 150) if quick else (20, 2000)
    every = n_sweeps // 10
    conditions = [("reference settings (SGD lr 0.02)", {}),
                  (f"curriculum: longest hold 1, 2, 3, raised every {every} sweeps", {"curriculum": every}),
                  ("Adam lr 0.003", {"optimizer": "adam", "lr": 0.003})]
    rows = []
    for name, change in conditions:
        cfg = slu.resolve(slu.Config(variable_timing=True, max_timing=3, multi_seed=n_seeds, n_sweeps=n_sweeps,
                                     **change))
        print(f"  {name}:", flush=True)
        start = time.perf_counter()
        params, history, data = slu.train(cfg, verbose=True)
        seconds = time.perf_counter() - start
        per_seed = slu.evaluate(params, cfg, data, history)
        fresh = held_out_over_timings(slu, params, cfg, data, FRESH_DRAWS, np.random.default_rng(FRESH_SEED))
        converged = sweeps_to_full_difficulty(slu, cfg, history["train_acc"])
        done = [c for c in converged if c is not None]
        rows.append({
            "condition": name, "config": config_record(cfg), "seconds": seconds,
            "train_solved": sum(s["train_acc"] == 1.0 for s in per_seed),
            "held_out_all_right": sum(s["test_n_correct"] == cfg.n_test for s in per_seed),
            "held_out_n_correct": [s["test_n_correct"] for s in per_seed],
            "fresh_timings_mean_acc": float(fresh.mean() / cfg.n_test),  # fresh: (K, draws)
            "fresh_timings_all_right": float((fresh == cfg.n_test).mean()),
            "fresh_timings_acc_per_seed": (fresh.mean(axis=1) / cfg.n_test).tolist(),
            "converged_full_difficulty": converged,
            "converged_median": float(np.median(done)) if done else None,
            "curve_sweeps": list(range(1, n_sweeps + 1, 5)),  # curves kept every 5th sweep
            "train_acc_percentiles": np.percentile(history["train_acc"][::5], [10, 50, 90], axis=1).tolist(),
            "loss_percentiles": np.percentile(history["loss"][::5], [10, 50, 90], axis=1).tolist(),
        })
    return {"study": "max_timing_3", "n_seeds": n_seeds, "n_sweeps": n_sweeps, "n_train": cfg.n_train,
            "n_test": cfg.n_test, "held_out": held_out_names(slu, cfg, data), "rows": rows}


def print_max_timing_3(results):
    n_train, n_test = results["n_train"], results["n_test"]
    all_train, all_test = f"{n_train}/{n_train}", f"{n_test}/{n_test}"
    print(f"\n(a) holds of 1..3 steps, {results['n_seeds']} seeds x {results['n_sweeps']} sweeps; "
          f"held-out: fixed draw and {FRESH_DRAWS} fresh timing draws")
    print(f"  {'condition':<58}{all_train:>7}{all_test:>6}{'fresh acc':>11}{'converged':>13}{'time':>8}")
    for r in results["rows"]:
        n = len(r["held_out_n_correct"])
        n_conv = sum(c is not None for c in r["converged_full_difficulty"])
        conv = "-" if r["converged_median"] is None else f"{r['converged_median']:.0f} ({n_conv}/{n})"
        print(f"  {r['condition']:<58}{r['train_solved']:>4}/{n}{r['held_out_all_right']:>3}/{n}"
              f"{r['fresh_timings_mean_acc']:>10.1%}{conv:>13}{r['seconds']:>7.1f}s")
    print(f"  {all_train}: seeds with every training sequence right at the end; {all_test}: seeds with every "
          "held-out")
    print(f"  sequence right (fixed draw); fresh acc: held-out accuracy over {FRESH_DRAWS} fresh timing draws;")
    print("  converged: median first sweep with 100% train accuracy at the full longest hold (seeds that got there)")


# --- (b) many datasets ------------------------------------------------------------------------

def study_datasets(slu, quick=False):
    """(b) Is generalization real? Many dataset seeds x init seeds (one population run per
    dataset), the held-out score next to both baselines, and which bits fail where."""
    dataset_seeds, n_seeds = (range(3), 2) if quick else (range(20), 5)
    rows = []
    progress = Progress("dataset seeds trained", len(dataset_seeds))
    for ds in dataset_seeds:
        cfg = slu.resolve(slu.Config(dataset_seed=ds, multi_seed=n_seeds, n_sweeps=120 if quick else None))
        params, history, data = slu.train(cfg)
        per_seed = slu.evaluate(params, cfg, data, history)
        base = slu.baselines(data, cfg.n_train)
        margins = np.abs(slu.teacher_logits(data["letters"][cfg.n_train:], data["teacher"]))  # (n_test, 3)
        wrong_bits = np.array([[not ok for ok in row] for s in per_seed
                               for row in bit_pass(slu, s, data, cfg)]).reshape(n_seeds, cfg.n_test, slu.N_BITS)
        rows.append({
            "dataset_seed": ds, "held_out": held_out_names(slu, cfg, data),
            "rnn_n_correct": [s["test_n_correct"] for s in per_seed],
            "train_solved": sum(s["train_acc"] == 1.0 for s in per_seed),
            "majority_n_correct": base["majority_n_correct"],
            "bag_of_letters_n_correct": base["bag_of_letters_n_correct"],
            "letter_position_n_correct": base["letter_position_n_correct"],
            "held_out_margins": margins.tolist(),
            "wrong_bits": wrong_bits.astype(int).tolist(),  # (seeds, held out, bits)
        })
        progress.update(len(rows))
    wrong = np.array([r["wrong_bits"] for r in rows])  # (datasets, seeds, held out, bits)
    margins = np.array([r["held_out_margins"] for r in rows])  # (datasets, held out, bits)
    every_sequence = all_sequences(cfg.n_letters, cfg.seq_len)  # (n_letters^seq_len, seq_len)
    all_logits = slu.teacher_logits(every_sequence, slu.make_teacher(cfg.n_letters, cfg.seq_len))  # (N, 3)
    return {"study": "datasets", "n_datasets": len(rows), "n_seeds": n_seeds, "n_test": cfg.n_test,
            "n_sequences": len(every_sequence), "rows": rows,
            "bit_error_rate": wrong.mean(axis=(0, 1, 2)).tolist(),
            "bit_error_rate_without_dataset_0": wrong[1:].mean(axis=(0, 1, 2)).tolist(),
            "teacher_margin_median_all_sequences": np.median(np.abs(all_logits), axis=0).tolist(),
            "teacher_near_boundary_all_sequences": (np.abs(all_logits) < 0.25).mean(axis=0).tolist(),
            "error_rate_by_margin": error_rate_by_margin(wrong, margins)}


def bit_pass(slu, per_seed_row, data, cfg):
    """(n_test, 3) booleans: which held-out bits one network got right."""
    y = np.array(per_seed_row["test_outputs"])
    return slu.bits_correct(y, data["targets"][cfg.n_train:])


def all_sequences(n_letters, seq_len):
    """Every possible sequence, (n_letters^seq_len, seq_len)."""
    return np.stack(np.unravel_index(np.arange(n_letters ** seq_len), (n_letters,) * seq_len), axis=-1)


def error_rate_by_margin(wrong, margins, edges=(0, 0.25, 0.5, 1.0, np.inf)):
    """Bit error rate of held-out bits grouped by the teacher's |logit| (distance from the
    decision boundary). wrong (datasets, seeds, held out, bits), margins (datasets, held out, bits)."""
    per_bit = np.broadcast_to(margins[:, None], wrong.shape)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (per_bit >= lo) & (per_bit < hi)
        out.append({"margin_from": lo, "margin_to": None if np.isinf(hi) else hi,
                    "n_bits": int(sel.sum()), "error_rate": float(wrong[sel].mean()) if sel.any() else None})
    return out


def print_datasets(results):
    rows, n_test = results["rows"], results["n_test"]
    mean_acc = {k: np.mean([np.mean(r[k]) for r in rows]) / n_test
                for k in ("rnn_n_correct", "majority_n_correct", "bag_of_letters_n_correct", "letter_position_n_correct")}
    print(f"\n(b) {results['n_datasets']} dataset seeds x {results['n_seeds']} init seeds, fixed timing")
    print(f"  {'dataset':>8}{'RNN held out (per seed)':>28}{'majority':>10}{'bag':>6}{'letter x pos':>14}")
    for r in rows:
        print(f"  {r['dataset_seed']:>8}{' '.join(map(str, r['rnn_n_correct'])):>28}"
              f"{r['majority_n_correct']:>8}/{n_test}{r['bag_of_letters_n_correct']:>4}/{n_test}"
              f"{r['letter_position_n_correct']:>12}/{n_test}")
    print(f"  mean held-out accuracy: RNN {mean_acc['rnn_n_correct']:.1%}, majority {mean_acc['majority_n_correct']:.1%}, "
          f"bag of letters {mean_acc['bag_of_letters_n_correct']:.1%}, "
          f"letter x position {mean_acc['letter_position_n_correct']:.1%}")
    print("  held-out bit error rate, bits 0/1/2: "
          + "/".join(f"{e:.1%}" for e in results["bit_error_rate"])
          + "  (without dataset 0: " + "/".join(f"{e:.1%}" for e in results["bit_error_rate_without_dataset_0"]) + ")")
    print(f"  teacher: share of all {results['n_sequences']} sequences within 0.25 of the boundary, bits 0/1/2: "
          + "/".join(f"{e:.1%}" for e in results["teacher_near_boundary_all_sequences"]))
    for b in results["error_rate_by_margin"]:
        hi = "inf" if b["margin_to"] is None else b["margin_to"]
        rate = "-" if b["error_rate"] is None else f"{b['error_rate']:.1%}"
        print(f"  bits with teacher |logit| in [{b['margin_from']}, {hi}): {b['n_bits']:>5} bits, error rate {rate}")


# --- (c) scale --------------------------------------------------------------------------------

def study_scale(slu, quick=False):
    """(c) Scale: the 5 x 5 task against 10 letters x 8 positions, with 20 training
    sequences (the reference's budget) and more; held-out accuracy on 200 unseen sequences
    so that a difference of a few per cent is visible (a 5-sequence test set cannot show it)."""
    shapes = [(5, 5), (10, 8)]
    n_trains, n_test, n_seeds = ([20, 100], 50, 2) if quick else ([20, 50, 100, 200, 500], 200, 5)
    rows = []
    progress = Progress("configurations trained", len(shapes) * len(n_trains))
    for n_letters, seq_len in shapes:
        for n_train in n_trains:
            cfg = slu.resolve(slu.Config(n_letters=n_letters, seq_len=seq_len, n_train=n_train, n_test=n_test,
                                         multi_seed=n_seeds, n_sweeps=120 if quick else None))
            start = time.perf_counter()
            params, history, data = slu.train(cfg)
            per_seed = slu.evaluate(params, cfg, data, history)
            base = slu.baselines(data, n_train)
            rows.append({"n_letters": n_letters, "seq_len": seq_len, "n_train": n_train, "n_test": n_test,
                         "seconds": time.perf_counter() - start,
                         "train_acc": [s["train_acc"] for s in per_seed],
                         "test_acc": [s["test_acc"] for s in per_seed],
                         "majority_acc": base["majority_n_correct"] / n_test,
                         "bag_of_letters_acc": base["bag_of_letters_n_correct"] / n_test,
                         "letter_position_acc": base["letter_position_n_correct"] / n_test})
            progress.update(len(rows))
    return {"study": "scale", "n_seeds": n_seeds, "n_test": n_test, "rows": rows}


def print_scale(results):
    print(f"\n(c) scale: held-out accuracy on {results['n_test']} unseen sequences, "
          f"{results['n_seeds']} seeds, H=30, fixed timing")
    print(f"  {'letters x length':>17}{'train':>7}{'train acc':>11}{'held out':>10}{'majority':>10}{'bag':>7}"
          f"{'letter x pos':>14}")
    for r in results["rows"]:
        print(f"  {str(r['n_letters']) + ' x ' + str(r['seq_len']):>17}{r['n_train']:>7}"
              f"{np.mean(r['train_acc']):>10.1%}{np.mean(r['test_acc']):>10.1%}"
              f"{r['majority_acc']:>10.1%}{r['bag_of_letters_acc']:>7.1%}{r['letter_position_acc']:>14.1%}")


# --- the list ---------------------------------------------------------------------------------

class Study(NamedTuple):
    run: Callable  # (slu, quick) -> results dict
    show: Callable  # results dict -> prints its table


STUDIES = {"max_timing_3": Study(study_max_timing_3, print_max_timing_3),
           "datasets": Study(study_datasets, print_datasets),
           "scale": Study(study_scale, print_scale)}
