"""Huang, Singh, Martinelli & Rajan (2025), "Measuring and Controlling Solution Degeneracy
across Task-Trained Recurrent Neural Networks", NeurIPS (arXiv:2410.03972).
Demonstrates: networks trained from different seeds to the same loss on the same task differ
at three levels (behaviour, dynamics, weights), and four factors move those differences:
task complexity, learning regime (feature-learning strength), network size, regularization.
Equations, levels, deviations: see solution_degeneracy.md.

    python problems/solution_degeneracy.py --workers 2     # the default sweep: 4 tasks x 4 factors
                                                           # x 3 levels, 10 seeds each (36 conditions)
    python problems/solution_degeneracy.py --tasks flip_flop --factors size
    python problems/solution_degeneracy.py --scheduler tcp://10.0.0.5:8786   # a running Dask cluster
    python problems/solution_degeneracy.py --workers 2 --save-results results/sd.json   # the findings as JSON
    python problems/solution_degeneracy.py --quick         # a seconds-long smoke run

The four tasks are those of their own scripts (flip_flop.py, sine_wave.py,
delayed_discrimination.py, path_integration.py), whose trial generators this script imports;
"complexity" runs c independent copies of a task side by side in one network.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # measured: a 2nd BLAS thread only slows small nets

import pathlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402

import numpy as np  # noqa: E402

import _degeneracy_study as study  # noqa: E402
import _task_rnn as task_rnn  # noqa: E402
import delayed_discrimination as dd  # noqa: E402
import flip_flop as ff  # noqa: E402
import path_integration as pi  # noqa: E402
import sine_wave as sw  # noqa: E402
from rnn_numpy import degeneracy, losses, sweep  # noqa: E402
from rnn_numpy.experiment import (command, config_record, non_negative_int, option,  # noqa: E402
                                  output_file, parse_config, save_params, scratch_dir, versions, write_results)

SLUG = "solution_degeneracy"
ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAIN_KEY = 1  # network k's training trials: default_rng([seed_k, TRAIN_KEY]) (its weights: task_rnn.INIT_KEY)
VALIDATION_SEED, TEST_SEED, OOD_SEED, DSA_SEED = 10_001, 20_002, 30_003, 40_004  # shared by every network

# --- the factors and their levels --------------------------------------------------------------
# Each factor is varied around one reference network (the middle column below); the other
# three factors stay at the reference. Scaled from the paper to train on two cores (see .md):
#     complexity       c independent copies of the task in one network (inputs and outputs side by side)
#     regime           gamma, the feature-learning strength: y = (W_hy h + b_y) / gamma. Adam's
#                      steps do not depend on the gradient's scale, so at one learning rate the
#                      weights move about as fast whatever gamma; the outputs they make shrink
#                      by 1/gamma, so reaching the same loss takes weights that move further
#                      from their start as gamma grows (richer learning; tested), and less far
#                      as it shrinks (lazier)
#     size             hidden units H
#     regularization   lambda of a penalty lambda * sum_ij W_hh,ij^2 on the recurrent weights
LEVELS = {
    "complexity": (1, 2, 3),
    "regime": (0.5, 1.0, 2.0),
    "size": (16, 32, 64),
    "regularization": (0.0, 1e-4, 1e-3),
}
REFERENCE = {"complexity": 2, "regime": 1.0, "size": 32, "regularization": 0.0}
FACTORS = tuple(LEVELS)
MEASURES = ("behaviour", "dynamics", "weights")

# The paper's directional findings (its abstract): as the factor grows, degeneracy at each
# level goes "down", "up", or "mixed" (no single direction).
PAPER_DIRECTION = {
    "complexity": {"behaviour": "mixed", "dynamics": "down", "weights": "up"},
    "regime": {"behaviour": "mixed", "dynamics": "down", "weights": "up"},
    "size": {"behaviour": "down", "dynamics": "down", "weights": "down"},
    "regularization": {"behaviour": "down", "dynamics": "down", "weights": "down"},
}
PAPER = {
    "networks": "3,400 RNNs on four tasks (flip-flop, sine wave, delayed discrimination, path integration)",
    "findings": "higher task complexity and stronger feature learning reduce degeneracy in neural dynamics "
                "and increase it in weight space, with mixed effects on behaviour; larger networks and "
                "structural regularization reduce it at all three levels (the contravariance principle)",
}

# --- the four tasks (one copy; `complexity` stacks c of them) -----------------------------------
# steps: the most Adam steps before a network counts as not reaching the target;
# target: equal-loss stopping at this validation MSE. Huang et al.'s thresholds, as the task
# scripts record them: flip-flop 1e-3, sine 0.05, delayed discrimination 0.01, path integration
# 0.05; the last two are raised here (0.05, 0.2) so that networks with two copies of the task
# reach them within the steps two cores can afford (measured, see solution_degeneracy.md).
TASKS = {
    "flip_flop": {"length": 40, "batch": 32, "lr": 3e-3, "target": 1e-3, "steps": 6000},
    "sine_wave": {"length": 30, "batch": 32, "lr": 3e-3, "target": 0.05, "steps": 6000},
    "delayed_discrimination": {"length": None, "batch": 64, "lr": 3e-3, "target": 0.05, "steps": 20000},
    "path_integration": {"length": 20, "batch": 32, "lr": 2e-3, "target": 0.2, "steps": 8000},
}
TEST_TRIALS = 64  # in-distribution trials whose hidden states the dynamics measures compare
OOD_TRIALS = 256  # out-of-distribution trials for the behaviour measure
DSA = {"n_delays": 2, "rank": 10, "n_restarts": 4, "max_steps": 300}  # dsa_distance settings (all tasks)
MEASURES_VERSION = 3  # in every condition: files of a sweep that measured less are not reused
# (2: W - W(0) added; 3: the untrained baseline measured in the condition's own run)
CLIP = 1.0  # per-network global-norm clip of the training loss's gradient (as the task scripts)
DD_CONFIG = dd.Config()  # the delayed discrimination's timing: delays 5-20 steps, pulses of 1, decisions of 5
PI_CONFIG = replace(pi.resolve(pi.Config(readout="position", dtype="float64")),
                    length=TASKS["path_integration"]["length"])  # walks of 20 steps of 20 ms in a 2.2 m box


@dataclass
class Config:
    tasks: str = option("all", "comma-separated tasks, or all: " + ", ".join(TASKS), str)
    factors: str = option("all", "comma-separated factors, or all: " + ", ".join(FACTORS), str)
    networks: int = option(10, "seeds per condition, trained together as one population (at least 3)")
    seed: int = option(0, "first seed: network k of every condition uses seed + k", non_negative_int)
    workers: int = sweep.workers_field("", "conditions")
    scheduler: str = sweep.scheduler_field("", "conditions")
    sweep_dir: str = sweep.sweep_dir_field("", "conditions", "results/solution_degeneracy/sweep")
    quick: bool = option(False, "a seconds-long smoke run: 3 networks, the flip-flop only, at most 600 steps to "
                         "MSE 0.05, small measures (flags given with it are kept)")
    save_results: str = option(None, "write the results (every condition and the findings table) as JSON "
                               "to this path", output_file)
    save_params: str = option(None, "after the sweep, train each task's reference condition again (the same "
                              "weights: training is deterministic) and write its networks' weights as .npz, "
                              "keys <task>.<name>; read back with rnn_numpy.experiment.load_params", output_file)


QUICK = {"networks": 3, "tasks": "flip_flop"}
QUICK_TRAINING = {"steps": 600, "target": 0.05}


def resolve(cfg):
    """The settings a run uses (--quick: QUICK for every setting left at its default)."""
    if not cfg.quick:
        return cfg
    defaults = Config()
    return replace(cfg, **{k: v for k, v in QUICK.items() if getattr(cfg, k) == getattr(defaults, k)})


def chosen(text, known, what):
    """The names of a comma-separated list ('all': every known one); unknown names raise ValueError."""
    names = list(known) if text == "all" else [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"unknown {what} {', '.join(unknown) or '(none given)'}; choose from {', '.join(known)} "
                         "or all")
    return names


def check(cfg):
    """The usage problems of a config (an empty list when it can run)."""
    problems = []
    for text, known, what in ((cfg.tasks, TASKS, "--tasks"), (cfg.factors, FACTORS, "--factors")):
        try:
            chosen(text, known, what)
        except ValueError as err:
            problems.append(str(err))
    if cfg.networks < 3:
        problems.append(f"--networks must be at least 3 (a spread needs several seeds; got {cfg.networks})")
    return problems + sweep.sweep_problems(cfg, dir_needs_executor=False)  # a serial run keeps its folder too


# --- trials: c copies of a task side by side --------------------------------------------------
# Every generator returns (x (T, n, c D), target (T, n, c O), mask (T, n) or None): channel
# block j holds copy j, drawn independently of the others.

def side_by_side(copies):
    """Copies [(x, target, mask), ...] -> one trial set, features concatenated; a step is scored
    while any copy scores it (a copy whose trial ended must then hold its output at 0)."""
    xs, targets, masks = zip(*copies)
    mask = None if masks[0] is None else np.max(np.stack(masks), axis=0)
    return np.concatenate(xs, axis=-1), np.concatenate(targets, axis=-1), mask


def flip_flop_trials(rng, n, c, ood=False, training=False):
    """c bits of the flip-flop (flip_flop.make_trials); OOD: trials twice as long."""
    length = TASKS["flip_flop"]["length"] * (2 if ood else 1)
    x, target = ff.make_trials(rng, n, length, c, ff.Config.pulse_prob)
    return x, target, None


def sine_trials(rng, n, c, ood=False, training=False):
    """c sine waves at once (sine_wave.make_trials), each channel's level drawn from the
    trained levels; OOD: the same levels held twice as long."""
    length = TASKS["sine_wave"]["length"] * (2 if ood else 1)
    trained = sw.LEVEL[sw.TRAINED]
    copies = []
    for _ in range(c):
        x, target = sw.make_trials(rng.choice(trained, n), length)  # (T, 1, n, 1) each
        copies.append((x[:, 0], target[:, 0], None))
    return side_by_side(copies)


def delayed_discrimination_trials(rng, n, c, ood=False, training=False):
    """c independent comparisons (delayed_discrimination.make_trials; training pairs keep the
    task's margin, test pairs do not); OOD: both ends of the delay range doubled."""
    delays = dd.doubled(DD_CONFIG) if ood else None
    margin = DD_CONFIG.margin if training else 0.0
    copies = [dd.make_trials(rng, n, DD_CONFIG, margin, delays)[:3] for _ in range(c)]
    return side_by_side(copies)


def path_integration_trials(rng, n, c, ood=False, training=False):
    """c agents walking at once (path_integration.make_trials, position read-out scale): each
    agent's input is its velocity at every step plus its start position on step 0, its target
    its position; OOD: walks twice as long. All c n walks come from one call."""
    length = PI_CONFIG.length * (2 if ood else 1)
    velocity, start, target, _ = pi.make_trials(PI_CONFIG, rng, c * n, length, None)  # (T, c n, 2), (c n, 2), ...
    cue = np.zeros_like(velocity)
    cue[0] = start  # the start position, shown once
    x = np.concatenate([velocity, cue], axis=-1)  # (T, c n, 4)
    copies = [(x[:, j * n:(j + 1) * n], target[:, j * n:(j + 1) * n], None) for j in range(c)]
    return side_by_side(copies)


class WalkBank:
    """Path integration's training walks, drawn once per network: `size` trials of c agents
    from the network's stream, from which every step takes `batch` at random. Simulating the
    walks step by step in Python costs more than training on them: for 10 networks, 2 agents,
    32 trials, fresh walks take 10-12 ms a step and a draw from the bank 0.6-1.2 ms (two runs) (the command is
    in solution_degeneracy.md, deviation 6)."""

    def __init__(self, rng, c, size=4096):
        self.rng = rng
        self.x, self.target, _ = path_integration_trials(rng, size, c)  # (T, size, 4 c), (T, size, 2 c)

    def draw(self, n):
        pick = self.rng.integers(len(self.x[0]), size=n)
        return self.x[:, pick], self.target[:, pick], None


TRIALS = {"flip_flop": flip_flop_trials, "sine_wave": sine_trials,
          "delayed_discrimination": delayed_discrimination_trials, "path_integration": path_integration_trials}


def fixed_trials(task, seed, n, c, ood=False, training=False):
    """Trials shared by every network of a condition, population axis of size 1:
    x (T, 1, n, D), target (T, 1, n, O), mask (T, n) or None. training=True: from the
    training distribution (the stopping test's validation set)."""
    x, target, mask = TRIALS[task](np.random.default_rng(seed), n, c, ood, training)
    return x[:, None], target[:, None], mask


def batch_maker(task, seeds, c, batch):
    """make_batch(step) for task_rnn.train: each network draws from its own stream."""
    streams = [np.random.default_rng([s, TRAIN_KEY]) for s in seeds]
    if task == "path_integration":
        banks = [WalkBank(rng, c) for rng in streams]
        draw = [bank.draw for bank in banks]
    else:
        draw = [lambda n, rng=rng: TRIALS[task](rng, n, c, training=True) for rng in streams]

    def make_batch(step):
        trials = [draw_k(batch) for draw_k in draw]
        x, target, masks = zip(*trials)
        mask = None if masks[0] is None else np.stack(masks, axis=1)  # (T, K, B)
        return np.stack(x, axis=1), np.stack(target, axis=1), mask  # (T, K, B, D), (T, K, B, O)

    return make_batch


# --- the model: the task networks of _task_rnn, with gamma and the weight penalty ---------------

def objective(gamma, weight_decay):
    """(batch_loss, validation_loss) for task_rnn.train. With y = (W_hy h + b_y) / gamma:
        MSE(y, y*) = MSE(W_hy h + b_y, gamma y*) / gamma^2
    so the loss and gradients are those of the plain network fitting gamma y*, divided by
    gamma^2 (exact, not an approximation). The training loss adds lambda sum W_hh^2
    (dW_hh += 2 lambda W_hh); the validation loss, which decides equal-loss stopping, is the
    MSE alone."""
    def batch_loss(params, batch):
        x, target, mask = batch
        loss, grads = task_rnn.loss_and_grads(params, x, gamma * target, mask)
        loss = loss / gamma**2 + weight_decay * np.square(params["W_hh"]).sum(axis=(1, 2))  # (K,)
        grads = {name: g / gamma**2 for name, g in grads.items()}
        grads["W_hh"] = grads["W_hh"] + 2 * weight_decay * params["W_hh"]  # (K, H, H)
        return loss, grads

    def validation_loss(params, batch):
        x, target, mask = batch
        return task_rnn.validation_loss(params, (x, gamma * target, mask)) / gamma**2  # (K,)

    return batch_loss, validation_loss


def outputs(params, x, gamma):
    """The networks' outputs y = (W_hy h + b_y) / gamma (T, K, B, O) and states h (T, K, B, H)."""
    y, h = task_rnn.run(params, x)
    return y / gamma, h


def levels_of(condition):
    """(c, gamma, H, lambda) of a condition."""
    return condition["complexity"], condition["regime"], condition["size"], condition["regularization"]


def train_condition(condition, callback=None, verbose=False):
    """Train the condition's networks to the task's target loss; returns (params, history)."""
    task, spec = condition["task"], condition["training"]  # the task's TASKS entry
    c, gamma, H, weight_decay = levels_of(condition)
    seeds = [condition["seed"] + k for k in range(condition["networks"])]
    x, target, mask = fixed_trials(task, VALIDATION_SEED, 256, c, training=True)
    params = task_rnn.init_params(seeds, x.shape[-1], H, target.shape[-1])
    history = task_rnn.train(params, batch_maker(task, seeds, c, spec["batch"]), (x, target, mask),
                             lr=spec["lr"], max_steps=spec["steps"], target_loss=spec["target"], clip=CLIP,
                             objective=objective(gamma, weight_decay), callback=callback, verbose=verbose,
                             label=condition["name"])
    return params, history


# --- one condition: train, then the three measures --------------------------------------------

def measure(params, condition, measured):
    """The three levels of degeneracy among the networks marked in measured (K,) bool (those
    that reached the target).
    behaviour: per-network OOD MSE -> its SD across networks (degeneracy.behaviour_degeneracy);
    dynamics:  DSA distance between every pair's hidden states on shared test trials;
    weights:   permutation-invariant distance between every pair's weights (W_hh, W_xh, W_hy);
    plus the shape metric beside DSA, the same weight distance between what training added
    (W - W(0)), and how far each network's W_hh moved. Returns (OOD error (K,), the (k, k)
    matrices, moved (k,))."""
    task, (c, gamma, _, _) = condition["task"], levels_of(condition)
    keep = np.flatnonzero(measured)
    x_ood, target_ood, mask_ood = fixed_trials(task, OOD_SEED, OOD_TRIALS, c, ood=True)
    y_ood, _ = outputs(params, x_ood, gamma)
    ood_error = losses.mse(y_ood, target_ood, mask_ood)[0]  # (K,)
    x_test, _, _ = fixed_trials(task, TEST_SEED, TEST_TRIALS if not condition.get("quick") else 16, c)
    _, h = outputs(params, x_test, gamma)  # (T, K, B, H)
    states = [h[:, k] for k in keep]  # each (T, B, H)
    nets = [task_rnn.network(params, k) for k in keep]
    initial = task_rnn.init_params([condition["seed"] + k for k in range(condition["networks"])],
                                   x_test.shape[-1], params["W_hh"].shape[-1], params["W_hy"].shape[-2])
    changes = [{name: params[name][k] - initial[name][k] for name in params} for k in keep]  # W - W(0)
    rng = np.random.default_rng(DSA_SEED)
    dsa = {**DSA, "rank": 4} if condition.get("quick") else DSA  # a smoke run's 16 trials: a smaller model
    matrices = {
        "dynamics": degeneracy.pairwise(states, lambda X, Y: degeneracy.dsa_distance(X, Y, rng=rng, **dsa)),
        "shape": degeneracy.pairwise(states, degeneracy.shape_distance),
        "weights": degeneracy.pairwise(nets, weight_distance),
        "weight_changes": degeneracy.pairwise(changes, weight_distance),  # what training added, matched alike
    }
    moved = np.linalg.norm((params["W_hh"] - initial["W_hh"])[keep], axis=(1, 2)) / np.linalg.norm(
        initial["W_hh"][keep], axis=(1, 2))  # |W_hh - W_hh(0)| / |W_hh(0)| per network
    return ood_error, matrices, moved


def weight_distance(a, b):
    """degeneracy.weight_distance of two networks' weight dicts, units matched on W_hh, W_xh, W_hy."""
    return degeneracy.weight_distance(a["W_hh"], b["W_hh"], a["W_xh"], b["W_xh"], a["W_hy"], b["W_hy"])


def run_condition(condition):
    """One condition of the sweep (module-level, so that Dask workers can run it): train the
    population, measure it, and return a JSON-able record."""
    start = time.perf_counter()
    params, history = train_condition(condition)
    reached = history["stopped_at"] >= 0
    measured = reached if not condition.get("quick") else np.ones_like(reached)  # a smoke run measures all
    record = {"stopped_at": history["stopped_at"].tolist(), "final_loss": history["final_loss"].tolist(),
              "train_seconds": history["seconds"], "reached": int(reached.sum())}
    if measured.sum() >= 3:
        ood_error, matrices, moved = measure(params, condition, measured)
        record["ood_error"] = ood_error.tolist()
        record["weights_moved"] = moved.tolist()  # per measured network
        record["matrices"] = {name: D.tolist() for name, D in matrices.items()}
        record.update(study.degeneracy_levels(ood_error[measured], matrices))
    record["weights_untrained"] = untrained_weight_degeneracy(condition, record)  # about 1 s
    record["seconds"] = time.perf_counter() - start
    return record


def untrained_weight_degeneracy(condition, record):
    """The weights level's honest baseline: the same distance between the same networks before
    training (their initial weights, from their seeds), over the networks the record measured.
    Returns {"value", "se"} or None when the condition was not measured."""
    if "weights" not in record:
        return None
    c, _, H, _ = levels_of(condition)
    x, target, _ = fixed_trials(condition["task"], VALIDATION_SEED, 1, c)
    seeds = [condition["seed"] + k for k in range(condition["networks"])]
    initial = task_rnn.init_params(seeds, x.shape[-1], H, target.shape[-1])
    measured = range(len(seeds)) if condition.get("quick") else np.flatnonzero(np.array(record["stopped_at"]) >= 0)
    nets = [task_rnn.network(initial, k) for k in measured]
    return study.pairwise_level(degeneracy.pairwise(nets, weight_distance))


# --- the sweep ----------------------------------------------------------------------------------

def condition_for(task, levels, cfg):
    """The condition of one task at the given factor levels (the reference where not given)."""
    values = {**REFERENCE, **levels}
    changed = [f"{name}={values[name]:g}" for name in FACTORS if values[name] != REFERENCE[name]]
    name = f"{task}-" + ("-".join(changed) if changed else "reference")
    training = {**TASKS[task], **(QUICK_TRAINING if cfg.quick else {})}  # in the condition: a changed setting
    return {"name": name, "task": task, **values, "networks": cfg.networks, "seed": cfg.seed,  # is a new condition
            "quick": bool(cfg.quick), "training": training, "measures": MEASURES_VERSION}


def conditions_for(cfg):
    """Every condition the sweep needs: per task, the reference and each factor's other levels
    (the reference is each factor's middle or first level, shared, trained once)."""
    cfg = resolve(cfg)
    conditions = []
    for task in chosen(cfg.tasks, TASKS, "--tasks"):
        conditions.append(condition_for(task, {}, cfg))
        for factor in chosen(cfg.factors, FACTORS, "--factors"):
            conditions += [condition_for(task, {factor: level}, cfg) for level in LEVELS[factor]
                           if level != REFERENCE[factor]]
    return conditions


def training_cost(condition):
    """A rough guess of a condition's running time, for the sweep's longest-first order: the
    step cap times the copies (delayed discrimination's 20,000-step cap makes its conditions the
    longest; in the committed two-worker sweep they took 18-258 s, the others' 14-63 s)."""
    return condition["training"]["steps"] * condition["complexity"]


def reference_params(cfg):
    """The weights of every chosen task's reference networks, {"<task>.<name>": (K, ...)}."""
    cfg = resolve(cfg)
    params = {}
    for task in chosen(cfg.tasks, TASKS, "--tasks"):
        trained, _ = train_condition(condition_for(task, {}, cfg))
        params.update({f"{task}.{name}": w for name, w in trained.items()})
    return params


def run(cfg):
    """The whole study: the sweep, then the findings table. Returns the results dict."""
    cfg = resolve(cfg)
    start = time.perf_counter()
    conditions = conditions_for(cfg)
    out_dir = sweep.sweep_folder(cfg.sweep_dir, cfg.quick, scratch_dir(ROOT, SLUG) / "sweep", SLUG)
    print(f"{len(conditions)} conditions x {cfg.networks} networks -> {out_dir}")
    records = sweep.run_sweep(conditions, run_condition, out_dir, workers=cfg.workers, scheduler=cfg.scheduler,
                              cost=training_cost)
    rows = study.level_rows(conditions, records, LEVELS, REFERENCE)
    findings = study.findings(rows, LEVELS, PAPER_DIRECTION)
    return {"problem": SLUG, "config": config_record(cfg),
            "levels": LEVELS, "reference": REFERENCE, "tasks": TASKS, "dsa": DSA, "paper": PAPER,
            "paper_direction": PAPER_DIRECTION,
            "conditions": [{"condition": c, "result": r} for c, r in zip(conditions, records)],
            "rows": rows, "findings": findings, "metrics": study.summary(findings),
            "per_seed": study.per_seed(conditions, records),
            "wallclock_s": time.perf_counter() - start, "versions": versions()}


@command
def main(argv=None):
    cfg = parse_config(Config, __doc__, argv, check)
    results = run(cfg)
    study.print_report(results)
    write_results(cfg.save_results, results)
    if cfg.save_params:
        save_params(cfg.save_params, reference_params(cfg), results["config"], SLUG)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
