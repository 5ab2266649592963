"""Static figures for path integration (path_integration.py; Sorscher et al. 2019, Wu et al.
2025, Huang et al. 2025).

Draws, from the trained networks and results of `python problems/path_integration.py
--save-results PATH --save-params PATH` (rate maps are recomputed from the weights; the
scores, labels and pruning numbers are read from the results):

    trajectories.png  network 0 on four held-out walks: the true path (black) and where the
                      network thinks it is (colour), at the trained length and at twice it;
                      right: the mean position error by step, every network, against the
                      baselines that ignore the velocity (the arena's centre, staying at
                      the start) and the place-cell decoder's own floor
    rate_maps.png     network 0: the rate maps of its 8 highest grid scores and of its 8
                      highest band scores, each with its spatial autocorrelogram below, and
                      the score and label in the title. Look for hexagonal spots (grid) and
                      parallel stripes (band)
    scores.png        grid score against band score of every unit of every network, trained
                      (coloured by label) and the same networks before training (black x)
    pruning.png       growth of the mean position error when each pathway is silenced
                      (bars: mean over networks; dots: networks), beside silencing as many
                      random units' connections (hatched)

The networks come from --params PATH (default: the committed viz/path_integration/
params.npz, with its results.json beside it). If there is none, this script first runs the
problem with its defaults (about 10 minutes on a 2-core machine) and keeps the files beside
the figures.

The figures go to results/path_integration/ unless --out-dir says otherwise; only --publish
rewrites the committed files in viz/path_integration/ (trained again in full) and then
gifs/path_integration.gif.

    python problems/visualize_path_integration.py                # from viz/path_integration/
    python problems/visualize_path_integration.py --params results/pi.npz --out-dir /tmp/figs
    python problems/visualize_path_integration.py --quick        # seconds: a quick run
    python problems/visualize_path_integration.py --publish      # regenerate viz/ and gifs/
"""

import pathlib
import sys
import time

import path_integration as pi  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402

import _spatial_scores as spatial  # noqa: E402
from _figures import VIZ, draw, figure_parser, load_results, parse_args, plt, publish_gif, report  # noqa: E402
from rnn_numpy.experiment import RunError, command, input_file, load_params  # noqa: E402

LABEL_COLOURS = {"grid": "#d62728", "band": "#1f77b4", "other": "0.6"}
MAP_CMAP = "viridis"
WALKS = 4  # drawn in trajectories.png
GALLERY = 8  # units per row of rate_maps.png


# --- inputs -----------------------------------------------------------------------------------

def is_valid(results):
    return all(k in results for k in ("metrics", "per_unit", "per_unit_untrained", "pruning", "config"))


def trained_networks(args):
    """(params (K, ...), centres, cfg, results, written files): from --params (its results.json
    beside it) or the committed files, else from a fresh run written into the output folder
    (always for --quick and --publish)."""
    path = args.params
    if path is None and not (args.quick or args.publish) and (VIZ / pi.SLUG / "params.npz").exists():
        path = VIZ / pi.SLUG / "params.npz"
    written = []
    if path is None:
        out = args.out_dir
        written = [out / "results.json", out / "params.npz"]
        print(f"running path_integration{' --quick' if args.quick else ' with its defaults (about 10 minutes)'}",
              flush=True)
        pi.main((["--quick"] if args.quick else []) + ["--save-results", str(written[0]),
                                                       "--save-params", str(written[1])])
        path = written[1]
    params, meta = load_params(path)
    if meta.get("problem") != pi.SLUG:
        raise RunError(f"{path} holds {meta.get('problem')!r} networks, not path_integration's; make one with: "
                       "python problems/path_integration.py --save-params PATH")
    results_path = pathlib.Path(path).with_name("results.json")
    if not results_path.exists():
        raise RunError(f"{results_path} is missing: the figures need the results written beside the weights "
                       "(python problems/path_integration.py --save-results DIR/results.json "
                       "--save-params DIR/params.npz)")
    results = load_results(results_path, pi.SLUG, is_valid, "python problems/path_integration.py --save-results PATH")
    cfg = pi.resolve(pi.Config(**{k: v for k, v in meta["config"].items() if k in pi.Config.__dataclass_fields__}))
    centres = params.pop("place_centres")
    params = {k: v.astype(cfg.dtype) for k, v in params.items()}
    return params, centres, cfg, results, written


# --- figures ----------------------------------------------------------------------------------

def plot_trajectories(cfg, params, centres, results):
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    half = cfg.box / 2
    net = {k: v[:1] for k, v in params.items()}
    for ax, length, title in ((axes[0], cfg.length, "trained length"), (axes[1], 2 * cfg.length, "twice as long")):
        x, start, _, position = pi.fixed_trials(cfg, pi.TEST_SEED + 7, WALKS, length, centres)
        y = pi.forward(net, cfg, x, start)[0]
        decoded = pi.decoded_position(cfg, y, centres)[:, 0]  # (T, n, 2)
        for n in range(WALKS):
            ax.plot(*position[:, 0, n].T, color="k", lw=1.4)
            ax.plot(*np.vstack([position[:1, 0, n], decoded[:, n]]).T, color=f"C{n}", lw=1.2, ls="--", marker=".",
                    ms=3)
            ax.plot(*position[0, 0, n], "ko", ms=4)
        ax.set_xlim(-half, half)
        ax.set_ylim(-half, half)
        ax.set_aspect("equal")
        ax.set_title(f"network 0, {length} steps ({title})\nblack: true path from the dot; dashed: decoded")
        ax.set_xlabel("x (m)")
    axes[0].set_ylabel("y (m)")
    m = results["metrics"]
    steps = np.arange(1, 2 * cfg.length + 1)
    ax = axes[2]
    for name, values in m["baseline_by_step_m"].items():
        ax.plot(steps, 100 * np.asarray(values), ls=":", lw=1.5, label=name.replace("_", " "))
    ax.plot(steps[:cfg.length], 100 * np.asarray(m["error_by_step_m"]), color="k", lw=2, label="networks, held out")
    ax.plot(steps, 100 * np.asarray(m["error_2x_by_step_m"]), color="k", lw=1, ls="--",
            label="networks, twice as long")
    ax.axvline(cfg.length, color="0.5", lw=0.8)
    ax.axhline(100 * 0.1 * cfg.box, color="0.5", lw=0.8, ls="-.", label="10 % of the side")
    ax.set_xlabel("step (20 ms)")
    ax.set_ylabel("mean position error (cm)")
    ax.set_title("Error by step (mean over networks and walks)")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def unit_maps(cfg, params, centres, k=0):
    """Rate maps (H, bins, bins) and autocorrelograms of network k, from the map walks."""
    positions, activity = pi.map_samples(cfg, {name: w[k:k + 1] for name, w in params.items()}, centres)
    maps, _ = spatial.rate_maps(positions, activity[0], cfg.box, cfg.bins)
    return maps, spatial.autocorrelogram(maps)


def plot_rate_maps(cfg, params, centres, results):
    maps, autocorr = unit_maps(cfg, params, centres)
    scores = results["per_unit"]
    grid, band = np.asarray(scores["grid"][0], float), np.asarray(scores["band"][0], float)
    labels = scores["labels"][0]
    rows = [("grid", np.argsort(-np.nan_to_num(grid, nan=-9))[:GALLERY]),
            ("band", np.argsort(-np.nan_to_num(band, nan=-9))[:GALLERY])]
    fig, axes = plt.subplots(4, GALLERY, figsize=(1.7 * GALLERY, 7.4))
    for r, (name, units) in enumerate(rows):
        for j, u in enumerate(units):
            top, bottom = axes[2 * r, j], axes[2 * r + 1, j]
            top.imshow(maps[u], origin="lower", cmap=MAP_CMAP)
            top.set_title(f"unit {u} ({labels[u]})\ngrid {grid[u]:.2f}, band {band[u]:.2f}", fontsize=7,
                          color=LABEL_COLOURS[labels[u]])
            bottom.imshow(autocorr[u], origin="lower", cmap="RdBu_r", vmin=-1, vmax=1)
            for ax in (top, bottom):
                ax.set_xticks([])
                ax.set_yticks([])
        axes[2 * r, 0].set_ylabel(f"highest {name}\nscores: map", fontsize=9)
        axes[2 * r + 1, 0].set_ylabel("autocorrelogram", fontsize=9)
    fig.suptitle(f"Network 0 ({cfg.hidden} {cfg.activation} units): rate maps over the {cfg.box:g} m box and "
                 "their autocorrelograms", fontsize=11)
    fig.tight_layout()
    return fig


def plot_scores(cfg, results):
    scores = results["per_unit"]
    fig, ax = plt.subplots(figsize=(6.5, 5.2))
    grid, band = np.asarray(scores["grid"], float).ravel(), np.asarray(scores["band"], float).ravel()
    labels = np.asarray(scores["labels"]).ravel()
    for name in pi.LABELS:
        pick = labels == name
        u = results["metrics"]["units"]["trained"][name]["mean"]
        ax.scatter(band[pick], grid[pick], s=10, color=LABEL_COLOURS[name], alpha=0.7,
                   label=f"{name} ({100 * u:.0f} % of trained units)")
    before = results["per_unit_untrained"]
    ax.scatter(np.asarray(before["band"], float).ravel(), np.asarray(before["grid"], float).ravel(), s=8,
               color="k", marker="x", alpha=0.4, label="the same networks before training")
    ax.set_xlabel("band score (power share of the strongest plane wave)")
    ax.set_ylabel("grid score")
    ax.set_title(f"Every unit of {cfg.networks} networks; a label needs its score above its own time-shift\n"
                 "null and the untrained units' 95th percentiles (both: the larger margin)", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def plot_pruning(cfg, results):
    rows = results["pruning"]
    names = [p[0] for p in pi.PATHWAYS]
    fig, ax = plt.subplots(figsize=(9, 4.6))
    for i, (name, kind, group) in enumerate(pi.PATHWAYS):
        silenced_group = group[0] if kind == "recurrent" else group  # the sources of a recurrent pathway
        done = [r for r in rows if r["pathway"] == name and r["pruned"] is not None]
        if not done:
            ax.text(i, 0, "n/a", ha="center")
            continue
        growth = 100 * np.array([r["pruned"] - r["intact"] for r in done])
        control = 100 * np.array([r["control"] - r["intact"] for r in done])
        ax.bar(i - 0.2, growth.mean(), 0.38, color=LABEL_COLOURS[silenced_group], alpha=0.85,
               label="pathway silenced (colour: the group)" if i == 0 else None)
        ax.bar(i + 0.2, control.mean(), 0.38, color="0.8", hatch="//", edgecolor="0.5",
               label="as many random units" if i == 0 else None)
        ax.plot(np.full(len(growth), i - 0.2), growth, "k.", ms=5)
        ax.plot(np.full(len(control), i + 0.2), control, "k.", ms=5)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, fontsize=9)
    ax.set_ylabel("growth of the mean position error (cm)")
    intact = 100 * np.mean([r["intact"] for r in rows])
    ax.set_title(f"Silencing connections (intact error {intact:.1f} cm); units per group: "
                 f"{sorted({r['units'] for r in rows})}", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def make_figures(params, centres, cfg, results, out_dir):
    return [draw(out_dir / "trajectories.png", plot_trajectories, cfg, params, centres, results),
            draw(out_dir / "rate_maps.png", plot_rate_maps, cfg, params, centres, results),
            draw(out_dir / "scores.png", plot_scores, cfg, results),
            draw(out_dir / "pruning.png", plot_pruning, cfg, results)]


def parse(argv):
    parser = figure_parser(__doc__, pi.SLUG, "folder")
    parser.add_argument("--params", type=input_file,
                        help="trained networks written by `python problems/path_integration.py --save-params "
                             "DIR/params.npz --save-results DIR/results.json` (default: the committed "
                             "viz/path_integration/params.npz; if missing, the default run first, about 10 minutes)")
    return parse_args(parser, argv, pi.SLUG)


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    params, centres, cfg, results, written = trained_networks(args)
    written = make_figures(params, centres, cfg, results, args.out_dir) + written
    if args.publish:
        written.append(publish_gif(pi.SLUG))
    report(written, start)
    return written


if __name__ == "__main__":
    main(sys.argv[1:])
