"""Benchmark (not a test): python -m rnn_numpy.bench [--repeats N] [--population K] [--detail]

Prints issue 14's ratio table, every ratio from two times measured in this one run
(rnn_numpy.speed): the headline's whole process against the plain-NumPy yardstick
(../shared/bench/naive_seqlookup.py, if it is there), with fixed and variable timing, with
Python's bytecode cache as a user's second run has it (fixed timing also without); the
char lab's training step in float64 and float32, for one network and for 16 as one
population, the population's share of the single-thread GEMM peak, and the same step with
two BLAS threads (in fresh processes); 16 RNNs' forward +
backward against one; an LSTM population's step against the same networks one by one; and
PyTorch's char-lab step where PyTorch is installed (one thread each).

With --detail it also prints, for the RNN and the LSTM at a few sizes:
  * the time of one forward + backward pass of a single network;
  * the time of one full training step (forward, readout, MSE, backward, per-network
    clipping, SGD with momentum) for one network, for K networks run one after another,
    and for the same K networks as one population run; and the population speed-up
    = (K separate steps) / (one population step), in float64 and float32.
Each time is the median over repeats, measured in the same process so that ratios are fair.
"""

import argparse
import functools
import platform

import numpy as np

from . import lstm, models, optim, readout, rnn, speed
from ._shapes import outer_sum, transposed
from .speed import median_time, median_times

SIZES = [(5, 20, 30), (25, 32, 64)]  # (T, B, H)
HEADLINE = "problems/sequence_lookup_25.py"  # the headline problem, from the repository root
D, O = 5, 3


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

    return (one, *median_times([run_separately, together], max(3, repeats // K)))


def ratio_rows(K, repeats):
    """Issue 14's table: (work, ours, comparison, ratio) rows, printed as they are measured."""
    peak = {np.float64: speed.gemm_peak(np.float64), np.float32: speed.gemm_peak(np.float32)}
    yield ("single-thread GEMM peak (1024^3)", f"{peak[np.float64] / 1e9:.1f} GFLOP/s float64",
           f"{peak[np.float32] / 1e9:.1f} GFLOP/s float32", "")
    for flags, cached in (([], True), ([], False), (["--variable-timing"], True)):
        ours, yardstick, ratio = speed.process_ratio([HEADLINE, "--seed", "0", *flags],
                                                     [str(speed.YARDSTICK), *flags], repeats=3 if flags else 15,
                                                     bytecode_cache=cached)  # 0.2-0.4 s processes: more repeats
        name = " ".join(["sequence_lookup_25.py --seed 0", *flags]) + ", whole process"
        name += "" if cached else ", no bytecode cache (PYTHONDONTWRITEBYTECODE=1)"
        if yardstick is None:
            yield name, f"{ours:.2f} s", "yardstick not found", ""
        else:
            yield name, f"{ours:.2f} s", f"yardstick {yardstick:.2f} s", f"{ratio:.3f}x the yardstick's"
    T, B, H, V = speed.CHAR_LAB
    dtypes = (np.float64, np.float32)
    steps = {d: speed.char_lab_trainer(0, d) for d in dtypes}
    one = dict(zip(dtypes, median_times([steps[d] for d in dtypes], repeats)))
    yield ("char-lab step, one network (T=25, B=32, H=64, V=27)", f"{one[np.float64] * 1e3:.2f} ms float64",
           f"{one[np.float32] * 1e3:.2f} ms float32", f"float32 {one[np.float64] / one[np.float32]:.2f}x faster")
    for d in dtypes:
        torch_step = speed.torch_char_lab_step(d)
        if torch_step is not None:
            ours, theirs = median_times([steps[d], torch_step], repeats)
            yield (f"same step, PyTorch {np.dtype(d).name} (1 thread)", f"{ours * 1e3:.2f} ms",
                   f"PyTorch {theirs * 1e3:.2f} ms", f"{theirs / ours:.2f}x faster")
    # the population steps and the 1024^3 product in turns: the share of the peak compares
    # two rates measured under the same drift of the machine
    populations = [speed.char_lab_trainer(K, d) for d in dtypes]
    products = [speed.gemm_product(d) for d in dtypes]
    times = median_times(populations + [product for product, _ in products], max(5, repeats // K))
    pop = dict(zip(dtypes, times[:2]))
    gemm_rate = {d: flops / t for d, (_, flops), t in zip(dtypes, products, times[2:])}
    flops = K * speed.char_lab_flops(T, B, H, V)
    for d in dtypes:
        yield (f"same step, {K} networks as a population, {np.dtype(d).name}", f"{pop[d] * 1e3:.1f} ms",
               f"{K} x one: {K * one[d] * 1e3:.1f} ms",
               f"{flops / pop[d] / gemm_rate[d]:.0%} of GEMM peak ({gemm_rate[d] / 1e9:.0f} GFLOP/s in its turns)")
    yield ("population step, float32 over float64", "", "", f"{pop[np.float64] / pop[np.float32]:.2f}x faster")
    one_thread, two_threads = (speed.with_blas_threads(n, K) for n in (1, 2))
    yield (f"same step, {K} networks, float64, 2 BLAS threads", f"{two_threads * 1e3:.1f} ms",
           f"1 thread: {one_thread * 1e3:.1f} ms", f"{one_thread / two_threads:.2f}x faster")
    one, population = rnn_passes(K, repeats=repeats, with_arithmetic=False)
    yield (f"RNN forward+backward, {K} networks (T=5, B=20, H=30)", f"{population * 1e6:.0f} us",
           f"one network {one * 1e6:.0f} us", f"{population / one:.1f}x one")
    _, separate, together = population_speedup("lstm", 25, 32, 64, K, np.float64, max(9, repeats // K))
    yield (f"LSTM training step, {K} networks (T=25, B=32, H=64, float64)", f"population {together * 1e3:.1f} ms",
           f"one by one {separate * 1e3:.1f} ms", f"population {separate / together:.2f}x as fast")


def machine():
    name = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}; python {platform.python_version()}, numpy {np.__version__}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=200, help="timed repetitions per measurement (median)")
    ap.add_argument("--population", type=int, default=16, help="K, networks in the population run")
    ap.add_argument("--detail", action="store_true", help="also the per-size tables of forward+backward and steps")
    ap.add_argument("--gaps", action="store_true",
                    help="only the measurements behind the README's 'What is not met' (a few minutes)")
    args = ap.parse_args(argv)
    if args.repeats < 1 or args.population < 1:
        ap.error("--repeats and --population must be positive")
    K = args.population
    print(machine())
    if args.gaps:
        return gaps(K)
    print("\n| work | this project | comparison | ratio |\n|---|---|---|---|")
    for row in ratio_rows(K, args.repeats):
        print("| " + " | ".join(row) + " |", flush=True)
    if args.detail:
        detail(K, args.repeats)


# one sweep of the headline, through runpy so that the failed-training exit one sweep ends with
# (and its message) does not stop the timing
ONE_SWEEP = ("import contextlib, io, runpy, sys\n"
             f"sys.argv = ['{HEADLINE}', '--seed', '0', '--n-sweeps', '1']\n"
             "sys.path.insert(0, 'problems')\n"
             "with contextlib.suppress(SystemExit), contextlib.redirect_stderr(io.StringIO()):\n"
             "    runpy.run_path(sys.argv[0], run_name='__main__')")


BARE = "import numpy, numpy.random, argparse"
COMPILE_SCRIPT = f"; compile(open('{HEADLINE}').read(), '{HEADLINE}', 'exec')"


def gaps(K, turns=15, processes=6):
    """Where the time goes for the targets the README reports as not met: the headline's
    start-up and loop against the yardstick's, the 16 RNNs' products and tanh alone, the
    char lab's large products in the engine's layout and population-major (product_layouts),
    and the population step's spread over fresh processes."""
    if speed.YARDSTICK.exists():
        commands = [["-c", BARE], ["-c", BARE + COMPILE_SCRIPT], [str(speed.YARDSTICK), "--sweeps", "1"],
                    ["-c", ONE_SWEEP], [str(speed.YARDSTICK)], [HEADLINE, "--seed", "0"]]
        bare, compiled, yard_one, ours_one, yard, ours = speed.whole_processes(commands, repeats=turns)
        print(f"\nheadline, medians of {turns} whole processes in turns (bytecode cache on):")
        print(f"  python + numpy + numpy.random + argparse: {bare * 1e3:.1f} ms; the same and compiling "
              f"our script (which Python does not cache): {compiled * 1e3:.1f} ms ({(compiled - bare) * 1e3:+.1f} ms)")
        print(f"  one sweep: ours {ours_one * 1e3:.1f} ms, yardstick {yard_one * 1e3:.1f} ms "
              f"(ours {(ours_one - yard_one) * 1e3:+.1f} ms)")
        print(f"  the loop beyond one sweep: ours {(ours - ours_one) * 1e3:.1f} ms, yardstick "
              f"{(yard - yard_one) * 1e3:.1f} ms ({(ours - ours_one) / (yard - yard_one):.2f}x)")
        print(f"  whole runs: ours {ours * 1e3:.1f} ms, yardstick {yard * 1e3:.1f} ms ({ours / yard:.2f}x)")
    one, population, arithmetic = rnn_passes(K)
    print(f"\nRNN forward+backward (T=5, B=20, H=30), medians in turns: one network {one * 1e6:.0f} us, "
          f"{K} networks {population * 1e6:.0f} us ({population / one:.1f}x), their products and tanh alone "
          f"{arithmetic * 1e6:.0f} us ({arithmetic / one:.1f}x one)")
    time_major, population_major = product_layouts(K)
    print(f"\nthe char lab's six large products for {K} networks, medians in turns: as the engine makes them "
          f"{time_major * 1e3:.2f} ms; one product per network over all steps {population_major * 1e3:.2f} ms "
          f"({population_major / time_major:.2f}x)")
    print(f"\nthe char lab's {K}-network float64 step and the 1024^3 product, in turns, "
          f"in {processes} fresh processes:")
    code = ("import numpy as np; from rnn_numpy import speed; product, flops = speed.gemm_product(np.float64); "
            f"t = speed.median_times([speed.char_lab_trainer({K}, np.float64), product], 5); "
            f"print(t[0], {K} * speed.char_lab_flops(*speed.CHAR_LAB) / t[0] / (flops / t[1]))")
    for _ in range(processes):
        step, share = speed.fresh_process(code).split()
        print(f"  {float(step) * 1e3:.1f} ms, {float(share):.0%} of the GEMM rate in its turns", flush=True)


def product_layouts(K, repeats=21):
    """Median times, in turns, of the char-lab step's six large matrix products for K
    networks made in the engine's layout and population-major (see layout_products)."""
    return median_times(layout_products(K), repeats)


def layout_products(K, T=25, B=32, H=64, V=27):
    """Two closures making the char-lab step's six large matrix products for K networks
    (the input drive, the readout, its dh, and the three weight gradients), each returning
    the six results. The first makes them as the engine does, on time-major arrays
    (T, K, B, .), the weight gradients one stacked product per step summed over the steps
    in order. The second makes them population-major, (K, T B, .), one product per network
    over all steps, which sums in another order (different last bits); the copies into that
    layout are made once, outside the closure."""
    rng = np.random.default_rng(0)
    dz, h, dy = (rng.standard_normal((T, K, B, n)) for n in (H, H, V))  # time-major
    x = np.eye(V)[rng.integers(V, size=(T, B))][:, None]  # (T, 1, B, V): shared one-hot text
    W_xh_T, W_hy = rng.standard_normal((K, V, H)), rng.standard_normal((K, V, H))
    W_hy_T = transposed(W_hy)

    def time_major():
        return (outer_sum(dz[1:], h[:-1], (K, H, H)), outer_sum(dz, x, (K, H, V)), outer_sum(dy, h, (K, V, H)),
                x @ W_xh_T, h @ W_hy_T, dy @ W_hy)  # the last three (T, K, B, .)

    dz_p, h_p, dy_p = (np.ascontiguousarray(np.moveaxis(a, 1, 0)).reshape(K, T * B, -1) for a in (dz, h, dy))
    x_p = x.reshape(T * B, V)

    def population_major():
        return (dz_p[:, B:].mT @ h_p[:, :-B], dz_p.mT @ x_p, dy_p.mT @ h_p,  # each a sum over all (t, b) at once
                x_p @ W_xh_T, h_p @ W_hy_T, dy_p @ W_hy)  # the last three (K, T B, .)

    return time_major, population_major


def rnn_passes(K, T=5, B=20, H=30, repeats=41, with_arithmetic=True):
    """Median times, in turns, of one network's forward + backward, of K networks' as one
    population, and (with_arithmetic) of the population pass's matrix products and tanh
    calls alone, at their shapes (everything else the pass does left out)."""
    rng = np.random.default_rng(0)
    passes = []
    for k in (0, K):
        params = make_params("rnn", rng, H, (k,) if k else (), np.float64)
        x = rng.standard_normal((T, k, B, D) if k else (T, B, D))
        passes.append(functools.partial(forward_backward, "rnn", params, x))
    if not with_arithmetic:
        return median_times(passes, repeats)
    W_xh_T, W_hh_T = transposed(params["W_xh"]), transposed(params["W_hh"])  # the population's
    h, dz = np.tanh(rng.standard_normal((T, K, B, H))), rng.standard_normal((T, K, B, H))
    out = np.empty((K, B, H))

    def products_and_tanh():
        x @ W_xh_T  # the input drive
        for t in range(1, T):
            np.matmul(h[t - 1], W_hh_T, out=out)  # W_hh h_{t-1}; none from the zero start
        for t in range(T):
            np.tanh(h[t], out=out)
        for t in range(T):
            np.matmul(dz[t], params["W_hh"], out=out)  # W_hh^T dz_t
        dz.mT @ x, dz[1:].mT @ h[:-1], dz @ params["W_xh"]  # dW_xh's and dW_hh's products, dx

    return median_times(passes + [products_and_tanh], repeats)


def detail(K, repeats):
    """The per-size tables: forward + backward of one network, and training steps."""
    print("\none forward + backward of the recurrent core, one network (float64)")
    print(f"{'cell':<5} {'T':>3} {'B':>3} {'H':>3} {'time':>10}")
    for cell in ("rnn", "lstm"):
        for T, B, H in SIZES:
            rng = np.random.default_rng(0)
            params = make_params(cell, rng, H, (), np.float64)
            x = rng.standard_normal((T, B, D))
            t = median_time(lambda: forward_backward(cell, params, x), repeats)
            print(f"{cell:<5} {T:>3} {B:>3} {H:>3} {t * 1e6:>8.0f} us")

    print(f"\none training step: 1 network, {K} networks one by one, {K} as one population")
    print(f"{'cell':<5} {'dtype':<8} {'T':>3} {'B':>3} {'H':>3} {'one':>9} {f'{K} separate':>12} "
          f"{f'population {K}':>14} {'pop/one':>8} {'speed-up':>9}")
    for cell in ("rnn", "lstm"):
        for T, B, H in SIZES:
            for dtype in (np.float64, np.float32):
                one, separate, together = population_speedup(cell, T, B, H, K, dtype, repeats)
                print(f"{cell:<5} {np.dtype(dtype).name:<8} {T:>3} {B:>3} {H:>3} {one * 1e6:>7.0f}us "
                      f"{separate * 1e6:>10.0f}us {together * 1e6:>12.0f}us {together / one:>7.1f}x "
                      f"{separate / together:>8.1f}x")
    print("\npop/one: population step time over one network's step (5x or less is the target for "
          "T=5, B=20, H=30).\nspeed-up: K separate steps over one population step.")


if __name__ == "__main__":
    main()
