"""Shared test helpers.

- The largest gradient-check relative error of the run is printed in pytest's summary, so
  every CI log shows the number the engine issue targets.
- Output that scripts write by default (results/<slug>/) goes to a temporary folder during
  the tests ($RNN_NUMPY_SCRATCH), and the run fails if any file git tracks was changed,
  added or removed by the end of it: tests must never rewrite the committed results.
"""

import os

# One BLAS thread, as the training scripts set before they import NumPy: tests then compute
# what the scripts compute, bit for bit (a second thread changes the rounding of a matrix
# product), and results from Dask workers (one thread each) can be compared exactly.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pathlib  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnn_numpy.experiment import SCRATCH_ENV  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]

GRADCHECK_TOLERANCE = 1e-6
_worst = {"error": 0.0, "where": None}

# All sizes distinct, so that a swapped axis cannot go unnoticed.
T, P, B, D, H, O = 5, 3, 4, 2, 7, 6


def record_and_assert(errors, where):
    """Assert every relative error is below tolerance and remember the worst one."""
    for key, err in errors.items():
        if err > _worst["error"]:
            _worst.update(error=err, where=f"{where} [{key}]")
    bad = {k: e for k, e in errors.items() if not e < GRADCHECK_TOLERANCE}
    assert not bad, f"{where}: relative error above {GRADCHECK_TOLERANCE}: {bad}"


def pytest_terminal_summary(terminalreporter):
    if _worst["where"] is not None:
        terminalreporter.write_line(
            f"largest gradient-check relative error: {_worst['error']:.2e} ({_worst['where']})"
        )
    if _tracked.get("changed"):
        terminalreporter.write_line("the tests changed files that git tracks: " + "; ".join(_tracked["changed"]))


# --- committed files stay untouched -------------------------------------------------------------

_tracked = {}


def tracked_state():
    """What could show that the tests touched the repository: `git status --porcelain`
    (ignored files left out) and the modification time of every tracked file.
    None outside a git checkout."""
    try:
        status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True)
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    mtimes = {}
    for name in filter(None, listed.stdout.split("\0")):
        path = ROOT / name
        mtimes[name] = path.stat().st_mtime_ns if path.exists() else None
    return {"status": status.stdout, "mtimes": mtimes}


def tracked_changes(before, after):
    """Readable differences between two tracked_state() snapshots."""
    changes = []
    if before["status"] != after["status"]:
        changes.append(f"git status --porcelain went from {before['status']!r} to {after['status']!r}")
    touched = [n for n, t in after["mtimes"].items() if before["mtimes"].get(n) != t]
    if touched:
        changes.append("rewritten: " + ", ".join(sorted(touched)[:10]))
    return changes


def pytest_sessionstart(session):
    os.environ[SCRATCH_ENV] = tempfile.mkdtemp(prefix="rnn_numpy_scratch_")
    _tracked["before"] = tracked_state()


def pytest_sessionfinish(session, exitstatus):
    before = _tracked.get("before")
    after = tracked_state() if before is not None else None
    if before is None or after is None:
        return
    _tracked["changed"] = tracked_changes(before, after)
    if _tracked["changed"] and session.exitstatus == 0:
        session.exitstatus = 1  # a test suite that rewrites committed results fails



@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(params=[(), (P,)], ids=["P=()", "P=(3,)"])
def pop(request):
    return request.param


def load_problem(slug):
    """Import problems/<slug>.py as a module (problems/ is a folder of scripts, not a package)."""
    import importlib.util
    import pathlib
    import sys

    folder = pathlib.Path(__file__).resolve().parents[1] / "problems"
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))  # so that sibling scripts can import the problem module
    if slug in sys.modules:
        return sys.modules[slug]
    spec = importlib.util.spec_from_file_location(slug, folder / f"{slug}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[slug] = module
    spec.loader.exec_module(module)
    return module


def json_numbers(value, skip_keys=(), skip_curves=False):
    """The numbers of a JSON document (nested dicts and lists), for the tests that check a
    write-up's tables against a committed results file. skip_keys: dict keys whose values are
    left out (per-network values, curves); skip_curves: also leave out every list of more
    than two plain numbers. Among thousands of curve points almost any 3-decimal number turns
    up by chance, so each test leaves out what its tables never quote."""
    if isinstance(value, dict):
        return [n for k, v in value.items() if k not in skip_keys for n in json_numbers(v, skip_keys, skip_curves)]
    if isinstance(value, list):
        if skip_curves and len(value) > 2 and all(isinstance(v, (int, float)) for v in value):
            return []
        return [n for v in value for n in json_numbers(v, skip_keys, skip_curves)]
    return [float(value)] if isinstance(value, (int, float)) and not isinstance(value, bool) else []
