"""Bad input at the command line of every script: what a person gets back.

Exit code 2 is a usage error, reported by the argument parser before any work is done;
exit code 1 is a failure found while running (a diverged or useless run, a malformed file,
too little memory, a disk that fails); 130 is Ctrl-C. Either way the person sees one
"error: ..." line, never a traceback, and no file is left half-written.

The table below is the list of cases the project promises to handle (the README points
here); every row is run by test_bad_input. The tests after it cover what a table row
cannot: Ctrl-C while a file is written, a write that fails after training, a parameter
file that is not one. Bad input to the engine from Python (integer arrays, a scalar h0, an
input with the wrong number of features, a mask that is not 0/1) raises ValueError or is
converted; those cases are tested in test_engine.py.
"""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import ROOT, load_problem
from rnn_numpy import experiment

SLU, CHAR, ATOM, FLIP, SINE, DD, PI, CC, SD = SLUGS = (
    "sequence_lookup_25", "char_rnn_lab", "atomic_states", "flip_flop", "sine_wave", "delayed_discrimination",
    "path_integration", "character_challenge", "solution_degeneracy")
# the character challenge's GIF and figures are drawn from a results file: no seed to give
SEEDED = [SLU, CHAR, ATOM, FLIP, SINE, DD, PI, CC, SD, f"visualize_{SLU}",
          *[f"make_{slug}_gif" for slug in SLUGS if slug != CC]]
FIGURE_SCRIPTS = [f"visualize_{slug}" for slug in SLUGS] + [f"make_{slug}_gif" for slug in SLUGS]

# {dir}: an existing folder; {file}: an existing file; {bad_json}: a file that is not JSON;
# {study_json}: a char_rnn_lab study file with nothing in it (valid JSON, the wrong kind for
# the baseline figures, too thin for the study's); {thin_json}: atomic_states results without
# the fields the figures need.
# (script, arguments, exit code, what stderr must say)
CASES = [
    *[(script, ["--seed", "-1"], 2, "--seed: must be 0 or more") for script in SEEDED],
    (SLU, ["--dataset-seed", "-1"], 2, "--dataset-seed: must be 0 or more"),
    (CHAR, ["--corpus-seed", "-1"], 2, "--corpus-seed: must be 0 or more"),
    # output paths, checked before any work
    (SLU, ["--save-results", "{dir}"], 2, "is a folder; give a file path"),
    (SLU, ["--save-results", "{file}/results.json"], 2, "is a file, so no folder can be made inside it"),
    (SLU, ["--save-results", "/proc/rnn_numpy_test/results.json"], 2, "cannot write in /proc"),
    (SLU, ["--save-results", ""], 2, "needs a file path, got an empty string"),
    (CHAR, ["--save-params", "{dir}"], 2, "is a folder; give a file path"),
    (ATOM, ["--save-results", "{file}/x/results.json"], 2, "is a file, so no folder can be made inside it"),
    (CHAR, ["--study", "init", "--results-dir", "{file}"], 2, "is a file; give a folder"),
    (CHAR, ["--study", "init", "--results-dir", ""], 2, "needs a folder path"),
    *[(f"make_{slug}_gif", ["--out", "{dir}"], 2, "is a folder; give a file path") for slug in SLUGS],
    *[(f"visualize_{slug}", ["--out-dir", "{file}"], 2, "is a file; give a folder") for slug in SLUGS],
    # flags that contradict each other, or would be ignored
    (SLU, ["--curriculum", "10"], 2, "--curriculum only applies with --variable-timing"),
    (SLU, ["--max-timing", "3"], 2, "--max-timing only applies with --variable-timing"),
    (SLU, ["--optimizer", "adam", "--momentum", "0.5"], 2, "--momentum only applies with --optimizer sgd"),
    (SLU, ["--study", "datasets", "--seed", "3"], 2, "--seed would be ignored"),
    (SLU, ["--study", "scale", "--save-params", "{dir}/p.npz"], 2, "--save-params would be ignored"),
    (CHAR, ["--study-steps", "10"], 2, "--study-steps only applies with --study"),
    (CHAR, ["--results-dir", "{dir}"], 2, "--results-dir only applies with --study"),
    (CHAR, ["--study", "init", "--steps", "10"], 2, "--steps would be ignored"),
    (CHAR, ["--study", "init", "--save-params", "{dir}/p.npz"], 2, "--save-params would be ignored"),
    (CHAR, ["--study", "all", "--save-results", "{dir}/s.json"], 2, "--save-results names one file"),
    (ATOM, ["--cue-rate", "0.5"], 2, "--cue-rate only applies to --experiment cds"),
    (ATOM, ["--experiment", "all", "--save-params", "{dir}/p.npz"], 2, "choose one --experiment"),
    (f"visualize_{SLU}", ["--rerun"], 2, "--rerun only applies with --study"),
    (f"visualize_{SLU}", ["--variable-timing", "--timing", "fixed"], 2, "contradicts --timing fixed"),
    (f"visualize_{SLU}", ["--study", "scale", "--seed", "2"], 2, "would be ignored"),
    (f"visualize_{CHAR}", ["--study", "init", "--no-samples"], 2, "--no-samples only applies"),
    (f"visualize_{CHAR}", ["--quick", "--results", "{study_json}"], 2, "--results would be ignored"),
    (f"visualize_{CHAR}", ["--results", "{dir}/missing.json"], 2, "no such file"),
    *[(script, ["--publish", "--quick"], 2, "--publish regenerates the committed files") for script in FIGURE_SCRIPTS],
    (f"visualize_{SLU}", ["--publish", "--out-dir", "{dir}"], 2, "takes no other flag (got --out-dir)"),
    (f"make_{CHAR}_gif", ["--frames", "1"], 2, "--frames must be at least 2"),
    (f"make_{SLU}_gif", ["--fps", "inf"], 2, "--fps: must be a finite number"),
    (CHAR, ["--study", "lr", "--lr", "0.5"], 2, "--study lr sets --lr itself"),
    (CHAR, ["--study", "clip", "--optimizer", "sgd"], 2, "--study clip sets --optimizer itself"),
    (CHAR, ["--study", "init", "--save-results", "{dir}/s.json", "--results-dir", "{dir}"], 2,
     "--results-dir would be ignored"),
    (CHAR, ["--study", "tbptt", "--quick", "--train-chars", "1000"], 2, "--train-chars is too short"),
    (SLU, ["--save-results", "{dir}/same", "--save-params", "{dir}/same"], 2, "name the same file"),
    # numbers that are not finite pass no range check
    (CHAR, ["--quick", "--clip", "nan"], 2, "--clip: must be a finite number"),
    (ATOM, ["--quick", "--init-bound", "inf"], 2, "--init-bound: must be a finite number"),
    (SLU, ["--quick", "--lr", "inf"], 2, "--lr: must be a finite number"),
    (ATOM, ["--experiment", "cds", "--steps", "2"], 2, "--steps must be at least 100"),
    (FLIP, ["--bits", "0"], 2, "--bits must be at least 1"),
    (FLIP, ["--bits", "9"], 2, "--bits must be at most 8"),
    (FLIP, ["--pulse-prob", "1.5"], 2, "--pulse-prob must be in (0, 1]"),
    (FLIP, ["--target-loss", "0"], 2, "--target-loss must be positive"),
    (FLIP, ["--start-noise", "-1"], 2, "--start-noise must be at least 0"),
    (FLIP, ["--lr", "nan"], 2, "--lr: must be a finite number"),
    (f"make_{FLIP}_gif", ["--bits", "0"], 2, "--bits must be at least 1"),
    (f"visualize_{FLIP}", ["--quick", "--params", "{file}"], 2, "--params would be ignored"),
    (f"visualize_{ATOM}", ["--quick", "--results", "{file}"], 2, "--results would be ignored"),
    (SINE, ["--networks", "0"], 2, "--networks must be at least 1"),
    (SINE, ["--start-len", "500"], 2, "--start-len must be at most --trial-len"),
    (SINE, ["--ramp", "-1"], 2, "--ramp must be 0 or more"),
    (SINE, ["--clip", "-1"], 2, "--clip must be 0 (off) or positive"),
    (SINE, ["--target-loss", "0"], 2, "--target-loss must be positive"),
    (SINE, ["--lr", "0"], 2, "--lr must be positive"),
    (SINE, ["--leak", "0"], 2, "--leak must be in (0, 1]"),
    (SINE, ["--activity", "-1"], 2, "--activity must be 0 or more"),
    (SINE, ["--lr", "nan"], 2, "--lr: must be a finite number"),
    (SINE, ["--save-params", "{dir}"], 2, "is a folder; give a file path"),
    (f"make_{SINE}_gif", ["--frames", "1"], 2, "--frames must be at least 2"),
    (f"visualize_{SINE}", ["--quick", "--results", "{bad_json}"], 2, "--results would be ignored"),
    (DD, ["--delay-min", "10", "--delay-max", "5"], 2, "--delay-max must be at least --delay-min"),
    (DD, ["--margin", "8"], 2, "--margin must be in [0, 8)"),
    (DD, ["--pulse-len", "0"], 2, "--pulse-len must be at least 1"),
    (DD, ["--target-loss", "0"], 2, "--target-loss must be positive"),
    (DD, ["--start-noise", "-1"], 2, "--start-noise must be at least 0"),
    (DD, ["--save-params", "{dir}"], 2, "is a folder; give a file path"),
    (f"make_{DD}_gif", ["--frames", "1"], 2, "--frames must be at least 2"),
    (f"visualize_{DD}", ["--quick", "--results", "{file}"], 2, "--results would be ignored"),
    (PI, ["--networks", "0"], 2, "--networks must be at least 1"),
    (PI, ["--readout", "xy"], 2, "invalid choice: 'xy'"),
    (PI, ["--box", "0"], 2, "--box must be positive"),
    (PI, ["--surround", "0.5"], 2, "--surround must be 0 or above 1"),
    (PI, ["--weight-decay", "-1"], 2, "--weight-decay must be at least 0"),
    (PI, ["--bins", "3"], 2, "--bins must be at least 4"),
    (PI, ["--lr", "nan"], 2, "--lr: must be a finite number"),
    (f"make_{PI}_gif", ["--frames", "1"], 2, "--frames must be at least 2"),
    (f"visualize_{PI}", ["--quick", "--params", "{file}"], 2, "--params would be ignored"),
    (CC, ["--steps", "0"], 2, "--steps must be at least 1"),
    (CC, ["--networks", "0"], 2, "--networks must be at least 1"),
    (CC, ["--one-shot-lr", "0"], 2, "--one-shot-lr must be positive"),
    (CC, ["--noise-sds", "0.01,x"], 2, "--noise-sds must be comma-separated numbers"),
    (CC, ["--noise-sds", "-0.1"], 2, "--noise-sds must be non-negative numbers"),
    (CC, ["--infer-lr", "inf"], 2, "--infer-lr: must be a finite number"),
    (CC, ["--save-params", "{dir}"], 2, "is a folder; give a file path"),
    (f"make_{CC}_gif", ["--frames", "1"], 2, "--frames must be at least 2"),
    (f"make_{CC}_gif", ["--quick", "--results", "{file}"], 2, "--results would be ignored"),
    (f"visualize_{CC}", ["--quick", "--results", "{file}"], 2, "--results would be ignored"),
    (f"visualize_{CC}", ["--quick", "--paper-results", "{file}"], 2, "--paper-results would be ignored"),
    (f"visualize_{CC}", ["--results", "{thin_json}", "--paper-results", "{dir}/missing.json"], 2, "no such file"),
    # found while running: exit code 1
    (f"visualize_{CHAR}", ["--results", "{bad_json}", "--no-samples"], 1, "malformed JSON"),
    (f"visualize_{ATOM}", ["--results", "{bad_json}"], 1, "malformed JSON"),
    (f"visualize_{CHAR}", ["--results", "{study_json}", "--no-samples"], 1, "is not the char_rnn_lab results file"),
    (f"visualize_{CHAR}", ["--study", "init", "--results", "{study_json}"], 1, "lacks what study_init.png needs"),
    (f"visualize_{ATOM}", ["--results", "{thin_json}"], 1, "lacks what cds.png needs"),
    (f"visualize_{FLIP}", ["--params", "{bad_json}"], 1, "was not written by --save-params"),
    (f"visualize_{SINE}", ["--results", "{bad_json}"], 1, "malformed JSON"),
    (f"visualize_{SINE}", ["--results", "{thin_json}"], 1, "is not the sine_wave results file"),
    (f"visualize_{DD}", ["--results", "{bad_json}"], 1, "malformed JSON"),
    (f"visualize_{DD}", ["--results", "{thin_json}"], 1, "is not the delayed_discrimination results file"),
    (f"visualize_{PI}", ["--params", "{bad_json}"], 1, "was not written by --save-params"),
    (f"visualize_{CC}", ["--results", "{bad_json}"], 1, "malformed JSON"),
    (f"visualize_{SD}", ["--results", "{bad_json}"], 1, "malformed JSON"),
    (f"visualize_{SD}", ["--results", "{thin_json}"], 1, "is not the solution_degeneracy results file"),
    (SD, ["--save-results", "{dir}"], 2, "is a folder; give a file path"),
    (SD, ["--sweep-dir", "{file}"], 2, "is a file; give a folder"),
    (f"make_{SD}_gif", ["--networks", "1"], 2, "--networks must be 2 to 10"),
    (f"visualize_{CC}", ["--results", "{thin_json}"], 1, "is not the character_challenge results file"),
    (f"make_{CC}_gif", ["--results", "{thin_json}"], 1, "is not the character_challenge results file"),
    (CHAR, ["--quick", "--hidden", "100000"], 1, "not enough memory"),
    # training that diverges, or ends no better than a trivial predictor: exit code 1, naming a flag
    (SLU, ["--lr", "1e200", "--grad-clip", "0", "--n-sweeps", "20"], 1, "training diverged at sweep 2"),
    (SLU, ["--quick", "--lr", "1e6"], 1, "no better than always answering the mean training code"),
    (CHAR, ["--quick", "--lr", "1e6"], 1, "no better than the uniform guess log 27 (3.296); lower --lr"),
    (ATOM, ["--quick", "--lr", "1e6"], 1, "lower --lr"),
    (FLIP, ["--quick", "--lr", "1e6"], 1, "lower --lr"),
    (SINE, ["--quick", "--lr", "1e6"], 1, "no better than the best constant output per level"),
    (DD, ["--quick", "--lr", "1e6"], 1, "no better than the constant output 0"),
    (PI, ["--quick", "--lr", "1e6"], 1, "lower --lr"),
    (CC, ["--quick", "--lr", "1e6"], 1, "no better than writing the mean step of every letter"),
]


@pytest.fixture
def places(tmp_path):
    """The paths the table's placeholders stand for."""
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_file").write_text("not a folder")
    (tmp_path / "bad.json").write_text('{"problem": "char_rnn_lab", ')
    (tmp_path / "study.json").write_text(json.dumps({"problem": CHAR, "study": "init"}))
    (tmp_path / "thin.json").write_text(json.dumps({"problem": ATOM, "experiments": {"cds": {"x": 1}}}))
    return {"dir": tmp_path / "a_folder", "file": tmp_path / "a_file", "bad_json": tmp_path / "bad.json",
            "study_json": tmp_path / "study.json", "thin_json": tmp_path / "thin.json"}


def case_id(case):
    script, args, code, _ = case
    return f"{script} {' '.join(args) or '-'} -> {code}"


@pytest.mark.parametrize("script, args, code, message", CASES, ids=[case_id(c) for c in CASES])
def test_bad_input(places, capsys, script, args, code, message):
    argv = [a.format(**places) for a in args]
    before = sorted(places["dir"].iterdir())
    with pytest.raises(SystemExit) as exit_info:
        load_problem(script).main(argv)
    err = capsys.readouterr().err
    last_line = err.strip().splitlines()[-1]
    assert exit_info.value.code == code, err
    assert "error: " in last_line and message in last_line, err  # one 'error: ...' line ends it
    assert "Traceback" not in err
    assert sorted(places["dir"].iterdir()) == before  # nothing written where the output was refused


@pytest.mark.parametrize("argv, code, message", [
    ([f"problems/{SLU}.py", "--seed", "-1"], 2, "--seed: must be 0 or more"),
    ([f"problems/{CHAR}.py", "--quick", "--hidden", "100000"], 1, "error: not enough memory"),
    ([f"problems/make_{SLU}_gif.py", "--out", "gifs"], 2, "is a folder"),
])
def test_bad_input_as_a_real_command(argv, code, message):
    """The same through `python problems/<script>.py ...`, as a person types it."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == code, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


# --- files are written whole or not at all --------------------------------------------------------

def test_an_interrupted_write_leaves_no_temporary_file(tmp_path):
    """Ctrl-C in the middle of writing a figure, GIF or JSON: the old file stays as it was
    and no temporary file is left beside it."""
    target = tmp_path / "figure.png"
    target.write_text("the committed version")

    def write_then_interrupt(tmp):
        pathlib.Path(tmp).write_text("half a figure")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        experiment.atomic_write(target, write_then_interrupt)
    assert [p.name for p in tmp_path.iterdir()] == ["figure.png"]
    assert target.read_text() == "the committed version"


def test_ctrl_c_is_one_line_and_exit_code_130(capsys):
    @experiment.command
    def main(argv=None):
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 130
    assert capsys.readouterr().err == "error: interrupted\n"


def test_results_survive_a_write_that_fails_after_training(tmp_path):
    """If the results file cannot be written at the end (its folder became a file after the
    up-front check), the results are saved elsewhere and the error says where."""
    blocked = tmp_path / "was_a_folder"
    blocked.write_text("now a file")
    with pytest.raises(experiment.RunError) as error:
        experiment.write_results(blocked / "results.json", {"metrics": {"loss": 0.25}})
    rescued = pathlib.Path(str(error.value).rsplit(" saved to ", 1)[1])
    try:
        assert json.loads(rescued.read_text()) == {"metrics": {"loss": 0.25}}
    finally:
        rescued.unlink()


def test_a_file_not_written_by_save_params_is_a_clear_error(tmp_path):
    for name, content in (("results.json", b'{"a": 1}'), ("weights.npz", b"not a zip file")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(experiment.RunError, match="was not written by --save-params"):
            experiment.load_params(tmp_path / name)


def test_results_json_holds_no_nan():
    """JSON has no NaN: NumPy's and Python's non-finite numbers are both written as null."""
    import numpy as np
    text = json.dumps(experiment.jsonable({"a": np.float64("nan"), "b": float("inf"), "c": np.float32(1.5)}))
    assert json.loads(text) == {"a": None, "b": None, "c": 1.5}


def test_nothing_to_beat_when_every_target_is_the_same(capsys):
    """With a single training sequence the mean code is exact (loss 0): the run is not
    called a failure for failing to beat it."""
    results = load_problem(SLU).main(["--quick", "--n-train", "1", "--n-test", "1"])
    assert results["baselines"]["mean_code_loss"] == 0.0 and results["metrics"]["train_acc"] == 1.0
