"""Static figures for the character challenge (character_challenge.py; Fabi, Otte, Wiese & Butz 2020,
ICANN), after the paper's Figs. 2-7, with our data.

Draws, from one results file of `python problems/character_challenge.py --save-results PATH`:

    regeneration.png  Fig. 2: the 13 new letters n-z (columns) written five ways: the one example
                      (green); the trained network after one-shot inference (blue); the trained
                      network given the new label without any inference (red); an untrained network
                      after the same inference (orange); the trained network with its input vector
                      inferred instead of the dense weights (purple, beyond the paper's figures).
                      Each panel: its DTW distance to the example, the example faint behind it.
                      Look for: blue close to green everywhere, red and orange clearly worse
    variants.png      Fig. 3: per noise SD on the label (columns), every new letter as the network
                      writes it after one-shot inference (blue), then five noisy variants (black);
                      below, fidelity (DTW to the example) against diversity (DTW between two
                      variants) for every SD, beside the writer's own further samples. Look for:
                      variants that stay the letter while differing more as the SD grows
    codes.png         Fig. 4: classification by inferring the input vector: the 26 inferred numbers
                      as bars (the true letter's bar green, a wrong winner red) for a similar sample
                      classified right, one classified wrong, and two dissimilar (alternative style)
                      samples, each beside the test letter (green) and the one example the network
                      learned (grey); below, every test letter's inferred vector as a heat map. Look
                      for: mass on the true letter and on letters that share its strokes
    blends.png        Fig. 5: input vectors w * label(first) + (1 - w) * label(second), w = 1, 0.9,
                      ..., 0 (columns), for six pairs of new letters; at the right, each blend's DTW
                      to the pure first and pure second letter. Look for: a smooth morph, one curve
                      rising while the other falls, with no single large jump
    states.png        Figs. 6-7: the cell states c while writing v and y, and the hidden states h
                      while writing u and x, as rasters (units x time step, colour = value), with
                      the example's stroke parts marked along the time axis, beside the written
                      letter coloured by time step. Look for: the v's pattern again in the first
                      part of y; u's two up-down motions repeating
    training.png      left: training and validation MSE on a-m; middle: the one-shot MSE of every
                      new letter over the inference iterations, trained vs untrained network (log
                      axes); right (if the run has it): one-shot DTW after training on 4, 8 and 13
                      letters; bottom: a-m as the trained network writes them. Look for: the
                      trained network's one-shot MSE falling faster and lower
    protocols.png     the networks of two runs side by side, ours and one under --paper-protocol
                      (each network a dot, bars their mean): distances and counts of 3.1 and
                      3.3, the new letters' column lengths, the blends' order and largest jump.
                      Look for: the columns growing and the untrained control succeeding
                      without the bound. Drawn when a --paper-protocol results file is at hand
                      (--paper-results, or results_paper_protocol.json beside the results)

The results come from --results PATH, by default the committed viz/character_challenge/results.json.
If there is none, this script first runs the problem with its defaults (about 10 minutes on a
2-core machine) and keeps its results and weights beside the figures.

The figures go to results/character_challenge/ unless --out-dir says otherwise; only --publish
rewrites the committed files in viz/character_challenge/ (trained again in full: 5 networks with
the letters study, and 5 under --paper-protocol, one after the other) and then
gifs/character_challenge.gif.

    python problems/visualize_character_challenge.py                 # from viz/.../results.json
    python problems/visualize_character_challenge.py --results results/cc.json --out-dir /tmp/figs
    python problems/visualize_character_challenge.py --quick         # seconds: a quick run
    python problems/visualize_character_challenge.py --publish       # regenerate viz/ and gifs/
"""

import pathlib
import sys
import time

import character_challenge as cc  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import _handwriting as hw  # noqa: E402
from _figures import (GREEN, RED, draw, figure_parser, load_results, parse_args, plt, publish_gif,  # noqa: E402
                      report, results_source)
from rnn_numpy.experiment import command, input_file, load_json  # noqa: E402

BLUE, ORANGE, PURPLE, GREY = "#1f77b4", "#ff7f0e", "#9467bd", "0.55"
EXAMPLE_COLOUR = GREEN
ARMS = {  # regeneration arms: (label, colour), in the paper's colours where it has them
    "trained": ("trained +\none-shot inference", BLUE),
    "no_inference": ("trained,\nno inference", RED),
    "untrained": ("untrained +\none-shot inference", ORANGE),
    "mixture": ("trained, input\nvector inferred", PURPLE),
}
TIME_CMAP, STATE_CMAP, CODE_CMAP = "viridis", "RdBu_r", "RdBu_r"


# --- inputs -----------------------------------------------------------------------------------

def is_valid(results):
    return all(k in results for k in ("metrics", "history", "figure_data", "config"))


def how_to_make():
    return "python problems/character_challenge.py --save-results PATH"


PAPER_RESULTS = "results_paper_protocol.json"
PUBLISH_FLAGS = ["--networks", "5", "--letters-study"]  # the committed results.json and params.npz
PAPER_FLAGS = ["--networks", "5", "--paper-protocol"]  # the committed results_paper_protocol.json


def load(args):
    """(results, source, written): from --results or the committed results.json (source), else
    from a fresh run whose results and weights are kept in the output folder (always for --quick
    and --publish). --publish runs the problem twice, 5 networks each: with the letters study
    (results.json, params.npz), and under --paper-protocol (results_paper_protocol.json)."""
    source = results_source(args, cc.SLUG, "results.json")
    if source is not None:
        return load_results(source, cc.SLUG, is_valid, how_to_make()), source, []
    files = [args.out_dir / "results.json", args.out_dir / "params.npz"]
    extra = ["--quick"] if args.quick else PUBLISH_FLAGS if args.publish else []
    print(f"running character_challenge {' '.join(extra)}{'' if args.quick else ' (about 10 minutes a network)'}",
          flush=True)
    cc.main(extra + ["--save-results", str(files[0]), "--save-params", str(files[1])])
    if args.publish:
        files.append(args.out_dir / PAPER_RESULTS)
        print(f"running character_challenge {' '.join(PAPER_FLAGS)} (about 10 minutes a network)", flush=True)
        cc.main(PAPER_FLAGS + ["--save-results", str(files[-1])])
    return load_json(files[0]), None, files


def load_paper(args, source):
    """The paper-protocol results for protocols.png, or (None, None): --paper-results, else the
    file beside the results drawn from (the committed one, or a --publish run's)."""
    if args.paper_results:
        path = args.paper_results
    else:
        path = (pathlib.Path(source).parent if source is not None else args.out_dir) / PAPER_RESULTS
        if args.quick or not path.exists():
            return None, None
    return load_results(path, cc.SLUG, is_valid, how_to_make() + " --paper-protocol"), path


def arr(value):
    """A JSON list (None for NaN) as a float array."""
    return np.array(value, dtype=float)


# --- drawing letters --------------------------------------------------------------------------

def pen_path(trajectory):
    """The pen's positions (T, 2) in generator units, from a trajectory in model units."""
    return hw.pen_path(cc.unscale(arr(trajectory)))


def draw_letter(ax, trajectory, colour, offset=(0.0, 0.0), lw=1.6, alpha=1.0, travel=True, zorder=2):
    """Ink the trajectory where cc.pen_strokes puts the pen on paper; the lifted pen's travel
    as a faint dotted line (travel=False leaves it out). Returns the pen path (T, 2)."""
    trajectory = arr(trajectory)
    offset = np.asarray(offset, dtype=float)
    path = pen_path(trajectory) + offset
    if travel:
        ax.plot(path[:, 0], path[:, 1], color=colour, lw=0.6, ls=":", alpha=0.45 * alpha, zorder=zorder - 0.5)
    for stroke in cc.pen_strokes(trajectory):
        stroke = stroke + offset
        if len(stroke) == 1:
            ax.plot(*stroke[0], marker=".", color=colour, ms=3, alpha=alpha, zorder=zorder)
        else:
            ax.plot(stroke[:, 0], stroke[:, 1], color=colour, lw=lw, alpha=alpha, zorder=zorder,
                    solid_capstyle="round", solid_joinstyle="round")
    return path


HANDWRITING = "handwriting"  # the gid of panels whose limits equal_scale widens to one scale on both axes


def bare(ax):
    """A panel for handwriting: no ticks, a light frame; equal_scale gives it equal x and y scales."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_gid(HANDWRITING)
    for spine in ax.spines.values():
        spine.set_color("0.85")


def equal_scale(fig):
    """Widen the limits of every handwriting panel (see bare) so that one unit is as long across
    as up, for the panel's final size on the figure (call after the layout is settled). Returns fig."""
    width, height = fig.get_size_inches()
    for ax in fig.axes:
        if ax.get_gid() != HANDWRITING:
            continue
        box = ax.get_position()
        box_ratio = (box.height * height) / (box.width * width)  # inches up per inch across
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        if (y1 - y0) / (x1 - x0) < box_ratio:  # too wide a data range for the box: add height
            grow = ((x1 - x0) * box_ratio - (y1 - y0)) / 2
            ax.set_ylim(y0 - grow, y1 + grow)
        else:
            grow = ((y1 - y0) / box_ratio - (x1 - x0)) / 2
            ax.set_xlim(x0 - grow, x1 + grow)
    return fig


def fit(ax, points, pad=0.15, size=None):
    """Limits around `points` (n, 2), padded; size=(w, h) centres a box of that size on them instead."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    if size is not None:
        centre = (lo + hi) / 2
        lo, hi = centre - np.asarray(size) / 2, centre + np.asarray(size) / 2
    margin = pad * max(hi[0] - lo[0], hi[1] - lo[1], 0.05)
    ax.set_xlim(lo[0] - margin, hi[0] + margin)
    ax.set_ylim(lo[1] - margin, hi[1] + margin)


def letter_row(ax, trajectories, colours, gap=0.3, divider_after=None, lw=1.4, min_slot=0.0):
    """Several letters side by side in one panel, like a line of writing: each centred in a slot
    as wide as the widest of them (with `gap` to spare), or min_slot times the tallest if that
    is wider; a thin divider after index divider_after."""
    paths = [pen_path(t) for t in trajectories]
    lows, highs = [p.min(axis=0) for p in paths], [p.max(axis=0) for p in paths]
    tall = max(h[1] - lo[1] for lo, h in zip(lows, highs))
    slot = max(max(h[0] - lo[0] for lo, h in zip(lows, highs)) * (1 + gap), min_slot * tall)
    for k, (t, colour, lo, hi) in enumerate(zip(trajectories, colours, lows, highs)):
        centre = (lo + hi) / 2
        draw_letter(ax, t, colour, offset=(k * slot - centre[0], -centre[1]), lw=lw, travel=False)
        if divider_after is not None and k == divider_after:
            ax.axvline((k + 0.5) * slot, color="0.75", lw=0.8)
    bare(ax)
    ax.set_xlim(-0.6 * slot, (len(trajectories) - 0.4) * slot)
    ax.set_ylim(-0.6 * tall, 0.6 * tall)
    return slot


# --- figures ----------------------------------------------------------------------------------

def plot_regeneration(results):
    fd, reg = results["figure_data"], results["metrics"]["regeneration"]
    examples = fd["examples"]
    rows = [("examples", None)] + [(arm, fd["outputs"][arm]) for arm in ARMS]
    fig, axes = plt.subplots(len(rows), len(cc.NEW), figsize=(19, 9.6), squeeze=False)
    for j, letter in enumerate(cc.NEW):
        example_path = pen_path(examples[j])
        for i, (arm, outputs) in enumerate(rows):
            ax = axes[i, j]
            if outputs is None:
                draw_letter(ax, examples[j], EXAMPLE_COLOUR)
                ax.set_title(letter, fontsize=14, fontweight="bold")
                points = example_path
            else:
                draw_letter(ax, examples[j], EXAMPLE_COLOUR, lw=2.6, alpha=0.22, travel=False, zorder=1)
                path = draw_letter(ax, outputs[j], ARMS[arm][1])
                ax.set_title(f"DTW {reg[arm]['dtw_per_letter'][letter]:.3f}", fontsize=8.5)
                points = np.concatenate([example_path, path])
            bare(ax)
            fit(ax, points)
    axes[0, 0].set_ylabel("the one\nexample", fontsize=10, color=EXAMPLE_COLOUR, rotation=0, ha="right", va="center")
    for i, arm in enumerate(ARMS, start=1):
        label, colour = ARMS[arm]
        s = reg[arm]
        axes[i, 0].set_ylabel(f"{label}\nDTW {s['dtw']['mean']:.3f} \u00b1 {s['dtw']['sd']:.3f}\n"
                              f"identified {s['identified']}/13", fontsize=9, color=colour, rotation=0,
                              ha="right", va="center")
    m = results["metrics"]
    fig.suptitle("Writing the 13 new letters after one example each (after Fabi et al. 2020, Fig. 2): the example "
                 "(green, also faint behind every other row), and four ways to write it\nDTW: dynamic-time-warping "
                 "distance of the pen path to the example (lower is closer); identified: the nearest of the 13 "
                 f"examples is the right one. Trained closer than untrained on {m['trained_closer_than_untrained']}/13"
                 " letters; dotted: the lifted pen's travel", fontsize=10.5)
    fig.subplots_adjust(left=0.1, right=0.995, top=0.88, bottom=0.01, wspace=0.08, hspace=0.35)
    return fig


def plot_variants(results):
    fd, m = results["figure_data"], results["metrics"]
    sds = list(fd["variants"])
    n_letters = len(cc.NEW)
    fig = plt.figure(figsize=(4.3 * len(sds) + 0.8, 0.82 * n_letters + 4.2))
    grid = fig.add_gridspec(n_letters + 2, len(sds), height_ratios=[1] * n_letters + [0.35, 3.2],
                            left=0.05, right=0.99, top=0.93, bottom=0.05, hspace=0.12, wspace=0.12)
    rows = {row["sd"]: row for row in m["variants"]}
    real = m["variants_real"]
    for k, sd in enumerate(sds):
        sheet = fd["variants"][sd]
        for j, letter in enumerate(cc.NEW):
            ax = fig.add_subplot(grid[j, k])
            letter_row(ax, [fd["outputs"]["trained"][j]] + list(sheet[j]), [BLUE] + ["0.15"] * len(sheet[j]),
                       divider_after=0, min_slot=0.95)
            if k == 0:
                ax.set_ylabel(letter, fontsize=12, fontweight="bold", rotation=0, ha="right", va="center")
            if j == 0:
                row = rows.get(float(sd), {})
                ax.set_title(f"noise SD {float(sd):g}\n" + (f"identified {100 * row['identified']:.0f}% of variants"
                                                           if row else ""), fontsize=10)
        ax = fig.add_subplot(grid[-1, k])
        fidelity, diversity = [r["fidelity"] for r in m["variants"]], [r["diversity"] for r in m["variants"]]
        ax.plot(diversity, fidelity, color="0.7", lw=1, marker="o", ms=4, zorder=1)
        for r in m["variants"]:
            ax.annotate(f"{r['sd']:g}", (r["diversity"], r["fidelity"]), textcoords="offset points", xytext=(4, -9),
                        fontsize=7, color="0.4")
        here = rows[float(sd)]
        ax.scatter(here["diversity"], here["fidelity"], s=70, color=BLUE, zorder=3, label=f"SD {float(sd):g}")
        ax.scatter(real["diversity"], real["fidelity"], s=90, marker="*", color=GREEN, zorder=3,
                   label="the writer's own samples")
        ax.set_xlabel("diversity (DTW between variants)", fontsize=8.5)
        if k == 0:
            ax.set_ylabel("fidelity\n(DTW to the example)", fontsize=8.5)
        ax.tick_params(labelsize=7.5)
        ax.grid(alpha=0.3)
        ax.set_xlim(0, 1.15 * max(diversity + [real["diversity"]]))
        ax.set_ylim(0, 1.15 * max(fidelity + [real["fidelity"]]))
        ax.legend(fontsize=7.5, loc="lower right")
    fig.suptitle("New variants by noise on the label (after Fig. 3): each new letter as the network writes it after "
                 "one-shot inference (blue), then five variants with Gaussian noise of that SD on the 26-number label "
                 "at every step (black).\nBottom: mean over the 13 letters; lower fidelity = closer to the example, "
                 "higher diversity = variants differ more; grey line: all SDs (numbers), the star: the example "
                 "writer's own further samples", fontsize=10.5)
    return fig


def pick_cases(results):
    """The Fig. 4 cases: (set name, index in it, note): a similar sample classified right (p if it
    is), one classified wrong (if any), and two dissimilar samples."""
    cls = results["metrics"]["classification"]

    def outcomes(name):
        c = cls[name]
        return [(i, letter, c["predicted"][i] == letter) for i, letter in enumerate(c["letters"])]

    def first(name, want_right, prefer="p", skip=()):
        found = [(i, letter) for i, letter, ok in outcomes(name) if ok == want_right and i not in skip]
        found.sort(key=lambda item: item[1] != prefer)  # the paper's p first, else alphabetical
        return found[0][0] if found else None

    cases = []
    for want in (True, False):
        i = first("similar", want)
        if i is not None:
            cases.append(("similar", i))
    if "dissimilar" in cls and cls["dissimilar"]["count"]:
        i = first("dissimilar", False) if first("dissimilar", False) is not None else first("dissimilar", True)
        cases.append(("dissimilar", i))
        rest = [k for k in range(cls["dissimilar"]["count"]) if k != i]
        right = first("dissimilar", True, skip=(i,))
        if right is not None or rest:
            cases.append(("dissimilar", right if right is not None else rest[0]))
    return cases[:4]


def draw_code_bars(ax, code, truth, predicted):
    letters = cc.LETTERS
    colours = ["0.78" if c in cc.TRAINED else "0.45" for c in letters]
    colours[letters.index(truth)] = GREEN
    if predicted != truth:
        colours[letters.index(predicted)] = RED
    x = np.arange(len(letters))
    ax.bar(x, code, color=colours, width=0.8)
    ax.axhline(0, color="0.5", lw=0.6)
    ax.axvline(len(cc.TRAINED) - 0.5, color="0.6", lw=0.8, ls="--")
    ax.set_xticks(x, list(letters), fontsize=8)
    for tick, c in zip(ax.get_xticklabels(), letters):
        if c == truth:
            tick.set_color(GREEN)
            tick.set_fontweight("bold")
        elif c == predicted:
            tick.set_color(RED)
            tick.set_fontweight("bold")
    ax.tick_params(axis="y", labelsize=7.5)
    ax.set_xlim(-0.7, len(letters) - 0.3)
    below = ax.get_xaxis_transform()  # x in data, y in axes units: a line under the tick labels
    ax.text((len(cc.TRAINED) - 1) / 2, -0.2, "trained letters a-m", transform=below, ha="center", va="top",
            fontsize=8, color="0.4")
    ax.text(len(cc.TRAINED) + (len(cc.NEW) - 1) / 2, -0.2, "new letters n-z", transform=below, ha="center",
            va="top", fontsize=8, color="0.4")
    ax.grid(alpha=0.3, axis="y")


def plot_codes(results):
    fd, cls = results["figure_data"], results["metrics"]["classification"]
    cases = pick_cases(results)
    fig = plt.figure(figsize=(17, 10.5))
    outer = fig.add_gridspec(2, 1, height_ratios=[2, 1.35], left=0.04, right=0.945, top=0.9, bottom=0.06, hspace=0.34)
    top = outer[0].subgridspec(2, 5, width_ratios=[1.5, 4, 0.35, 1.5, 4], hspace=0.55, wspace=0.12)
    names = {"similar": "similar sample", "network": "network's variant", "dissimilar": "dissimilar (other style)"}
    for slot, (name, i) in enumerate(cases):
        row, col = divmod(slot, 2)
        letter, predicted = cls[name]["letters"][i], cls[name]["predicted"][i]
        target = fd["similar"][cc.NEW.index(letter)] if name == "similar" else fd["dissimilar"][letter]
        glyph_ax = fig.add_subplot(top[row, 3 * col])
        letter_row(glyph_ax, [fd["examples"][cc.NEW.index(letter)], target], ["0.6", GREEN], gap=0.35)
        glyph_ax.set_title("example | test", fontsize=8, color="0.4")
        bar_ax = fig.add_subplot(top[row, 3 * col + 1])
        draw_code_bars(bar_ax, arr(fd["codes"][name][i]), letter, predicted)
        verdict = "right" if predicted == letter else "wrong"
        bar_ax.set_title(f"{names[name]} of {letter}: inferred vector's largest entry {predicted} ({verdict})",
                         fontsize=10, color=GREEN if predicted == letter else RED)
    heat = outer[1].subgridspec(1, 4, width_ratios=[1, 1, 1, 0.04], wspace=0.18)
    sets = [name for name in ("similar", "network", "dissimilar") if name in fd["codes"] and cls[name]["count"]]
    codes = {name: arr(fd["codes"][name]) for name in sets}
    vmax = max(float(np.abs(c).max()) for c in codes.values()) or 1.0
    for k, name in enumerate(sets):
        ax = fig.add_subplot(heat[0, k])
        c = cls[name]
        image = ax.imshow(codes[name], cmap=CODE_CMAP, vmin=-vmax, vmax=vmax, aspect="auto")
        for i, (letter, predicted) in enumerate(zip(c["letters"], c["predicted"])):
            ax.add_patch(Rectangle((cc.LETTERS.index(letter) - 0.5, i - 0.5), 1, 1, fill=False, ec=GREEN, lw=1.8))
            ax.plot(cc.LETTERS.index(predicted), i, marker="o" if predicted == letter else "x", ms=4,
                    color="k" if predicted == letter else RED, mew=1.5)
        ax.axvline(len(cc.TRAINED) - 0.5, color="0.4", lw=0.8, ls="--")
        ax.set_xticks(range(len(cc.LETTERS)), list(cc.LETTERS), fontsize=7)
        ax.set_yticks(range(len(c["letters"])), list(c["letters"]), fontsize=8)
        ax.set_title(f"{names[name]}: {c['correct']}/{c['count']} right\n(nearest example, no network: "
                     f"{c['correct_nearest']}/{c['count']})", fontsize=9.5)
        ax.set_ylabel("test letter", fontsize=8.5)
    fig.colorbar(image, cax=fig.add_subplot(heat[0, 3]), label="inferred input")
    fig.suptitle("Classifying a new sample by inferring its input vector (after Fig. 4): 26 numbers, held over time, "
                 "fitted from zeros so the network (after one-shot inference) writes the sample; the largest entry "
                 "names the letter.\nTop: single cases (grey: the one example learned; green: the test sample). "
                 "Bottom: every test letter; green box: the true letter, dot: the largest entry when right, red x "
                 "when wrong", fontsize=10.5)
    return fig


def plot_blends(results):
    fd, rows = results["figure_data"], results["metrics"]["blends"]
    pairs = list(fd["blends"])
    weights = np.linspace(1.0, 0.0, cc.BLEND_STEPS)
    fig = plt.figure(figsize=(17.5, 1.55 * len(pairs) + 1.6))
    grid = fig.add_gridspec(len(pairs), cc.BLEND_STEPS + 2, width_ratios=[1] * cc.BLEND_STEPS + [0.35, 2.6],
                            left=0.03, right=0.985, top=1 - 1.25 / (1.55 * len(pairs) + 1.6), bottom=0.06,
                            wspace=0.06, hspace=0.3)
    cmap = plt.get_cmap("coolwarm")
    by_pair = {row["pair"]: row for row in rows}
    for r, pair in enumerate(pairs):
        sheet = fd["blends"][pair]
        paths = [pen_path(t) for t in sheet]
        size = np.max([p.max(axis=0) - p.min(axis=0) for p in paths], axis=0)
        for k, t in enumerate(sheet):
            ax = fig.add_subplot(grid[r, k])
            draw_letter(ax, t, cmap(0.08 + 0.84 * (1 - weights[k])), lw=1.5, travel=False)
            bare(ax)
            fit(ax, paths[k], size=size, pad=0.08)
            if r == 0:
                ax.set_title(f"{100 * weights[k]:.0f} / {100 * (1 - weights[k]):.0f}", fontsize=9)
            if k == 0:
                ax.set_ylabel(f"{pair[0]} \u2192 {pair[1]}", fontsize=12, fontweight="bold", rotation=0,
                              ha="right", va="center")
        ax = fig.add_subplot(grid[r, -1])
        row = by_pair.get(pair)
        if row is not None:
            ax.plot(weights, row["to_first"], color=cmap(0.08), marker=".", label=f"to pure {pair[0]}")
            ax.plot(weights, row["to_second"], color=cmap(0.92), marker=".", label=f"to pure {pair[1]}")
            monotone = "both monotone" if row["monotone_first"] and row["monotone_second"] else "not monotone"
            ax.set_title(f"{monotone}; largest step {row['largest_step']:.2f} of the way", fontsize=8.5)
        ax.set_xlim(1.03, -0.03)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="center left", handlelength=1.2)
        if r == len(pairs) - 1:
            ax.set_xlabel(f"weight w of the first letter", fontsize=8.5)
        ax.set_ylabel("DTW", fontsize=8)
    fig.suptitle("Blending two new letters (after Fig. 5): the input w \u00b7 label(first) + (1 - w) \u00b7 "
                 "label(second), w = 1, 0.9, ..., 0 (column titles: percent first / second), written by the network "
                 "after one-shot inference.\nRight: DTW of each blend to the pure first and pure second letter (an "
                 "even morph moves 0.10 of the way per step)", fontsize=10.5)
    return fig


def time_coloured_letter(ax, trajectory, label_every=10):
    """The written letter, each inked segment coloured by its time step (TIME_CMAP), step numbers
    along it; the lifted pen's travel dotted grey."""
    trajectory = arr(trajectory)
    path = pen_path(trajectory)
    T = len(path)
    norm = plt.Normalize(0, T - 1)
    ax.plot(path[:, 0], path[:, 1], color="0.6", lw=0.7, ls=":", zorder=1)
    down = trajectory[:, 2] > cc.PEN_DOWN
    segments = np.stack([path[:-1], path[1:]], axis=1)  # (T - 1, 2, 2): step t -> t + 1
    inked = down[1:] & down[:-1]
    lines = LineCollection(segments[inked], cmap=TIME_CMAP, norm=norm, lw=2.6, capstyle="round", zorder=2)
    lines.set_array(np.arange(T - 1)[inked] + 0.5)
    ax.add_collection(lines)
    ax.scatter(path[:, 0], path[:, 1], c=np.arange(T), cmap=TIME_CMAP, norm=norm, s=9, zorder=3,
               edgecolors="none")
    for t in range(0, T, label_every):
        ax.annotate(str(t), path[t], textcoords="offset points", xytext=(5, 3), fontsize=7, color="0.15", zorder=4)
        ax.plot(*path[t], marker="o", ms=4.5, mfc="none", mec="0.15", mew=0.8, zorder=4)
    bare(ax)
    fit(ax, path, pad=0.18)
    return norm


def plot_states(results):
    fd, metrics = results["figure_data"], results["metrics"]
    panels = [("v", "cell_states", "c"), ("y", "cell_states", "c"), ("u", "hidden_states", "h"),
              ("x", "hidden_states", "h")]
    orders = {}
    for which, key, first in (("c", "cell_states", "v"), ("h", "hidden_states", "u")):
        s = arr(fd[key][first])  # units ordered by when they peak in `first`, the same order for its partner
        orders[which] = np.argsort(np.argmax(s - s.mean(axis=0), axis=0), kind="stable")
    fig = plt.figure(figsize=(17, 15.5))
    grid = fig.add_gridspec(len(panels), 3, width_ratios=[1.15, 4.4, 0.06], left=0.04, right=0.955, top=0.9,
                            bottom=0.04, hspace=0.42, wspace=0.1)
    limits = {}  # one colour scale per kind of state: the 99.5th percentile of |value| over its letters
    for letter, key, which in panels:
        values = np.abs(arr(fd[key][letter])).ravel()
        limits[which] = max(limits.get(which, 0.0), float(np.percentile(values, 99.5)))
    for r, (letter, key, which) in enumerate(panels):
        j = cc.NEW.index(letter)
        trajectory = fd["outputs"]["trained"][j]
        states = arr(fd[key][letter])[:, orders[which]]  # (T, H)
        T = len(states)
        ax = fig.add_subplot(grid[r, 0])
        time_coloured_letter(ax, trajectory[:T])
        ax.set_title(f"{letter}, written after one-shot inference\n(colour and numbers: time step)", fontsize=9)
        raster = fig.add_subplot(grid[r, 1])
        vmax = limits[which] or 1.0
        image = raster.imshow(states.T, aspect="auto", cmap=STATE_CMAP, vmin=-vmax, vmax=vmax, interpolation="nearest",
                              extent=(-0.5, T - 0.5, states.shape[1] - 0.5, -0.5))
        parts = np.asarray(fd["example_parts"][j])[:T]
        names = hw.letter_parts(letter)
        edges = [0] + [t for t in range(1, len(parts)) if parts[t] != parts[t - 1]] + [len(parts)]
        for a, b in zip(edges[:-1], edges[1:]):
            if a > 0:
                raster.axvline(a - 0.5, color="k", lw=1.2)
            raster.text((a + b - 1) / 2, -0.02, names[parts[a]].replace("_", " "), transform=raster.get_xaxis_transform(),
                        ha="center", va="top", fontsize=9, fontweight="bold")
        raster.scatter(np.arange(T), np.full(T, 1.0), c=np.arange(T), cmap=TIME_CMAP, s=14, marker="s",
                       transform=raster.get_xaxis_transform(), clip_on=False, zorder=5)
        raster.set_xticks(range(0, T, 5))
        raster.tick_params(axis="x", labelsize=8, pad=16, top=False)
        raster.set_xlabel("time step (the example's stroke parts below the raster, black lines: where a part ends)",
                          fontsize=8.5)
        raster.set_ylabel(f"{which} of each unit", fontsize=9)
        raster.tick_params(axis="y", labelsize=7)
        title = (f"cell states c while writing {letter}" if which == "c" else f"hidden states h while writing {letter}")
        title += f" (units ordered by when they peak in {'v' if which == 'c' else 'u'})"
        raster.set_title(title, fontsize=10)
        fig.colorbar(image, cax=fig.add_subplot(grid[r, 2]), label=which)
    s, su = metrics["states"]["trained"]["c"], metrics["states"]["untrained"]["c"]
    h = metrics["states"]["trained"]["h"]
    fig.suptitle("Inside the LSTM (after Figs. 6 and 7): cell states c of v and y, hidden states h of u and x, "
                 "over the steps of the letter as the network writes it after one-shot inference.\nSimilarity of v's "
                 f"states to the first part of y (correlation across units, aligned in time): c {s['v_vs_y_first']:.2f}"
                 f" (rank {s['rank_of_y']} of 12 letters' first strokes; the others {s['unrelated']['mean']:.2f} "
                 f"\u00b1 {s['unrelated']['sd']:.2f}; untrained network {su['v_vs_y_first']:.2f}), "
                 f"h {h['v_vs_y_first']:.2f} (rank {h['rank_of_y']})", fontsize=10.5)
    return fig


def plot_protocols(results, paper):
    """Our protocol (bounded one-shot columns, non-negative inferred inputs) beside the paper's as
    written (neither): each network's headline numbers (per_seed; dots) and their mean (bars)."""
    runs = {"bounded columns, inputs >= 0 (ours)": results["per_seed"],
            "paper's protocol as written": paper["per_seed"]}
    colours = [BLUE, GREY]
    fig, axes = plt.subplots(1, 4, figsize=(18, 5), gridspec_kw={"width_ratios": [1, 1.9, 0.6, 0.8]})
    width = 0.38

    def bars(ax, labels, keys):
        x = np.arange(len(keys))
        for k, (name, rows) in enumerate(runs.items()):
            values = np.array([[row[key] for key in keys] for row in rows])  # (networks, keys)
            at = x + (k - 0.5) * width
            ax.bar(at, values.mean(axis=0), width, color=colours[k], alpha=0.8,
                   label=f"{name}: mean of {len(rows)} network{'s' if len(rows) > 1 else ''}")
            jitter = np.linspace(-0.1, 0.1, len(rows))[:, None]
            ax.scatter((at + jitter).ravel(), values.ravel(), s=10, color="k", zorder=3)
        ax.set_xticks(x, labels, fontsize=8.5)
        ax.grid(alpha=0.3, axis="y")

    bars(axes[0], ["trained +\ninference", "untrained +\ninference", "trained,\nno inference"],
         ["dtw_trained", "dtw_untrained", "dtw_no_inference"])
    axes[0].set(yscale="log", ylabel="DTW to the example (mean over n-z)", title="3.1 regeneration")
    bars(axes[1], ["identified,\ntrained", "identified,\nuntrained", "trained closer\nthan untrained",
                   "similar\nvariants", "network's\nvariants", "dissimilar\n(of 10)"],
         ["identified_trained", "identified_untrained", "trained_closer_than_untrained", "classified_similar",
          "classified_network", "classified_dissimilar"])
    axes[1].axhline(13, color="k", lw=0.8, ls=":")
    axes[1].set(ylim=(0, 18), yticks=range(0, 14, 2), ylabel="letters (of 13)",
                title="3.1 identified by the nearest example (left three); 3.3 classified by input inference")
    axes[1].legend(fontsize=8, loc="upper center")
    bars(axes[2], ["n-z after\none-shot"], ["new_column_length"])
    trained_length = results["metrics"]["columns"]["trained"]["trained_letters"]
    axes[2].axhline(trained_length["max"], color="k", lw=0.8, ls=":")
    axes[2].set(yscale="log", ylabel="length of a dense-layer column (mean over n-z)",
                title="W_d after one-shot")
    axes[2].annotate("longest a-m column", (0, trained_length["max"]), textcoords="offset points", xytext=(0, 4),
                     ha="center", fontsize=8)
    bars(axes[3], ["lowest rank\ncorrelation", "largest\nstep"], ["blend_rank_min", "blend_largest_step"])
    axes[3].axhline(0.1, color="k", lw=0.8, ls=":")
    axes[3].set(ylabel="over the 6 blended pairs", title="3.4 blends: order and jumps")
    fig.suptitle("The same networks under two inference protocols: as the paper states it, the new letters' "
                 "columns grow far beyond the learned ones,\nan untrained network then learns the letters too, "
                 "blends jump and input inference misclassifies", fontsize=11)
    fig.subplots_adjust(left=0.05, right=0.99, top=0.84, bottom=0.15, wspace=0.32)
    return fig


def plot_training(results):
    fd, m, hist = results["figure_data"], results["metrics"], results["history"]
    study = m.get("letters_study")
    fig = plt.figure(figsize=(17, 8.6))
    outer = fig.add_gridspec(2, 1, height_ratios=[2.6, 1], left=0.05, right=0.99, top=0.89, bottom=0.03, hspace=0.3)
    top = outer[0].subgridspec(1, 3 if study else 2, wspace=0.22)
    ax = fig.add_subplot(top[0, 0])
    ax.semilogy(hist["step"], hist["train_loss"], color="0.55", lw=1.2, label="training (mean since last check)")
    ax.semilogy(hist["step"], hist["val_loss"], color="k", lw=1.6, label="validation (unseen samples of a-m)")
    ax.set(xlabel="training step", ylabel="MSE over (dx, dy, pressure, onset)",
           title=f"training on a-m: validation MSE {m['training']['final_val_mse']:.4f} at the end")
    ax.legend(fontsize=8.5)
    ax.grid(alpha=0.3, which="both")

    ax = fig.add_subplot(top[0, 1])
    for arm, colour, name in (("trained", BLUE, "trained network"), ("untrained", ORANGE, "untrained network")):
        h = fd["one_shot_loss"][arm]
        steps, loss = arr(h["step"]), arr(h["loss"])  # (checks,), (checks, 13)
        ax.loglog(steps, loss, color=colour, lw=0.7, alpha=0.45)
        ax.loglog(steps, loss.mean(axis=1), color=colour, lw=2.4, label=f"{name}: mean (thin: each letter)")
        for j, letter in enumerate(cc.NEW):
            ax.annotate(letter, (steps[-1], loss[-1, j]), textcoords="offset points", xytext=(3, 0), fontsize=7,
                        color=colour, va="center")
    ax.set(xlabel="one-shot inference iteration", ylabel="MSE to the one example",
           title="one-shot inference of n-z: only the weights into the dense layer learn")
    ax.legend(fontsize=8.5, loc="lower left")
    ax.grid(alpha=0.3, which="both")

    if study:
        ax = fig.add_subplot(top[0, 2])
        counts = sorted(study, key=int)
        per_letter = np.array([[study[n]["dtw_per_letter"][c] for c in cc.NEW] for n in counts])  # (counts, 13)
        x = np.array([int(n) for n in counts])
        ax.plot(x, per_letter, color="0.7", lw=0.8)
        ax.plot(x, per_letter.mean(axis=1), color=BLUE, lw=2.4, marker="o", label="mean over n-z (thin: each)")
        ax.set(xticks=x, xticklabels=[f"a-{cc.LETTERS[int(n) - 1]}" for n in counts], xlabel="letters trained on",
               ylabel="DTW to the example after one-shot inference", title="fewer trained letters, fewer strokes")
        ax.legend(fontsize=8.5)
        ax.grid(alpha=0.3)

    ax = fig.add_subplot(outer[1])
    letter_row(ax, fd["trained_letters"], ["k"] * len(fd["trained_letters"]), gap=0.25, lw=1.5)
    ax.set_title("the trained letters a-m as the trained network writes them from their labels (one per letter, "
                 "its training samples' median length)", fontsize=10)
    fig.suptitle(f"Training: {m['training']['steps']} steps on a-m ({results['config']['hidden']} LSTM units), then "
                 "one-shot inference of each new letter from its example", fontsize=11)
    return fig


FIGURES = {"regeneration.png": plot_regeneration, "variants.png": plot_variants, "codes.png": plot_codes,
           "blends.png": plot_blends, "states.png": plot_states, "training.png": plot_training}


def make_figures(results, out_dir, source=None, paper=None, paper_source=None):
    """Every figure of one results file, and protocols.png when the paper-protocol results are given."""
    written = [draw(out_dir / name, lambda r, plot=plot: equal_scale(plot(r)), results, source=source)
               for name, plot in FIGURES.items()]
    if paper is not None:
        written.append(draw(out_dir / "protocols.png", plot_protocols, results, paper, source=paper_source))
    return written


def parse(argv):
    parser = figure_parser(__doc__, cc.SLUG, "folder")
    parser.add_argument("--results", type=input_file,
                        help="results JSON written by `python problems/character_challenge.py --save-results PATH` "
                             "(default: the committed viz/character_challenge/results.json; if missing, the problem "
                             "is run first, about 10 minutes)")
    parser.add_argument("--paper-results", type=input_file,
                        help="results JSON of a `--paper-protocol` run, for protocols.png (default: "
                             f"{PAPER_RESULTS} beside the results drawn from; without one, no protocols.png)")
    return parse_args(parser, argv, cc.SLUG, lambda a: [] if not (a.quick and a.paper_results) else
                      ["--quick draws from a fresh quick run, so --paper-results would be ignored"])


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    results, source, written = load(args)
    paper, paper_source = load_paper(args, source)
    written = make_figures(results, args.out_dir, source, paper, paper_source) + written
    if args.publish:
        written.append(publish_gif(cc.SLUG))
    report(written, start)
    return written


if __name__ == "__main__":
    main(sys.argv[1:])
