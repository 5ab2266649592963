"""Static figures for delayed discrimination (delayed_discrimination.py; Romo et al. 1999, trained
as in Huang et al. 2025).

Draws, from one results file of `python problems/delayed_discrimination.py --save-results PATH`:

    psychometric.png  left: P(report f1 > f2) against f1 - f2, every network (thin) and their
                      mean (thick), at the trained delays and at doubled ones, beside the best
                      rule that ignores f1 and chance. Middle: accuracy at every delay from 1 to
                      twice the longest trained one. Right: accuracy by |f1 - f2|. Look for: steep
                      curves through 0.5 at f1 = f2; accuracy that sags only slowly past the
                      trained delays, and only near f1 = f2
    romo_table.png    the f1 x f2 table of Romo et al.'s classic figure: percent correct for every
                      pair of whole amplitudes, mean over the networks, at the trained delays, at
                      doubled delays, and for the rule that ignores f1. Look for: errors only next
                      to the diagonal; the rule fails whole blocks (both amplitudes high or low)
    trajectories.png  every network's delay-period states for 17 values of f1 (colour) in the top
                      two principal components of its delay states, over twice the longest trained
                      delay (a dot where that delay ends), with its fixed points at the delay's
                      input 0: stable (black), saddles with one unstable direction (red x), more
                      unstable directions (+), slow points (open); faint where a point lies off the
                      line of delay states. Look for: the states spread along one curve in f1's
                      order, with a few stable points and saddles on it
    drift.png         every network: the f1 read off its state (its position on the f1 axis) at
                      each delay step, one line per f1, with its stable points (black) and saddles
                      (red dashed) on that axis. Look for: lines that stay flat through the trained
                      delays and then bend slowly towards a stable point, away from a saddle
    tuning.png        left: network 0's units at the end of the delay, mean activity against f1,
                      coloured by the sign of their slope; right: the fraction of units positively,
                      negatively and not tuned, per network. Look for: both signs, as in the
                      monkeys' prefrontal neurons
    trials.png        four trials of network 0: input, target and output. Look for: an output that
                      stays near 0 until f2 ends, then jumps to +-1

The results come from --results PATH, by default the committed
viz/delayed_discrimination/results.json. If there is none, this script first runs the problem
with its defaults (under a minute on a 2-core machine) and keeps its results and weights beside
the figures.

The figures go to results/delayed_discrimination/ unless --out-dir says otherwise; only --publish
rewrites the committed files in viz/delayed_discrimination/ (trained again in full, with
params.npz) and then gifs/delayed_discrimination.gif.

    python problems/visualize_delayed_discrimination.py                 # from viz/.../results.json
    python problems/visualize_delayed_discrimination.py --results results/dd.json --out-dir /tmp/figs
    python problems/visualize_delayed_discrimination.py --quick         # seconds: a quick run
    python problems/visualize_delayed_discrimination.py --publish       # regenerate viz/ and gifs/
"""

import sys
import time

import delayed_discrimination as dd  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from _figures import (GREEN, RED, draw, figure_parser, load_results, parse_args, plt, publish_gif,  # noqa: E402
                      report, results_source)
from rnn_numpy.experiment import command, input_file, load_json  # noqa: E402

F1_CMAP = "viridis"
MEAN_COLOUR, OOD_COLOUR, RULE_COLOUR = "#1f77b4", "#ff7f0e", "0.45"
STABLE_COLOUR, SADDLE_COLOUR = "k", "#d62728"
POSITIVE_COLOUR, NEGATIVE_COLOUR, UNTUNED_COLOUR = "#1f77b4", "#ff7f0e", "0.75"
MAX_PANELS = 10


# --- inputs -----------------------------------------------------------------------------------

def is_valid(results):
    return all(k in results for k in ("metrics", "per_seed", "curves", "figure_data", "config"))


def load(args):
    """(results, source, written): from --results or the committed results.json (source), else
    from a fresh run whose results and weights are kept in the output folder (always for --quick
    and --publish)."""
    source = results_source(args, dd.SLUG, "results.json")
    if source is not None:
        how = "python problems/delayed_discrimination.py --save-results PATH"
        return load_results(source, dd.SLUG, is_valid, how), source, []
    files = [args.out_dir / "results.json", args.out_dir / "params.npz"]
    print(f"running delayed_discrimination{' --quick' if args.quick else ' (under a minute)'}", flush=True)
    dd.main((["--quick"] if args.quick else []) + ["--save-results", str(files[0]), "--save-params", str(files[1])])
    return load_json(files[0]), None, files


def arr(value):
    """A JSON list (None for NaN) as a float array."""
    return np.array(value, dtype=float)


def f1_colour(f1):
    return plt.get_cmap(F1_CMAP)(plt.Normalize(dd.F_LOW, dd.F_HIGH)(f1))


def f1_colourbar(fig, where):
    """A colour bar for f1 in its own axes at `where` (left, bottom, width, height in figure units)."""
    fig.colorbar(plt.cm.ScalarMappable(norm=plt.Normalize(dd.F_LOW, dd.F_HIGH), cmap=F1_CMAP),
                 cax=fig.add_axes(where), label="f1")


def run_label(results):
    c, m = results["config"], results["metrics"]
    return (f"{m['networks']} networks of {c['hidden']} tanh units, {m['reached_target']}/{m['networks']} "
            f"reached MSE {c['target_loss']:g}")


def summarized(results):
    """Indices of the networks the metrics summarize (those that reached the target, else all)."""
    rows = results["per_seed"]
    reached = [k for k, s in enumerate(rows) if s["reached_target"]]
    return reached or list(range(len(rows)))


# --- figures ----------------------------------------------------------------------------------

def plot_psychometric(results):
    c, cv, m = results["config"], results["curves"], results["metrics"]
    keep = summarized(results)
    b = m["baseline"]
    grid = arr(cv["psychometric_grid"])
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.9), gridspec_kw={"width_ratios": [1.2, 1.2, 1]})
    psy, psy_2x = arr(cv["psychometric"])[keep], arr(cv["psychometric_2x"])[keep]
    for row in psy:
        left.plot(grid, row, color=MEAN_COLOUR, lw=0.6, alpha=0.45)
    left.plot(grid, psy.mean(axis=0), color=MEAN_COLOUR, lw=2.2,
              label=f"delays {c['delay_min']}-{c['delay_max']} (mean)")
    left.plot(grid, psy_2x.mean(axis=0), color=OOD_COLOUR, lw=2, ls="--",
              label=f"delays {2 * c['delay_min']}-{2 * c['delay_max']} (doubled, mean)")
    left.plot(grid, arr(cv["f2_rule_psychometric"]), color=RULE_COLOUR, lw=1.5, label="best rule that ignores f1")
    left.axhline(0.5, color="0.6", ls=":", lw=1)
    left.axvline(0, color="0.6", ls=":", lw=1)
    left.set(xlabel="f1 - f2", ylabel="P(report f1 > f2)", ylim=(-0.03, 1.03),
             title="psychometric curves (thin: each network, trained delays)")
    left.legend(fontsize=8, loc="upper left")
    left.grid(alpha=0.3)

    delays, by_delay = arr(cv["delays"]), arr(cv["accuracy_by_delay"])[keep]
    middle.axvspan(c["delay_min"], c["delay_max"], color="0.9", label="trained delays")
    for row in by_delay:
        middle.plot(delays, row, color=MEAN_COLOUR, lw=0.6, alpha=0.45)
    middle.plot(delays, by_delay.mean(axis=0), color=MEAN_COLOUR, lw=2.2, label="mean over networks")
    middle.axhline(cv["f2_rule_by_delay"], color=RULE_COLOUR, lw=1.5, label="best rule that ignores f1")
    middle.axhline(0.5, color="0.6", ls=":", lw=1, label="chance")
    middle.set(xlabel="delay (steps)", ylabel="accuracy (all pairs)", ylim=(0.45, 1.01),
               title="accuracy at each delay, same 512 pairs")
    middle.legend(fontsize=8, loc="lower left")
    middle.grid(alpha=0.3)

    bins = dd.ABS_BINS
    labels = [f"{lo:g}-{hi:g}" for lo, hi in zip(bins[:-1], bins[1:])]
    x = np.arange(len(labels))
    gap, gap_2x = (np.array([s[key] for k, s in enumerate(results["per_seed"]) if k in keep])
                   for key in ("accuracy_by_gap", "accuracy_by_gap_2x"))
    right.bar(x - 0.27, gap.mean(0), 0.27, yerr=gap.std(0), color=MEAN_COLOUR, label="networks, trained delays")
    right.bar(x, gap_2x.mean(0), 0.27, yerr=gap_2x.std(0), color=OOD_COLOUR, label="networks, doubled delays")
    right.bar(x + 0.27, b["f2_rule_accuracy_by_gap"], 0.27, color=RULE_COLOUR, label="rule that ignores f1")
    right.axhline(0.5, color="0.6", ls=":", lw=1)
    right.axhline(0.95, color=RED, ls="--", lw=1, label="target 95% (|f1 - f2| >= 2)")
    right.set(xticks=x, xticklabels=labels, xlabel="|f1 - f2|", ylabel="accuracy", ylim=(0.4, 1.2),
              yticks=np.arange(0.4, 1.01, 0.1), title="accuracy by |f1 - f2| (mean +- sd over networks)")
    right.legend(fontsize=7.5, loc="upper center", ncol=2)
    right.grid(alpha=0.3, axis="y")
    fig.suptitle(f"Delayed discrimination: {run_label(results)}", fontsize=11)
    fig.tight_layout()
    return fig


def draw_table(ax, p_larger, title):
    """One f1 x f2 table: each pair's percent correct as a coloured square with its number;
    ties (the diagonal) show P(report f1 > f2) in grey."""
    levels = dd.ROMO_LEVELS
    f1, f2 = np.meshgrid(levels, levels, indexing="ij")
    right = np.where(f1 > f2, p_larger, 1 - p_larger)
    shown = np.where(f1 == f2, np.nan, 100 * right)
    image = ax.imshow(shown.T, origin="lower", cmap="RdYlGn", vmin=0, vmax=100,
                      extent=(levels[0] - 0.5, levels[-1] + 0.5, levels[0] - 0.5, levels[-1] + 0.5))
    for i, a in enumerate(levels):
        for j, b in enumerate(levels):
            if a == b:
                ax.text(a, b, f"{100 * p_larger[i, j]:.0f}", ha="center", va="center", fontsize=6.5, color="0.45")
            else:
                ax.text(a, b, f"{shown[i, j]:.0f}", ha="center", va="center", fontsize=6.5,
                        color="k" if 25 < shown[i, j] < 90 else "w")
    ax.plot([levels[0] - 0.5, levels[-1] + 0.5], [levels[0] - 0.5, levels[-1] + 0.5], color="0.3", lw=0.8)
    ax.set(xlabel="f1", ylabel="f2", xticks=levels, yticks=levels, title=title)
    return image


def plot_romo_table(results):
    c, cv = results["config"], results["curves"]
    keep = summarized(results)
    tables = [(arr(cv["romo"])[keep].mean(axis=0), f"networks, delays {c['delay_min']}-{c['delay_max']}"),
              (arr(cv["romo_2x"])[keep].mean(axis=0), f"networks, delays {2 * c['delay_min']}-{2 * c['delay_max']}"),
              (arr(cv["romo_f2_rule"]),
               f"rule that ignores f1 (f2 > {results['metrics']['baseline']['f2_threshold']:.2f})")]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.4))
    for ax, (table, title) in zip(axes, tables):
        image = draw_table(ax, table, title)
    fig.subplots_adjust(left=0.04, right=0.9, top=0.83, bottom=0.1, wspace=0.22)
    fig.colorbar(image, cax=fig.add_axes([0.92, 0.15, 0.012, 0.62]), label="percent correct")
    fig.suptitle("The f1 x f2 table (after Romo et al. 1999): percent correct for each pair, every delay of the "
                 "range, mean over networks;\ngrey on the diagonal: ties, percent reported 'f1 > f2'", fontsize=10.5)
    return fig


def draw_memory(ax, net, levels, delay_max):
    """One network's delay trajectories in its top two PCs, coloured by f1, and its fixed points."""
    traj = arr(net["trajectories"])  # (n, steps, 2)
    for f1, path in zip(levels, traj):
        colour = f1_colour(f1)
        ax.plot(path[:, 0], path[:, 1], color=colour, lw=1.1)
        ax.scatter(*path[delay_max - 1], color=colour, s=14, zorder=3)
    points, on_line = arr(net["points"]).reshape(-1, 2), np.array(net["on_line"], bool)
    kinds = np.array(net["stable"], bool), np.array(net["n_unstable"]), np.array(net["slow"], bool)
    draw_points(ax, points[on_line], *(k[on_line] for k in kinds))
    draw_points(ax, points[~on_line], *(k[~on_line] for k in kinds), alpha=0.35)


def draw_points(ax, points, stable, n_unstable, slow, alpha=1.0):
    """Fixed points in a 2-D panel: stable black dots, saddles with one unstable direction red x,
    more unstable directions black +, slow points open circles."""
    fixed = ~slow
    kinds = ((fixed & stable, dict(marker="o", s=46, color=STABLE_COLOUR, edgecolors="w", lw=0.8)),
             (fixed & ~stable & (n_unstable == 1), dict(marker="x", s=46, color=SADDLE_COLOUR, lw=1.8)),
             (fixed & ~stable & (n_unstable > 1), dict(marker="+", s=46, color=STABLE_COLOUR, lw=1.5)),
             (slow, dict(marker="o", s=46, facecolors="none", edgecolors=STABLE_COLOUR, lw=1.2)))
    for which, style in kinds:
        if which.any():
            ax.scatter(points[which, 0], points[which, 1], zorder=5, alpha=alpha, **style)


def panel_grid(count, width=3.3, height=3.1, extra=1.0):
    K = min(count, MAX_PANELS)
    cols = min(K, 5)
    rows = int(np.ceil(K / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols + 1.2, height * rows + extra), squeeze=False)
    for ax in axes.ravel()[K:]:
        ax.set_visible(False)
    return fig, axes.ravel()[:K]


def memory_title(row):
    m = row["memory"]
    slow = f", {len(m['slow_f1'])} slow points" if m["slow_f1"] else ""
    slowest = f"slowest stable |\u03bb| {m['slowest_stable']:.3f}" if m["slowest_stable"] is not None else ""
    counts = f"{m['n_stable_on_line']} stable, {len(m['saddle_f1'])} saddles{slow}"
    return f"seed {row['seed']}, on the line: {counts}\n{slowest}"


def plot_trajectories(results):
    fd = results["figure_data"]
    levels = arr(fd["memory_levels"])
    fig, axes = panel_grid(len(fd["networks"]))
    for ax, net, row in zip(axes, fd["networks"], results["per_seed"]):
        draw_memory(ax, net, levels, fd["delay_max"])
        var = net["variance"]
        ax.set_xlabel(f"PC 1 ({100 * var[0]:.0f}%)", fontsize=8)
        ax.set_ylabel(f"PC 2 ({100 * var[1]:.0f}%)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_title(memory_title(row), fontsize=8)
    f1_colourbar(fig, [0.9, 0.22, 0.012, 0.6])
    handles = [Line2D([], [], ls="none", marker="o", color=STABLE_COLOUR, label="stable fixed point"),
               Line2D([], [], ls="none", marker="x", color=SADDLE_COLOUR, label="saddle (1 unstable direction)"),
               Line2D([], [], ls="none", marker="+", color=STABLE_COLOUR, label="more unstable directions"),
               Line2D([], [], ls="none", marker="o", mfc="none", color=STABLE_COLOUR, label="slow point"),
               Line2D([], [], ls="none", marker=".", color="0.4", label=f"state after {fd['delay_max']} delay steps")]
    fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=8, frameon=False)
    fig.suptitle(f"Delay-period states for 17 values of f1 (colour) over {2 * fd['delay_max']} steps at input 0, "
                 "in each network's top two principal components,\nwith its fixed points (faint: off the line of "
                 "delay states, not counted in the titles)", fontsize=10.5)
    fig.subplots_adjust(left=0.05, right=0.87, top=0.84, bottom=0.16, hspace=0.55, wspace=0.3)
    return fig


def plot_drift(results):
    fd = results["figure_data"]
    levels = arr(fd["memory_levels"])
    fig, axes = panel_grid(len(fd["networks"]))
    for ax, net, row in zip(axes, fd["networks"], results["per_seed"]):
        read = arr(net["read"])  # (n, steps)
        steps = np.arange(1, read.shape[1] + 1)
        ax.axvspan(0, fd["delay_max"], color="0.93")
        for f1, line in zip(levels, read):
            ax.plot(steps, line, color=f1_colour(f1), lw=1)
        for value in row["memory"]["stable_f1"]:
            ax.axhline(value, color=STABLE_COLOUR, lw=1.2)
        for value in row["memory"]["saddle_f1"]:
            ax.axhline(value, color=SADDLE_COLOUR, lw=1, ls="--")
        ax.set(xlim=(1, steps[-1]), ylim=(0, 12))
        ax.tick_params(labelsize=7)
        ax.set_xlabel("delay step", fontsize=8)
        ax.set_ylabel("f1 read off the state", fontsize=8)
        drift = row["memory"]["drift_2x"]
        ax.set_title(f"seed {row['seed']}: drift by step {2 * fd['delay_max']}: "
                     f"{'n/a' if drift is None else f'{drift:.2f}'}", fontsize=8)
    f1_colourbar(fig, [0.9, 0.15, 0.012, 0.65])
    fig.suptitle("The remembered f1 over the delay: each state's position on the network's f1 axis (first PC of "
                 f"its states after {fd['delay_max']} steps), in f1 units\nshaded: the trained delays; black: stable "
                 "points on the line, red dashed: saddles", fontsize=10)
    fig.subplots_adjust(left=0.05, right=0.87, top=0.85, bottom=0.08, hspace=0.45, wspace=0.3)
    return fig


def plot_tuning(results):
    fd = results["figure_data"]
    bins, binned, t = arr(fd["tuning_bins"]), arr(fd["tuning_binned"]), arr(fd["tuning_t"])  # (H, 8), (H,)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.9), gridspec_kw={"width_ratios": [1.2, 1]})
    for row, value in zip(binned, t):
        colour = POSITIVE_COLOUR if value > dd.TUNING_T else NEGATIVE_COLOUR if value < -dd.TUNING_T else UNTUNED_COLOUR
        left.plot(bins, row, color=colour, lw=1.1, marker=".", ms=4)
    left.set(xlabel="f1", ylabel="activity at the end of the delay",
             title=f"network 0 (seed {results['per_seed'][0]['seed']}): each unit's mean activity in 8 bins of f1")
    left.legend(handles=[Line2D([], [], color=POSITIVE_COLOUR, label="slope > 0 (t > 3.29)"),
                         Line2D([], [], color=NEGATIVE_COLOUR, label="slope < 0 (t < -3.29)"),
                         Line2D([], [], color=UNTUNED_COLOUR, label="not tuned")], fontsize=8, loc="best")
    left.grid(alpha=0.3)
    rows = results["per_seed"]
    x = np.arange(len(rows))
    pos, neg = np.array([r["tuning"]["positive"] for r in rows]), np.array([r["tuning"]["negative"] for r in rows])
    right.bar(x, pos, color=POSITIVE_COLOUR, label="positive")
    right.bar(x, neg, bottom=pos, color=NEGATIVE_COLOUR, label="negative")
    right.bar(x, 1 - pos - neg, bottom=pos + neg, color=UNTUNED_COLOUR, label="not tuned")
    right.set(xticks=x, xticklabels=[str(r["seed"]) for r in rows], xlabel="seed", ylabel="fraction of units",
              ylim=(0, 1), title="units tuned to f1 at the end of the delay, per network")
    right.legend(fontsize=8, loc="upper right")
    fig.suptitle("Tuning to f1 during the delay: the slope of each unit's activity on f1 over 512 trials with "
                 "delays from the trained range (Romo et al. found both signs)", fontsize=10.5)
    fig.tight_layout()
    return fig


def plot_trials(results):
    ex = results["figure_data"]["examples"]
    x, target, y, mask = (arr(ex[k]) for k in ("x", "target", "y", "mask"))  # (4, T)
    fig, axes = plt.subplots(2, 2, figsize=(12, 6), sharex=True)
    steps = np.arange(x.shape[1])
    for ax, i in zip(axes.ravel(), range(len(x))):
        scored = mask[i] > 0
        ax.bar(steps, x[i] / dd.F_HIGH, width=0.8, color="0.75", label="input / 10")
        decide = np.flatnonzero(target[i] != 0) if np.any(target[i]) else np.zeros(0, int)
        if len(decide):
            ax.axvspan(decide[0] - 0.5, decide[-1] + 0.5, color=GREEN, alpha=0.12, label="decision period")
        ax.plot(steps[scored], target[i][scored], "k--", lw=1.2, label="target")
        last = np.flatnonzero(scored)[-1]
        ax.plot(steps[:last + 1], y[i][:last + 1], color=MEAN_COLOUR, lw=1.6, label="output (network 0)")
        ax.plot(steps[last:], y[i][last:], color=MEAN_COLOUR, lw=1, alpha=0.3, label="output, not scored")
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set(ylim=(-1.35, 1.35), title=f"f1 = {ex['f1'][i]:g}, f2 = {ex['f2'][i]:g}, delay {ex['delay'][i]}"
               + (" (doubled range)" if ex["delay"][i] > results["config"]["delay_max"] else ""))
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("step")
    axes[0, 0].legend(fontsize=8, loc="lower right")
    fig.suptitle("Four trials of network 0: the output must stay at 0 until f2 has ended, then report sign(f2 - f1); "
                 "past the decision period nothing is scored", fontsize=10.5)
    fig.tight_layout()
    return fig


FIGURES = {"psychometric.png": plot_psychometric, "romo_table.png": plot_romo_table,
           "trajectories.png": plot_trajectories, "drift.png": plot_drift, "tuning.png": plot_tuning,
           "trials.png": plot_trials}


def make_figures(results, out_dir, source=None):
    return [draw(out_dir / name, plot, results, source=source) for name, plot in FIGURES.items()]


def parse(argv):
    parser = figure_parser(__doc__, dd.SLUG, "folder")
    parser.add_argument("--results", type=input_file,
                        help="results JSON written by `python problems/delayed_discrimination.py --save-results PATH` "
                             "(default: the committed viz/delayed_discrimination/results.json; if missing, the "
                             "problem is run first, under a minute)")
    return parse_args(parser, argv, dd.SLUG)


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    results, source, written = load(args)
    written = make_figures(results, args.out_dir, source) + written
    if args.publish:
        written.append(publish_gif(dd.SLUG))
    report(written, start)
    return written


if __name__ == "__main__":
    main(sys.argv[1:])
