"""Plumbing shared by the problem scripts, so that every problem behaves the same way at
its edges. Nothing here imports matplotlib.

    command line   a Config dataclass is the single source of flags and defaults (option,
                   parse_config); argument types that reject bad values before any work
                   (non_negative_int, finite_float, output_file, output_dir, input_file);
                   changed() and only_with() for flags that only make sense together
    failures       @command turns what can still go wrong at run time (a diverged run, a
                   full disk, a malformed file, too little memory, Ctrl-C) into one
                   "error: ..." line and exit code 1; usage errors exit with 2
    results        write_results / save_json / save_params write whole files or nothing
                   (atomic_write is the one place that handles temporary files);
                   load_params reads a --save-params file back; scratch_dir is where
                   output goes when no path was given (never the committed folders)
    progress       Progress prints how far a long job has got
"""

import argparse
import contextlib
import dataclasses
import functools
import json
import os
import pathlib
import platform
import sys
import tempfile
import time
import zipfile

import numpy as np


# --- failures ---------------------------------------------------------------------------------

class RunError(RuntimeError):
    """A failure to report to the person running a script as one line, not a traceback."""


class TrainingDiverged(RunError):
    """A loss became NaN or infinite, or training ended worse than a trivial predictor."""


def fail(message, code=1):
    """Print an error for a person (not a traceback) and exit non-zero."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)


def command(main):
    """Decorator for a script's main(argv): whatever still fails at run time ends with one
    'error: ...' line on stderr and exit code 1 (130 for Ctrl-C), never a traceback.
    Set RNN_NUMPY_TRACEBACK=1 in the environment to see the traceback instead."""

    @functools.wraps(main)
    def guarded(argv=None):
        if os.environ.get("RNN_NUMPY_TRACEBACK") == "1":
            return main(argv)
        try:
            return main(argv)
        except RunError as err:
            fail(str(err))
        except MemoryError as err:
            fail(f"not enough memory ({err}); choose smaller sizes")
        except OSError as err:
            where = f": {err.filename}" if err.filename else ""
            fail(f"{err.strerror or err}{where}")
        except KeyboardInterrupt:
            fail("interrupted", code=130)

    return guarded


def check_finite(loss, step, hint="lower the learning rate or the gradient-clip threshold", unit="step"):
    """Raise TrainingDiverged with a readable message if any network's loss is not finite."""
    loss = np.asarray(loss)
    if not np.all(np.isfinite(loss)):
        bad = np.flatnonzero(~np.isfinite(loss.ravel()))
        raise TrainingDiverged(f"training diverged at {unit} {step}: loss is {loss.ravel()[bad[0]]} "
                               f"for network {bad[0]} ({len(bad)} of {loss.size} networks); {hint}")


SMOKE_TOLERANCE = 0.01  # a smoke run's untrained network may sit up to 1% above the trivial loss


def check_learned(final_loss, trivial_loss, trivial_name, hint, what="loss", smoke=False):
    """Raise TrainingDiverged unless every network ends better than a trivial predictor
    (the uniform guess of a language model, the mean of a regression target): a run that
    ends there has learned nothing, whatever else it prints. final_loss: (K,) or scalar.

    smoke=True (a --quick run, too short to train some models, such as an LSTM that sits on
    a plateau for its first few hundred steps): a network still within SMOKE_TOLERANCE of
    the trivial loss only gets a note; one clearly worse than it has diverged and fails.
    A trivial loss of 0 (every target the same) leaves nothing to beat, so nothing is checked."""
    if not trivial_loss > 0:
        return
    final = np.atleast_1d(np.asarray(final_loss, dtype=float))
    limit = trivial_loss * (1 + SMOKE_TOLERANCE) if smoke else trivial_loss
    bad = np.flatnonzero(~(final < limit))  # NaN counts as bad
    if len(bad):
        raise TrainingDiverged(
            f"training failed: the final {what} is {final[bad[0]]:.4g} for network {bad[0]} "
            f"({len(bad)} of {final.size} networks), no better than {trivial_name} ({trivial_loss:.4g}); {hint}")
    untrained = int(np.sum(~(final < trivial_loss)))
    if untrained:
        print(f"  note: {untrained} of {final.size} networks end this smoke run no better than {trivial_name}: "
              "too few steps to learn; the full run trains them")


# --- command line -----------------------------------------------------------------------------

def option(default, help_text, kind=None, choices=None, default_text=None):
    """A Config field that carries its command-line help: kind is the argument type (for a
    field that defaults to None, or a checking type such as non_negative_int), default_text
    what --help shows as its default."""
    meta = {"help": help_text}
    for key, value in (("type", kind), ("choices", choices), ("default_text", default_text)):
        if value is not None:
            meta[key] = value
    return dataclasses.field(default=default, metadata=meta)


def non_negative_int(text):
    """argparse type: a whole number >= 0 (seeds: NumPy rejects negative ones)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def finite_float(text):
    """argparse type: a real number that is not NaN or infinite (every float flag uses it,
    so that a range check such as lr > 0 cannot be passed by inf or dodged by nan)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _first_existing(path):
    """The nearest ancestor of path (or path itself) that exists."""
    path = pathlib.Path(os.path.abspath(path))
    while not path.exists():
        path = path.parent
    return path


def _can_create_in(path):
    """None if files can be created somewhere under path (its nearest existing ancestor is a
    writable folder), else the reason. Tried for real with a temporary file, because
    permission bits do not tell the whole story (root, read-only mounts, /proc)."""
    folder = _first_existing(path)
    if not folder.is_dir():
        return f"{folder} is a file, so no folder can be made inside it"
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        return f"cannot write in {folder} ({err.strerror or err})"
    return None


def output_file(text):
    """argparse type: a file path to write to, checked before any work is done: not empty,
    not an existing folder, and its folder exists or can be created and is writable."""
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a file path, got an empty string")
    path = pathlib.Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file path")
    if path.exists() and not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text} exists and is not writable")
    problem = _can_create_in(path.parent)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def output_dir(text):
    """argparse type: a folder to write into (created when needed), checked up front."""
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a folder path, got an empty string")
    path = pathlib.Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file; give a folder")
    problem = _can_create_in(path)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def input_file(text):
    """argparse type: an existing, readable file."""
    path = pathlib.Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file" if not path.exists() else f"{text} is not a file")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text} is not readable")
    return text


def config_parser(config_cls, description):
    """An ArgumentParser with one --dash-name flag per Config field. Each field's metadata
    gives its help text (and, for fields that default to None, its type)."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for f in dataclasses.fields(config_cls):
        help_text = f.metadata.get("help", "")
        if f.type in (bool, "bool"):
            parser.add_argument(flag(f.name), action="store_true", help=help_text)
            continue
        kind = f.metadata.get("type", type(f.default))
        kind = finite_float if kind is float else kind
        shown = f.metadata.get("default_text", f.default)
        parser.add_argument(flag(f.name), type=kind, default=f.default, choices=f.metadata.get("choices"),
                            help=f"{help_text} (default: {shown})")
    return parser


def config_from_args(config_cls, args):
    return config_cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)})


def parse_config(config_cls, description, argv, check=None):
    """The Config that the command line asks for. check(cfg) -> a list of problems for a
    person to read; any problem ends the program with a usage error (exit code 2), as does
    one file named by two output flags (the second would overwrite the first)."""
    parser = config_parser(config_cls, description)
    cfg = config_from_args(config_cls, parser.parse_args(argv))
    problems = check(cfg) if check is not None else []
    outputs = [(flag(n), getattr(cfg, n)) for n in ("save_results", "save_params") if getattr(cfg, n, None) is not None]
    for i, (first, path) in enumerate(outputs):
        problems += [f"{first} and {second} name the same file" for second, other in outputs[i + 1:]
                     if os.path.abspath(path) == os.path.abspath(other)]
    if problems:
        parser.error("; ".join(problems))
    return cfg


def flag(name):
    """The command-line flag of a Config field: n_hidden -> --n-hidden."""
    return "--" + name.replace("_", "-")


def at_least_one(cfg, names):
    """Usage problems for the sizes among `names` that are below 1."""
    return [f"{flag(n)} must be at least 1 (got {getattr(cfg, n)})" for n in names if getattr(cfg, n) < 1]


def changed(cfg, names):
    """The flags among `names` that the command line set away from their defaults."""
    defaults = {f.name: f.default for f in dataclasses.fields(cfg)}
    return [flag(n) for n in names if getattr(cfg, n) != defaults[n]]


def with_quick_settings(cfg, quick_values):
    """The config a --quick run uses: quick_values {field: value} replace the fields the
    command line left at their defaults; a flag given together with --quick is kept."""
    if not cfg.quick:
        return cfg
    defaults = {f.name: f.default for f in dataclasses.fields(cfg)}
    return dataclasses.replace(cfg, **{k: v for k, v in quick_values.items() if getattr(cfg, k) == defaults[k]})


def only_with(cfg, names, condition, condition_text):
    """A usage problem (a list of 0 or 1 strings) when flags that only act under
    `condition` were set without it; silently ignoring them would mislead."""
    set_flags = [] if condition else changed(cfg, names)
    if not set_flags:
        return []
    verb = "applies" if len(set_flags) == 1 else "apply"
    return [f"{', '.join(set_flags)} only {verb} {condition_text}"]


# --- results files ----------------------------------------------------------------------------

def atomic_write(path, write):
    """Write a file whole or not at all: write(tmp_path) fills a temporary file beside
    `path`, which is then renamed onto it, so a reader never sees half a file. If anything
    goes wrong on the way (including Ctrl-C), the temporary file is removed and the error
    raised again. Every results, figure and animation file goes through here."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def jsonable(obj):
    """Numpy arrays and scalars (nested in dicts, lists and dataclasses) as plain JSON types."""
    if dataclasses.is_dataclass(obj):
        return jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())  # then a NumPy NaN becomes null like a Python one
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def save_json(path, results):
    """Write results as JSON, whole or not at all."""
    text = json.dumps(jsonable(results), indent=1)
    return atomic_write(path, lambda tmp: pathlib.Path(tmp).write_text(text))


def write_results(path, results):
    """Save results as JSON if a path was given, and say where. The path was checked
    before training (output_file); if the write still fails (the disk filled up, the folder
    was removed meanwhile), the results go to a file in the system's temporary folder
    instead, so that a long run is not lost, and the run ends with an error naming both."""
    if path is None:
        return
    try:
        save_json(path, results)
    except OSError as err:
        fd, rescue = tempfile.mkstemp(prefix="rnn_numpy_results_", suffix=".json")
        os.close(fd)
        save_json(rescue, results)
        raise RunError(f"could not write {path} ({err.strerror or err}); the results were saved to {rescue}") from err
    print(f"  results written to {path}")


def load_json(path, what="results file"):
    """Read a JSON file; a malformed one is a RunError naming the file, not a traceback."""
    try:
        return json.loads(pathlib.Path(path).read_text())
    except json.JSONDecodeError as err:
        raise RunError(f"{path} is not a valid {what} (malformed JSON: {err})") from None
    except UnicodeDecodeError:
        raise RunError(f"{path} is not a valid {what} (not a text file)") from None


OUTPUT_FIELDS = ("save_results", "save_params", "results_dir", "workers", "scheduler", "sweep_dir")


def config_record(cfg):
    """The Config as results files record it: every setting that shapes the numbers, without
    the output paths and the sweep executor (where a file went, or which processes computed
    it, says nothing about how its numbers were made)."""
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in OUTPUT_FIELDS}


def median(values):
    """np.median of numbers, for progress lines: the same value (the mean of the two middle
    ones for an even count), without the NaN check through which np.median imports
    numpy.ma on its first call, 23 ms of the headline's 0.2 s process (cProfile)."""
    ordered = np.sort(np.asarray(values, dtype=float).ravel())
    return (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2


def versions():
    return {"python": platform.python_version(), "numpy": np.__version__,
            "machine": platform.machine(), "cpus": os.cpu_count()}


# --- trained parameters -----------------------------------------------------------------------

CONFIG_KEY = "config_json"  # the one non-parameter entry of a --save-params file


def save_params(path, params, config, problem):
    """Write trained parameters as .npz (whole or not at all): one array per parameter,
    under its own name (e.g. W_xh, W_hh, b_h, W_hy, b_y; population axis first), plus
    CONFIG_KEY, a JSON string {"problem": ..., "config": {...}} of what made them."""
    if path is None:
        return
    meta = json.dumps({"problem": problem, "config": jsonable(config)})
    arrays = {k: np.asarray(v) for k, v in params.items()}
    if CONFIG_KEY in arrays:
        raise ValueError(f"a parameter may not be called {CONFIG_KEY!r}")

    def write(tmp):
        with open(tmp, "wb") as f:  # a file object, so numpy does not append .npz to the name
            np.savez(f, **arrays, **{CONFIG_KEY: np.array(meta)})

    atomic_write(path, write)
    print(f"  parameters written to {path}")


def load_params(path):
    """Read a file written by --save-params. Returns (params, meta): params a dict of float
    arrays (the same names and shapes as when trained, population axis first), meta the dict
    {"problem": slug, "config": {...}} of the run that made them.

        params, meta = load_params("results/params.npz")
        h, cache = rnn.forward(x, h0, params)        # e.g. run the trained networks again
    """
    try:
        with np.load(path, allow_pickle=False) as f:
            if not hasattr(f, "files") or CONFIG_KEY not in f.files:
                raise RunError(f"{path} was not written by --save-params (it has no {CONFIG_KEY!r} entry)")
            meta = json.loads(str(f[CONFIG_KEY]))
            params = {k: f[k] for k in f.files if k != CONFIG_KEY}
    except (ValueError, zipfile.BadZipFile) as err:  # not an .npz at all (np.load reads .npy and text too)
        raise RunError(f"{path} was not written by --save-params ({err})") from None
    return params, meta


# --- where unrequested output goes ------------------------------------------------------------

SCRATCH_ENV = "RNN_NUMPY_SCRATCH"


def scratch_dir(root, slug):
    """Where a script writes when no output path was given: results/<slug>/ under the
    repository root (ignored by git), or $RNN_NUMPY_SCRATCH/<slug> when that is set (the
    tests point it at a temporary folder). The committed files under viz/ and gifs/ are
    written only by an explicit --publish."""
    base = os.environ.get(SCRATCH_ENV) or pathlib.Path(root) / "results"
    return pathlib.Path(base) / slug


# --- progress ---------------------------------------------------------------------------------

class Progress:
    """Progress lines for a job of `total` parts: "  <what> 3/40 (12 s)", at most one
    every `every_s` seconds, plus the last.

        progress = Progress("rendering frames", len(snapshots))
        for i, snap in enumerate(snapshots, 1):
            draw(snap)
            progress.update(i)
    """

    def __init__(self, what, total, every_s=3.0):
        self.what, self.total, self.every_s = what, total, every_s
        self.start = self.last = time.perf_counter()

    def update(self, done, note=""):
        now = time.perf_counter()
        if done < self.total and now - self.last < self.every_s:
            return
        self.last = now
        extra = f"  {note}" if note else ""
        print(f"  {self.what} {done}/{self.total} ({now - self.start:.0f} s){extra}", flush=True)


# --- comparing two conditions over their seeds ------------------------------------------------
# The one verdict rule of the study write-ups: a difference between two conditions counts
# only when it exceeds RESOLVED_AT standard errors of the difference; otherwise it is
# "not resolved at N seeds".

RESOLVED_AT = 2.0  # standard errors


def seed_difference(a, b, paired):
    """b - a over the seeds of two conditions, from their per-seed values (None or non-finite
    values, e.g. diverged networks, are left out). Returns (mean, standard error, n).
    Paired (seed k of both conditions started alike or read the same data): d_k = b_k - a_k
    over the seeds where both are finite, mean(d), sd(d) / sqrt(n). Unpaired: mean(b) - mean(a),
    se = sqrt(var_a / n_a + var_b / n_b), n = min(n_a, n_b). Sample variances; se is None
    below two values, mean None with none."""
    def usable(v):
        return v is not None and np.isfinite(v)

    if paired:
        d = np.array([y - x for x, y in zip(a, b) if usable(x) and usable(y)], dtype=float)
        n = len(d)
        return (float(d.mean()) if n else None), (float(d.std(ddof=1) / np.sqrt(n)) if n > 1 else None), n
    x = np.array([v for v in a if usable(v)], dtype=float)
    y = np.array([v for v in b if usable(v)], dtype=float)
    n = int(min(len(x), len(y)))
    mean = float(y.mean() - x.mean()) if n else None
    se = float(np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))) if n > 1 else None
    return mean, se, n


def resolved(difference, se):
    """True when |difference| > RESOLVED_AT se (never without a standard error)."""
    return difference is not None and se is not None and abs(difference) > RESOLVED_AT * se
