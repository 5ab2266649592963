"""The promises the README makes: the set-up commands it shows are the ones CI runs, the
engine imports from anywhere (the package is installed, not found by path tricks), and
every problem follows the same layout, with imports that go one way."""

import ast
import dataclasses
import pathlib
import subprocess
import sys

from conftest import load_problem

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


# --- the layout every problem follows -------------------------------------------------------------

PROBLEMS = ROOT / "problems"


def problem_slugs():
    """Every problems/<slug>.py that is a problem: not a helper (_name), figure or GIF script."""
    return sorted(p.stem for p in PROBLEMS.glob("*.py")
                  if not p.stem.startswith(("_", "visualize_", "make_")))


def test_there_are_problems():
    assert problem_slugs() == ["atomic_states", "char_rnn_lab", "character_challenge", "delayed_discrimination",
                               "flip_flop", "path_integration", "sequence_lookup_25", "sine_wave",
                               "solution_degeneracy"]


def test_every_problem_has_its_siblings_a_test_file_and_a_readme_row():
    readme = (ROOT / "README.md").read_text()
    for slug in problem_slugs():
        for sibling in (f"visualize_{slug}.py", f"make_{slug}_gif.py", f"{slug}.md"):
            assert (PROBLEMS / sibling).exists(), f"problems/{slug}.py has no {sibling}"
        assert (ROOT / "tests" / f"test_{slug}.py").exists(), f"problems/{slug}.py has no tests/test_{slug}.py"
        assert f"| [`{slug}`](problems/{slug}.md) |" in readme, f"the README's problem table has no row for {slug}"


def test_every_script_has_the_shared_flags():
    for slug in problem_slugs():
        fields = {f.name for f in dataclasses.fields(load_problem(slug).Config)}
        assert {"seed", "quick", "save_results", "save_params"} <= fields, f"problems/{slug}.py lacks a shared flag"
        for script in (f"visualize_{slug}.py", f"make_{slug}_gif.py"):
            source = (PROBLEMS / script).read_text()
            assert "figure_parser(" in source or "gif_parser(" in source, f"{script} does not use the shared command line"


def imported_modules(path):
    """The top-level names a Python file imports (import x / from x import y)."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_imports_go_one_way():
    """Helpers (problems/_*.py) never import a script; the engine never imports problems/
    or matplotlib; a training script never imports matplotlib or a figure script."""
    scripts = {p.stem for p in PROBLEMS.glob("*.py") if not p.stem.startswith("_")}
    for helper in PROBLEMS.glob("_*.py"):
        assert not imported_modules(helper) & scripts, f"{helper.name} imports a script"
    for module in (ROOT / "rnn_numpy").glob("*.py"):
        assert not imported_modules(module) & ({"matplotlib"} | scripts), f"rnn_numpy/{module.name}"
    figure_scripts = {name for name in scripts if name.startswith(("visualize_", "make_"))}
    for slug in problem_slugs():
        for module in (PROBLEMS / f"{slug}.py",
                       *[PROBLEMS / f"{name}.py" for name in imported_modules(PROBLEMS / f"{slug}.py") if name.startswith("_")]):
            imported = imported_modules(module)
            assert not imported & ({"matplotlib", "_figures"} | figure_scripts), f"{module.name} imports figure code"


def test_each_study_list_is_kept_once():
    """The studies a problem offers come from its helper's STUDIES; the figure scripts draw
    exactly those."""
    for slug in ("sequence_lookup_25", "char_rnn_lab"):
        studies = load_problem(f"_{slug}_studies").STUDIES
        problem = load_problem(slug)
        study_flag = next(f for f in dataclasses.fields(problem.Config) if f.name == "study")
        assert [c for c in study_flag.metadata["choices"] if c != "all"] == list(studies)
        assert list(load_problem(f"visualize_{slug}").STUDY_FIGURES) == list(studies)
