"""Path integration in a square arena, as in Sorscher, Mel, Ganguli & Ocko (2019), "A unified
theory for the origin of grid cells through the lens of pattern formation", NeurIPS, and
its analysis by Wu et al. (2025), "Unfolding the black box of recurrent neural networks for
path integration", NeurIPS; the position read-out of Huang et al. (2025), "Measuring and
controlling solution degeneracy across task-trained recurrent neural networks", NeurIPS.
Demonstrates: an RNN that is told only its velocity learns where it is; its units get
spatial rate maps, which we score for grids (six-fold symmetry) and bands (one direction
of stripes) against a shuffled null, and we silence the connections between the groups to
test the velocity -> band -> grid -> position hierarchy. Equations, task, deviations and
what did (not) emerge at this size: see path_integration.md.

    python problems/path_integration.py                       # place-cell read-out + analysis
    python problems/path_integration.py --readout position    # the degeneracy paper's version
    python problems/path_integration.py --hidden 256 --steps 20000   # bigger and longer
    python problems/path_integration.py --save-results results/pi.json --save-params results/pi.npz
    python problems/path_integration.py --quick               # a seconds-long smoke run
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # measured: a 2nd BLAS thread only slows small nets

import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import _spatial_scores as spatial  # noqa: E402
import _task_rnn as task_rnn  # noqa: E402
from rnn_numpy import fixed_points, losses, readout, rnn  # noqa: E402
from rnn_numpy.experiment import (Progress, at_least_one, check_learned, command, config_record,  # noqa: E402
                                  non_negative_int, option, output_file, parse_config, save_params, versions,
                                  with_quick_settings, write_results)

SLUG = "path_integration"
TRAIN_KEY, START_KEY = 1, 12  # network k's walks: default_rng([seed_k, TRAIN_KEY]); its encoder: START_KEY
VALIDATION_SEED, TEST_SEED, MAP_SEED, PLACE_SEED, NULL_SEED, PRUNE_SEED = 10_001, 20_002, 30_003, 40_004, 50_005, 60_006
START_SEED_STILL = 70_007

# The simulated rat (Sorscher et al.'s trajectory statistics): a time step of 20 ms; the
# heading turns by a Gaussian angular velocity of SD 11.52 rad/s; the speed is Rayleigh with
# scale 0.13 * 2 pi m/s (mean 1.02 m/s); within 3 cm of a wall and heading into it, the rat
# turns parallel to the wall and slows to a quarter.
DT = 0.02
TURN_SD = 11.52
SPEED_SCALE = 0.13 * 2 * np.pi
BORDER = 0.03
BORDER_SLOW = 0.25
DECODE_TOP = 3  # position read from place cells: the mean centre of the 3 most active
OUTPUT_HALF_RANGE = 5.0  # the position read-out reports coordinates in [-5, 5] (Huang et al.)
LABELS = ("grid", "band", "other")  # what _spatial_scores.classify calls a unit
BAND_MIN_CYCLES = 2  # a band cell repeats at least twice across the arena (a single ramp is not a band)
WU_GRID_THRESHOLD = 0.88  # Wu et al.'s grid-cell cut (their pruning notebooks), reported for comparison

PAPER = {
    "sorscher": "4,096 ReLU units, 512 difference-of-Gaussians place cells (width 12 cm, surround 2x), "
                "softmax cross-entropy, weight decay 1e-4 on W_hh, Adam lr 1e-4, batches of 200 walks of 20 "
                "steps in a 2.2 m box, 100,000 steps; decoding error about 5 cm; many grid cells",
    "wu": "the same network; of 4,096 units 764 band cells (band score > 5.8) and 764 grid cells (grid score "
          "> 0.88) in the authors' released scores (18.7 % each, 10 units both); silencing band cells' "
          "velocity input hurts more than grid cells', silencing grid cells' read-out hurts more than band "
          "cells': velocity -> band -> grid -> location",
    "huang": "128 tanh units, heading and speed in, (x, y) in [-5, 5] out, MSE, Adam lr 1e-3, batch 64; "
             "each network trained to MSE 0.05; doubled trial length out of distribution",
}


@dataclass
class Config:
    readout: str = option("place", "what the network reports: 'place' (a population of place cells, "
                          "softmax cross-entropy; the grid-cell literature) or 'position' ((x, y), MSE; "
                          "Huang et al.)", choices=("place", "position"))
    networks: int = option(5, "networks trained together, seeds seed .. seed+networks-1")
    seed: int = option(0, "seed of the first network (its weights and its walks)", non_negative_int)
    hidden: int = option(128, "recurrent units (Sorscher et al.: 4,096; Huang et al.: 128)")
    activation: str = option(None, "recurrent nonlinearity", str, choices=("relu", "tanh"),
                             default_text="relu for --readout place, tanh for --readout position")
    box: float = option(2.2, "side of the square arena in metres")
    length: int = option(20, "steps per training walk (20 ms each; the out-of-distribution test doubles it)")
    batch: int = option(100, "walks per step and network (Sorscher et al.: 200)")
    place_cells: int = option(256, "place cells of the read-out (Sorscher et al.: 512)")
    place_width: float = option(0.12, "place-cell tuning width sigma in metres")
    surround: float = option(2.0, "difference of Gaussians: surround variance / centre variance (0: plain Gaussians)")
    lr: float = option(1e-3, "Adam learning rate")
    weight_decay: float = option(1e-4, "L2 penalty on W_hh in the loss (lambda sum W_hh^2)")
    steps: int = option(None, "training steps (with --readout position: the most before giving up)",
                        non_negative_int, default_text="6000 for place, 8000 for position")
    target_loss: float = option(0.05, "--readout position only: a network stops at this validation MSE "
                                "(Huang et al.'s threshold, on their [-5, 5] scale)")
    test_walks: int = option(500, "held-out walks for the position error")
    map_walks: int = option(2000, "walks whose visited positions make the rate maps")
    bins: int = option(20, "rate-map bins per side")
    shuffles: int = option(100, "shuffled maps per unit for the null distribution of the scores")
    prune_draws: int = option(10, "random subsets per pruning experiment and arm")
    dtype: str = option("float32", "floating-point type of training and evaluation (the gradient checks run in "
                        "float64)", choices=("float32", "float64"))
    quick: bool = option(False, "a seconds-long smoke run: 2 networks of 32 units, 64 place cells, 150 steps, "
                         "small evaluation (flags given with it are kept)")
    save_results: str = option(None, "write the results as JSON to this path", output_file)
    save_params: str = option(None, "write the trained weights of every network (K, ...), the place-cell centres "
                              "and the config as .npz; read back with rnn_numpy.experiment.load_params", output_file)


QUICK = {"networks": 2, "hidden": 32, "place_cells": 64, "batch": 32, "steps": 150, "lr": 3e-3, "test_walks": 100,
         "map_walks": 300, "bins": 10, "shuffles": 20, "prune_draws": 2}


def resolve(cfg):
    """The settings a run uses: --quick values for settings left at their defaults, then
    the read-out's own defaults for the activation and the step budget."""
    cfg = with_quick_settings(cfg, QUICK)
    if cfg.activation is None:
        cfg.activation = "relu" if cfg.readout == "place" else "tanh"
    if cfg.steps is None:
        cfg.steps = 6000 if cfg.readout == "place" else 8000
    return cfg


def check(cfg):
    problems = at_least_one(cfg, ("networks", "hidden", "length", "batch", "place_cells", "test_walks",
                                  "map_walks", "shuffles", "prune_draws"))
    for name in ("box", "place_width", "lr", "target_loss"):
        if not getattr(cfg, name) > 0:
            problems.append(f"--{name.replace('_', '-')} must be positive (got {getattr(cfg, name)})")
    for name in ("surround", "weight_decay"):
        if not getattr(cfg, name) >= 0:
            problems.append(f"--{name.replace('_', '-')} must be at least 0 (got {getattr(cfg, name)})")
    if cfg.surround and cfg.surround <= 1:
        problems.append(f"--surround must be 0 or above 1: the surround is wider than the centre (got {cfg.surround})")
    if cfg.bins < 4:
        problems.append(f"--bins must be at least 4 (got {cfg.bins})")
    return problems


# --- the task -----------------------------------------------------------------------------------

def random_walks(rng, n, length, box):
    """n smooth random walks of `length` steps in the box [-box/2, box/2]^2.
    Returns positions (length + 1, n, 2) (row 0: the start) and velocities (length, n, 2) in
    m/s, with position_{t+1} = position_t + DT velocity_t."""
    half = box / 2
    position = np.empty((length + 1, n, 2))
    position[0] = rng.uniform(-half, half, (n, 2))
    heading = rng.uniform(-np.pi, np.pi, n)
    velocity = np.empty((length, n, 2))
    for t in range(length):
        speed = rng.rayleigh(SPEED_SCALE, n)
        near, turn = wall_turn(position[t], heading, half)
        speed = np.where(near, BORDER_SLOW * speed, speed)
        velocity[t] = speed[:, None] * np.stack([np.cos(heading), np.sin(heading)], axis=-1)
        position[t + 1] = position[t] + DT * velocity[t]
        heading = heading + turn + DT * rng.normal(0.0, TURN_SD, n)
    return position, velocity


def wall_turn(position, heading, half):
    """Which walks are within BORDER of the nearest wall and heading into it (n,) bool, and
    the turn that makes them run parallel to that wall instead (n,), 0 for every other walk.
    position (n, 2), heading (n,)."""
    x, y = position[:, 0], position[:, 1]
    distance = np.stack([half - x, half - y, half + x, half + y])  # to the walls at east, north, west, south
    nearest = distance.argmin(axis=0)
    into_wall = np.angle(np.exp(1j * (heading - nearest * np.pi / 2)))  # heading relative to the wall's normal
    near = (distance.min(axis=0) < BORDER) & (np.abs(into_wall) < np.pi / 2)
    return near, np.where(near, np.sign(into_wall) * (np.pi / 2 - np.abs(into_wall)), 0.0)


def place_centres(cfg):
    """The place-cell centres, uniform in the box, the same for every network: (Np, 2)."""
    half = cfg.box / 2
    return np.random.default_rng(PLACE_SEED).uniform(-half, half, (cfg.place_cells, 2))


def place_code(position, centres, width, surround, dtype=np.float64):
    """The place cells' activity at `position` (..., 2) -> (..., Np), a distribution over cells:
        centre_i   = softmax_i(-|x - c_i|^2 / (2 sigma^2))
        surround_i = softmax_i(-|x - c_i|^2 / (2 s sigma^2))             (s = surround)
        q_i = (centre_i - surround_i) - min_j (centre_j - surround_j), normalized to sum 1
    (difference-of-Gaussians tuning; surround = 0 gives plain Gaussians), computed in dtype."""
    position, centres = position.astype(dtype), centres.astype(dtype)
    # |x - c|^2 = |x|^2 + |c|^2 - 2 x.c: one matrix product, measured 10x faster than
    # broadcasting the (..., Np, 2) differences (1.3 vs 14 ms for 2,000 positions, 256 cells)
    d2 = np.square(position).sum(axis=-1, keepdims=True) + np.square(centres).sum(axis=-1) - 2 * position @ centres.T
    d2 -= d2.min(axis=-1, keepdims=True)  # (..., Np), nearest cell at 0: the softmaxes' usual shift
    q = normalized(np.exp(d2 * (-0.5 / width ** 2)))
    if surround:
        q -= normalized(np.exp(d2 * (-0.5 / (surround * width ** 2))))
        q -= q.min(axis=-1, keepdims=True)
    return normalized(q)


def normalized(a):
    """a / its sum over the last axis, in place."""
    a /= a.sum(axis=-1, keepdims=True)
    return a


def start_code(cfg, start, centres):
    """What the encoder sees of the start position (n, 2) -> (n, C): the place cells'
    activity there, times Np so that entries average 1 (place read-out), or the coordinates
    on the [-5, 5] scale (position read-out)."""
    if cfg.readout == "place":
        return cfg.place_cells * place_code(start, centres, cfg.place_width, cfg.surround, cfg.dtype)
    return start * (2 * OUTPUT_HALF_RANGE / cfg.box)


def targets(cfg, position, centres):
    """What the read-out must report at every step: place-cell activity or scaled (x, y)."""
    if cfg.readout == "place":
        return place_code(position, centres, cfg.place_width, cfg.surround, cfg.dtype)
    return position * (2 * OUTPUT_HALF_RANGE / cfg.box)


def make_trials(cfg, rng, n, length, centres):
    """A batch as the model takes it, in cfg.dtype: velocity x (length, n, 2), start code
    (n, C), targets (length, n, O); and the true positions (length + 1, n, 2) for errors."""
    position, velocity = random_walks(rng, n, length, cfg.box)
    model_inputs = (velocity, start_code(cfg, position[0], centres), targets(cfg, position[1:], centres))
    return (*(a.astype(cfg.dtype) for a in model_inputs), position)


def stacked(trials_per_network):
    """Per-network trials -> arrays with the population axis: x (T, K, n, 2), start (K, n, C),
    target (T, K, n, O), position (T + 1, K, n, 2)."""
    x, start, target, position = zip(*trials_per_network)
    return np.stack(x, 1), np.stack(start), np.stack(target, 1), np.stack(position, 1)


def fixed_trials(cfg, seed, n, length, centres):
    """Walks shared by every network (population axis of size 1)."""
    x, start, target, position = make_trials(cfg, np.random.default_rng(seed), n, length, centres)
    return x[:, None], start[None], target[:, None], position[:, None]


# --- the model ----------------------------------------------------------------------------------

def init_params(cfg, seeds):
    """Weights of every network from its own seed: the RNN and read-out as in _task_rnn
    (every entry U(-1/sqrt(H), 1/sqrt(H))), plus the encoder W_0 (K, H, C) that sets h_0,
    U(-1/sqrt(C), 1/sqrt(C)).
    With the place read-out there are no biases (Sorscher et al.): b_h and b_y stay 0."""
    code = cfg.place_cells if cfg.readout == "place" else 2  # what the encoder reads and the read-out reports
    params = task_rnn.init_params(seeds, 2, cfg.hidden, code)
    bound = 1 / np.sqrt(code)
    params["W_0"] = np.stack([np.random.default_rng([s, START_KEY]).uniform(-bound, bound, (cfg.hidden, code))
                              for s in seeds])
    if cfg.readout == "place":
        params["b_h"][:] = 0.0
        params["b_y"][:] = 0.0
    return {name: w.astype(cfg.dtype) for name, w in params.items()}


def forward(params, cfg, x, start):
    """h_0 = W_0 c_0;  h_t = f(W_xh v_t + W_hh h_{t-1} + b_h);  y_t = W_hy h_t + b_y.
    x (T, K, n, 2), start (K, n, C) -> y (T, K, n, O), h (T, K, n, H), caches."""
    h0 = start @ params["W_0"].mT  # (K, n, H)
    h, rnn_cache = rnn.forward(x, h0, params, cfg.activation)
    y, out_cache = readout.forward(h, params)
    return y, h, (rnn_cache, out_cache)


def loss_and_grads(params, cfg, batch):
    """The training loss of every network (K,) and its gradients:
        place:     soft cross-entropy(y, place code) + lambda sum W_hh^2
        position:  MSE(y, scaled position)          + lambda sum W_hh^2
    dW_hh gets 2 lambda W_hh; dW_0 = sum_n dh_0 c_0^T."""
    x, start, target = batch[:3]
    y, _, (rnn_cache, out_cache) = forward(params, cfg, x, start)
    if cfg.readout == "place":
        loss, dy = losses.soft_cross_entropy(y, target)
    else:
        loss, dy = losses.mse(y, target)
    dh, grads = readout.backward(dy, out_cache)
    _, dh0, rnn_grads = rnn.backward(dh, rnn_cache, input_grads=False)  # the inputs are data
    grads.update(rnn_grads)
    grads["W_0"] = dh0.mT @ start  # (K, H, n) @ (K, n, C)
    loss = loss + cfg.weight_decay * np.square(params["W_hh"]).sum(axis=(1, 2))
    grads["W_hh"] = grads["W_hh"] + 2 * cfg.weight_decay * params["W_hh"]
    if cfg.readout == "place":  # no biases
        grads["b_h"] = np.zeros_like(grads["b_h"])
        grads["b_y"] = np.zeros_like(grads["b_y"])
    return loss, grads


def validation_loss(params, cfg, batch):
    """The task loss alone (no weight penalty) on a fixed batch, per network (K,)."""
    x, start, target = batch[:3]
    y = forward(params, cfg, x, start)[0]
    if cfg.readout == "place":
        return losses.soft_cross_entropy(y, np.broadcast_to(target, y.shape))[0]
    return losses.mse(y, target)[0]


def decoded_position(cfg, y, centres):
    """The network's estimate of where it is, in metres, (..., 2): the mean centre of the
    DECODE_TOP most active place cells, or the position read-out rescaled."""
    if cfg.readout == "place":
        top = np.argpartition(-y, DECODE_TOP, axis=-1)[..., :DECODE_TOP]
        return centres[top].mean(axis=-2)
    return y * (cfg.box / (2 * OUTPUT_HALF_RANGE))


def position_error(cfg, params, trials, centres):
    """Distance between decoded and true position (T, K) in metres, averaged over walks."""
    x, start, _, position = trials
    y = forward(params, cfg, x, start)[0]
    return np.linalg.norm(decoded_position(cfg, y, centres) - position[1:], axis=-1).mean(axis=-1)


# --- training -----------------------------------------------------------------------------------

def batch_maker(cfg, seeds, centres):
    """make_batch(step) for task_rnn.train: each network draws its walks from its own stream;
    the next step's walks are made on the second core while this step trains."""
    streams = [np.random.default_rng([s, TRAIN_KEY]) for s in seeds]

    def make_batch(step):
        return stacked([make_trials(cfg, rng, cfg.batch, cfg.length, centres) for rng in streams])

    return task_rnn.prefetched(make_batch)


def train(cfg, callback=None, verbose=True):
    """Train cfg.networks networks as one population. Place read-out: a fixed number of steps
    (as in the grid-cell literature); position read-out: equal-loss stopping at MSE 0.05.
    Returns (params, history, centres)."""
    cfg = resolve(cfg)
    seeds = [cfg.seed + k for k in range(cfg.networks)]
    centres = place_centres(cfg)
    params = init_params(cfg, seeds)
    validation = fixed_trials(cfg, VALIDATION_SEED, cfg.test_walks, cfg.length, centres)
    objective = (lambda p, batch: loss_and_grads(p, cfg, batch), lambda p, batch: validation_loss(p, cfg, batch))
    target = cfg.target_loss if cfg.readout == "position" else None
    history = task_rnn.train(params, batch_maker(cfg, seeds, centres), validation, lr=cfg.lr, max_steps=cfg.steps,
                             target_loss=target, check_every=50 if cfg.steps >= 1000 else 10, callback=callback,
                             verbose=verbose, label="training", objective=objective)
    return params, history, centres


# --- evaluation: how well the networks know where they are ----------------------------------------

def behaviour(cfg, params, centres):
    """Position error (metres) at every step of held-out walks, per network: in distribution
    (cfg.length steps) and out of distribution (twice as long). Returns two (T, K) arrays."""
    walks = fixed_trials(cfg, TEST_SEED, cfg.test_walks, cfg.length, centres)
    long_walks = fixed_trials(cfg, TEST_SEED + 1, cfg.test_walks, 2 * cfg.length, centres)
    return position_error(cfg, params, walks, centres), position_error(cfg, params, long_walks, centres)


def baselines(cfg, centres):
    """Errors (metres) by step, (2T,), of rules that ignore the velocity input: guessing the
    arena's centre, and staying at the start (what a network that does not integrate would
    report); and, for the place read-out, the decoder's own floor: the top-3 decoding of the
    true place-cell activity."""
    _, _, target, position = fixed_trials(cfg, TEST_SEED + 1, cfg.test_walks, 2 * cfg.length, centres)
    true = position[1:, 0]  # (2T, n, 2)
    rows = {"arena_centre": np.linalg.norm(true, axis=-1).mean(axis=-1),
            "stay_at_start": np.linalg.norm(true - position[0, 0], axis=-1).mean(axis=-1)}
    if cfg.readout == "place":
        rows["decoder_floor"] = np.linalg.norm(decoded_position(cfg, target[:, 0], centres) - true,
                                               axis=-1).mean(axis=-1)
    return rows


def constant_loss(cfg, target):
    """The validation loss of the best output that ignores every input (a constant): for the
    place read-out the entropy of the mean place-cell activity, -sum_i qbar_i log qbar_i;
    for the position read-out the targets' variance. target (T, 1, n, O)."""
    flat = target.reshape(-1, target.shape[-1]).astype(float)
    if cfg.readout == "place":
        mean = flat.mean(axis=0)
        return float(-(mean * np.log(mean)).sum())
    return float(np.mean((flat - flat.mean(axis=0)) ** 2))


# --- standing still: is position held by an attractor? -------------------------------------------

STILL_STARTS = 512  # starting states of the fixed-point search per network
STILL_TILES = 5  # the arena cut into 5 x 5 tiles to measure how much of it the slow points cover
ORIGIN_TOLERANCE = 1e-6  # a fixed point with every unit below this is h = 0


def hold_still(cfg, params, centres):
    """Walk for cfg.length steps, then stand still (zero velocity) for 2 cfg.length more:
    how far the decoded position drifts from where it was when the walk stopped, per
    network, in metres: (drift after the still period (K,), decoded error when it began (K,))."""
    x, start, _, position = fixed_trials(cfg, TEST_SEED + 2, cfg.test_walks, cfg.length, centres)
    still = np.concatenate([x, np.zeros((2 * cfg.length,) + x.shape[1:], dtype=x.dtype)])  # (3T, 1, n, 2)
    decoded = decoded_position(cfg, forward(params, cfg, still, start)[0], centres)  # (3T, K, n, 2)
    at_stop = decoded[cfg.length - 1]
    drift = np.linalg.norm(decoded[-1] - at_stop, axis=-1).mean(axis=-1)
    error_at_stop = np.linalg.norm(at_stop - position[-1], axis=-1).mean(axis=-1)
    return drift, error_at_stop


def still_points(cfg, params, centres, k):
    """Fixed and slow points of network k at zero velocity, searched from states visited on
    held-out walks, other than h = 0: how many, how many are slow (q above 1e-12) or stable,
    the largest eigenvalue modulus of each, and the share of the arena's 5 x 5 tiles in which
    some point's decoded position lies (a 2-D continuous attractor of positions covers them
    all); and whether h = 0 was found."""
    net = {name: w[k] for name, w in params.items()}
    x, start, _, _ = fixed_trials(cfg, START_SEED_STILL, STILL_STARTS, cfg.length, centres)
    h = forward({name: w[None] for name, w in net.items()}, cfg, x, start)[1][:, 0]  # (T, n, H)
    starts = task_rnn.start_states(h, STILL_STARTS, 0.0, START_SEED_STILL)  # states visited, as they are
    found = fixed_points.find(net, np.zeros(2), starts, activation=cfg.activation)
    # h = 0 is a fixed point of any network without biases at zero input (the place read-out):
    # it says nothing about holding a position, and a ReLU's kink there makes its Jacobian moot
    origin = np.abs(found["h"]).max(axis=1) < ORIGIN_TOLERANCE  # (N,)
    keep = ~origin
    y = found["h"][keep] @ net["W_hy"].T.astype(float) + net["b_y"].astype(float)
    decoded = decoded_position(cfg, y, centres)  # (N', 2)
    tile = np.clip(((decoded + cfg.box / 2) / cfg.box * STILL_TILES).astype(int), 0, STILL_TILES - 1)
    covered = len({tuple(t) for t in tile}) / STILL_TILES ** 2
    return {"points": int(keep.sum()), "origin_found": bool(origin.any()), "slow": int(found["slow"][keep].sum()),
            "stable": int(found["stable"][keep].sum()), "dropped_starts": found["dropped"],
            "tiles_covered": covered, "leading_modulus": np.abs(found["eigenvalues"][keep, 0]).tolist()}


# --- the band / grid analysis ----------------------------------------------------------------------

def map_samples(cfg, params, centres):
    """Hidden activity of every network along cfg.map_walks held-out walks, with the
    positions visited: positions (N, 2) shifted to [0, box]^2, activity (K, N, H)."""
    x, start, _, position = fixed_trials(cfg, MAP_SEED, cfg.map_walks, cfg.length, centres)
    h = forward(params, cfg, x, start)[1]  # (T, K, n, H)
    K, H = h.shape[1], h.shape[-1]
    activity = h.transpose(1, 0, 2, 3).reshape(K, -1, H)  # (K, T n, H)
    # A 20 ms step can carry a walk up to a few cm past a wall before the turn (as in
    # Sorscher et al.'s generator); such samples count in the edge bin.
    return np.clip(position[1:, 0].reshape(-1, 2) + cfg.box / 2, 0.0, cfg.box), activity


def unit_scores(cfg, positions, activity, rng):
    """Rate maps, autocorrelograms, grid and band scores and the time-shift null's 95th
    percentiles of every unit of one network. activity (N, H)."""
    maps, occupancy = spatial.rate_maps(positions, activity, cfg.box, cfg.bins)
    autocorr = spatial.autocorrelogram(maps)
    grid = spatial.grid_score(autocorr)
    band, orientation, wavelength = spatial.band_score(maps, cfg.box, BAND_MIN_CYCLES)
    strongest_wavelength = spatial.band_score(maps, cfg.box, 1)[2]  # the map's strongest wave of any length
    null = spatial.shuffled_null(positions, activity, cfg.box, cfg.bins, rng, n_shuffles=cfg.shuffles,
                                 min_cycles=BAND_MIN_CYCLES)
    return {"maps": maps, "autocorr": autocorr, "grid": grid, "band": band, "band_orientation": orientation,
            "band_wavelength": wavelength, "periodic": strongest_wavelength <= cfg.box / BAND_MIN_CYCLES,
            "grid_shift_threshold": null["grid_threshold"], "band_shift_threshold": null["band_threshold"],
            "occupancy": occupancy}


def untrained_thresholds(untrained):
    """The 95th percentiles of the grid and band scores of every unit of the untrained
    networks: what a random network's smooth maps reach without learning anything."""
    grid = np.concatenate([a["grid"] for a in untrained])
    band = np.concatenate([a["band"] for a in untrained])
    return float(np.nanpercentile(grid, 95)), float(np.nanpercentile(band, 95))


def label_units(analyses, untrained_pool):
    """Labels in place, two ways: "labels_shift" against the unit's own time-shift null alone,
    and "labels" (the ones used) against the larger of that and the untrained networks' 95th
    percentile (see path_integration.md: every smooth map beats a time-shift null). Either
    way a band cell must be periodic: its map's strongest plane wave of any length has at
    least BAND_MIN_CYCLES periods across the box (a ramp's leaks into the band score too)."""
    grid_pool, band_pool = untrained_pool
    for a in analyses:
        shift_only = spatial.classify(a["grid"], a["band"], a["grid_shift_threshold"], a["band_shift_threshold"])
        a["grid_threshold"] = np.maximum(a["grid_shift_threshold"], grid_pool)
        a["band_threshold"] = np.maximum(a["band_shift_threshold"], band_pool)
        both = spatial.classify(a["grid"], a["band"], a["grid_threshold"], a["band_threshold"])
        a["labels_shift"], a["labels"] = (np.where((labels == "band") & ~a["periodic"], "other", labels)
                                          for labels in (shift_only, both))


def fractions(labels):
    """Share of units labelled grid, band and other."""
    return {name: float(np.mean(labels == name)) for name in LABELS}


def analyse_units(cfg, params, centres, verbose=True, label="unit scores"):
    """unit_scores for every network; the null shuffles draw from NULL_SEED."""
    positions, activity = map_samples(cfg, params, centres)
    rng = np.random.default_rng(NULL_SEED)
    progress = Progress(label, len(activity)) if verbose else None
    out = []
    for k, a in enumerate(activity):
        out.append(unit_scores(cfg, positions, a, rng))
        if progress is not None:
            progress.update(k + 1)
    return out


# --- pruning: which connections carry the computation? ---------------------------------------------

PATHWAYS = (  # (name, which weights, the group whose connections are silenced)
    ("velocity -> band", "input", "band"),
    ("velocity -> grid", "input", "grid"),
    ("band -> grid", "recurrent", ("band", "grid")),
    ("grid -> band", "recurrent", ("grid", "band")),
    ("band -> output", "output", "band"),
    ("grid -> output", "output", "grid"),
)


def silenced(net, kind, units):
    """A copy of one network's weights (population axis of size 1) with connections set to 0:
    the velocity input of `units` (W_xh rows), their read-out (W_hy columns), or, for
    kind "recurrent" with units = (sources, targets), W_hh[targets, sources]."""
    net = {k: v.copy() for k, v in net.items()}
    if kind == "input":
        net["W_xh"][0, units] = 0.0
    elif kind == "output":
        net["W_hy"][0, :, units] = 0.0
    else:
        sources, targets = units
        net["W_hh"][0][np.ix_(targets, sources)] = 0.0
    return net


def pruning(cfg, params, centres, analyses):
    """For every network and pathway: the mean position error on held-out walks with that
    pathway silenced, and with the same connections of as many randomly chosen units (of any
    label) silenced instead (the control). Every arm silences n units per group, n = the
    smaller of the network's band and grid groups; cfg.prune_draws random subsets each.
    Returns one row per network and pathway (errors in metres)."""
    walks = fixed_trials(cfg, TEST_SEED, cfg.test_walks, cfg.length, centres)
    rng = np.random.default_rng(PRUNE_SEED)
    rows = []
    for k, scores in enumerate(analyses):
        net = {name: w[k:k + 1] for name, w in params.items()}
        groups = {name: np.flatnonzero(scores["labels"] == name) for name in ("band", "grid")}
        n = min(len(g) for g in groups.values())
        intact = float(position_error(cfg, net, walks, centres).mean())
        for name, kind, group in PATHWAYS:
            row = {"seed": cfg.seed + k, "pathway": name, "units": n, "intact": intact}
            if n == 0:
                rows.append({**row, "pruned": None, "control": None, "control_sd": None})
                continue
            errors = {"pruned": [], "control": []}
            for _ in range(cfg.prune_draws):
                def pick(g):
                    return rng.choice(groups[g] if g else cfg.hidden, n, replace=False)
                chosen = tuple(map(pick, group)) if kind == "recurrent" else pick(group)
                # control: random units in place of the silenced group (the sources, for W_hh)
                random = (pick(None), chosen[1]) if kind == "recurrent" else pick(None)
                for arm, units in (("pruned", chosen), ("control", random)):
                    errors[arm].append(float(position_error(cfg, silenced(net, kind, units), walks, centres).mean()))
            rows.append({**row, "pruned": float(np.mean(errors["pruned"])),
                         "control": float(np.mean(errors["control"])),
                         "control_sd": float(np.std(errors["control"]))})
    return rows


# --- report ---------------------------------------------------------------------------------------

def unit_rows(cfg, analyses):
    """Per network: the fractions of grid / band / other units and the score distributions."""
    rows = []
    for k, a in enumerate(analyses):
        rows.append({"seed": cfg.seed + k, **fractions(a["labels"]),
                     "shift_null_only": fractions(a["labels_shift"]),
                     "grid_above_0.88": float(np.mean(a["grid"] > WU_GRID_THRESHOLD)),
                     "grid_score_median": float(np.nanmedian(a["grid"])),
                     "grid_score_max": float(np.nanmax(a["grid"])),
                     "band_score_median": float(np.nanmedian(a["band"])),
                     "band_score_max": float(np.nanmax(a["band"])),
                     "grid_shift_threshold_median": float(np.nanmedian(a["grid_shift_threshold"])),
                     "band_shift_threshold_median": float(np.nanmedian(a["band_shift_threshold"])),
                     "grid_threshold_untrained": float(np.nanmin(a["grid_threshold"])),
                     "band_threshold_untrained": float(np.nanmin(a["band_threshold"]))})
    return rows


def per_unit(analyses):
    """The per-unit numbers the figure script draws from, (K, H) lists."""
    keys = ("grid", "band", "band_orientation", "band_wavelength", "grid_threshold", "band_threshold")
    out = {key: np.stack([a[key] for a in analyses]).tolist() for key in keys}
    out["labels"] = [a["labels"].tolist() for a in analyses]
    out["labels_shift"] = [a["labels_shift"].tolist() for a in analyses]
    return out


def summarize(cfg, history, errors, errors_2x, baseline, trained_units, untrained_units, prune_rows):
    K = errors.shape[1]
    final, final_2x = errors[-1], errors_2x[-1]
    reached = history["stopped_at"] >= 0
    summary = {"networks": K, "readout": cfg.readout,
               "final_error_m": task_rnn.spread(final), "final_error_2x_m": task_rnn.spread(final_2x),
               "final_error_fraction_of_side": task_rnn.spread(final / cfg.box),
               "final_error_2x_fraction_of_side": task_rnn.spread(final_2x / cfg.box),
               "mean_error_m": task_rnn.spread(errors.mean(axis=0)),
               "error_by_step_m": errors.mean(axis=1), "error_2x_by_step_m": errors_2x.mean(axis=1),
               "below_10_percent_of_side": int(np.sum(final < 0.1 * cfg.box)),
               "baseline_by_step_m": baseline,
               "final_loss": task_rnn.spread(history["final_loss"]),
               "units": {"trained": unit_summary(trained_units), "untrained": unit_summary(untrained_units)},
               "pruning": pruning_summary(prune_rows)}
    if cfg.readout == "position":
        summary["reached_target"] = int(reached.sum())
        summary["steps_to_target"] = task_rnn.spread(history["stopped_at"][reached]) if reached.any() else None
    return summary


def unit_summary(rows):
    """Fractions over networks: labelled against both nulls (the ones used), against the
    time-shift null alone, and grid scores above Wu et al.'s cut."""
    out = {name: task_rnn.spread([r[name] for r in rows]) for name in LABELS}
    out["shift_null_only"] = {name: task_rnn.spread([r["shift_null_only"][name] for r in rows]) for name in LABELS}
    out["grid_above_0.88"] = task_rnn.spread([r["grid_above_0.88"] for r in rows])
    return out


HIERARCHY = (  # Wu et al.'s velocity -> band -> grid -> location predicts the first hurts more
    ("velocity -> band", "velocity -> grid"),
    ("band -> grid", "grid -> band"),
    ("grid -> output", "band -> output"),
)


def hierarchy_tests(rows):
    """For each pair of HIERARCHY, paired over networks: the error growth of the first
    pathway minus the second's (metres), and in how many networks it is positive."""
    out = {}
    for first, second in HIERARCHY:
        a = {r["seed"]: r["pruned"] for r in rows if r["pathway"] == first and r["pruned"] is not None}
        b = {r["seed"]: r["pruned"] for r in rows if r["pathway"] == second and r["pruned"] is not None}
        seeds = sorted(a.keys() & b.keys())
        if not seeds:
            out[f"{first} vs {second}"] = None
            continue
        difference = np.array([a[k] - b[k] for k in seeds])
        out[f"{first} vs {second}"] = {"difference_m": task_rnn.spread(difference),
                                        "first_hurts_more": int(np.sum(difference > 0)), "networks": len(seeds)}
    return out


def pruning_summary(rows):
    """Per pathway over the networks where it could be measured: the error growth
    (pruned - intact) against the control's (control - intact), in metres; and the
    hierarchy's paired comparisons."""
    out = {"hierarchy": hierarchy_tests(rows)}
    for name, *_ in PATHWAYS:
        done = [r for r in rows if r["pathway"] == name and r["pruned"] is not None]
        if not done:
            out[name] = None
            continue
        beyond_control = np.array([r["pruned"] - r["control"] for r in done])
        out[name] = {"networks": len(done), "units": [r["units"] for r in done],
                     "growth_m": task_rnn.spread([r["pruned"] - r["intact"] for r in done]),
                     "control_growth_m": task_rnn.spread([r["control"] - r["intact"] for r in done]),
                     "minus_control_m": task_rnn.spread(beyond_control),
                     "below_control": int(np.sum(beyond_control < 0)),
                     "above_control": sum(r["pruned"] > r["control"] + 2 * r["control_sd"] for r in done)}
    return out


def percent_range(s):
    return f"{100 * s['mean']:.1f} % ({100 * s['min']:.1f}-{100 * s['max']:.1f})"


def print_report(cfg, m):
    cm = 100
    side = cfg.box
    print(f"\npath integration, {cfg.readout} read-out: {m['networks']} networks of {cfg.hidden} {cfg.activation} "
          "units, "
          f"{cfg.box:g} m box, walks of {cfg.length} steps ({cfg.length * DT:.2f} s)")
    if cfg.readout == "position":
        print(f"  reached validation MSE {cfg.target_loss:g}: {m['reached_target']}/{m['networks']}")
    for name, key in (("final-step error, held out", "final_error_m"),
                      (f"final-step error, {2 * cfg.length} steps", "final_error_2x_m")):
        s = m[key]
        print(f"  {name:<30}{cm * s['mean']:.1f} +- {cm * s['sd']:.1f} cm  ({100 * s['mean'] / side:.1f} % of the side;"
              f" worst {cm * s['max']:.1f} cm)")
    print(f"  networks below 10 % of the side at the last step: {m['below_10_percent_of_side']}/{m['networks']}")
    b = m["baseline_by_step_m"]
    T = cfg.length
    print("  baselines at the last step (held-out / doubled length): " + ", ".join(
        f"{name.replace('_', ' ')} {cm * v[T - 1]:.1f} / {cm * v[-1]:.1f} cm" for name, v in b.items()))
    still = m["standing_still"]
    print(f"  standing still for {2 * cfg.length} steps after a walk: the decoded position drifts "
          f"{cm * still['drift_m']['mean']:.1f} +- {cm * still['drift_m']['sd']:.1f} cm (error when it stopped "
          f"{cm * still['error_at_stop_m']['mean']:.1f} cm); fixed/slow points at zero velocity other than h = 0: "
          f"{still['points']['mean']:.0f} per network, their decoded positions in "
          f"{100 * still['tiles_covered']['mean']:.0f} % of the arena's {STILL_TILES}x{STILL_TILES} tiles")
    print("  units labelled against both nulls (their own time-shifted maps and the untrained networks' units), "
          "mean (range) over networks:")
    for which in ("trained", "untrained"):
        u = m["units"][which]
        only = u["shift_null_only"]
        print(f"    {which:<10} grid {percent_range(u['grid'])}, band {percent_range(u['band'])}; against the "
              f"time-shift null alone grid {percent_range(only['grid'])}, band {percent_range(only['band'])}; grid score > "
              f"{WU_GRID_THRESHOLD} {percent_range(u['grid_above_0.88'])}")
    print("  pruning (growth of the mean position error: the pathway silenced vs as many random units'):")
    for name, s in m["pruning"].items():
        if name == "hierarchy":
            continue
        if s is None:
            print(f"    {name:<18} not measurable (a group is empty)")
            continue
        d = s["minus_control_m"]
        print(f"    {name:<18} +{cm * s['growth_m']['mean']:.1f} +- {cm * s['growth_m']['sd']:.1f} cm vs control "
              f"+{cm * s['control_growth_m']['mean']:.1f} cm: difference {cm * d['mean']:+.1f} +- {cm * d['sd']:.1f} cm, "
              f"below control in {s['below_control']}/{s['networks']} networks "
              f"({'/'.join(map(str, s['units']))} units)")
    print("  Wu et al.'s hierarchy predicts the first of each pair hurts more (paired over networks):")
    for name, h in m["pruning"]["hierarchy"].items():
        if h is None:
            print(f"    {name}: not measurable")
            continue
        d = h["difference_m"]
        print(f"    {name}: {cm * d['mean']:+.1f} +- {cm * d['sd']:.1f} cm; the first hurts more in "
              f"{h['first_hurts_more']}/{h['networks']} networks")
    print(f"  Sorscher et al.: {PAPER['sorscher']}")
    print(f"  Wu et al.: {PAPER['wu']}")
    print(f"  Huang et al.: {PAPER['huang']}")


def run_analysis(cfg, params, centres, verbose=True):
    """Unit scores of the same networks before training and after, labels, and the pruning
    experiments on the trained ones."""
    untrained = analyse_units(cfg, init_params(cfg, [cfg.seed + k for k in range(cfg.networks)]), centres,
                              verbose, "unit scores, untrained")
    trained = analyse_units(cfg, params, centres, verbose, "unit scores, trained")
    pool = untrained_thresholds(untrained)
    label_units(untrained + trained, pool)
    prune_rows = pruning(cfg, params, centres, trained)
    return trained, untrained, prune_rows


@command
def main(argv=None):
    cfg = resolve(parse_config(Config, __doc__, argv, check))
    start = time.perf_counter()
    params, history, centres = train(cfg)
    errors, errors_2x = behaviour(cfg, params, centres)
    drift, error_at_stop = hold_still(cfg, params, centres)
    still = [still_points(cfg, params, centres, k) for k in range(cfg.networks)]
    trained, untrained, prune_rows = run_analysis(cfg, params, centres)
    trained_units, untrained_units = unit_rows(cfg, trained), unit_rows(cfg, untrained)
    metrics = summarize(cfg, history, errors, errors_2x, baselines(cfg, centres), trained_units, untrained_units,
                        prune_rows)
    metrics["standing_still"] = {"drift_m": task_rnn.spread(drift), "error_at_stop_m": task_rnn.spread(error_at_stop),
                                 "points": task_rnn.spread([p["points"] for p in still]),
                                 "tiles_covered": task_rnn.spread([p["tiles_covered"] for p in still])}
    validation_target = fixed_trials(cfg, VALIDATION_SEED, cfg.test_walks, cfg.length, centres)[2]
    metrics["constant_output_loss"] = constant_loss(cfg, validation_target)
    print_report(cfg, metrics)
    results = {"problem": SLUG, "config": config_record(cfg), "metrics": metrics,
               "per_seed": [{"seed": cfg.seed + k, "final_error_m": float(errors[-1, k]),
                             "final_error_2x_m": float(errors_2x[-1, k]), "stopped_at": int(history["stopped_at"][k]),
                             "final_loss": float(history["final_loss"][k]), "still_drift_m": float(drift[k]),
                             "still_points": still[k]} for k in range(cfg.networks)],
               "units": {"trained": trained_units, "untrained": untrained_units},
               "per_unit": per_unit(trained), "per_unit_untrained": per_unit(untrained), "pruning": prune_rows,
               "history": {"check_steps": history["check_steps"], "val_loss": history["val_loss"]},
               "paper": PAPER, "wallclock_s": time.perf_counter() - start, "versions": versions()}
    print(f"  ({results['wallclock_s']:.0f} s)")
    write_results(cfg.save_results, results)
    save_params(cfg.save_params, {**params, "place_centres": centres}, results["config"], SLUG)
    check_learned(history["final_loss"], metrics["constant_output_loss"], "the best constant output",
                  "raise --steps or lower --lr", what="validation loss", smoke=cfg.quick)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
