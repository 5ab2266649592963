"""Task-trained vanilla RNNs, the model of the neuroscience problems (flip_flop, sine_wave
and what builds on them): a population of networks, one per seed, trained together with
Adam, each one stopping when its loss reaches a target (equal-loss stopping, the protocol
of Huang et al. 2025, so that networks compared later have learned the task equally well).

Model, for every network (its own weights; time-major shapes with the population axis K):
    h_t = (1 - a) h_{t-1} + a tanh(W_xh x_t + W_hh h_{t-1} + b_h),   h_0 = 0
    y_t = W_hy h_t + b_y
    loss = mean over scored steps, trials and outputs of (y_t - target_t)^2
    a = leak: 1 is the discrete-time Elman RNN; a = dt / tau < 1 the Euler step of a
    continuous-time RNN.
Initialization: every weight and bias U(-1/sqrt(H), 1/sqrt(H)) (Huang et al.'s choice;
also PyTorch's default for nn.RNN), drawn from the network's own seed.

Network k depends only on its own seed: its weights come from default_rng([seed, INIT_KEY])
and the task scripts draw its training trials from its own stream too, so network k of a
population of seeds s..s+K-1 computes what seed s+k computes alone, up to rounding: the
stacked matrix products of a population round differently from single ones (about 1e-16).
Training can amplify that difference once the dynamics are chaotic or oscillate: the tests
compare 30-40 steps (to 1e-10); over thousands of steps a sine_wave network alone and in a
population stopped 225 steps apart.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from rnn_numpy import losses, models, optim, readout, rnn
from rnn_numpy.experiment import Progress, check_finite

KEYS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
INIT_KEY = 11  # second word of a network's initialization seed (its trials use other keys)


def init_params(seeds, D, H, O):
    """Weights of len(seeds) networks, each U(-1/sqrt(H), 1/sqrt(H)) from its own seed:
    W_xh (K, H, D), W_hh (K, H, H), b_h (K, H), W_hy (K, O, H), b_y (K, O)."""
    bound = 1.0 / np.sqrt(H)
    shapes = {"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,), "W_hy": (O, H), "b_y": (O,)}
    nets = []
    for seed in seeds:
        rng = np.random.default_rng([seed, INIT_KEY])
        nets.append({k: rng.uniform(-bound, bound, size=s) for k, s in shapes.items()})
    return {k: np.stack([net[k] for net in nets]) for k in KEYS}


def network(params, k):
    """The weights of network k alone (views, no population axis)."""
    return {name: w[k] for name, w in params.items()}


def run(params, x, leak=1.0):
    """Outputs y (T, K, B, O) and states h (T, K, B, H) of every network on inputs
    x (T, K, B, D) (or (T, 1, B, D), shared), from h_0 = 0."""
    K, H = params["W_hh"].shape[:2]
    h0 = np.zeros((K, x.shape[-2], H))  # (K, B, H)
    h, _ = rnn.forward(x, h0, params, "tanh", leak)
    y, _ = readout.forward(h, params)
    return y, h


def loss_and_grads(params, x, target, mask=None, leak=1.0, activity=0.0):
    """The training loss of every network and its gradients: the MSE, plus, when activity > 0,
    a penalty on the hidden states' size (an activity, or "rate", regularizer):
        loss = MSE + activity * mean_{t,b,i} h_ti^2          (per network)
        dloss/dh_t += 2 activity h_t / (T B H)
    Returns (loss (K,), grads)."""
    if not activity:
        return models.rnn_loss_and_grads(params, x, target, mask, leak=leak)[:2]
    K, H = params["W_hh"].shape[:2]
    h, cache = rnn.forward(x, np.zeros((K, x.shape[-2], H)), params, "tanh", leak)  # (T, K, B, H)
    y, out_cache = readout.forward(h, params)
    mse, dy = losses.mse(y, target, mask)
    dh, grads = readout.backward(dy, out_cache)
    count = h.shape[0] * h.shape[-2] * H  # T B H states per network
    penalty = activity * np.einsum("tkbh,tkbh->k", h, h) / count  # (K,)
    dh += (2.0 * activity / count) * h
    grads.update(rnn.backward(dh, cache, input_grads=False)[2])  # the inputs are data
    return mse + penalty, grads


def prefetched(make_batch):
    """make_batch with the next step's batch made on a second thread while the current step
    trains: make_batch(step + 1) starts as soon as make_batch(step) is handed out. NumPy
    releases the GIL in its array work, so the two can overlap on a 2-core machine
    (path_integration uses it for its walks and place codes). The calls still run one at a
    time and in step order, so the batches are exactly those of make_batch itself (tested)."""
    worker = ThreadPoolExecutor(max_workers=1)
    pending = {}

    def next_batch(step):
        future = pending.pop(step, None) or worker.submit(make_batch, step)
        pending[step + 1] = worker.submit(make_batch, step + 1)
        return future.result()

    return next_batch


def start_states(h, count, noise, seed):
    """Starting states for a fixed-point search: `count` states drawn at random from the
    visited states h (..., H), each plus Gaussian noise of SD `noise`, from
    default_rng(seed). Returns (count, H)."""
    rng = np.random.default_rng(seed)
    flat = h.reshape(-1, h.shape[-1])
    picks = flat[rng.integers(len(flat), size=count)]
    return picks + noise * rng.standard_normal(picks.shape)


def spread(values):
    """mean, sd, min and max of per-network numbers (None when there are none)."""
    values = np.asarray(values, dtype=float)
    if not values.size:
        return None
    return {"mean": float(values.mean()), "sd": float(values.std()), "min": float(values.min()),
            "max": float(values.max())}


def snapshot_recorder():
    """(snapshots, record) for train(callback=record): at every check, record appends
    (step, a copy of the weights); the validation losses of that check are in the history,
    at the same index. The animations draw from these."""
    snapshots = []

    def record(step, params, val_loss):
        snapshots.append((step, {k: v.copy() for k, v in params.items()}))

    return snapshots, record


def validation_loss(params, batch, leak=1.0):
    """MSE of every network on a fixed batch (x, target, loss_mask), (K,); the mask as in
    losses.mse: None, (T, B) or (T, K, B)."""
    x, target, mask = batch
    y, _ = run(params, x, leak)
    return losses.mse(y, target, mask)[0]


def train(params, make_batch, validation, *, lr, max_steps, target_loss, leak=1.0, activity=0.0, clip=None,
          check_every=25, callback=None, label="training", verbose=True, objective=None):
    """Train the population in place with Adam; each network stops when its loss on the
    fixed `validation` batch is at most target_loss (checked every check_every steps).

    make_batch(step) -> (x (T, K, B, D), target (T, K, B, O), loss_mask (T, K, B) or None):
        the step's trials, one set per network.
    clip: per-network global-norm gradient clipping threshold (None: no clipping).
    activity: the weight of the penalty on hidden activity (see loss_and_grads); the stopping
    test uses the MSE alone.
    callback(step, params, val_loss), if given, runs at every check (the GIF's snapshots).
    objective: (loss_and_grads(params, batch) -> (loss (K,), grads), validation_loss(params,
    batch) -> (K,)) for a model other than the one above (path_integration's); batch is what
    make_batch returns, or `validation`. target_loss=None trains every network for max_steps.
    A stopped network gets learning rate 0: its weights stay where they reached the target.
    (Its forward and backward passes still run with the others; dropping it from the
    population would save that work at the price of re-packing every array.)

    Returns a history dict: "check_steps" (n,), "val_loss" (n, K), "stopped_at" (K,)
    (the step count at which each network reached the target; -1: never), "final_loss" (K,)
    (validation loss at the end), "seconds".
    """
    K = params["W_hh"].shape[0]
    if objective is None:
        objective = (lambda p, batch: loss_and_grads(p, *batch, leak, activity),
                     lambda p, batch: validation_loss(p, batch, leak))
    batch_loss, held_out_loss = objective
    target_loss = -np.inf if target_loss is None else target_loss
    active = np.ones(K, dtype=bool)
    stopped_at = np.full(K, -1)
    opt = optim.Adam(params, lr=lr * active)
    history = {"check_steps": [], "val_loss": []}
    progress = Progress(label, max_steps) if verbose else None
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is caught by check_finite instead
        for step in range(max_steps + 1):
            if step % check_every == 0 or step == max_steps:
                val = held_out_loss(params, validation)
                check_finite(val, step, "lower --lr")
                reached = active & (val <= target_loss)
                stopped_at[reached] = step
                active &= ~reached
                opt.lr = lr * active  # (K,): 0 freezes a network that reached the target
                history["check_steps"].append(step)
                history["val_loss"].append(val)
                if callback is not None:
                    callback(step, params, val)
                if progress is not None:
                    at_target = f", {K - active.sum()}/{K} at the target" if np.isfinite(target_loss) else ""
                    progress.update(step, f"loss median {np.median(val):.3e}{at_target}")
            if step == max_steps or not active.any():
                break
            loss, grads = batch_loss(params, make_batch(step))
            check_finite(loss, step + 1, "lower --lr")
            if clip is not None:
                grads, _ = optim.clip_global_norm(grads, clip, (K,))
            opt.step(grads)
    if progress is not None and step < max_steps:
        print(f"  every network reached the target by step {step} ({time.perf_counter() - start:.0f} s)")
    history["check_steps"] = np.array(history["check_steps"])
    history["val_loss"] = np.array(history["val_loss"])
    history["stopped_at"] = stopped_at
    history["final_loss"] = history["val_loss"][-1]
    history["seconds"] = time.perf_counter() - start
    return history
