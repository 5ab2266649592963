"""Shared test helpers. The largest gradient-check relative error of the run is printed
in pytest's summary, so every CI log shows the number the engine issue targets."""

import numpy as np
import pytest

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
