"""The character challenge with a generative LSTM: Fabi, Otte, Wiese & Butz (2020),
"Investigating Efficient Learning and Compositionality in Generative LSTM Networks" (ICANN).
A one-hot letter label -> dense layer (100, linear) -> LSTM (100) -> (dx, dy, pressure, stroke
onset) at every step is trained to write the letters a-m. It then learns each new letter n-z
from one example by adapting only the weights into the dense layer (one-shot inference),
writes new variants of it (noise on the label), recognises other samples of it by inferring
the input vector itself, and blends two letters into new ones; its cell states are compared
where a stroke repeats (the v in y).
Demonstrates: a network that learned some letters writes a new one from one example with the
dynamics it already has (an untrained network, or one that learned fewer letters, writes each
new letter further from its example).
Data: a synthetic handwriting generator (problems/_handwriting.py), 10 writers; the authors'
DigiLeTs recordings can be read with _handwriting.load_digilets. Deviations: see
character_challenge.md (among them: the new letters' columns are bounded by the learned ones
and inferred inputs stay >= 0; --paper-protocol runs neither).

    python problems/character_challenge.py                  # train on a-m, every experiment (10 min)
    python problems/character_challenge.py --save-results results/cc.json --save-params results/cc.npz
    python problems/character_challenge.py --networks 5     # five seeds, one after another, and their spread
    python problems/character_challenge.py --paper-protocol # the one-shot and input inference as the paper states them
    python problems/character_challenge.py --quick          # a seconds-long smoke run
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # measured: a 2nd BLAS thread only slows small nets

import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from typing import NamedTuple  # noqa: E402

import numpy as np  # noqa: E402

import _handwriting as hw  # noqa: E402
from rnn_numpy import init, losses, lstm, readout  # noqa: E402
from rnn_numpy.experiment import (Progress, at_least_one, check_finite, check_learned, command,  # noqa: E402
                                  config_record, flag, non_negative_int, option, output_file, parse_config,
                                  save_params, versions, with_quick_settings, write_results)
from rnn_numpy.optim import Adam  # noqa: E402

SLUG = "character_challenge"
LETTERS = hw.LETTERS
TRAINED, NEW = LETTERS[:13], LETTERS[13:]  # a-m are trained; n-z are learned from one example each
N_LABELS = len(LETTERS)  # 26: the one-hot label covers the whole alphabet from the start
N_OUT = len(hw.FEATURES)  # 4: dx, dy, pressure, onset
DENSE = ("W_d", "b_d")  # the dense layer's weight and bias (the one-shot inference adapts W_d)
LSTM_KEYS, READOUT_KEYS = lstm.KEYS, readout.KEYS
POSITION_SCALE = 10.0  # dx, dy enter the model times this (see scale), so that all four features matter
PEN_DOWN = 0.2  # a step is drawn (pen on paper) where its pressure exceeds this (the writers press 0.3-0.8)

DATA_SEED = 2020  # the handwriting: writers and samples
EXAMPLE_WRITER = 0  # the one example of each new letter, its similar variants and its dissimilar style
EXAMPLE_SAMPLE = 0
SIMILAR_SAMPLE = 1  # "similar variant": another sample by the same writer, same style
NOISE_SEED, BLEND_STEPS = 7, 11
BLEND_PAIRS = ("nu", "vy", "op", "rt", "sz", "wx")  # pairs of new letters blended in 3.4

PAPER = {
    "data": "DigiLeTs: 10 writers, 440 samples per character; (dx, dy, pressure, stroke onset) per step",
    "model": "one-hot (26) -> dense 100 -> LSTM 100 -> 4 outputs; MSE; Adam lr 0.001, 500k training steps",
    "one_shot": "only the weights into the dense layer adapted, 13,000 iterations at lr 0.001",
    "variants": "Gaussian noise of SD 0.009-0.07 on the 26-dim input label at every step",
    "classification": "input vector inferred from zeros, constant over time, 1,000 iterations at lr 0.01; "
                      "12 of 13 similar variants classified right; dissimilar (print vs script) not reliably",
    "controls": "trained model without inference: wrong letters; untrained model with one-shot inference: "
                "fails except for simple letters such as v; one-hot mixture without the dense layer: fails",
    "states": "cell states of v and of the first part of y (a v-like stroke) share a pattern",
}


@dataclass
class Config:
    seed: int = option(0, "seed of the model's initial weights and of the training batches", non_negative_int)
    networks: int = option(1, "train this many networks (seeds --seed, --seed + 1, ...) one after another, each "
                           "through every experiment, and report the spread across them; figures, the GIF and "
                           "--save-params use the first")
    hidden: int = option(100, "LSTM units (the paper's 100)")
    dense: int = option(100, "units of the dense layer between the label and the LSTM (the paper's 100)")
    samples: int = option(20, "training samples per letter and writer (10 writers)")
    batch: int = option(32, "sequences per training step")
    steps: int = option(6000, "training steps on a-m (the paper: 500k)")
    lr: float = option(1e-3, "Adam learning rate for training (the paper's)")
    one_shot_steps: int = option(13000, "iterations of one-shot inference per new letter (the paper's 13,000)")
    one_shot_lr: float = option(1e-3, "Adam learning rate of the one-shot inference (the paper's)")
    infer_steps: int = option(1000, "iterations of input inference for classification (the paper's 1,000)")
    infer_lr: float = option(0.01, "Adam learning rate of the input inference (the paper's)")
    noise_sds: str = option("0.009,0.02,0.04,0.07", "SDs of the noise on the input label for new variants "
                            "(comma-separated; the paper's range 0.009-0.07)")
    variants: int = option(10, "variants drawn per new letter and noise SD")
    paper_protocol: bool = option(False, "run the one-shot and input inference exactly as the paper states them: "
                                  "no bound on the new letters' dense-layer columns and inferred input vectors of "
                                  "any sign (the default bounds both; see character_challenge.md, deviations 1-2)")
    letters_study: bool = option(False, "also train networks on a-d and a-h and compare their one-shot inference "
                                 "with the a-m network's (beyond the paper; about twice the run time)")
    quick: bool = option(False, "a seconds-long smoke run (small model, few steps); never writes committed files")
    save_results: str = option(None, "write the results as JSON to this path", output_file)
    save_params: str = option(None, "write the trained weights (after one-shot inference) as .npz", output_file)


QUICK = {"hidden": 24, "dense": 24, "samples": 4, "batch": 16, "steps": 300, "one_shot_steps": 300,
         "one_shot_lr": 0.01, "infer_steps": 150, "variants": 4}


def resolve(cfg):
    """cfg as the run will use it: with --quick, the QUICK value of every flag not given."""
    return with_quick_settings(cfg, QUICK)


def noise_levels(cfg):
    return [float(s) for s in cfg.noise_sds.split(",")]


def check(cfg):
    """The usage problems of a config (an empty list when it can run)."""
    problems = at_least_one(cfg, ("networks", "hidden", "dense", "samples", "batch", "steps", "one_shot_steps",
                                  "infer_steps", "variants"))
    for name in ("lr", "one_shot_lr", "infer_lr"):
        if not getattr(cfg, name) > 0:
            problems.append(f"{flag(name)} must be positive (got {getattr(cfg, name)})")
    try:
        sds = noise_levels(cfg)
        if not sds or not all(np.isfinite(s) and s >= 0 for s in sds):
            problems.append(f"--noise-sds must be non-negative numbers (got {cfg.noise_sds!r})")
    except ValueError:
        problems.append(f"--noise-sds must be comma-separated numbers (got {cfg.noise_sds!r})")
    return problems


# --- data (Sec. 2): handwriting as (dx, dy, pressure, onset) per step ------------------------------

def scale(steps):
    """Generator units -> model units: dx, dy times POSITION_SCALE; pressure and onset as they are."""
    return steps * np.array([POSITION_SCALE, POSITION_SCALE, 1.0, 1.0])


def unscale(y):
    """Model units -> generator units (the inverse of scale), on the last axis."""
    return y / np.array([POSITION_SCALE, POSITION_SCALE, 1.0, 1.0])


class Data(NamedTuple):
    train: list  # (T_i, 4) scaled trajectories of a-m, every writer
    labels: np.ndarray  # (N,) their letters, indices into LETTERS
    validation: tuple  # (code (1, V, 26), target (T, V, 4), mask (T, V)): one unseen sample per letter and writer
    lengths: dict  # letter -> median length of its training samples (how long a trained letter is written)
    examples: list  # the one example of each new letter, scaled (T_j, 4), in NEW order
    similar: list  # another sample of each new letter by the same writer (same style)
    dissimilar: dict  # letter -> its alternative style by the same writer, for the new letters that have one
    example_parts: list  # per new letter, which stroke part (index into hw.letter_parts) each step belongs to


def make_data(cfg, letters=TRAINED):
    """Training set of `letters` (10 writers x cfg.samples each), a validation set, and the new
    letters' one example, similar variant and dissimilar variant (all by EXAMPLE_WRITER)."""
    seqs, labels, writer_ids = hw.dataset(letters, DATA_SEED, samples_per_writer=cfg.samples + 1)
    sample_index = _sample_index(labels, writer_ids)
    held = sample_index == cfg.samples  # the last sample of each (letter, writer) validates
    train = [scale(s) for s, h in zip(seqs, held) if not h]
    train_labels = labels[~held]
    val = [scale(s) for s, h in zip(seqs, held) if h]
    target, mask = hw.pad(val)
    validation = (one_hot(labels[held])[None], target, mask)
    lengths = {c: int(np.median([len(s) for s, lab in zip(train, train_labels) if LETTERS[lab] == c]))
               for c in letters}
    writer = hw.make_writers(DATA_SEED)[EXAMPLE_WRITER]
    examples, similar, parts = [], [], []
    for c in NEW:
        rng = np.random.default_rng([DATA_SEED, ord(c), EXAMPLE_WRITER, EXAMPLE_SAMPLE])
        first = hw.draw(c, writer, rng)
        examples.append(scale(first.steps))
        parts.append(first.parts)
        similar.append(scale(hw.draw(c, writer, np.random.default_rng([DATA_SEED, ord(c), EXAMPLE_WRITER,
                                                                        SIMILAR_SAMPLE])).steps))
    dissimilar = {c: scale(hw.draw(c, writer, np.random.default_rng([DATA_SEED, ord(c), EXAMPLE_WRITER, 99]),
                                   style="alternative").steps)
                  for c in NEW if c in hw.ALTERNATIVE_LETTERS}
    return Data(train, train_labels, validation, lengths, examples, similar, dissimilar, parts)


def _sample_index(labels, writer_ids):
    """The running number of each sequence within its (letter, writer) group, (N,)."""
    index, seen = np.zeros(len(labels), dtype=int), {}
    for i, key in enumerate(zip(labels.tolist(), writer_ids.tolist())):
        index[i] = seen.get(key, 0)
        seen[key] = index[i] + 1
    return index


def one_hot(indices):
    """(...,) letter indices -> (..., 26) one-hot labels."""
    return np.eye(N_LABELS)[np.asarray(indices)]


def batch_of(seqs, labels, pick):
    """code (1, B, 26), target (T, B, 4), mask (T, B) for the sequences `pick`."""
    target, mask = hw.pad([seqs[i] for i in pick])
    return one_hot(labels[pick])[None], target, mask


# --- the model (Fig. 1) --------------------------------------------------------------------------
#
#   label (26) --W_d, b_d--> u (100) --> LSTM (100) --W_hy, b_y--> y_t = (dx, dy, pressure, onset)
#                             held for all T steps: x_t = u
#
# Shapes: T steps, P population (networks, or new letters sharing one network), B sequences.
#   code (1, *P, B, 26): the input vector held for every step (a one-hot label, a blend, an
#        inferred code), or (T, *P, B, 26) when it changes from step to step (noisy labels)
#   u (1 or T, *P, B, 100);  h, c (T, *P, B, 100);  y (T, *P, B, 4)
# Weights: W_d (*P, 100, 26), b_d (*P, 100), LSTM W_x (*P, 400, 100), W_h (*P, 400, 100),
# b (*P, 400), readout W_hy (*P, 4, 100), b_y (*P, 4). A weight without the population axes is
# one array shared by every member (the engine broadcasts it and sums its gradient).

def init_model(rng, cfg, population=()):
    """Fresh weights: W_d Xavier-uniform, b_d = 0; LSTM and readout as the engine initializes them."""
    p = {"W_d": init.xavier(rng, (cfg.dense, N_LABELS), population=population),
         "b_d": np.zeros((*population, cfg.dense))}
    p.update(lstm.init_params(rng, cfg.dense, cfg.hidden, population))
    p.update(readout.init_params(rng, cfg.hidden, N_OUT, population))
    return p


def forward(p, code, T):
    """Write for T steps from the input vector `code`. Returns (y (T, *P, B, 4), cache)."""
    u, dense_cache = readout.forward(code, p, names=DENSE)  # u = W_d code + b_d      (1|T, *P, B, 100)
    held = len(u) == 1  # x_t = u at every step: the LSTM computes its input drive once
    h, c, lstm_cache = lstm.forward(u, 0.0, 0.0, p, steps=T if held else None)  # (T, *P, B, 100)
    y, out_cache = readout.forward(h, p)  # y_t = W_hy h_t + b_y                    (T, *P, B, 4)
    return y, {"dense": dense_cache, "lstm": lstm_cache, "out": out_cache, "h": h, "c": c}


def backward(dy, cache, lstm_too=True):
    """Gradients of every weight and of the input vector ("code"). lstm_too=False leaves out the
    LSTM's own weight gradients (a frozen LSTM only passes the gradient on to its input)."""
    dh, grads = readout.backward(dy, cache["out"])  # (T, *P, B, 100); W_hy, b_y
    du, _, _, lstm_grads = lstm.backward(dh, cache["lstm"], param_grads=lstm_too)  # (1|T, *P, B, 100)
    dcode, dense_grads = readout.backward(du, cache["dense"])  # W_d, b_d; dcode (1|T, *P, B, 26)
    grads.update(dense_grads)
    grads.update(lstm_grads or {})
    grads["code"] = dcode
    return grads


def loss_and_grads(p, code, target, mask, lstm_too=True):
    """MSE over the 4 features on the steps the mask keeps. target (T, *P, B, 4), mask (T, B) or
    (T, *P, B). Returns (loss (*P,), grads, y)."""
    y, cache = forward(p, code, len(target))
    loss, dy = losses.mse(y, target, mask)
    return loss, backward(dy, cache, lstm_too), y


# --- training on a-m (Sec. 2) -------------------------------------------------------------------------

def train(cfg, data, callback=None, verbose=True, label="training on a-m"):
    """Adam on minibatches of the training letters. Returns (params, history)."""
    cfg = resolve(cfg)
    rng = np.random.default_rng([cfg.seed, 1])
    p = init_model(np.random.default_rng(cfg.seed), cfg)
    opt = Adam(p, cfg.lr)
    check_every = max(1, cfg.steps // 40)
    history = {"step": [], "val_loss": [], "train_loss": []}
    progress = Progress(label, cfg.steps) if verbose else None
    running = []
    for step in range(1, cfg.steps + 1):
        code, target, mask = batch_of(data.train, data.labels, rng.integers(len(data.train), size=cfg.batch))
        loss, grads, _ = loss_and_grads(p, code, target, mask)
        check_finite(loss, step, hint="lower --lr")
        opt.step(grads)
        running.append(float(loss))
        if step % check_every == 0 or step == cfg.steps:
            val = validation_loss(p, data.validation)
            history["step"].append(step)
            history["val_loss"].append(val)
            history["train_loss"].append(float(np.mean(running)))
            running = []
            if callback is not None:
                callback(step, p, val)
            if progress:
                progress.update(step, f"validation MSE {val:.4f}")
    return p, history


def validation_loss(p, validation):
    code, target, mask = validation
    y, _ = forward(p, code, len(target))
    return float(losses.mse(y, target, mask)[0])


# --- one-shot inference (Sec. 2, 3.1): adapt only the weights into the dense layer -----------------

def one_shot(p, examples, letters, steps, lr, radius=None, callback=None, verbose=True, label="one-shot inference"):
    """Learn each new letter from its one example: member j of a population adapts the dense-layer
    weights of its own copy for the label letters[j] until the network writes examples[j].
    radius: after every update, a new letter's column longer than this is scaled back to it
    (None: unbounded, the paper's protocol; see code_radius).

    The population is what makes this one batched pass: the LSTM, its readout and the dense bias
    are the trained network's arrays, shared by all members (no population axis: the engine
    broadcasts them and folds the members into one batch); only W_d gets a population axis,
    (J, 100, 26), one copy per member. Member j is fed the one-hot of letters[j], so only that
    column of its copy receives a gradient and moves: the new letter's own column.
    callback(step, y (T, J, 4), mask (T, J)) sees what the members write at the checks (up to 30,
    spaced evenly on a log scale of the iterations, first and last included).
    Returns (W_d (100, 26) with each new letter's adapted column, per-member MSE history)."""
    J = len(examples)
    target, mask = hw.pad(examples)  # (T, J, 4), (T, J)
    target, mask = target[:, :, None], mask[:, :, None]  # member j writes one sequence: (T, J, 1, 4), (T, J, 1)
    code = one_hot(letters)[None, :, None]  # (1, J, 1, 26)
    model = {k: p[k] for k in LSTM_KEYS + READOUT_KEYS}  # shared: (400, 100), ...
    model["b_d"] = np.broadcast_to(p["b_d"], (J,) + p["b_d"].shape)  # shared, frozen: a view
    model["W_d"] = np.repeat(p["W_d"][None], J, axis=0)  # (J, 100, 26): each member's own copy
    opt = Adam({"W_d": model["W_d"]}, lr)  # the only trained array
    checks = set(np.unique(np.geomspace(1, steps, 30).round().astype(int)).tolist())
    history = {"step": [], "loss": []}
    progress = Progress(label, steps) if verbose else None
    for step in range(1, steps + 1):
        loss, grads, y = loss_and_grads(model, code, target, mask, lstm_too=False)  # loss (J,)
        check_finite(loss, step, hint="lower --one-shot-lr", unit="iteration")
        if step in checks:  # what the members write before this iteration's update
            history["step"].append(step)
            history["loss"].append(loss.copy())
            if callback is not None:
                callback(step, y[:, :, 0], mask[:, :, 0])
        opt.step(grads)
        if radius is not None:
            bound_columns(model["W_d"], letters, radius)
        if progress:
            progress.update(step, f"mean MSE {loss.mean():.4f}")
    W_d = p["W_d"].copy()
    W_d[:, letters] = model["W_d"][np.arange(J), :, letters].T  # member j's column letters[j]
    history["loss"] = np.array(history["loss"])  # (checks, J)
    return W_d, history


def code_radius(p, trained_letters):
    """The bound on a new letter's dense-layer column: the longest column of a trained letter,
        R = max_k ||W_d[:, k]||  over the trained letters k.
    Training leaves these near their initial length (about 1 for Xavier weights), and the LSTM
    has learned to write from inputs u = W_d e_k + b_d of that size; an unbounded one-shot
    inference drives the new columns 7-14 times as far (deviation 1 of the write-up)."""
    return float(np.linalg.norm(p["W_d"][:, list(trained_letters)], axis=0).max())


def bound_columns(W_d, letters, radius):
    """In place: scale member j's column letters[j] of W_d (J, 100, 26) back onto the ball of
    the given radius if it has left it (a projected gradient step)."""
    members = np.arange(len(letters))
    columns = W_d[members, :, letters]  # (J, 100)
    norms = np.linalg.norm(columns, axis=1, keepdims=True)  # (J, 1)
    W_d[members, :, letters] = columns * np.minimum(1.0, radius / np.maximum(norms, 1e-300))


def infer_code(p, targets, steps, lr, non_negative=True, start=None, verbose=True, label="input inference"):
    """Infer the input vector itself (26 numbers, held for every step) that makes the network write
    each target; every weight stays as it is. Member j of the population infers its own vector
    for targets[j]; the whole network is shared. Starts from zeros (the paper) unless `start`
    (J, 26). non_negative: after every update, negative entries are set to 0, so the vector stays
    a mixture of letter labels, like the inputs the network was trained on (deviation 2 of the
    write-up; False: any sign, the paper's protocol). Returns (codes (J, 26), per-member MSE at
    the end (J,))."""
    J = len(targets)
    target, mask = hw.pad(targets)
    target, mask = target[:, :, None], mask[:, :, None]  # (T, J, 1, 4), (T, J, 1)
    code = np.zeros((1, J, 1, N_LABELS)) if start is None else np.array(start, dtype=float)[None, :, None]
    opt = Adam({"code": code}, lr)
    progress = Progress(label, steps) if verbose else None
    for step in range(1, steps + 1):
        loss, grads, _ = loss_and_grads(p, code, target, mask, lstm_too=False)
        check_finite(loss, step, hint="lower --infer-lr", unit="iteration")
        opt.step(grads)
        if non_negative:
            np.maximum(code, 0.0, out=code)
        if progress:
            progress.update(step, f"mean MSE {loss.mean():.4f}")
    final, _, _ = loss_and_grads(p, code, target, mask, lstm_too=False)
    return code[0, :, 0], final


def radius_for(cfg, p, trained_letters=TRAINED):
    """The one-shot bound of network p (code_radius), or None under --paper-protocol."""
    return None if cfg.paper_protocol else code_radius(p, [LETTERS.index(c) for c in trained_letters])


def with_columns(p, W_d):
    """The network p with the dense-layer weights W_d."""
    return {**p, "W_d": W_d}


def write(p, codes, lengths):
    """Generated trajectories (model units): codes (J, 26) held, each written for its own length.
    Returns (list of (T_j, 4), cell states c (T, J, H), hidden states h (T, J, H))."""
    T = max(lengths)
    y, cache = forward(p, np.asarray(codes, dtype=float)[None], T)  # (T, J, 4)
    return [y[:n, j] for j, n in enumerate(lengths)], cache["c"], cache["h"]


# --- measures -------------------------------------------------------------------------------------------

def pen(trajectory):
    """The pen path (T, 2) of a trajectory in model units, centred on its mean point."""
    path = hw.pen_path(unscale(trajectory))
    return path - path.mean(axis=0)


def pen_strokes(trajectory):
    """What a trajectory (model units) puts on paper: a list of (n, 2) polylines, one per run of
    steps whose pressure exceeds PEN_DOWN (a run's first step is where the pen lands)."""
    path = hw.pen_path(unscale(trajectory))  # (T, 2)
    down = np.asarray(trajectory)[:, 2] > PEN_DOWN
    strokes, t = [], 0
    while t < len(down):
        if not down[t]:
            t += 1
            continue
        end = t
        while end < len(down) and down[end]:
            end += 1
        strokes.append(path[t:end])
        t = end
    return strokes


def dtw(a_list, b_list):
    """DTW distance between each a_list[i] and b_list[i] (trajectories in model units), (N,)."""
    a, a_mask = hw.pad([pen(t) for t in a_list])  # (Ta, N, 2), (Ta, N)
    b, b_mask = hw.pad([pen(t) for t in b_list])
    return hw.dtw_distance(a, b, a_mask.sum(axis=0).astype(int), b_mask.sum(axis=0).astype(int))


def dtw_all(a_list, b_list):
    """DTW distance of every a to every b, (len(a_list), len(b_list))."""
    return np.asarray(hw.dtw_matrix([pen(a) for a in a_list], [pen(b) for b in b_list]))


def feature_mse(a_list, b_list):
    """MSE over the 4 step features (model units) between equally long trajectories, (N,)."""
    return np.array([float(np.mean((a - b) ** 2)) for a, b in zip(a_list, b_list)])


def nearest_example(outputs, examples):
    """The DTW nearest-neighbour rule: for each output, the index of the closest example."""
    return np.argmin(dtw_all(outputs, examples), axis=1)


def stats(values):
    """mean, sd, min, max of a list of numbers (None for an empty list)."""
    values = np.asarray(values, dtype=float)
    if not values.size:
        return None
    return {"mean": float(values.mean()), "sd": float(values.std()), "min": float(values.min()),
            "max": float(values.max())}


# --- 3.1 free generation after one example, with both controls and the mixture ---------------------

def regenerate(cfg, trained, untrained, data, callback=None, verbose=True):
    """Each new letter written four ways, from the one example:
    trained: the trained network after one-shot inference (the paper's blue);
    no_inference: the trained network given the new label without any inference (red);
    untrained: an untrained network after the same one-shot inference (orange);
    mixture: the trained network, no dense-layer adaptation, the 26-number input vector inferred
             instead (the paper's "one-hot mixture without the feedforward layer"; beyond its figures).
    Returns (outputs {arm: list of 13 (T_j, 4)}, W_d of the trained and untrained networks, timings, histories)."""
    new = [LETTERS.index(c) for c in NEW]
    lengths = [len(e) for e in data.examples]
    start = time.perf_counter()
    W_trained, history = one_shot(trained, data.examples, new, cfg.one_shot_steps, cfg.one_shot_lr,
                                  radius_for(cfg, trained), callback, verbose=verbose,
                                  label="one-shot inference, 13 new letters")
    seconds = {"one_shot": time.perf_counter() - start}
    start = time.perf_counter()
    W_untrained, history_untrained = one_shot(untrained, data.examples, new, cfg.one_shot_steps, cfg.one_shot_lr,
                                              radius_for(cfg, untrained), verbose=verbose,
                                              label="one-shot inference, untrained network")
    seconds["one_shot_untrained"] = time.perf_counter() - start
    start = time.perf_counter()
    mixture_codes, _ = infer_code(trained, data.examples, cfg.infer_steps, cfg.infer_lr, not cfg.paper_protocol,
                                  verbose=verbose, label="one-hot mixture inference (no dense adaptation)")
    seconds["mixture"] = time.perf_counter() - start
    labels = one_hot(new)
    outputs = {"trained": write(with_columns(trained, W_trained), labels, lengths)[0],
               "no_inference": write(trained, labels, lengths)[0],
               "untrained": write(with_columns(untrained, W_untrained), labels, lengths)[0],
               "mixture": write(trained, mixture_codes, lengths)[0]}
    histories = {"trained": history, "untrained": history_untrained}
    return outputs, W_trained, W_untrained, mixture_codes, seconds, histories


def score_regeneration(outputs, examples):
    """Per arm: DTW to the example and feature MSE per letter, and whether the DTW nearest-neighbour
    rule over the 13 examples names the right letter."""
    scores = {}
    for arm, written in outputs.items():
        scores[arm] = {"dtw": dtw(written, examples), "mse": feature_mse(written, examples),
                       "identified": nearest_example(written, examples) == np.arange(len(examples))}
    return scores


# --- 3.2 new variants: noise on the input label ---------------------------------------------------------

def variants(cfg, p_new, data):
    """For each noise SD: cfg.variants variants of every new letter, written with Gaussian noise of that
    SD added to the one-hot label at every step. Fidelity: DTW of a variant to the example; diversity:
    DTW between two variants of one letter; identified: the nearest-neighbour rule names the letter.
    The writer's own further samples of each letter give the natural scale of both."""
    rng = np.random.default_rng(NOISE_SEED)
    new = [LETTERS.index(c) for c in NEW]
    J, V = len(new), cfg.variants
    lengths = [len(e) for e in data.examples]
    T = max(lengths)
    rows, sheets = [], {}
    for sd in noise_levels(cfg):
        code = one_hot(new)[None, :, None] + sd * rng.standard_normal((T, J, V, N_LABELS))  # (T, J, V, 26)
        y, _ = forward(p_new, code, T)  # (T, J, V, 4): the network shared by all J x V variants
        drawn = [[y[:lengths[j], j, v] for v in range(V)] for j in range(J)]
        rows.append({"sd": sd, **_spread_scores(drawn, data.examples)})
        sheets[sd] = drawn
    writer = hw.make_writers(DATA_SEED)[EXAMPLE_WRITER]
    real = [[scale(hw.draw(c, writer, np.random.default_rng([DATA_SEED, ord(c), EXAMPLE_WRITER, 100 + v])).steps)
             for v in range(V)] for c in NEW]
    return rows, {"sd": None, **_spread_scores(real, data.examples)}, sheets


def _spread_scores(drawn, examples):
    """Fidelity, diversity and identification of J letters x V drawings each."""
    J, V = len(drawn), len(drawn[0])
    flat = [d for letter in drawn for d in letter]
    fidelity = dtw(flat, [examples[j] for j in range(J) for _ in range(V)]).reshape(J, V)
    pairs = [(a, b) for a in range(V) for b in range(a + 1, V)]
    diversity = dtw([drawn[j][a] for j in range(J) for a, _ in pairs],
                    [drawn[j][b] for j in range(J) for _, b in pairs]).reshape(J, len(pairs))
    identified = nearest_example(flat, examples).reshape(J, V) == np.arange(J)[:, None]
    return {"fidelity": float(fidelity.mean()), "fidelity_per_letter": fidelity.mean(axis=1),
            "diversity": float(diversity.mean()), "diversity_per_letter": diversity.mean(axis=1),
            "identified": float(identified.mean())}


# --- 3.3 identifying new instances: infer the input vector ------------------------------------------------

def classify(cfg, p_new, data, variant_sheet, verbose=True):
    """Infer the input vector of each test trajectory (from zeros, held over time; the network after
    one-shot inference stays fixed) and classify by its largest entry. Test sets, all by the example's
    writer: similar (another sample, same style), network (a variant the network wrote at the middle
    noise SD, the paper's own test), dissimilar (the alternative style). Beside it, the no-network
    baseline: the DTW nearest neighbour among the 13 one-shot examples."""
    sets = {"similar": (list(NEW), data.similar),
            "network": (list(NEW), [letter[0] for letter in variant_sheet]),
            "dissimilar": (list(data.dissimilar), list(data.dissimilar.values()))}
    targets = [t for _, ts in sets.values() for t in ts]
    start = time.perf_counter()
    codes, final_mse = infer_code(p_new, targets, cfg.infer_steps, cfg.infer_lr, not cfg.paper_protocol,
                                  verbose=verbose,
                                  label=f"input inference, {len(targets)} test letters")
    seconds = time.perf_counter() - start
    results, at = {}, 0
    new_columns = [LETTERS.index(c) for c in NEW]
    for name, (letters, ts) in sets.items():
        n = len(ts)
        truth = np.array([LETTERS.index(c) for c in letters])
        code = codes[at:at + n]
        at += n
        nn = nearest_example(ts, data.examples)  # index into NEW
        results[name] = {
            "letters": letters, "truth": truth, "codes": code,
            "predicted": code.argmax(axis=1),  # over all 26 entries (the paper)
            "predicted_new": np.array(new_columns)[code[:, new_columns].argmax(axis=1)],  # over n-z only
            "nearest_example": np.array(new_columns)[nn],
            "final_mse": final_mse[at - n:at]}
        r = results[name]
        r["correct"] = int(np.sum(r["predicted"] == truth))
        r["correct_new"] = int(np.sum(r["predicted_new"] == truth))
        r["correct_nearest"] = int(np.sum(r["nearest_example"] == truth))
        r["count"] = n
    return results, seconds


# --- 3.4 new letters by blending two learned ones ------------------------------------------------------------

def blends(p_new, data, pairs=BLEND_PAIRS):
    """Inputs w * label(first) + (1 - w) * label(second) for w = 1, 0.9, ..., 0, each written for the
    length in between. Smooth blending: the distance to the first letter grows and the distance to
    the second shrinks step by step, with no jump much larger than the even share of the way."""
    weights = np.linspace(1.0, 0.0, BLEND_STEPS)
    rows, sheets = [], {}
    for first, second in pairs:
        a, b = LETTERS.index(first), LETTERS.index(second)
        la, lb = len(data.examples[NEW.index(first)]), len(data.examples[NEW.index(second)])
        codes = weights[:, None] * one_hot(a) + (1 - weights[:, None]) * one_hot(b)  # (11, 26)
        lengths = [int(round(w * la + (1 - w) * lb)) for w in weights]
        drawn, _, _ = write(p_new, codes, lengths)
        to_first = dtw(drawn, [drawn[0]] * len(drawn))
        to_second = dtw(drawn, [drawn[-1]] * len(drawn))
        steps = dtw(drawn[:-1], drawn[1:])  # between neighbouring blends
        rows.append({"pair": first + second,
                     "to_first": to_first, "to_second": to_second, "steps": steps,
                     "monotone_first": bool(np.all(np.diff(to_first) > 0)),
                     "monotone_second": bool(np.all(np.diff(to_second) < 0)),
                     "rank_first": _spearman(to_first, 1 - weights), "rank_second": _spearman(to_second, weights),
                     "largest_step": float(steps.max() / to_first[-1]),  # share of the whole way in one step
                     "even_step": 1.0 / (BLEND_STEPS - 1)})
        sheets[first + second] = drawn
    return rows, sheets


def _spearman(a, b):
    """Spearman rank correlation of two vectors without ties."""
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


# --- 3.5 cell and hidden states: shared strokes, shared dynamics -----------------------------------------------

STATE_POINTS = 20  # a stroke's states are resampled to this many points in time before comparing


def states_of_parts(p_new, data):
    """Write every new letter (its one-shot column, the example's length) and cut its cell and hidden
    states into the example's stroke parts. Returns {letter: [(part name, c (n, H), h (n, H)), ...]}."""
    new = [LETTERS.index(c) for c in NEW]
    lengths = [len(e) for e in data.examples]
    _, c, h = write(p_new, one_hot(new), lengths)  # (T, 13, H)
    cut = {}
    for j, letter in enumerate(NEW):
        names = hw.letter_parts(letter)
        parts = data.example_parts[j]
        cut[letter] = [(names[k], c[:lengths[j], j][parts == k], h[:lengths[j], j][parts == k])
                       for k in range(len(names)) if np.any(parts == k)]
    return cut


def resample(states, n=STATE_POINTS):
    """(m, H) states of one stroke -> (n, H) by linear interpolation in normalized time."""
    m = len(states)
    where = np.linspace(0, m - 1, n)
    lo = np.floor(where).astype(int)
    hi = np.minimum(lo + 1, m - 1)
    frac = (where - lo)[:, None]
    return (1 - frac) * states[lo] + frac * states[hi]


def stroke_similarity(a, b, centre):
    """Mean over the STATE_POINTS aligned times of the correlation across units between two strokes'
    states, after removing `centre` (H,), the mean state over all letters."""
    a, b = resample(a) - centre, resample(b) - centre
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    r = (a * b).sum(axis=1) / np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    return float(r.mean())


def shared_strokes(p_new, data):
    """Does the network's state repeat when a stroke repeats? The v against the first part of y (a v,
    then a tail; the paper's example), beside v against the opening strokes of every other new letter
    and against the tail of y. For cell states c and hidden states h."""
    cut = states_of_parts(p_new, data)
    result = {}
    for which, index in (("c", 1), ("h", 2)):
        all_states = np.concatenate([part[index] for parts in cut.values() for part in parts])
        centre = all_states.mean(axis=0)
        v = np.concatenate([part[index] for part in cut["v"]])
        others = {letter: stroke_similarity(v, parts[0][index], centre)
                  for letter, parts in cut.items() if letter != "v"}
        y_tail = stroke_similarity(v, cut["y"][-1][index], centre) if len(cut["y"]) > 1 else None
        unrelated = [s for letter, s in others.items() if letter not in "wy"]
        result[which] = {"v_vs_y_first": others["y"], "v_vs_w_first": others.get("w"),
                         "v_vs_y_tail": y_tail, "v_vs_others_first": {k: s for k, s in others.items()},
                         "unrelated": stats(unrelated),
                         "rank_of_y": int(1 + sum(s > others["y"] for s in others.values()))}
    return result


# --- beyond the paper: does one-shot quality come from re-using learned strokes? ------------------------------

LETTER_COUNTS = (4, 8, 13)  # networks trained on the first 4, 8 and 13 letters (a-d, a-h, a-m)


def letters_study(cfg, data, main_scores, verbose=True):
    """One-shot inference of n-z by networks trained on fewer letters (a-d, a-h; the main network
    saw a-m), everything else equal. If the effect comes from re-using learned strokes, fewer
    letters (fewer strokes) should write the new letters worse. Per letter, so the comparison is
    paired: the same 13 examples for every network."""
    new = [LETTERS.index(c) for c in NEW]
    lengths = [len(e) for e in data.examples]
    rows = {}
    for count in LETTER_COUNTS:
        if count == len(TRAINED):
            rows[count] = {"dtw": main_scores["dtw"], "identified": main_scores["identified"]}
            continue
        subset = make_data(cfg, TRAINED[:count])
        p, _ = train(cfg, subset, verbose=verbose, label=f"training on {TRAINED[0]}-{TRAINED[count - 1]}")
        W_d, _ = one_shot(p, data.examples, new, cfg.one_shot_steps, cfg.one_shot_lr,
                          radius_for(cfg, p, TRAINED[:count]), verbose=verbose,
                          label=f"one-shot inference after {count} letters")
        written = write(with_columns(p, W_d), one_hot(new), lengths)[0]
        rows[count] = {"dtw": dtw(written, data.examples),
                       "identified": nearest_example(written, data.examples) == np.arange(len(new))}
    return rows


# --- evaluation ------------------------------------------------------------------------------------------------

def frame_recorder():
    """(frames, record) for one_shot(callback=record): frames["step"] lists the checks and
    frames["letters"][j] the trajectories member j wrote at them, each cut to its own length."""
    frames = {"step": [], "letters": None}

    def record(step, y, mask):
        lengths = mask.sum(axis=0).astype(int)
        frames["step"].append(step)
        if frames["letters"] is None:
            frames["letters"] = [[] for _ in lengths]
        for j, n in enumerate(lengths):
            frames["letters"][j].append(np.round(y[:n, j], FIGURE_DECIMALS))

    return frames, record


def evaluate(cfg, trained, untrained, data, history, letters_too=False, verbose=True):
    """Every experiment of Sec. 3 and the two beyond it. Returns (metrics, figure data, trained
    network with the new letters' columns)."""
    cfg = resolve(cfg)
    frames, record = frame_recorder()
    outputs, W_trained, W_untrained, mixture_codes, seconds, histories = regenerate(
        cfg, trained, untrained, data, record, verbose)
    scores = score_regeneration(outputs, data.examples)
    p_new = with_columns(trained, W_trained)
    start = time.perf_counter()
    variant_rows, real_row, variant_sheets = variants(cfg, p_new, data)
    seconds["variants"] = time.perf_counter() - start
    middle_sd = noise_levels(cfg)[len(noise_levels(cfg)) // 2]
    classes, seconds["classification"] = classify(cfg, p_new, data, variant_sheets[middle_sd], verbose)
    start = time.perf_counter()
    blend_rows, blend_sheets = blends(p_new, data)
    states = {"trained": shared_strokes(p_new, data),
              "untrained": shared_strokes(with_columns(untrained, W_untrained), data)}
    seconds["blends_and_states"] = time.perf_counter() - start
    study = None
    if letters_too:
        start = time.perf_counter()
        study = letters_study(cfg, data, scores["trained"], verbose)
        seconds["letters_study"] = time.perf_counter() - start
    metrics = summarize(cfg, scores, variant_rows, real_row, classes, blend_rows, states, study, history, seconds)
    metrics["columns"] = {"trained": column_norms(cfg, trained, W_trained),
                          "untrained": column_norms(cfg, untrained, W_untrained)}
    figure = figure_data(data, outputs, variant_sheets, classes, blend_sheets, histories, mixture_codes,
                         trained, p_new)
    figure["one_shot_frames"] = {"step": frames["step"], "letters": [np.stack(f) for f in frames["letters"]]}
    return metrics, figure, p_new


def column_norms(cfg, p, W_new):
    """Lengths of the dense-layer columns: the trained letters', and the new letters' after the
    one-shot inference, beside the bound it used (None under --paper-protocol)."""
    norms = np.linalg.norm(W_new, axis=0)  # (26,)
    return {"bound": radius_for(cfg, p), "trained_letters": stats(norms[:len(TRAINED)]),
            "new_letters": stats(norms[len(TRAINED):])}


def summarize(cfg, scores, variant_rows, real_row, classes, blend_rows, states, study, history, seconds):
    t, u = scores["trained"], scores["untrained"]
    regeneration = {arm: {"dtw": stats(s["dtw"]), "mse": stats(s["mse"]), "identified": int(s["identified"].sum()),
                          "dtw_per_letter": dict(zip(NEW, s["dtw"].tolist())),
                          "identified_letters": "".join(c for c, ok in zip(NEW, s["identified"]) if ok)}
                    for arm, s in scores.items()}
    closer = t["dtw"] < u["dtw"]
    metrics = {
        "training": {"steps": cfg.steps, "final_val_mse": history["val_loss"][-1],
                     "final_train_mse": history["train_loss"][-1]},
        "regeneration": regeneration,
        "trained_closer_than_untrained": int(closer.sum()),
        "trained_closer_letters": "".join(c for c, ok in zip(NEW, closer) if ok),
        "trained_closer_by_mse": int(np.sum(t["mse"] < u["mse"])),
        "variants": [{k: v for k, v in row.items() if not k.endswith("per_letter")} for row in variant_rows],
        "variants_real": {k: v for k, v in real_row.items() if not k.endswith("per_letter")},
        "classification": {name: {k: r[k] for k in ("count", "correct", "correct_new", "correct_nearest")}
                           | {"predicted": "".join(LETTERS[i] for i in r["predicted"]),
                              "letters": "".join(r["letters"])}
                           for name, r in classes.items()},
        "blends": [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in row.items()} for row in blend_rows],
        "blends_monotone": sum(r["monotone_first"] and r["monotone_second"] for r in blend_rows),
        "blends_largest_step": stats([r["largest_step"] for r in blend_rows]),
        "states": states,
        "seconds": seconds,
    }
    if study is not None:
        metrics["letters_study"] = {
            str(n): {"dtw": stats(r["dtw"]), "identified": int(r["identified"].sum()),
                     "dtw_per_letter": dict(zip(NEW, np.asarray(r["dtw"]).tolist()))}
            for n, r in study.items()}
        base = study[len(TRAINED)]["dtw"]
        for n, r in study.items():
            if n != len(TRAINED):
                diff = np.asarray(r["dtw"]) - base
                metrics["letters_study"][str(n)]["worse_than_13_letters"] = int(np.sum(diff > 0))
                metrics["letters_study"][str(n)]["paired_difference"] = stats(diff)
    return metrics


FIGURE_DECIMALS = 3  # what the figures draw is stored to this many decimals (a smaller results file)
FIGURE_VARIANTS = 5  # variants per letter and noise SD kept for the figures


def _rounded(trajectories):
    return [np.round(t, FIGURE_DECIMALS) for t in trajectories]


def figure_data(data, outputs, variant_sheets, classes, blend_sheets, histories, mixture_codes, trained, p_new):
    """What the figures draw, in model units (rounded): examples, the four arms' trajectories, variant
    sheets, inferred codes, blends, and the states of v, y, u and x."""
    new = [LETTERS.index(c) for c in NEW]
    lengths = [len(e) for e in data.examples]
    _, c, h = write(p_new, one_hot(new), lengths)
    trained_letters = [LETTERS.index(ch) for ch in TRAINED]
    trained_written = write(trained, one_hot(trained_letters), [data.lengths[ch] for ch in TRAINED])[0]
    return {
        "examples": _rounded(data.examples), "example_parts": data.example_parts,
        "similar": _rounded(data.similar), "dissimilar": {k: np.round(v, FIGURE_DECIMALS) for k, v in data.dissimilar.items()},
        "outputs": {arm: _rounded(w) for arm, w in outputs.items()},
        "trained_letters": _rounded(trained_written),
        "variants": {str(sd): [_rounded(letter[:FIGURE_VARIANTS]) for letter in sheet]
                     for sd, sheet in variant_sheets.items()},
        "codes": {name: np.round(r["codes"], FIGURE_DECIMALS) for name, r in classes.items()},
        "mixture_codes": np.round(mixture_codes, FIGURE_DECIMALS),
        "blends": {pair: _rounded(sheet) for pair, sheet in blend_sheets.items()},
        "cell_states": {ch: np.round(c[:lengths[j], j], FIGURE_DECIMALS) for j, ch in enumerate(NEW) if ch in "uvxy"},
        "hidden_states": {ch: np.round(h[:lengths[j], j], FIGURE_DECIMALS) for j, ch in enumerate(NEW) if ch in "uvxy"},
        "one_shot_loss": {arm: {"step": hist["step"], "loss": hist["loss"]} for arm, hist in histories.items()},
    }


# --- report ------------------------------------------------------------------------------------------------------

def print_report(cfg, m):
    def row(name, s, digits=3):
        print(f"    {name:<40}{s['mean']:.{digits}f} +- {s['sd']:.{digits}f}  (range {s['min']:.{digits}f}-"
              f"{s['max']:.{digits}f})")

    r = m["regeneration"]
    print(f"\ncharacter challenge: trained on a-m for {cfg.steps} steps, validation MSE "
          f"{m['training']['final_val_mse']:.4f}; new letters n-z from one example each")
    protocol = ("the paper's protocol: unbounded one-shot columns, inferred inputs of any sign" if cfg.paper_protocol
                else "one-shot columns bounded by the longest trained one, inferred inputs kept >= 0")
    print(f"  ({protocol})")
    for arm in ("trained", "untrained"):
        col = m["columns"][arm]
        bound = "none" if col["bound"] is None else f"{col['bound']:.2f}"
        print(f"    {arm} network: dense-layer column lengths, a-m {col['trained_letters']['mean']:.2f} "
              f"(max {col['trained_letters']['max']:.2f}); n-z after one-shot {col['new_letters']['mean']:.2f} "
              f"(range {col['new_letters']['min']:.2f}-{col['new_letters']['max']:.2f}); bound {bound}")
    print("  3.1 regeneration (DTW of the pen path to the example, over the 13 new letters):")
    names = {"trained": "trained + one-shot inference", "no_inference": "trained, no inference",
             "untrained": "untrained + one-shot inference", "mixture": "trained, input vector inferred"}
    for arm, name in names.items():
        row(name, r[arm]["dtw"])
    print(f"    trained + inference closer than untrained + inference: {m['trained_closer_than_untrained']}/13 "
          f"({m['trained_closer_letters']}); by feature MSE {m['trained_closer_by_mse']}/13")
    for arm, name in names.items():
        print(f"    identified by the DTW nearest example, {name:<32}{r[arm]['identified']:>2}/13 "
              f"({r[arm]['identified_letters']})")
    print("  3.2 variants (noise on the label): SD, fidelity (DTW to the example), diversity (between "
          "variants), identified")
    for v in m["variants"]:
        print(f"    SD {v['sd']:<6g} fidelity {v['fidelity']:.4f}  diversity {v['diversity']:.4f}  identified "
              f"{v['identified']:.2f}")
    real = m["variants_real"]
    print(f"    the writer's own samples: fidelity {real['fidelity']:.4f}  diversity {real['diversity']:.4f}  "
          f"identified {real['identified']:.2f}")
    print("  3.3 classification by input inference (argmax of 26 / of n-z only / no network: DTW nearest example)")
    for name, c in m["classification"].items():
        print(f"    {name:<12}{c['correct']:>2}/{c['count']}  {c['correct_new']:>2}/{c['count']}  "
              f"{c['correct_nearest']:>2}/{c['count']}   letters {c['letters']} -> {c['predicted']}")
    print(f"  3.4 blends: {m['blends_monotone']}/{len(m['blends'])} pairs move monotonically from one letter to the "
          f"other; largest single step {m['blends_largest_step']['max']:.2f} of the way (even: 0.10)")
    for which in ("c", "h"):
        s, su = m["states"]["trained"][which], m["states"]["untrained"][which]
        print(f"  3.5 {which}: v vs first part of y {s['v_vs_y_first']:.3f} (rank {s['rank_of_y']} of 12); "
              f"v vs other letters' first strokes {s['unrelated']['mean']:.3f} +- {s['unrelated']['sd']:.3f}; "
              f"untrained network: {su['v_vs_y_first']:.3f} vs {su['unrelated']['mean']:.3f}")
    if "letters_study" in m:
        print("  beyond: one-shot quality against the letters trained")
        for n, s in m["letters_study"].items():
            extra = (f"; worse than 13 letters on {s['worse_than_13_letters']}/13"
                     if "worse_than_13_letters" in s else "")
            print(f"    {n:>2} letters: DTW {s['dtw']['mean']:.4f} +- {s['dtw']['sd']:.4f}, identified "
                  f"{s['identified']}/13{extra}")
    print("  seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in m["seconds"].items()))


@command
def main(argv=None):
    cfg = resolve(parse_config(Config, __doc__, argv, lambda c: check(resolve(c))))
    start = time.perf_counter()
    data = make_data(cfg)
    runs = []  # per network: (seed, metrics, history, figure data, weights after one-shot inference)
    for k in range(cfg.networks):
        net_cfg = replace(cfg, seed=cfg.seed + k)
        if cfg.networks > 1:
            print(f"\nnetwork {k + 1} of {cfg.networks} (seed {net_cfg.seed})", flush=True)
        trained, history = train(net_cfg, data)
        untrained = init_model(np.random.default_rng(net_cfg.seed), net_cfg)  # the same start, never trained
        metrics, figure, p_new = evaluate(net_cfg, trained, untrained, data, history,
                                          letters_too=cfg.letters_study and k == 0)
        print_report(net_cfg, metrics)
        runs.append((net_cfg.seed, metrics, history, figure, p_new))
    _, metrics, history, figure, p_new = runs[0]
    per_seed = [{"seed": seed, **key_numbers(m)} for seed, m, *_ in runs]
    if cfg.networks > 1:
        metrics["across_networks"] = {key: stats([row[key] for row in per_seed]) for key in per_seed[0]
                                      if key != "seed"}
        print_across_networks(per_seed, metrics["across_networks"])
    results = {"problem": SLUG, "config": config_record(cfg), "metrics": metrics, "per_seed": per_seed,
               "history": history, "figure_data": figure, "paper": PAPER,
               "wallclock_s": time.perf_counter() - start, "versions": versions()}
    print(f"  ({results['wallclock_s']:.0f} s)")
    write_results(cfg.save_results, results)
    save_params(cfg.save_params, {k: v[None] for k, v in p_new.items()}, results["config"], SLUG)  # a population of 1
    worst = max(hist["val_loss"][-1] for _, _, hist, _, _ in runs)
    check_learned(worst, mean_predictor_mse(data), "writing the mean step of every letter",
                  "lower --lr, or train longer (--steps)", what="validation MSE", smoke=cfg.quick)
    return results


def key_numbers(m):
    """One network's headline numbers (the per_seed entries of the results)."""
    reg, classes, cells = m["regeneration"], m["classification"], m["states"]["trained"]["c"]
    numbers = {"final_val_mse": m["training"]["final_val_mse"]}
    for arm in ("trained", "untrained", "no_inference", "mixture"):
        numbers[f"dtw_{arm}"] = reg[arm]["dtw"]["mean"]
        numbers[f"identified_{arm}"] = reg[arm]["identified"]
    numbers["trained_closer_than_untrained"] = m["trained_closer_than_untrained"]
    for name, c in classes.items():
        numbers[f"classified_{name}"] = c["correct"]
        numbers[f"nearest_example_{name}"] = c["correct_nearest"]
    numbers["blend_rank_min"] = min(min(b["rank_first"], b["rank_second"]) for b in m["blends"])
    numbers["blend_largest_step"] = max(b["largest_step"] for b in m["blends"])
    numbers["cell_v_vs_y_first"] = cells["v_vs_y_first"]
    numbers["cell_v_vs_unrelated"] = cells["unrelated"]["mean"]
    numbers["cell_rank_of_y"] = cells["rank_of_y"]
    numbers["new_column_length"] = m["columns"]["trained"]["new_letters"]["mean"]
    return numbers


def print_across_networks(per_seed, across):
    print(f"\nacross the {len(per_seed)} networks (seeds {', '.join(str(r['seed']) for r in per_seed)}): "
          "mean +- sd (min-max); each network's value")
    for key, s in across.items():
        values = " ".join(f"{row[key]:.3g}" for row in per_seed)
        print(f"  {key:<32}{s['mean']:.4g} +- {s['sd']:.2g} ({s['min']:.4g}-{s['max']:.4g})   {values}")


def mean_predictor_mse(data):
    """Validation MSE of the trivial writer: the training set's mean step, at every step."""
    mean = np.concatenate(data.train).mean(axis=0)
    _, target, mask = data.validation
    return float((((target - mean) ** 2).mean(axis=-1) * mask).sum() / mask.sum())


if __name__ == "__main__":
    main(sys.argv[1:])
