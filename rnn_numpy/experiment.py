"""Plumbing shared by the problem scripts: a Config dataclass as the single source of
command-line flags and defaults, clear errors for bad input, and results files written
whole or not at all. Nothing here imports matplotlib."""

import argparse
import dataclasses
import json
import os
import platform
import sys
import tempfile

import numpy as np


class TrainingDiverged(RuntimeError):
    """Raised when a loss becomes NaN or infinite."""


def option(default, help_text, kind=None, choices=None, default_text=None):
    """A Config field that carries its command-line help: kind is the argument type for a
    field that defaults to None, default_text what --help shows as its default."""
    meta = {"help": help_text}
    for key, value in (("type", kind), ("choices", choices), ("default_text", default_text)):
        if value is not None:
            meta[key] = value
    return dataclasses.field(default=default, metadata=meta)


def config_parser(config_cls, description):
    """An ArgumentParser with one --dash-name flag per Config field. Each field's metadata
    gives its help text (and, for fields that default to None, its type)."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for f in dataclasses.fields(config_cls):
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        if f.type in (bool, "bool"):
            parser.add_argument(flag, action="store_true", help=help_text)
            continue
        kind = f.metadata.get("type", type(f.default))
        shown = f.metadata.get("default_text", f.default)
        parser.add_argument(flag, type=kind, default=f.default, choices=f.metadata.get("choices"),
                            help=f"{help_text} (default: {shown})")
    return parser


def config_from_args(config_cls, args):
    return config_cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(config_cls)})


def parse_config(config_cls, description, argv, check=None):
    """The Config that the command line asks for. check(cfg) -> a list of problems for a
    person to read; any problem ends the program with a usage error (exit code 2)."""
    parser = config_parser(config_cls, description)
    cfg = config_from_args(config_cls, parser.parse_args(argv))
    problems = check(cfg) if check is not None else []
    if problems:
        parser.error("; ".join(problems))
    return cfg


def write_results(path, results):
    """Save results as JSON (whole or not at all) if a path was given, and say where."""
    if path:
        save_json(path, results)
        print(f"  results written to {path}")


def versions():
    return {"python": platform.python_version(), "numpy": np.__version__,
            "machine": platform.machine(), "cpus": os.cpu_count()}


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
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def save_json(path, results):
    """Write results as JSON to a temporary file beside `path`, then rename it into place,
    so a reader never sees a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(jsonable(results), f, indent=1)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def check_finite(loss, step, hint="lower the learning rate or the gradient-clip threshold", unit="step"):
    """Raise TrainingDiverged with a readable message if any network's loss is not finite."""
    loss = np.asarray(loss)
    if not np.all(np.isfinite(loss)):
        bad = np.flatnonzero(~np.isfinite(loss.ravel()))
        raise TrainingDiverged(f"training diverged at {unit} {step}: loss is {loss.ravel()[bad[0]]} "
                               f"for network {bad[0]} ({len(bad)} of {loss.size} networks); {hint}")


def fail(message, code=1):
    """Print an error for a person (not a traceback) and exit non-zero."""
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(code)
