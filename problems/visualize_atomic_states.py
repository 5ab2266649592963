"""Static figures for redundancy and atomic word representations (atomic_states.py;
Huebner & Willits 2021, CoNLL).

Draws, from one results file of `python problems/atomic_states.py --experiment all
--save-results PATH`:

    <experiment>.png   balanced accuracy of the X words' representations (left) and of the
                       cue words' (right: B words, or A words in the alpha experiments)
                       against the training step; one line per condition (the paper's
                       colours: red beta = 0, blue 0.5, black 1), mean over the networks
                       with a +-1 sd band; chance (0.5) dashed; for the pre-training
                       experiments a dotted vertical line where pre-training ends (half-way);
                       the paper's reported numbers and ours in a caption under the panels.
                           exp1.png        the paper's Figure 3 (B redundancy)
                           exp2.png        Figure 4 (pre-training with beta, then beta = 1)
                           exp1_alpha.png  Figure 6 (A redundancy; the paper draws A left, X right)
                           exp2_alpha.png  Figure 7 (pre-training with alpha, then alpha = 1)
                           lstm_exp1.png, lstm_exp2.png   the LSTM replication of the
                                           paper's footnote 2 (Figures 3 and 4 with an LSTM)
    summary.png        final balanced accuracy of X and cue words per condition for every
                       experiment, grouped bars with +-1 sd error bars; diamonds: the numbers
                       the paper states in its text, where it states one

The results come from --results PATH, by default the committed
viz/atomic_states/results.json. If there is none, this script first runs every experiment
(atomic_states.py --experiment all), about 10 minutes on a 2-core machine, and keeps the
results beside the figures. The child-directed-speech analogues get their own figures:
cds.png (experiment 3b, re-initialization) and cds_3a.png (experiment 3a, atomic
pre-training and transfer).

The figures go to results/atomic_states/ unless --out-dir says otherwise; only --publish
rewrites the committed files in viz/atomic_states/ (every experiment run again in full:
about 11 minutes with the figures and the GIF) and then gifs/atomic_states.gif.

    python problems/visualize_atomic_states.py                      # from viz/atomic_states/results.json
    python problems/visualize_atomic_states.py --results /tmp/atomic.json --out-dir /tmp/figs
    python problems/visualize_atomic_states.py --quick              # seconds: quick runs of exp2, cds, cds_3a
    python problems/visualize_atomic_states.py --publish            # regenerate viz/ and gifs/
"""

import sys
import time

import atomic_states as atom  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from _figures import draw, figure_parser, load_results, parse_args, plt, publish_gif, report, results_source  # noqa: E402
from rnn_numpy.experiment import RunError, command, input_file, save_json  # noqa: E402

LEVEL_COLOURS = {0.0: "#d62728", 0.5: "#1f77b4", 1.0: "black"}  # the paper's: red, blue, black
LEVEL_NAMES = {0.0: "no redundancy", 0.5: "partial redundancy", 1.0: "full redundancy"}
CHANCE, YLIM = 0.5, (0.4, 1.02)
GREEK = {"alpha": "\u03b1", "beta": "\u03b2"}

PAPER_FIGURE = {"exp1": "the paper's Figure 3", "exp2": "the paper's Figure 4",
                "exp1_alpha": "the paper's Figure 6", "exp2_alpha": "the paper's Figure 7",
                "lstm_exp1": "Figure 3 with an LSTM (the paper's footnote 2)",
                "lstm_exp2": "Figure 4 with an LSTM (the paper's footnote 2)"}

# --- inputs -----------------------------------------------------------------------------------

QUICK_EXPERIMENTS = ("exp2", "cds", "cds_3a")  # --quick: a pre-training experiment and the analogues


def experiment_results(args):
    """(results, source, written): the results of all experiments from --results or the
    committed results.json (source: that file), else from fresh runs kept in the output
    folder (always for --quick and --publish; written: that file)."""
    source = results_source(args, atom.SLUG, "results.json")
    if source is not None:
        return load_results(source, atom.SLUG, lambda r: isinstance(r.get("experiments"), dict),
                            "python problems/atomic_states.py --experiment all --save-results PATH"), source, None
    names = QUICK_EXPERIMENTS if args.quick else ["all"]
    print(f"running {' and '.join(names)}{' (--quick)' if args.quick else ' (about 10 minutes)'}", flush=True)
    runs = [atom.main(["--experiment", name] + (["--quick"] if args.quick else [])) for name in names]
    results = {**runs[0], "experiments": {k: v for run in runs for k, v in run["experiments"].items()}}
    return results, None, save_json(args.out_dir / "results.json", results)


def is_curve_result(name, r):
    """True for an A X B Y experiment with balanced-accuracy curves per condition (the six of
    atom.EXPERIMENTS); False for anything else, such as the child-directed-speech analogue."""
    keys = ("level", "x_mean", "x_sd", "cue_mean", "cue_sd", "x_final", "cue_final")
    return (name in atom.EXPERIMENTS and isinstance(r, dict) and "steps" in r and "cue_words" in r
            and len(r.get("conditions", [])) > 0 and all(all(k in c for k in keys) for c in r["conditions"]))


def slot_symbol(r):
    return GREEK["alpha" if r["cue_words"] == "A" else "beta"]


def condition_label(r, level):
    s = slot_symbol(r)
    if r["pretrain"]:
        return f"pre-trained with {s} = {level:g}, then {s} = 1"
    return f"{s} = {level:g} ({LEVEL_NAMES.get(level, '')})"


def pretrain_end(r):
    """The step where pre-training ends (stored with the results; older files: half the steps)."""
    return r.get("pretrain_steps", r["steps"][-1] // 2)


def describe(r):
    """Two lines: what the experiment varies, and what the level means."""
    s, w = slot_symbol(r), r["cue_words"]
    where = "before" if w == "A" else "after"
    varies = (f"pre-training to step {pretrain_end(r):g} with {s} = 0, 0.5 or 1, then {s} = 1 for all"
              if r["pretrain"] else f"{s} = 0, 0.5 or 1 throughout")
    return (f"{varies}\n{s}: the probability that the {w} word ({where} X) is X's partner (same index, so "
            f"same category), else a random {w} word")


def run_label(r):
    return (f"{r['cell'].upper()}, lr {r['lr']:g}, {r['networks']} networks per condition, "
            f"{r['steps'][-1]} steps")


# --- one experiment ---------------------------------------------------------------------------

def plot_curves(ax, r, which):
    """One panel: which is "x" or "cue"; mean over the networks with a +-1 sd band per condition."""
    steps = np.array(r["steps"])
    for c in r["conditions"]:
        mean, sd = np.array(c[f"{which}_mean"]), np.array(c[f"{which}_sd"])
        colour = LEVEL_COLOURS.get(c["level"], "0.5")
        ax.fill_between(steps, mean - sd, mean + sd, color=colour, alpha=0.12 if colour == "black" else 0.18, lw=0)
        ax.plot(steps, mean, color=colour, lw=2, marker="o", ms=2.5, label=condition_label(r, c["level"]))
    ax.axhline(CHANCE, color="0.45", ls="--", lw=1, label="chance (0.5)")
    if r["pretrain"]:
        ax.axvline(pretrain_end(r), color="0.25", ls=":", lw=1.8,
                   label=f"end of pre-training (step {pretrain_end(r):g})")
    ax.set(xlim=(0, steps[-1]), ylim=YLIM, xlabel="training step")
    ax.grid(alpha=0.3)


def final_line(r):
    w = r["cue_words"]
    parts = [f"{slot_symbol(r)} = {c['level']:g}: X {c['x_final'][0]:.2f} \u00b1 {c['x_final'][1]:.2f}, "
             f"{w} {c['cue_final'][0]:.2f} \u00b1 {c['cue_final'][1]:.2f}" for c in r["conditions"]]
    return "ours at the end (mean \u00b1 sd):  " + ";   ".join(parts)


def plot_experiment(name, r):
    fig, (x_ax, cue_ax) = plt.subplots(1, 2, figsize=(13, 5.9), sharey=True)
    plot_curves(x_ax, r, "x")
    plot_curves(cue_ax, r, "cue")
    x_ax.set_ylabel("balanced accuracy (best threshold)")
    x_ax.set_title("X words: do their representations sort into the 4 categories?", fontsize=10.5)
    cue_ax.set_title(f"{r['cue_words']} words (the redundant cue)", fontsize=10.5)
    handles, labels = x_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False,
               bbox_to_anchor=(0.5, 0.085))
    paper = r["paper"] if r["paper"].startswith("the paper") else f"the paper: {r['paper']}"
    fig.text(0.5, 0.045, paper, ha="center", fontsize=9, wrap=True)
    fig.text(0.5, 0.012, final_line(r), ha="center", fontsize=9, color="0.2")
    fig.suptitle(f"{name} ({PAPER_FIGURE.get(name, name)}; {run_label(r)})\n{describe(r)}\n"
                 "balanced accuracy of \"same category iff cosine similarity > r\", best r; lines: mean over "
                 "the networks, bands: \u00b11 sd", fontsize=10.5)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


# --- overview ---------------------------------------------------------------------------------

def plot_summary(results, names):
    """Final X and cue accuracy per condition, one group of 3 bars per experiment."""
    experiments = results["experiments"]
    fig, axes = plt.subplots(2, 1, figsize=(13, 7.8), sharex=True)
    width = 0.26
    x = np.arange(len(names))
    for ax, which in zip(axes, ("x", "cue")):
        for i, level in enumerate(atom.LEVELS):
            means, sds = [], []
            for name in names:
                c = next((c for c in experiments[name]["conditions"] if c["level"] == level), None)
                means.append(c[f"{which}_final"][0] if c else np.nan)
                sds.append(c[f"{which}_final"][1] if c else 0.0)
            offset = (i - 1) * width
            colour = LEVEL_COLOURS[level]
            ax.bar(x + offset, np.array(means) - YLIM[0], width, bottom=YLIM[0], color=colour,
                   alpha=0.85, yerr=sds, ecolor="0.55", capsize=3, error_kw={"lw": 1.2})
            for j, (m, sd) in enumerate(zip(means, sds)):
                if np.isfinite(m):  # the value, above its error bar
                    ax.text(x[j] + offset, m + sd + 0.008, f"{m:.2f}", ha="center", va="bottom", fontsize=7.5)
            for j, name in enumerate(names):
                paper = atom.PAPER_FINAL.get((name, level))
                value = None if paper is None else paper[0 if which == "x" else 1]
                if value is not None:
                    ax.plot(x[j] + offset, value, marker="D", ms=6, color="#ffbf00", mec="black", mew=0.8, zorder=5)
        ax.axhline(CHANCE, color="0.45", ls="--", lw=1)
        ax.set(ylim=(YLIM[0], 1.1), ylabel="balanced accuracy at the end")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_title("X words", fontsize=10.5)
    axes[1].set_title("cue words: B words (beta experiments), A words (alpha experiments)", fontsize=10.5)
    labels = []
    for name in names:
        r = experiments[name]
        labels.append(f"{name}\n{r['cell'].upper()}, {r['cue_words']} cue" + (", pre-trained" if r["pretrain"] else ""))
    axes[1].set_xticks(x, labels, fontsize=9)
    handles = [Patch(color=LEVEL_COLOURS[lv], alpha=0.85, label=f"{lv:g} ({LEVEL_NAMES[lv]})") for lv in atom.LEVELS]
    handles += [Line2D([], [], color="0.55", lw=1.2, label="\u00b11 sd over the networks"),
                Line2D([], [], ls="none", marker="D", ms=6, color="#ffbf00", mec="black",
                       label="the paper's number (stated in its text)"),
                Line2D([], [], color="0.45", ls="--", lw=1, label="chance (0.5)")]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=9, frameon=False,
               title="\u03b2 (B cue) or \u03b1 (A cue); in the pre-training experiments its value during "
                     "pre-training, 1 after", title_fontsize=9)
    networks = sorted({experiments[n]["networks"] for n in names})
    steps = sorted({experiments[n]["steps"][-1] for n in names})
    fig.suptitle("Redundant cues and atomic word representations: final balanced accuracy per condition "
                 f"({'/'.join(map(str, networks))} networks per condition, {'/'.join(map(str, steps))} steps)\n"
                 "look for: X near 1 and the cue near chance at \u03b2 (\u03b1) = 0; both in between at 1 "
                 "(the category split between X and its cue)", fontsize=10.5)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


# --- output -----------------------------------------------------------------------------------

def plot_cds(r):
    """The analogue of experiment 3b: probe balanced accuracy before the split, then for the
    networks that continue (baseline) and for the re-initialized ones (atomicity bias)."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.3), sharey=True)
    steps = np.array(r["steps"])
    split = r["reinit_step"]
    before, after = steps[steps < split], steps[steps >= split]
    for ax, rep, title in zip(axes, ("embedding", "state"), ("probe embedding columns (kept at the split)",
                                                             "probe hidden states")):
        x = r[rep]
        ax.plot(before, x["pretraining_mean"], color="grey", lw=2, label="training before the split")
        for key, colour, label in (("baseline", "#1f77b4", "baseline: training continues"),
                                   ("reinit", "#d62728", "re-initialized but for the probe embeddings")):
            mean, sd = np.array(x[key + "_mean"]), np.array(x[key + "_sd"])
            ax.plot(after, mean, color=colour, lw=2, label=label)
            ax.fill_between(after, mean - sd, mean + sd, color=colour, alpha=0.15, lw=0)
        ax.axvline(split, color="black", ls=":", lw=1)
        ax.axhline(0.5, color="grey", ls="--", lw=1)
        ax.set(title=title, xlabel="training step", ylim=(0.45, 1.02))
    axes[0].set_ylabel("balanced accuracy of the 32 probes")
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Analogue of the re-initialization test (generated child-directed-style text, cue rate "
                 f"{r['cue_rate']}; {r['networks']} networks; mean +- sd)")
    fig.tight_layout()
    return fig




def plot_cds_3a(r):
    """The analogue of experiment 3a: probe balanced accuracy of the baseline networks (the
    analogue text from the start) and of the atomicity-bias ones (probe-label pairs first,
    then the probes' embedding columns moved into fresh networks), over the whole run."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.3), sharey=True)
    steps = np.array(r["steps"])
    for ax, rep, title in zip(axes, ("embedding", "state"), ("probe embedding columns (moved at the transfer)",
                                                             "probe hidden states")):
        for key, colour, label in (("baseline", "#1f77b4", "baseline: the analogue text throughout"),
                                   ("atomic", "#d62728", "atomicity bias: probe-label pairs, then transfer")):
            mean, sd = np.array(r[rep][key]["mean"]), np.array(r[rep][key]["sd"])
            ax.plot(steps, mean, color=colour, lw=2, label=label)
            ax.fill_between(steps, mean - sd, mean + sd, color=colour, alpha=0.15, lw=0)
        ax.axvline(r["pretrain_steps"], color="black", ls=":", lw=1)
        ax.axhline(0.5, color="grey", ls="--", lw=1)
        ax.set(title=title, xlabel="training step", ylim=(0.45, 1.02))
    axes[0].set_ylabel("balanced accuracy of the 32 probes")
    axes[0].legend(fontsize=8, loc="lower right")
    ppl = r["perplexity"]
    fig.suptitle(f"Analogue of experiment 3a (cue rate {r['cue_rate']}; {r['networks']} networks per condition; "
                 f"mean \u00b1 sd; dotted: end of pre-training)\nheld-out perplexity at the end: baseline "
                 f"{ppl['baseline'][0]:.2f} \u00b1 {ppl['baseline'][1]:.2f}, atomicity bias "
                 f"{ppl['atomic'][0]:.2f} \u00b1 {ppl['atomic'][1]:.2f}", fontsize=10.5)
    fig.tight_layout()
    return fig


def make_figures(results, out_dir, source=None):
    names, written = [], []
    for name, r in results["experiments"].items():
        if is_curve_result(name, r):
            names.append(name)
        elif name in ("cds", "cds_3a"):
            written.append(draw(out_dir / f"{name}.png", plot_cds if name == "cds" else plot_cds_3a, r, source=source))
        else:
            print(f"skipping {name}: not a result this script knows how to draw")
    if not names and not written:
        raise RunError("the results hold no experiment to draw")
    written += [draw(out_dir / f"{name}.png", plot_experiment, name, results["experiments"][name], source=source)
                for name in names]
    if names:
        written.append(draw(out_dir / "summary.png", plot_summary, results, names, source=source))
    return written


def parse(argv):
    parser = figure_parser(__doc__, atom.SLUG, "folder")
    parser.add_argument("--results", type=input_file,
                        help="results JSON written by `python problems/atomic_states.py --experiment all "
                             "--save-results PATH` (default: the committed viz/atomic_states/results.json; "
                             "if missing, all experiments are run first, about 10 minutes)")

    return parse_args(parser, argv, atom.SLUG)


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    results, source, results_file = experiment_results(args)
    written = make_figures(results, args.out_dir, source) + ([results_file] if results_file else [])
    if args.publish:
        written.append(publish_gif(atom.SLUG))
    report(written, start)
    return written


if __name__ == "__main__":
    main(sys.argv[1:])
