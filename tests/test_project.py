"""The promises the README makes: the set-up commands it shows are the ones CI runs, and
the engine imports from anywhere (the package is installed, not found by path tricks)."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TEST_COMMAND = "pip install -r requirements.txt && python -m pytest -q"


def test_readme_and_ci_run_the_same_test_command():
    readme = [line.strip() for line in (ROOT / "README.md").read_text().splitlines()]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert TEST_COMMAND in readme, "README must show the test command on a line of its own"
    assert TEST_COMMAND in ci, ".ci/run must run the README's test command"


def test_engine_imports_from_any_directory(tmp_path):
    out = subprocess.run([sys.executable, "-c", "import rnn_numpy, sys; print(rnn_numpy.__file__)"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    assert pathlib.Path(out.stdout.strip()).parent == ROOT / "rnn_numpy"


def test_requirements_name_every_dependency_and_the_package():
    lines = [ln.split(">=")[0].strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    for name in ("numpy", "matplotlib", "imageio", "pytest", "-e ."):
        assert name in lines, f"requirements.txt must install {name}"
