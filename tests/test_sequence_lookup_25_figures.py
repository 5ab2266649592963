"""The figure and animation scripts of the headline problem still run against the problem
module (smoke tests, small and quick; the committed figures come from full runs)."""

import os

import pytest

from conftest import load_problem

os.environ.setdefault("MPLBACKEND", "Agg")
viz = load_problem("visualize_sequence_lookup_25")
gif = load_problem("make_sequence_lookup_25_gif")
slu = load_problem("sequence_lookup_25")


def test_static_figures_for_fixed_timing(tmp_path):
    viz.main(["--timing", "fixed", "--out-dir", str(tmp_path)])
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["hidden_states_fixed.png", "pass_fail_fixed.png", "training_curves_fixed.png", "weights_fixed.png"]
    assert all(p.stat().st_size > 10_000 for p in tmp_path.glob("*.png"))


@pytest.mark.parametrize("study", ["max_timing_3", "datasets", "scale"])
def test_study_figures_draw_from_quick_results(tmp_path, study):
    slu.main(["--study", study, "--quick", "--save-results", str(tmp_path / f"study_{study}.json")])
    viz.main(["--study", study, "--out-dir", str(tmp_path)])
    assert (tmp_path / f"study_{study}.png").stat().st_size > 10_000


def test_gif_with_a_few_frames(tmp_path):
    out = tmp_path / "anim.gif"
    gif.main(["--frames", "4", "--out", str(out)])
    data = out.read_bytes()
    assert data[:6] in (b"GIF89a", b"GIF87a") and len(data) < 2_000_000
