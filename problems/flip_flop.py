"""The 3-bit flip-flop of Sussillo & Barak (2013), "Opening the black box: low-dimensional
dynamics in high-dimensional recurrent neural networks", Neural Computation 25(3), trained
with the protocol of Huang, Singh, Martinelli & Rajan (2025), "Measuring and controlling
solution degeneracy across task-trained recurrent neural networks", NeurIPS.
Demonstrates: a tanh RNN that remembers the sign of the last pulse on each of N channels
stores the 2^N memories as stable fixed points at the corners of a cube, with saddle
points between them; the fixed-point finder shows it in every trained network.
Equations, task, deviations: see flip_flop.md.

    python problems/flip_flop.py                        # 3 bits, 10 networks
    python problems/flip_flop.py --bits 2 --networks 20
    python problems/flip_flop.py --hidden 128 --lr 0.001 # the paper's size (slower)
    python problems/flip_flop.py --save-results results/ff.json --save-params results/ff.npz
    python problems/flip_flop.py --quick                # a seconds-long smoke run
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # measured: a 2nd BLAS thread only slows small nets

import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import _task_rnn as task_rnn  # noqa: E402
from rnn_numpy import fixed_points  # noqa: E402
from rnn_numpy.experiment import (Progress, at_least_one, check_learned, command, config_record,  # noqa: E402
                                  non_negative_int, option, output_file, parse_config, save_params, versions,
                                  with_quick_settings, write_results)

SLUG = "flip_flop"
TRAIN_KEY = 1  # network k's training trials: default_rng([seed_k, TRAIN_KEY])
VALIDATION_SEED, TEST_SEED, START_SEED = 10_001, 20_002, 30_003  # shared by every network and run
STABLE_SLACK = 1e-6  # |lambda| < 1 - slack counts as stable (a marginal direction is not a memory)
CORNER_TOLERANCE = 0.5  # a stable point "is" a corner when every output is within this of +-1

PAPER = {
    "sussillo_barak": "3 bits: 8 stable fixed points at the corners of a cube, saddles with one unstable "
                      "direction between neighbouring corners (continuous-time network of 1,000 units)",
    "huang": "n = 128, U(-1/sqrt(n), 1/sqrt(n)), Adam, each network trained to MSE 0.001; 2^N fixed points",
}


@dataclass
class Config:
    bits: int = option(3, "independent flip-flops (input and output channels)")
    networks: int = option(10, "networks trained together, seeds seed .. seed+networks-1")
    seed: int = option(0, "seed of the first network (its weights and its training trials)", non_negative_int)
    hidden: int = option(32, "hidden units (the paper: 128)")
    length: int = option(50, "steps per training trial (the out-of-distribution test doubles it)")
    pulse_prob: float = option(0.2, "chance of a pulse per step and channel")
    batch: int = option(32, "trials per step and network")
    lr: float = option(0.003, "Adam learning rate")
    clip: float = option(1.0, "global-norm gradient clip per network")
    target_loss: float = option(1e-3, "equal-loss stopping: a network stops at this validation MSE (the paper's)")
    max_steps: int = option(10_000, "give up on a network after this many steps")
    test_trials: int = option(512, "held-out trials (the same for every network)")
    starts: int = option(1024, "starting states of the fixed-point search per network")
    start_noise: float = option(0.2, "SD of the noise added to the states the search starts from")
    quick: bool = option(False, "a seconds-long smoke run: 3 networks of 16 units, lr 0.01, at most 400 steps "
                         "to MSE 0.01, 128 test trials and starts (flags given with it are kept)")
    save_results: str = option(None, "write the results as JSON to this path", output_file)
    save_params: str = option(None, "write the trained weights of every network (K, ...) and the config as "
                              ".npz; read back with rnn_numpy.experiment.load_params", output_file)


QUICK = {"networks": 3, "hidden": 16, "lr": 0.01, "target_loss": 0.01, "max_steps": 400, "test_trials": 128,
         "starts": 128}


def resolve(cfg):
    """The settings a run uses (--quick: QUICK for every setting left at its default)."""
    return with_quick_settings(cfg, QUICK)


def check(cfg):
    problems = at_least_one(cfg, ("bits", "networks", "hidden", "length", "batch", "test_trials", "starts"))
    if cfg.bits > 8:
        problems.append(f"--bits must be at most 8 (2^bits memories; got {cfg.bits})")
    if not 0 < cfg.pulse_prob <= 1:
        problems.append(f"--pulse-prob must be in (0, 1] (got {cfg.pulse_prob})")
    for name in ("lr", "clip", "target_loss"):
        if not getattr(cfg, name) > 0:
            problems.append(f"--{name.replace('_', '-')} must be positive (got {getattr(cfg, name)})")
    if cfg.start_noise < 0:
        problems.append(f"--start-noise must be at least 0 (got {cfg.start_noise})")
    return problems


# --- the task -----------------------------------------------------------------------------------

def make_trials(rng, n, length, bits, pulse_prob):
    """n trials of the flip-flop, time-major: inputs x (length, n, bits) with a +1 or -1
    pulse (equally likely) on each channel at each step with probability pulse_prob, else 0;
    targets (length, n, bits): the sign of the last pulse on that channel up to and including
    step t, 0 before the channel's first pulse."""
    pulse = rng.random((length, n, bits)) < pulse_prob
    sign = np.where(rng.random((length, n, bits)) < 0.5, -1.0, 1.0)
    x = np.where(pulse, sign, 0.0)
    return x, hold_last_pulse(x)


def hold_last_pulse(x):
    """target_t = x_s for the last s <= t with x_s != 0 (0 if there is none), per channel."""
    steps = np.arange(x.shape[0]).reshape(-1, *([1] * (x.ndim - 1)))
    last = np.maximum.accumulate(np.where(x != 0, steps, -1), axis=0)  # index of the last pulse, -1: none yet
    return np.where(last >= 0, np.take_along_axis(x, np.maximum(last, 0), axis=0), 0.0)


def fixed_set(seed, cfg, length):
    """Held-out trials shared by every network: x, target of shape (length, 1, n, bits)."""
    x, target = make_trials(np.random.default_rng(seed), cfg.test_trials, length, cfg.bits, cfg.pulse_prob)
    return x[:, None], target[:, None]


def batch_maker(cfg, seeds):
    """make_batch(step) for task_rnn.train: each network draws from its own stream."""
    streams = [np.random.default_rng([s, TRAIN_KEY]) for s in seeds]

    def make_batch(step):
        trials = [make_trials(rng, cfg.batch, cfg.length, cfg.bits, cfg.pulse_prob) for rng in streams]
        x = np.stack([xt[0] for xt in trials], axis=1)  # (T, K, B, bits)
        target = np.stack([xt[1] for xt in trials], axis=1)
        return x, target, None

    return make_batch


# --- training -----------------------------------------------------------------------------------

def train(cfg, callback=None, verbose=True):
    """Train cfg.networks networks as one population; returns (params (K, ...), history)."""
    cfg = resolve(cfg)
    seeds = [cfg.seed + k for k in range(cfg.networks)]
    params = task_rnn.init_params(seeds, cfg.bits, cfg.hidden, cfg.bits)
    x, target = fixed_set(VALIDATION_SEED, cfg, cfg.length)
    history = task_rnn.train(params, batch_maker(cfg, seeds), (x, target, None), lr=cfg.lr,
                             max_steps=cfg.max_steps, target_loss=cfg.target_loss, clip=cfg.clip,
                             callback=callback, verbose=verbose, label="training")
    return params, history


# --- evaluation ---------------------------------------------------------------------------------

def behaviour(params, x, target):
    """Per network (K,): MSE, bit accuracy (sign of the output = the remembered bit, over
    the steps where a bit is set) and the mean |output| before a channel's first pulse."""
    y, _ = task_rnn.run(params, x)  # (T, K, n, bits)
    target = np.broadcast_to(target, y.shape)
    mse = np.mean((y - target) ** 2, axis=(0, 2, 3))
    is_set = target != 0
    correct = (np.sign(y) == target) & is_set
    accuracy = correct.sum(axis=(0, 2, 3)) / is_set.sum(axis=(0, 2, 3))
    unset = ~is_set
    before_first = np.where(unset, np.abs(y), 0).sum(axis=(0, 2, 3)) / np.maximum(unset.sum(axis=(0, 2, 3)), 1)
    return {"mse": mse, "accuracy": accuracy, "unset_output": before_first}


def baselines(x, target):
    """What rules without memory get on the same trials: always 0 (MSE), and the memoryless
    rule "the sign of the current pulse, else +1" (accuracy; a coin flip gets 0.5)."""
    is_set = target != 0
    guess = np.where(x != 0, x, 1.0)
    return {"zero_output_mse": float(np.mean(target ** 2)),
            "memoryless_accuracy": float(((guess == target) & is_set).sum() / is_set.sum())}


def start_states(cfg, h):
    """Starting states for the fixed-point search: states visited on held-out trials plus
    Gaussian noise. h (T, n, H) -> (starts, H)."""
    return task_rnn.start_states(h, cfg.starts, cfg.start_noise, START_SEED)


def analyse_fixed_points(params, cfg, h, k):
    """Fixed points of network k at zero input, with each point's readout and whether it is
    a corner of the output cube. h: its held-out states (T, n, H)."""
    net = task_rnn.network(params, k)
    start = time.perf_counter()
    found = fixed_points.find(net, np.zeros(cfg.bits), start_states(cfg, h))
    seconds = time.perf_counter() - start
    stable = np.all(np.abs(found["eigenvalues"]) < 1 - STABLE_SLACK, axis=1)
    readout = found["h"] @ net["W_hy"].T + net["b_y"]  # (N, bits)
    corner = np.all(np.abs(np.abs(readout) - 1) < CORNER_TOLERANCE, axis=1)
    corners_seen = {tuple(np.sign(r).astype(int)) for r in readout[stable & corner]}
    return {"found": found, "stable": stable, "readout": readout, "corner": corner,
            "n_stable": int(stable.sum()), "n_stable_corners": int((stable & corner).sum()),
            "corners_covered": len(corners_seen), "n_saddles_1": int(np.sum(found["n_unstable"] == 1)),
            "n_points": len(stable), "n_slow": int(np.sum(found["slow"])), "finder_seconds": seconds,
            "by_unstable": np.bincount(found["n_unstable"], minlength=cfg.bits + 1).tolist(),
            "max_q": float(found["q"][~found["slow"]].max()) if np.any(~found["slow"]) else None}


def evaluate(params, cfg, history, verbose=True):
    """Behaviour held out and at twice the length, and the fixed points of every network.
    Returns (metrics over the networks that reached the target, per_seed rows, the fixed-point
    analysis of each network)."""
    cfg = resolve(cfg)
    x, target = fixed_set(TEST_SEED, cfg, cfg.length)
    x2, target2 = fixed_set(TEST_SEED + 1, cfg, 2 * cfg.length)
    held, ood = behaviour(params, x, target), behaviour(params, x2, target2)
    _, h = task_rnn.run(params, x)  # (T, K, n, H)
    K, n_corners = params["W_hh"].shape[0], 2 ** cfg.bits
    progress = Progress("fixed points", K) if verbose else None
    per_seed, analyses = [], []
    for k in range(K):
        fp = analyse_fixed_points(params, cfg, h[:, k], k)
        analyses.append(fp)
        per_seed.append({"seed": cfg.seed + k, "reached_target": bool(history["stopped_at"][k] >= 0),
                         "stopped_at": int(history["stopped_at"][k]), "final_loss": float(history["final_loss"][k]),
                         "mse": float(held["mse"][k]), "accuracy": float(held["accuracy"][k]),
                         "unset_output": float(held["unset_output"][k]),
                         "mse_2x": float(ood["mse"][k]), "accuracy_2x": float(ood["accuracy"][k]),
                         **{key: fp[key] for key in ("n_points", "n_stable", "n_stable_corners", "corners_covered",
                                                     "n_saddles_1", "n_slow", "by_unstable", "max_q",
                                                     "finder_seconds")},
                         "expected_solution": fp["n_stable"] == n_corners and fp["corners_covered"] == n_corners})
        if progress is not None:
            progress.update(k + 1)
    return summarize(cfg, per_seed, baselines(x[:, 0], target[:, 0])), per_seed, analyses


def lattice_counts(bits):
    """Fixed points of N independent bistable switches, by number of unstable directions k:
    each switch sits at one of its two stable states or at its unstable middle, so there
    are 3^N points, C(N, k) 2^(N - k) of them with k unstable directions (3 bits: 8 stable
    corners, 12 saddles on the edges, 6 on the faces, 1 in the centre)."""
    return [math.comb(bits, k) * 2 ** (bits - k) for k in range(bits + 1)]


def summarize(cfg, per_seed, baseline):
    """Means and spreads over the networks that reached the target loss (over all of them
    when none did, as in a --quick run)."""
    reached = [s for s in per_seed if s["reached_target"]] or per_seed

    def spread(key, rows):
        return task_rnn.spread([s[key] for s in rows])

    return {"networks": len(per_seed), "reached_target": sum(s["reached_target"] for s in per_seed),
            "summarized": "networks that reached the target" if reached[0]["reached_target"] else "all networks",
            "summarized_count": len(reached), "corners": 2 ** cfg.bits,
            "accuracy": spread("accuracy", reached), "accuracy_2x": spread("accuracy_2x", reached),
            "mse": spread("mse", reached), "mse_2x": spread("mse_2x", reached),
            "n_stable": spread("n_stable", reached), "n_saddles_1": spread("n_saddles_1", reached),
            "expected_solution": sum(s["expected_solution"] for s in reached),
            "all_corners_stable": sum(s["corners_covered"] == 2 ** cfg.bits for s in reached),
            "full_lattice": sum(s["by_unstable"] == lattice_counts(cfg.bits) for s in reached),
            "max_q": max((s["max_q"] for s in per_seed if s["max_q"] is not None), default=None),
            "steps_to_target": spread("stopped_at", [s for s in reached if s["reached_target"]]),
            "finder_seconds": spread("finder_seconds", per_seed),
            "baseline": baseline}


def print_report(cfg, m):
    n, r, over = m["networks"], m["reached_target"], m["summarized_count"]
    print(f"\n{cfg.bits}-bit flip-flop: {n} networks of {cfg.hidden} tanh units, {r} reached MSE {cfg.target_loss:g}"
          f"; mean +- sd over the {m['summarized']}")
    if m["steps_to_target"] is not None:
        print(f"  steps to the target       {m['steps_to_target']['mean']:.0f} +- {m['steps_to_target']['sd']:.0f}")
    for name, key in (("bit accuracy, held out", "accuracy"), (f"bit accuracy, {2 * cfg.length} steps", "accuracy_2x"),
                      ("MSE, held out", "mse"), (f"MSE, {2 * cfg.length} steps", "mse_2x")):
        s = m[key]
        worst = s["min"] if key.startswith("accuracy") else s["max"]
        print(f"  {name:<26}{s['mean']:.4f} +- {s['sd']:.4f}  (worst {worst:.4f})")
    print(f"  stable fixed points       {m['n_stable']['mean']:.1f} +- {m['n_stable']['sd']:.1f} "
          f"(expected {m['corners']}); saddles with one unstable direction {m['n_saddles_1']['mean']:.1f}")
    print(f"  networks with exactly the {m['corners']} corners as stable points: {m['expected_solution']}/{over}; "
          f"with every corner stable: {m['all_corners_stable']}/{over}")
    print(f"  networks whose fixed points are all 3^{cfg.bits} points of independent switches "
          f"({'/'.join(map(str, lattice_counts(cfg.bits)))} with 0/1/.. unstable directions): {m['full_lattice']}/{over}")
    b = m["baseline"]
    print(f"  baselines: output 0 has MSE {b['zero_output_mse']:.3f}; the memoryless rule has bit accuracy "
          f"{b['memoryless_accuracy']:.3f}")
    if m["max_q"] is not None:
        print(f"  largest residual q of a fixed point: {m['max_q']:.1e}; the search from {cfg.starts} starts took "
              f"{m['finder_seconds']['min']:.2f}-{m['finder_seconds']['max']:.2f} s per network")
    print(f"  Sussillo & Barak: {PAPER['sussillo_barak']}")
    print(f"  Huang et al.: {PAPER['huang']}")


@command
def main(argv=None):
    cfg = resolve(parse_config(Config, __doc__, argv, check))
    start = time.perf_counter()
    params, history = train(cfg)
    metrics, per_seed, _ = evaluate(params, cfg, history)
    print_report(cfg, metrics)
    results = {"problem": SLUG, "config": config_record(cfg), "metrics": metrics,
               "per_seed": per_seed, "history": {"check_steps": history["check_steps"],
                                                 "val_loss_median": np.median(history["val_loss"], axis=1)},
               "paper": PAPER, "wallclock_s": time.perf_counter() - start, "versions": versions()}
    print(f"  ({results['wallclock_s']:.0f} s)")
    write_results(cfg.save_results, results)
    save_params(cfg.save_params, params, results["config"], SLUG)
    check_learned(history["final_loss"], metrics["baseline"]["zero_output_mse"], "the constant output 0",
                  "lower --lr, or train longer (--max-steps)", what="validation MSE", smoke=cfg.quick)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
