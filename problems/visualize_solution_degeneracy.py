"""Static figures for solution degeneracy (solution_degeneracy.py; Huang et al. 2025).

Draws, from the results of `python problems/solution_degeneracy.py --save-results PATH`:

    degeneracy.png  one panel per level of degeneracy (rows: behaviour, dynamics by DSA,
                    weights) and factor (columns: complexity, regime, size, regularization):
                    each task's degeneracy at the factor's three levels, divided by the
                    task's value at the reference level, with jackknife standard errors over
                    seeds. The title gives the paper's direction. Look for: dynamics falling
                    and weights rising with complexity and regime; everything falling with
                    size and regularization, where the paper finds it
    verdicts.png    the findings table as colours: for each task (rows) and factor x level
                    (columns), green where the paper's direction is reproduced, red where the
                    opposite direction is resolved, grey where the difference is within the
                    seed spread, white where the paper reports no single direction
    dsa_vs_shape.png  every pair of networks in every condition: its DSA distance against its
                    shape distance (where the states are, up to a rotation), one colour per
                    task. Look for: how far the two disagree, i.e. what comparing dynamics adds
                    to comparing states

The results come from --results PATH (default: the committed
viz/solution_degeneracy/results.json); --quick runs the seconds-long quick sweep first and
draws from it; --publish runs the full sweep (resumable; about 20 minutes on 2 local Dask
workers) and rewrites viz/solution_degeneracy/ and then gifs/solution_degeneracy.gif.

    python problems/visualize_solution_degeneracy.py
    python problems/visualize_solution_degeneracy.py --results results/sd.json --out-dir /tmp/figs
    python problems/visualize_solution_degeneracy.py --quick
    python problems/visualize_solution_degeneracy.py --publish
"""

import sys
import time

import solution_degeneracy as sd  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402

from _figures import (GREEN, RED, draw, figure_parser, load_results, parse_args, plt, publish_gif,  # noqa: E402
                      report, results_source)
from rnn_numpy.experiment import command, input_file  # noqa: E402

ROWS = (("behaviour", "behaviour: SD of OOD error"), ("dynamics", "dynamics: mean DSA distance"),
        ("weights", "weights: mean weight distance"))
TASK_COLOURS = {task: f"C{i}" for i, task in enumerate(sd.TASKS)}
VERDICT_COLOURS = {"reproduced": GREEN, "not reproduced": RED, "not resolved": "0.75", "paper: mixed": "white",
                   "not measured": "0.95"}
HOW_TO_MAKE = "python problems/solution_degeneracy.py --workers 2 --save-results PATH"


def is_results(results):
    return "findings" in results and "rows" in results


def results_for(args):
    """(results, source path or None, files written)."""
    path = results_source(args, sd.SLUG, "results.json")
    if path is not None:
        return load_results(path, sd.SLUG, is_results, HOW_TO_MAKE), path, []
    out = args.out_dir / "results.json"
    argv = ["--quick"] if args.quick else ["--workers", "2"]
    print(f"running the {'--quick' if args.quick else 'full'} sweep first", flush=True)
    sd.main(argv + ["--save-results", str(out)])
    return load_results(out, sd.SLUG, is_results, HOW_TO_MAKE), None, [out]


# --- figures ------------------------------------------------------------------------------------

def relative(values, ses, reference_index):
    """values and standard errors divided by the value at the reference level."""
    ref = values[reference_index]
    if ref is None or not ref > 0:
        return None, None
    return (np.array([np.nan if v is None else v / ref for v in values]),
            np.array([np.nan if s is None else s / ref for s in ses]))


def finding(results, task, factor, measure):
    for row in results["findings"]:
        if (row["task"], row["factor"], row["measure"]) == (task, factor, measure):
            return row
    return None


def plot_degeneracy(results):
    levels, reference = results["levels"], results["reference"]
    factors = list(levels)
    tasks = list(dict.fromkeys(r["task"] for r in results["findings"]))
    fig, axes = plt.subplots(len(ROWS), len(factors), figsize=(3.4 * len(factors), 2.7 * len(ROWS) + 0.8),
                             squeeze=False)
    for j, factor in enumerate(factors):
        values = levels[factor]
        ref_index = values.index(reference[factor])
        for i, (measure, label) in enumerate(ROWS):
            ax = axes[i, j]
            for task in tasks:
                row = finding(results, task, factor, measure)
                if row is None:
                    continue
                y, err = relative(row["values"], row["se"], ref_index)
                if y is None:
                    continue
                ax.errorbar(range(len(values)), y, yerr=err, color=TASK_COLOURS.get(task, "k"), marker="o",
                            capsize=3, lw=1.5, label=task.replace("_", " "))
                if row.get("untrained") and row["values"][ref_index]:
                    before = [np.nan if v is None else v / row["values"][ref_index] for v in row["untrained"]]
                    ax.plot(range(len(values)), before, color=TASK_COLOURS.get(task, "k"), ls="--", lw=0.9,
                            label="before training" if task == tasks[0] else None)
            ax.axhline(1.0, color="0.6", lw=0.8, ls=":")
            ax.set_xticks(range(len(values)))
            ax.set_xticklabels([f"{v:g}" for v in values])
            paper = results["paper_direction"][factor][measure]
            ax.set_title(f"{factor}: paper {'mixed' if paper == 'mixed' else paper}", fontsize=10)
            if j == 0:
                ax.set_ylabel(f"{label}\n(/ reference level)", fontsize=9)
            if i == len(ROWS) - 1:
                ax.set_xlabel({"complexity": "copies of the task", "regime": "gamma (feature learning)",
                               "size": "hidden units", "regularization": "lambda on W_hh^2"}[factor])
    labelled = [ax for ax in axes[0] if ax.get_legend_handles_labels()[0]]
    if labelled:
        labelled[0].legend(fontsize=7, frameon=False)
    fig.suptitle(f"Solution degeneracy at three levels against four factors ({results['config']['networks']} seeds "
                 "per condition; bars: jackknife standard error over seeds;\ndashed: the same networks' weights before "
                 "training)")
    fig.tight_layout()
    return fig


def verdict_key(verdict):
    """The colour key of a verdict of _degeneracy_study.verdict."""
    if verdict in ("reproduced", "not reproduced", "not measured"):
        return verdict
    if verdict.startswith("not resolved"):
        return "not resolved"
    return "paper: mixed"


def plot_verdicts(results):
    factors = list(results["levels"])
    measures = [m for m, _ in ROWS] + ["shape", "weight_changes"]
    tasks = list(dict.fromkeys(r["task"] for r in results["findings"]))
    columns = [(f, m) for f in factors for m in measures]
    fig, ax = plt.subplots(figsize=(1.0 + 0.62 * len(columns), 1.6 + 0.55 * len(tasks)))
    for i, task in enumerate(tasks):
        for j, (factor, measure) in enumerate(columns):
            row = finding(results, task, factor, measure)
            verdict = "not measured" if row is None else row["verdict"]
            key = verdict_key(verdict)
            ax.add_patch(plt.Rectangle((j, i), 1, 1, facecolor=VERDICT_COLOURS[key], edgecolor="0.4", lw=0.5))
            if row is not None and row["measured"] in ("up", "down"):
                ax.text(j + 0.5, i + 0.5, "↑" if row["measured"] == "up" else "↓", ha="center", va="center",
                        fontsize=12)
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(tasks), 0)
    ax.set_xticks(np.arange(len(columns)) + 0.5)
    ax.set_xticklabels([f"{f}\n{m.replace('weight_changes', 'W - W(0)')}" for f, m in columns], rotation=90,
                       fontsize=7)
    ax.set_yticks(np.arange(len(tasks)) + 0.5)
    ax.set_yticklabels([t.replace("_", " ") for t in tasks], fontsize=8)
    for j in range(len(measures), len(columns), len(measures)):
        ax.axvline(j, color="k", lw=1.2)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="0.4") for c in VERDICT_COLOURS.values()]
    ax.legend(handles, list(VERDICT_COLOURS), loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5, fontsize=7,
              frameon=False)
    m = results["metrics"]
    fig.suptitle(f"Lowest vs highest level, arrows where resolved (|delta| > 2 SE): {m['reproduced']} of "
                 f"{m['tested']} of the paper's directions reproduced, {m['not_reproduced']} opposite, "
                 f"{m['not_resolved']} within the seed spread\n(shape: the baseline metric, set against the "
                 "paper's direction for dynamics; W - W(0): the weight distance between what training added, "
                 "against the paper's for weights)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_dsa_vs_shape(results):
    fig, ax = plt.subplots(figsize=(6, 5))
    for task in dict.fromkeys(c["condition"]["task"] for c in results["conditions"]):
        dsa, shape = [], []
        for entry in results["conditions"]:
            matrices = entry["result"].get("matrices")
            if entry["condition"]["task"] != task or not matrices:
                continue
            D, S = np.array(matrices["dynamics"]), np.array(matrices["shape"])
            upper = np.triu_indices(len(D), 1)
            dsa.append(D[upper])
            shape.append(S[upper])
        if dsa:
            ax.scatter(np.concatenate(shape), np.concatenate(dsa), s=6, alpha=0.5, color=TASK_COLOURS.get(task, "k"),
                       label=task.replace("_", " "))
    ax.set_xlabel("shape distance (angle between the states, up to a rotation)")
    ax.set_ylabel("DSA distance (between the fitted dynamics)")
    ax.set_title("Every pair of networks of every condition", fontsize=10)
    ax.legend(fontsize=8, frameon=False, markerscale=3)
    fig.tight_layout()
    return fig


FIGURES = (("degeneracy.png", plot_degeneracy), ("verdicts.png", plot_verdicts),
           ("dsa_vs_shape.png", plot_dsa_vs_shape))


def parse(argv):
    parser = figure_parser(__doc__, sd.SLUG, "folder")
    parser.add_argument("--results", type=input_file, default=None,
                        help="results JSON to draw from (default: viz/solution_degeneracy/results.json)")
    return parse_args(parser, argv, sd.SLUG)


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    results, source, written = results_for(args)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, plot in FIGURES:
        written.append(draw(args.out_dir / name, plot, results, source=source))
    if args.publish:
        written.append(publish_gif(sd.SLUG))
    report(written, start)
    return written


if __name__ == "__main__":
    main(sys.argv[1:])
