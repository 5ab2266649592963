"""Animation for the character challenge (character_challenge.py; Fabi, Otte, Wiese & Butz
2020, ICANN): the 13 new letters n-z being learned from one example each, as the one-shot
inference adapts the weights into the dense layer of the network trained on a-m.

Each frame is one check of the one-shot inference (the checks are spaced evenly on a log
scale of the iterations, so the fast early change gets frames too). It shows:

    top     every new letter as the network writes it at that iteration (blue), over its one
            example (faint green). The first frame is the trained network's guess from the new
            label before any inference; the last is the letter it has learned
    bottom  the one-shot MSE of every letter (thin) and their mean (thick), log axes, with
            the current iteration marked

The frames are drawn from a results file of `python problems/character_challenge.py
--save-results PATH` (it stores what the network wrote at every check): --results PATH, else
the committed viz/character_challenge/results.json (which `visualize_character_challenge.py
--publish` regenerates first). Without either, the problem is run first (about 10 minutes).

The GIF goes to results/character_challenge/character_challenge.gif unless --out says
otherwise; --publish rewrites the committed gifs/character_challenge.gif.

    python problems/make_character_challenge_gif.py                  # from the committed results
    python problems/make_character_challenge_gif.py --results results/cc.json --out /tmp/cc.gif
    python problems/make_character_challenge_gif.py --quick          # seconds: a quick run
    python problems/make_character_challenge_gif.py --publish        # the committed GIF
"""

import sys
import time

import character_challenge as cc  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402

from _figures import (VIZ, colour_strip, draw_frames, frame_pixels, gif_parser, load_results, parse_args,  # noqa: E402
                      plt, save_gif, shared_palette)
from visualize_character_challenge import (BLUE, EXAMPLE_COLOUR, arr, bare, draw_letter, equal_scale, fit,  # noqa: E402
                                           how_to_make, is_valid, pen_path)
from rnn_numpy.experiment import command, input_file  # noqa: E402

FIGSIZE, DPI = (12, 6.2), 80
N_COLOURS = 96
COLUMNS = 7  # letters per row of the top panel (n-t, then u-z)
FIRST_FRAME_HOLD_S, LAST_FRAME_HOLD_S = 2.0, 4.0


def load(args):
    """The results the frames come from: --results, the committed file, or a fresh run."""
    committed = VIZ / cc.SLUG / "results.json"
    source = args.results or (committed if not args.quick and committed.exists() else None)
    if source is not None:
        return load_results(source, cc.SLUG, is_valid, how_to_make())
    print(f"running character_challenge{' --quick' if args.quick else ' (about 10 minutes)'}", flush=True)
    return cc.main(["--quick"] if args.quick else [])


def pick_checks(n_checks, n_frames):
    """About n_frames of the n_checks checks, evenly spaced, always the first and the last."""
    return np.unique(np.linspace(0, n_checks - 1, min(n_frames, n_checks)).round().astype(int))


class Animation:
    """One figure: a panel per new letter (redrawn each frame) and the loss curves below."""

    def __init__(self, results):
        fd = results["figure_data"]
        self.examples = fd["examples"]
        self.frames = fd["one_shot_frames"]
        self.steps = arr(self.frames["step"])
        loss = fd["one_shot_loss"]["trained"]
        loss_steps, self.loss = arr(loss["step"]), arr(loss["loss"])  # (checks,), (checks, 13)
        self.fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
        grid = self.fig.add_gridspec(3, COLUMNS, height_ratios=[1, 1, 0.9], left=0.07, right=0.99, top=0.85,
                                     bottom=0.09, hspace=0.35, wspace=0.08)
        self.letter_axes = [self.fig.add_subplot(grid[j // COLUMNS, j % COLUMNS]) for j in range(len(cc.NEW))]
        self.limits = [self._limits(j) for j in range(len(cc.NEW))]
        self.ax = self.fig.add_subplot(grid[2, :])
        self.ax.loglog(loss_steps, self.loss, color=BLUE, lw=0.6, alpha=0.35)
        self.ax.loglog(loss_steps, self.loss.mean(axis=1), color=BLUE, lw=2.2, label="mean over n-z (thin: each)")
        self.marker = self.ax.axvline(self.steps[0], color="0.4", lw=1.0)
        self.ax.set(xlabel="one-shot inference iteration", ylabel="MSE to the example")
        self.ax.legend(loc="lower left", fontsize=9, frameon=False)
        self.ax.grid(alpha=0.3, which="both")
        self.title = self.fig.suptitle("", fontsize=11)

    def _limits(self, j):
        """The points a panel is fitted to: the example and the learned letter (an early guess
        that strays further is cut off at the panel's edge, so that the panels never jump)."""
        return np.concatenate([pen_path(self.examples[j]), pen_path(self.frames["letters"][j][-1])])

    def frame(self, check):
        step = int(self.steps[check])
        for j, ax in enumerate(self.letter_axes):
            ax.cla()
            draw_letter(ax, self.examples[j], EXAMPLE_COLOUR, lw=2.6, alpha=0.25, travel=False, zorder=1)
            draw_letter(ax, self.frames["letters"][j][check], BLUE, lw=1.8)
            bare(ax)
            fit(ax, self.limits[j], pad=0.3)
            ax.set_title(cc.NEW[j], fontsize=12, fontweight="bold")
        equal_scale(self.fig)
        self.marker.set_xdata([step, step])
        guess = " (the trained network's guess from the new label)" if check == 0 else ""
        self.title.set_text(f"Learning 13 new letters from one example each: only the weights into the dense layer "
                            f"adapt\niteration {step:,}{guess}; green: the example, blue: what the network writes")
        return frame_pixels(self.fig)


def reduce_colours(frames):
    height, width = frames[0].shape[:2]
    key = [BLUE, EXAMPLE_COLOUR, "0.4", "0.85", "k"]
    return shared_palette(frames, N_COLOURS, colour_strip(key, height // 4, width))


def parse(argv):
    parser = gif_parser(__doc__, cc.SLUG, frames=30, fps=4, frames_help="evenly spaced over the checks of the "
                        "one-shot inference (they are log-spaced in iterations)",
                        first_hold_s=FIRST_FRAME_HOLD_S, last_hold_s=LAST_FRAME_HOLD_S)
    parser.add_argument("--results", type=input_file,
                        help="results JSON written by `python problems/character_challenge.py --save-results PATH` "
                             "(default: the committed viz/character_challenge/results.json)")
    return parse_args(parser, argv, cc.SLUG)


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    results = load(args)
    animation = Animation(results)
    checks = pick_checks(len(animation.steps), args.frames)
    frames = reduce_colours(draw_frames(animation.fig, list(checks), animation.frame))
    save_gif(args, frames, start, f" (iterations {', '.join(str(int(animation.steps[c])) for c in checks)})")
    return frames


if __name__ == "__main__":
    main(sys.argv[1:])
