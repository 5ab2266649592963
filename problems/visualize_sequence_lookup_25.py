"""Static figures for the 25-sequence look-up (Rumelhart, Hinton & Williams 1986).

Trains the network of sequence_lookup_25.py (about 0.2 s fixed timing, 1.6 s variable
timing) and writes, for each timing:

    training_curves_<timing>.png   loss, train / held-out accuracy with baselines, per-bit accuracy
    weights_<timing>.png           W_xh, W_hh, W_hy as Hinton diagrams
    hidden_states_<timing>.png     hidden units over time on each of the 5 held-out sequences
    pass_fail_<timing>.png         per-sequence margin, green = all 3 bits right, red = not

where <timing> is "fixed" or "variable"; and with --study, the figures of the three studies
beyond the reference, study_max_timing_3.png, study_datasets.png, study_scale.png, drawn
from the committed viz/sequence_lookup_25/study_<name>.json (the study is run first when
that file is missing, with --rerun, or with --quick).

The figures go to results/sequence_lookup_25/ unless --out-dir says otherwise; only
--publish rewrites the committed files (all figures and study results, then the GIF).

    python problems/visualize_sequence_lookup_25.py                    # both timings, seed 0
    python problems/visualize_sequence_lookup_25.py --timing fixed --seed 3
    python problems/visualize_sequence_lookup_25.py --variable-timing --out-dir /tmp/figs
    python problems/visualize_sequence_lookup_25.py --study all
    python problems/visualize_sequence_lookup_25.py --quick            # seconds: quick runs
    python problems/visualize_sequence_lookup_25.py --publish          # regenerate viz/ and gifs/ (a few minutes)
"""

import sys
import time

import sequence_lookup_25 as slu  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402
from matplotlib.collections import PatchCollection  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from _figures import (GREEN, RED, draw, figure_parser, load_results, parse_args, plt, publish_gif,  # noqa: E402
                      report, results_source, save)
from rnn_numpy.experiment import command, non_negative_int  # noqa: E402

BIT_STYLES = [dict(color="#1f77b4", lw=3.0, ls="-"), dict(color="#ff7f0e", lw=2.0, ls="--"),
              dict(color="#9467bd", lw=1.5, ls=":")]  # distinct styles, so lines that coincide stay visible


# --- training and scoring ---------------------------------------------------------------------

def train_and_score(seed, variable_timing, quick=False):
    """Train one network and score all 25 sequences on the same inputs evaluate() uses.

    Returns a dict: cfg, params, history, data, y (25, 3) final outputs, margin (25,),
    passed (25,) bools, metrics (evaluate()'s dict for this seed)."""
    cfg = slu.resolve(slu.Config(seed=seed, variable_timing=variable_timing, quick=quick))
    params, history, data = slu.train(cfg)
    x, mask = slu.evaluation_inputs(cfg, data, 1)
    y = slu.forward(params, x, mask)[0][0]  # (25, 3)
    metrics = slu.evaluate(params, cfg, data, history)[0]
    passed = slu.bits_correct(y, data["targets"]).all(axis=-1)
    assert passed.tolist() == metrics["train_pass"] + metrics["test_pass"], "scoring disagrees with evaluate()"
    margin = (y * data["targets"]).min(axis=-1)
    return {"cfg": cfg, "params": params, "history": history, "data": data, "y": y, "margin": margin,
            "passed": passed, "metrics": metrics}


def held_out_states(run):
    """Hidden states on the held-out sequences with their held-out timings.
    -> h (T, n_test, H), mask (T, n_test) booleans (False on padding)."""
    cfg, data = run["cfg"], run["data"]
    timings = data["test_timings"] if cfg.variable_timing else np.ones_like(data["test_timings"])
    n_steps = cfg.seq_len * (cfg.max_timing if cfg.variable_timing else 1)
    x, mask = slu.encode(data["letters"][cfg.n_train:], timings, cfg.n_letters, n_steps)
    _, h, _ = slu.forward(run["params"], x[:, None], mask[:, None])
    return h[:, 0], mask > 0


def signs(bits):
    return " ".join("+" if b > 0 else "-" for b in bits)


def timing_label(cfg):
    if cfg.variable_timing:
        return f"variable timing (each letter held 1..{cfg.max_timing} steps), H={cfg.n_hidden}, seed {cfg.seed}"
    return f"fixed timing (one letter per step), H={cfg.n_hidden}, seed {cfg.seed}"


# --- figures ----------------------------------------------------------------------------------

def plot_training_curves(run):
    """Loss, accuracy with baselines, per-bit accuracy. Variable timing draws fresh training
    timings every sweep, so its curves are noisy: there each is drawn faint, every sweep,
    under a bold trailing mean."""
    cfg, hist, data = run["cfg"], run["history"], run["data"]
    sweeps = np.arange(1, cfg.n_sweeps + 1)
    converged = hist["converged_sweep"][0]
    base = slu.baselines(data, cfg.n_train)
    smooth = cfg.variable_timing
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5), sharex=True)
    (ax_loss, ax_acc), (ax_train_bits, ax_test_bits) = axes

    plot_curve(ax_loss, sweeps, hist["loss"][:, 0], smooth, color="black")
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel(f"training loss\n(1/2 sum of squared errors, mean over {cfg.n_train})")
    ax_loss.set_title(f"Training loss: from {hist['loss'][0, 0]:.1e} to {hist['loss'][-1, 0]:.1e}")

    plot_curve(ax_acc, sweeps, hist["train_acc"][:, 0], smooth, color="black", lw=2.5,
               label=f"train ({cfg.n_train} sequences)")
    plot_curve(ax_acc, sweeps, hist["test_n_correct"][:, 0] / cfg.n_test, smooth, color=GREEN, lw=2,
               label=f"held out ({cfg.n_test} sequences)")
    draw_baselines(ax_acc, base, cfg.n_test)
    ax_acc.set_ylabel("fraction of sequences with all 3 bits right")
    ax_acc.set_title(f"Accuracy: held out ends at {run['metrics']['test_n_correct']}/{cfg.n_test};\n"
                     "it means something only above the dashed baselines", fontsize=11)
    ax_acc.legend(loc="best", fontsize=9)

    for ax, key, what in ((ax_train_bits, "train_per_bit", "training"), (ax_test_bits, "test_per_bit", "held-out")):
        for bit, style in enumerate(BIT_STYLES):
            plot_curve(ax, sweeps, hist[key][:, 0, bit], smooth, label=f"bit {bit}", **style)
        ax.set_ylabel(f"fraction of {what} sequences\nwith this bit right")
        ax.set_title(f"Per-bit {what} accuracy: which output bit is hardest?", fontsize=11)
        ax.legend(loc="lower right", fontsize=9)
        ax.set_xlabel("sweep (log scale)")

    for ax in axes.flat:
        ax.set_xscale("log")
        ax.grid(alpha=0.3)
        if converged is not None:
            ax.axvline(converged, color="0.4", lw=1, ls="-.")
    for ax in (ax_acc, ax_train_bits, ax_test_bits):
        ax.set_ylim(-0.03, 1.05)
    if converged is not None:
        ax_loss.text(converged * 1.1, 0.04, f"sweep {converged}: first time all\n{cfg.n_train} training sequences right",
                     transform=ax_loss.get_xaxis_transform(), va="bottom", fontsize=9, color="0.3")
    note = ("\nfaint: every sweep (fresh random timings each sweep); bold: mean over the last 15% of sweeps"
            if smooth else "")
    fig.suptitle(f"25-sequence look-up, {timing_label(cfg)}: training curves{note}", fontsize=13)
    fig.tight_layout()
    return fig


def plot_curve(ax, sweeps, values, smooth, **style):
    """One curve; with smooth, the raw values faint and a trailing mean on top."""
    if not smooth:
        ax.plot(sweeps, values, **style)
        return
    ax.plot(sweeps, values, color=style.get("color"), lw=0.6, alpha=0.3)
    ax.plot(sweeps, trailing_mean(values), **style)


def trailing_mean(values, fraction=0.15):
    """At sweep s (1-based), the mean of the last max(1, fraction * s) values: a window that
    grows with s, so it smooths evenly on a log-scale sweep axis."""
    totals = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, len(values) + 1)
    starts = ends - np.maximum(1, (fraction * ends).astype(int))
    return (totals[ends] - totals[starts]) / (ends - starts)


def draw_baselines(ax, base, n_test):
    """Dashed lines for the two non-recurrent baselines; one line if they coincide."""
    majority, bag = base["majority_n_correct"], base["bag_of_letters_n_correct"]
    if majority == bag:
        ax.axhline(majority / n_test, color=RED, ls="--", lw=1.5,
                   label=f"both baselines ({majority}/{n_test}): always the most\n"
                         "common code; linear classifier on letter counts")
        return
    ax.axhline(majority / n_test, color=RED, ls="--", lw=1.5,
               label=f"baseline: always the most\ncommon code ({majority}/{n_test})")
    ax.axhline(bag / n_test, color="#8c564b", ls=(0, (2, 2)), lw=1.5,
               label=f"baseline: linear classifier\non letter counts ({bag}/{n_test})")


def hinton(ax, W, max_weight=None):
    """Hinton diagram of W (rows, cols): one square per weight, area proportional to |w|,
    white positive, black negative, on a grey background. Row 0 is at the top."""
    W = np.asarray(W)
    max_weight = np.abs(W).max() if max_weight is None else max_weight
    side = np.sqrt(np.abs(W) / max_weight)  # side^2 = area, proportional to |w|
    squares = [Rectangle((col - s / 2, row - s / 2), s, s) for (row, col), s in np.ndenumerate(side)]
    colours = np.where(W.ravel() > 0, "white", "black")
    ax.add_collection(PatchCollection(squares, facecolors=colours, edgecolors="none"))
    ax.set_facecolor("0.55")
    ax.set_xlim(-0.5, W.shape[1] - 0.5)
    ax.set_ylim(W.shape[0] - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.tick_params(length=0)


def plot_weights(run):
    """W_xh left of W_hh (rows = hidden units, shared), W_hy below W_hh (columns = hidden units)."""
    cfg, p = run["cfg"], run["params"]
    W_xh, W_hh, W_hy = p["W_xh"][0], p["W_hh"][0], p["W_hy"][0]
    H, D = W_xh.shape
    size = 10 if H <= 30 else 13
    fig = plt.figure(figsize=(size * (D + H + 6) / (H + 10), size))
    grid = fig.add_gridspec(2, 2, width_ratios=[D, H], height_ratios=[H, 3], wspace=0.06, hspace=0.12,
                            left=0.08, right=0.98, top=0.86, bottom=0.07)
    ax_xh, ax_hh, ax_hy = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])
    for ax, W in ((ax_xh, W_xh), (ax_hh, W_hh), (ax_hy, W_hy)):
        hinton(ax, W)
    hidden_ticks = np.arange(0, H, 5)
    ax_xh.set_xticks(range(D), list(slu.LETTERS[:D]))
    ax_xh.set_yticks(hidden_ticks)
    ax_xh.set_xlabel("input letter")
    ax_xh.set_ylabel("hidden unit")
    ax_xh.set_title(f"W_xh\ninput -> hidden\nmax |w| {np.abs(W_xh).max():.2f}", fontsize=10)
    ax_hh.set_xticks(hidden_ticks)
    ax_hh.set_yticks(hidden_ticks, [])
    ax_hh.xaxis.set_ticks_position("top")
    ax_hh.set_title(f"W_hh  hidden(t-1) -> hidden(t), columns = sending unit, max |w| {np.abs(W_hh).max():.2f}",
                    fontsize=10)
    ax_hy.set_xticks(hidden_ticks)
    ax_hy.set_yticks(range(slu.N_BITS), [f"bit {i}" for i in range(slu.N_BITS)])
    ax_hy.set_xlabel("hidden unit")
    ax_hy.set_title(f"W_hy  hidden -> 3 output bits, max |w| {np.abs(W_hy).max():.2f}", fontsize=10)
    fig.suptitle(f"Trained weights, {timing_label(cfg)}\n"
                 "square area ~ |w| (each matrix on its own scale), white = positive, black = negative.\n"
                 "Look for: every letter drives many hidden units, and each bit reads many of them "
                 "(a distributed code)", fontsize=11)
    return fig


def plot_hidden_states(run):
    cfg, data = run["cfg"], run["data"]
    h, mask = held_out_states(run)  # (T, n_test, H), (T, n_test)
    n_train, n_test = cfg.n_train, cfg.n_test
    lengths = mask.sum(axis=0)
    fig, axes = plt.subplots(1, n_test, figsize=(3.0 * n_test, 7 if cfg.n_hidden > 30 else 5.5),
                             gridspec_kw={"width_ratios": lengths})
    for j, ax in enumerate(axes):
        col = n_train + j
        states = h[mask[:, j], j].T  # (H, steps of this sequence)
        image = ax.imshow(states, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
        shown = np.repeat(data["letters"][col], data["test_timings"][j] if cfg.variable_timing else 1)
        ax.set_xticks(range(len(shown)), [slu.LETTERS[i] for i in shown], fontsize=11)
        for boundary in np.cumsum(data["test_timings"][j] if cfg.variable_timing else np.ones(cfg.seq_len))[:-1]:
            ax.axvline(boundary - 0.5, color="black", lw=1.5)  # where one letter's hold ends
        ax.set_xlabel("letter shown at each step")
        ax.set_yticks(np.arange(0, cfg.n_hidden, 5) if j == 0 else [])
        if j == 0:
            ax.set_ylabel("hidden unit")
        ok = run["passed"][col]
        verdict = "all 3 bits right" if ok else "wrong: bit " + ", ".join(
            str(b) for b in np.flatnonzero(~slu.bits_correct(run["y"][col], data["targets"][col])))
        ax.set_title(f"{slu.spell(data['letters'][col])}\ntarget {signs(data['targets'][col])}\n"
                     f"net    {signs(run['y'][col])}\n{verdict}", fontsize=10, color=GREEN if ok else RED,
                     family="monospace")
    look_for = ("Look for: each new letter changes many units at once (a distributed code, not one unit per "
                "letter or position). Black lines separate the letters.")
    if cfg.variable_timing:
        repeat, new = state_change_on_repeat_vs_new(h, mask, data["test_timings"])
        look_for += (f"\nMean |change| of a unit when a letter is held a second step: {repeat:.2f}; "
                     f"when a new letter arrives: {new:.2f}.")
    fig.suptitle(f"Hidden states on the {n_test} held-out sequences (never trained on), "
                 f"{timing_label(cfg)}\n{look_for}", fontsize=11)
    top = 0.74 if cfg.variable_timing else 0.7
    fig.subplots_adjust(left=0.05, right=0.9, bottom=0.1, top=top, wspace=0.08)
    fig.colorbar(image, cax=fig.add_axes([0.92, 0.1, 0.012, top - 0.1]), label="hidden activation (tanh)")
    return fig


def state_change_on_repeat_vs_new(h, mask, timings):
    """Mean |h_t - h_{t-1}| over units, split by whether step t repeats the previous letter
    (the second step of a hold) or shows a new one (excluding the very first step)."""
    repeat, new = [], []
    for j in range(h.shape[1]):
        n = int(mask[:, j].sum())
        first_of_hold = np.zeros(n, dtype=bool)
        first_of_hold[np.concatenate([[0], np.cumsum(timings[j])[:-1]])] = True
        change = np.abs(np.diff(h[:n, j], axis=0)).mean(axis=-1)  # (n - 1,): step t vs t-1
        repeat.extend(change[~first_of_hold[1:]])
        new.extend(change[first_of_hold[1:]])
    return float(np.mean(repeat)) if repeat else float("nan"), float(np.mean(new))


def plot_pass_fail(run):
    cfg, data = run["cfg"], run["data"]
    n_train, n_test = cfg.n_train, cfg.n_test
    xs = np.concatenate([np.arange(n_train), n_train + 1 + np.arange(n_test)])  # a one-bar gap before held out
    colours = [GREEN if ok else RED for ok in run["passed"]]
    fig, ax = plt.subplots(figsize=(13, 5))
    ax.bar(xs, run["margin"], color=colours, width=0.75)
    ax.axhline(0, color="black", lw=1)
    ax.axvline(n_train, color="0.3", ls="--", lw=1.2)
    ax.set_xticks(xs, [slu.spell(s) for s in data["letters"]], rotation=60, fontsize=10, family="monospace")
    ax.set_xlim(-0.8, xs[-1] + 0.8)
    ax.set_ylim(min(-0.3, run["margin"].min() - 0.2), 1.3)
    ax.text((n_train - 1) / 2, 1.17, f"training sequences ({run['passed'][:n_train].sum()}/{n_train} right)",
            ha="center", fontsize=11)
    ax.text(n_train + (n_test + 1) / 2, 1.17, f"held out ({run['passed'][n_train:].sum()}/{n_test} right)",
            ha="center", fontsize=11)
    for x, col in zip(xs, range(n_train + n_test)):
        if not run["passed"][col]:
            wrong = np.flatnonzero(~slu.bits_correct(run["y"][col], data["targets"][col]))
            ax.text(x, run["margin"][col] - 0.05, "bit " + ",".join(map(str, wrong)), ha="center", va="top",
                    fontsize=9, color=RED)
    ax.set_ylabel("margin = min over the 3 bits of\n(output x target);  < 0: a bit is wrong")
    ax.set_xlabel("sequence")
    ax.legend(handles=[Patch(color=GREEN, label="all 3 bits right"), Patch(color=RED, label="at least one bit wrong")],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    scored = ("\n(training sequences scored with a fresh random draw of timings, held out with their own fixed "
              "timings)" if cfg.variable_timing else "")
    ax.set_title(f"Per-sequence result after training, {timing_label(cfg)}{scored}\n"
                 "Look for: red bars on the held-out side are the generalization failures", fontsize=12)
    fig.tight_layout()
    return fig


# --- output -----------------------------------------------------------------------------------

FIGURES = {"training_curves": plot_training_curves, "weights": plot_weights,
           "hidden_states": plot_hidden_states, "pass_fail": plot_pass_fail}


# --- the three studies beyond the reference ---------------------------------------------------

def study_results(name, args):
    """The study's results and the file they were read from: the committed
    viz/<slug>/study_<name>.json, unless it is missing or --rerun / --quick / --publish asks
    for a fresh run, which is saved to the output folder (then there is no file to blame: None)."""
    source = results_source(args, slu.SLUG, f"study_{name}.json")
    if source is not None:
        return load_results(source, slu.SLUG, lambda r: r.get("study") == name, f"{HOW_TO_RUN} --study {name}"), source
    path = args.out_dir / f"study_{name}.json"
    print(f"running the study {name}{' (--quick)' if args.quick else ''} into {path}", flush=True)
    return slu.main(["--study", name, "--save-results", str(path)] + (["--quick"] if args.quick else [])), None


HOW_TO_RUN = "python problems/sequence_lookup_25.py"


def plot_study_max_timing_3(results):
    """(a) Train accuracy over sweeps per condition (median, 10-90 % band) and each seed's
    held-out accuracy over 200 fresh timing draws."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [1.6, 1]})
    colors = ["#555555", "#2ca02c", "#1f77b4"]
    for row, color in zip(results["rows"], colors):
        sweeps = np.array(row["curve_sweeps"])
        lo, mid, hi = (np.array(p) for p in row["train_acc_percentiles"])
        left.fill_between(sweeps, lo, hi, color=color, alpha=0.15, lw=0)
        left.plot(sweeps, mid, color=color, lw=2, label=row["condition"])
    every = results["rows"][1]["config"]["curriculum"]
    for k, stage in enumerate((every, 2 * every)):
        left.axvline(stage, color=colors[1], ls=":", lw=1)
        left.text(stage, 0.03, f" longest hold {k + 2}", color=colors[1], fontsize=8, rotation=90, va="bottom")
    left.set(xlabel="sweep", ylabel="fraction of training sequences right", ylim=(0, 1.03),
             title=f"Training with holds of 1..3 steps: median and 10-90 % of {results['n_seeds']} seeds")
    left.legend(loc="lower right", fontsize=8)
    rng = np.random.default_rng(0)
    for i, (row, color) in enumerate(zip(results["rows"], colors)):
        acc = np.array(row["fresh_timings_acc_per_seed"])
        right.scatter(i + rng.uniform(-0.15, 0.15, len(acc)), acc, color=color, s=18, alpha=0.8)
        right.plot([i - 0.25, i + 0.25], [acc.mean()] * 2, color="black", lw=2)
        right.text(i, 1.005, f"{acc.mean():.1%}", ha="center", va="bottom", fontsize=9)
    right.set_xticks(range(len(results["rows"])),
                     ["reference\nsettings", "curriculum", "Adam"], fontsize=9)
    right.set(ylabel="held-out accuracy over 200 fresh timings", ylim=(0.5, 1.06),
              title="Each seed on timings it never saw (bar: mean)")
    fig.suptitle("(a) Holds up to 3 steps: the reference's settings, a curriculum and Adam all train; "
                 "right: how each seed does on held-out timings it never saw")
    fig.tight_layout()
    return fig


def plot_study_datasets(results):
    """(b) Held-out score per dataset seed next to the baselines; bit error rates; errors
    against the teacher's margin."""
    rows = results["rows"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), gridspec_kw={"width_ratios": [2.2, 1, 1.2]})
    ax = axes[0]
    for i, r in enumerate(rows):
        ax.scatter(np.full(len(r["rnn_n_correct"]), i) + np.linspace(-0.2, 0.2, len(r["rnn_n_correct"])),
                   r["rnn_n_correct"], color="black", s=14, zorder=3, label="RNN, one per init seed" if i == 0 else None)
    xs = np.arange(len(rows))
    ax.plot(xs, [r["majority_n_correct"] for r in rows], "x", color=RED, ms=8, label="most common code")
    ax.plot(xs, [r["bag_of_letters_n_correct"] for r in rows], "^", color="#1f77b4", ms=7, mfc="none",
            label="linear, letter counts")
    ax.plot(xs, [r["letter_position_n_correct"] for r in rows], "s", color="#9467bd", ms=7, mfc="none",
            label="linear, letter x position")
    mean_rnn = np.mean([np.mean(r["rnn_n_correct"]) for r in rows])
    ax.axhline(mean_rnn, color="black", lw=1, ls="--")
    n_test = results["n_test"]
    ax.text(len(rows) - 0.5, mean_rnn + 0.08, f"RNN mean {mean_rnn:.2f}/{n_test}", ha="right", fontsize=8)
    ax.set(xticks=xs, xlabel=f"dataset seed (which sequences, which {n_test} held out)",
           ylabel=f"held-out sequences right (of {n_test})", ylim=(-0.3, n_test + 0.6),
           title="Dataset seed 0 is a lucky split")
    ax.legend(fontsize=8, loc="upper right", ncol=2)
    ax = axes[1]
    width = 0.38
    bits = np.arange(slu.N_BITS)
    ax.bar(bits - width / 2, results["bit_error_rate"], width, color="#888888", label=f"all {len(rows)} datasets")
    ax.bar(bits + width / 2, np.array(rows[0]["wrong_bits"]).mean(axis=(0, 1)), width, color="#d62728",
           label="dataset seed 0 only")
    ax.set(xticks=bits, xticklabels=[f"bit {b}" for b in bits], ylabel="held-out bit error rate",
           title="Is bit 2 harder?")
    ax.legend(fontsize=8)
    ax = axes[2]
    bins = results["error_rate_by_margin"]
    labels = [f"{b['margin_from']:g}-{'' if b['margin_to'] is None else format(b['margin_to'], 'g')}" for b in bins]
    ax.bar(range(len(bins)), [b["error_rate"] for b in bins], color="#555555")
    for i, b in enumerate(bins):
        ax.text(i, b["error_rate"] + 0.01, f"{b['n_bits']} bits", ha="center", fontsize=8)
    ax.set(xticks=range(len(bins)), xticklabels=labels, xlabel="teacher |logit| of the bit (distance to its boundary)",
           ylabel="held-out bit error rate", title="Errors sit near the teacher's boundary")
    fig.suptitle(f"(b) {len(rows)} dataset seeds x {results['n_seeds']} init seeds, fixed timing: "
                 "held-out scores against non-recurrent baselines")
    fig.tight_layout()
    return fig


def plot_study_scale(results):
    """(c) Held-out accuracy against the number of training sequences, 5 x 5 and 10 x 8."""
    fig, ax = plt.subplots(figsize=(9, 5))
    for (letters, length), ls in (((5, 5), "-"), ((10, 8), "--")):
        rows = [r for r in results["rows"] if (r["n_letters"], r["seq_len"]) == (letters, length)]
        n = [r["n_train"] for r in rows]
        acc = np.array([r["test_acc"] for r in rows])  # (conditions, seeds)
        tag = f"{letters} letters x {length}"
        ax.fill_between(n, acc.min(axis=1), acc.max(axis=1), color="black", alpha=0.1, lw=0)
        ax.plot(n, acc.mean(axis=1), ls, color="black", lw=2.5, marker="o", label=f"RNN, {tag} (band: seeds)")
        ax.plot(n, [r["letter_position_acc"] for r in rows], ls, color="#9467bd", marker="s", mfc="none",
                label=f"linear, letter x position, {tag}")
        ax.plot(n, [r["bag_of_letters_acc"] for r in rows], ls, color="#1f77b4", marker="^", mfc="none",
                label=f"linear, letter counts, {tag}")
        ax.plot(n, [r["majority_acc"] for r in rows], ls, color=RED, marker="x", label=f"most common code, {tag}")
    ax.axvline(20, color="#888888", lw=1, ls=":")
    ax.text(21, 0.02, "the reference's budget (20)", fontsize=8, color="#555555")
    ax.set(xscale="log", xlabel="training sequences", ylim=(0, 1.02),
           ylabel=f"held-out accuracy (all 3 bits, {results['n_test']} unseen sequences)",
           title="(c) More letters and positions need more data; with it the RNN beats every linear rule")
    n_trains = sorted({r["n_train"] for r in results["rows"]})
    ax.set_xticks(n_trains, [str(n) for n in n_trains])
    ax.minorticks_off()
    ax.legend(fontsize=7.5, loc="upper left", ncol=2)
    fig.tight_layout()
    return fig


STUDY_FIGURES = {"max_timing_3": plot_study_max_timing_3, "datasets": plot_study_datasets, "scale": plot_study_scale}




def make_figures(seed, variable_timing, out_dir, quick=False):
    run = train_and_score(seed, variable_timing, quick)
    suffix = "variable" if variable_timing else "fixed"
    return [save(plot(run), out_dir / f"{name}_{suffix}.png") for name, plot in FIGURES.items()]


def make_study_figures(names, args):
    written = []
    for name in names:
        results, source = study_results(name, args)
        written.append(draw(args.out_dir / f"study_{name}.png", STUDY_FIGURES[name], results, source=source))
    return written


def publish(args):
    """Regenerate every committed file of this problem: the figures of both timings, each
    study's results and figure (full runs: a few minutes), then the GIF."""
    out_dir = args.out_dir
    written = make_figures(0, False, out_dir) + make_figures(0, True, out_dir)
    written += make_study_figures(STUDY_FIGURES, args)  # --publish: every study runs afresh
    written += [out_dir / f"study_{name}.json" for name in STUDY_FIGURES]
    return written + [publish_gif(slu.SLUG)]


def parse(argv):
    parser = figure_parser(__doc__, slu.SLUG, "folder")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="initialization seed of the network (default: 0)")
    parser.add_argument("--timing", choices=["fixed", "variable", "both"], default="both",
                        help="fixed: one letter per step (H=30); variable: each letter held 1-2 steps (H=60); "
                             "both: make the figures for each (default: both)")
    parser.add_argument("--variable-timing", action="store_true", help="shorthand for --timing variable")
    parser.add_argument("--study", choices=[*STUDY_FIGURES, "all"],
                        help="draw the figure of a study beyond the reference instead (study_<name>.png), "
                             "from viz/sequence_lookup_25/study_<name>.json, running the study first "
                             "if that file is missing")
    parser.add_argument("--rerun", action="store_true", help="with --study: run the study again even if "
                        "its results file exists (max_timing_3 takes about 1.5 minutes)")

    def check(args):
        problems = []
        if args.variable_timing and args.timing == "fixed":
            problems.append("--variable-timing contradicts --timing fixed")
        if args.rerun and not args.study:
            problems.append("--rerun only applies with --study")
        if args.study and (args.seed != 0 or args.timing != "both" or args.variable_timing):
            problems.append("--study draws from the study's own runs; --seed, --timing and --variable-timing "
                            "would be ignored")
        return problems

    args = parse_args(parser, argv, slu.SLUG, check)
    if args.variable_timing:
        args.timing = "variable"
    return args


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    if args.publish:
        written = publish(args)
    elif args.study:
        names = list(STUDY_FIGURES) if args.study == "all" else [args.study]
        written = make_study_figures(names, args)
    else:
        timings = {"fixed": [False], "variable": [True], "both": [False, True]}[args.timing]
        written = [path for vt in timings for path in make_figures(args.seed, vt, args.out_dir, args.quick)]
    report(written, start)
    return written


if __name__ == "__main__":
    main(sys.argv[1:])
