"""Training animation for the 25-sequence look-up (Rumelhart, Hinton & Williams 1986).

Trains the network of sequence_lookup_25.py once, takes snapshots on a schedule that is
dense early (where the learning happens) and sparse late, and writes the animation. Each
frame shows, at that sweep:

    left          the 3 outputs on each of the 5 held-out sequences, against their +-1 targets
    right, top    training loss (log) and train / held-out accuracy so far
    right, bottom the recurrent weights W_hh, on one colour scale for the whole animation

The GIF goes to results/sequence_lookup_25/sequence_lookup_25.gif unless --out says
otherwise; --publish rewrites the committed gifs/sequence_lookup_25.gif.

    python problems/make_sequence_lookup_25_gif.py                     # fixed timing, seed 0
    python problems/make_sequence_lookup_25_gif.py --variable-timing --out /tmp/variable.gif
    python problems/make_sequence_lookup_25_gif.py --quick             # seconds: a few frames
    python problems/make_sequence_lookup_25_gif.py --publish           # the committed GIF
"""

import sys
import time

import sequence_lookup_25 as slu  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402

from _figures import GREEN, RED, colour_strip, frame_pixels, gif_parser, parse_args, plt, save_gif, shared_palette  # noqa: E402
from rnn_numpy.experiment import Progress, command, non_negative_int  # noqa: E402

FIGSIZE, DPI = (8, 4.5), 100
N_COLOURS = 128
WEIGHT_CMAP = "RdBu_r"
LAST_FRAME_HOLD_S = 2.5


# --- training with snapshots ------------------------------------------------------------------

def snapshot_sweeps(n_sweeps, n_frames):
    """About n_frames distinct sweep indices (0-based) from 0 to n_sweeps - 1, geometrically
    spaced: every sweep at first, then ever sparser."""
    n_frames = min(n_frames, n_sweeps)
    count = n_frames
    while True:
        sweeps = np.unique(np.round(np.geomspace(1, n_sweeps, count)).astype(int)) - 1
        if len(sweeps) >= n_frames or count >= 4 * n_sweeps:
            return sweeps
        count += 1


def train_with_snapshots(cfg, n_frames):
    """Train once; at each scheduled sweep copy the held-out outputs and W_hh (the arrays
    are updated in place afterwards). Returns snapshots [(sweep, y_test (n_test, 3), W_hh)],
    history and data."""
    wanted = set(snapshot_sweeps(cfg.n_sweeps, n_frames).tolist())
    snapshots = []

    def take_snapshot(sweep, params, y, history):
        if sweep in wanted:
            snapshots.append((sweep, y[0, cfg.n_train:].copy(), params["W_hh"][0].copy()))

    _, history, data = slu.train(cfg, callback=take_snapshot)
    return snapshots, history, data


# --- drawing ----------------------------------------------------------------------------------

class Animation:
    """One figure, drawn once; each frame only moves its artists."""

    def __init__(self, cfg, history, data, w_max):
        self.cfg, self.history = cfg, history
        self.sweeps = np.arange(1, cfg.n_sweeps + 1)
        self.targets = data["targets"][cfg.n_train:]  # (n_test, 3)
        self.fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
        grid = self.fig.add_gridspec(2, 2, width_ratios=[1, 1.1], height_ratios=[1, 1.6], left=0.08,
                                     right=0.95, top=0.79, bottom=0.17, wspace=0.25, hspace=0.62)
        self._draw_outputs(self.fig.add_subplot(grid[:, 0]), data)
        curves = grid[0, 1].subgridspec(1, 2, wspace=0.45)
        self._draw_loss(self.fig.add_subplot(curves[0]))
        self._draw_accuracy(self.fig.add_subplot(curves[1]), slu.baselines(data, cfg.n_train))
        self._draw_weights(self.fig.add_subplot(grid[1, 1]), w_max)
        self.title = self.fig.suptitle("", fontsize=11)

    def _draw_outputs(self, ax, data):
        cfg = self.cfg
        n_test = cfg.n_test
        bits = slu.N_BITS
        self.bar_x = (np.arange(n_test)[:, None] * (bits + 1) + np.arange(bits)).ravel()  # a bar per bit, then a gap
        self.bars = ax.bar(self.bar_x, np.zeros(len(self.bar_x)), width=0.85, color=GREEN)
        ax.plot(self.bar_x, self.targets.ravel(), ls="none", marker="_", ms=11, mew=2.5, color="black",
                label="target (+1 or -1)")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set_xticks(self.bar_x, [str(b) for b in np.tile(np.arange(bits), n_test)], fontsize=6)
        ax.tick_params(axis="x", length=0, pad=2)
        for j, letters in enumerate(data["letters"][cfg.n_train:]):  # the sequence under its bars
            ax.text((bits + 1) * j + (bits - 1) / 2, -0.07, slu.spell(letters), transform=ax.get_xaxis_transform(),
                    ha="center", va="top", family="monospace", fontsize=9)
        ax.set_ylim(-1.25, 1.25)
        ax.set_xlim(-0.8, self.bar_x[-1] + 0.8)
        ax.set_ylabel("output (tanh)", fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.plot([], [], ls="none", marker="s", color=GREEN, label="output, right sign")
        ax.plot([], [], ls="none", marker="s", color=RED, label="output, wrong sign")
        ax.legend(loc="upper center", fontsize=7, ncol=3, bbox_to_anchor=(0.5, -0.15), frameon=False,
                  handletextpad=0.3, columnspacing=0.8)
        self.outputs_ax = ax

    def _draw_loss(self, ax):
        loss = self.history["loss"][:, 0]
        self.loss_line, = ax.plot([], [], color="black", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1, self.cfg.n_sweeps)
        ax.set_ylim(loss.min() / 2, loss.max() * 2)
        ax.set_title("training loss", fontsize=9)
        ax.set_xlabel("sweep (log)", fontsize=8)
        ax.tick_params(labelsize=7)
        self.loss_now = ax.axvline(1, color="0.6", lw=0.8)

    def _draw_accuracy(self, ax, baselines):
        n_test = self.cfg.n_test
        self.train_line, = ax.plot([], [], color="black", lw=1.5, label=f"train ({self.cfg.n_train} sequences)")
        self.test_line, = ax.plot([], [], color=GREEN, lw=1.5, label=f"held out ({n_test} sequences)")
        best_baseline = max(baselines["majority_n_correct"], baselines["bag_of_letters_n_correct"])
        baseline = ax.axhline(best_baseline / n_test, color=RED, ls="--", lw=1,
                              label=f"best non-recurrent\nbaseline ({best_baseline}/{n_test})")
        ax.set_xscale("log")
        ax.set_xlim(1, self.cfg.n_sweeps)
        ax.set_ylim(-0.05, 1.05)
        ax.set_title("all 3 bits right", fontsize=9)
        ax.set_xlabel("sweep (log)", fontsize=8)
        ax.tick_params(labelsize=7)
        self.fig.legend(handles=[self.train_line, self.test_line, baseline], loc="center",
                        bbox_to_anchor=(0.585, 0.32), fontsize=7, title="all 3 bits right", title_fontsize=7,
                        frameon=False)  # in the free space left of W_hh, clear of every curve
        self.acc_now = ax.axvline(1, color="0.6", lw=0.8)

    def _draw_weights(self, ax, w_max):
        H = self.cfg.n_hidden
        self.weights = ax.imshow(np.zeros((H, H)), cmap=WEIGHT_CMAP, vmin=-w_max, vmax=w_max, interpolation="nearest")
        ax.set_title("recurrent weights W_hh", fontsize=9)
        ax.set_xlabel("from hidden unit", fontsize=8)
        ax.set_ylabel("to unit", fontsize=8)
        ax.set_xticks([0, H - 1], ["1", str(H)])
        ax.set_yticks([0, H - 1], ["1", str(H)])
        ax.tick_params(labelsize=7)
        colourbar = self.fig.colorbar(self.weights, ax=ax, fraction=0.06, pad=0.04)
        colourbar.ax.tick_params(labelsize=6)

    def frame(self, sweep, y_test, W_hh):
        """Move the artists to this snapshot and return the rendered RGB image (h, w, 3)."""
        cfg, hist, upto = self.cfg, self.history, sweep + 1
        right = slu.bits_correct(y_test, self.targets)  # (n_test, 3), scored as the problem module does
        for bar, value, ok in zip(self.bars, y_test.ravel(), right.ravel()):
            bar.set_height(value)
            bar.set_color(GREEN if ok else RED)
        n_right = int(right.all(axis=-1).sum())
        self.outputs_ax.set_title(f"held-out sequences (bits 0, 1, 2): {n_right}/{cfg.n_test} all right",
                                  fontsize=9)
        self.loss_line.set_data(self.sweeps[:upto], hist["loss"][:upto, 0])
        self.train_line.set_data(self.sweeps[:upto], hist["train_acc"][:upto, 0])
        self.test_line.set_data(self.sweeps[:upto], hist["test_n_correct"][:upto, 0] / cfg.n_test)
        for line in (self.loss_now, self.acc_now):
            line.set_xdata([upto, upto])
        self.weights.set_data(W_hh)
        timing = "variable timing" if cfg.variable_timing else "fixed timing"
        self.title.set_text(f"25-sequence look-up ({timing}, H={cfg.n_hidden}): sweep {upto} of {cfg.n_sweeps}"
                            f"\nwatch the held-out outputs settle onto their targets")
        return frame_pixels(self.fig)


def render_frames(cfg, snapshots, history, data):
    w_max = max(np.abs(W).max() for _, _, W in snapshots)
    animation = Animation(cfg, history, data, w_max)
    progress = Progress("frames drawn", len(snapshots))
    frames = []
    for snapshot in snapshots:
        frames.append(animation.frame(*snapshot))
        progress.update(len(frames))
    plt.close(animation.fig)
    return frames


def reduce_colours(frames):
    """One shared palette; a wide strip of the weight colour map is kept so that its rare dark
    ends (the largest weights) keep their own colours instead of merging into green and red."""
    height, width = frames[0].shape[:2]
    gradient = plt.get_cmap(WEIGHT_CMAP)(np.linspace(0, 1, width))  # (width, 4) RGBA in [0, 1]
    return shared_palette(frames, N_COLOURS, colour_strip(gradient, height // 2, width))


def parse(argv):
    parser = gif_parser(__doc__, slu.SLUG, frames=40, fps=8, frames_help="dense early and sparse late",
                        last_hold_s=LAST_FRAME_HOLD_S)
    parser.add_argument("--seed", type=non_negative_int, default=0, help="initialization seed of the network (default: 0)")
    parser.add_argument("--variable-timing", action="store_true",
                        help="animate the variable-timing variant (each letter held 1-2 steps, H=60) "
                             "instead of fixed timing")
    return parse_args(parser, argv, slu.SLUG)


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    cfg = slu.resolve(slu.Config(seed=args.seed, variable_timing=args.variable_timing, quick=args.quick))
    snapshots, history, data = train_with_snapshots(cfg, args.frames)
    frames = reduce_colours(render_frames(cfg, snapshots, history, data))
    save_gif(args, frames, start)
    return frames


if __name__ == "__main__":
    main(sys.argv[1:])
