"""Writing the training animations (shared by the make_<slug>_gif.py scripts)."""

import os

import imageio.v3 as iio
import numpy as np
from PIL import Image


def shared_palette(frames, n_colours, keep):
    """Map every frame (H, W, 3 uint8) onto one palette of n_colours, without dithering: a
    smaller file and no colour flicker between frames. The palette is fitted to the first,
    middle and last frames plus `keep`, an (h, W, 3) strip of colours that must survive
    (thin curves, the ends of a colour map) and would otherwise merge into their neighbours."""
    sample = np.concatenate([frames[0], frames[len(frames) // 2], frames[-1], keep], axis=0)
    palette = Image.fromarray(sample).quantize(colors=n_colours, dither=Image.Dither.NONE)
    return [np.asarray(Image.fromarray(f).quantize(palette=palette, dither=Image.Dither.NONE).convert("RGB"))
            for f in frames]


def write_gif(path, frames, fps, first_hold_s=None, last_hold_s=None):
    """Write a looping GIF at fps, optionally holding the first and last frames longer;
    under a temporary name first, then renamed, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    durations = [1000 / fps] * len(frames)
    if first_hold_s is not None:
        durations[0] = 1000 * first_hold_s
    if last_hold_s is not None:
        durations[-1] = 1000 * last_hold_s
    tmp = path.with_name(path.name + ".tmp")
    iio.imwrite(tmp, frames, extension=".gif", duration=durations, loop=0)
    os.replace(tmp, path)
