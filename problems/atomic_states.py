"""Redundant cues entangle an RNN's word representations; pre-training on non-redundant
input protects them: Huebner & Willits (2021), "Scaffolded input promotes atomic
organization in the recurrent neural network language model", CoNLL 2021, pp. 408-422.
Demonstrates: a word-level RNN language model on the artificial grammar A X B Y, where the
B (or A) word repeats the X word's category with probability beta (alpha); how well the
X and B words' representations sort into the four categories (balanced accuracy).
Equations, corpus, deviations: see atomic_states.md.

    python problems/atomic_states.py --experiment exp1           # beta in {0, 0.5, 1}, 10 networks each
    python problems/atomic_states.py --experiment exp2           # pre-train with beta, then beta = 1
    python problems/atomic_states.py --experiment all --save-results results/atomic.json
    python problems/atomic_states.py --experiment all --workers 2   # the experiments on 2 local Dask workers
    python problems/atomic_states.py --experiment exp1 --save-params results/exp1.npz
    python problems/atomic_states.py --quick                     # a seconds-long smoke run
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # measured: a 2nd BLAS thread only slows small nets

import dataclasses  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

from rnn_numpy import losses, lstm, readout, rnn, sweep  # noqa: E402
from rnn_numpy._shapes import outer_sum  # noqa: E402
from rnn_numpy.experiment import (RESOLVED_AT, at_least_one, check_finite, check_learned, command,  # noqa: E402
                                  config_record, jsonable, non_negative_int, only_with, option, output_file,
                                  parse_config, resolved, save_params, scratch_dir, seed_difference, versions,
                                  write_results)

SLUG = "atomic_states"
ROOT = pathlib.Path(__file__).resolve().parents[1]
N_SLOT = 32  # words per slot: A 0-31, X 32-63, B 64-95, Y 96-127
V = 4 * N_SLOT
A0, X0, B0, Y0 = 0, N_SLOT, 2 * N_SLOT, 3 * N_SLOT
N_CATEGORIES = 4  # word i of a slot is in category i mod 4
WINDOW = 4  # 3 input words, the 4th is the target
LOSS_WINDOW = 50  # steps: a network's final training loss is its mean over the last 50

EXPERIMENTS = {
    # name: (cell, manipulated slot, pre-training?, learning rate)
    "exp1": ("rnn", "beta", False, 0.4),
    "exp2": ("rnn", "beta", True, 0.4),
    "exp1_alpha": ("rnn", "alpha", False, 0.4),
    "exp2_alpha": ("rnn", "alpha", True, 0.4),
    "lstm_exp1": ("lstm", "beta", False, 1.0),
    "lstm_exp2": ("lstm", "beta", True, 1.0),
}
LEVELS = (0.0, 0.5, 1.0)  # the three conditions of every experiment

# The paper's numbers (figures 3 and 4, text), printed beside ours.
PAPER = {
    "exp1": "beta 0: X -> 1.0, B ~ 0.5;  beta 0.5: X peaks then declines, B rises;  beta 1: X ~ 0.8, B ~ 0.96",
    "exp2": "final X: 0.88 (pre-trained beta 0), 0.84 (0.5), 0.78 (1);  B stays near chance after beta 0",
    "exp1_alpha": "alpha 0 and 0.5: X -> 1.0, A near 0.5;  alpha 1: X only partial, A strong but imperfect",
    "exp2_alpha": "pre-training with alpha 0 or 0.5 keeps X high and A low through the alpha = 1 phase",
    "lstm_exp1": "the paper's footnote: an LSTM gives similar results in all conditions",
    "lstm_exp2": "the paper's footnote: an LSTM gives similar results in all conditions",
}
# The final (X, cue) balanced accuracies the paper states in its text, where it states one
# (None: not stated), by (experiment, condition); the summary figure marks them.
PAPER_FINAL = {("exp1", 0.0): (1.0, 0.5), ("exp1", 1.0): (0.8, 0.96),
               ("exp2", 0.0): (0.88, None), ("exp2", 0.5): (0.84, None), ("exp2", 1.0): (0.78, None),
               ("exp1_alpha", 0.0): (1.0, 0.5), ("exp1_alpha", 0.5): (1.0, 0.5)}


@dataclass
class Config:
    experiment: str = option("exp1", "which experiment (cds: the analogue of the paper's experiment 3b, re-initialization; "
                             "cds_3a: of experiment 3a, atomic pre-training; all: every one)",
                             choices=[*EXPERIMENTS, "cds", "cds_3a", "all"])
    networks: int = option(10, "networks per condition (the paper: 10)")
    steps: int = option(3000, "training steps in all (with pre-training: half of them pre-training)")
    batch: int = option(64, "consecutive windows per step")
    hidden: int = option(64, "hidden units (and embedding size)")
    lr: float = option(None, "learning rate (the paper's)", float,
                       default_text="0.4 RNN, 1.0 LSTM")
    init_bound: float = option(0.125, "every weight and bias starts uniform in +-this")
    eval_every: int = option(50, "steps between balanced-accuracy evaluations")
    seed: int = option(0, "seed of the corpora and initializations", non_negative_int)
    cue_rate: float = option(0.9, "cds, cds_3a: probability that an adjective or verb is the probe category's own")
    pretrain_steps: int = option(300, "cds_3a: pre-training steps before the --steps of child-directed-style text "
                                 "(the atomicity-bias networks learn the probes' categories from probe-label pairs)")
    dtype: str = option(None, "arithmetic of training: float64, or float32 (the LSTM twice as fast; its results "
                        "stay within the seed spread of float64's, see atomic_states.md). Evaluation is float64",
                        str, choices=["float64", "float32"], default_text="float32 LSTM, float64 RNN")
    workers: int = sweep.workers_field("--experiment all: ", "experiments")
    scheduler: str = sweep.scheduler_field("--experiment all: ", "experiments")
    sweep_dir: str = sweep.sweep_dir_field("--experiment all: ", "experiments", "results/atomic_states/sweep")
    quick: bool = option(False, "a seconds-long smoke run (3 networks per condition, 300 steps, 100 pre-training "
                         "steps in cds_3a)")
    save_results: str = option(None, "write the results as JSON to this path", output_file)
    save_params: str = option(None, "one experiment: write the trained parameters of all its networks "
                              "(conditions x networks, in that order; cds: baselines, then re-initialized) "
                              "and the config as .npz to this path; read it back with "
                              "rnn_numpy.experiment.load_params", output_file)


def resolve(cfg):
    if cfg.quick:
        cfg = dataclasses.replace(cfg, networks=min(cfg.networks, 3), steps=min(cfg.steps, 300),
                                  pretrain_steps=min(cfg.pretrain_steps, 100))
    return cfg


def train_dtype(cfg, cell):
    """The training arithmetic: --dtype, else float32 for the LSTM and float64 for the RNN."""
    return np.dtype(cfg.dtype or ("float32" if cell == "lstm" else "float64"))


def check(cfg):
    """Everything wrong with the command line: flags that would be ignored, then the settings."""
    problems = only_with(cfg, ["cue_rate"], cfg.experiment in ("cds", "cds_3a", "all"),
                         "to --experiment cds, cds_3a (or all)")
    problems += only_with(cfg, ["pretrain_steps"], cfg.experiment in ("cds_3a", "all"), "to --experiment cds_3a (or all)")
    if cfg.experiment == "all" and cfg.save_params is not None:
        problems.append("--save-params saves one experiment's networks; choose one --experiment")
    problems += only_with(cfg, ["workers", "scheduler", "sweep_dir"], cfg.experiment == "all", "with --experiment all")
    problems += sweep.sweep_problems(cfg)
    return problems + validate(cfg)


def validate(cfg):
    problems = at_least_one(cfg, ("networks", "batch", "hidden", "eval_every", "pretrain_steps"))
    if cfg.steps < 2 * LOSS_WINDOW:  # pre-training and the re-initialization split the steps in half
        problems.append(f"--steps must be at least {2 * LOSS_WINDOW} (got {cfg.steps})")
    if cfg.lr is not None and not cfg.lr > 0:
        problems.append(f"--lr must be positive (got {cfg.lr})")
    if not 0 <= cfg.cue_rate <= 1:
        problems.append(f"--cue-rate must be in [0, 1] (got {cfg.cue_rate})")
    if not cfg.init_bound > 0:
        problems.append(f"--init-bound must be positive (got {cfg.init_bound})")
    return problems


# --- corpus -------------------------------------------------------------------------------------

def sample_sequences(rng, n, alpha, beta):
    """n sequences A X B Y as word ids, (n, 4). X uniform over its 32 words; A (B) is X's
    partner with the same index with probability alpha (beta), else uniform; Y uniform over
    the 8 Y words of X's category (index mod 4)."""
    x = rng.integers(N_SLOT, size=n)
    a = np.where(rng.random(n) < alpha, x, rng.integers(N_SLOT, size=n))
    b = np.where(rng.random(n) < beta, x, rng.integers(N_SLOT, size=n))
    y = N_CATEGORIES * rng.integers(N_SLOT // N_CATEGORIES, size=n) + x % N_CATEGORIES
    return np.stack([A0 + a, X0 + x, B0 + b, Y0 + y], axis=1)


def make_stream(rng, n_windows, schedule):
    """The word stream for one network: sequences concatenated, enough for n_windows sliding
    windows of 4. schedule: [(fraction of the windows, alpha, beta), ...] in order; a phase
    of fraction f covers f * n_windows words, so with 64 windows per step a phase of half the
    windows ends exactly at half the steps (the last phase gets one more sequence, for the
    words the final windows reach past its end)."""
    parts = []
    for p, (fraction, alpha, beta) in enumerate(schedule):
        n_seq = int(np.ceil(fraction * n_windows / WINDOW)) + (p == len(schedule) - 1)
        parts.append(sample_sequences(rng, n_seq, alpha, beta).ravel())
    return np.concatenate(parts)[:n_windows + WINDOW - 1]


def condition_schedule(experiment, level):
    """(fraction, alpha, beta) phases for one condition of an experiment."""
    _, slot, pretrain, _ = EXPERIMENTS[experiment]
    ab = (level, 0.0) if slot == "alpha" else (0.0, level)
    if not pretrain:
        return [(1.0, *ab)]
    full = (1.0, 0.0) if slot == "alpha" else (0.0, 1.0)
    return [(0.5, *ab), (0.5, *full)]


def make_streams(cfg, experiment):
    """Word streams for every network: conditions x networks, (K, n_windows + 3)."""
    n_windows = cfg.steps * cfg.batch
    streams = []
    for c, level in enumerate(LEVELS):
        for n in range(cfg.networks):
            rng = np.random.default_rng([cfg.seed, c, n])
            streams.append(make_stream(rng, n_windows, condition_schedule(experiment, level)))
    return np.stack(streams)


# --- model --------------------------------------------------------------------------------------

def init_params(cfg, cell, K, vocab=V, seed_key=99, dtype=np.float64):
    """Every weight and bias uniform in +-init_bound, one draw per network, (K, ...) arrays
    (drawn in float64, then cast to dtype: the same numbers in either arithmetic).
    W_emb (H, V): the embedding; then the RNN (W_xh, W_hh, b_h) or LSTM (W_x, W_h, b) on it;
    then W_hy (V, H), b_y (V,)."""
    H, a, V = cfg.hidden, cfg.init_bound, vocab
    shapes = {"W_emb": (H, V), "W_hy": (V, H), "b_y": (V,)}
    if cell == "rnn":
        shapes.update(W_xh=(H, H), W_hh=(H, H), b_h=(H,))
    else:
        shapes.update(W_x=(4 * H, H), W_h=(4 * H, H), b=(4 * H,))
    rng = np.random.default_rng([cfg.seed, seed_key])
    return {k: rng.uniform(-a, a, size=(K, *s)).astype(dtype) for k, s in shapes.items()}


def as_float64(params):
    """The parameters in float64 (no copy when they already are): every evaluation runs in it."""
    return {k: v.astype(np.float64, copy=False) for k, v in params.items()}


def one_hot(ids, vocab, dtype=np.float64):
    return (ids[..., None] == np.arange(vocab)).astype(dtype)


def forward(params, cell, ids):
    """ids (3 + 1, K, B): three input words and the target. The state starts at zero for each
    window. Returns the cross-entropy of the 4th word averaged over the batch, (K,), and what
    backward needs."""
    dtype = params["W_emb"].dtype
    x = one_hot(ids[:-1], params["W_emb"].shape[-1], dtype)  # (3, K, B, V)
    e = x @ params["W_emb"].mT  # (3, K, B, H) embeddings
    K, B, H = ids.shape[1], ids.shape[2], params["W_emb"].shape[1]
    zeros = np.zeros((K, B, H), dtype)
    if cell == "rnn":
        h, cache = rnn.forward(e, zeros, params, "tanh")
    else:
        h, _, cache = lstm.forward(e, zeros, zeros, params)
    logits, out_cache = readout.forward(h[-1], params)  # (K, B, V)
    loss, dlogits = losses.softmax_cross_entropy(logits[None], ids[-1:])  # (K,), dL/dlogits (1, K, B, V)
    return loss, (cell, x, h, cache, out_cache, dlogits)


def loss_and_grads(params, cell, ids):
    """The loss (K,) and its gradient for every parameter (the same keys and shapes)."""
    loss, (cell, x, h, cache, out_cache, dlogits) = forward(params, cell, ids)
    dh = np.zeros_like(h)
    dh_last, grads = readout.backward(dlogits[0], out_cache)
    dh[-1] = dh_last  # only the last step feeds the loss
    de, core = core_backward(cell, dh, cache)
    grads.update(core)
    grads["W_emb"] = outer_sum(de, x, params["W_emb"].shape)  # sum dE x^T   (K, H, V)
    return loss, grads


def core_backward(cell, dh, cache):
    """(dL/d embeddings (3, K, B, H), the recurrent core's parameter grads)."""
    if cell == "rnn":
        de, _, dp = rnn.backward(dh, cache)
    else:
        de, _, _, dp = lstm.backward(dh, cache)
    return de, dp


def run_core(params, cell, words):
    """Present words (T, n) in order from a zero state to every network; the last hidden
    state, (K, n, H), in float64."""
    params = as_float64(params)
    e = params["W_emb"].mT[:, words].swapaxes(0, 1)  # (K, T, n, H) -> (T, K, n, H)
    K, n, H = e.shape[1], e.shape[2], e.shape[3]
    zeros = np.zeros((K, n, H))
    if cell == "rnn":
        return rnn.forward(e, zeros, params, "tanh")[0][-1]
    return lstm.forward(e, zeros, zeros, params)[0][-1]


def word_states(params, cell, words):
    """The representation of each word: the hidden state after presenting the word alone
    from a zero state, (K, n_words, H); for the RNN tanh(W_xh e_w + b_h)."""
    return run_core(params, cell, np.asarray(words)[None])


def composite_states(params, cell, first, second):
    """The paper's footnote 12: the hidden state after the two words first[i], second[i]
    (e.g. A_i X_i), from a zero state, (K, n, H)."""
    return run_core(params, cell, np.stack([first, second]))


# --- balanced accuracy --------------------------------------------------------------------------

THRESHOLDS = np.linspace(0.0, 1.0, 1001)  # the paper's sweep, 0 to 1 in steps of 0.001


def same_category_pairs(n=N_SLOT, n_categories=N_CATEGORIES):
    """Upper-triangle pairs (i < j) of a slot's words and whether they share a category
    (word i is in category i mod n_categories)."""
    i, j = np.triu_indices(n, k=1)
    return i, j, (i % n_categories) == (j % n_categories)


def balanced_accuracy(similarity, n_categories=N_CATEGORIES):
    """Best balanced accuracy of "same category iff similarity > r" over the thresholds.
    similarity: (..., n, n) cosine similarities (clipped to [0, 1]) -> (...,).
    balanced accuracy = (sensitivity + specificity) / 2 = (hits / same + rejections / different) / 2."""
    i, j, same = same_category_pairs(similarity.shape[-1], n_categories)
    s = np.clip(similarity[..., i, j], 0.0, 1.0)  # (..., pairs)
    above = s[..., None] > THRESHOLDS  # (..., pairs, thresholds): judged "same"
    sensitivity = above[..., same, :].mean(axis=-2)
    specificity = 1.0 - above[..., ~same, :].mean(axis=-2)
    return ((sensitivity + specificity) / 2).max(axis=-1)


def cosine_similarity(vectors):
    """(..., n, H) -> (..., n, n) cosines."""
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)
    return unit @ unit.mT


def slot_accuracy(params, cell, first_word):
    """Balanced accuracy of one slot's 32 word representations, per network, (K,)."""
    return balanced_accuracy(cosine_similarity(word_states(params, cell, np.arange(first_word, first_word + N_SLOT))))


def composite_accuracy(params, cell, slot):
    """Balanced accuracy of the 32 composite states of X word i with its partner, per network,
    (K,): A_i then X_i in the alpha experiments, X_i then B_i in the beta ones."""
    i = np.arange(N_SLOT)
    first, second = (A0 + i, X0 + i) if slot == "alpha" else (X0 + i, B0 + i)
    return balanced_accuracy(cosine_similarity(composite_states(params, cell, first, second)))


# --- training -----------------------------------------------------------------------------------

def run_experiment(cfg, experiment, verbose=True, callback=None):
    """Train the 3 conditions x cfg.networks networks of an experiment as one population.
    callback(step, params, cell), if given, is called at every evaluation (the GIF script
    takes its snapshots there). Returns (result, params): per-condition curves of balanced
    accuracy (mean and sd over networks), each network's final numbers (per_seed), the
    comparisons between conditions with their verdicts, and the trained parameters;
    network k belongs to condition k // cfg.networks."""
    cfg = resolve(cfg)
    cell, slot, pretrain, default_lr = EXPERIMENTS[experiment]
    lr = default_lr if cfg.lr is None else cfg.lr
    K = len(LEVELS) * cfg.networks
    streams = make_streams(cfg, experiment)  # (K, n)
    params = init_params(cfg, cell, K, dtype=train_dtype(cfg, cell))
    cue = A0 if slot == "alpha" else B0  # the redundant slot whose words we also score
    steps, acc_x, acc_cue = [], [], []
    losses_seen = np.empty((cfg.steps, K))  # training loss per step and network
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(cfg.steps + 1):
            if step % cfg.eval_every == 0 or step == cfg.steps:
                steps.append(step)
                acc_x.append(slot_accuracy(params, cell, X0))
                acc_cue.append(slot_accuracy(params, cell, cue))
                if callback is not None:
                    callback(step, params, cell)
                if verbose and step % (cfg.eval_every * 10) == 0:
                    print_progress(experiment, step, cfg, acc_x[-1], acc_cue[-1], slot, start)
            if step == cfg.steps:
                break
            losses_seen[step] = sgd_step(params, cell, streams, step, cfg.batch, lr)
    acc_x, acc_cue = np.array(acc_x), np.array(acc_cue)  # (evaluations, K)
    heldout = heldout_loss(params, cell, heldout_streams(cfg, experiment))  # (K,) nats per word
    composite = composite_accuracy(params, cell, slot)  # (K,)
    result = summarize(experiment, cfg, steps, acc_x, acc_cue, slot, lr, time.perf_counter() - start)
    result["final_loss"] = final_loss(losses_seen, LOSS_WINDOW).tolist()
    n = cfg.networks
    for c, condition in enumerate(result["conditions"]):
        members = slice(c * n, (c + 1) * n)
        condition["perplexity_final"] = mean_sd(np.exp(heldout[members]))
        condition["perplexity_floor"] = float(np.exp(entropy_floor(*condition_schedule(experiment, condition["level"])[-1][1:])))
        condition["composite_final"] = mean_sd(composite[members])
    result["per_seed"] = [{"network": k, "condition": LEVELS[k // n], "x_final": float(acc_x[-1, k]),
                           "cue_final": float(acc_cue[-1, k]), "final_loss": result["final_loss"][k],
                           "heldout_loss": float(heldout[k]), "perplexity": float(np.exp(heldout[k])),
                           "composite_final": float(composite[k])} for k in range(K)]
    result["comparisons"] = experiment_comparisons(experiment, result["per_seed"], n)
    return result, params


def mean_sd(values):
    """[mean, sd] over networks (sd: the population standard deviation, as in every table)."""
    return [float(np.mean(values)), float(np.std(values))]


def final_loss(losses_seen, window):
    """Each network's training loss at the end: the mean over the last `window` steps
    (one step's batch is too noisy to judge by). losses_seen (steps, K) -> (K,)."""
    return losses_seen[-window:].mean(axis=0)


def window_ids(streams, first, batch):
    """The batch consecutive windows that start at word `first` of every stream: (4, K, B)."""
    words = streams[:, first:first + batch + WINDOW - 1]  # (K, B + 3)
    return np.stack([words[:, t:t + batch] for t in range(WINDOW)])


def sgd_step(params, cell, streams, step, batch, lr):
    """One step of plain SGD on the next `batch` consecutive windows of every network's
    stream (one ordered pass). Returns the per-network loss."""
    loss, grads = loss_and_grads(params, cell, window_ids(streams, step * batch, batch))
    check_finite(loss, step + 1, "lower --lr")
    for k, g in grads.items():
        params[k] -= lr * g  # w <- w - lr dL/dw
    return loss


# --- held-out perplexity (the paper's section 3.7) -----------------------------------------------

HELDOUT_WINDOWS = 4096  # windows of held-out text per network (4,096 words)


def heldout_streams(cfg, experiment):
    """A fresh stream per network, from the condition's last phase (what it trained on at the
    end), (K, HELDOUT_WINDOWS + 3). Network n of every condition draws from the same seed, so
    where conditions end on the same text distribution (the pre-training experiments) they are
    scored on the same words: a paired comparison."""
    streams = []
    for level in LEVELS:
        last_phase = [(1.0, *condition_schedule(experiment, level)[-1][1:])]
        for n in range(cfg.networks):
            streams.append(make_stream(np.random.default_rng([cfg.seed, 1000, n]), HELDOUT_WINDOWS, last_phase))
    return np.stack(streams)


def heldout_loss(params, cell, streams, chunk=512):
    """Mean next-word cross-entropy over every window of each network's held-out stream, in
    nats, (K,); perplexity = exp(this). Forward only, float64, chunk windows at a time."""
    params = as_float64(params)
    n_windows = streams.shape[1] - WINDOW + 1
    total = np.zeros(streams.shape[0])
    for first in range(0, n_windows, chunk):
        size = min(chunk, n_windows - first)
        total += forward(params, cell, window_ids(streams, first, size))[0] * size
    return total / n_windows


def cue_entropy(rate, n=N_SLOT):
    """Entropy (nats) of a word that is a given word's partner with probability rate, else
    uniform over n: p(partner) = rate + (1 - rate) / n, each of the other n - 1: (1 - rate) / n."""
    hit, miss = rate + (1 - rate) / n, (1 - rate) / n
    return -(hit * np.log(hit) + ((n - 1) * miss * np.log(miss) if miss > 0 else 0.0))


def entropy_floor(alpha, beta):
    """The lowest cross-entropy per word (nats) that any model reading 3 words can reach on
    the A X B Y stream: the mean over the four positions of the next word's entropy given
    the three before it. A: independent of the sequence before, log 32; X given A:
    cue_entropy(alpha); B given X: cue_entropy(beta); Y given X: log 8 (its category's 8)."""
    return (np.log(N_SLOT) + cue_entropy(alpha) + cue_entropy(beta) + np.log(N_SLOT // N_CATEGORIES)) / 4


# --- comparisons between conditions, with their verdicts ----------------------------------------

def compare(a, b, paired=False):
    """b - a over the networks of two conditions (experiment.seed_difference: paired network by
    network, else as independent groups): the difference, its standard error, and the
    direction: "higher", "lower", or "not resolved at N seeds" (experiment.resolved)."""
    difference, se, n = seed_difference(a, b, paired)
    direction = ("higher" if difference > 0 else "lower") if resolved(difference, se) else f"not resolved at {n} seeds"
    return {"difference": difference, "se": se, "direction": direction}


NOT_MEASURED = "not measured"  # a comparison the paper reports nothing about


def verdict(direction, paper):
    """agrees / disagrees with the paper's direction ("higher", "lower"); for the paper's
    "no difference" (None) a resolved difference is reported as one, and so it is for a
    comparison the paper did not make (NOT_MEASURED); unresolved stays so."""
    if direction.startswith("not resolved"):
        return direction
    if paper is None:
        return f"{direction} (the paper reports no difference)"
    if paper == NOT_MEASURED:
        return f"{direction} (the paper did not measure this)"
    return "agrees" if direction == paper else "disagrees"


# (measure, condition from, condition to, the paper's direction of to - from; None: no difference;
# NOT_MEASURED: the paper measured perplexity in its experiments 3a and 3b only)
COMPARISONS = {
    "exp1": [("x_final", 0.0, 1.0, "lower"), ("cue_final", 0.0, 1.0, "higher"),
             ("x_final", 0.0, 0.5, "lower"), ("cue_final", 0.0, 0.5, "higher")],
    "exp2": [("x_final", 0.0, 0.5, "lower"), ("x_final", 0.5, 1.0, "lower"), ("x_final", 0.0, 1.0, "lower"),
             ("cue_final", 0.0, 1.0, "higher"), ("perplexity", 0.0, 1.0, NOT_MEASURED)],
    "exp1_alpha": [("x_final", 0.0, 1.0, "lower"), ("cue_final", 0.0, 1.0, "higher")],
    "exp2_alpha": [("x_final", 0.0, 1.0, "lower"), ("cue_final", 0.0, 1.0, "higher"),
                   ("perplexity", 0.0, 1.0, NOT_MEASURED)],
}
COMPARISONS["lstm_exp1"], COMPARISONS["lstm_exp2"] = COMPARISONS["exp1"], COMPARISONS["exp2"]  # "similar results"


def experiment_comparisons(experiment, per_seed, n):
    """The experiment's comparisons (COMPARISONS), each with its numbers and verdict. Networks
    of the pre-training experiments' conditions are scored on the same held-out words, so
    their perplexities are compared network by network (paired)."""
    out = []
    for measure, low, high, paper in COMPARISONS[experiment]:
        a, b = ([s[measure] for s in per_seed if s["condition"] == level] for level in (low, high))
        paired = measure == "perplexity" and EXPERIMENTS[experiment][2]
        c = compare(a, b, paired)
        out.append({"measure": measure, "from": low, "to": high, "paper": paper, "paired": paired, **c,
                    "verdict": verdict(c["direction"], paper)})
    return out


def summarize(experiment, cfg, steps, acc_x, acc_cue, slot, lr, seconds):
    n = cfg.networks
    conditions = []
    for c, level in enumerate(LEVELS):
        x, cue = acc_x[:, c * n:(c + 1) * n], acc_cue[:, c * n:(c + 1) * n]
        conditions.append({"level": level, "x_mean": x.mean(1).tolist(), "x_sd": x.std(1).tolist(),
                           "cue_mean": cue.mean(1).tolist(), "cue_sd": cue.std(1).tolist(),
                           "x_final": [float(x[-1].mean()), float(x[-1].std())],
                           "cue_final": [float(cue[-1].mean()), float(cue[-1].std())],
                           "x_peak": float(x.mean(1).max())})
    return {"experiment": experiment, "cell": EXPERIMENTS[experiment][0], "slot": slot,
            "cue_words": "A" if slot == "alpha" else "B", "pretrain": EXPERIMENTS[experiment][2],
            "pretrain_steps": cfg.steps // 2 if EXPERIMENTS[experiment][2] else 0,
            "lr": lr, "dtype": train_dtype(cfg, EXPERIMENTS[experiment][0]).name, "networks": n, "steps": steps,
            "conditions": conditions, "seconds": seconds, "paper": PAPER[experiment]}


def print_progress(experiment, step, cfg, x, cue, slot, start):
    n = cfg.networks
    parts = [f"{slot}={lvl:g}: X {x[c * n:(c + 1) * n].mean():.2f} {'A' if slot == 'alpha' else 'B'} "
             f"{cue[c * n:(c + 1) * n].mean():.2f}" for c, lvl in enumerate(LEVELS)]
    print(f"  {experiment} step {step:5d}  " + "   ".join(parts) + f"   {time.perf_counter() - start:5.1f} s", flush=True)


def print_comparisons(comparisons):
    print(f"  comparisons (a difference counts when it exceeds {RESOLVED_AT:g} standard errors):")
    for c in comparisons:
        print(f"    {c['measure']:<16} {c['from']:g} -> {c['to']:g}: {c['difference']:+.3f} +- {c['se']:.3f}"
              f"{' (paired)' if c['paired'] else ''}   paper: {c['paper'] or 'no difference'}   -> {c['verdict']}")


def print_result(r):
    w = r["cue_words"]
    what = ("pre-trained with " if r["pretrain"] else "") + ("alpha" if r["slot"] == "alpha" else "beta")
    print(f"\n{r['experiment']} ({r['cell']}, lr {r['lr']}, {r['networks']} networks per condition, "
          f"{r['steps'][-1]} steps): balanced accuracy, mean +- sd")
    composite = "A X" if r["slot"] == "alpha" else "X B"
    print(f"  {what:<24}{'X final':>14}{'X peak':>9}{w + ' final':>14}{composite + ' states':>16}"
          f"{'held-out perplexity':>22}{'floor':>7}")
    for c in r["conditions"]:
        print(f"  {c['level']:<24g}{c['x_final'][0]:>8.3f} +-{c['x_final'][1]:.3f}{c['x_peak']:>9.3f}"
              f"{c['cue_final'][0]:>8.3f} +-{c['cue_final'][1]:.3f}{c['composite_final'][0]:>10.3f} +-"
              f"{c['composite_final'][1]:.3f}{c['perplexity_final'][0]:>14.2f} +-{c['perplexity_final'][1]:.2f}"
              f"{c['perplexity_floor']:>9.2f}")
    print_comparisons(r["comparisons"])
    print(f"  paper: {r['paper']}")
    print(f"  ({r['seconds']:.1f} s)")


# --- the child-directed-speech analogue (an analogue, not the paper's corpus) ----------------

# A generated stand-in for AO-CHILDES, which we cannot ship: 32 probe nouns in 4 categories
# (probe i is in category i mod 4), each seen with redundant cues to its category: an
# adjective before it, the verb after it, and sometimes a relative clause. A cue is the
# category's own word with probability cue_rate (--cue-rate), else a generic word.
CDS_CATEGORIES, CDS_PROBES, CDS_OWN_WORDS, CDS_GENERIC = 4, 32, 3, 3
P_ADJECTIVE, P_CLAUSE = 1.0, 0.3


def cds_vocabulary():
    """Word ids: probes 0-31, then per category 3 adjectives and 3 verbs, generic adjectives
    and verbs, "the", "that"."""
    ids, next_id = {}, CDS_PROBES
    for kind in ("adjective", "verb"):
        ids[kind] = np.arange(next_id, next_id + CDS_CATEGORIES * CDS_OWN_WORDS).reshape(CDS_CATEGORIES, -1)
        next_id += CDS_CATEGORIES * CDS_OWN_WORDS
        ids["generic_" + kind] = np.arange(next_id, next_id + CDS_GENERIC)
        next_id += CDS_GENERIC
    ids["the"], ids["that"] = next_id, next_id + 1
    return ids, next_id + 2


def cds_sentence(rng, words, cue_rate):
    """the [adjective] PROBE [that VERB the PROBE2] VERB, cues tied to PROBE's category."""
    probe = int(rng.integers(CDS_PROBES))
    category = probe % CDS_CATEGORIES

    def cue(kind):
        own = rng.random() < cue_rate
        return int(rng.choice(words[kind][category] if own else words["generic_" + kind]))

    out = [words["the"]]
    if rng.random() < P_ADJECTIVE:
        out.append(cue("adjective"))
    out.append(probe)
    if rng.random() < P_CLAUSE:
        out += [words["that"], cue("verb"), words["the"], int(rng.integers(CDS_PROBES))]
    out.append(cue("verb"))
    return out


def cds_stream(rng, n_tokens, cue_rate):
    words, _ = cds_vocabulary()
    stream = []
    while len(stream) < n_tokens:
        stream += cds_sentence(rng, words, cue_rate)
    return np.array(stream[:n_tokens])


def probe_accuracy(params, cell):
    """Balanced accuracy of the probes' (a) learned lexical representations, the embedding
    columns, and (b) hidden states after the probe alone; each (K,)."""
    probes = np.arange(CDS_PROBES)
    emb = params["W_emb"][..., probes].mT  # (K, 32, H)
    return (balanced_accuracy(cosine_similarity(emb)),
            balanced_accuracy(cosine_similarity(word_states(params, cell, probes))))


def run_cds(cfg, verbose=True):
    """The re-initialization test (the paper's experiment 3b), on the analogue corpus:
    train cfg.networks networks for half the steps; then each continues twice: as it is
    (baseline) and with every parameter re-initialized except the probes' embedding columns
    (atomicity bias). Both branches read the same text; probe balanced accuracy is tracked.
    Returns (result, params of the 2n networks: the baselines, then the re-initialized)."""
    cfg = resolve(cfg)
    n, half = cfg.networks, cfg.steps // 2
    _, vocab = cds_vocabulary()
    streams = np.stack([cds_stream(np.random.default_rng([cfg.seed, 7, k]), cfg.steps * cfg.batch + WINDOW,
                                   cfg.cue_rate) for k in range(n)])
    params = init_params(cfg, "rnn", n, vocab)
    start = time.perf_counter()
    curve = {"steps": [], "embedding": [], "state": []}

    def evaluate(step, p):
        emb, state = probe_accuracy(p, "rnn")
        curve["steps"].append(step)
        curve["embedding"].append(emb)
        curve["state"].append(state)

    lr = 0.4 if cfg.lr is None else cfg.lr
    losses_seen = np.empty((cfg.steps - half, 2 * n))  # after the split, per step and network
    with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is caught by check_finite instead
        for step in range(cfg.steps + 1):
            if step == half:  # branch: networks 0..n-1 continue, n..2n-1 are re-initialized but for the probes
                fresh = init_params(cfg, "rnn", n, vocab, seed_key=123)
                fresh["W_emb"][..., :CDS_PROBES] = params["W_emb"][..., :CDS_PROBES]
                params = {k: np.concatenate([params[k], fresh[k]]) for k in params}
                streams = np.concatenate([streams, streams])
            if step % cfg.eval_every == 0 or step in (half, cfg.steps):
                evaluate(step, params)
                if verbose and step % (cfg.eval_every * 10) == 0:
                    print_cds_progress(curve, step, n, half, start)
            if step == cfg.steps:
                break
            loss = sgd_step(params, "rnn", streams, step, cfg.batch, lr)
            if step >= half:
                losses_seen[step - half] = loss
    heldout = heldout_loss(params, "rnn", np.concatenate([cds_heldout_streams(cfg)] * 2))  # both branches, same words
    return summarize_cds(cfg, curve, final_loss(losses_seen, LOSS_WINDOW), heldout, start), params


def cds_heldout_streams(cfg):
    """Fresh analogue text for each of the cfg.networks networks, (n, HELDOUT_WINDOWS + 3)."""
    return np.stack([cds_stream(np.random.default_rng([cfg.seed, 1000, k]), HELDOUT_WINDOWS + WINDOW - 1, cfg.cue_rate)
                     for k in range(cfg.networks)])


def print_cds_progress(curve, step, n, half, start):
    emb = curve["embedding"][-1]
    where = (f"baseline {np.mean(emb[:n]):.3f}  re-initialized {np.mean(emb[n:]):.3f}" if step >= half
             else f"{np.mean(emb):.3f} (before the split at step {half})")
    print(f"  cds step {step:5d}  probe accuracy (embedding) {where}   {time.perf_counter() - start:5.1f} s", flush=True)


def summarize_cds(cfg, curve, last_loss, heldout, start):
    """The curves before and after the split, and each network's final numbers (per_seed:
    the n baselines, then the n re-initialized networks). last_loss, heldout: (2n,)."""
    n, half = cfg.networks, cfg.steps // 2
    split = curve["steps"].index(half)
    out = {"experiment": "cds", "cell": "rnn", "analogue": True, "networks": n, "steps": curve["steps"],
           "cue_rate": cfg.cue_rate, "loss_window": LOSS_WINDOW,
           "reinit_step": half, "seconds": time.perf_counter() - start,
           "paper": "experiment 3b on AO-CHILDES: re-initialized networks dip, then recover; final balanced "
                    "accuracy 65.71 +- 0.17 (re-initialized) vs 66.29 +- 0.17 (baseline), in %"}
    for rep in ("embedding", "state"):
        before = np.array([a for a in curve[rep][:split]])  # (evaluations, n)
        after = np.array([a for a in curve[rep][split:]])  # (evaluations, 2n)
        out[rep] = {
            "pretraining_mean": before.mean(1).tolist(),
            "baseline_mean": after[:, :n].mean(1).tolist(), "baseline_sd": after[:, :n].std(1).tolist(),
            "reinit_mean": after[:, n:].mean(1).tolist(), "reinit_sd": after[:, n:].std(1).tolist(),
            "at_split": mean_sd(after[0, :n]),
            "baseline_final": [float(after[-1, :n].mean()), float(after[-1, :n].std())],
            "reinit_final": [float(after[-1, n:].mean()), float(after[-1, n:].std())],
            "reinit_lowest": float(after[:, n:].mean(1).min())}
    out["final_loss"] = {"baseline": float(np.mean(last_loss[:n])), "reinit": float(np.mean(last_loss[n:]))}
    out["perplexity"] = {"baseline": mean_sd(np.exp(heldout[:n])), "reinit": mean_sd(np.exp(heldout[n:]))}
    out["per_seed"] = [{"network": k, "branch": "baseline" if k < n else "reinit",
                        "embedding_final": float(curve["embedding"][-1][k]), "state_final": float(curve["state"][-1][k]),
                        "final_loss": float(last_loss[k]), "heldout_loss": float(heldout[k]),
                        "perplexity": float(np.exp(heldout[k]))} for k in range(2 * n)]
    out["comparisons"] = branch_comparisons(out["per_seed"], "baseline", "reinit", CDS_PAPER_DIRECTIONS)
    return out


# The paper's experiment 3b, re-initialized against baseline at the end: its numbers put
# categorization lower (65.71 +- 0.17 against 66.29 +- 0.17, margins of error), although its
# text says the re-initialized networks "surpass" the baseline; perplexity: no significant difference.
CDS_PAPER_DIRECTIONS = {"embedding_final": "lower", "state_final": "lower", "perplexity": None}


def branch_comparisons(per_seed, base, other, paper_directions):
    """other - base for each measure, network by network (both branches of network k read the
    same text and are scored on the same held-out words)."""
    out = []
    for measure, paper in paper_directions.items():
        a, b = ([s[measure] for s in per_seed if s["branch"] == branch] for branch in (base, other))
        c = compare(a, b, paired=True)
        out.append({"measure": measure, "from": base, "to": other, "paper": paper, "paired": True, **c,
                    "verdict": verdict(c["direction"], paper)})
    return out


def print_cds(r):
    print(f"\ncds (an analogue of the paper's experiment 3b: generated child-directed-style text, cues of the "
          f"probe's category with probability {r['cue_rate']}; {r['networks']} networks, re-initialized at step "
          f"{r['reinit_step']} of {r['steps'][-1]})")
    print(f"  {'probe representation':<26}{'baseline final':>18}{'re-initialized final':>24}{'lowest after re-init':>22}")
    for rep, name in (("embedding", "embedding column"), ("state", "hidden state")):
        x = r[rep]
        print(f"  {name:<26}{x['baseline_final'][0]:>10.3f} +-{x['baseline_final'][1]:.3f}"
              f"{x['reinit_final'][0]:>16.3f} +-{x['reinit_final'][1]:.3f}{x['reinit_lowest']:>22.3f}")
    print(f"  final training loss (mean of the last {r['loss_window']} steps): baseline {r['final_loss']['baseline']:.3f}, "
          f"re-initialized {r['final_loss']['reinit']:.3f}")
    ppl = r["perplexity"]
    print(f"  held-out perplexity: baseline {ppl['baseline'][0]:.2f} +- {ppl['baseline'][1]:.2f}, "
          f"re-initialized {ppl['reinit'][0]:.2f} +- {ppl['reinit'][1]:.2f}")
    print_branch_comparisons(r["comparisons"])
    print(f"  paper: {r['paper']}")
    print(f"  ({r['seconds']:.1f} s)")


def print_branch_comparisons(comparisons):
    print(f"  {comparisons[0]['to']} - {comparisons[0]['from']}, network by network (counts beyond {RESOLVED_AT:g} standard errors):")
    for c in comparisons:
        print(f"    {c['measure']:<16} {c['difference']:+.3f} +- {c['se']:.3f}   paper: {c['paper'] or 'no difference'}"
              f"   -> {c['verdict']}")


# --- an analogue of the paper's experiment 3a: is atomicity stable? ------------------------------

CDS_LABELS = 2  # nonsense label words per category, after the analogue's vocabulary


def label_stream(rng, n_tokens):
    """The atomic pre-training text of cds_3a (the paper's X_i Y_i sequences): pairs PROBE
    LABEL, the label one of the probe category's CDS_LABELS nonsense words, nothing else."""
    first_label = cds_vocabulary()[1]
    n_pairs = n_tokens // 2 + 1
    probes = rng.integers(CDS_PROBES, size=n_pairs)
    labels = first_label + CDS_LABELS * (probes % CDS_CATEGORIES) + rng.integers(CDS_LABELS, size=n_pairs)
    return np.stack([probes, labels], axis=1).ravel()[:n_tokens]


def train_phase(params, streams, first_step, n_steps, cfg, lr, evaluate):
    """n_steps SGD steps on streams (K, words), numbered from first_step (evaluate(step, params)
    runs at every multiple of eval_every, and at the last step); returns the losses (n_steps, K)."""
    losses_seen = np.empty((n_steps, streams.shape[0]))
    with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is caught by check_finite instead
        for i in range(n_steps):
            if (first_step + i) % cfg.eval_every == 0:
                evaluate(first_step + i, params)
            losses_seen[i] = sgd_step(params, "rnn", streams, i, cfg.batch, lr)
    evaluate(first_step + n_steps, params)
    return losses_seen


def run_cds_3a(cfg, verbose=True):
    """Atomic pre-training, then long training on the analogue text (the paper's experiment
    3a). Networks 0..n-1 (baseline) pre-train on the analogue text; networks n..2n-1
    (atomicity bias) on probe-label pairs, after which their probes' embedding columns are
    moved into freshly initialized networks. Then both train cfg.steps steps on the same
    text. Returns (result, params of the 2n networks)."""
    cfg = resolve(cfg)
    n, pre, batch = cfg.networks, cfg.pretrain_steps, cfg.batch
    vocab = cds_vocabulary()[1] + CDS_CATEGORIES * CDS_LABELS
    lr = 0.4 if cfg.lr is None else cfg.lr
    text = np.stack([cds_stream(np.random.default_rng([cfg.seed, 7, k]), (pre + cfg.steps) * batch + WINDOW,
                                cfg.cue_rate) for k in range(n)])  # (n, words): the same text for both conditions
    labels = np.stack([label_stream(np.random.default_rng([cfg.seed, 9, k]), pre * batch + WINDOW) for k in range(n)])
    params = init_params(cfg, "rnn", 2 * n, vocab)
    curve = {"steps": [], "embedding": [], "state": []}
    start = time.perf_counter()

    def evaluate(step, p):
        if curve["steps"] and curve["steps"][-1] == step:
            return  # the last step of pre-training is the first of the long phase
        emb, state = probe_accuracy(p, "rnn")
        for key, value in (("steps", step), ("embedding", emb), ("state", state)):
            curve[key].append(value)
        if verbose and step % (cfg.eval_every * 10) == 0:
            print(f"  cds_3a step {step:5d}  probe accuracy (embedding) baseline {emb[:n].mean():.3f}  atomicity "
                  f"bias {emb[n:].mean():.3f}   {time.perf_counter() - start:5.1f} s", flush=True)

    pre_words = pre * batch + WINDOW - 1
    train_phase(params, np.concatenate([text[:, :pre_words], labels[:, :pre_words]]), 0, pre, cfg, lr, evaluate)
    fresh = init_params(cfg, "rnn", n, vocab, seed_key=123)
    fresh["W_emb"][..., :CDS_PROBES] = params["W_emb"][n:, :, :CDS_PROBES]  # the learned probe columns move
    for k in params:
        params[k][n:] = fresh[k]
    rest = text[:, pre * batch:]
    losses_seen = train_phase(params, np.concatenate([rest, rest]), pre, cfg.steps, cfg, lr, evaluate)
    heldout = heldout_loss(params, "rnn", np.concatenate([cds_heldout_streams(cfg)] * 2))
    return summarize_cds_3a(cfg, curve, final_loss(losses_seen, LOSS_WINDOW), heldout, start), params


# The paper's experiment 3a, atomicity bias against baseline at the end: categorization "well
# above"; perplexity 69.39 +- 0.58 against 69.58 +- 0.84, no significant difference.
CDS_3A_PAPER_DIRECTIONS = {"embedding_final": "higher", "state_final": "higher", "perplexity": None}


def summarize_cds_3a(cfg, curve, last_loss, heldout, start):
    """Each condition's curves (mean, sd over its n networks), its numbers at the end of
    pre-training and at the end, and the paired comparisons."""
    n, pre = cfg.networks, cfg.pretrain_steps
    steps = np.array(curve["steps"])
    at_transfer = int(np.flatnonzero(steps == pre)[0])
    out = {"experiment": "cds_3a", "cell": "rnn", "analogue": True, "networks": n, "steps": curve["steps"],
           "cue_rate": cfg.cue_rate, "pretrain_steps": pre, "loss_window": LOSS_WINDOW,
           "paper": "experiment 3a on AO-CHILDES: after 37K steps of probe-label pairs and about 3M steps of "
                    "child-directed speech, the atomicity-bias networks degrade slowly and end well above the "
                    "baseline; perplexity 69.39 +- 0.58 (atomicity bias) vs 69.58 +- 0.84 (baseline)"}
    for rep in ("embedding", "state"):
        acc = np.array(curve[rep])  # (evaluations, 2n)
        out[rep] = {}
        for name, members in (("baseline", slice(0, n)), ("atomic", slice(n, 2 * n))):
            a = acc[:, members]
            out[rep][name] = {"mean": a.mean(1).tolist(), "sd": a.std(1).tolist(),
                              "at_transfer": mean_sd(a[at_transfer]), "final": mean_sd(a[-1]),
                              "lowest_after": float(a[at_transfer:].mean(1).min())}
    out["final_loss"] = {"baseline": float(np.mean(last_loss[:n])), "atomic": float(np.mean(last_loss[n:]))}
    out["perplexity"] = {"baseline": mean_sd(np.exp(heldout[:n])), "atomic": mean_sd(np.exp(heldout[n:]))}
    out["per_seed"] = [{"network": k, "branch": "baseline" if k < n else "atomic",
                        "embedding_at_transfer": float(curve["embedding"][at_transfer][k]),
                        "state_at_transfer": float(curve["state"][at_transfer][k]),
                        "embedding_final": float(curve["embedding"][-1][k]), "state_final": float(curve["state"][-1][k]),
                        "final_loss": float(last_loss[k]), "heldout_loss": float(heldout[k]),
                        "perplexity": float(np.exp(heldout[k]))} for k in range(2 * n)]
    out["comparisons"] = branch_comparisons(out["per_seed"], "baseline", "atomic", CDS_3A_PAPER_DIRECTIONS)
    atomic = [s for s in out["per_seed"] if s["branch"] == "atomic"]
    drift = compare([s["embedding_at_transfer"] for s in atomic], [s["embedding_final"] for s in atomic], paired=True)
    out["atomic_drift"] = {**drift, "paper": "lower", "verdict": verdict(drift["direction"], "lower")}
    out["seconds"] = time.perf_counter() - start
    return out


def print_cds_3a(r):
    print(f"\ncds_3a (an analogue of the paper's experiment 3a: {r['pretrain_steps']} steps of pre-training, then "
          f"{r['steps'][-1] - r['pretrain_steps']} on generated child-directed-style text, cue rate {r['cue_rate']}; "
          f"{r['networks']} networks per condition)")
    print(f"  {'probe representation':<22}{'condition':<16}{'end of pre-training':>22}{'at the end':>18}{'lowest after':>14}")
    for rep, name in (("embedding", "embedding column"), ("state", "hidden state")):
        for cond in ("baseline", "atomic"):
            x = r[rep][cond]
            print(f"  {name:<22}{cond:<16}{x['at_transfer'][0]:>14.3f} +-{x['at_transfer'][1]:.3f}"
                  f"{x['final'][0]:>10.3f} +-{x['final'][1]:.3f}{x['lowest_after']:>14.3f}")
    ppl = r["perplexity"]
    print(f"  held-out perplexity: baseline {ppl['baseline'][0]:.2f} +- {ppl['baseline'][1]:.2f}, "
          f"atomicity bias {ppl['atomic'][0]:.2f} +- {ppl['atomic'][1]:.2f}")
    print_branch_comparisons(r["comparisons"])
    d = r["atomic_drift"]
    print(f"  atomicity bias, embedding at the end - at the end of pre-training: {d['difference']:+.3f} +- {d['se']:.3f}"
          f"   -> {d['verdict']}")
    print(f"  paper: {r['paper']}")
    print(f"  ({r['seconds']:.1f} s)")


@command
def main(argv=None):
    cfg = parse_config(Config, __doc__, argv, check)
    start = time.perf_counter()
    names = [*EXPERIMENTS, "cds", "cds_3a"] if cfg.experiment == "all" else [cfg.experiment]
    results = {"problem": SLUG, "config": config_record(resolve(cfg)), "experiments": {}, "versions": versions()}
    params = None
    if cfg.workers or cfg.scheduler:
        conditions = [{"name": name, "experiment": name, "config": config_record(cfg)} for name in names]
        folder = sweep.sweep_folder(cfg.sweep_dir, cfg.quick, scratch_dir(ROOT, SLUG) / "sweep", SLUG)
        done = sweep.run_sweep(conditions, experiment_condition, folder, workers=cfg.workers, scheduler=cfg.scheduler)
        runs = ((r, None) for r in done)
    else:
        runs = (run_named(cfg, name) for name in names)
    for name, (r, params) in zip(names, runs):
        {"cds": print_cds, "cds_3a": print_cds_3a}.get(name, print_result)(r)
        results["experiments"][name] = r
    results["wallclock_s"] = time.perf_counter() - start
    write_results(cfg.save_results, results)
    save_params(cfg.save_params, params, results["config"], SLUG)
    for name, r in results["experiments"].items():  # after saving: one failed experiment loses no other
        check_learned([s["final_loss"] for s in r["per_seed"]], np.log(vocabulary_size(name)),
                      f"the uniform guess over the {vocabulary_size(name)} words", "lower --lr, or train longer (--steps)",
                      what=f"{name} training loss", smoke=cfg.quick)
    return results


def run_named(cfg, name):
    """(result, params) of one experiment or of cds."""
    if name in ("cds", "cds_3a"):
        return (run_cds if name == "cds" else run_cds_3a)(cfg)
    return run_experiment(cfg, name)


def experiment_condition(condition):
    """One experiment of --experiment all as a sweep condition (rnn_numpy.sweep): {"name",
    "experiment", "config"} -> its result, as its file will hold it. Module-level, so that
    Dask workers can run it (a worker imports this script by name: problems/ is on its path)."""
    import atomic_states as atomic

    cfg = atomic.Config(**condition["config"])
    return jsonable(atomic.run_named(cfg, condition["experiment"])[0])


def vocabulary_size(experiment):
    if experiment == "cds_3a":
        return cds_vocabulary()[1] + CDS_CATEGORIES * CDS_LABELS
    return cds_vocabulary()[1] if experiment == "cds" else V


if __name__ == "__main__":
    main(sys.argv[1:])
