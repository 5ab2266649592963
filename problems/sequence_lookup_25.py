"""The 25-sequence look-up of Rumelhart, Hinton & Williams (1986), "Learning internal
representations by error propagation", Parallel Distributed Processing, Vol. 1, Ch. 8
(MIT Press), with the teacher rule, sizes and settings of a public reference implementation.
Demonstrates: a small tanh RNN trained by BPTT on 20 five-letter sequences -> 3-bit codes
generalizes to held-out sequences, also when each letter is held for a random number of
steps. Equations, data, deviations: see sequence_lookup_25.md.

    python problems/sequence_lookup_25.py --seed 0
    python problems/sequence_lookup_25.py --variable-timing --seed 0
    python problems/sequence_lookup_25.py --multi-seed 5
    python problems/sequence_lookup_25.py --study datasets --save-results results/datasets.json
    python problems/sequence_lookup_25.py --study all --workers 2   # the three studies on 2 Dask workers
    python problems/sequence_lookup_25.py --save-params results/seed0.npz   # the trained weights
    python problems/sequence_lookup_25.py --quick          # a seconds-long smoke run
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # measured: a 2nd BLAS thread only slows small nets

import dataclasses  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import _sequence_lookup_25_studies as studies  # noqa: E402  (work beyond the reference)
from rnn_numpy import fused, losses, optim, readout, rnn, sweep  # noqa: E402
from rnn_numpy.experiment import (at_least_one, changed, check_finite, check_learned, command,  # noqa: E402
                                  config_record, flag, jsonable, median, non_negative_int, only_with, option,
                                  output_dir, output_file, parse_config, save_params, scratch_dir, versions,
                                  write_results)

SLUG = "sequence_lookup_25"
ROOT = pathlib.Path(__file__).resolve().parents[1]
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
N_BITS = 3
TEACHER_SEED = 1234
TIMING_SEED_OFFSET = 99_991  # training timings come from default_rng(seed + 99991), as in the reference
EVAL_SEED_OFFSET = 77_777  # the final train score's fresh timings: a stream of its own, so scoring changes nothing

# Hyperparameters of the reference (fixed timing | variable timing), used where a flag is left unset.
DEFAULTS = {
    False: {"n_hidden": 30, "init_scale": 0.5, "lr": 0.05, "grad_clip": 5.0, "n_sweeps": 800},
    True: {"n_hidden": 60, "init_scale": 0.2, "lr": 0.02, "grad_clip": 1.0, "n_sweeps": 2000},
}
QUICK_SWEEPS = {False: 120, True: 200}

# The reference's published numbers, printed beside ours (sequence_lookup_25.md has the tables).
REFERENCE = {
    False: {"train": "20/20", "test": "4/5", "per_bit": "100/100/80%", "converged": 22, "loss": 2e-5},
    True: {"train": "20/20", "test": "5/5", "per_bit": "100/100/100%", "converged": 76, "loss": 5e-5},
}


@dataclass
class Config:
    seed: int = option(0, "initialization seed (with --multi-seed K: seeds seed .. seed+K-1)", non_negative_int)
    dataset_seed: int = option(0, "seed of the sequence sample and the train / held-out split", non_negative_int)
    variable_timing: bool = option(False, "hold each letter for 1..max-timing steps, redrawn every sweep")
    max_timing: int = option(2, "variable timing: the longest hold of one letter, in steps")
    n_hidden: int = option(None, "hidden units", int, default_text="30 fixed, 60 variable timing")
    n_sweeps: int = option(None, "training sweeps (one full-batch update per sweep)", int, default_text="800 fixed, 2000 variable")
    lr: float = option(None, "learning rate", float, default_text="0.05 fixed, 0.02 variable")
    momentum: float = option(0.9, "momentum")
    weight_decay: float = option(1e-4, "weight decay: weights shrink by lr * weight_decay after each step")
    init_scale: float = option(None, "initial weight scale s (see the write-up)", float, default_text="0.5 fixed, 0.2 variable")
    grad_clip: float = option(None, "clip each network's global gradient norm to this (0: off)", float,
                              default_text="5.0 fixed, 1.0 variable")
    optimizer: str = option("sgd", "sgd (the reference: momentum + decay) or adam", choices=["sgd", "adam"])
    curriculum: int = option(0, "variable timing: raise the longest hold from 1 to max-timing, one "
                              "step every this many sweeps (0: no curriculum)")
    multi_seed: int = option(1, "train this many initialization seeds as one population run")
    n_letters: int = option(5, "alphabet size")
    seq_len: int = option(5, "letters per sequence")
    n_train: int = option(20, "training sequences")
    n_test: int = option(5, "held-out sequences")
    study: str = option(None, "run a study beyond the reference instead of one training run: "
                            "max_timing_3 (holds up to 3), datasets (20 dataset seeds x 5 seeds), "
                            "scale (bigger alphabets, longer sequences, more training data), or all three; "
                            "it uses its own settings, so no other setting may be given with it",
                        str, choices=[*studies.STUDIES, "all"])
    results_dir: str = option(None, "--study all: folder for the study_<name>.json files", output_dir,
                              default_text="results/sequence_lookup_25 in the repository")
    workers: int = sweep.workers_field("--study all: ", "studies")
    scheduler: str = sweep.scheduler_field("--study all: ", "studies")
    sweep_dir: str = sweep.sweep_dir_field("--study all: ", "studies", "<results dir>/sweep")
    quick: bool = option(False, "a seconds-long smoke run (fewer sweeps; a study: fewer seeds too)")
    save_results: str = option(None, "write the results as JSON to this path", output_file)
    save_params: str = option(None, "write the trained parameters (every network of the population, "
                              "seed order) and the config as .npz to this path; read it back with "
                              "rnn_numpy.experiment.load_params", output_file)


def resolve(cfg):
    """Fill the settings left unset with the reference's values for the chosen timing."""
    filled = {k: v for k, v in DEFAULTS[cfg.variable_timing].items() if getattr(cfg, k) is None}
    cfg = dataclasses.replace(cfg, **filled)
    if cfg.quick:
        cfg = dataclasses.replace(cfg, n_sweeps=min(cfg.n_sweeps, QUICK_SWEEPS[cfg.variable_timing]))
    return cfg


def check(cfg):
    """Everything wrong with the command line, for a person to read; empty if all is well:
    flags that would be ignored, then the resolved settings."""
    if cfg.study:
        ignored = changed(cfg, [f.name for f in dataclasses.fields(cfg) if f.name not in STUDY_FLAGS])
        if ignored:
            return [f"--study runs with the study's own settings, so {', '.join(ignored)} would be ignored"]
        problems = only_with(cfg, ["results_dir", "workers", "scheduler", "sweep_dir"], cfg.study == "all",
                             "with --study all")
        if cfg.study == "all" and cfg.save_results is not None:
            problems.append("--save-results names one file; --study all writes study_<name>.json files into "
                            "--results-dir")
        return problems + sweep.sweep_problems(cfg)
    return (only_with(cfg, ["results_dir", "workers", "scheduler", "sweep_dir"], False, "with --study all")
            + only_with(cfg, ["curriculum", "max_timing"], cfg.variable_timing, "with --variable-timing")
            + only_with(cfg, ["momentum"], cfg.optimizer == "sgd", "with --optimizer sgd")
            + validate(resolve(cfg)))


STUDY_FLAGS = ("study", "quick", "save_results", "results_dir", "workers", "scheduler", "sweep_dir")


def validate(cfg):
    """A list of problems with the (resolved) settings; empty if all is well."""
    problems = at_least_one(cfg, ("n_hidden", "n_sweeps", "multi_seed", "n_letters", "seq_len", "n_train", "n_test",
                                  "max_timing"))
    for name in ("lr", "init_scale"):
        if not getattr(cfg, name) > 0:
            problems.append(f"{flag(name)} must be positive (got {getattr(cfg, name)})")
    if not 0 <= cfg.momentum < 1:
        problems.append(f"--momentum must be in [0, 1) (got {cfg.momentum})")
    if cfg.weight_decay < 0 or cfg.grad_clip < 0 or cfg.curriculum < 0:
        problems.append("--weight-decay, --grad-clip and --curriculum must not be negative")
    if cfg.n_letters > len(LETTERS):
        problems.append(f"--n-letters must be at most {len(LETTERS)}")
    if not problems and cfg.n_train + cfg.n_test > cfg.n_letters ** cfg.seq_len:
        problems.append(f"{cfg.n_train + cfg.n_test} distinct sequences asked for, but only "
                        f"{cfg.n_letters}^{cfg.seq_len} = {cfg.n_letters ** cfg.seq_len} exist")
    return problems


# --- teacher and data -------------------------------------------------------------------------

def make_teacher(n_letters=5, seq_len=5, seed=TEACHER_SEED):
    """The fixed rule behind the targets, drawn in the reference's order:
    W (3, n_letters) ~ N(0, 1);  pos_weight = linspace(1, 0.2, L) + 0.15 N(0, 1);  b = 0.2 N(0, 1)."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((N_BITS, n_letters))
    pos_weight = np.linspace(1.0, 0.2, seq_len) + 0.15 * rng.standard_normal(seq_len)
    b = 0.2 * rng.standard_normal(N_BITS)
    return {"W": W, "pos_weight": pos_weight, "b": b}


def teacher_logits(letters, teacher):
    """logit_i = sum_t pos_weight[t] W[i, letter_t] + b[i]:  letters (N, L) -> (N, 3)."""
    return np.einsum("t,itn->ni", teacher["pos_weight"], teacher["W"][:, letters.T]) + teacher["b"]


def teacher_codes(letters, teacher):
    """Target bits in {-1, +1}: the sign of the teacher's logit, with 0 counted as +1."""
    return np.where(teacher_logits(letters, teacher) >= 0, 1.0, -1.0)


def draw_timings(rng, n_sequences, seq_len, max_timing):
    """Hold counts in 1..max_timing, (n_sequences, L), one draw of L per sequence in order.
    The reference draws one sequence per call; one call for all of them gives the same
    numbers and leaves the generator in the same state (NumPy draws bounded integers one at
    a time; tests/test_sequence_lookup_25.py checks it), and takes 5 us instead of 110."""
    return rng.integers(1, max_timing + 1, size=(n_sequences, seq_len))


def make_data(cfg, rng):
    """Sample n_train + n_test distinct sequences (one at a time, redrawing duplicates), split
    them with one permutation, and for variable timing draw every sequence's held-out timing.

    Returns letters (N, L) in batch order [train..., held out...], targets (N, 3), the
    original sample indices of each part, and test_timings (n_test, L)."""
    n_total = cfg.n_train + cfg.n_test
    seen, sample = set(), []
    while len(sample) < n_total:
        candidate = tuple(rng.integers(0, cfg.n_letters, size=cfg.seq_len).tolist())
        if candidate not in seen:
            seen.add(candidate)
            sample.append(candidate)
    letters = np.array(sample, dtype=np.int64)
    order = rng.permutation(n_total)
    train_idx, test_idx = order[:cfg.n_train], order[cfg.n_train:]
    test_timings = np.ones((cfg.n_test, cfg.seq_len), dtype=np.int64)
    if cfg.variable_timing:
        test_timings = draw_timings(rng, n_total, cfg.seq_len, cfg.max_timing)[test_idx]
    teacher = make_teacher(cfg.n_letters, cfg.seq_len)
    letters = letters[np.concatenate([train_idx, test_idx])]
    return {"letters": letters, "targets": teacher_codes(letters, teacher), "teacher": teacher,
            "train_idx": train_idx, "test_idx": test_idx, "test_timings": test_timings}


def encode(letters, timings, n_letters, n_steps):
    """One-hot inputs with each letter held for its timing, padded to n_steps.

    letters (B, L); timings (*P, B, L)  ->  x (n_steps, *P, B, n_letters), mask (n_steps, *P, B)
    At step t a sequence shows the letter whose hold covers t: slot = #{k: t >= end_k}."""
    ends = np.cumsum(timings, axis=-1)  # (*P, B, L): the step at which each hold ends
    t = np.arange(n_steps).reshape((n_steps,) + (1,) * ends.ndim)
    slot = (t >= ends[None]).sum(axis=-1)  # (n_steps, *P, B)
    mask = slot < letters.shape[-1]
    letter = letters[np.arange(letters.shape[0]), np.minimum(slot, letters.shape[-1] - 1)]  # (n_steps, *P, B)
    x = (letter[..., None] == np.arange(n_letters)) & mask[..., None]
    return x.astype(np.float64), mask.astype(np.float64)


class TimingTable:
    """The inputs and masks of every sequence under every pattern of holds, encoded once, so
    that a sweep's fresh timings cost a lookup instead of an encode (the same arrays; 37 ->
    17 us a sweep at the reference's size, with 32 patterns). Pattern j holds letter l
    for 1 + (digit l of j in base max_timing) steps: j = sum_l (hold_l - 1) max_timing^l."""

    MAX_BYTES = 8 * 2**20  # past this, encode every sweep instead (build with TimingTable.fits first)

    def __init__(self, letters, n_letters, max_timing, n_steps):
        B, L = letters.shape
        digits = np.indices((max_timing,) * L).reshape(L, -1).T[:, ::-1]  # (P, L): digit l of j in column l
        patterns = np.broadcast_to((digits + 1)[:, None], (len(digits), B, L))  # every pattern for every sequence
        x, mask = encode(letters, patterns, n_letters, n_steps)  # (T, P, B, D), (T, P, B)
        self.x, self.mask = x.reshape(n_steps, -1, n_letters), mask.reshape(n_steps, -1)  # row j B + b
        self.powers = max_timing ** np.arange(L)  # (L,)
        self.column = np.arange(B)

    @classmethod
    def fits(cls, cfg):
        n_steps = cfg.seq_len * cfg.max_timing
        n_rows = cfg.max_timing ** cfg.seq_len * (cfg.n_train + cfg.n_test)
        return n_rows * n_steps * (cfg.n_letters + 1) * 8 <= cls.MAX_BYTES

    def lookup(self, timings):
        """timings (K, B, L) -> x (T, K, B, D), mask (T, K, B), equal to encode's."""
        rows = ((timings - 1) @ self.powers) * len(self.column) + self.column  # (K, B)
        return self.x.take(rows, axis=1), self.mask.take(rows, axis=1)


# --- model ------------------------------------------------------------------------------------

def init_params(cfg, seeds):
    """One network per seed, each drawn from default_rng(seed) in the reference's order:
    W_xh = s N(0,1) (H, D);  W_hh = s 0.7/sqrt(H) N(0,1) (H, H);  W_hy = s N(0,1) (3, H);  b = 0.
    Returns a population of len(seeds) networks: every array has a leading (K,) axis."""
    H, D, s = cfg.n_hidden, cfg.n_letters, cfg.init_scale
    nets = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        W_xh = s * rng.standard_normal((H, D))
        W_hh = s * 0.7 / np.sqrt(H) * rng.standard_normal((H, H))
        W_hy = s * rng.standard_normal((N_BITS, H))
        nets.append({"W_xh": W_xh, "W_hh": W_hh, "b_h": np.zeros(H), "W_hy": W_hy, "b_y": np.zeros(N_BITS)})
    return {k: np.stack([net[k] for net in nets]) for k in nets[0]}


def forward(params, x, mask, validate=True):
    """x (T, K, B, D) -> outputs y = tanh(W_hy h_T + b_y) (K, B, 3), read after the last step
    (padding leaves each state unchanged, so h_T is every sequence's own final state).
    validate=False: the shapes were checked on an earlier call (see train_sweep)."""
    K, B, H = params["W_hh"].shape[0], x.shape[-2], params["W_hh"].shape[-1]
    h, rnn_cache = rnn.forward(x, np.zeros((K, B, H)), params, "tanh", mask=mask, validate=validate)
    z, out_cache = readout.forward(h[-1], params)
    return np.tanh(z), h, (rnn_cache, out_cache)


def loss_and_grads(params, x, mask, targets, train_cols, validate=True):
    """The reference's loss, 1/2 sum over bits of (y - target)^2, averaged over the training
    sequences only (held-out columns ride along in the batch with zero weight).
    That is (3/2) x the mean squared error of rnn_numpy.losses.mse."""
    y, h, (rnn_cache, out_cache) = forward(params, x, mask, validate)
    mse, dy = losses.mse(y[None], targets, mask=train_cols, validate=validate)  # over (1, K, B, 3)
    loss, dy = (N_BITS / 2) * mse, (N_BITS / 2) * dy[0]
    dz = dy * (1.0 - y * y)  # through the output tanh
    dh_last, grads = readout.backward(dz, out_cache)
    dh = np.zeros_like(h)
    dh[-1] = dh_last
    grads.update(rnn.backward(dh, rnn_cache, input_grads=False)[2])  # the inputs are data
    return loss, grads, y


def bits_correct(y, targets):
    """(K, B, 3) booleans: output sign (0 counted as +1) equals the target bit."""
    return (y >= 0) == (targets > 0)


# --- training ---------------------------------------------------------------------------------

def longest_hold(cfg, sweep):
    """The longest hold allowed at this sweep: max_timing, or a curriculum ramp from 1."""
    if not cfg.curriculum:
        return cfg.max_timing
    return min(cfg.max_timing, 1 + sweep // cfg.curriculum)


def train(cfg, callback=None, data=None, verbose=False, fused_sgd=True):
    """Train cfg.multi_seed networks (seeds cfg.seed, cfg.seed+1, ...) as one population.

    callback(sweep, params, y, history), if given, is called after every sweep's forward
    pass, before its update (the GIF script samples it). Returns (params, history, data).
    fused_sgd: train SGD runs with rnn_numpy.fused.LastStepSGD, the same arithmetic as
    loss_and_grads + clipping + optim.SGD + decay below, to the bit (tested), in 44-45 % of
    the time (85-87 against 192-194 us a sweep); False runs the modular path that train_sweep
    spells out."""
    cfg = resolve(cfg)
    data = make_data(cfg, np.random.default_rng(cfg.dataset_seed)) if data is None else data
    seeds = list(range(cfg.seed, cfg.seed + cfg.multi_seed))
    params = init_params(cfg, seeds)
    train_cols = np.zeros((1, cfg.n_train + cfg.n_test))  # loss weights: training columns only
    train_cols[0, :cfg.n_train] = 1.0
    run = {"cfg": cfg, "data": data, "params": params, "train_cols": train_cols, "fused": None,
           "timing_rngs": [np.random.default_rng(s + TIMING_SEED_OFFSET) for s in seeds],
           "n_steps": cfg.seq_len * (cfg.max_timing if cfg.variable_timing else 1), "table": None}
    if cfg.variable_timing and TimingTable.fits(cfg):
        run["table"] = TimingTable(data["letters"], cfg.n_letters, cfg.max_timing, run["n_steps"])
    if cfg.optimizer == "adam":
        run["opt"] = optim.Adam(params, lr=cfg.lr)
    elif fused_sgd:
        run["fused"] = fused.LastStepSGD(params, data["targets"], train_cols[0], cfg.lr, cfg.momentum, cfg.grad_clip,
                                         cfg.weight_decay, loss_scale=N_BITS / 2)
        params = run["params"] = run["fused"].params  # views of its flat buffer, trained in place
    else:
        run["opt"] = optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum)
    if not cfg.variable_timing:  # the same inputs every sweep, shared by the population: (T, 1, B, D)
        run["x"], run["mask"] = evaluation_inputs(cfg, data, len(seeds))
    K, n_sweeps = len(seeds), cfg.n_sweeps
    history = {"loss": np.empty((n_sweeps, K)), "train_acc": np.empty((n_sweeps, K)),
               "test_n_correct": np.empty((n_sweeps, K), dtype=np.int64),
               "train_per_bit": np.empty((n_sweeps, K, N_BITS)), "test_per_bit": np.empty((n_sweeps, K, N_BITS)),
               "grad_norm": np.empty((n_sweeps, K))}
    outputs = np.empty((n_sweeps, K, len(data["targets"]), N_BITS))  # every sweep's y, scored in one pass at the end
    report_every = max(1, n_sweeps // 8)
    with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is caught by check_finite instead
        for sweep in range(n_sweeps):
            outputs[sweep] = train_sweep(run, sweep, history)
            if callback is not None or (verbose and (sweep % report_every == 0 or sweep == n_sweeps - 1)):
                check_finite_since(history["loss"], run, sweep)
                record(history, sweep, outputs[sweep], data["targets"], cfg.n_train)
            if callback is not None:
                callback(sweep, params, outputs[sweep], history)
            if verbose and (sweep % report_every == 0 or sweep == n_sweeps - 1):
                print_progress(sweep, history, cfg.n_test, K)
    check_finite_since(history["loss"], run, n_sweeps - 1)
    record(history, slice(None), outputs, data["targets"], cfg.n_train)
    history["converged_sweep"] = first_full_sweep(history["train_acc"])
    return params, history, data


def check_finite_since(losses, run, sweep):
    """Raise at the first sweep up to this one whose loss is not finite (the sweeps are
    checked in stretches: a check every sweep cost 5 us of an 82 us sweep)."""
    start = run.get("checked", 0)
    for k in np.flatnonzero(~np.isfinite(losses[start:sweep + 1]).all(axis=1))[:1]:
        check_finite(losses[start + k], start + k + 1, "lower --lr or --grad-clip", unit="sweep")
    run["checked"] = sweep + 1


def train_sweep(run, sweep, history):
    """One sweep: a full-batch forward and backward pass, the sweep's loss (measured on this
    forward pass, before the update, as the reference does), clipping, the update.
    Returns the outputs y (K, B, 3)."""
    cfg, params, data = run["cfg"], run["params"], run["data"]
    if cfg.variable_timing:
        run["x"], run["mask"] = variable_batch(cfg, data, run["timing_rngs"], longest_hold(cfg, sweep), run["n_steps"],
                                               run["table"])
    if run["fused"] is not None:  # the same arithmetic as the lines below, in preallocated buffers
        history["loss"][sweep], y, history["grad_norm"][sweep] = run["fused"].step(run["x"], run["mask"])
        return y
    loss, grads, y = loss_and_grads(params, run["x"], run["mask"], data["targets"][None, None], run["train_cols"],
                                    validate=sweep == 0)  # every sweep's arrays have the first's shapes and kinds
    history["loss"][sweep] = loss
    K = y.shape[0]
    if cfg.grad_clip:
        grads, history["grad_norm"][sweep] = optim.clip_global_norm(grads, cfg.grad_clip, (K,))
    else:
        history["grad_norm"][sweep] = optim.global_norm(grads, (K,))
    run["opt"].step(grads)
    if cfg.weight_decay:
        for k in ("W_xh", "W_hh", "W_hy"):  # weights, not biases, as in the reference
            params[k] *= 1.0 - cfg.lr * cfg.weight_decay  # w <- (1 - lr * weight_decay) w after the step
    return y


def record(history, sweeps, y, targets, n_train):
    """Store the accuracies of one sweep's outputs y (K, B, 3), or of a slice of sweeps
    (n, K, B, 3): all 3 bits right, and bit by bit."""
    correct = bits_correct(y, targets)  # (..., K, B, 3)
    all_bits = correct.all(axis=-1)  # (..., K, B)
    history["train_acc"][sweeps] = all_bits[..., :n_train].mean(axis=-1)
    history["test_n_correct"][sweeps] = all_bits[..., n_train:].sum(axis=-1)
    history["train_per_bit"][sweeps] = correct[..., :n_train, :].mean(axis=-2)
    history["test_per_bit"][sweeps] = correct[..., n_train:, :].mean(axis=-2)


def print_progress(sweep, history, n_test, K):
    print(f"  sweep {sweep + 1:5d}  loss {median(history['loss'][sweep]):.2e}"
          f"  train {median(history['train_acc'][sweep]):6.1%}"
          f"  held out {median(history['test_n_correct'][sweep]):.0f}/{n_test}"
          + ("  (medians over seeds)" if K > 1 else ""), flush=True)


def variable_batch(cfg, data, timing_rngs, hold, n_steps, table=None):
    """Inputs for one sweep: fresh training timings for every network (from its own timing
    stream), the fixed held-out timings, all padded to n_steps. -> x (T, K, B, D), mask (T, K, B).
    table: a TimingTable of these letters, to look the inputs up instead of encoding them."""
    train_timings = np.stack([draw_timings(r, cfg.n_train, cfg.seq_len, hold) for r in timing_rngs])
    test_timings = np.broadcast_to(data["test_timings"], (len(timing_rngs),) + data["test_timings"].shape)
    timings = np.concatenate([train_timings, test_timings], axis=1)  # (K, B, L)
    if table is not None:
        return table.lookup(timings)
    return encode(data["letters"], timings, cfg.n_letters, n_steps)


def first_full_sweep(train_acc):
    """Per network, the first sweep (1-based) whose forward pass got every training
    sequence right, or None."""
    full = train_acc >= 1.0  # (n_sweeps, K)
    return [int(np.argmax(col)) + 1 if col.any() else None for col in full.T]


# --- evaluation -------------------------------------------------------------------------------

def evaluation_inputs(cfg, data, K):
    """The inputs the final scores are measured on. Fixed timing: every letter once.
    Variable timing: a fresh draw of training timings per network, from its own evaluation
    stream default_rng(seed + 77777) (so scoring is repeatable and does not touch the training
    streams), and the fixed held-out timings. -> x (T, K or 1, B, D), mask (T, K, B) or None."""
    n_steps = cfg.seq_len * (cfg.max_timing if cfg.variable_timing else 1)
    if not cfg.variable_timing:
        return encode(data["letters"], np.ones_like(data["letters"]), cfg.n_letters, n_steps)[0][:, None], None
    rngs = [np.random.default_rng(cfg.seed + k + EVAL_SEED_OFFSET) for k in range(K)]
    return variable_batch(cfg, data, rngs, cfg.max_timing, n_steps)


def evaluate(params, cfg, data, history):
    """Final metrics per network, after the last update. Training sequences are scored with
    a fresh draw of timings (variable timing) and held-out ones with their fixed timings.
    final_loss is the training loss of the last sweep (before its update), which is the
    number the reference reports."""
    cfg = resolve(cfg)
    K = params["W_hh"].shape[0]
    x, mask = evaluation_inputs(cfg, data, K)
    y, _, _ = forward(params, x, mask)
    correct = bits_correct(y, data["targets"])
    all_bits = correct.all(axis=-1)
    n = cfg.n_train
    per_net = []
    for k in range(K):
        per_net.append({
            "seed": cfg.seed + k,
            "train_acc": float(all_bits[k, :n].mean()),
            "train_n_correct": int(all_bits[k, :n].sum()),
            "test_acc": float(all_bits[k, n:].mean()),
            "test_n_correct": int(all_bits[k, n:].sum()),
            "test_per_bit": correct[k, n:].mean(axis=0).tolist(),
            "train_per_bit": correct[k, :n].mean(axis=0).tolist(),
            "test_pass": all_bits[k, n:].tolist(),
            "train_pass": all_bits[k, :n].tolist(),
            "final_loss": float(history["loss"][-1, k]),  # the last sweep's training loss, as the reference reports
            "converged_sweep": history["converged_sweep"][k],
            "test_outputs": y[k, n:].tolist(),
        })
    return per_net


def baselines(data, n_train):
    """What answers without recurrence get on the same split.
    mean_code_loss: the training loss (as the reference measures it) of always answering the
    mean training code, the best constant answer: 1/2 sum over bits of each bit's variance.
    The rest count held-out sequences with all 3 bits right:
    majority: always answer the most common training code;
    bag of letters: per bit, a least-squares linear classifier on letter counts + a bias;
    letter x position: the same on one-hot (letter, position) features, the teacher's own
    model class (its logit is linear in them), so the best a linear rule can do from this data."""
    targets, letters = data["targets"], data["letters"]
    train_t, test_t = targets[:n_train], targets[n_train:]
    codes, counts = np.unique(train_t, axis=0, return_counts=True)
    majority = codes[np.argmax(counts)]
    n_letters = data["teacher"]["W"].shape[1]
    one_hot = letters[..., None] == np.arange(n_letters)  # (N, L, n_letters)
    return {"mean_code_loss": float(0.5 * train_t.var(axis=0).sum()),
            "majority_n_correct": int((test_t == majority).all(axis=-1).sum()),
            "majority_code": majority.tolist(),
            "bag_of_letters_n_correct": linear_rule_n_correct(one_hot.sum(axis=1), targets, n_train),
            "letter_position_n_correct": linear_rule_n_correct(one_hot.reshape(len(letters), -1), targets, n_train)}


def linear_rule_n_correct(features, targets, n_train):
    """Fit sign(w . [features, 1]) to the training codes by (minimum-norm) least squares,
    bit by bit; return how many held-out sequences get all 3 bits right."""
    X = np.hstack([features, np.ones((len(features), 1))]).astype(float)  # (N, F + 1)
    w = np.linalg.lstsq(X[:n_train], targets[:n_train], rcond=None)[0]  # (F + 1, 3)
    pred = np.where(X[n_train:] @ w >= 0, 1.0, -1.0)
    return int((pred == targets[n_train:]).all(axis=-1).sum())


def spell(letters):
    return "".join(LETTERS[i] for i in letters)


# --- report -----------------------------------------------------------------------------------

def run(cfg, verbose=True):
    """Train, evaluate and assemble the results dict (what --save-results writes)."""
    cfg = resolve(cfg)
    start = time.perf_counter()
    params, history, data = train(cfg, verbose=verbose)
    train_loop_s = time.perf_counter() - start
    per_seed = evaluate(params, cfg, data, history)
    base = baselines(data, cfg.n_train)
    first = per_seed[0]  # metrics: the network of --seed; per_seed: every network of the population
    metrics = {k: first[k] for k in ("train_acc", "test_acc", "test_n_correct", "test_per_bit", "final_loss",
                                     "converged_sweep")}
    metrics["baseline_majority_n_correct"] = base["majority_n_correct"]
    metrics["baseline_bag_of_letters_n_correct"] = base["bag_of_letters_n_correct"]
    results = {
        "problem": SLUG,
        "config": config_record(cfg),
        "metrics": metrics,
        "per_seed": per_seed,
        "baselines": base,
        "held_out": [spell(s) for s in data["letters"][cfg.n_train:]],
        "held_out_targets": data["targets"][cfg.n_train:].tolist(),
        "held_out_timings": data["test_timings"].tolist(),
        "history": {k: v.tolist() for k, v in history.items() if k != "converged_sweep"},
        "train_loop_s": train_loop_s,
        "versions": versions(),
    }
    return results, params, history, data


def print_report(results, cfg):
    cfg = resolve(cfg)
    base, n_test = results["baselines"], cfg.n_test
    ref = REFERENCE[cfg.variable_timing] if (cfg.n_letters, cfg.seq_len, cfg.n_train, n_test) == (5, 5, 20, 5) else None
    timing = f"variable timing (holds 1..{cfg.max_timing})" if cfg.variable_timing else "fixed timing"
    print(f"\n25-sequence look-up, {timing}: H={cfg.n_hidden}, {cfg.n_sweeps} sweeps, "
          f"dataset seed {cfg.dataset_seed}, held out: {' '.join(results['held_out'])}")
    if len(results["per_seed"]) == 1:
        seed = results["per_seed"][0]
        rows = [
            ("train accuracy (all 3 bits)", f"{seed['train_n_correct']}/{cfg.n_train}", ref and ref["train"]),
            ("held-out accuracy", f"{seed['test_n_correct']}/{n_test}", ref and ref["test"]),
            ("held-out per bit", "/".join(f"{100 * b:.0f}" for b in seed["test_per_bit"]) + "%",
             ref and ref["per_bit"]),
            ("final loss", f"{seed['final_loss']:.1e}", ref and f"{ref['loss']:.0e}"),
            ("converged sweep", str(seed["converged_sweep"]), ref and str(ref["converged"])),
        ]
        print(f"\n  {'seed ' + str(seed['seed']):<30}{'ours':>14}{'reference' if ref else '':>14}")
        for name, ours, theirs in rows:
            print(f"  {name:<30}{ours:>14}{theirs or '':>14}")
    else:
        print(f"\n  {'seed':>6}{'train':>9}{'held out':>10}{'converged':>11}")
        for s in results["per_seed"]:
            print(f"  {s['seed']:>6}{s['train_n_correct']:>6}/{cfg.n_train}{s['test_n_correct']:>8}/{n_test}"
                  f"{str(s['converged_sweep']):>11}")
        counts = [s["test_n_correct"] for s in results["per_seed"]]
        good = sum(c >= n_test - 1 for c in counts)
        print(f"\n  {good}/{len(counts)} seeds get at least {n_test - 1}/{n_test} held out; "
              f"median {median(counts):g}/{n_test}; all {n_test}/{n_test}: {counts.count(n_test)}/{len(counts)}")
    print("\n  baselines on the same split (held-out sequences right):")
    code = "".join("+" if b > 0 else "-" for b in base["majority_code"])
    print(f"    always the most common training code [{code}]: {base['majority_n_correct']}/{n_test}")
    print(f"    linear classifier on letter counts:          {base['bag_of_letters_n_correct']}/{n_test}")
    print(f"    linear classifier on letter x position:      {base['letter_position_n_correct']}/{n_test}"
          "  (the teacher's own form)")
    print("    A held-out score means something only above these.")
    print(f"    always the mean training code: training loss {base['mean_code_loss']:.2f} (every run must end below it)")
    print(f"\n  training loop {results['train_loop_s']:.2f} s")


@command
def main(argv=None):
    cfg = parse_config(Config, __doc__, argv, check)
    if cfg.study:
        return main_study(cfg)
    start = time.perf_counter()
    results, params, _, _ = run(cfg, verbose=True)
    results["wallclock_s"] = time.perf_counter() - start
    print_report(results, cfg)
    write_results(cfg.save_results, results)
    save_params(cfg.save_params, params, results["config"], SLUG)
    check_learned([s["final_loss"] for s in results["per_seed"]], results["baselines"]["mean_code_loss"],
                  "always answering the mean training code", "change --lr or --grad-clip, or train longer (--n-sweeps)",
                  smoke=cfg.quick)  # after saving: a failed run's numbers are still worth a look
    return results


def main_study(cfg):
    if cfg.study != "all":
        results = run_study(cfg.study, cfg.quick)
        show_study(results)
        write_results(cfg.save_results, results)
        return results
    names = list(studies.STUDIES)
    results_dir = pathlib.Path(cfg.results_dir or scratch_dir(ROOT, SLUG))
    if cfg.workers or cfg.scheduler:
        order = sorted(names, key=lambda name: name != "max_timing_3")  # the longest first
        conditions = [{"name": f"study_{name}", "study": name, "quick": cfg.quick} for name in order]
        sweep_dir = sweep.sweep_folder(cfg.sweep_dir, cfg.quick, results_dir / "sweep", SLUG)
        done = dict(zip(order, sweep.run_sweep(conditions, study_condition, sweep_dir, workers=cfg.workers,
                                               scheduler=cfg.scheduler)))
        everything = [done[name] for name in names]
    else:
        everything = (run_study(name, cfg.quick) for name in names)
    for name, results in zip(names, everything):
        show_study(results)
        write_results(results_dir / f"study_{name}.json", results)
    return {"problem": SLUG, "studies": names}


def run_study(name, quick):
    """One study's results, with its config, versions and wall time."""
    start = time.perf_counter()
    results = studies.STUDIES[name].run(sys.modules[__name__], quick=quick)  # the study trains with this module
    results.update(problem=SLUG, config={"study": name, "quick": quick}, versions=versions(),
                   wallclock_s=time.perf_counter() - start)  # each row records the config it trained with
    return results


def show_study(results):
    studies.STUDIES[results["config"]["study"]].show(results)
    print(f"\n  study took {results['wallclock_s']:.1f} s")


def study_condition(condition):
    """One study of --study all as a sweep condition (rnn_numpy.sweep): {"name", "study",
    "quick"} -> its results, as its file will hold them. Module-level, so that Dask workers
    can run it (a worker imports this script by name: problems/ is on its path)."""
    import sequence_lookup_25 as slu

    return jsonable(slu.run_study(condition["study"], condition["quick"]))


if __name__ == "__main__":
    main(sys.argv[1:])
