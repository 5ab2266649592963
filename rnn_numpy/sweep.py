"""Sweeps: many conditions, one population run each, on one machine or on many.

A sweep is a list of conditions. A condition is a small JSON-able dict with a unique "name"
(used as its file name) that carries everything its run depends on, its seeds included, so
that its result is the same wherever and whenever it runs. run_condition(condition) -> dict
(JSON-able) does the work; it must be a module-level function (or a functools.partial of
one) so that worker processes can unpickle it.

    run_sweep(conditions, run_condition, out_dir)                 in this process (default)
    run_sweep(..., workers=2)                                     a local Dask cluster of 2
                                                                  worker processes
    run_sweep(..., scheduler="tcp://host:8786")                   an existing Dask cluster

Every finished condition is written to out_dir/<name>.json as soon as it completes, whole
or not at all (experiment.atomic_write), as {"condition": ..., "result": ...}. A
rerun skips the conditions whose file exists and holds the same condition, so an
interrupted sweep (Ctrl-C, a lost machine) loses only the conditions that were running.
The results are returned in the order of `conditions`, read back from the files: a sweep
resumed after an interruption returns exactly what an uninterrupted one returns, and so does
any executor (each condition carries its own seed; Python's json writes floats by repr,
which reads back bit for bit).

Dask (dask[distributed]) is imported only when workers or a scheduler is given: a serial
sweep, and every script that merely imports this module, never loads it. With Dask, a task
whose worker process dies is run again on another worker by Dask's scheduler (up to its
allowed-failures setting, 3 by default); the nanny of a local cluster restarts the worker.
Dask's nanny starts each worker with one BLAS thread (OMP/OPENBLAS/MKL_NUM_THREADS=1 in its
pre-spawn environment): one busy process per core, no oversubscription. A local cluster's
workers also run without Dask's statistical profiler, which by default samples the running
task's stack every 10 ms and so takes the GIL from it: a dispatch-bound condition ran 7-10 %
slower with it on (a probe, solution_degeneracy.md; README: Running sweeps on many machines; set the same for remote
workers with DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False).

Order: with cost(condition) -> number, the pending conditions start in decreasing cost (the
longest first, so that no long one is left running alone at the end); results are returned in
the order of `conditions` whatever the order they ran in.
"""

import json
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np

from .experiment import atomic_write, option, output_dir

SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls)://[^\s:/]+:\d+$")


# --- the files of a sweep ---------------------------------------------------------------------

def as_json(value):
    """value as it reads back from JSON (tuples become lists): what a file will hold."""
    return json.loads(json.dumps(value))


def condition_file(out_dir, condition):
    return Path(out_dir) / f"{condition['name']}.json"


def write_record(path, condition, result):
    """The condition and its result as JSON, whole or not at all (experiment.atomic_write:
    a temporary file renamed onto path, removed if anything, Ctrl-C included, interrupts)."""
    def write(temporary):
        with open(temporary, "w") as file:
            json.dump({"condition": condition, "result": result}, file)  # streams: may fail half-way

    atomic_write(path, write)


def finished(out_dir, condition):
    """True if the condition's file exists and holds this very condition (a file of the same
    name for another condition is an error, never silently reused)."""
    path = condition_file(out_dir, condition)
    if not path.exists():
        return False
    stored = json.loads(path.read_text())["condition"]
    if stored != as_json(condition):
        raise ValueError(f"{path} holds another condition than the one asked for ({stored} != {condition}); "
                         "use another --sweep-dir or delete the file")
    return True


def check_conditions(conditions):
    names = [c.get("name") if isinstance(c, dict) else None for c in conditions]
    bad = [n for n in names if not isinstance(n, str) or not re.fullmatch(r"[A-Za-z0-9_.=+-]+", n)]
    if bad:
        raise ValueError(f"every condition needs a 'name' usable as a file name (letters, digits, _.=+-); got {bad[:3]}")
    if len(set(names)) != len(names):
        raise ValueError("condition names must be unique")
    for condition in conditions:
        if as_json(condition) != condition:
            raise ValueError(f"condition {condition['name']} must be plain JSON (lists, not tuples; str keys)")


# --- running ----------------------------------------------------------------------------------

def run_sweep(conditions, run_condition, out_dir, *, workers=None, scheduler=None, progress=print, cost=None):
    """Run every condition not yet finished in out_dir; return all results in order.
    workers: start a local Dask cluster with this many single-threaded worker processes.
    scheduler: the address of a running Dask scheduler (tcp://host:port) to send work to.
    progress(message) is called as each condition finishes (None: silent).
    cost(condition) -> a rough running time (any unit): the most costly start first."""
    check_conditions(conditions)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pending = [c for c in conditions if not finished(out_dir, c)]
    if cost is not None:
        pending.sort(key=cost, reverse=True)  # stable: equal costs keep the given order
    say = progress or (lambda message: None)
    if len(pending) < len(conditions):
        say(f"sweep: {len(conditions) - len(pending)} of {len(conditions)} conditions already in {out_dir}")
    if pending and (workers or scheduler):
        run_on_dask(pending, run_condition, out_dir, workers, scheduler, say)
    else:
        run_here(pending, run_condition, out_dir, say)
    return [json.loads(condition_file(out_dir, c).read_text())["result"] for c in conditions]


def run_here(pending, run_condition, out_dir, say):
    """The serial executor: one condition after another in this process."""
    start = time.perf_counter()
    for done, condition in enumerate(pending, 1):
        write_record(condition_file(out_dir, condition), condition, run_condition(condition))
        say(f"sweep: {done}/{len(pending)} {condition['name']} ({time.perf_counter() - start:.0f} s)")


def run_on_dask(pending, run_condition, out_dir, workers, scheduler, say):
    """The Dask executor: every condition a task; each result written as it completes."""
    import dask  # only here: a serial sweep never loads it
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        with dask.config.set({"distributed.worker.profile.enabled": False}):  # the workers inherit it
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster if cluster is not None else scheduler)
    start = time.perf_counter()
    try:
        by_key = {}
        futures = []
        for rank, condition in enumerate(pending):  # Dask starts the highest priority first
            future = client.submit(run_condition, condition, key=f"condition-{condition['name']}-{os.getpid()}",
                                   pure=False, priority=len(pending) - rank)
            by_key[future.key] = condition
            futures.append(future)
        for done, (future, result) in enumerate(as_completed(futures, with_results=True), 1):
            condition = by_key[future.key]
            write_record(condition_file(out_dir, condition), condition, result)
            say(f"sweep: {done}/{len(pending)} {condition['name']} ({time.perf_counter() - start:.0f} s)")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --- the command line -------------------------------------------------------------------------

# The three Config fields of a script that runs its `what` (e.g. "studies") as a sweep; scope
# says where they apply, e.g. "--study all: " ("" when always).

def workers_field(scope, what):
    return option(None, f"{scope}run the {what} on a local Dask cluster of this many worker processes (one per "
                        "core; default: one after another in this process)", int)


def scheduler_field(scope, what):
    return option(None, f"{scope}run the {what} on the workers of a running Dask scheduler, e.g. "
                        "tcp://10.0.0.5:8786 (README: Running sweeps on many machines)", str)


def sweep_dir_field(scope, what, default_dir):
    return option(None, f"{scope}folder for each finished one of the {what} (a rerun skips those)", output_dir,
                  default_text=f"{default_dir} (--quick: a new temporary folder)")


def sweep_problems(args, dir_needs_executor=True):
    """What is wrong with a script's sweep flags --workers, --scheduler and --sweep-dir (args:
    anything with those attributes, e.g. a Config); a list of messages for a person.
    dir_needs_executor: --sweep-dir alone is a mistake (for scripts whose serial run keeps no
    sweep folder)."""
    problems = []
    if args.workers is not None and args.workers < 1:
        problems.append(f"--workers must be at least 1 (got {args.workers})")
    if args.scheduler is not None and not SCHEDULER_ADDRESS.match(args.scheduler):
        problems.append(f"--scheduler must look like tcp://host:port (got {args.scheduler!r})")
    if args.scheduler is not None and args.workers is not None:
        problems.append("give --workers (a local cluster) or --scheduler (a running one), not both")
    if dir_needs_executor and getattr(args, "sweep_dir", None) is not None and not (args.workers or args.scheduler):
        problems.append("--sweep-dir is for --workers or --scheduler")
    return problems


def sweep_folder(given, quick, default, prefix):
    """Where a sweep keeps its finished conditions: the folder given, else `default` (so that a
    rerun resumes), except that a --quick run starts afresh in a new temporary folder every
    time (a smoke run must never reuse the files of older code)."""
    if given:
        return given
    return tempfile.mkdtemp(prefix=f"{prefix}_quick_") if quick else default


# --- a toy condition: the tests' and the README example's workload ---------------------------

def toy_condition(condition):
    """A deterministic stand-in for a population run: `steps` matrix products from the
    condition's seed. If condition["die_once"] names a file that does not exist yet, the
    process creates it and exits abruptly first (a worker killed mid-sweep, for the tests)."""
    marker = condition.get("die_once")
    if marker and not os.path.exists(marker):
        Path(marker).write_text("died once")
        os._exit(3)
    rng = np.random.default_rng(condition["seed"])
    n = condition.get("size", 32)
    A = rng.standard_normal((n, n)) / np.sqrt(n)  # (n, n)
    v = rng.standard_normal(n)  # (n,)
    for _ in range(condition.get("steps", 10)):
        v = np.tanh(A @ v)  # v <- tanh(A v)
    return {"seed": condition["seed"], "norm": float(np.linalg.norm(v)), "first": v[:4].tolist()}
