"""Training animation for delayed discrimination (delayed_discrimination.py; Romo et al. 1999,
trained as in Huang et al. 2025): one network's delay-period states separating by f1 over
training, with its fixed points, beside its psychometric curve.

Trains network 0 of the default population (seed --seed, alone: the same weights at the start,
the same training trials; it rounds differently from the population's network 0 in the last
digits) to the target loss, keeping its weights at every check (25 steps). For about --frames of
those snapshots, spaced evenly in log(step + 25) so that the fast early change gets frames too,
each frame shows:

    left          the states during a delay of twice the longest trained one (input 0) after an
                  f1 pulse, for 17 values of f1 (colour), in the top two principal components of
                  the trained network's delay states (one basis for every frame, so the picture
                  does not jump); a dot where the longest trained delay ends; the fixed points
                  at input 0: stable black, saddles red x, more unstable directions +, slow
                  points open
    right, top    the validation loss so far (log scale) and the target
    right, below  P(report f1 > f2) against f1 - f2 at the trained delays, this snapshot (blue)
                  and the trained network (grey)

The GIF goes to results/delayed_discrimination/delayed_discrimination.gif unless --out says
otherwise; --publish rewrites the committed gifs/delayed_discrimination.gif.

    python problems/make_delayed_discrimination_gif.py              # about 30 frames, well under a minute
    python problems/make_delayed_discrimination_gif.py --seed 5 --out /tmp/dd5.gif
    python problems/make_delayed_discrimination_gif.py --quick      # seconds: a few frames
    python problems/make_delayed_discrimination_gif.py --publish    # the committed GIF
"""

import dataclasses
import sys
import time

import delayed_discrimination as dd  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from _figures import (colour_strip, draw_frames, frame_pixels, gif_parser, parse_args, plt, save_gif,  # noqa: E402
                      shared_palette)
from visualize_delayed_discrimination import (F1_CMAP, MEAN_COLOUR, SADDLE_COLOUR, STABLE_COLOUR,  # noqa: E402
                                              draw_points, f1_colour, f1_colourbar)
from rnn_numpy import fixed_points  # noqa: E402
from rnn_numpy.experiment import command, non_negative_int  # noqa: E402

FIGSIZE, DPI = (11, 5.4), 90
N_COLOURS = 96
FRAME_STARTS = 256  # starting states of each frame's fixed-point search
FIRST_FRAME_HOLD_S, LAST_FRAME_HOLD_S = 1.5, 4.0


def choose_frames(steps, n_frames):
    """Indices of about n_frames checks, evenly spaced in log(step + 25), always the first and
    the last. steps: (n,) the check steps, increasing."""
    scale = np.log(np.asarray(steps, dtype=float) + 25)
    wanted = np.linspace(scale[0], scale[-1], n_frames)
    return np.unique(np.r_[0, np.searchsorted(scale, wanted).clip(0, len(steps) - 1), len(steps) - 1])


def snapshot_state(cfg, params):
    """One snapshot's delay states (steps, n, H), fixed points at input 0, and psychometric curve."""
    h = dd.delay_states(params, cfg)[:, 0]  # (2 delay_max, n, H)
    found = fixed_points.find(dd.task_rnn.network(params, 0), np.zeros(1),
                              dd.start_states(dataclasses.replace(cfg, starts=FRAME_STARTS), h))
    _, curve = dd.psychometric(params, cfg)
    return h, found, curve[0]


class Animation:
    """One figure; each frame redraws the state-space panel and the snapshot's curve."""

    def __init__(self, cfg, history, basis, limits, final_curve):
        self.cfg, self.history, self.basis, self.limits = cfg, history, basis, limits
        self.fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
        self.ax = self.fig.add_axes([0.065, 0.1, 0.41, 0.75])
        f1_colourbar(self.fig, [0.49, 0.15, 0.01, 0.6])
        loss_ax, self.psy_ax = self.fig.add_axes([0.63, 0.6, 0.34, 0.25]), self.fig.add_axes([0.63, 0.1, 0.34, 0.34])
        steps, loss = history["check_steps"], history["val_loss"][:, 0]
        loss_ax.semilogy(steps, loss, color="0.85", lw=1)
        (self.loss_line,) = loss_ax.semilogy([], [], color="0.2", lw=1.4)
        loss_ax.axhline(cfg.target_loss, color=SADDLE_COLOUR, ls="--", lw=1)
        loss_ax.yaxis.set_minor_formatter(NullFormatter())  # log-scale minor labels would crowd the axis
        loss_ax.set(xlim=(0, max(steps[-1], 1)), xlabel="training step",
                    title=f"validation MSE (dashed: the target {cfg.target_loss:g})")
        self.grid = dd.psychometric_trials(cfg)[1]
        self.psy_ax.plot(self.grid, final_curve, color="0.7", lw=2, label="trained")
        (self.psy_line,) = self.psy_ax.plot([], [], color=MEAN_COLOUR, lw=1.8, label="this step")
        self.psy_ax.axhline(0.5, color="0.6", ls=":", lw=1)
        self.psy_ax.set(xlim=(self.grid[0], self.grid[-1]), ylim=(-0.03, 1.03), xlabel="f1 - f2",
                        ylabel="P(report f1 > f2)", title=f"psychometric curve, delays {cfg.delay_min}-{cfg.delay_max}")
        self.psy_ax.legend(fontsize=8, loc="upper left")
        self.title = self.fig.suptitle("", fontsize=11)
        self.fig.text(0.5, 0.915, "look for: the states spread out by f1 and settle on one line that holds them "
                      "through the delay, with a few fixed points on it", ha="center", fontsize=9, color="0.25")

    def frame(self, index, h, found, curve):
        step, loss = self.history["check_steps"][index], self.history["val_loss"][index, 0]
        self.loss_line.set_data(self.history["check_steps"][:index + 1], self.history["val_loss"][:index + 1, 0])
        self.psy_line.set_data(self.grid, curve)
        ax = self.ax
        ax.cla()
        paths = self.basis.project(h)  # (steps, n, 2)
        for i, f1 in enumerate(dd.MEMORY_LEVELS):
            ax.plot(paths[:, i, 0], paths[:, i, 1], color=f1_colour(f1), lw=1.1)
            ax.scatter(*paths[self.cfg.delay_max - 1, i], color=f1_colour(f1), s=14, zorder=3)
        if len(found["h"]):
            stable = np.all(np.abs(found["eigenvalues"]) < 1 - dd.STABLE_SLACK, axis=1)
            draw_points(ax, self.basis.project(found["h"]), stable, found["n_unstable"], found["slow"])
        ax.set(xlim=self.limits[0], ylim=self.limits[1], xlabel="PC 1 of the trained network's delay states",
               ylabel="PC 2")
        ax.set_title(f"delay-period states, {2 * self.cfg.delay_max} steps at input 0", fontsize=10)
        when = "at initialization" if step == 0 else f"after {step} steps"
        self.title.set_text(f"Delayed discrimination, seed {self.cfg.seed} ({self.cfg.hidden} units), {when}: "
                            f"validation MSE {loss:.3f}")
        return frame_pixels(self.fig)


def render(cfg, snapshots, history, picked):
    final = snapshot_state(cfg, snapshots[-1][1])
    basis = fixed_points.pca(final[0], 2)
    projected = basis.project(final[0]).reshape(-1, 2)
    pad = 0.2 * (projected.max(axis=0) - projected.min(axis=0))
    limits = list(zip(projected.min(axis=0) - pad, projected.max(axis=0) + pad))
    animation = Animation(cfg, history, basis, limits, final[2])
    return draw_frames(animation.fig, picked,
                       lambda i: animation.frame(i, *snapshot_state(cfg, snapshots[i][1])))


def reduce_colours(frames):
    height, width = frames[0].shape[:2]
    key = [*plt.get_cmap(F1_CMAP)(np.linspace(0, 1, 9)), STABLE_COLOUR, SADDLE_COLOUR, MEAN_COLOUR, "0.7", "0.85"]
    return shared_palette(frames, N_COLOURS, colour_strip(key, height // 4, width))


def parse(argv):
    parser = gif_parser(__doc__, dd.SLUG, frames=30, fps=4, frames_help="evenly spaced in log(step + 25)",
                        first_hold_s=FIRST_FRAME_HOLD_S, last_hold_s=LAST_FRAME_HOLD_S)
    parser.add_argument("--seed", type=non_negative_int, default=dd.Config.seed,
                        help=f"the network's seed (default: {dd.Config.seed}, network 0 of the default run)")
    args = parse_args(parser, argv, dd.SLUG)
    return args, dd.resolve(dd.Config(seed=args.seed, networks=1, quick=args.quick))


@command
def main(argv=None):
    args, cfg = parse(argv)
    start = time.perf_counter()
    print(f"training seed {cfg.seed} ({cfg.hidden} units)", flush=True)
    snapshots, record = dd.task_rnn.snapshot_recorder()
    _, history = dd.train(cfg, callback=record)
    picked = choose_frames(history["check_steps"], args.frames)
    frames = reduce_colours(render(cfg, snapshots, history, picked))
    save_gif(args, frames, start, f" (steps {', '.join(str(snapshots[i][0]) for i in picked)})")
    return frames


if __name__ == "__main__":
    main(sys.argv[1:])
