"""Benchmark (not a test): python -m rnn_numpy.bench [--repeats N] [--population K]

Prints, for the RNN and the LSTM at a few sizes:
  * the time of one forward + backward pass of a single network;
  * the time of one full training step (forward, readout, MSE, backward, per-network
    clipping, SGD with momentum) for one network, for K networks run one after another,
    and for the same K networks as one population run; and the population speed-up
    = (K separate steps) / (one population step), in float64 and float32.
Each time is the median over repeats, measured in the same process so that ratios are fair.
"""

import argparse
import platform
import time

import numpy as np

from . import lstm, models, optim, readout, rnn

SIZES = [(5, 20, 30), (25, 32, 64)]  # (T, B, H)
D, O = 5, 3


def median_time(fn, repeats, warmup=3):
    """Median wall time of fn() in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def make_params(cell, rng, H, population, dtype):
    core = (rnn if cell == "rnn" else lstm).init_params(rng, D, H, population)
    params = {**core, **readout.init_params(rng, H, O, population)}
    return {k: v.astype(dtype) for k, v in params.items()}


def forward_backward(cell, params, x):
    """One forward + backward pass of the recurrent core alone."""
    H = params["W_hh" if cell == "rnn" else "W_h"].shape[-1]
    h0 = np.zeros(x.shape[1:-1] + (H,), dtype=x.dtype)
    if cell == "rnn":
        h, cache = rnn.forward(x, h0, params)
        rnn.backward(np.ones_like(h), cache)
    else:
        h, _, cache = lstm.forward(x, h0, h0, params)
        lstm.backward(np.ones_like(h), cache)


def make_trainer(cell, params, x, target, pop_shape):
    """A closure doing one training step: loss, grads, per-network clip, SGD update."""
    opt = optim.SGD(params, lr=0.01, momentum=0.9)
    loss_and_grads = models.rnn_loss_and_grads if cell == "rnn" else models.lstm_loss_and_grads

    def step():
        _, grads, _, _ = loss_and_grads(params, x, target)
        grads, _ = optim.clip_global_norm(grads, 1.0, pop_shape)
        opt.step(grads)

    return step


def population_speedup(cell, T, B, H, K, dtype, repeats):
    """(time of one step, of K separate steps, of one K-population step)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, K, B, D)).astype(dtype)
    target = rng.standard_normal((T, K, B, O)).astype(dtype)
    singles = [make_trainer(cell, make_params(cell, rng, H, (), dtype), x[:, k], target[:, k], ())
               for k in range(K)]
    together = make_trainer(cell, make_params(cell, rng, H, (K,), dtype), x, target, (K,))
    one = median_time(singles[0], repeats)

    def run_separately():
        for step in singles:
            step()

    return one, median_time(run_separately, max(3, repeats // K)), median_time(together, repeats)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=200, help="timed repetitions per measurement (median)")
    ap.add_argument("--population", type=int, default=16, help="K, networks in the population run")
    args = ap.parse_args(argv)
    if args.repeats < 1 or args.population < 1:
        ap.error("--repeats and --population must be positive")
    K = args.population
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print("\none forward + backward of the recurrent core, one network (float64)")
    print(f"{'cell':<5} {'T':>3} {'B':>3} {'H':>3} {'time':>10}")
    for cell in ("rnn", "lstm"):
        for T, B, H in SIZES:
            rng = np.random.default_rng(0)
            params = make_params(cell, rng, H, (), np.float64)
            x = rng.standard_normal((T, B, D))
            t = median_time(lambda: forward_backward(cell, params, x), args.repeats)
            print(f"{cell:<5} {T:>3} {B:>3} {H:>3} {t * 1e6:>8.0f} us")

    print(f"\none training step: 1 network, {K} networks one by one, {K} as one population")
    print(f"{'cell':<5} {'dtype':<8} {'T':>3} {'B':>3} {'H':>3} {'one':>9} {f'{K} separate':>12} "
          f"{f'population {K}':>14} {'pop/one':>8} {'speed-up':>9}")
    for cell in ("rnn", "lstm"):
        for T, B, H in SIZES:
            for dtype in (np.float64, np.float32):
                one, separate, together = population_speedup(cell, T, B, H, K, dtype, args.repeats)
                print(f"{cell:<5} {np.dtype(dtype).name:<8} {T:>3} {B:>3} {H:>3} {one * 1e6:>7.0f}us "
                      f"{separate * 1e6:>10.0f}us {together * 1e6:>12.0f}us {together / one:>7.1f}x "
                      f"{separate / together:>8.1f}x")
    print("\npop/one: population step time over one network's step (5x or less is the target for "
          "T=5, B=20, H=30).\nspeed-up: K separate steps over one population step.")


if __name__ == "__main__":
    main()
