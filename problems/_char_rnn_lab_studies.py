"""The ten studies of char_rnn_lab: one design choice changed at a time from the baseline.
Configurations of the same shape train together as one population run (initializations,
clip thresholds, learning rates); the rest run one after another.

    python problems/char_rnn_lab.py --study NAME     (NAME: see STUDIES at the bottom, or all)

Each study returns a JSON-able dict (its table, curves and samples), prints its table, and
is saved as study_<name>.json in --results-dir (by default results/char_rnn_lab/; the
committed copies in viz/char_rnn_lab/ come from visualize_char_rnn_lab.py --publish), or
where --save-results says; visualize_char_rnn_lab.py draws the figures from those files.

Imports go one way: the problem script imports this helper, never the reverse. Every study
is handed the problem module as `lab` and trains with its functions.
"""

import dataclasses
import pathlib
import time
from typing import Callable, NamedTuple

import numpy as np

import _char_grammar as grammar
from rnn_numpy import init, losses, readout, rnn, sweep
from rnn_numpy.experiment import (TrainingDiverged, config_record, resolved, seed_difference, versions,
                                  write_results)

PROBE_BINS = [(1, 3), (4, 7), (8, 12), (13, 18), (19, 25)]  # the source's distance bins
HIDDEN_SIZES = (16, 32, 64, 128)  # studies 2 and 10
CHUNKS = (5, 10, 25, 50)  # studies 3 and 10: truncation lengths


# --- measurements shared by the studies ---------------------------------------------------------

def gradient_by_position(params, cfg, data, chunk=None, n_batches=4):
    """How the error at the last step of a chunk reaches back: ||dL_T / dh_{T-k}|| for
    k = 0..chunk-1, relative to k = 0, averaged over a few held-out chunks. Returns (K, chunk)."""
    chunk = cfg.chunk if chunk is None else chunk
    text = grammar.streams(data["held_out"], 32)
    K = params["W_hh"].shape[0]
    total = np.zeros((K, chunk))
    for b in range(n_batches):
        ids = text[:, b * chunk:(b + 1) * chunk + 1].T  # (chunk + 1, 32)
        h, cache = rnn.forward(grammar.one_hot(ids[:-1]), np.zeros((K, 32, cfg.hidden)), params, cfg.activation)
        logits, out_cache = readout.forward(h[-1], params)  # the loss at the last step only
        _, dlogits = losses.softmax_cross_entropy(logits[None], ids[-1:])
        dh = np.zeros_like(h)
        dh[-1] = readout.backward(dlogits[0], out_cache)[0]
        *_, dh_total = rnn.backward(dh, cache, return_state_grads=True, input_grads=False)
        norms = rnn.state_grad_norms(dh_total)[::-1].T  # (K, chunk): k = 0 is the last step
        total += norms / norms[:, :1]
    return total / n_batches


def hidden_states(params, cfg, ids, n_streams=20):
    """Hidden states on held-out text read as streams: h (T, K, n_streams, H), ids (T, n_streams)."""
    text = grammar.streams(ids, n_streams).T  # (T, n_streams)
    K = params["W_hh"].shape[0]
    h, _ = rnn.forward(grammar.one_hot(text), np.zeros((K, n_streams, cfg.hidden)), params, cfg.activation)
    return h, text


def memory_probe(params, cfg, data, max_back=25, n_chars=8000):
    """Can the character k steps back be read out of h_t linearly? For each k = 1..max_back a
    least-squares one-vs-all readout from h_t to the one-hot of the character at t - k is fit
    on the first half of held-out states and scored on the second half.
    Returns (K, max_back) accuracies."""
    h, text = hidden_states(params, cfg, data["held_out"][:n_chars])
    K = h.shape[1]
    acc = np.zeros((K, max_back))
    for k in range(1, max_back + 1):
        X = h[k:].transpose(1, 0, 2, 3).reshape(K, -1, cfg.hidden)  # (K, N, H): states at t
        y = text[:-k].reshape(-1)  # the character k steps before each of them
        X = np.concatenate([X, np.ones(X.shape[:2] + (1,))], axis=-1)
        half = X.shape[1] // 2
        Y = np.eye(grammar.V)[y]  # (N, V)
        for m in range(K):
            A = X[m, :half]
            W = np.linalg.solve(A.T @ A + 1e-3 * np.eye(A.shape[1]), A.T @ Y[:half])
            acc[m, k - 1] = np.mean((X[m, half:] @ W).argmax(-1) == y[half:])
    return acc


def bin_probe(acc):
    """(K, 25) accuracies -> (K, 5) means over the source's distance bins."""
    return np.array([[row[lo - 1:hi].mean() for lo, hi in PROBE_BINS] for row in acc])


def memory_horizon(acc, chance):
    """The largest lookback k whose probe accuracy is still at least halfway from chance to
    its accuracy at k = 1 (per network)."""
    out = []
    for row in acc:
        bar = chance + 0.5 * (row[0] - chance)
        above = np.flatnonzero(row >= bar)
        out.append(int(above.max()) + 1 if len(above) else 0)
    return out


REACH_LEVEL = 0.1  # the source's yardstick: "the gradient drops to ~0.1 by position 5" at chunk 5


def gradient_reach(grad_by_position, level=REACH_LEVEL):
    """Per network: how many steps back the gradient stays at or above `level` of its size at
    the scored step (from gradient_by_position's (K, n) rows; n if it never drops below)."""
    rows = np.asarray(grad_by_position)
    return [int(np.argmax(row < level)) if (row < level).any() else len(row) for row in rows]


def reach_by_chunk(r):
    """From a tbptt study's results: per chunk length, the gradient reach over the seeds
    (spread), the relative gradient norm at the probe's last position (mean over seeds) and
    how many networks have it above 1 (a gradient that grows going back);
    and the paired difference of reach, longest chunk - shortest. Derived from the stored
    grad_by_position, so the committed study files give them without a rerun."""
    rows = [{"chunk": row["chunk"], "reach": spread(gradient_reach(row["grad_by_position"])),
             "norm_at_end": float(np.mean(np.asarray(row["grad_by_position"])[:, -1])),
             "growing": int((np.asarray(row["grad_by_position"])[:, -1] > 1).sum())} for row in r["rows"]]
    short, long_ = (gradient_reach(r["rows"][i]["grad_by_position"]) for i in (0, -1))
    return rows, difference(short, long_, paired=True)


def hidden_statistics(params, cfg, data):
    """Mean, std, share saturated and range of the hidden units on held-out text (per network).
    Saturated: |h| > 0.95 for tanh, h < 0.05 or > 0.95 for sigmoid, h = 0 (inactive) for ReLU."""
    h, _ = hidden_states(params, cfg, data["held_out"][:4000])
    stats = []
    for m in range(h.shape[1]):
        v = h[:, m].ravel()
        saturated = {"tanh": np.abs(v) > 0.95, "sigmoid": (v < 0.05) | (v > 0.95),
                     "relu": v == 0, "identity": np.zeros_like(v, dtype=bool)}[cfg.activation]
        stats.append({"mean": float(v.mean()), "std": float(v.std()), "saturated": float(saturated.mean()),
                      "min": float(v.min()), "max": float(v.max())})
    return stats


def char_frequency_chance(data):
    """Accuracy of always answering the most common character (the probe's floor)."""
    return float(np.bincount(data["held_out"], minlength=grammar.V).max() / len(data["held_out"]))


def samples_and_quality(lab, params, cfg, data, n_chars=1500, seed=0):
    """Generated text from every network and its lexicon / grammatical shares."""
    texts = lab.generate(params, cfg, n_chars, np.random.default_rng(seed))
    return [{"sample": t[:300], **grammar.text_quality(t, data["grammar"])} for t in texts]


# --- seeds and the verdict rule ----------------------------------------------------------------
# Every configuration is trained with cfg.seeds seeds (cfg.seed, cfg.seed + 1, ...). Arms
# whose networks start from the same weights and read the same streams (a threshold, a rate,
# an activation, a chunk length, a frozen part, teacher forcing or not) are compared seed by
# seed (paired); arms whose starting weights differ (other initializers, other sizes) are
# compared as independent groups. Either way a difference counts only when its mean exceeds
# twice its standard error (experiment.RESOLVED_AT); otherwise it is "not resolved at N
# seeds" (the write-up's "agrees" is a resolved difference in the source's direction).

def seed_members(cfg, arms=({},)):
    """One member per (arm, seed), arm-major: arms [a, b] with 3 seeds -> a0 a1 a2 b0 b1 b2."""
    return [{**arm, "seed": cfg.seed + k} for arm in arms for k in range(cfg.seeds)]


def per_arm(values, n_arms):
    """A flat per-member list (arm-major) -> one list of per-seed values per arm."""
    values = list(values)
    per = len(values) // n_arms
    return [values[i * per:(i + 1) * per] for i in range(n_arms)]


def finite(values):
    return np.array([v for v in values if v is not None and np.isfinite(v)], dtype=float)


def spread(values):
    """A configuration's per-seed values -> {"mean", "sd", "n", "per_seed"} over the finite
    ones (a diverged network is None and is counted out, and n says so)."""
    v = finite(values)
    return {"mean": float(v.mean()) if len(v) else None, "sd": float(v.std(ddof=1)) if len(v) > 1 else None,
            "n": int(len(v)), "per_seed": [None if x is None or not np.isfinite(x) else float(x) for x in values]}


def difference(a, b, paired):
    """b - a over seeds (experiment.seed_difference): {"mean", "se", "n", "paired", "resolved"}."""
    mean, se, n = seed_difference(a, b, paired)
    return {"mean": mean, "se": se, "n": n, "paired": paired, "resolved": resolved(mean, se)}


def final_losses(history, data):
    """Held-out loss at the end (after the burn-in), the same from a zero state, and the gap of
    the first to the entropy floor: three per-member lists (None where a network diverged)."""
    def clean(values):
        return [None if not np.isfinite(v) else float(v) for v in values]

    held = np.array(history["held_out_loss"][-1])
    cold = np.array(history["held_out_loss_cold"][-1])
    diverged = history["diverged_at"] >= 0
    held[diverged], cold[diverged] = np.nan, np.nan
    return clean(held), clean(cold), clean(held - data["entropy_rate"])


def arm_losses(history, data, n_arms):
    """final_losses split by arm: {"held_out_loss", "held_out_loss_cold", "gap"}, each a list
    (one per arm) of spread() dicts."""
    held, cold, gap = final_losses(history, data)
    return {"held_out_loss": [spread(v) for v in per_arm(held, n_arms)],
            "held_out_loss_cold": [spread(v) for v in per_arm(cold, n_arms)],
            "gap": [spread(v) for v in per_arm(gap, n_arms)]}


def one_arm(history, data):
    """arm_losses of a population that is one arm: {"held_out_loss": spread, ...}."""
    return {k: v[0] for k, v in arm_losses(history, data, 1).items()}


def curves(history):
    return {"step": history["step"], "held_out_loss": history["held_out_loss"],
            "train_loss": history["train_loss"], "spectral_radius": history["spectral_radius"]}


def diverged_list(history):
    """Per member: the step at which it diverged, or None."""
    return [int(s) if s >= 0 else None for s in history["diverged_at"]]


def train_seeds(lab, cfg, data, arms=({},), **kwargs):
    """Every arm x seed as one population (arms may differ in init, lr and clip only); a
    diverging network is recorded, not fatal. Returns (params, history)."""
    params, history, _ = lab.train(cfg, members=seed_members(cfg, arms), data=data, tolerate_divergence=True,
                                   **kwargs)
    return params, history


def fmt_spread(s, spec=".4f"):
    """mean +- sd of a spread() dict, for tables."""
    if s is None or s["mean"] is None:
        return "-"
    return f"{s['mean']:{spec}} +- {s['sd']:{spec}}" if s["sd"] is not None else f"{s['mean']:{spec}}"


def fmt_difference(d, spec=".4f"):
    if d["mean"] is None:
        return "-"
    verdict = "resolved" if d["resolved"] else f"not resolved at {d['n']} seeds"
    return f"{d['mean']:+{spec}} +- {d['se']:{spec}} ({verdict})" if d["se"] is not None else f"{d['mean']:+{spec}}"


# --- the studies --------------------------------------------------------------------------------

INIT_NAMES = ("orthogonal", "xavier", "random")


def study_init(lab, cfg, data):
    """1. Orthogonal vs Xavier vs random W_hh: 3 x seeds networks as one population. The
    source's ordering (orthogonal < Xavier < random) is tested early and at the end."""
    arms = [{"init": n} for n in INIT_NAMES]
    start_params = lab.init_params(cfg, seed_members(cfg, arms))
    start_radius = per_arm(init.spectral_radius(start_params["W_hh"]).tolist(), 3)
    grad_start = per_arm(gradient_by_position(start_params, cfg, data).tolist(), 3)
    params, history = train_seeds(lab, cfg, data, arms, verbose=True, label="init: ")
    early_step = min(500, history["step"][-1]) if 500 in history["step"] else history["step"][0]
    early = per_arm(history["held_out_loss"][history["step"].index(early_step)], 3)
    out = {"names": list(INIT_NAMES), "start_radius": [spread(r) for r in start_radius],
           **arm_losses(history, data, 3), "early_step": early_step,
           "early_held_out_loss": [spread(v) for v in early],
           "curves": curves(history), "diverged": diverged_list(history),
           "grad_by_position_start": grad_start,  # (3, seeds, chunk)
           "grad_by_position_end": per_arm(gradient_by_position(params, cfg, data).tolist(), 3),
           "generated": per_arm(samples_and_quality(lab, params, cfg, data), 3)}
    held = [a["per_seed"] for a in out["held_out_loss"]]
    early_held = [a["per_seed"] for a in out["early_held_out_loss"]]
    out["comparisons"] = {  # the source: orthogonal < Xavier < random, so each difference > 0
        f"{b} - {a}" + suffix: difference(values[i], values[j], paired=False)
        for suffix, values in (("", held), (f" at step {early_step}", early_held))
        for i, j, a, b in ((0, 1, "orthogonal", "xavier"), (1, 2, "xavier", "random"))}
    return out


def study_hidden(lab, cfg, data):
    """2. Hidden sizes 16, 32, 64, 128 (seeds networks each): held-out loss against parameters."""
    rows = []
    for H in HIDDEN_SIZES:
        c = dataclasses.replace(cfg, hidden=H)
        params, history = train_seeds(lab, c, data, verbose=True, label=f"H={H}: ")
        rows.append({"hidden": H, "params": int(sum(v[0].size for v in params.values())),
                     **one_arm(history, data), "diverged": diverged_list(history), "curves": curves(history)})
    comparisons = {f"H={b['hidden']} - H={a['hidden']}": difference(a["held_out_loss"]["per_seed"],
                                                                     b["held_out_loss"]["per_seed"], paired=False)
                   for a, b in zip(rows, rows[1:])}
    return {"rows": rows, "comparisons": comparisons}


def place_cost_spread(lab, params, cfg, data):
    """v2: the spread of what the networks pay on place words (lab.place_cost); None on v1."""
    cost = lab.place_cost(params, cfg, data)
    return None if cost is None else spread(cost)


def study_tbptt(lab, cfg, data):
    """3. Chunk lengths 5, 10, 25, 50 (seeds networks each, the same starting weights):
    gradient reach by position and a memory probe."""
    rows = []
    chance = char_frequency_chance(data)
    for chunk in CHUNKS:
        c = dataclasses.replace(cfg, chunk=chunk)
        params, history = train_seeds(lab, c, data, verbose=True, label=f"chunk {chunk}: ")
        acc = memory_probe(params, c, data)  # (seeds, 25)
        rows.append({"chunk": chunk, **one_arm(history, data), "diverged": diverged_list(history),
                     "curves": curves(history),
                     "grad_by_position": gradient_by_position(params, c, data, chunk=50).tolist(),  # (seeds, 50)
                     "probe": acc.tolist(), "probe_bins": bin_probe(acc).tolist(),  # (seeds, 25), (seeds, 5)
                     "memory_horizon": spread(memory_horizon(acc, chance)),
                     "place_cost": place_cost_spread(lab, params, c, data)})
    short, long_ = rows[0], rows[-1]
    measures = [("held-out", lambda r: r["held_out_loss"]["per_seed"]),
                ("memory horizon", lambda r: r["memory_horizon"]["per_seed"]),
                ("probe 19-25", lambda r: [b[-1] for b in r["probe_bins"]])]
    if short["place_cost"] is not None:  # v2
        measures.append(("nats per place word", lambda r: r["place_cost"]["per_seed"]))
    comparisons = {f"chunk {long_['chunk']} - chunk {short['chunk']}: {what}": difference(pick(short), pick(long_), paired=True)
                   for what, pick in measures}
    return {"rows": rows, "bins": PROBE_BINS, "chance": chance, "comparisons": comparisons}


ACTIVATION_CLIP = {"relu": 1.0}  # the source clips its ReLU networks at 1; the others keep the baseline's


def study_activation(lab, cfg, data):
    """4. tanh, ReLU (clip 1, as in the source), sigmoid, identity: curves, stability, hidden
    statistics, gradient norms (seeds networks each, the same starting weights)."""
    rows = []
    for act in ("tanh", "relu", "sigmoid", "identity"):
        c = dataclasses.replace(cfg, activation=act, clip=ACTIVATION_CLIP.get(act, cfg.clip))
        params, history = train_seeds(lab, c, data, verbose=True, label=f"{act}: ")
        stats = hidden_statistics(params, c, data)
        row = {"activation": act, "clip": c.clip, **one_arm(history, data), "diverged": diverged_list(history),
               "curves": curves(history), "grad_norm_every_50": history["grad_norm"][::50].T.tolist(),
               "clipped_fraction": spread(history["clipped"].mean(axis=0)), "hidden": stats,
               "hidden_summary": {k: spread([st[k] for st in stats]) for k in ("mean", "std", "saturated", "min", "max")}}
        row["verdicts"] = [stability_verdict(row, k) for k in range(len(stats))]
        rows.append(row)
    tanh = rows[0]["held_out_loss"]["per_seed"]
    comparisons = {f"{row['activation']} - tanh": difference(tanh, row["held_out_loss"]["per_seed"], paired=True)
                   for row in rows[1:]}
    return {"rows": rows, "comparisons": comparisons}


def stability_verdict(row, k):
    """Network k of an activation row: diverged (NaN); did not learn (more than 0.5 nats/char
    above the floor); unstable (late gradient spikes: the 99th percentile of the last fifth of
    training more than 10x the median norm); else stable. The clip fraction cannot tell: with
    the loss summed over the chunk most healthy networks' gradients exceed the clip."""
    if row["diverged"][k] is not None or row["gap"]["per_seed"][k] is None:
        return "diverged"
    if row["gap"]["per_seed"][k] > 0.5:
        return "did not learn"
    g = np.array(row["grad_norm_every_50"][k])
    if np.percentile(g[-len(g) // 5:], 99) > 10 * np.median(g):
        return "unstable: late gradient spikes"
    return "stable"


CLIP_THRESHOLDS = (0.5, 1.0, 5.0, 10.0, 50.0)
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1)
ARM_OPTIMIZERS = ("sgd", "adagrad")  # the clip and lr studies: SGD with momentum 0.9 first, AdaGrad beside it


def optimizer_arms(lab, cfg, data, key, values):
    """A study of one setting (key: "clip" or "lr") over values, under each optimizer of
    ARM_OPTIMIZERS: values x seeds as one population per optimizer (the same starting weights
    for every value). Returns {optimizer: results}."""
    out = {}
    n = len(values)
    for optimizer in ARM_OPTIMIZERS:
        c = dataclasses.replace(cfg, optimizer=optimizer)
        params, history = train_seeds(lab, c, data, [{key: v} for v in values], verbose=True,
                                      label=f"{key}, {optimizer}: ")
        clipped = history["clipped"]  # (steps, members)
        arm = {**arm_losses(history, data, n), "curves": curves(history),
               "diverged": per_arm(diverged_list(history), n),
               "clipped_fraction": [spread(v) for v in per_arm(clipped.mean(axis=0), n)],
               "clipped_fraction_per_1000": [per_arm(clipped[i:i + 1000].mean(axis=0).tolist(), n)
                                             for i in range(0, len(clipped), 1000)],
               "grad_norm_median": [spread(v) for v in per_arm(np.median(history["grad_norm"], axis=0), n)]}
        out[optimizer] = arm
    return out


def identical_by_construction(arm, values):
    """AdaGrad divides each step by the root of its summed squared gradients, so when a clip
    fires on every step of every seed (each gradient rescaled to norm c) the c cancels up to
    AdaGrad's epsilon: those thresholds train the same networks. Returns {"thresholds", "largest
    held-out difference between them"} or None."""
    same = [v for v, f in zip(values, arm["clipped_fraction"]) if f["n"] and min(finite(f["per_seed"])) == 1.0]
    if len(same) < 2:
        return None
    held = [arm["held_out_loss"][list(values).index(v)]["per_seed"] for v in same]
    gaps = [abs(a - b) for i, x in enumerate(held) for y in held[i + 1:] for a, b in zip(x, y)
            if a is not None and b is not None]
    return {"thresholds": same, "largest_difference": max(gaps) if gaps else None}


def neighbour_differences(optimizers, values, key):
    """Paired differences of held-out loss between neighbouring values, per optimizer."""
    return {f"{o}: {key} {b:g} - {a:g}": difference(arm["held_out_loss"][i]["per_seed"],
                                                   arm["held_out_loss"][i + 1]["per_seed"], paired=True)
            for o, arm in optimizers.items() for i, (a, b) in enumerate(zip(values, values[1:]))}


def study_clip(lab, cfg, data):
    """5. Clip thresholds 0.5 .. 50 under SGD with momentum 0.9 (the main arm: there the clip
    sets the step) and under AdaGrad, with how often each clip fired."""
    optimizers = optimizer_arms(lab, cfg, data, "clip", CLIP_THRESHOLDS)
    return {"thresholds": list(CLIP_THRESHOLDS), "optimizers": optimizers,
            "identical_by_construction": identical_by_construction(optimizers["adagrad"], CLIP_THRESHOLDS),
            "comparisons": neighbour_differences(optimizers, CLIP_THRESHOLDS, "clip")}


def study_lr(lab, cfg, data):
    """9. Learning rates 0.001 .. 0.1 under SGD with momentum 0.9 (the main arm) and under
    AdaGrad; a diverging network is reported as such."""
    optimizers = optimizer_arms(lab, cfg, data, "lr", LEARNING_RATES)
    return {"rates": list(LEARNING_RATES), "optimizers": optimizers,
            "comparisons": neighbour_differences(optimizers, LEARNING_RATES, "lr")}


def sample_rows(logits, rng, temperature=1.0):
    """One sample per row of logits (..., V), drawn with the inverse-CDF trick."""
    p = np.exp((logits - logits.max(axis=-1, keepdims=True)) / temperature)
    cdf = np.cumsum(p, axis=-1)
    u = rng.random(logits.shape[:-1] + (1,)) * cdf[..., -1:]
    return (cdf < u).sum(axis=-1)


SCHEDULED_RATE = 0.25  # scheduled sampling's final mixing rate


def mixing_rate(step, steps, final_rate=SCHEDULED_RATE):
    """Scheduled sampling's eps at a step: rising linearly from 0 to final_rate over training."""
    return final_rate * step / steps


def scheduled_sampling_inputs(cfg, final_rate, rng):
    """Inputs for scheduled sampling (Bengio et al. 2015): each character after the first of a
    chunk is, with probability eps (mixing_rate), replaced by the network's own sample from the
    step before; every network of the population samples for itself."""
    def inputs(step, params, ids, h0):
        K = params["W_hh"].shape[0]
        x = np.broadcast_to(grammar.one_hot(ids, cfg.dtype), (len(ids), K, ids.shape[1], grammar.V)).copy()
        eps = mixing_rate(step, cfg.steps, final_rate)  # x: (T, K, B, V)
        h = h0  # (K, B, H)
        for t in range(1, len(ids)):
            h = rnn.forward(x[t - 1:t], h, params, cfg.activation)[0][-1]  # (K, B, H)
            own = sample_rows(readout.forward(h, params)[0], rng)  # (K, B)
            swap = rng.random(own.shape) < eps
            x[t][swap] = grammar.ONE_HOT[own[swap]]
        return x
    return inputs


def recovery_after_error(params, cfg, data, n_trials=200, n_chars=80, seed=5, temperature=0.7):
    """Exposure bias, measured: prime each of n_trials streams with a grammatical prefix whose
    last word has one character replaced by a random letter, let the network continue on its
    own, and score the continuation (share of words in the lexicon, share in grammatical
    sentences). The same with intact primes is the reference. Returns both, per network."""
    rng = np.random.default_rng(seed)
    g = data["grammar"]
    out = {}
    for corrupt in (False, True):
        primes = []
        for _ in range(n_trials):
            words = g.sample(rng)
            if corrupt:
                w = list(words[-1])
                w[rng.integers(len(w))] = "abcdefghijklmnopqrstuvwxyz"[rng.integers(26)]
                words[-1] = "".join(w)
            primes.append(" ".join(words) + " ")
        texts = continue_text(params, cfg, primes, n_chars, rng, temperature)  # [K][n_trials]
        quality = [[grammar.text_quality("x " + t, g) for t in per_net] for per_net in texts]
        out["corrupted" if corrupt else "intact"] = {
            key: [float(np.mean([q[key] for q in per_net])) for per_net in quality] for key in ("lexicon", "grammatical")}
    return out


def continue_text(params, cfg, primes, n_chars, rng, temperature):
    """Run each prime (left-padded with spaces to one length) through every network, then
    sample n_chars more. Returns [network][prime] continuation strings."""
    width = max(len(p) for p in primes)
    ids = np.stack([grammar.encode(p.rjust(width)) for p in primes]).T  # (width, n)
    K = params["W_hh"].shape[0]
    h = rnn.forward(grammar.one_hot(ids), np.zeros((K, len(primes), cfg.hidden)), params, cfg.activation)[0][-1]
    out = np.empty((n_chars, K, len(primes)), dtype=np.int64)
    for t in range(n_chars):
        out[t] = sample_rows(readout.forward(h, params)[0], rng, temperature)
        h = rnn.forward(grammar.ONE_HOT[out[t]][None], h, params, cfg.activation)[0][-1]
    return [[grammar.decode(out[:, k, i]) for i in range(len(primes))] for k in range(K)]


def study_teacher_forcing(lab, cfg, data):
    """6. Teacher forcing against scheduled sampling (final rate 0.25), seeds networks each from
    the same starting weights: free-running text, recovery from an injected error, and where in
    training scheduled sampling's held-out cost arises (its gap to teacher forcing at every
    evaluation, beside the mixing rate at that step)."""
    rows = []
    for name, make_inputs in (("teacher forcing", None),
                              ("scheduled sampling", scheduled_sampling_inputs(cfg, SCHEDULED_RATE,
                                                                               np.random.default_rng(11)))):
        params, history = train_seeds(lab, cfg, data, inputs=make_inputs, verbose=True, label=f"{name}: ")
        rows.append({"method": name, **one_arm(history, data), "diverged": diverged_list(history),
                     "curves": curves(history),
                     "free_running": {str(t): samples_and_quality(lab, params, dataclasses.replace(cfg, temperature=t), data)
                                      for t in (0.7, 1.0)},
                     "recovery": recovery_after_error(params, cfg, data)})
    teacher, scheduled = rows
    steps = teacher["curves"]["step"]
    gap_by_step = [difference(a, b, paired=True) for a, b in zip(teacher["curves"]["held_out_loss"],
                                                                scheduled["curves"]["held_out_loss"])]
    comparisons = {"held-out, scheduled - teacher": gap_by_step[-1]}
    for key in ("lexicon", "grammatical"):
        for which in ("corrupted", "intact"):
            comparisons[f"{key} after {which} primes, scheduled - teacher"] = difference(
                teacher["recovery"][which][key], scheduled["recovery"][which][key], paired=True)
        comparisons[f"typo cost ({key}), scheduled - teacher"] = difference(
            typo_cost(teacher, key), typo_cost(scheduled, key), paired=True)
    return {"rows": rows, "comparisons": comparisons,
            "cost_by_step": {"step": steps, "mixing_rate": [mixing_rate(s, cfg.steps) for s in steps],
                             "gap": gap_by_step}}


def typo_cost(row, key):
    """Per seed: the score after an intact prime minus the score after a corrupted one."""
    return [i - c for i, c in zip(row["recovery"]["intact"][key], row["recovery"]["corrupted"][key])]


RESERVOIR_ARMS = (("full training", None), ("W_hh frozen", ["W_xh", "b_h", "W_hy", "b_y"]),
                  ("readout only (W_hh, W_xh, b_h frozen)", ["W_hy", "b_y"]))


def study_reservoir(lab, cfg, data):
    """7. Full training against a reservoir: W_hh frozen; W_hh, W_xh and b_h frozen (readout
    only). Frozen weights are out of the clipped norm (lab.train). Seeds networks each, the
    same starting weights."""
    rows = []
    for name, keys in RESERVOIR_ARMS:
        params, history = train_seeds(lab, cfg, data, trained_keys=keys, verbose=True, label=f"{name}: ")
        rows.append({"name": name, "trained": keys or "all", **one_arm(history, data),
                     "diverged": diverged_list(history), "curves": curves(history),
                     "clipped_fraction": spread(history["clipped"].mean(axis=0)),
                     "generated": samples_and_quality(lab, params, cfg, data)})
    full = rows[0]["held_out_loss"]["per_seed"]
    comparisons = {f"{row['name']} - full training": difference(full, row["held_out_loss"]["per_seed"], paired=True)
                   for row in rows[1:]}
    return {"rows": rows, "comparisons": comparisons}


def word_end_states(params, cfg, words, k=0):
    """Hidden state of network k after the last character of every word of a word list read
    as one stream: (n_words, H)."""
    ids = grammar.encode(" ".join(words) + " ")
    one = {name: w[k:k + 1] for name, w in params.items()}  # network k as a population of one
    h, _ = rnn.forward(grammar.one_hot(ids[:, None]), np.zeros((1, 1, cfg.hidden)), one, cfg.activation)
    ends = np.flatnonzero(ids == 0) - 1  # the character before each space
    return h[ends, 0, 0]


def word_similarities(params, cfg, data, replace, k=0, n_sentences=3000, seed=9):
    """Put "zog" in place of every `replace` in fresh grammatical text, read it with trained
    network k (no training), and compare mean word-end states by cosine similarity."""
    g = data["grammar"]
    rng = np.random.default_rng(seed)
    words = [w for _ in range(n_sentences) for w in g.sample(rng)]
    words = ["zog" if w == replace else w for w in words]
    states = word_end_states(params, cfg, words, k)
    nouns = [w for ws in g.nouns.values() for w in ws if w != replace] + ["zog"]
    means = {w: states[[i for i, x in enumerate(words) if x == w]].mean(axis=0) for w in nouns}

    def cos(a, b):
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    similarity = {w: cos(means["zog"], means[w]) for w in nouns if w != "zog"}
    by_category = {c: float(np.mean([similarity[w] for w in ws if w in similarity])) for c, ws in g.nouns.items()}
    return {"replaced": replace, "similarity": similarity, "by_category": by_category,
            "nearest": sorted(similarity, key=similarity.get, reverse=True)[:5],
            "replaced_word_category": next(c for c, ws in g.nouns.items() if replace in ws)}


def study_novel_word(lab, cfg, data):
    """8. A never-seen word, "zog", in the place of a human, an animal and a food (the grammar's
    novel_word_targets: man, lion, bread in v1; king, lion, bread in v2), read by each of the
    seeds trained networks. In v1 humans and animals occur in exactly the same contexts (every
    verb takes any animate noun), so only the food (after "eats the") has a context of its own;
    in v2 a subject's kind has adjectives of its own before the noun (with p = 0.5), and each
    food follows the verbs of food."""
    params, history = train_seeds(lab, cfg, data, verbose=True, label="novel word: ")
    results = []
    for replace in data["grammar"].novel_word_targets:
        per_seed = [word_similarities(params, cfg, data, replace, k) for k in range(cfg.seeds)]
        own = per_seed[0]["replaced_word_category"]
        results.append({"replaced": replace, "replaced_word_category": own,
                        "by_category": {c: spread([r["by_category"][c] for r in per_seed])
                                        for c in per_seed[0]["by_category"]},
                        "closest_category_is_own": [max(r["by_category"], key=r["by_category"].get) == own
                                                    for r in per_seed],
                        "per_seed": per_seed})
    return {"held_out_loss": spread(final_losses(history, data)[0]), "results": results}


GRID = {"hidden": HIDDEN_SIZES, "activation": ("tanh", "relu", "sigmoid"), "chunk": CHUNKS}
QUICK_GRID = {"hidden": (16, 64), "activation": ("tanh", "relu"), "chunk": (5, 25)}  # --quick: 8 of the 48
SOURCE_REFERENCE = {"hidden": 128, "activation": "tanh", "chunk": 50}  # the source's best configuration
SMALL_CANDIDATE = {"hidden": 64, "activation": "tanh", "chunk": 25}  # the source: "within 5 %" of it


def study_grid(lab, cfg, data, hidden_sizes=None):
    """10. Hidden size x activation x chunk length (seeds networks per cell): final loss,
    memory horizon, parameters; the source's "H = 64 within 5 %" against its reference.
    hidden_sizes: only these rows of the grid (a sweep runs each size as its own condition;
    merge_grid joins them into what one run returns)."""
    grid = QUICK_GRID if cfg.quick else GRID
    rows = []
    for H in hidden_sizes or grid["hidden"]:
        for act in grid["activation"]:
            for chunk in grid["chunk"]:
                rows.append(grid_cell(lab, dataclasses.replace(cfg, hidden=H, activation=act, chunk=chunk), data))
    return grid_summary(rows, cfg.steps, data["entropy_rate"])


def grid_cell(lab, cfg, data):
    """One cell of the grid: its seeds as one population."""
    params, history = train_seeds(lab, cfg, data)
    held, _, gap = final_losses(history, data)
    row = {"hidden": cfg.hidden, "activation": cfg.activation, "chunk": cfg.chunk, "diverged": diverged_list(history),
           "params": cfg.hidden * grammar.V + cfg.hidden ** 2 + cfg.hidden + grammar.V * cfg.hidden + grammar.V,
           "held_out_loss": spread(held), "gap": spread(gap),
           "memory_horizon": spread(memory_horizon(memory_probe(params, cfg, data), char_frequency_chance(data))),
           "place_cost": place_cost_spread(lab, params, cfg, data)}
    print(f"  grid: H={cfg.hidden:3d} {cfg.activation:8s} chunk {cfg.chunk:2d}: held-out {fmt_spread(row['held_out_loss'])}, "
          f"horizon {fmt_spread(row['memory_horizon'], '.1f')}", flush=True)
    return row


def grid_summary(rows, steps, floor):
    return {"rows": rows, "steps": steps, "reference": grid_reference(rows, floor),
            "activation_differences": activation_differences(rows)}


def merge_grid(parts):
    """The grid's per-size parts (results of study_grid(hidden_sizes=[H])) -> one grid result."""
    rows = [row for part in parts for row in part["rows"]]
    merged = {**parts[0], **grid_summary(rows, parts[0]["steps"], parts[0]["entropy_rate"])}
    merged["seconds"] = sum(part["seconds"] for part in parts)  # compute time, summed over the parts
    return merged


def find_row(rows, cell):
    return next((r for r in rows if all(r[k] == v for k, v in cell.items())), None)


def grid_reference(rows, floor):
    """The source's claim tested as it states it: H = 64 (tanh, chunk 25) against its reference
    H = 128, tanh, chunk 50: percent above, and the ratio of the excesses over the floor."""
    small, best = find_row(rows, SMALL_CANDIDATE), find_row(rows, SOURCE_REFERENCE)
    if small is None or best is None:
        return None
    pairs = [(x, y) for x, y in zip(small["held_out_loss"]["per_seed"], best["held_out_loss"]["per_seed"])
             if x is not None and y is not None]
    return {"candidate": SMALL_CANDIDATE, "reference": SOURCE_REFERENCE,
            "percent_above": spread([100 * (x / y - 1) for x, y in pairs]),
            "excess_ratio": spread([(x - floor) / (y - floor) for x, y in pairs]),
            "parameter_ratio": small["params"] / best["params"]}


def activation_differences(rows):
    """ReLU - tanh and sigmoid - tanh held-out loss, averaged over the (H, chunk) cells, per seed."""
    out = {}
    for act in ("relu", "sigmoid"):
        per_cell = []
        for row in rows:
            tanh = find_row(rows, {"hidden": row["hidden"], "activation": "tanh", "chunk": row["chunk"]})
            if row["activation"] == act and tanh is not None:
                per_cell.append([None if x is None or y is None else x - y
                                 for x, y in zip(row["held_out_loss"]["per_seed"], tanh["held_out_loss"]["per_seed"])])
        if per_cell:
            out[f"{act} - tanh"] = spread([None if any(v[k] is None for v in per_cell) else float(np.mean([v[k] for v in per_cell]))
                                           for k in range(len(per_cell[0]))])
    return out


# --- running and reporting ----------------------------------------------------------------------

def run(lab, cfg, results_dir):
    """Run cfg.study (or every study), print each table, and save each result to
    --save-results (one study) or to <results_dir>/study_<name>.json. With --workers or
    --scheduler, --study all runs as a sweep (rnn_numpy.sweep): one condition per study,
    each kept in --sweep-dir as it finishes, the tables printed when all are done."""
    names = list(STUDIES) if cfg.study == "all" else [cfg.study]
    executor = {"workers": cfg.workers, "scheduler": cfg.scheduler}
    cfg = study_config(lab, cfg)
    data = lab.make_data(cfg)
    print(f"char RNN lab: {len(names)} stud{'y' if len(names) == 1 else 'ies'}, {cfg.steps} steps each "
          f"(grid: {grid_steps(cfg)}), entropy floor {data['entropy_rate']:.3f} nats/char")
    configs = {name: dataclasses.replace(cfg, steps=grid_steps(cfg)) if name == "grid" else cfg for name in names}
    if executor["workers"] or executor["scheduler"]:
        conditions = sweep_conditions(names, configs)
        sweep_dir = sweep.sweep_folder(cfg.sweep_dir, cfg.quick, pathlib.Path(results_dir) / "sweep", lab.SLUG)
        done = sweep.run_sweep(conditions, lab.study_condition, sweep_dir, cost=condition_cost, **executor)
        results = (join_parts(name, [r for c, r in zip(conditions, done) if c["study"] == name]) for name in names)
    else:
        results = (run_study(lab, configs[name], data, name) for name in names)
    everything = {}
    for name, result in zip(names, results):
        STUDIES[name].show(result)
        print(f"  ({name}: {result['seconds']:.0f} s)\n", flush=True)
        path = cfg.save_results or pathlib.Path(results_dir) / f"study_{name}.json"
        write_results(path, result)
        everything[name] = {"seconds": result["seconds"], "path": str(path)}
    return {"problem": lab.SLUG, "studies": everything}


# Seconds each study took in one process (5 seeds, float32, `visualize_char_rnn_lab.py
# --publish`; char_rnn_lab.md), for the sweep's longest-first order; the grid runs as one
# condition per size, its share by H.
STUDY_COST = {"init": 145, "hidden": 205, "tbptt": 177, "activation": 191, "clip": 483, "teacher_forcing": 132,
              "reservoir": 150, "novel_word": 57, "lr": 440, "grid": 688}


def sweep_conditions(names, configs):
    """--study all as sweep conditions: one per study, the grid one per hidden size."""
    conditions = []
    for name in names:
        config = config_record(configs[name])
        if name == "grid":
            sizes = (QUICK_GRID if configs[name].quick else GRID)["hidden"]
            conditions += [{"name": f"study_grid-H={H}", "study": name, "config": config, "grid_hidden": H,
                            "grid_share": H / sum(sizes)} for H in sizes]
        else:
            conditions.append({"name": f"study_{name}", "study": name, "config": config})
    return conditions


def condition_cost(condition):
    return STUDY_COST[condition["study"]] * condition.get("grid_share", 1.0)


def join_parts(name, parts):
    return merge_grid(parts) if name == "grid" else parts[0]


def run_study(lab, cfg, data, name, part=None):
    """One study's results, with its config, versions and wall time (cfg: its own settings;
    part: keyword arguments that pick one part of it, e.g. {"hidden_sizes": [64]} of the grid)."""
    start = time.perf_counter()
    result = STUDIES[name].run(lab, cfg, data, **(part or {}))
    result.update(study=name, problem=lab.SLUG, config=config_record(cfg), versions=versions(),
                  entropy_rate=data["entropy_rate"], seconds=time.perf_counter() - start)
    return result


def study_config(lab, cfg):
    """The studies' shared settings: the baseline's, trained for --study-steps each."""
    cfg = lab.resolve(cfg)
    return dataclasses.replace(cfg, steps=cfg.study_steps, eval_every=min(cfg.eval_every, max(cfg.study_steps // 20, 1)))


def grid_steps(cfg):
    """The grid trains its networks one by one, each for 3/10 of the studies' steps."""
    return max(3 * cfg.steps // 10, 50)


def print_comparisons(r):
    """Every difference a study tested, with its verdict under the rule (experiment.RESOLVED_AT)."""
    for name, d in r.get("comparisons", {}).items():
        print(f"     {name}: {fmt_difference(d)}")


def print_init(r):
    step = r["early_step"]
    print(f"\n1. init ({r['held_out_loss'][0]['n']} seeds, mean +- SD): {'':<4}{'radius at 0':>16}"
          f"{f'held-out @ {step}':>22}{'held-out':>20}{'lexicon':>9}{'grammatical':>13}")
    for i, n in enumerate(r["names"]):
        lex = spread([q["lexicon"] for q in r["generated"][i]])
        gram = spread([q["grammatical"] for q in r["generated"][i]])
        print(f"   {n:<12}{fmt_spread(r['start_radius'][i]):>22}{fmt_spread(r['early_held_out_loss'][i]):>22}"
              f"{fmt_spread(r['held_out_loss'][i]):>20}{lex['mean']:>9.1%}{gram['mean']:>13.1%}")
    print_comparisons(r)


def print_hidden(r):
    print(f"\n2. hidden: {'H':>4}{'params':>9}{'held-out':>20}{'gap':>20}")
    for row in r["rows"]:
        print(f"   {'':7}{row['hidden']:>4}{row['params']:>9}{fmt_spread(row['held_out_loss']):>20}{fmt_spread(row['gap']):>20}")
    print_comparisons(r)


def print_tbptt(r):
    bins = "".join(f"{f'{lo}-{hi}':>8}" for lo, hi in r["bins"])
    print(f"\n3. tbptt: {'chunk':>6}{'held-out':>20}{'horizon':>14}   probe accuracy by distance (mean):{bins}")
    for row in r["rows"]:
        probe = np.mean(row["probe_bins"], axis=0)
        place = f"  nats per place word {fmt_spread(row['place_cost'], '.2f')}" if row.get("place_cost") else ""
        print(f"   {'':6}{row['chunk']:>6}{fmt_spread(row['held_out_loss']):>20}{fmt_spread(row['memory_horizon'], '.1f'):>14}"
              f"{'':36}" + "".join(f"{a:>8.0%}" for a in probe) + place)
    print(f"   (chance: always the most common character, {r['chance']:.0%})")
    for line in reach_lines(r):
        print(f"   {line}")
    print_comparisons(r)


def reach_lines(r):
    """The gradient reach of a tbptt study, as its table and its figure print it."""
    rows, change = reach_by_chunk(r)
    n = len(r["rows"][0]["grad_by_position"][0])
    return [f"gradient reach (steps back until ||dL/dh|| < {REACH_LEVEL:g} of the last step's; {n} if never): "
            + ", ".join(f"chunk {x['chunk']} {fmt_spread(x['reach'], '.1f')}" for x in rows),
            f"relative ||dL/dh|| {n - 1} steps back (mean; networks above 1): "
            + ", ".join(f"chunk {x['chunk']} {x['norm_at_end']:.3g} ({x['growing']})" for x in rows),
            f"reach, chunk {rows[-1]['chunk']} - chunk {rows[0]['chunk']}: {fmt_difference(change, '.1f')}"]


def print_activation(r):
    print(f"\n4. activation: {'clip':>6}{'held-out':>20}{'clipped':>9}{'mean':>7}{'std':>7}{'sat.':>7}   verdicts")
    for row in r["rows"]:
        st = row["hidden_summary"]
        verdicts = ", ".join(f"{row['verdicts'].count(v)} {v}" for v in dict.fromkeys(row["verdicts"]))
        mean = "-" if st["mean"]["mean"] is None else f"{st['mean']['mean']:>7.2f}{st['std']['mean']:>7.2f}{st['saturated']['mean']:>7.0%}"
        print(f"   {row['activation']:<11}{row['clip']:>6g}{fmt_spread(row['held_out_loss']):>20}"
              f"{row['clipped_fraction']['mean']:>9.1%}{mean}   {verdicts}")
    print_comparisons(r)


def print_optimizer_arms(r, key, values, number):
    print(f"\n{number}. {key}: {'optimizer':>10}{key:>8}{'held-out':>20}{'steps clipped':>15}{'median |g|':>12}  diverged")
    for name, res in r["optimizers"].items():
        for i, v in enumerate(values):
            diverged = sum(d is not None for d in res["diverged"][i])
            print(f"   {name:>14}{v:>8g}{fmt_spread(res['held_out_loss'][i]):>20}{res['clipped_fraction'][i]['mean'] or 0:>15.1%}"
                  f"{res['grad_norm_median'][i]['mean'] or 0:>12.2f}  {diverged or ''}")
    same = r.get("identical_by_construction")
    if same:
        print(f"   AdaGrad clipped every step at {', '.join(f'{t:g}' for t in same['thresholds'])}: those arms train the "
              f"same networks by construction (held-out losses within {same['largest_difference']:.1e})")
    print_comparisons(r)


def print_clip(r):
    print_optimizer_arms(r, "clip", r["thresholds"], 5)


def print_lr(r):
    print_optimizer_arms(r, "lr", r["rates"], 9)


def print_teacher_forcing(r):
    print(f"\n6. teacher forcing: {'':<14}{'held-out':>20}  free-running lexicon / grammatical (T=0.7, T=1.0)"
          "   after an injected error: lexicon / grammatical (intact prime)")
    for row in r["rows"]:
        def m(values):
            return float(np.mean(values))
        f07, f10 = row["free_running"]["0.7"], row["free_running"]["1.0"]
        rc, ri = row["recovery"]["corrupted"], row["recovery"]["intact"]
        print(f"   {row['method']:<32}{fmt_spread(row['held_out_loss']):>20}  "
              f"{m([q['lexicon'] for q in f07]):.1%} / {m([q['grammatical'] for q in f07]):.1%}, "
              f"{m([q['lexicon'] for q in f10]):.1%} / {m([q['grammatical'] for q in f10]):.1%}          "
              f"{m(rc['lexicon']):.1%} / {m(rc['grammatical']):.1%}  ({m(ri['lexicon']):.1%} / {m(ri['grammatical']):.1%})")
    cost = r["cost_by_step"]
    shown = sorted({0, len(cost["step"]) // 4, len(cost["step"]) // 2, len(cost["step"]) - 1})
    print("   held-out, scheduled - teacher, by step (mixing rate then): " + ";  ".join(
        f"{cost['step'][i]}: {fmt_difference(cost['gap'][i])} ({cost['mixing_rate'][i]:.3f})" for i in shown))
    print_comparisons(r)


def print_reservoir(r):
    print(f"\n7. reservoir: {'':<28}{'held-out':>20}{'gap':>20}{'lexicon':>9}{'grammatical':>13}")
    for row in r["rows"]:
        lex = np.mean([q["lexicon"] for q in row["generated"]])
        gram = np.mean([q["grammatical"] for q in row["generated"]])
        print(f"   {row['name']:<40}{fmt_spread(row['held_out_loss']):>20}{fmt_spread(row['gap']):>20}{lex:>9.1%}{gram:>13.1%}")
    print_comparisons(r)


def print_novel_word(r):
    print("\n8. novel word: cosine similarity of \"zog\" (mean word-end state) to each category's nouns, mean +- SD")
    for res in r["results"]:
        cats = "  ".join(f"{c} {fmt_spread(v, '.2f')}" for c, v in res["by_category"].items())
        own = sum(res["closest_category_is_own"])
        print(f"   zog for {res['replaced']:<5} ({res['replaced_word_category']}): {cats}   "
              f"closest to its own category in {own} of {len(res['closest_category_is_own'])} networks")
    for line in nearest_lines(r):
        print(f"   {line}")


def nearest_lines(r):
    """The noun nearest to "zog" in each network, per replaced word, as the table and the
    figure print it."""
    return [f"nearest noun to zog for {res['replaced']}, network by network: "
            + ", ".join(p["nearest"][0] for p in res["per_seed"]) for res in r["results"]]


def print_grid(r):
    rows = [x for x in r["rows"] if x["held_out_loss"]["mean"] is not None]
    best = sorted(rows, key=lambda x: x["held_out_loss"]["mean"])[:5]
    print(f"\n10. grid ({len(r['rows'])} cells, {r['steps']} steps each): the five lowest mean held-out losses")
    for x in best:
        print(f"   H={x['hidden']:<4}{x['activation']:<9}chunk {x['chunk']:<3} held-out {fmt_spread(x['held_out_loss'])}  "
              f"horizon {fmt_spread(x['memory_horizon'], '.1f')}  params {x['params']}")
    ref = r["reference"]
    if ref:
        print(f"   H=64 tanh chunk 25 against the source's reference H=128 tanh chunk 50: "
              f"{fmt_spread(ref['percent_above'], '.1f')} % above, {fmt_spread(ref['excess_ratio'], '.2f')}x its excess "
              f"over the floor, with {ref['parameter_ratio']:.2f} of its parameters")
    for name, s in r["activation_differences"].items():
        print(f"   {name}, mean over the (H, chunk) cells: {fmt_spread(s)} nats/char")


# --- the list ---------------------------------------------------------------------------------

class Study(NamedTuple):
    run: Callable  # (lab, cfg, data) -> results dict
    show: Callable  # results dict -> prints its table
    varies: tuple = ()  # the Config fields the study sets itself (their flags would be ignored)


STUDIES = {"init": Study(study_init, print_init, ("init",)),
           "hidden": Study(study_hidden, print_hidden, ("hidden",)),
           "tbptt": Study(study_tbptt, print_tbptt, ("chunk",)),
           "activation": Study(study_activation, print_activation, ("activation",)),
           "clip": Study(study_clip, print_clip, ("clip", "optimizer")),
           "teacher_forcing": Study(study_teacher_forcing, print_teacher_forcing),
           "reservoir": Study(study_reservoir, print_reservoir),
           "novel_word": Study(study_novel_word, print_novel_word),
           "lr": Study(study_lr, print_lr, ("lr",)),
           "grid": Study(study_grid, print_grid, ("hidden", "activation", "chunk"))}


def varied_by(name):
    """The Config fields that study `name` (or "all") sets itself."""
    names = STUDIES if name == "all" else [name]
    return sorted({field for n in names for field in STUDIES[n].varies})
