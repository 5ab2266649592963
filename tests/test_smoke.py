"""Every script of every problem, run the way a newcomer would first run it: --quick, with
default output flags, and the figure scripts also with no flags at all (drawing from the
committed results). The runs must leave every file git tracks as it was; what they write
by default lands in results/<slug>/ (here a temporary folder) and is checked for content:
figures that are not blank, animations whose frames move.
"""

import os

import imageio.v3 as iio
import numpy as np
import pytest

from conftest import load_problem, tracked_changes, tracked_state
from rnn_numpy.experiment import SCRATCH_ENV

os.environ.setdefault("MPLBACKEND", "Agg")

SMOKE_RUNS = [
    ("sequence_lookup_25", ["--quick"]),
    ("visualize_sequence_lookup_25", ["--quick"]),
    ("make_sequence_lookup_25_gif", ["--quick"]),
    ("char_rnn_lab", ["--quick"]),
    ("char_rnn_lab", ["--study", "init", "--quick"]),
    ("visualize_char_rnn_lab", ["--quick"]),
    ("make_char_rnn_lab_gif", ["--quick"]),
    ("atomic_states", ["--quick"]),
    ("visualize_atomic_states", ["--quick"]),
    ("make_atomic_states_gif", ["--quick"]),
    ("flip_flop", ["--quick"]),
    ("visualize_flip_flop", ["--quick"]),
    ("make_flip_flop_gif", ["--quick"]),
    ("sine_wave", ["--quick"]),
    ("visualize_sine_wave", ["--quick"]),
    ("make_sine_wave_gif", ["--quick"]),
    ("delayed_discrimination", ["--quick"]),
    ("visualize_delayed_discrimination", ["--quick"]),
    ("make_delayed_discrimination_gif", ["--quick"]),
    ("path_integration", ["--quick"]),
    ("visualize_path_integration", ["--quick"]),
    ("make_path_integration_gif", ["--quick"]),
    ("character_challenge", ["--quick"]),
    ("visualize_character_challenge", ["--quick"]),
    ("make_character_challenge_gif", ["--quick"]),
    # no flags: the figures are drawn from the committed results (seconds; no training)
    ("visualize_sequence_lookup_25", ["--study", "all"]),
    ("visualize_char_rnn_lab", ["--no-samples"]),
    ("visualize_char_rnn_lab", ["--study", "all"]),
    ("visualize_atomic_states", []),
    ("visualize_flip_flop", []),
    ("visualize_sine_wave", []),
    ("visualize_delayed_discrimination", []),
    ("visualize_path_integration", []),
    ("visualize_character_challenge", []),
]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """Run SMOKE_RUNS once, with default output going to a fresh folder. Returns that folder,
    each run's return value, and the tracked files' state before and after."""
    scratch = tmp_path_factory.mktemp("scratch")
    before = tracked_state()
    returned = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SCRATCH_ENV, str(scratch))
        for script, args in SMOKE_RUNS:
            returned[(script, " ".join(args))] = load_problem(script).main(args)
    return {"scratch": scratch, "returned": returned, "before": before, "after": tracked_state()}


def test_smoke_runs_leave_tracked_files_alone(smoke):
    if smoke["before"] is None:
        pytest.skip("not a git checkout")
    assert tracked_changes(smoke["before"], smoke["after"]) == []


CHAR_STUDIES = ("init", "hidden", "tbptt", "activation", "clip", "teacher_forcing", "reservoir", "novel_word", "lr",
                "grid")
EXPECTED = {  # what SMOKE_RUNS write into results/<slug>/
    "sequence_lookup_25": {f"{kind}_{timing}.png" for kind in ("training_curves", "weights", "hidden_states", "pass_fail")
                           for timing in ("fixed", "variable")}
                          | {"study_max_timing_3.png", "study_datasets.png", "study_scale.png", "sequence_lookup_25.gif"},
    "char_rnn_lab": {"baseline.json", "baseline_learning_curve.png", "baseline_spectral_radius.png",
                     "baseline_samples.png", "study_init.json", "char_rnn_lab.gif"}
                    | {f"study_{name}.png" for name in CHAR_STUDIES},
    "atomic_states": {"results.json", "cds.png", "cds_3a.png", "summary.png", "atomic_states.gif"}
                     | {f"{name}.png" for name in ("exp1", "exp2", "exp1_alpha", "exp2_alpha", "lstm_exp1", "lstm_exp2")},
    "flip_flop": {"results.json", "params.npz", "trials.png", "fixed_points.png", "eigenvalues.png", "flip_flop.gif"},
    "sine_wave": {"results.json", "outputs.png", "frequency.png", "linearization.png", "eigenvalues.png", "pca.png",
                  "sine_wave.gif"},
    "delayed_discrimination": {"results.json", "params.npz", "psychometric.png", "romo_table.png", "trajectories.png",
                               "drift.png", "tuning.png", "trials.png", "delayed_discrimination.gif"},
    "path_integration": {"results.json", "params.npz", "trajectories.png", "rate_maps.png", "scores.png", "pruning.png",
                         "path_integration.gif"},
    "character_challenge": {"results.json", "params.npz", "regeneration.png", "variants.png", "codes.png",
                            "blends.png", "states.png", "training.png", "protocols.png",
                            "character_challenge.gif"},
}


@pytest.mark.parametrize("slug", EXPECTED)
def test_default_output_goes_to_the_scratch_folder(smoke, slug):
    assert {p.name for p in (smoke["scratch"] / slug).iterdir()} == EXPECTED[slug]


def test_figures_are_drawn(smoke):
    """Every PNG opens, is at least 600 x 300 pixels, and is not one flat colour."""
    pngs = sorted(smoke["scratch"].rglob("*.png"))
    assert len(pngs) == sum(name.endswith(".png") for names in EXPECTED.values() for name in names)
    for path in pngs:
        pixels = iio.imread(path)
        assert pixels.shape[0] >= 300 and pixels.shape[1] >= 600, path.name
        assert pixels[..., :3].std() > 10, f"{path.name} looks blank"


@pytest.mark.parametrize("slug", ["sequence_lookup_25", "char_rnn_lab", "atomic_states", "flip_flop",
                                  "sine_wave", "delayed_discrimination", "path_integration",
                                  "character_challenge"])
def test_gif_frames_move(smoke, slug):
    """The GIF holds the frames the script drew, in a loop, and they differ from each other."""
    frames = iio.imread(smoke["scratch"] / slug / f"{slug}.gif", index=None)  # (n, h, w, 3)
    drawn = smoke["returned"][(f"make_{slug}_gif", "--quick")]
    assert len(frames) == len(drawn) >= 3
    assert frames.shape[1:3] == drawn[0].shape[:2]
    changes = [np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(frames[:-1], frames[1:])]
    assert min(changes) > 0, "two frames in a row are identical"


def test_smoke_runs_report_their_numbers(smoke):
    """The quick training runs return results that say they learned something."""
    returned = smoke["returned"]
    assert returned[("sequence_lookup_25", "--quick")]["metrics"]["train_acc"] == 1.0
    char = returned[("char_rnn_lab", "--quick")]["metrics"]
    assert char["held_out_loss"] < 0.5 * char["uniform_loss"]
    atomic = returned[("atomic_states", "--quick")]["experiments"]["exp1"]
    assert atomic["conditions"][0]["x_final"][0] > 0.6  # beta = 0: X words already sort into categories
    flip = returned[("flip_flop", "--quick")]["metrics"]
    assert flip["accuracy"]["min"] >= 0.99 and flip["all_corners_stable"] == flip["summarized_count"]
    dd = returned[("delayed_discrimination", "--quick")]["metrics"]
    assert dd["accuracy_easy"]["min"] >= 0.95 > dd["baseline"]["f2_rule_accuracy_easy"]
