"""Training animation for the character-level RNN lab (char_rnn_lab.py): generated text
improving over training, beside the held-out loss and the spectral radius of W_hh.

Trains the baseline network (H=64, chunk 25, seed 42) once, evaluating often, and keeps
snapshots on a schedule that is dense early (the loss falls fastest in the first few hundred
steps) and sparse late; at each snapshot the network writes 1000 characters from the same
generator seed, so frames differ only by the weights. Each frame shows, at that step:

    top           the first two lines of the generated text; red: not a word of the lexicon;
                  with the shares of words in the lexicon and in grammatical sentences
    bottom left   held-out loss so far (nats/char), against the grammar's exact entropy floor
    bottom right  spectral radius of W_hh so far (1 at the orthogonal start)

The default run is 6000 of the baseline's 30,000 steps (about half a minute): by then the
held-out loss is within about 0.01 nats/char of where the full run ends (0.337 at step 6000
against 0.327 at step 30,000) and 99% of the generated words are real words; the sentences
keep getting more grammatical after that (87% of words inside grammatical sentences at step
6000, 99% at step 30,000; numbers from the two runs below with the default settings).
--steps 30000 animates the whole baseline (about 70 s on a 2-core machine).

The GIF goes to results/char_rnn_lab/char_rnn_lab.gif unless --out says otherwise;
--publish rewrites the committed gifs/char_rnn_lab.gif.

    python problems/make_char_rnn_lab_gif.py                      # 6000 steps, about 36 frames
    python problems/make_char_rnn_lab_gif.py --steps 30000 --out /tmp/full.gif
    python problems/make_char_rnn_lab_gif.py --quick              # seconds: a few frames
    python problems/make_char_rnn_lab_gif.py --publish            # the committed GIF
"""

import dataclasses
import sys
import time

import char_rnn_lab as lab  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402

import _char_grammar as grammar  # noqa: E402
import visualize_char_rnn_lab as viz  # noqa: E402  (the coloured-text helpers)
from _figures import colour_strip, frame_pixels, gif_parser, parse_args, plt, save_gif, shared_palette  # noqa: E402
from rnn_numpy import init  # noqa: E402
from rnn_numpy.experiment import Progress, command, non_negative_int  # noqa: E402

FIGSIZE, DPI = (8, 5), 100
N_COLOURS = 96
TEXT_LINES, TEXT_WIDTH = 2, 62  # about 120 characters shown
QUALITY_CHARS = 1000  # generated per snapshot; the shares are measured on all of them
N_EVALUATIONS = 300  # held-out evaluations over the run (each costs about 40 ms)
FIRST_FRAME_HOLD_S, LAST_FRAME_HOLD_S = 1.5, 4.0
RHO = "#9467bd"


# --- training with snapshots ------------------------------------------------------------------

def snapshot_steps(n_steps, every, n_frames):
    """About n_frames distinct steps, multiples of every up to n_steps (always included),
    geometrically spaced: every evaluation at first, then ever sparser."""
    n_evals = n_steps // every
    count = min(n_frames, n_evals)
    while True:
        steps = set(every * np.unique(np.round(np.geomspace(1, n_evals, count)).astype(int)))
        if len(steps) >= min(n_frames, n_evals) or count >= 4 * n_evals:
            return sorted(int(s) for s in steps | {n_steps})
        count += 1


def snapshot(params, cfg, g, step):
    """What a frame needs from the network at this step: its text (from a fixed generator
    seed) and the lexicon / grammatical shares of that text."""
    text = lab.generate(params, cfg, QUALITY_CHARS, np.random.default_rng(0))[0]
    return {"step": step, "text": text, **grammar.text_quality(text, g)}


def train_with_snapshots(cfg, n_frames):
    """Train once; take a snapshot at step 0 (the initialization) and at each scheduled step.
    Returns snapshots, curves (step, held-out loss and spectral radius at step 0 and at every
    evaluation) and data."""
    data = lab.make_data(cfg)
    wanted = set(snapshot_steps(cfg.steps, cfg.eval_every, n_frames))
    params0 = lab.init_params(cfg, [{}])  # the same weights train() starts from (same seed)
    snapshots = [snapshot(params0, cfg, data["grammar"], 0)]

    progress = Progress("training steps", cfg.steps)

    def take_snapshot(step, params, history):
        if step + 1 in wanted:
            snapshots.append(snapshot(params, cfg, data["grammar"], step + 1))
        progress.update(step + 1, f"held-out loss {history['held_out_loss'][-1][0]:.3f} nats/char")

    _, history, _ = lab.train(cfg, data=data, callback=take_snapshot)
    curves = {"step": np.r_[0, history["step"]],
              "held_out": np.r_[lab.held_out_loss(params0, cfg, data["held_out"], burn_in=cfg.burn_in)[0][0],
                                np.array(history["held_out_loss"])[:, 0]],
              "rho": np.r_[init.spectral_radius(params0["W_hh"])[0], np.array(history["spectral_radius"])[:, 0]]}
    return snapshots, curves, data


# --- drawing ----------------------------------------------------------------------------------

class Animation:
    """One figure, drawn once; each frame replaces the text and moves the curves."""

    def __init__(self, cfg, curves, data):
        self.cfg, self.curves, self.grammar = cfg, curves, data["grammar"]
        self.fig = plt.figure(figsize=FIGSIZE, dpi=DPI)
        grid = self.fig.add_gridspec(2, 2, height_ratios=[0.85, 1.5], left=0.09, right=0.97, top=0.84,
                                     bottom=0.1, wspace=0.28, hspace=0.4)
        self.text_ax = self._draw_text_box(self.fig.add_subplot(grid[0, :]))
        self._draw_loss(self.fig.add_subplot(grid[1, 0]), data["entropy_rate"])
        self._draw_rho(self.fig.add_subplot(grid[1, 1]))
        self.title = self.fig.suptitle("", fontsize=11.5)
        self.words = []

    def _draw_text_box(self, ax):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor("#f6f6f6")
        for spine in ax.spines.values():
            spine.set_color("0.6")
        ax.set_title(f"what the network writes (temperature {self.cfg.temperature:g}, primed with \"the \"; "
                     "the same random draws in every frame)", fontsize=8.5, loc="left")
        self.quality = ax.text(0.015, 0.08, "", transform=ax.transAxes, fontsize=8.5, color="0.2")
        return ax

    def _log_step_axis(self, ax):
        ax.set_xscale("log")
        ax.set_xlim(self.cfg.eval_every * 0.8, self.cfg.steps * 1.2)
        ax.set_xlabel("training step (log scale)", fontsize=8.5)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3, which="major")

    def _draw_loss(self, ax, floor):
        c = self.curves
        ax.axhline(floor, color=viz.FLOOR, ls="--", lw=1.2, label=f"entropy floor {floor:.3f}")
        ax.axhline(np.log(grammar.V), color=viz.UNIFORM, ls="-.", lw=1, label=f"uniform guess {np.log(grammar.V):.2f}")
        self.loss_line, = ax.plot([], [], color=viz.HELD_OUT, lw=2)
        self.loss_dot, = ax.plot([], [], "o", color=viz.HELD_OUT, ms=5)
        self._log_step_axis(ax)
        ax.set_yscale("log")
        ax.set_ylim(floor * 0.9, max(c["held_out"].max(), np.log(grammar.V)) * 1.25)
        ticks = [t for t in (0.3, 0.5, 1, 2, 3) if floor * 0.9 < t]
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
        ax.set_ylabel("nats per character", fontsize=8.5)
        ax.legend(fontsize=7.5, loc="lower left", bbox_to_anchor=(0, 0.05), frameon=False)  # clear of the curve
        self.loss_ax = ax

    def _draw_rho(self, ax):
        c = self.curves
        ax.axhline(1.0, color="0.4", ls="--", lw=1)
        self.rho_line, = ax.plot([], [], color=RHO, lw=2)
        self.rho_dot, = ax.plot([], [], "o", color=RHO, ms=5)
        self._log_step_axis(ax)
        ax.set_ylim(min(0.95, c["rho"].min() - 0.05), c["rho"].max() + 0.1 * (c["rho"].max() - c["rho"].min()) + 0.05)
        ax.set_ylabel("largest |eigenvalue| of W_hh", fontsize=8.5)
        ax.text(0.02, 0.03, f"step 0: {c['rho'][0]:.3f} ({self.cfg.init} init)", transform=ax.transAxes,
                fontsize=7.5, color="0.3")
        self.rho_ax = ax

    def frame(self, snap):
        """Draw this snapshot and return the rendered RGB image (h, w, 3)."""
        for artist in self.words:
            artist.remove()
        words = snap["text"].split()
        colours = viz.word_colours(words, self.grammar, grammatical=False)
        self.words = viz.draw_words(self.text_ax, viz.wrap_words(words, colours, TEXT_WIDTH)[:TEXT_LINES],
                                    0.015, 0.86, 12.5, spacing=1.45)
        self.quality.set_text(f"of {QUALITY_CHARS} characters written: {snap['lexicon']:.0%} of words in the "
                              f"lexicon, {snap['grammatical']:.0%} inside grammatical sentences")
        c, upto = self.curves, np.searchsorted(self.curves["step"], snap["step"]) + 1
        shown = slice(1, upto)  # step 0 cannot sit on a log axis; it is quoted in the text instead
        self.loss_line.set_data(c["step"][shown], c["held_out"][shown])
        self.rho_line.set_data(c["step"][shown], c["rho"][shown])
        now = slice(max(1, upto - 1), upto)  # the current point (none at step 0)
        self.loss_dot.set_data(c["step"][now], c["held_out"][now])
        self.rho_dot.set_data(c["step"][now], c["rho"][now])
        self.loss_ax.set_title(f"held-out loss: {c['held_out'][upto - 1]:.3f} nats/char", fontsize=9.5)
        self.rho_ax.set_title(f"spectral radius of W_hh: {c['rho'][upto - 1]:.3f}", fontsize=9.5)
        when = "initialization, before any training" if snap["step"] == 0 else f"after {snap['step']} steps"
        self.title.set_text(f"Char-RNN learning a toy grammar: {when} (of {self.cfg.steps})\n"
                            "watch invented strings (red: not a word of the lexicon) turn into words, "
                            "then into sentences")
        return frame_pixels(self.fig)


def render_frames(cfg, snapshots, curves, data):
    animation = Animation(cfg, curves, data)
    progress = Progress("frames drawn", len(snapshots))
    frames = []
    for snap in snapshots:
        frames.append(animation.frame(snap))
        progress.update(len(frames))
    plt.close(animation.fig)
    return frames


def reduce_colours(frames):
    """One shared palette; the curve colours are kept so that thin lines keep their own colour."""
    height, width = frames[0].shape[:2]
    key = [viz.HELD_OUT, RHO, viz.FLOOR, viz.NONWORD, viz.UNIFORM]
    return shared_palette(frames, N_COLOURS, colour_strip(key, height // 4, width))


def parse(argv):
    parser = gif_parser(__doc__, lab.SLUG, frames=36, fps=3, frames_help="after the initialization, dense early "
                        "and sparse late", first_hold_s=FIRST_FRAME_HOLD_S, last_hold_s=LAST_FRAME_HOLD_S)
    parser.add_argument("--steps", type=int, default=6000,
                        help="training steps to animate (default: 6000, about half a minute to build; the "
                             "held-out loss is near its plateau by then; the baseline runs 30000)")
    parser.add_argument("--seed", type=non_negative_int, default=lab.Config.seed,
                        help=f"initialization seed (default: {lab.Config.seed})")

    def check(args):
        return [f"--steps must be at least 2 (got {args.steps})"] if args.steps < 2 else []

    return parse_args(parser, argv, lab.SLUG, check)


def make_config(args):
    """The baseline's Config with --steps / --seed, evaluated about N_EVALUATIONS times."""
    cfg = lab.resolve(lab.Config(steps=args.steps, seed=args.seed, quick=args.quick))
    return dataclasses.replace(cfg, eval_every=max(1, cfg.steps // N_EVALUATIONS))


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    cfg = make_config(args)
    print(f"training the baseline network for {cfg.steps} steps, with snapshots", flush=True)
    snapshots, curves, data = train_with_snapshots(cfg, args.frames)
    frames = reduce_colours(render_frames(cfg, snapshots, curves, data))
    save_gif(args, frames, start, f" (steps {', '.join(str(s['step']) for s in snapshots)})")
    return frames


if __name__ == "__main__":
    main(sys.argv[1:])
