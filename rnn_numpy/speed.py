"""The rows of `python -m rnn_numpy.bench`'s ratio table (issue 14): each a pair of times
measured in the same process, reported as a ratio, so that a noisy shared machine cancels.

    gemm_peak(dtype)            single-thread GEMM rate of a 1024 x 1024 product (FLOP/s)
    gemm_product(dtype)         that product as a closure, to time in turns with a step
    whole_processes(commands)   wall times of fresh Python processes running scripts, in turns
    char_lab_trainer(K, dtype)  one char-lab training step: the RNN over a chunk of one-hot
                                characters, softmax cross-entropy, BPTT, per-network clip,
                                AdaGrad; one network or a population
    char_lab_flops(T, B, H, V)  the matrix-product FLOPs of that step for one network
    torch_char_lab_step(...)    the same step in PyTorch, when PyTorch is installed (never a
                                dependency)
    with_blas_threads(n, K)     the population step timed in a fresh process with n BLAS threads
"""

import os
import pathlib
import subprocess
import sys
import time

import numpy as np

from . import models, optim, readout, rnn

ROOT = pathlib.Path(__file__).resolve().parents[1]
YARDSTICK = ROOT.parent / "shared" / "bench" / "naive_seqlookup.py"  # outside the repository
CHAR_LAB = (25, 32, 64, 27)  # T, B, H, V of the char lab's baseline step


def median_time(fn, repeats, warmup=3):
    """Median wall time of fn() in seconds."""
    return median_times([fn], repeats, warmup)[0]


def median_times(fns, repeats, warmup=3, turn_s=0.005):
    """Median wall time of one call of each function, the functions taking turns (f, g, f,
    g, ...) so that a drift of the shared machine touches all of them alike: the ratio of
    two is fair. A turn is a block of calls lasting about turn_s (at least one call), so
    that a fast function runs with its own data in the cache, as it would alone: calls of
    a 100 us pass alternated one by one with a 16-network pass took 178 us each."""
    first = []
    for fn in fns:
        start = time.perf_counter()
        for _ in range(warmup):
            fn()
        first.append((time.perf_counter() - start) / warmup)
    blocks = [max(1, int(turn_s / max(t, 1e-9))) for t in first]
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, block, spent in zip(fns, blocks, times):
            start = time.perf_counter()
            for _ in range(block):
                fn()
            spent.append((time.perf_counter() - start) / block)
    return [float(np.median(spent)) for spent in times]


def gemm_product(dtype, n=1024):
    """(a closure computing one n x n x n matrix product, its 2 n^3 FLOPs)."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(dtype) for _ in range(2))
    return (lambda: a @ b), 2 * n ** 3


def gemm_peak(dtype, n=1024, repeats=5):
    """FLOP/s of one n x n x n matrix product, median of repeats, on whatever BLAS threads
    the process has (the benchmark runs with one)."""
    product, flops = gemm_product(dtype, n)
    return flops / median_time(product, repeats, warmup=1)


def whole_processes(commands, repeats=3, bytecode_cache=True):
    """Median wall times of `python args...` for each args in commands, run from the
    repository root with output discarded, taking turns so that a drift of the machine
    touches all of them alike. None for a command whose script is missing.

    bytecode_cache=True times what a user sees from the second run on: Python keeps the
    compiled modules (here in a temporary PYTHONPYCACHEPREFIX), and one untimed run per
    command fills that cache. This sandbox sets PYTHONDONTWRITEBYTECODE=1, which makes
    every run compile the project's modules anew: about 25 ms (cProfile), which a
    one-file script like the yardstick hardly pays; bytecode_cache=False keeps it."""
    times = process_turns(commands, repeats, bytecode_cache)
    return [None if t is None else float(np.median(t)) for t in times]


def process_ratio(ours, theirs, repeats=15, bytecode_cache=True):
    """(median time of ours, of theirs, median over turns of ours / theirs) for two commands
    as in whole_processes; None for a missing script. The ratio pairs the two processes of
    each turn, which ran back to back, so that a drift of the machine between turns touches
    both sides of each ratio. In three runs the spread between runs stayed about as wide:
    the paired ratio moved 0.787-0.864, the ratio of the same runs' medians 0.808-0.851."""
    mine, other = process_turns([ours, theirs], repeats, bytecode_cache)
    if other is None:
        return float(np.median(mine)), None, None
    return float(np.median(mine)), float(np.median(other)), float(np.median(np.divide(mine, other)))


def process_turns(commands, repeats, bytecode_cache=True):
    """Wall times of each command's repeats runs (a list per command, None for a missing
    script), run in turns; every other turn runs them in reverse order, so that neither
    always follows the other. See whole_processes."""
    env = dict(os.environ)
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = _pycache_dir()
    present = [i for i, args in enumerate(commands) if (ROOT / args[0]).exists() or args[0].startswith("-")]
    times = {i: [] for i in present}
    for round_ in range(repeats + bytecode_cache):
        for i in (present if round_ % 2 == 0 else present[::-1]):
            start = time.perf_counter()
            subprocess.run([sys.executable, *commands[i]], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
            if round_ or not bytecode_cache:  # the first round only fills the cache
                times[i].append(time.perf_counter() - start)
    return [times.get(i) for i in range(len(commands))]


_PYCACHE = []


def _pycache_dir():
    """One temporary folder per benchmark process for the compiled modules, removed at exit."""
    if not _PYCACHE:
        import atexit
        import shutil
        import tempfile

        _PYCACHE.append(tempfile.mkdtemp(prefix="rnn_numpy_bench_pycache_"))
        atexit.register(shutil.rmtree, _PYCACHE[0], True)
    return _PYCACHE[0]


def char_lab_flops(T, B, H, V):
    """Matrix-product FLOPs that one char-lab step needs, for one network: per character and
    stream, 3 products with W_hh (forward, the carried gradient, dW_hh) and 5 with a V x H
    matrix (the input drive, the readout, dW_hy, the readout's dh, dW_xh), 2 FLOPs each.
    (The gradient of the inputs is not needed, and the engine skips it.)"""
    return 2 * T * B * (3 * H * H + 5 * H * V)


def char_lab_trainer(K, dtype, T=25, B=32, H=64, V=27, seed=0):
    """A closure doing one char-lab training step for K networks (K = 0: one network with no
    population axis): forward over a chunk of one-hot characters, cross-entropy summed over
    the chunk, BPTT, each network's gradient clipped to norm 5, AdaGrad lr 0.01."""
    rng = np.random.default_rng(seed)
    pop = (K,) if K else ()
    params = {**rnn.init_params(rng, V, H, pop), **readout.init_params(rng, H, V, pop)}
    params = {k: v.astype(dtype) for k, v in params.items()}
    ids = rng.integers(V, size=(T + 1, B))
    x = np.eye(V, dtype=dtype)[ids[:-1]]  # (T, B, V)
    x = x[:, None] if K else x  # (T, 1, B, V): one stream of text shared by the population
    h0 = np.zeros((*pop, B, H), dtype=dtype)
    opt = optim.AdaGrad(params, lr=0.01)

    def step():
        _, grads, _, _ = models.rnn_loss_and_grads(params, x, ids[1:], h0=h0, loss="cross_entropy")
        grads = {k: g * T for k, g in grads.items()}  # the loss summed over the chunk
        grads, _ = optim.clip_global_norm(grads, 5.0, pop)
        opt.step(grads)

    return step


def torch_char_lab_step(dtype, T=25, B=32, H=64, V=27, seed=0):
    """The same step in PyTorch on one thread, or None without PyTorch: (closure, torch)."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    tdtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    core = torch.nn.RNN(V, H, nonlinearity="tanh").to(tdtype)
    head = torch.nn.Linear(H, V).to(tdtype)
    params = list(core.parameters()) + list(head.parameters())
    opt = torch.optim.Adagrad(params, lr=0.01)
    rng = np.random.default_rng(seed)
    ids = torch.from_numpy(rng.integers(V, size=(T + 1, B)))
    x = torch.nn.functional.one_hot(ids[:-1], V).to(tdtype)  # (T, B, V)
    h0 = torch.zeros(1, B, H, dtype=tdtype)

    def step():
        opt.zero_grad()
        h, _ = core(x, h0)
        loss = torch.nn.functional.cross_entropy(head(h).reshape(-1, V), ids[1:].reshape(-1), reduction="sum") / B
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()

    return step


def with_blas_threads(n_threads, K, repeats=15):
    """Median time of the char lab's population step for K networks (float64), measured in a
    fresh process whose BLAS has n_threads threads (the thread count is fixed when NumPy
    loads, so it cannot change inside this process)."""
    code = (f"import numpy as np; from rnn_numpy import speed; "
            f"print(speed.median_time(speed.char_lab_trainer({K}, np.float64), {repeats}))")
    return float(fresh_process(code, n_threads))


def fresh_process(code, n_threads=1):
    """The last line that `python -c code` prints, run from the repository root with n_threads
    BLAS threads."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(n_threads), "OMP_NUM_THREADS": str(n_threads),
           "MKL_NUM_THREADS": str(n_threads)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]
