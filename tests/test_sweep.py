"""The sweep runner: the same files whatever the executor, nothing lost when a worker dies or
the sweep is interrupted, and Dask loaded only when asked for."""

import argparse
import json
import os
import subprocess
import sys

import pytest

from rnn_numpy import sweep


def toy_conditions(count=6, **extra):
    return [{"name": f"toy-{k}", "seed": 100 + k, "steps": 20, **extra} for k in range(count)]


def files_of(folder):
    """{file name: its bytes} of the finished conditions in a folder."""
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.json"))}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serial")
    return folder, sweep.run_sweep(toy_conditions(), sweep.toy_condition, folder, progress=None)


def test_serial_sweep_writes_one_file_per_condition_in_order(serial):
    folder, results = serial
    assert [r["seed"] for r in results] == [100 + k for k in range(6)]
    assert sorted(files_of(folder)) == sorted(f"toy-{k}.json" for k in range(6))
    record = json.loads((folder / "toy-2.json").read_text())
    assert record["condition"]["seed"] == 102 and record["result"] == results[2]
    assert not list(folder.glob(".*"))  # no temporary file left behind


def test_two_dask_workers_give_the_serial_files_bit_for_bit(serial, tmp_path):
    folder, results = serial
    assert sweep.run_sweep(toy_conditions(), sweep.toy_condition, tmp_path, workers=2, progress=None) == results
    assert files_of(tmp_path) == files_of(folder)


@pytest.mark.parametrize("workers", [None, 1])
def test_costly_conditions_start_first_and_results_keep_the_given_order(serial, tmp_path, workers):
    folder, results = serial
    finished_names = []
    got = sweep.run_sweep(toy_conditions(), sweep.toy_condition, tmp_path, workers=workers,
                          progress=lambda message: finished_names.append(message.split()[2]),
                          cost=lambda condition: condition["seed"] % 4)  # costs 0 1 2 3 0 1
    assert got == results
    assert finished_names == ["toy-3", "toy-2", "toy-1", "toy-5", "toy-0", "toy-4"]  # ties keep the given order


def test_a_worker_killed_mid_sweep_and_the_sweep_still_completes(serial, tmp_path):
    folder, results = serial
    marker = tmp_path / "died"
    conditions = toy_conditions()
    conditions[3]["die_once"] = str(marker)  # its first attempt kills the worker process
    out = tmp_path / "out"
    assert sweep.run_sweep(conditions, sweep.toy_condition, out, workers=2, progress=None) == results
    assert marker.exists(), "the worker was not killed: the test tests nothing"


def test_an_interrupted_sweep_resumes_without_redoing_finished_conditions(serial, tmp_path):
    folder, results = serial
    calls = []

    def stop_after_two(message):
        calls.append(message)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep(toy_conditions(), sweep.toy_condition, tmp_path, progress=stop_after_two)
    assert sorted(files_of(tmp_path)) == ["toy-0.json", "toy-1.json"]
    ran = []

    def counting(condition):
        ran.append(condition["name"])
        return sweep.toy_condition(condition)

    assert sweep.run_sweep(toy_conditions(), counting, tmp_path, progress=None) == results
    assert ran == [f"toy-{k}" for k in range(2, 6)]
    assert files_of(tmp_path) == files_of(folder)


def not_json(condition):
    return {"first": 1.0, "then": object()}  # json.dump fails after writing part of the file


def test_a_result_that_fails_half_way_through_writing_leaves_no_file(tmp_path):
    with pytest.raises(TypeError, match="not JSON serializable"):
        sweep.run_sweep(toy_conditions(1), not_json, tmp_path, progress=None)
    assert list(tmp_path.iterdir()) == []


def test_a_file_of_another_condition_is_an_error_not_a_result(tmp_path):
    sweep.run_sweep(toy_conditions(2), sweep.toy_condition, tmp_path, progress=None)
    changed = toy_conditions(2)
    changed[1]["seed"] = 7
    with pytest.raises(ValueError, match="another condition"):
        sweep.run_sweep(changed, sweep.toy_condition, tmp_path, progress=None)


@pytest.mark.parametrize("conditions, message", [
    ([{"seed": 1}], "name"),
    ([{"name": "a/b", "seed": 1}], "name"),
    ([{"name": "a", "seed": 1}, {"name": "a", "seed": 2}], "unique"),
    ([{"name": "a", "seeds": (1, 2)}], "plain JSON"),
])
def test_bad_conditions_are_refused(tmp_path, conditions, message):
    with pytest.raises(ValueError, match=message):
        sweep.run_sweep(conditions, sweep.toy_condition, tmp_path, progress=None)


@pytest.mark.parametrize("workers, scheduler, message", [
    (0, None, "at least 1"),
    (None, "localhost", "tcp://host:port"),
    (2, "tcp://h:8786", "not both"),
])
def test_bad_sweep_flags_are_named(workers, scheduler, message):
    problems = sweep.sweep_problems(argparse.Namespace(workers=workers, scheduler=scheduler))
    assert len(problems) == 1 and message in problems[0]


def test_good_sweep_flags_pass():
    for workers, scheduler in [(None, None), (2, None), (None, "tcp://10.0.0.5:8786")]:
        assert sweep.sweep_problems(argparse.Namespace(workers=workers, scheduler=scheduler)) == []


def test_a_serial_sweep_never_imports_dask(tmp_path):
    code = ("import sys, rnn_numpy.sweep as s; "
            f"s.run_sweep([{{'name': 'a', 'seed': 1}}], s.toy_condition, {str(tmp_path)!r}, progress=None); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_quick_sweep_gets_a_new_folder_every_time_and_a_full_one_resumes(tmp_path):
    default = tmp_path / "sweep"
    assert sweep.sweep_folder(None, False, default, "toy") == default  # a rerun finds its files
    assert sweep.sweep_folder(str(tmp_path / "mine"), True, default, "toy") == str(tmp_path / "mine")
    first, second = (sweep.sweep_folder(None, True, default, "toy") for _ in range(2))
    assert first != second and not os.listdir(first) and "toy_quick_" in first


def test_sweep_dir_alone_is_a_mistake_only_where_the_serial_run_keeps_no_folder():
    args = argparse.Namespace(workers=None, scheduler=None, sweep_dir="somewhere")
    assert sweep.sweep_problems(args) == ["--sweep-dir is for --workers or --scheduler"]
    assert sweep.sweep_problems(args, dir_needs_executor=False) == []
    assert sweep.sweep_problems(argparse.Namespace(workers=2, scheduler=None, sweep_dir="somewhere")) == []
