"""Delayed discrimination (Romo, Brody, Hernandez & Lemus 1999, "Neuronal correlates of
parametric working memory in the prefrontal cortex", Nature 399), as Huang, Singh, Martinelli
& Rajan (2025), "Measuring and controlling solution degeneracy across task-trained recurrent
neural networks" (NeurIPS), pose it: a tanh RNN receives a pulse of amplitude f1, a delay of
5-20 steps, a pulse f2 (both in [2, 10]), and must then report sign(f2 - f1).
Demonstrates: a population of networks, trained to the same loss, holds the graded value f1
across the delay; each stores it along one line in state space, ordered by f1, on which a few
stable fixed points and saddles sit (an approximate line attractor), and its units are tuned
to f1 with both signs, as in the monkeys' prefrontal cortex.
Equations, task, deviations: see delayed_discrimination.md.

    python problems/delayed_discrimination.py                 # 10 networks of 32 units
    python problems/delayed_discrimination.py --hidden 128 --lr 0.001   # the paper's size (slower)
    python problems/delayed_discrimination.py --margin 0      # train on near-ties too (see the .md)
    python problems/delayed_discrimination.py --save-results results/dd.json --save-params results/dd.npz
    python problems/delayed_discrimination.py --quick         # a seconds-long smoke run
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # measured: a 2nd BLAS thread only slows small nets

import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import NamedTuple  # noqa: E402

import numpy as np  # noqa: E402

import _task_rnn as task_rnn  # noqa: E402
from rnn_numpy import fixed_points  # noqa: E402
from rnn_numpy.experiment import (Progress, at_least_one, check_learned, command, config_record, flag,  # noqa: E402
                                  non_negative_int, option, output_file, parse_config, save_params, versions,
                                  with_quick_settings, write_results)

SLUG = "delayed_discrimination"
TRAIN_KEY = 1  # network k's training trials: default_rng([seed_k, TRAIN_KEY])
# fixed trial sets shared by every network and run
VALIDATION_SEED, TEST_SEED, OOD_SEED, PSYCHOMETRIC_SEED, DELAY_SEED, TUNING_SEED, START_SEED = (
    10_001, 20_002, 20_003, 20_004, 20_005, 20_006, 30_003)
VALIDATION_TRIALS = 512  # the stopping test's fixed set (from the training distribution)

F_LOW, F_HIGH = 2.0, 10.0  # stimulus amplitudes (Huang et al.)
EASY = 2.0  # the accuracy target is stated on trials with |f1 - f2| >= EASY
ABS_BINS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)  # accuracy by |f1 - f2|, bins [lo, hi)
PSY_STEP, PSY_REPEATS = 0.25, 64  # psychometric set: f1 - f2 on a grid of PSY_STEP, so many trials each
ROMO_LEVELS = np.arange(2.0, 11.0)  # the f1 x f2 table: every pair of whole amplitudes 2 .. 10
MEMORY_LEVELS = np.linspace(F_LOW, F_HIGH, 17)  # f1 values whose delay-period states are analysed
TUNING_TRIALS, TUNING_T = 512, 3.29  # a unit is tuned when its slope's |t| > 3.29 (two-sided p < 0.001)
CHUNK = 512  # trials per forward pass in evaluation (bounds the memory of the stored states)
STABLE_SLACK = 1e-6  # |lambda| < 1 - slack counts as stable
ON_LINE = 2.0  # a fixed point is "on the memory line" within this many f1-spacings of a delay state

PAPER = {
    "huang": "f1, f2 in [2, 10], delay 5-20 steps, output sign(f2 - f1) in [-1, 1]; 128 tanh units, "
             "U(-1/sqrt(n), 1/sqrt(n)), Adam, each network trained to MSE 0.01; out of distribution: the delay "
             "doubled; the networks keep f1 through the delay with fixed points of their dynamics",
    "romo": "monkeys compare two vibrotactile flutter frequencies f1, f2 across a 3 s delay; prefrontal "
            "neurons carry f1 through the delay in a monotonic rate code, some with positive and some with "
            "negative slopes",
}


@dataclass
class Config:
    networks: int = option(10, "networks trained together, seeds seed .. seed+networks-1")
    seed: int = option(0, "seed of the first network (its weights and its training trials)", non_negative_int)
    hidden: int = option(32, "hidden units (the paper: 128)")
    pulse_len: int = option(1, "steps each stimulus (f1, f2) lasts")
    delay_min: int = option(5, "shortest delay between the end of f1 and the start of f2, in steps")
    delay_max: int = option(20, "longest delay (the out-of-distribution test doubles both ends)")
    decision_len: int = option(5, "steps of the decision period after f2, where the output must be sign(f2 - f1)")
    margin: float = option(0.5, "training pairs have |f1 - f2| >= margin (0: no gap; see the .md); tests use "
                           "every pair")
    batch: int = option(64, "trials per step and network")
    lr: float = option(0.003, "Adam learning rate")
    clip: float = option(1.0, "global-norm gradient clip per network")
    target_loss: float = option(0.01, "equal-loss stopping: a network stops at this validation MSE (the paper's)")
    max_steps: int = option(5000, "give up on a network after this many steps")
    test_trials: int = option(4096, "held-out trials per test set (the same for every network)")
    starts: int = option(512, "starting states of the fixed-point search per network")
    start_noise: float = option(0.05, "SD of the noise added to the delay-period states the search starts from")
    quick: bool = option(False, "a seconds-long smoke run: 3 networks of 16 units, at most 1000 steps to MSE "
                         "0.02, 1024 test trials, 128 starts (flags given with it are kept)")
    save_results: str = option(None, "write the results as JSON to this path", output_file)
    save_params: str = option(None, "write the trained weights of every network (K, ...) and the config as "
                              ".npz; read back with rnn_numpy.experiment.load_params", output_file)


QUICK = {"networks": 3, "hidden": 16, "lr": 0.005, "batch": 32, "target_loss": 0.02, "max_steps": 1000,
         "test_trials": 1024, "starts": 128}


def resolve(cfg):
    """cfg as the run will use it: with --quick, the QUICK value of every flag not given."""
    return with_quick_settings(cfg, QUICK)


def check(cfg):
    """The usage problems of a config (an empty list when it can run)."""
    problems = at_least_one(cfg, ("networks", "hidden", "pulse_len", "delay_min", "decision_len", "batch",
                                  "test_trials", "starts"))
    if cfg.delay_max < cfg.delay_min:
        problems.append(f"--delay-max must be at least --delay-min (got {cfg.delay_max} < {cfg.delay_min})")
    if not 0 <= cfg.margin < F_HIGH - F_LOW:
        problems.append(f"--margin must be in [0, {F_HIGH - F_LOW:g}) (got {cfg.margin})")
    for name in ("lr", "clip", "target_loss"):
        if not getattr(cfg, name) > 0:
            problems.append(f"{flag(name)} must be positive (got {getattr(cfg, name)})")
    if cfg.start_noise < 0:
        problems.append(f"--start-noise must be at least 0 (got {cfg.start_noise})")
    return problems


# --- the task -----------------------------------------------------------------------------------
# One trial, step by step (P = pulse_len, d = its delay, R = decision_len):
#     steps [0, P)                 input f1                target 0
#     steps [P, P + d)             input 0 (the delay)     target 0
#     steps [P + d, 2P + d)        input f2                target 0
#     steps [2P + d, 2P + d + R)   input 0 (decision)      target sign(f2 - f1)
#     the rest, up to length       input 0 (padding)       not scored (mask 0)
# Trials of different delays share one array of `length` steps; the mask scores every step of
# a trial up to the end of its decision period.

class Trials(NamedTuple):
    x: np.ndarray  # (T, n, 1) input
    target: np.ndarray  # (T, n, 1)
    mask: np.ndarray  # (T, n) 1 where the step is scored
    decision: np.ndarray  # (T, n) True in the decision period
    f1: np.ndarray  # (n,)
    f2: np.ndarray  # (n,)
    delay: np.ndarray  # (n,) int


def trial_length(cfg, delay_max=None):
    """Steps in an array that holds every trial with delays up to delay_max."""
    return 2 * cfg.pulse_len + (cfg.delay_max if delay_max is None else delay_max) + cfg.decision_len


def layout(f1, f2, delay, pulse_len, decision_len, length):
    """The trials with these amplitudes and delays (arrays of n), as laid out above."""
    f1, f2, delay = (np.asarray(v, dtype=float) for v in (f1, f2, delay))
    t = np.arange(length)[:, None]  # (T, 1)
    second = pulse_len + delay  # (n,) first step of f2
    decide = second + pulse_len  # (n,) first step of the decision period
    end = decide + decision_len  # (n,) first step after it
    if np.any(end > length):
        raise ValueError(f"a trial of {int(end.max())} steps does not fit in length {length}")
    x = np.where(t < pulse_len, f1, 0.0) + np.where((t >= second) & (t < decide), f2, 0.0)  # (T, n)
    decision = (t >= decide) & (t < end)  # (T, n)
    target = np.where(decision, np.sign(f2 - f1), 0.0)
    mask = (t < end).astype(float)
    return Trials(x[..., None], target[..., None], mask, decision, f1, f2, delay.astype(int))


def draw_pairs(rng, n, margin=0.0):
    """n pairs (f1, f2), uniform on [2, 10]^2 outside the band |f1 - f2| < margin (by
    redrawing the pairs that fall in it)."""
    f1, f2 = rng.uniform(F_LOW, F_HIGH, n), rng.uniform(F_LOW, F_HIGH, n)
    redo = np.abs(f1 - f2) < margin
    while redo.any():
        f1[redo], f2[redo] = rng.uniform(F_LOW, F_HIGH, redo.sum()), rng.uniform(F_LOW, F_HIGH, redo.sum())
        redo = np.abs(f1 - f2) < margin
    return f1, f2


def make_trials(rng, n, cfg, margin, delays=None):
    """n random trials: pairs as draw_pairs, delays uniform on the whole steps of delays
    (default: the training range delay_min .. delay_max), in an array long enough for them."""
    low, high = (cfg.delay_min, cfg.delay_max) if delays is None else delays
    f1, f2 = draw_pairs(rng, n, margin)
    delay = rng.integers(low, high + 1, n)
    return layout(f1, f2, delay, cfg.pulse_len, cfg.decision_len, trial_length(cfg, high))


def doubled(cfg):
    """The out-of-distribution delays: both ends of the training range doubled."""
    return 2 * cfg.delay_min, 2 * cfg.delay_max


def psychometric_trials(cfg, delays=None):
    """PSY_REPEATS trials at every f1 - f2 on a grid of PSY_STEP from -8 to 8: f1 uniform
    where both amplitudes stay in [2, 10], delays as make_trials. Returns (trials, grid)."""
    rng = np.random.default_rng(PSYCHOMETRIC_SEED)
    low, high = (cfg.delay_min, cfg.delay_max) if delays is None else delays
    span = F_HIGH - F_LOW
    grid = np.round(np.arange(-span, span + PSY_STEP / 2, PSY_STEP), 10)  # (G,) values of f1 - f2
    diff = np.repeat(grid, PSY_REPEATS)
    f1 = rng.uniform(np.maximum(F_LOW, F_LOW + diff), np.minimum(F_HIGH, F_HIGH + diff))
    delay = rng.integers(low, high + 1, len(diff))
    return layout(f1, f1 - diff, delay, cfg.pulse_len, cfg.decision_len, trial_length(cfg, high)), grid


def romo_trials(cfg, delays=None):
    """Every pair of ROMO_LEVELS (ties included) at every delay of the range."""
    low, high = (cfg.delay_min, cfg.delay_max) if delays is None else delays
    f1, f2, delay = (a.ravel() for a in np.meshgrid(ROMO_LEVELS, ROMO_LEVELS, np.arange(low, high + 1),
                                                     indexing="ij"))
    return layout(f1, f2, delay, cfg.pulse_len, cfg.decision_len, trial_length(cfg, high))


def batch_maker(cfg, seeds):
    """make_batch(step) for task_rnn.train: each network draws its trials from its own stream."""
    streams = [np.random.default_rng([s, TRAIN_KEY]) for s in seeds]

    def make_batch(step):
        trials = [make_trials(rng, cfg.batch, cfg, cfg.margin) for rng in streams]
        return (np.stack([tr.x for tr in trials], axis=1), np.stack([tr.target for tr in trials], axis=1),
                np.stack([tr.mask for tr in trials], axis=1))  # (T, K, B, 1), (T, K, B, 1), (T, K, B)

    return make_batch


def validation_set(cfg):
    """The stopping test's fixed trials, from the training distribution: (x, target, mask)."""
    tr = make_trials(np.random.default_rng(VALIDATION_SEED), VALIDATION_TRIALS, cfg, cfg.margin)
    return tr.x[:, None], tr.target[:, None], tr.mask


# --- training -----------------------------------------------------------------------------------

def train(cfg, callback=None, verbose=True):
    """The population of cfg.networks networks, trained together to the target loss: returns
    (params with the network axis first, the training history of task_rnn.train)."""
    cfg = resolve(cfg)
    seeds = [cfg.seed + k for k in range(cfg.networks)]
    params = task_rnn.init_params(seeds, 1, cfg.hidden, 1)
    history = task_rnn.train(params, batch_maker(cfg, seeds), validation_set(cfg), lr=cfg.lr,
                             max_steps=cfg.max_steps, target_loss=cfg.target_loss, clip=cfg.clip,
                             callback=callback, verbose=verbose, label="training")
    return params, history


# --- behaviour ----------------------------------------------------------------------------------

def respond(params, trials):
    """Every network's report on every trial and its squared error, in chunks of CHUNK trials:
    report (K, n) = the mean output over the trial's decision period (> 0: "f2 > f1");
    sq_error (K, n) = sum over the trial's scored steps of (y - target)^2."""
    K, n = params["W_hh"].shape[0], len(trials.f1)
    report, sq_error = np.empty((K, n)), np.empty((K, n))
    for lo in range(0, n, CHUNK):
        part = slice(lo, lo + CHUNK)
        y, _ = task_rnn.run(params, trials.x[:, None, part])  # (T, K, b, 1)
        y = y[..., 0]
        decision = trials.decision[:, None, part]  # (T, 1, b)
        report[:, part] = (y * decision).sum(axis=0) / decision.sum(axis=0)
        sq_error[:, part] = (((y - trials.target[:, None, part, 0]) ** 2) * trials.mask[:, None, part]).sum(axis=0)
    return report, sq_error


def says_f1_larger(report):
    """The network reports f1 > f2 when its decision output is negative (the target is sign(f2 - f1))."""
    return report < 0


def correct(report, trials):
    """(K, n) True where the report has the sign of f2 - f1 (never on a tie)."""
    return np.sign(report) == np.sign(trials.f2 - trials.f1)


def behaviour(params, trials, margin):
    """Per network (K,): MSE over the trials a network of this margin was trained on
    (|f1 - f2| >= margin), accuracy on all trials, on |f1 - f2| >= EASY, and by |f1 - f2| bins."""
    report, sq_error = respond(params, trials)
    right = correct(report, trials)
    gap = np.abs(trials.f1 - trials.f2)
    trained = gap >= margin
    return {"mse": sq_error[:, trained].sum(axis=1) / trials.mask[:, trained].sum(),
            "accuracy": right.mean(axis=1), "accuracy_easy": right[:, gap >= EASY].mean(axis=1),
            "accuracy_by_gap": np.stack([right[:, (gap >= lo) & (gap < hi)].mean(axis=1)
                                         for lo, hi in zip(ABS_BINS[:-1], ABS_BINS[1:])], axis=1)}  # (K, bins)


def f2_rule(trials, threshold):
    """The rule that ignores f1: report "f2 > f1" when f2 > threshold. Returns correct (n,)."""
    return np.sign(trials.f2 - threshold) == np.sign(trials.f2 - trials.f1)


def best_f2_threshold(trials):
    """The threshold on f2 that does best on these trials: the best any rule that ignores f1 can
    do here (P(f1 < f2 | f2) rises with f2, so the best such rule is a threshold)."""
    candidates = np.linspace(F_LOW, F_HIGH, 161)
    scores = [f2_rule(trials, c).mean() for c in candidates]
    return float(candidates[int(np.argmax(scores))])


def baselines(test, ood):
    """Chance, and the best rule that ignores f1 (a threshold on f2, fitted on the test set
    itself: generous to it), on the same trials as the networks."""
    threshold = best_f2_threshold(test)
    gap = np.abs(test.f1 - test.f2)
    rule, rule_ood = f2_rule(test, threshold), f2_rule(ood, threshold)
    return {"chance": 0.5, "f2_threshold": threshold, "f2_rule_accuracy": float(rule.mean()),
            "f2_rule_accuracy_easy": float(rule[gap >= EASY].mean()),
            "f2_rule_accuracy_2x": float(rule_ood.mean()),
            "f2_rule_accuracy_by_gap": [float(rule[(gap >= lo) & (gap < hi)].mean())
                                        for lo, hi in zip(ABS_BINS[:-1], ABS_BINS[1:])]}


def psychometric(params, cfg, delays=None):
    """P(report f1 > f2) at every f1 - f2 of the psychometric grid: (grid (G,), (K, G))."""
    trials, grid = psychometric_trials(cfg, delays)
    report, _ = respond(params, trials)
    return grid, says_f1_larger(report).reshape(len(report), len(grid), PSY_REPEATS).mean(axis=2)


def romo_table(params, cfg, delays=None):
    """P(report f1 > f2) for every pair of ROMO_LEVELS, averaged over the delays: (K, 9, 9),
    indexed [network, f1 level, f2 level]."""
    trials = romo_trials(cfg, delays)
    report, _ = respond(params, trials)
    n = len(ROMO_LEVELS)
    return says_f1_larger(report).reshape(len(report), n, n, -1).mean(axis=3)


def accuracy_by_delay(params, cfg):
    """Accuracy at every delay from 1 to twice delay_max, on the same 512 pairs each time:
    (delays (D,), (K, D))."""
    rng = np.random.default_rng(DELAY_SEED)
    f1, f2 = draw_pairs(rng, 512)
    delays = np.arange(1, 2 * cfg.delay_max + 1)
    acc = []
    for d in delays:
        trials = layout(f1, f2, np.full(len(f1), d), cfg.pulse_len, cfg.decision_len, trial_length(cfg, d))
        acc.append(correct(respond(params, trials)[0], trials).mean(axis=1))
    return delays, np.stack(acc, axis=1)


def rule_by_delay(threshold):
    """The f1-ignoring rule's accuracy on accuracy_by_delay's pairs (the same at every delay)."""
    f1, f2 = draw_pairs(np.random.default_rng(DELAY_SEED), 512)
    return float((np.sign(f2 - threshold) == np.sign(f2 - f1)).mean())


# --- how f1 is held: the delay period -----------------------------------------------------------

def delay_states(params, cfg, f1=MEMORY_LEVELS, steps=None):
    """States during a delay of `steps` (default 2 x delay_max) after an f1 pulse, for each f1:
    (steps, K, len(f1), H); row t is the state after t + 1 delay steps."""
    steps = 2 * cfg.delay_max if steps is None else steps
    x = np.zeros((cfg.pulse_len + steps, 1, len(f1), 1))
    x[:cfg.pulse_len, 0, :, 0] = f1
    _, h = task_rnn.run(params, x)
    return h[cfg.pulse_len:]


def memory_ruler(h_end, levels=MEMORY_LEVELS):
    """The f1 axis of one network: the first principal component of its states at the end of the
    longest training delay, h_end (n, H) for the f1 values `levels`, signed so that larger f1
    lies further along it. Returns (basis, positions of h_end on it (n,), its share of their
    variance)."""
    basis = fixed_points.pca(h_end, 1)
    along = basis.project(h_end)[:, 0]
    if np.polyfit(levels, along, 1)[0] < 0:
        basis = basis._replace(components=-basis.components)
        along = -along
    return basis, along, float(basis.explained_variance_ratio[0])


def read_f1(basis, along, states, levels=MEMORY_LEVELS):
    """Where states (..., H) sit on the f1 axis, in f1 units: their position along it, read off
    the positions of the delay-end states of known f1 (piecewise linear between them, and
    beyond the ends along the first and last piece). Needs `along` increasing; NaN otherwise."""
    if np.any(np.diff(along) <= 0):
        return np.full(np.shape(states)[:-1], np.nan)
    z = basis.project(states)[..., 0]
    inside = np.interp(z, along, levels)
    below = levels[0] + (z - along[0]) * (levels[1] - levels[0]) / (along[1] - along[0])
    above = levels[-1] + (z - along[-1]) * (levels[-1] - levels[-2]) / (along[-1] - along[-2])
    return np.where(z < along[0], below, np.where(z > along[-1], above, inside))


def start_states(cfg, h):
    """Starting states for the fixed-point search: delay-period states h (T, n, H) picked at
    random, plus Gaussian noise. Returns (starts, H)."""
    return task_rnn.start_states(h, cfg.starts, cfg.start_noise, START_SEED)


def analyse_memory(params, cfg, h, k):
    """How network k holds f1 during the delay, from its delay states h (2 delay_max, n, H) for
    f1 = MEMORY_LEVELS: the line the states lie on, its fixed points at the delay input (0), their
    stability and place on the line, and how far the remembered f1 drifts when the delay doubles."""
    net = task_rnn.network(params, k)
    end, end2 = h[cfg.delay_max - 1], h[-1]  # (n, H) after delay_max and 2 delay_max steps
    basis, along, line_share = memory_ruler(end)
    ordered = bool(np.all(np.diff(along) > 0))
    start = time.perf_counter()
    found = fixed_points.find(net, np.zeros(1), start_states(cfg, h))
    seconds = time.perf_counter() - start
    stable = np.all(np.abs(found["eigenvalues"]) < 1 - STABLE_SLACK, axis=1)
    spacing = np.linalg.norm(np.diff(end, axis=0), axis=1).mean()  # between neighbouring f1 levels
    nearest = np.min(np.linalg.norm(found["h"][:, None] - h.reshape(1, -1, h.shape[-1]), axis=2), axis=1) \
        if len(found["h"]) else np.zeros(0)  # (N,) to the closest delay state
    on_line = nearest <= ON_LINE * spacing
    position = read_f1(basis, along, found["h"])  # (N,) f1 units
    slowest = np.abs(found["eigenvalues"][:, 0]) if len(found["h"]) else np.zeros(0)  # (N,) largest |lambda|
    held = read_f1(basis, along, end2)  # (n,) f1 read after twice the longest delay
    fixed = on_line & ~found["slow"]  # fixed points (q <= q_tol) on the line; slow points are counted apart
    anchors = stable & fixed
    slowest_stable = float(slowest[anchors].max()) if anchors.any() else None
    return {"found": found, "stable": stable, "on_line": on_line, "position": position, "basis": basis,
            "read": read_f1(basis, along, h).T,  # (n, steps): f1 read off the state at each delay step
            "summary": {
                "line_share": line_share, "ordered": ordered, "n_points": len(stable),
                "n_stable": int((stable & ~found["slow"]).sum()),
                "n_saddles_1": int(np.sum((found["n_unstable"] == 1) & ~found["slow"])),
                "n_on_line": int(on_line.sum()), "n_stable_on_line": int(anchors.sum()),
                "stable_f1": sorted(float(p) for p in position[anchors]),
                "saddle_f1": sorted(float(p) for p in position[fixed & (found["n_unstable"] == 1)]),
                "slow_f1": sorted(float(p) for p in position[on_line & found["slow"]]),
                "slowest_stable": slowest_stable,
                "time_constant": (None if slowest_stable is None or slowest_stable <= 0
                                  else float(-1 / np.log(slowest_stable))),
                "drift_2x": float(np.mean(np.abs(held - MEMORY_LEVELS))) if ordered else None,
                "gain_2x": float(np.polyfit(MEMORY_LEVELS, held, 1)[0]) if ordered else None,
                "speed_end": (float(np.linalg.norm(h[cfg.delay_max] - end, axis=1).mean() / spacing)
                              if spacing > 0 else None),  # None: every f1 ends in the same state
                "n_slow": int(found["slow"].sum()),
                "max_q": float(found["q"][~found["slow"]].max()) if np.any(~found["slow"]) else None,
                "finder_seconds": seconds}}


def tuning(params, cfg):
    """Each unit's tuning to f1 at the end of the delay (the step before f2 arrives), on
    TUNING_TRIALS trials with f1 uniform and delays from the training range: the least-squares
    slope of its activity on f1 and that slope's t statistic; a unit is positively (negatively)
    tuned when t > TUNING_T (t < -TUNING_T). Monotonic: its mean activity in 8 equal f1 bins rises
    (falls) from bin to bin. Returns per network dicts and the binned means (K, 8, H)."""
    rng = np.random.default_rng(TUNING_SEED)
    f1 = rng.uniform(F_LOW, F_HIGH, TUNING_TRIALS)
    delay = rng.integers(cfg.delay_min, cfg.delay_max + 1, TUNING_TRIALS)
    h = delay_states(params, cfg, f1, cfg.delay_max)  # (delay_max, K, n, H)
    late = h[delay - 1, :, np.arange(TUNING_TRIALS)]  # (n, K, H): the state after each trial's delay
    centred = f1 - f1.mean()
    slope = np.einsum("n,nkh->kh", centred, late) / (centred @ centred)  # (K, H)
    resid = late - late.mean(axis=0) - centred[:, None, None] * slope  # (n, K, H)
    se = np.sqrt((resid ** 2).sum(axis=0) / (TUNING_TRIALS - 2) / (centred @ centred))
    t = slope / np.maximum(se, 1e-300)
    bins = np.minimum(((f1 - F_LOW) / (F_HIGH - F_LOW) * 8).astype(int), 7)
    binned = np.stack([late[bins == b].mean(axis=0) for b in range(8)], axis=1)  # (K, 8, H)
    steps = np.diff(binned, axis=1)  # (K, 7, H)
    rows = []
    for k in range(len(slope)):
        pos, neg = t[k] > TUNING_T, t[k] < -TUNING_T
        monotonic = (pos & np.all(steps[k] > 0, axis=0)) | (neg & np.all(steps[k] < 0, axis=0))
        tuned = pos | neg
        rows.append({"positive": float(pos.mean()), "negative": float(neg.mean()),
                     "untuned": float(1 - tuned.mean()),
                     "monotonic_of_tuned": float(monotonic.sum() / tuned.sum()) if tuned.any() else None})
    return rows, binned, t


# --- evaluation ---------------------------------------------------------------------------------

def evaluate(params, cfg, history, verbose=True):
    """Behaviour held out and with doubled delays, the psychometric curves, the f1 x f2 table,
    accuracy by delay, and how each network holds f1. Returns (metrics, per_seed, curves,
    figure_data)."""
    cfg = resolve(cfg)
    test = make_trials(np.random.default_rng(TEST_SEED), cfg.test_trials, cfg, 0.0)
    ood = make_trials(np.random.default_rng(OOD_SEED), cfg.test_trials, cfg, 0.0, doubled(cfg))
    held, held_2x = behaviour(params, test, cfg.margin), behaviour(params, ood, cfg.margin)
    base = baselines(test, ood)
    grid, psy = psychometric(params, cfg)
    _, psy_2x = psychometric(params, cfg, doubled(cfg))
    delays, by_delay = accuracy_by_delay(params, cfg)
    h = delay_states(params, cfg)  # (2 delay_max, K, n, H)
    tuned, binned, t_values = tuning(params, cfg)
    K = params["W_hh"].shape[0]
    progress = Progress("fixed points", K) if verbose else None
    per_seed, analyses = [], []
    for k in range(K):
        memory = analyse_memory(params, cfg, h[:, k], k)
        analyses.append(memory)
        per_seed.append({"seed": cfg.seed + k, "reached_target": bool(history["stopped_at"][k] >= 0),
                         "stopped_at": int(history["stopped_at"][k]), "final_loss": float(history["final_loss"][k]),
                         "mse": float(held["mse"][k]), "mse_2x": float(held_2x["mse"][k]),
                         "accuracy": float(held["accuracy"][k]), "accuracy_easy": float(held["accuracy_easy"][k]),
                         "accuracy_2x": float(held_2x["accuracy"][k]),
                         "accuracy_easy_2x": float(held_2x["accuracy_easy"][k]),
                         "accuracy_by_gap": held["accuracy_by_gap"][k].tolist(),
                         "accuracy_by_gap_2x": held_2x["accuracy_by_gap"][k].tolist(),
                         "memory": memory["summary"], "tuning": tuned[k]})
        if progress is not None:
            progress.update(k + 1)
    romo, romo_2x = romo_table(params, cfg), romo_table(params, cfg, doubled(cfg))
    for k, row in enumerate(per_seed):
        drift = level_drift(analyses[k]["read"], cfg)
        split = drift_split(romo[k], drift) + drift_split(romo_2x[k], drift)
        row["drift_split"] = dict(zip(("favoured", "opposed", "favoured_2x", "opposed_2x"), split))
    curves = {"psychometric_grid": grid, "psychometric": psy, "psychometric_2x": psy_2x,
              "romo_levels": ROMO_LEVELS, "romo": romo, "romo_2x": romo_2x,
              "romo_f2_rule": f2_rule_table(base["f2_threshold"]), "delays": delays, "accuracy_by_delay": by_delay,
              "f2_rule_by_delay": rule_by_delay(base["f2_threshold"]),
              "f2_rule_psychometric": f2_rule_psychometric(grid, base["f2_threshold"]), "abs_bins": ABS_BINS}
    figure = figure_data(cfg, h, analyses, binned, t_values, params)
    return summarize(cfg, per_seed, base), per_seed, curves, figure


def f2_rule_table(threshold):
    """The f1-ignoring rule's P(report f1 > f2) on the f1 x f2 table (9, 9): 1 where f2 < threshold."""
    return np.broadcast_to((ROMO_LEVELS < threshold)[None, :], (len(ROMO_LEVELS),) * 2).astype(float)


def f2_rule_psychometric(grid, threshold):
    """The f1-ignoring rule's P(report f1 > f2) at each f1 - f2 of grid, exactly: with f1 uniform
    where both amplitudes fit, f2 = f1 - (f1 - f2) is uniform on [lo, hi] and the rule says
    "f1 larger" when f2 < threshold."""
    lo, hi = np.maximum(F_LOW, F_LOW - grid), np.minimum(F_HIGH, F_HIGH - grid)
    return np.clip((threshold - lo) / np.maximum(hi - lo, 1e-12), 0.0, 1.0)


def drift_split(p_larger, drift):
    """One network's accuracy on the f1 x f2 table's pairs one apart, split by its own drift:
    "opposed" where the drift of the remembered f1 along the memory line moves it towards f2 (the
    pair gets harder), "favoured" where it moves it away. p_larger (9, 9) P(report f1 > f2);
    drift (9,) the signed drift at each level of ROMO_LEVELS. Returns (favoured, opposed), None
    where no pair falls in a class."""
    f1, f2 = np.meshgrid(ROMO_LEVELS, ROMO_LEVELS, indexing="ij")
    near = np.abs(f1 - f2) == 1
    right = np.where(f1 > f2, p_larger, 1 - p_larger)
    push = drift[:, None] * (f2 - f1)  # > 0: f1 drifts towards f2
    return tuple(float(right[near & side].mean()) if np.any(near & side) else None
                 for side in (push < 0, push > 0))


def level_drift(read, cfg):
    """The signed drift of the remembered f1 at each ROMO level over the doubled delays: the mean
    of (f1 read off the state) - f1 over delay steps 2 delay_min .. 2 delay_max. read (n, steps)."""
    rows = [int(np.argmin(np.abs(MEMORY_LEVELS - level))) for level in ROMO_LEVELS]
    low, high = doubled(cfg)
    return (read[rows, low - 1:high] - MEMORY_LEVELS[rows, None]).mean(axis=1)


FIGURE_DECIMALS = 4  # what the figures draw is stored to this many decimals (a smaller results file)


def figure_data(cfg, h, analyses, binned, t_values, params):
    """What the figures draw that the metrics do not hold: every network's delay trajectories and
    fixed points in the top two principal components of its delay states, and network 0's
    example trials and unit tuning."""
    nets = []
    for k, memory in enumerate(analyses):
        basis = fixed_points.pca(h[:, k], 2)
        found = memory["found"]
        points = basis.project(found["h"]) if len(found["h"]) else np.zeros((0, 2))
        paths = basis.project(h[:, k]).transpose(1, 0, 2)  # (n, steps, 2)
        nets.append({"trajectories": np.round(paths, FIGURE_DECIMALS),
                     "variance": basis.explained_variance_ratio, "points": np.round(points, FIGURE_DECIMALS),
                     "stable": memory["stable"], "n_unstable": found["n_unstable"], "slow": found["slow"],
                     "on_line": memory["on_line"], "position": memory["position"],
                     "read": np.round(memory["read"], FIGURE_DECIMALS)})
    examples = layout([4.0, 8.0, 6.5, 6.0], [7.0, 3.0, 6.0, 6.5], [cfg.delay_min, cfg.delay_max, cfg.delay_max,
                      2 * cfg.delay_max], cfg.pulse_len, cfg.decision_len, trial_length(cfg, 2 * cfg.delay_max))
    y, _ = task_rnn.run({k: v[:1] for k, v in params.items()}, examples.x[:, None])
    return {"memory_levels": MEMORY_LEVELS, "delay_max": cfg.delay_max, "networks": nets,
            "examples": {"x": examples.x[..., 0].T, "target": examples.target[..., 0].T, "y": y[:, 0, :, 0].T,
                         "mask": examples.mask.T, "f1": examples.f1, "f2": examples.f2, "delay": examples.delay},
            "tuning_bins": F_LOW + (np.arange(8) + 0.5) * (F_HIGH - F_LOW) / 8, "tuning_binned": binned[0].T,
            "tuning_t": t_values[0]}


def summarize(cfg, per_seed, baseline):
    """The population's numbers: mean, sd and range over the networks that reached the target
    (every network when none did, which a --quick run allows), and counts of networks."""
    reached = [s for s in per_seed if s["reached_target"]] or per_seed

    def stats(values):
        v = np.array([np.nan if x is None else x for x in values], dtype=float)
        v = v[np.isfinite(v)]
        return None if not len(v) else {"mean": float(v.mean()), "sd": float(v.std()), "min": float(v.min()),
                                          "max": float(v.max()), "n": len(v)}

    memory = [s["memory"] for s in reached]
    tune = [s["tuning"] for s in reached]
    keys = ("accuracy", "accuracy_easy", "accuracy_2x", "accuracy_easy_2x", "mse", "mse_2x")
    return {"networks": len(per_seed), "reached_target": sum(s["reached_target"] for s in per_seed),
            "summarized": "networks that reached the target" if reached[0]["reached_target"] else "all networks",
            "summarized_count": len(reached),
            **{key: stats([s[key] for s in reached]) for key in keys},
            "easy_target_met": sum(s["accuracy_easy"] >= 0.95 for s in reached),
            "accuracy_by_gap": np.array([s["accuracy_by_gap"] for s in reached]).mean(axis=0),
            "accuracy_by_gap_2x": np.array([s["accuracy_by_gap_2x"] for s in reached]).mean(axis=0),
            "behavioural_degeneracy_2x": float(np.std([s["mse_2x"] for s in reached])),
            "steps_to_target": stats([s["stopped_at"] for s in reached if s["reached_target"]]),
            "line_share": stats([m["line_share"] for m in memory]), "ordered": sum(m["ordered"] for m in memory),
            "n_points": stats([m["n_points"] for m in memory]),
            "n_stable_on_line": stats([m["n_stable_on_line"] for m in memory]),
            "with_stable_on_line": sum(m["n_stable_on_line"] > 0 for m in memory),
            "with_stable_inside": sum(any(F_LOW <= f <= F_HIGH for f in m["stable_f1"]) for m in memory),
            "n_saddles_1": stats([m["n_saddles_1"] for m in memory]), "n_slow": stats([m["n_slow"] for m in memory]),
            "slowest_stable": stats([m["slowest_stable"] for m in memory]),
            "drift_2x": stats([m["drift_2x"] for m in memory]), "gain_2x": stats([m["gain_2x"] for m in memory]),
            "speed_end": stats([m["speed_end"] for m in memory]),
            "tuned_positive": stats([t["positive"] for t in tune]),
            "tuned_negative": stats([t["negative"] for t in tune]),
            "untuned": stats([t["untuned"] for t in tune]),
            "monotonic_of_tuned": stats([t["monotonic_of_tuned"] for t in tune]),
            "both_signs": sum(t["positive"] > 0 and t["negative"] > 0 for t in tune),
            **{f"drift_{key}": stats([s["drift_split"][key] for s in reached])
               for key in ("favoured", "opposed", "favoured_2x", "opposed_2x")},
            **{f"drift_effect{tag}": stats([pair_difference(s["drift_split"], tag) for s in reached])
               for tag in ("", "_2x")},
            "drift_effect_2x_positive": sum((pair_difference(s["drift_split"], "_2x") or 0) > 0 for s in reached),
            "max_q": max((m["max_q"] for m in memory if m["max_q"] is not None), default=None),
            "finder_seconds": stats([s["memory"]["finder_seconds"] for s in per_seed]),
            "baseline": baseline}


def pair_difference(split, tag):
    """Favoured minus opposed accuracy (None when either class is empty)."""
    a, b = split[f"favoured{tag}"], split[f"opposed{tag}"]
    return None if a is None or b is None else a - b


def zero_output_mse(cfg):
    """Validation MSE of the constant output 0 (the target's mean square over scored steps)."""
    _, target, mask = validation_set(cfg)
    return float((target[:, 0, :, 0] ** 2 * mask).sum() / mask.sum())


# --- report -------------------------------------------------------------------------------------

def print_report(cfg, m):
    def line(name, s, worst="min", digits=3):
        if s is not None:
            print(f"  {name:<46}{s['mean']:.{digits}f} +- {s['sd']:.{digits}f}  ({worst} {s[worst]:.{digits}f})")

    b, n2, over = m["baseline"], doubled(cfg), m["summarized_count"]
    print(f"\ndelayed discrimination: {m['networks']} networks of {cfg.hidden} tanh units, {m['reached_target']} "
          f"reached MSE {cfg.target_loss:g}; mean +- sd over the {m['summarized']} ({over})")
    line("steps to the target", m["steps_to_target"], digits=0)
    line(f"accuracy, delays {cfg.delay_min}-{cfg.delay_max}", m["accuracy"])
    line(f"  on |f1 - f2| >= {EASY:g}", m["accuracy_easy"])
    line(f"accuracy, delays {n2[0]}-{n2[1]} (doubled)", m["accuracy_2x"])
    line(f"  on |f1 - f2| >= {EASY:g}", m["accuracy_easy_2x"])
    line("MSE held out", m["mse"], "max", 4)
    line("MSE, doubled delays", m["mse_2x"], "max", 4)
    print(f"  networks with >= 95% on |f1 - f2| >= {EASY:g}: {m['easy_target_met']}/{over}")
    bins = [f"[{lo:g},{hi:g})" for lo, hi in zip(ABS_BINS[:-1], ABS_BINS[1:])]
    for name, values in (("accuracy by |f1 - f2|", m["accuracy_by_gap"]), ("  doubled delays", m["accuracy_by_gap_2x"]),
                         ("  rule that ignores f1", b["f2_rule_accuracy_by_gap"])):
        print(f"  {name:<24}" + "  ".join(f"{bin_}: {a:.3f}" for bin_, a in zip(bins, values)))
    print(f"  baselines: chance 0.5; the best rule that ignores f1 (f2 > {b['f2_threshold']:.2f}: 'f2 larger') "
          f"{b['f2_rule_accuracy']:.3f}, on |f1 - f2| >= {EASY:g} {b['f2_rule_accuracy_easy']:.3f}, "
          f"doubled delays {b['f2_rule_accuracy_2x']:.3f}")
    print("  pairs one apart (f1 x f2 table), split by each network's own drift of f1 on its memory line:")
    line(f"  delays {cfg.delay_min}-{cfg.delay_max}, drift moves f1 away from f2", m["drift_favoured"])
    line("                     towards f2", m["drift_opposed"])
    line(f"  delays {n2[0]}-{n2[1]}, drift moves f1 away from f2", m["drift_favoured_2x"])
    line("                     towards f2", m["drift_opposed_2x"])
    line("    difference (away - towards)", m["drift_effect_2x"])
    print(f"    networks where 'away' beats 'towards' at doubled delays: {m['drift_effect_2x_positive']}/{over}")
    share = m["line_share"]
    print(f"  how f1 is held at the delay's input 0: states ordered by f1 along one curve in {m['ordered']}/{over} "
          f"networks, its first PC holding {share['mean']:.3f} of their variance (min {share['min']:.3f})")
    print(f"    points found {m['n_points']['mean']:.1f} per network ({m['n_slow']['mean']:.1f} of them slow points); "
          f"stable fixed points on the line {m['n_stable_on_line']['min']:.0f}-{m['n_stable_on_line']['max']:.0f} "
          f"(mean {m['n_stable_on_line']['mean']:.1f}; networks with one: {m['with_stable_on_line']}/{over}, "
          f"with one at an f1 in [{F_LOW:g}, {F_HIGH:g}]: {m['with_stable_inside']}/{over})")
    line("  slowest |eigenvalue| at a stable point", m["slowest_stable"], "max")
    line("  step at the end of the delay / f1 spacing", m["speed_end"], "max")
    line("  drift of f1 by twice the delay (f1 units)", m["drift_2x"], "max", 2)
    line("  gain of f1 by twice the delay", m["gain_2x"], "min", 2)
    line("tuned to f1 at the end of the delay: +", m["tuned_positive"])
    line("                                     -", m["tuned_negative"])
    line("  of the tuned, monotonic over 8 f1 bins", m["monotonic_of_tuned"])
    print(f"  networks with units of both signs: {m['both_signs']}/{over}")
    if m["max_q"] is not None:
        print(f"  largest q of a fixed point {m['max_q']:.1e}; the search from {cfg.starts} starts took "
              f"{m['finder_seconds']['min']:.2f}-{m['finder_seconds']['max']:.2f} s per network")
    print(f"  Huang et al.: {PAPER['huang']}")
    print(f"  Romo et al.: {PAPER['romo']}")


@command
def main(argv=None):
    cfg = resolve(parse_config(Config, __doc__, argv, lambda c: check(resolve(c))))
    start = time.perf_counter()
    params, history = train(cfg)
    metrics, per_seed, curves, figure = evaluate(params, cfg, history)
    print_report(cfg, metrics)
    results = {"problem": SLUG, "config": config_record(cfg), "metrics": metrics, "per_seed": per_seed,
               "curves": curves, "figure_data": figure,
               "history": {"check_steps": history["check_steps"], "val_loss": history["val_loss"].T},
               "paper": PAPER, "wallclock_s": time.perf_counter() - start, "versions": versions()}
    print(f"  ({results['wallclock_s']:.0f} s)")
    write_results(cfg.save_results, results)
    save_params(cfg.save_params, params, results["config"], SLUG)
    check_learned(history["final_loss"], zero_output_mse(cfg), "the constant output 0",
                  "lower --lr, or train longer (--max-steps)", what="validation MSE", smoke=cfg.quick)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
