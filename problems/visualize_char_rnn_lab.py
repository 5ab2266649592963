"""Static figures for the character-level RNN lab (char_rnn_lab.py).

Draws the baseline (H=64, chunk 25, AdaGrad lr 0.01, clip 5, orthogonal init, tanh, 30,000
steps, seed 42):

    baseline_learning_curve.png   training and held-out loss (nats/char) against step, with the
                                  exact entropy floor of the grammar, the target band (floor + 0.15)
                                  and the uniform guess log(27)
    baseline_spectral_radius.png  spectral radius of W_hh over training (1.0 at the orthogonal
                                  start) above the gradient norm before clipping, with the threshold
    baseline_samples.png          generated text at temperatures 0.5, 0.7 and 1.0, every word coloured
                                  by whether it is a word and whether it sits in a grammatical sentence

The first two figures come from a baseline results file: --results PATH, else the committed
viz/char_rnn_lab/baseline.json; if there is none, the baseline is run first (about a
minute) and its results are written beside the figures. The samples figure needs trained
weights, which a results file does not hold: the script retrains the network from the
file's config (same seed, same network; about a minute, checked against the file's final
held-out loss). --no-samples skips that figure and the retraining.

With --study NAME the script draws study_<name>.png from the committed study_<name>.json
(or --results PATH), running the study first if there is none. A study trains every
configuration with several seeds (char_rnn_lab.py --seeds); its figure shows their mean and
spread (thick lines: the mean, thin lines: single seeds; error bars: +-1 SD over the seeds)
and lists under the panels the differences the study tested, each with its standard error
and whether it is resolved at that number of seeds.

The figures go to results/char_rnn_lab/ unless --out-dir says otherwise; only --publish
rewrites the committed files in viz/char_rnn_lab/ (the baseline and all ten studies, run
again in full: about 25 minutes) and then gifs/char_rnn_lab.gif.

    python problems/visualize_char_rnn_lab.py                         # the three baseline figures
    python problems/visualize_char_rnn_lab.py --no-samples            # seconds: only the JSON figures
    python problems/visualize_char_rnn_lab.py --results results/baseline.json --out-dir /tmp/figs
    python problems/visualize_char_rnn_lab.py --study all
    python problems/visualize_char_rnn_lab.py --quick                 # seconds: from quick runs
    python problems/visualize_char_rnn_lab.py --publish               # regenerate viz/ and gifs/
"""

import dataclasses
import sys
import tempfile
import time

import char_rnn_lab as lab  # first: it sets the BLAS thread count before numpy loads

import matplotlib  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

import _char_grammar as grammar  # noqa: E402
from _figures import draw, figure_parser, load_results, parse_args, plt, publish_gif, report, results_source, save  # noqa: E402
from rnn_numpy import init  # noqa: E402
from rnn_numpy.experiment import command, input_file, load_params  # noqa: E402

HELD_OUT, TRAIN, FLOOR, UNIFORM = "#1f77b4", "black", "#d62728", "0.45"
WORD, STRAY, NONWORD = "black", "#e07b00", "#d62728"  # word colours in generated text
SAMPLE_TEMPERATURES = (0.5, 0.7, 1.0)
SAMPLE_CHARS = 2000  # generated per temperature; the fractions are measured on all of them


# --- inputs -----------------------------------------------------------------------------------

HOW_TO_RUN = "python problems/char_rnn_lab.py"


def is_baseline(results):
    return "study" not in results and "history" in results and "metrics" in results


def run_baseline(out_dir, quick):
    """Run the baseline (--quick: the smoke version) and keep its results in out_dir.
    Returns (results, params): the weights come back through --save-params."""
    print(f"running the baseline{' (--quick)' if quick else ' (about a minute)'}", flush=True)
    with tempfile.TemporaryDirectory() as folder:  # the weights are needed here only, not kept
        weights = f"{folder}/baseline.npz"
        results = lab.main(["--save-results", str(out_dir / "baseline.json"), "--save-params", weights]
                           + (["--quick"] if quick else []))
        params, _ = load_params(weights)
    return results, params


def baseline_results(args):
    """(results, params, source): from --results or the committed baseline.json (params None,
    source that file), else from a fresh run (always for --quick and --publish; source None)."""
    source = results_source(args, lab.SLUG, "baseline.json")
    if source is None:
        return *run_baseline(args.out_dir, args.quick), None
    return load_results(source, lab.SLUG, is_baseline, f"{HOW_TO_RUN} --save-results PATH"), None, source


def config_of(results):
    """The Config the results were made with (without --save-results / --study)."""
    names = {f.name for f in dataclasses.fields(lab.Config)}
    cfg = lab.Config(**{k: v for k, v in results["config"].items() if k in names})
    return lab.resolve(dataclasses.replace(cfg, save_results=None, save_params=None, study=None, results_dir=None))


def curves(results):
    """The history as arrays of network 0: steps and losses at each evaluation, and the
    per-step loss and gradient norm thinned to every 50th step (step 1, 51, 101, ...)."""
    h = results["history"]
    thinned = np.array(h["loss_every_50"])[:, 0]
    return {"step": np.array(h["step"]), "held_out": np.array(h["held_out_loss"])[:, 0],
            "train": np.array(h["train_loss"])[:, 0], "rho": np.array(h["spectral_radius"])[:, 0],
            "step_50": 1 + 50 * np.arange(len(thinned)), "loss_50": thinned,
            "grad_norm_50": np.array(h["grad_norm_every_50"])[:, 0]}


def run_label(cfg):
    return (f"H={cfg.hidden}, chunk {cfg.chunk}, {cfg.optimizer} lr {cfg.lr:g}, clip {cfg.clip:g}, "
            f"{cfg.init} init, {cfg.activation}, {cfg.steps} steps, seed {cfg.seed}")


# --- baseline figures -------------------------------------------------------------------------

def draw_floor(ax, floor, target_gap, uniform=None):
    """The entropy floor, the target band above it and (optionally) the uniform guess."""
    ax.axhspan(floor, floor + target_gap, color=FLOOR, alpha=0.08, lw=0)
    ax.axhline(floor, color=FLOOR, ls="--", lw=1.5, label=f"entropy floor {floor:.3f} (exact; no model beats it)")
    ax.axhline(floor + target_gap, color=FLOOR, ls=":", lw=1.2, label=f"target: floor + {target_gap} (shaded band)")
    if uniform is not None:
        ax.axhline(uniform, color=UNIFORM, ls="-.", lw=1.2, label=f"uniform guess log(27) = {uniform:.2f}")


def plot_learning_curve(results):
    """Left: the whole run on log-log axes (the fast early drop). Right: linear steps,
    zoomed onto the floor (what happens once the loss is close)."""
    c, m, cfg = curves(results), results["metrics"], config_of(results)
    floor, uniform = m["entropy_rate"], m["uniform_loss"]
    best = int(np.argmin(c["held_out"]))
    fig, (whole, near) = plt.subplots(1, 2, figsize=(14, 6))
    for ax in (whole, near):
        ax.plot(c["step_50"], c["loss_50"], color="0.6", lw=0.7, marker=".", ms=2.5,
                label="training loss on one chunk (every 50th step)")
        ax.plot(c["step"], c["train"], color=TRAIN, lw=1.8, marker=".",
                label=f"training loss, mean over the last {cfg.eval_every} steps")
        ax.plot(c["step"], c["held_out"], color=HELD_OUT, lw=2.5, marker="o", ms=4, label="held-out loss")
        ax.plot(c["step"][best], c["held_out"][best], ls="none", marker="*", ms=16, color=HELD_OUT, mec="white",
                label="lowest held-out loss")
        ax.set_xlabel("training step" + (" (log scale)" if ax is whole else ""))
        ax.set_ylabel("cross-entropy (nats per character)")
        ax.grid(alpha=0.3, which="both")
    target_gap = lab.TARGET_GAP[cfg.corpus]
    draw_floor(whole, floor, target_gap, uniform)
    whole.set(xscale="log", yscale="log", xlim=(1, cfg.steps), ylim=(floor * 0.85, uniform * 1.3),
              title="The whole run: from the uniform guess down to the floor")
    ticks = [t for t in (0.3, 0.4, 0.5, 0.7, 1, 1.5, 2, 3) if floor * 0.85 < t < uniform * 1.3]
    whole.set_yticks(ticks, [f"{t:g}" for t in ticks])
    whole.minorticks_off()
    draw_floor(near, floor, target_gap)
    top = max(floor + 2.5 * target_gap, min(1.0, c["held_out"].max() * 1.08))
    near.set(xlim=(0, cfg.steps), ylim=(floor - 0.03, top),
             title="Close to the floor (linear steps; anything higher is cut off)")
    near.text(0.98, 0.97, f"lowest held-out: {c['held_out'][best]:.3f} at step {c['step'][best]}\n"
              f"final held-out:   {m['held_out_loss']:.3f} at step {c['step'][-1]}\n"
              f"entropy floor:    {floor:.3f}", transform=near.transAxes, ha="right", va="top",
              family="monospace", fontsize=9.5, bbox=dict(facecolor="white", edgecolor="0.7", alpha=0.9))
    handles, labels = near.get_legend_handles_labels()
    extra = whole.get_legend_handles_labels()
    handles.append(extra[0][-1])
    labels.append(extra[1][-1])  # the uniform guess, drawn on the left only
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9, frameon=False)
    verdict = "inside" if m["gap_to_floor"] <= target_gap else "outside"
    fig.suptitle(f"Char-RNN baseline ({run_label(cfg)})\nHeld-out loss ends at {m['held_out_loss']:.3f} "
                 f"nats/char, {m['gap_to_floor']:.3f} above the entropy floor ({verdict} the target band). "
                 "Look for: how early the loss gets close, and whether it stays there.", fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_spectral_radius(results):
    """Top: rho(W_hh) at the start (computed from the initialization) and at every evaluation.
    Bottom: the global gradient norm before clipping, every 50th step, with the threshold."""
    c, m, cfg = curves(results), results["metrics"], config_of(results)
    rho0 = float(init.spectral_radius(lab.init_params(cfg, [{}])["W_hh"])[0])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7.8), sharex=True)
    top.plot(np.r_[0, c["step"]], np.r_[rho0, c["rho"]], color="#9467bd", lw=2, marker="o", ms=4)
    top.axhline(1.0, color="0.4", ls="--", lw=1)
    top.annotate(f"start: {rho0:.3f} ({cfg.init} init)", (0, rho0), xytext=(40, 35), textcoords="offset points",
                 fontsize=9, arrowprops=dict(arrowstyle="->"))
    top.set(ylabel="spectral radius of W_hh\n(largest |eigenvalue|)",
            title=f"Spectral radius: {rho0:.2f} at the start, {m['spectral_radius']:.2f} at the end "
                  "(dashed: 1, the edge between decaying and growing linear dynamics)")
    g = c["grad_norm_50"]
    over = g > cfg.clip if cfg.clip else np.zeros_like(g, dtype=bool)
    bottom.plot(c["step_50"], g, color="0.3", lw=0.8, label="gradient norm (every 50th step)")
    if over.any():
        bottom.plot(c["step_50"][over], g[over], ls="none", marker="o", color=FLOOR, ms=5,
                    label="above the threshold: clipped")
    if cfg.clip:
        bottom.axhline(cfg.clip, color=FLOOR, ls="--", lw=1.2, label=f"clip threshold {cfg.clip:g}")
    bottom.set(yscale="log", xlabel="training step", ylabel="global gradient norm\nbefore clipping (log)",
               ylim=(g.min() / 1.5, max(2 * cfg.clip, 1.5 * g.max())),
               title=f"Gradient norm: {m['clipped_fraction']:.1%} of all {cfg.steps} steps were clipped")
    low, high = bottom.get_ylim()
    candidates = (10.0 ** np.arange(-3, 5)[:, None] * [1, 2, 5]).ravel()  # 0.001, 0.002, 0.005, 0.01, ...
    ticks = [t for t in candidates if low <= t <= high]
    bottom.set_yticks(ticks, [f"{t:g}" for t in ticks])
    bottom.yaxis.set_minor_formatter(NullFormatter())
    bottom.legend(fontsize=9, loc="upper left")
    for ax in (top, bottom):
        ax.grid(alpha=0.3, which="both")
    bottom.set_xlim(0, cfg.steps)
    fig.suptitle(f"Char-RNN baseline ({run_label(cfg)})\nLook for: how far rho(W_hh) moves away from 1 as the "
                 "network learns, and whether the gradient ever reaches the clip threshold", fontsize=11)
    fig.tight_layout()
    return fig


# --- the samples figure -----------------------------------------------------------------------

def retrain(results):
    """Train the network of the results file again (deterministic: same seed, same weights)
    and check it against the file's final held-out loss. Returns (params, cfg, data)."""
    cfg = config_of(results)
    print(f"retraining the baseline network for the samples figure ({cfg.steps} steps; --no-samples skips it)",
          flush=True)
    params, history, data = lab.train(cfg, verbose=True)
    again, saved = history["held_out_loss"][-1][0], results["metrics"]["held_out_loss"]
    if abs(again - saved) > 1e-6:
        print(f"warning: the retrained network's held-out loss {again:.6f} differs from the results file's "
              f"{saved:.6f} (another machine or NumPy version?); the samples come from the retrained one")
    return params, cfg, data


def grammatical_mask(words, g):
    """For each word, True if it lies inside a sentence the grammar accepts."""
    inside = np.zeros(len(words), dtype=bool)
    for start, end in grammar.sentence_spans(g, words):
        inside[start:end] = True
    return inside


def word_colours(words, g, grammatical=True):
    """Red: not a word of the lexicon; orange: a word, but outside every grammatical sentence
    (only with grammatical=True); black: otherwise."""
    inside = grammatical_mask(words, g) if grammatical else np.ones(len(words), dtype=bool)
    return [NONWORD if not g.in_lexicon(w) else WORD if ok else STRAY for w, ok in zip(words, inside)]


def wrap_words(words, colours, width):
    """Greedy line filling: lines of (word, colour) pairs, at most width characters with single
    spaces; a word longer than a line is cut into line-sized pieces."""
    lines, line, used = [], [], 0
    for word, colour in zip(words, colours):
        for piece in [word[i:i + width] for i in range(0, len(word), width)] or [""]:
            if line and used + 1 + len(piece) > width:
                lines.append(line)
                line, used = [], 0
            used += len(piece) + (1 if line else 0)
            line.append((piece, colour))
    return lines + ([line] if line else [])


def draw_words(ax, lines, x, y, fontsize, spacing=1.6):
    """Monospace text whose words have their own colours: each line is drawn once per colour,
    with the other words blanked out, so the copies line up character for character.
    x, y: the top left corner in axes fraction; spacing: line height in font sizes.
    Returns the text artists."""
    height_in = ax.get_position().height * ax.figure.get_figheight()
    line_height = spacing * fontsize / 72 / height_in  # in axes fraction
    artists = []
    for n, line in enumerate(lines):
        for colour in dict.fromkeys(c for _, c in line):
            masked = " ".join(w if c == colour else " " * len(w) for w, c in line)
            artists.append(ax.text(x, y - n * line_height, masked, color=colour, family="monospace",
                                   fontsize=fontsize, va="top", ha="left", transform=ax.transAxes))
    return artists


def colour_handles(grammatical=True):
    """Legend entries for the word colours of word_colours()."""
    handles = [Patch(color=WORD, label="a word" + (" inside a grammatical sentence" if grammatical else "")),
               Patch(color=NONWORD, label="not a word of the lexicon")]
    if grammatical:
        handles.insert(1, Patch(color=STRAY, label="a word, but in no grammatical sentence"))
    return handles


def plot_samples(params, cfg, data, n_lines=5, width=124):
    """Text at each temperature from one generator seed, with the lexicon and grammatical
    fractions of grammar.text_quality over SAMPLE_CHARS characters (the first n_lines are shown)."""
    g = data["grammar"]
    fig, axes = plt.subplots(len(SAMPLE_TEMPERATURES), 1, figsize=(12.5, 6.6))
    for ax, temperature in zip(axes, SAMPLE_TEMPERATURES):
        text = lab.generate(params, cfg, SAMPLE_CHARS, np.random.default_rng(cfg.seed + 1),
                            temperature=temperature)[0]
        quality = grammar.text_quality(text, g)
        words = text.split()
        draw_words(ax, wrap_words(words, word_colours(words, g), width)[:n_lines], 0.0, 0.98, 10.5)
        ax.set_title(f"temperature {temperature:g}:  {quality['lexicon']:.1%} of words in the lexicon,  "
                     f"{quality['grammatical']:.1%} inside grammatical sentences   "
                     f"(measured over {SAMPLE_CHARS} generated characters; the first {n_lines} lines shown)",
                     fontsize=10.5, loc="left")
        ax.axis("off")
    fig.legend(handles=colour_handles(), loc="lower center", ncol=3, frameon=False, fontsize=10)
    fig.suptitle(f"Text generated by the trained baseline ({run_label(cfg)}), primed with \"the \"\n"
                 "Look for: the higher the temperature, the more invented words (red) and broken sentences "
                 "(orange)", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


# --- the ten studies ----------------------------------------------------------------------------
# Every configuration of a study is trained with several seeds. Curves: one thin line per seed
# and their mean thick; single numbers: the mean with error bars of +-1 SD over the seeds. A
# diverged network (None in the file) is left out of the mean and counted in the labels.

SEED_LINE = {"lw": 0.7, "alpha": 0.35}
MEAN_LINE = {"lw": 2.2}
DRAWING_KEY = ("thick lines and markers: mean over the seeds; thin lines: single seeds; "
               "error bars: ±1 SD over the seeds")
RULE = "differences b - a: mean ± SE over the seeds; resolved when |mean| > 2 SE"
LOSS_CEILING = 2 * np.log(grammar.V)  # held-out curves are cut off above twice the uniform guess


def plain_log_ticks(axis):
    """Decimal tick labels (0.4, 0.5, ...) on a log-scale axis instead of 4 x 10^-1: the
    densest of the ladders 1-1.5-2-3-4-5-7, 1-2-5 and 1 that gives at most ten ticks."""
    low, high = sorted(axis.get_view_interval())
    for ladder in ((1, 1.5, 2, 3, 4, 5, 7), (1, 2, 5), (1,)):
        ticks = [t for t in (10.0 ** np.arange(-4, 6)[:, None] * ladder).ravel() if low <= t <= high]
        if len(ticks) <= 10:
            break
    axis.set_ticks(ticks, [f"{t:g}" for t in ticks])
    axis.set_minor_formatter(NullFormatter())


def as_array(values):
    """Nested lists that may hold None (a diverged network) -> a float array with NaN."""
    return np.array(values, dtype=float)


def finite_mean(y, axis=0):
    """Mean over the finite entries along axis (NaN where there are none)."""
    ok = np.isfinite(y)
    count = ok.sum(axis=axis)
    total = np.where(ok, y, 0.0).sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def means_sds(spreads):
    """A list of spread dicts {"mean", "sd", "n", "per_seed"} -> (means, sds) arrays."""
    mean = as_array([s["mean"] for s in spreads])
    sd = np.array([s["sd"] or 0.0 for s in spreads], dtype=float)
    return mean, sd


def pm(s, spec=".3f"):
    """'mean ± sd' of a spread dict."""
    if s is None or s["mean"] is None:
        return "-"
    return f"{s['mean']:{spec}} ± {s['sd']:{spec}}" if s["sd"] is not None else f"{s['mean']:{spec}}"


def diverged_note(s):
    """' (k of N diverged)' for a spread dict whose seeds did not all finish, else ''."""
    missing = len(s["per_seed"]) - s["n"]
    return f" ({missing} of {len(s['per_seed'])} diverged)" if missing else ""


def seed_lines(ax, x, per_seed, color, label, **style):
    """Thin line per seed (per_seed: seeds x points), their mean thick."""
    y = as_array(per_seed)
    for row in y:
        ax.plot(x, row, color=color, **SEED_LINE, **style)
    ax.plot(x, finite_mean(y), color=color, label=label, **MEAN_LINE, **style)


def spread_points(ax, x, spreads, **style):
    """Means with +-1 SD error bars, joined by a line."""
    mean, sd = means_sds(spreads)
    ax.errorbar(x, mean, yerr=sd, marker="o", ms=5, capsize=3, lw=2, **style)


def spread_bars(ax, x, spreads, width, **style):
    """Bars of the means with +-1 SD error bars. Returns the bar container."""
    mean, sd = means_sds(spreads)
    return ax.bar(x, np.nan_to_num(mean), width, yerr=sd, capsize=3, ecolor="0.2", **style)


def arm_curves(curves, key, arm, seeds):
    """One arm's per-seed curves (seeds x evaluations) from a population's curves, whose
    members are arm-major (arm 0's seeds, then arm 1's, ...)."""
    return as_array(curves[key])[:, arm * seeds:(arm + 1) * seeds].T


def floor_and_target(r):
    """A study's entropy floor and its corpus's target gap, for draw_floor."""
    return r["entropy_rate"], lab.TARGET_GAP[r["config"].get("corpus", "v1")]


def held_out_panel(ax, r, arms, title="held-out loss during training"):
    """arms: (label, steps, per-seed curves) each; with the floor and its target band."""
    for k, (label, steps, per_seed) in enumerate(arms):
        seed_lines(ax, steps, per_seed, f"C{k}", label)
    draw_floor(ax, *floor_and_target(r))
    ax.set(yscale="log", xlabel="training step", ylabel="held-out nats/char", title=title)
    if ax.get_ylim()[1] > LOSS_CEILING:
        ax.set_ylim(top=LOSS_CEILING)
        ax.set_title(f"{title} (cut off above {LOSS_CEILING:.1f})")
    plain_log_ticks(ax.yaxis)
    ax.legend(fontsize=7)


def row_arms(rows, label_of):
    """held_out_panel's arms for studies that train each configuration as its own population."""
    return [(label_of(row) + diverged_note(row["held_out_loss"]), row["curves"]["step"],
             as_array(row["curves"]["held_out_loss"]).T) for row in rows]


def comparison_notes(comparisons):
    """One line per tested difference, as the study's table prints it."""
    lines = []
    for name, d in comparisons.items():
        if d["mean"] is None:
            lines.append(f"{name}: -")
            continue
        se = f" ± {d['se']:.3g}" if d["se"] is not None else ""
        verdict = "resolved" if d["resolved"] else f"not resolved at {d['n']} seeds"
        lines.append(f"{name}: {d['mean']:+.3g}{se} ({'paired' if d['paired'] else 'unpaired'}; {verdict})")
    return [RULE + ":"] + lines if lines else []


def add_footer(fig, notes, wide=(), fontsize=8.5):
    """Notes under the panels: a heading, its lines (in two columns if more than four), then
    the wide lines across the whole figure; the figure grows to make room. Returns the
    footer's height as a fraction of the figure."""
    if not notes:
        return 0.0
    head, body = notes[0], notes[1:]
    columns = [body[:(len(body) + 1) // 2], body[(len(body) + 1) // 2:]] if len(body) > 4 else [body]
    rows = max(len(c) for c in columns)
    line = fontsize * 1.45 / 72  # inches
    extra = 0.25 + (1 + rows + len(wide)) * line
    height = fig.get_figheight() + extra
    fig.set_figheight(height)

    def write(x, row, lines, **style):  # row: lines below the top of the footer
        fig.text(x, (extra - 0.1 - row * line) / height, "\n".join(lines), va="top", fontsize=fontsize,
                 linespacing=1.3, **style)

    write(0.01, 0, [head], weight="bold")
    for i, column in enumerate(columns):
        write(0.01 + 0.5 * i, 1, column, family="monospace")
    write(0.01, 1 + rows, wide, family="monospace")
    return extra / height


def finish(fig, number, text, r, notes=None, wide=(), key=DRAWING_KEY):
    """The study's title (steps, seeds, floor and how the seeds are drawn) and its notes
    (by default its comparisons) under the panels."""
    cfg = r["config"]
    fig.suptitle(f"{number}. {text}\n(corpus {cfg.get('corpus', 'v1')}, {cfg['steps']} steps per network, "
                 f"{cfg['seeds']} seeds per configuration, "
                 f"entropy floor {r['entropy_rate']:.3f} nats/char)\n{key}", fontsize=11)
    bottom = add_footer(fig, comparison_notes(r.get("comparisons", {})) if notes is None else notes, wide)
    fig.tight_layout(rect=(0, bottom, 1, 1))
    return fig


def plot_study_init(r):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    seeds, c = r["config"]["seeds"], r["curves"]
    held_out_panel(axes[0], r,
                   [(f"{n} (radius {pm(r['start_radius'][k], '.2f')} at step 0)", c["step"],
                     arm_curves(c, "held_out_loss", k, seeds)) for k, n in enumerate(r["names"])])
    for k, n in enumerate(r["names"]):
        start = as_array(r["start_radius"][k]["per_seed"])[:, None]
        seed_lines(axes[1], [0] + c["step"], np.hstack([start, arm_curves(c, "spectral_radius", k, seeds)]), f"C{k}", n)
    axes[1].set(xlabel="training step", ylabel="spectral radius of W_hh", title="spectral radius during training")
    axes[1].legend(fontsize=8)
    for k, n in enumerate(r["names"]):
        start, end = as_array(r["grad_by_position_start"][k]), as_array(r["grad_by_position_end"][k])
        seed_lines(axes[2], np.arange(start.shape[1]), start, f"C{k}", None, ls="--")
        seed_lines(axes[2], np.arange(end.shape[1]), end, f"C{k}", f"{n}: dashed at step 0, solid at the end")
    axes[2].set(yscale="log", xlabel="steps back from the scored character",
                ylabel="||dL/dh|| relative to the last step", title="gradient flow through time")
    axes[2].legend(fontsize=7)
    return finish(fig, 1, "Initialization of W_hh", r)


def plot_study_hidden(r):
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.6))
    rows = r["rows"]
    spread_points(a, [x["params"] for x in rows], [x["held_out_loss"] for x in rows], color="black")
    for x in rows:
        held = x["held_out_loss"]
        a.annotate(f"H={x['hidden']}{diverged_note(held)}", (x["params"], held["mean"] or r["entropy_rate"]),
                   textcoords="offset points", xytext=(6, 6), fontsize=9)
    draw_floor(a, *floor_and_target(r))
    value_axis(a, [x["params"] for x in rows], "parameters", "final held-out nats/char", "final loss against size")
    a.legend(fontsize=7)
    held_out_panel(b, r, row_arms(rows, lambda x: f"H={x['hidden']}"))
    return finish(fig, 2, "Hidden size", r)


def plot_study_tbptt(r):
    places = r["rows"][0].get("place_cost") is not None  # v2: the long dependency, priced
    fig, axes = plt.subplots(1, 4 if places else 3, figsize=(21 if places else 16, 4.6))
    for k, row in enumerate(r["rows"]):
        g, probe = as_array(row["grad_by_position"]), as_array(row["probe"])
        seed_lines(axes[0], np.arange(g.shape[1]), g, f"C{k}", f"trained with chunks of {row['chunk']}")
        seed_lines(axes[1], np.arange(1, probe.shape[1] + 1), probe, f"C{k}",
                   f"chunk {row['chunk']} (horizon {pm(row['memory_horizon'], '.1f')})")
    axes[0].set(yscale="log", xlabel="steps back from the scored character",
                ylabel="||dL/dh|| relative to the last step", title="how far the gradient reaches (50-step probe)")
    axes[0].legend(fontsize=8)
    axes[1].axhline(r["chance"], color="grey", ls=":", label="most common character")
    axes[1].set(xlabel="k: characters back", ylabel="accuracy of reading out x_{t-k} from h_t",
                title="memory probe", ylim=(0, 1))
    axes[1].legend(fontsize=8)
    held_out_panel(axes[2], r, row_arms(r["rows"], lambda x: f"chunk {x['chunk']}"))
    if places:
        place_cost_panel(axes[3], [x["chunk"] for x in r["rows"]], [x["place_cost"] for x in r["rows"]])
    return finish(fig, 3, "Truncated-BPTT chunk length", r, wide=lab.studies.reach_lines(r))


def place_cost_panel(ax, chunks, spreads):
    """v2: nats paid on each place word, whose noun came 8-57 characters earlier."""
    spread_points(ax, chunks, spreads, color="black")
    ax.axhline(np.log(16), color="grey", ls=":", label="remembers nothing: log 16")
    ax.axhline(np.log(8), color="grey", ls="--", label="remembers only the kind: log 8")
    ax.axhline(0, color=FLOOR, ls="-", lw=1, label="remembers the noun: 0")
    value_axis(ax, chunks, "chunk length", "nats per place word (held-out)",
               "the place fixed by the subject's noun")
    ax.legend(fontsize=8)


def activation_label(row):
    return f"{row['activation']} (clip {row['clip']:g})"


def hidden_state_table(ax, rows):
    """The hidden-state statistics (mean +- SD over seeds) and the stability verdicts."""
    lines = [f"{'':19}{'mean':>14}{'std':>13}{'saturated':>13}", ""]
    for row in rows:
        s = row["hidden_summary"]
        lines.append(f"{activation_label(row):<19}{pm(s['mean'], '.2f'):>14}{pm(s['std'], '.2f'):>13}"
                     f"{pm(s['saturated'], '.2f'):>13}")
        counts = ", ".join(f"{row['verdicts'].count(v)} {v}" for v in dict.fromkeys(row["verdicts"]))
        lines.append(f"{'':2}seeds: {counts}")
    ax.axis("off")
    ax.text(0, 1, "hidden states on held-out text (mean ± SD over the seeds)\n\n" + "\n".join(lines),
            family="monospace", fontsize=8.5, va="top", transform=ax.transAxes)


def plot_study_activation(r):
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.6), gridspec_kw={"width_ratios": [1, 1, 1.15]})
    held_out_panel(axes[0], r, row_arms(r["rows"], activation_label))  # a diverged seed ends early
    for k, x in enumerate(r["rows"]):
        g = as_array(x["grad_norm_every_50"])  # (seeds, steps / 50)
        seed_lines(axes[1], np.arange(g.shape[1]) * 50, g, f"C{k}", activation_label(x))
    for clip in sorted({x["clip"] for x in r["rows"]}):
        axes[1].axhline(clip, color="black", ls="--", lw=1)
    axes[1].set(yscale="log", xlabel="training step", ylabel="gradient norm before clipping",
                title="gradient norm (dashed: the clip thresholds)")
    plain_log_ticks(axes[1].yaxis)
    axes[1].legend(fontsize=8)
    hidden_state_table(axes[2], r["rows"])
    return finish(fig, 4, "Activation function", r)


def value_axis(ax, values, name, ylabel, title):
    ax.set(xscale="log", xlabel=name, ylabel=ylabel, title=title)
    ax.set_xticks(values, [f"{v:g}" for v in values])
    ax.xaxis.set_minor_formatter(NullFormatter())


def final_loss_by_value(ax, r, values, name):
    """Final held-out loss against the setting, one line per optimizer; diverged seeds noted."""
    for k, (optimizer, res) in enumerate(r["optimizers"].items()):
        spread_points(ax, values, res["held_out_loss"], color=f"C{k}", label=optimizer)
        for v, s in zip(values, res["held_out_loss"]):
            if diverged_note(s):  # at the point, or at the top if no seed is left
                where = (v, s["mean"]) if s["mean"] is not None else (v, 0.97 - 0.1 * k)
                ax.annotate(diverged_note(s).strip(" ()").replace(" diverged", "\ndiverged"), where,
                            xycoords="data" if s["mean"] is not None else ("data", "axes fraction"),
                            textcoords="offset points", xytext=(0, 6 if s["mean"] else -2), ha="center",
                            va="bottom" if s["mean"] else "top",
                            fontsize=7.5, color=f"C{k}")
    draw_floor(ax, *floor_and_target(r))
    value_axis(ax, values, name, "final held-out nats/char", f"final loss against the {name}")
    ax.margins(x=0.1)
    ax.legend(fontsize=7)


def clipped_share_panel(ax, r, optimizer):
    """How often each threshold fired, per block of 1,000 steps (mean and single seeds)."""
    per = as_array(r["optimizers"][optimizer]["clipped_fraction_per_1000"])  # (blocks, thresholds, seeds)
    steps = r["config"]["steps"]
    middle = [(i * 1000 + min((i + 1) * 1000, steps)) / 2 for i in range(per.shape[0])]
    for k, th in enumerate(r["thresholds"]):
        seed_lines(ax, middle, per[:, k].T, f"C{k + 2}", f"clip {th:g}", marker="o", ms=3)
    ax.set(xlabel="training step (middle of each block of 1,000)", ylabel="share of steps clipped",
           xlim=(0, steps), ylim=(-0.03, 1.03), title=f"how often the clip fires ({optimizer})")
    ax.legend(fontsize=7)


def plot_study_clip(r):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    final_loss_by_value(axes[0], r, r["thresholds"], "clip threshold")
    clipped_share_panel(axes[1], r, "sgd")
    clipped_share_panel(axes[2], r, "adagrad")
    same = r.get("identical_by_construction")
    wide = [f"AdaGrad at clip {', '.join(f'{t:g}' for t in same['thresholds'])}: clipped on every step of every seed, "
            "so these thresholds train the same networks by construction (held-out losses within "
            f"{same['largest_difference']:.1e})"] if same else []
    return finish(fig, 5, "Gradient clipping under SGD (momentum 0.9) and AdaGrad", r, wide=wide)


def recovery_bars(ax, rows):
    """Share of generated words inside grammatical sentences, four ways, per method."""
    measures = [("free running,\nT=0.7", lambda x: [q["grammatical"] for q in x["free_running"]["0.7"]]),
                ("free running,\nT=1.0", lambda x: [q["grammatical"] for q in x["free_running"]["1.0"]]),
                ("after an\nintact prime", lambda x: x["recovery"]["intact"]["grammatical"]),
                ("after a prime\nwith a typo", lambda x: x["recovery"]["corrupted"]["grammatical"])]
    width = 0.38
    for i, row in enumerate(rows):
        spreads = [{"mean": float(np.mean(f(row))), "sd": float(np.std(f(row), ddof=1)), "n": len(f(row)),
                    "per_seed": f(row)} for _, f in measures]
        bars = spread_bars(ax, np.arange(len(measures)) + (i - 0.5) * width, spreads, width, color=f"C{i}",
                           label=row["method"])
        ax.bar_label(bars, [f"{s['mean']:.0%}" for s in spreads], fontsize=7, padding=2)
    ax.set_xticks(range(len(measures)), [m for m, _ in measures], fontsize=8)
    ax.set(ylabel="generated words inside grammatical sentences", ylim=(0, 1.1),
           title="grammatical text: free running and after a prime")
    ax.legend(fontsize=8, loc="upper right")


def cost_by_step_panel(ax, r):
    """Scheduled sampling minus teacher forcing in held-out loss at every evaluation (paired
    over seeds, +-2 SE), beside the mixing rate scheduled sampling had reached by then."""
    cost = r["cost_by_step"]
    mean = as_array([d["mean"] for d in cost["gap"]])
    se = as_array([d["se"] for d in cost["gap"]])
    ax.fill_between(cost["step"], mean - 2 * se, mean + 2 * se, color="C1", alpha=0.25, lw=0,
                    label=f"±2 SE (paired over {r['config']['seeds']} seeds)")
    ax.plot(cost["step"], mean, color="C1", marker=".", **MEAN_LINE, label="mean difference")
    ax.axhline(0, color="black", lw=0.8)
    ax.set(xlabel="training step", ylabel="held-out nats/char, scheduled - teacher",
           title="held-out loss: scheduled sampling minus teacher forcing")
    twin = ax.twinx()
    twin.plot(cost["step"], cost["mixing_rate"], color="0.45", ls="--", lw=1.5,
              label="mixing rate: share of inputs sampled (right axis)")
    twin.set_ylabel("mixing rate")
    align_zero(ax, twin, 1.05 * max(cost["mixing_rate"]))
    handles, labels = ax.get_legend_handles_labels()
    extra = twin.get_legend_handles_labels()
    ax.legend(handles + extra[0], labels + extra[1], fontsize=7, loc="upper left")


def align_zero(ax, twin, top):
    """The twin axis from 0 to top, its 0 at the height of ax's 0 (if ax shows 0)."""
    low, high = ax.get_ylim()
    twin.set_ylim(top * low / high if low < 0 < high else 0, top)
    twin.set_yticks([t for t in twin.get_yticks() if 0 <= t <= top])


def plot_study_teacher_forcing(r):
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    held_out_panel(axes[0], r, row_arms(r["rows"], lambda x: x["method"]))
    cost_by_step_panel(axes[1], r)
    recovery_bars(axes[2], r["rows"])
    return finish(fig, 6, "Teacher forcing and scheduled sampling", r)


def plot_study_reservoir(r):
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.6))
    held_out_panel(a, r, row_arms(r["rows"], lambda x: x["name"]))
    names = [x["name"].split(" (")[0] + diverged_note(x["gap"]) for x in r["rows"]]
    bars = spread_bars(b, np.arange(len(names)), [x["gap"] for x in r["rows"]], 0.6, color=["C0", "C1", "C2"])
    b.bar_label(bars, [pm(x["gap"]) for x in r["rows"]], fontsize=8, padding=2)
    b.set_xticks(range(len(names)), names)
    b.set(ylabel="final gap to the entropy floor (nats/char)", title="final gap to the floor by what is trained")
    return finish(fig, 7, "Reservoir: frozen recurrent weights, trained readout", r)


def plot_study_novel_word(r):
    fig, ax = plt.subplots(figsize=(12, 4.8))
    cats = list(r["results"][0]["by_category"])
    width = 0.8 / len(r["results"])
    for i, res in enumerate(r["results"]):
        own = res["closest_category_is_own"]
        spreads = [res["by_category"][c] for c in cats]
        label = (f'"zog" in place of "{res["replaced"]}" ({res["replaced_word_category"]}): closest to its own '
                 f"category in {sum(own)} of {len(own)} networks")
        bars = spread_bars(ax, np.arange(len(cats)) + (i - (len(r["results"]) - 1) / 2) * width, spreads, width,
                           color=f"C{i}", label=label)
        ax.bar_label(bars, [f"{s['mean']:.2f}" for s in spreads], fontsize=7, padding=2)
    ax.set_xticks(range(len(cats)), cats)
    ax.set(ylabel='cosine similarity of "zog" to the category', ylim=(0, 1.15),
           title="cosine similarity of the mean word-end state of \"zog\" to each category's nouns")
    ax.legend(fontsize=8, loc="upper left")
    note = [f"the networks' held-out loss: {pm(r['held_out_loss'])} nats/char (mean ± SD over the seeds)",
            *lab.studies.nearest_lines(r)]
    return finish(fig, 8, 'A never-seen word, "zog", read by the trained networks without training', r, note,
                  key="bars: mean over the seeds (one network each); error bars: ±1 SD over the seeds")


def grid_cell_text(row):
    held, horizon = row["held_out_loss"], row["memory_horizon"]
    if held["mean"] is None:
        return f"all {len(held['per_seed'])}\ndiverged"
    return f"{pm(held)}\nh = {pm(horizon, '.1f')}" + diverged_note(held).replace(" (", "\n(")


def grid_panel(ax, rows, act, Hs, chunks, norm):
    """One activation's held-out means as a heatmap, each cell labelled with mean +- SD."""
    grid = np.full((len(Hs), len(chunks)), np.nan)
    for x in rows:
        if x["activation"] == act:
            i, j = Hs.index(x["hidden"]), chunks.index(x["chunk"])
            grid[i, j] = np.nan if x["held_out_loss"]["mean"] is None else x["held_out_loss"]["mean"]
            dark = np.isfinite(grid[i, j]) and grid[i, j] > np.sqrt(norm.vmin * norm.vmax)
            ax.text(j, i, grid_cell_text(x), ha="center", va="center", fontsize=7.5, color="white" if dark else "black")
    ax.set(xticks=range(len(chunks)), xticklabels=chunks, yticks=range(len(Hs)), yticklabels=Hs,
           xlabel="chunk length", title=act)
    return ax.imshow(grid, cmap="viridis_r", norm=norm, origin="lower", aspect="auto")


def grid_notes(r):
    """The source's "H = 64 within 5 %" claim and the activations' mean differences, per seed."""
    notes = ["spreads over the seeds (mean ± SD):"]
    ref = r.get("reference")
    if ref:
        notes.append(f"H=64 tanh chunk 25 against the source's reference H=128 tanh chunk 50: "
                     f"{pm(ref['percent_above'], '.1f')} % above it, {pm(ref['excess_ratio'], '.2f')} times its "
                     f"excess over the floor, with {ref['parameter_ratio']:.2f} of its parameters")
    for name, s in r["activation_differences"].items():
        notes.append(f"{name} held-out loss, averaged over the (H, chunk) cells: {pm(s)} nats/char")
    return notes if len(notes) > 1 else []


def plot_study_grid(r):
    rows = r["rows"]
    acts = list(dict.fromkeys(x["activation"] for x in rows))  # in the order trained
    Hs, chunks = sorted({x["hidden"] for x in rows}), sorted({x["chunk"] for x in rows})
    means = [x["held_out_loss"]["mean"] for x in rows if x["held_out_loss"]["mean"] is not None]
    norm = matplotlib.colors.LogNorm(min(means), max(means))
    fig, axes = plt.subplots(1, len(acts) + 1, figsize=(4.8 * len(acts) + 1, 4.8),
                             gridspec_kw={"width_ratios": [1] * len(acts) + [0.05]})
    for ax, act in zip(axes, acts):
        im = grid_panel(ax, rows, act, Hs, chunks, norm)
    axes[0].set_ylabel("hidden units H")
    fig.colorbar(im, cax=axes[-1], label="mean held-out nats/char")
    plain_log_ticks(axes[-1].yaxis)
    return finish(fig, 10, "Hidden size x activation x chunk length", r, grid_notes(r),
                  key="each cell: held-out loss and h, the memory horizon in characters, mean ± SD over the seeds")


def plot_study_lr(r):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    final_loss_by_value(axes[0], r, r["rates"], "learning rate")
    seeds = r["config"]["seeds"]
    for ax, (optimizer, res) in zip(axes[1:], r["optimizers"].items()):
        c = res["curves"]
        held_out_panel(ax, r,
                       [(f"lr {v:g}{diverged_note(res['held_out_loss'][k])}", c["step"],
                         arm_curves(c, "held_out_loss", k, seeds)) for k, v in enumerate(r["rates"])],
                       title=f"held-out loss during training ({optimizer})")
    return finish(fig, 9, "Learning rate under SGD (momentum 0.9) and AdaGrad", r)


# study name -> function(results dict of study_<name>.json) -> matplotlib Figure
STUDY_FIGURES = {"init": plot_study_init, "hidden": plot_study_hidden, "tbptt": plot_study_tbptt,
                 "activation": plot_study_activation, "clip": plot_study_clip,
                 "teacher_forcing": plot_study_teacher_forcing, "reservoir": plot_study_reservoir,
                 "novel_word": plot_study_novel_word, "lr": plot_study_lr, "grid": plot_study_grid}


def study_results(name, args):
    """A study's results: from --results or the committed study_<name>.json, else from a
    fresh run saved in the output folder (always for --quick and --publish)."""
    source = results_source(args, lab.SLUG, f"study_{name}.json")
    if source is None:
        lab.main(["--study", name, "--results-dir", str(args.out_dir)] + (["--quick"] if args.quick else []))
        source = args.out_dir / f"study_{name}.json"
    return load_results(source, lab.SLUG, lambda r: r.get("study") == name, f"{HOW_TO_RUN} --study {name}"), source


def make_study_figures(names, args):
    written = []
    for name in names:
        results, source = study_results(name, args)
        written.append(draw(args.out_dir / f"study_{name}.png", STUDY_FIGURES[name], results, source=source))
    return written


def make_baseline_figures(args):
    results, params, source = baseline_results(args)
    written = [draw(args.out_dir / "baseline_learning_curve.png", plot_learning_curve, results, source=source),
               draw(args.out_dir / "baseline_spectral_radius.png", plot_spectral_radius, results, source=source)]
    if args.no_samples:
        print("skipping baseline_samples.png (--no-samples)")
        return written
    if params is None:
        params, cfg, data = retrain(results)
    else:
        cfg = config_of(results)
        data = {"grammar": lab.CORPORA[cfg.corpus].grammar()}  # the samples figure needs only the grammar
    written.append(save(plot_samples(params, cfg, data), args.out_dir / "baseline_samples.png"))
    return written


def publish(args):
    """Regenerate every committed file: the baseline and each study run in full, their JSON
    and figures in viz/char_rnn_lab/, then the GIF."""
    written = make_baseline_figures(args) + [args.out_dir / "baseline.json"]
    written += make_study_figures(STUDY_FIGURES, args) + [args.out_dir / f"study_{n}.json" for n in STUDY_FIGURES]
    return written + [publish_gif(lab.SLUG)]


def parse(argv):
    parser = figure_parser(__doc__, lab.SLUG, "folder")
    parser.add_argument("--results", type=input_file,
                        help="results JSON to draw from: a baseline file written by "
                             "`python problems/char_rnn_lab.py --save-results PATH`, or with --study NAME "
                             "that study's file (default: the committed viz/char_rnn_lab/baseline.json / "
                             "study_<name>.json; if missing, the baseline / study is run first)")
    parser.add_argument("--study", choices=[*STUDY_FIGURES, "all"],
                        help="draw the figure of one study (or all) instead, study_<name>.png")
    parser.add_argument("--no-samples", action="store_true",
                        help="skip baseline_samples.png, which retrains the network (about a minute)")

    def check(args):
        problems = []
        if args.study == "all" and args.results is not None:
            problems.append("--results names one study's file; use it with --study NAME, not --study all")
        if args.study and args.no_samples:
            problems.append("--no-samples only applies to the baseline figures, not with --study")
        return problems

    return parse_args(parser, argv, lab.SLUG, check)


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    if args.publish:
        written = publish(args)
    elif args.study:
        written = make_study_figures(list(STUDY_FIGURES) if args.study == "all" else [args.study], args)
    else:
        written = make_baseline_figures(args)
    report(written, start)
    return written


if __name__ == "__main__":
    main(sys.argv[1:])
