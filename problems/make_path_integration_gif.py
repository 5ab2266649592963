"""Training animation for path integration (path_integration.py; Sorscher et al. 2019, Wu
et al. 2025): the rate maps of a few units sharpening into grids and bands while the
network learns where it is.

Trains network 0 of the default population (seed 0, the same network as in the problem's
run) with the default settings, keeping its weights every 50 steps. The units shown are
picked on the trained network: its two highest grid scores and its two highest band
scores. Each frame shows, for one snapshot:

    left    one held-out walk of twice the trained length: the true path (black) and the
            decoded one (colour)
    middle  the rate maps of the four units (2 x 2; the same units in every frame)
    right   the validation loss so far

The GIF goes to results/path_integration/path_integration.gif unless --out says otherwise;
--publish rewrites the committed gifs/path_integration.gif.

    python problems/make_path_integration_gif.py                # 30 frames, about 1.5 minutes
    python problems/make_path_integration_gif.py --out /tmp/pi.gif
    python problems/make_path_integration_gif.py --quick        # seconds: a few frames
    python problems/make_path_integration_gif.py --publish      # the committed GIF
"""

import dataclasses
import sys
import time

import path_integration as pi  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402

import _spatial_scores as spatial  # noqa: E402
import _task_rnn as task_rnn  # noqa: E402
from _figures import (colour_strip, draw_frames, frame_pixels, gif_parser, parse_args, plt, save_gif,  # noqa: E402
                      shared_palette)
from rnn_numpy.experiment import command, non_negative_int  # noqa: E402

FIGSIZE, DPI = (12, 4.6), 80
N_COLOURS = 128
FRAME_MAP_WALKS = 1000  # walks behind each frame's rate maps (the analysis uses cfg.map_walks)
FIRST_FRAME_HOLD_S, LAST_FRAME_HOLD_S = 1.5, 4.0


def snapshot_maps(cfg, params, centres, units):
    """Rate maps (len(units), bins, bins) of one snapshot (population of one)."""
    few = dataclasses.replace(cfg, map_walks=FRAME_MAP_WALKS)
    positions, activity = pi.map_samples(few, params, centres)
    return spatial.rate_maps(positions, activity[0][:, units], cfg.box, cfg.bins)[0]


def shown_units(cfg, params, centres):
    """The trained network's two highest grid scores and two highest band scores."""
    positions, activity = pi.map_samples(cfg, params, centres)
    maps, _ = spatial.rate_maps(positions, activity[0], cfg.box, cfg.bins)
    grid = np.nan_to_num(spatial.grid_score(spatial.autocorrelogram(maps)), nan=-9)
    band = np.nan_to_num(spatial.band_score(maps, cfg.box, pi.BAND_MIN_CYCLES)[0], nan=-9)
    best_grid = list(np.argsort(-grid)[:2])
    best_band = [u for u in np.argsort(-band) if u not in best_grid][:2]
    return best_grid + best_band, grid, band


class Animation:
    def __init__(self, cfg, history, units, grid, band):
        self.cfg, self.history = cfg, history
        self.fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
        spec = self.fig.add_gridspec(2, 5, width_ratios=[2.2, 1, 1, 0.15, 2.2])
        self.path_ax = self.fig.add_subplot(spec[:, 0])
        self.map_axes = [self.fig.add_subplot(spec[i // 2, 1 + i % 2]) for i in range(4)]
        self.loss_ax = self.fig.add_subplot(spec[:, 4])
        for ax, u, kind in zip(self.map_axes, units, ("grid", "grid", "band", "band")):
            ax.set_title(f"unit {u} (final {kind}\nscore {grid[u] if kind == 'grid' else band[u]:.2f})", fontsize=8)
        steps, loss = history["check_steps"], history["val_loss"][:, 0]
        self.loss_ax.set_xlim(0, steps[-1])
        self.loss_ax.set_ylim(loss.min() - 0.1 * np.ptp(loss), loss.max() + 0.1 * np.ptp(loss))
        (self.curve,) = self.loss_ax.plot([], [], color="C0")
        self.loss_ax.set_xlabel("training step")
        self.loss_ax.set_title("validation loss (cross-entropy)" if cfg.readout == "place" else "validation MSE")
        self.images = []

    def frame(self, index, params, walk, centres, maps):
        step = self.history["check_steps"][index]
        x, start, _, position = walk
        decoded = pi.decoded_position(self.cfg, pi.forward(params, self.cfg, x, start)[0], centres)[:, 0, 0]
        ax = self.path_ax
        ax.cla()
        half = self.cfg.box / 2
        ax.plot(*position[:, 0, 0].T, color="k", lw=1.5, label="true")
        ax.plot(*np.vstack([position[:1, 0, 0], decoded]).T, color="C1", lw=1.3, ls="--", marker=".", ms=3,
                label="decoded")
        ax.plot(*position[0, 0, 0], "ko", ms=4)
        ax.set_xlim(-half, half)
        ax.set_ylim(-half, half)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        error = 100 * np.linalg.norm(decoded[-1] - position[-1, 0, 0])
        ax.set_title(f"step {step}: a {x.shape[0]}-step walk\n(final error {error:.0f} cm)", fontsize=10)
        ax.legend(loc="lower right", fontsize=8)
        for ax, m in zip(self.map_axes, maps):
            for im in list(ax.images):
                im.remove()
            ax.imshow(m, origin="lower", cmap="viridis")
            ax.set_xticks([])
            ax.set_yticks([])
        self.curve.set_data(self.history["check_steps"][:index + 1], self.history["val_loss"][:index + 1, 0])
        return frame_pixels(self.fig)


def choose_frames(history, n_frames):
    """About n_frames checks, evenly spaced in steps (the maps change steadily)."""
    return np.unique(np.linspace(0, len(history["check_steps"]) - 1, n_frames).round().astype(int))


def parse(argv):
    parser = gif_parser(__doc__, pi.SLUG, frames=30, fps=4, frames_help="evenly spaced in steps",
                        first_hold_s=FIRST_FRAME_HOLD_S, last_hold_s=LAST_FRAME_HOLD_S)
    parser.add_argument("--seed", type=non_negative_int, default=pi.Config.seed,
                        help=f"the network's seed (default: {pi.Config.seed})")

    def config(args):
        return pi.resolve(pi.Config(networks=1, seed=args.seed, quick=args.quick))

    args = parse_args(parser, argv, pi.SLUG, lambda a: pi.check(config(a)))
    return args, config(args)


@command
def main(argv=None):
    args, cfg = parse(argv)
    start = time.perf_counter()
    print(f"training one network of {cfg.hidden} {cfg.activation} units for {cfg.steps} steps", flush=True)
    snapshots, record = task_rnn.snapshot_recorder()
    params, history, centres = pi.train(cfg, callback=record)
    units, grid, band = shown_units(cfg, params, centres)
    walk = pi.fixed_trials(cfg, pi.TEST_SEED + 7, 1, 2 * cfg.length, centres)
    picked = choose_frames(history, args.frames)
    animation = Animation(cfg, history, units, grid, band)
    frames = draw_frames(animation.fig, picked, lambda i: animation.frame(
        i, snapshots[i][1], walk, centres, snapshot_maps(cfg, snapshots[i][1], centres, units)))
    height, width = frames[0].shape[:2]
    frames = shared_palette(frames, N_COLOURS, colour_strip(plt.get_cmap("viridis")(np.linspace(0, 1, 32))[:, :3],
                                                            height // 4, width))
    save_gif(args, frames, start, f" (steps {', '.join(str(snapshots[i][0]) for i in picked)})")
    return frames


if __name__ == "__main__":
    main(sys.argv[1:])
