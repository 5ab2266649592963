"""Training animation for solution degeneracy (solution_degeneracy.py; Huang et al. 2025):
several networks, trained from different seeds on the same task, in one shared picture.

Trains --networks networks of the flip-flop's reference condition (two bits, 32 units; seeds
0, 1, ..., the first seeds of the sweep's condition) to the target loss, keeping their
weights every 25 steps. For about --frames of those snapshots it runs every network on the
same 8 held-out trials. Each frame shows:

    left    the trajectories of every network (one colour per seed) in one projection: each
            network's states are first turned onto the final states of network 0 by the
            orthogonal map that fits them best (Procrustes: what a rotation of the units can
            do), then drawn in network 0's top two principal components
    right   every network's validation loss so far (log scale; dashed: the target, where
            each network stops), and the mean shape distance between the networks' states

Look for: the trajectories of different seeds drawn into similar shapes as the loss falls
(the four corners of two bits), with differences that no rotation removes.

The GIF goes to results/solution_degeneracy/solution_degeneracy.gif unless --out says
otherwise; --publish rewrites the committed gifs/solution_degeneracy.gif.

    python problems/make_solution_degeneracy_gif.py          # about 30 frames, under a minute
    python problems/make_solution_degeneracy_gif.py --networks 3 --out /tmp/sd.gif
    python problems/make_solution_degeneracy_gif.py --quick  # seconds: a few frames
    python problems/make_solution_degeneracy_gif.py --publish
"""

import sys
import time

import solution_degeneracy as sd  # first: it sets the BLAS thread count before numpy loads

import numpy as np  # noqa: E402

import _task_rnn as task_rnn  # noqa: E402
from _figures import (colour_strip, draw_frames, frame_pixels, gif_parser, parse_args, plt, save_gif,  # noqa: E402
                      shared_palette)
from rnn_numpy import degeneracy  # noqa: E402
from rnn_numpy.experiment import command, non_negative_int  # noqa: E402

TASK = "flip_flop"
FIGSIZE, DPI = (10, 4.6), 90
N_COLOURS = 96
TRIALS = 8  # held-out trials drawn per network
FIRST_FRAME_HOLD_S, LAST_FRAME_HOLD_S = 1.5, 4.0


def procrustes_rotation(H, R):
    """The orthogonal Q (H, H) minimizing |H Q - R|_F for centred state matrices H, R (S, H):
    Q = U V^T with U S V^T the SVD of H^T R."""
    U, _, Vt = np.linalg.svd(H.T @ R)
    return U @ Vt


def centred(h):
    """States (T, B, H) as rows (T B, H), each unit's mean removed."""
    flat = h.reshape(-1, h.shape[-1])
    return flat - flat.mean(axis=0)


def choose_frames(n_checks, n_frames):
    """About n_frames check indices, denser early (where training changes most): evenly spaced
    in the square root of the check index, first and last always included."""
    picks = np.unique(np.round(np.linspace(0, 1, n_frames) ** 2 * (n_checks - 1)).astype(int))
    return picks.tolist()


class Animation:
    def __init__(self, history, target, basis, limits, colours):
        self.history, self.target, self.basis, self.limits, self.colours = history, target, basis, limits, colours
        self.fig, (self.ax, self.ax_loss) = plt.subplots(1, 2, figsize=FIGSIZE, dpi=DPI,
                                                         gridspec_kw={"width_ratios": [1.1, 1]})
        self.shape_so_far = []

    def frame(self, index, states, reference):
        """Draw check `index`: states [(T, B, H) per network] and the reference rows R (T B, H)."""
        ax, ax_loss = self.ax, self.ax_loss
        ax.clear()
        ax_loss.clear()
        for k, h in enumerate(states):
            Q = procrustes_rotation(centred(h), reference)  # (H, H)
            path = (centred(h) @ Q @ self.basis).reshape(h.shape[0], h.shape[1], 2)  # (T, B, 2)
            for b in range(h.shape[1]):
                ax.plot(path[:, b, 0], path[:, b, 1], color=self.colours[k], lw=0.9, alpha=0.8,
                        label=f"seed {k}" if b == 0 else None)
        ax.set_xlim(*self.limits[0])
        ax.set_ylim(*self.limits[1])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        step = int(self.history["check_steps"][index])
        ax.set_title(f"step {step}: every seed turned onto seed 0 (Procrustes), seed 0's PCs", fontsize=9)
        steps = self.history["check_steps"][: index + 1]
        for k in range(len(states)):
            ax_loss.semilogy(steps, self.history["val_loss"][: index + 1, k], color=self.colours[k], lw=1.2)
        ax_loss.axhline(self.target, color="k", ls="--", lw=1)
        ax_loss.set_xlim(0, self.history["check_steps"][-1])
        ax_loss.set_ylim(self.target / 3, self.history["val_loss"].max() * 1.5)
        ax_loss.set_xlabel("training step")
        ax_loss.set_ylabel("validation MSE")
        pairs = [degeneracy.shape_distance(a, b) for i, a in enumerate(states) for b in states[i + 1:]]
        ax_loss.set_title(f"mean shape distance between seeds: {np.mean(pairs):.3f} rad", fontsize=9)
        self.fig.tight_layout()
        return frame_pixels(self.fig)


def render(condition, snapshots, history, picked):
    c = condition["complexity"]
    x, _, _ = sd.fixed_trials(TASK, sd.TEST_SEED, TRIALS, c)
    K = condition["networks"]

    def states_of(params):
        _, h = sd.outputs(params, x, condition["regime"])  # (T, K, B, H)
        return [h[:, k] for k in range(K)]

    final = states_of(snapshots[-1][1])
    reference = centred(final[0])  # (T B, H)
    basis = np.linalg.svd(reference, full_matrices=False)[2][:2].T  # (H, 2): seed 0's top two PCs
    projected = reference @ basis
    pad = 0.25 * (projected.max(axis=0) - projected.min(axis=0))
    limits = list(zip(projected.min(axis=0) - pad, projected.max(axis=0) + pad))
    colours = [plt.get_cmap("tab10")(k) for k in range(K)]
    animation = Animation(history, condition["training"]["target"], basis, limits, colours)
    return draw_frames(animation.fig, picked,
                       lambda i: animation.frame(i, states_of(snapshots[i][1]), reference)), colours


def parse(argv):
    parser = gif_parser(__doc__, sd.SLUG, frames=30, fps=4, frames_help="denser early in training",
                        first_hold_s=FIRST_FRAME_HOLD_S, last_hold_s=LAST_FRAME_HOLD_S)
    parser.add_argument("--networks", type=int, default=4, help="seeds drawn (default: 4; at most 10)")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="the first seed (default: 0)")

    def check(args):
        return [] if 2 <= args.networks <= 10 else [f"--networks must be 2 to 10 (got {args.networks})"]

    return parse_args(parser, argv, sd.SLUG, check)


@command
def main(argv=None):
    args = parse(argv)
    start = time.perf_counter()
    cfg = sd.Config(networks=args.networks, seed=args.seed, quick=args.quick)
    condition = sd.condition_for(TASK, {}, cfg)
    print(f"training {args.networks} flip-flop networks ({condition['name']}, seeds {args.seed}.."
          f"{args.seed + args.networks - 1})", flush=True)
    snapshots, record = task_rnn.snapshot_recorder()
    _, history = sd.train_condition(condition, callback=record, verbose=True)
    picked = choose_frames(len(snapshots), args.frames)
    frames, colours = render(condition, snapshots, history, picked)
    height, width = frames[0].shape[:2]
    frames = shared_palette(frames, N_COLOURS, colour_strip([*colours, "k", "0.5"], height // 4, width))
    save_gif(args, frames, start, f" (steps {', '.join(str(snapshots[i][0]) for i in picked)})")
    return frames


if __name__ == "__main__":
    main(sys.argv[1:])
