"""Synthetic handwriting for the character challenge of Fabi, Otte, Wiese & Butz (ICANN
2020), dynamic time warping to score generated letters, and a reader for the authors'
DigiLeTs files (for people who have that data; it is not redistributed here).

Letters are built from a small vocabulary of named strokes (PARTS), so that letters share
sub-trajectories the way real handwriting does: n, m, h and r share the arch; a, d, g, q and
o share one oval, drawn the same way (counter-clockwise from the top right), and c is the
oval's first three quarters; y is the v followed by a descender tail, and w is two v's.
Every letter has a "standard" style; the letters in ALTERNATIVE_LETTERS also have a clearly
different "alternative" one (script instead of print, another stroke order or direction).

Conventions
- Letter box: x to the right, y up; baseline y = 0, x-height 0.5, ascender top 1.0,
  descender bottom -0.5. A letter starts near x = 0.
- A trajectory is a (T, 4) float64 array, one row per time step: FEATURES = (dx, dy,
  pressure, onset).
    dx, dy    the pen's move from the previous step's point to this one. Step 0 is the
              letter's first point, so dx = dy = 0 at t = 0 (as in the DigiLeTs recordings).
              Units: letter-box units times the writer's size.
    pressure  in (0, 1] while the pen is down; exactly 0 on pen-up travel steps.
    onset     1 at the first pen-down step of every stroke (t = 0 included), else 0.
  Between strokes the pen travels, lifted, in a few straight steps (pressure 0, onset 0);
  the onset step is the one that lands on the next stroke's first point.
- pen_path(steps) is the cumulative sum of (dx, dy): the pen's positions, starting at the
  origin. Batches are time-major: pad() returns x (Tmax, B, 4) and a mask (Tmax, B).
- Randomness: draw() takes a numpy Generator; dataset() seeds every sample from
  (seed, letter, writer, sample, style), so a sample does not depend on which other
  letters are requested. Writers come from (seed, writer index).

Time course of a stroke (how a writer turns a skeleton into time steps)
- A stroke of path length L (letter-box units) takes round(STROKE_OVERHEAD + speed * L)
  steps: a fixed cost for landing and lifting the pen, plus a steady pace (L is measured
  after the width and slant, before the size: a larger hand is not slower). Letters take
  21 (c) to 68 (d, p) steps in the standard style, median 39, and up to 72 in the
  alternative one (5 samples by each of the 10 writers of seed 2020).
- Speed along the stroke is bell-shaped and drops at sharp corners:
      v(s) = [e + (1 - e) sin(pi s / L)] * [1 - c * min(turn(s) / 90 deg, 1)]
  with e the writer's end_speed and c their corner_slowing; time is t(s) = int ds / v, and
  the steps are taken at equal times. Slow ends and corners get dense steps.
- Tremor: white noise low-pass filtered with a Gaussian (std tremor_smoothness steps),
  scaled to a std of `tremor` box units, added to the pen positions.
- Shape: skeleton -> writer's smooth warp -> the sample's smaller warp ->
  x' = width * x + slant * y -> times size. Per sample, size, width, slant, speed and
  pressure jitter around the writer's values by a few per cent.

Dynamic time warping (the evaluation metric): dtw_distance() is the minimum over monotone
alignments of the summed Euclidean distances between aligned points, divided by
Ta + Tb (a path visits between max(Ta, Tb) and Ta + Tb - 1 cells, so this is about half the
mean aligned distance for similar lengths). It runs an anti-diagonal wavefront over a
batch of pairs. dtw_matrix() compares pen paths centred on their mean point, which makes
the distance blind to where a letter starts.
"""

import pathlib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

LETTERS = "abcdefghijklmnopqrstuvwxyz"
FEATURES = ("dx", "dy", "pressure", "onset")
STYLES = ("standard", "alternative")

X_HEIGHT, ASCENDER, DESCENDER = 0.5, 1.0, -0.5
SPACING = 0.005  # resolution of the skeleton polylines (letter-box units)
STROKE_OVERHEAD = 6  # steps every stroke costs besides its length (pen landing and lifting)
WRITER_KEY, DRAW_KEY = 21, 22  # second word of the seeds of writers and of samples


# --- geometry primitives --------------------------------------------------------------------

def line(p0, p1):
    """Straight segment p0 -> p1, sampled every SPACING or finer: (n, 2)."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    n = max(2, int(np.ceil(np.hypot(*(p1 - p0)) / SPACING)) + 1)
    u = np.linspace(0.0, 1.0, n)[:, None]
    return p0 + u * (p1 - p0)


def polyline(*corners):
    """Straight segments through the given corners."""
    return chain(*(line(a, b) for a, b in zip(corners[:-1], corners[1:])))


def arc(centre, rx, ry, start, stop):
    """Elliptic arc (x, y) = centre + (rx cos a, ry sin a), a from start to stop in degrees:
    stop > start runs counter-clockwise, stop < start clockwise."""
    n = max(3, int(np.ceil(np.radians(abs(stop - start)) * max(rx, ry) / SPACING)) + 1)
    a = np.radians(np.linspace(start, stop, n))
    return np.column_stack([centre[0] + rx * np.cos(a), centre[1] + ry * np.sin(a)])


def arc_point(centre, rx, ry, angle):
    """The point of an elliptic arc at one angle (degrees)."""
    a = np.radians(angle)
    return np.array([centre[0] + rx * np.cos(a), centre[1] + ry * np.sin(a)])


def chain(*pieces):
    """One polyline through pieces that each start where the previous one ends."""
    for prev, nxt in zip(pieces[:-1], pieces[1:]):
        assert np.allclose(prev[-1], nxt[0], atol=1e-9), (prev[-1], nxt[0])
    return np.concatenate([pieces[0]] + [p[1:] for p in pieces[1:]])


# --- the stroke vocabulary --------------------------------------------------------------------
# Each part is a polyline in its own frame (baseline y = 0, placed at an x offset by the
# letter). Shared parts are the same polyline in every letter that uses them.

OVAL = ((0.17, 0.25), 0.17, 0.25)  # centre, rx, ry: the body of a, c, d, e, g, o, q
ARCH = ((0.14, 0.30), 0.14, 0.20)  # top of the arch of h, m, n, r (0.28 wide)
CUP = ((0.14, 0.20), 0.14, 0.20)  # bottom of the cup of u (and the script w, y)
BOWL = ((0.16, 0.25), 0.16, 0.24)  # the bowl of b and p
STEM_RIGHT = 0.34  # x of the stem to the right of the oval (a, d, g, q)


def _oval():  # full turn, counter-clockwise from the top right (50 deg) back to it
    return arc(*OVAL, 50, 410)


def _oval_clockwise():  # o drawn from the top, clockwise, closing a little past the start
    return arc(*OVAL, 90, -285)


def _c_arc():  # the oval's first three quarters
    return arc(*OVAL, 50, 330)


def _e_bar():  # e's crossbar, ending where the loop starts
    return line((0.03, 0.25), arc_point(*OVAL, 5))


def _e_loop():
    return arc(*OVAL, 5, 320)


def _stem():  # x-height down to the baseline
    return line((0, X_HEIGHT), (0, 0))


def _ascender():  # ascender top down to the baseline
    return line((0, ASCENDER), (0, 0))


def _descender():  # x-height down to the descender bottom
    return line((0, X_HEIGHT), (0, DESCENDER))


def _arch():  # from the stem at y = 0.3, clockwise over the top, down the right leg
    return chain(arc(*ARCH, 180, 0), line((0.28, 0.30), (0.28, 0)))


def _shoulder():  # the arch's beginning: r
    return arc(*ARCH, 180, 45)


def _cup():  # down, counter-clockwise round the bottom, up: u
    return chain(line((0, X_HEIGHT), (0, 0.2)), arc(*CUP, 180, 360), line((0.28, 0.2), (0.28, X_HEIGHT)))


def _v():  # top left, down to the baseline, up to the top right
    return polyline((0, X_HEIGHT), (0.15, 0), (0.30, X_HEIGHT))


def _descender_tail():  # y: from the v's top right through its vertex into the descender
    return polyline((0.30, X_HEIGHT), (0.0, DESCENDER), (-0.07, -0.44))


def _descender_hook():  # g, j: down, then curling left (clockwise)
    return chain(line((0, X_HEIGHT), (0, -0.33)), arc((-0.12, -0.33), 0.12, 0.15, 0, -170))


def _descender_loop():  # script y: down, clockwise round the bottom, back up across the stem
    down = line((0, X_HEIGHT), (0, -0.3))
    turn = arc((-0.1, -0.3), 0.1, 0.17, 0, -180)
    return chain(down, turn, polyline((-0.2, -0.3), (0.0, -0.02), (0.12, 0.08)))


def _bowl():  # b, p: clockwise from the stem's upper part round to its lower part
    return arc(*BOWL, 160, -160)


def _flick():  # q's exit at the descender bottom
    return line((0, DESCENDER), (0.08, -0.38))


def _dot():  # i, j: a tiny stroke
    return line((0, 0.76), (0.012, 0.75))


def _cross_bar():  # t, f: left to right, centred a little right of the stem
    return line((-0.12, X_HEIGHT), (0.16, X_HEIGHT))


def _t_stem():  # t: down from 0.8, turning right at the bottom
    return chain(line((0, 0.8), (0, 0.1)), arc((0.1, 0.1), 0.1, 0.1, 180, 290))


def _t_upstroke():  # script t: starts at the bottom left and goes up to the top of the stem
    return line((-0.08, 0.08), (0, 0.8))


def _f_hook():  # f: hook at the top right, counter-clockwise, then down
    return chain(arc((0.12, 0.85), 0.12, 0.12, 20, 180), line((0, 0.85), (0, 0)))


def _k_arms():
    return polyline((0.28, X_HEIGHT), (0.02, 0.2), (0.30, 0))


def _s_curve():  # top bowl counter-clockwise, bottom bowl clockwise, meeting at y = 0.25
    top = arc((0.16, 0.375), 0.15, 0.125, 20, 270)
    return chain(top, arc((0.16, 0.125), 0.15, 0.125, 90, -160))


def _s_curve_up():  # the same s drawn backwards: from the bottom left to the top right
    return _s_curve()[::-1].copy()


def _z_zigzag():
    return polyline((0, X_HEIGHT), (0.30, X_HEIGHT), (0, 0), (0.32, 0))


def _z_looped():  # script z: top bar, diagonal, then a round loop below the baseline
    top = polyline((0, 0.45), (0.05, X_HEIGHT), (0.30, X_HEIGHT), (0.05, 0.05))
    centre = (0.05 - 0.14 * np.cos(np.radians(135)), 0.05 - 0.17 * np.sin(np.radians(135)))
    return chain(top, arc(centre, 0.14, 0.17, 135, -200))


def _diagonal():  # x: top left to bottom right
    return line((0, X_HEIGHT), (0.32, 0))


def _counter_diagonal():  # x: top right to bottom left
    return line((0.32, X_HEIGHT), (0, 0))


def _diagonal_up():  # alternative x: bottom left to top right first
    return line((0, 0), (0.32, X_HEIGHT))


def _lead_in():  # script up-stroke from the baseline to the x-height
    return line((-0.1, 0.06), (0, X_HEIGHT))


def _entry_hook():  # script v: a short hook rising into the first stroke
    return arc((0.0, 0.42), 0.06, 0.08, 180, 90)


def _exit():  # script exit stroke up to the right
    return line((0, 0), (0.12, 0.12))


def _curl():  # script v: a small counter-clockwise loop under the top right, out to the right
    centre = (0.30, 0.45)
    loop = arc(centre, 0.05, 0.05, 90, 400)
    return chain(loop, line(loop[-1], (0.40, 0.45)))


PARTS = {
    "oval": _oval, "oval_clockwise": _oval_clockwise, "c_arc": _c_arc, "e_bar": _e_bar,
    "e_loop": _e_loop, "stem": _stem, "ascender": _ascender, "descender": _descender,
    "arch": _arch, "shoulder": _shoulder, "cup": _cup, "v": _v, "descender_tail": _descender_tail,
    "descender_hook": _descender_hook, "descender_loop": _descender_loop, "bowl": _bowl,
    "flick": _flick, "dot": _dot, "cross_bar": _cross_bar, "t_stem": _t_stem,
    "t_upstroke": _t_upstroke, "f_hook": _f_hook, "k_arms": _k_arms, "s_curve": _s_curve,
    "s_curve_up": _s_curve_up, "z_zigzag": _z_zigzag, "z_looped": _z_looped,
    "diagonal": _diagonal, "counter_diagonal": _counter_diagonal, "diagonal_up": _diagonal_up,
    "lead_in": _lead_in, "entry_hook": _entry_hook, "exit": _exit, "curl": _curl,
}
JOIN = "join"  # a pen-down straight line from one part's end to the next part's start


def _p(name, dx=0.0, lift=False):
    """One piece of a letter: a part placed at x offset dx, after a pen lift or not."""
    return (name, dx, lift)


_J = _p(JOIN)
_R = STEM_RIGHT
STANDARD = {
    "a": [_p("oval"), _J, _p("stem", _R)],
    "b": [_p("ascender"), _J, _p("bowl")],
    "c": [_p("c_arc")],
    "d": [_p("oval"), _J, _p("ascender", _R)],
    "e": [_p("e_bar"), _p("e_loop")],
    "f": [_p("f_hook", 0.06), _p("cross_bar", 0.06, lift=True)],
    "g": [_p("oval"), _J, _p("descender_hook", _R)],
    "h": [_p("ascender"), _J, _p("arch")],
    "i": [_p("stem", 0.04), _p("dot", 0.04, lift=True)],
    "j": [_p("descender_hook", 0.2), _p("dot", 0.2, lift=True)],
    "k": [_p("ascender"), _p("k_arms", 0.0, lift=True)],
    "l": [_p("ascender")],
    "m": [_p("stem"), _J, _p("arch"), _J, _p("arch", 0.28)],
    "n": [_p("stem"), _J, _p("arch")],
    "o": [_p("oval")],
    "p": [_p("descender"), _J, _p("bowl")],
    "q": [_p("oval"), _J, _p("descender", _R), _p("flick", _R)],
    "r": [_p("stem"), _J, _p("shoulder")],
    "s": [_p("s_curve")],
    "t": [_p("t_stem", 0.12), _p("cross_bar", 0.12, lift=True)],
    "u": [_p("cup"), _p("stem", 0.28)],
    "v": [_p("v")],
    "w": [_p("v"), _p("v", 0.30)],
    "x": [_p("diagonal"), _p("counter_diagonal", 0.0, lift=True)],
    "y": [_p("v"), _p("descender_tail")],
    "z": [_p("z_zigzag")],
}
ALTERNATIVE = {
    "n": [_p("lead_in"), _p("stem"), _J, _p("arch"), _p("exit", 0.28)],  # script: lead-in and exit
    "o": [_p("oval_clockwise")],  # clockwise from the top
    "p": [_p("oval"), _J, _p("descender")],  # bowl first (from the top right), stem last
    "s": [_p("s_curve_up")],  # drawn backwards, from the bottom left
    "t": [_p("t_upstroke", 0.12), _p("t_stem", 0.12), _p("cross_bar", 0.12, lift=True)],  # script
    "v": [_p("entry_hook"), _p("v"), _p("curl")],  # script: entry hook and a looped ending
    "w": [_p("lead_in"), _p("cup"), _p("cup", 0.28), _p("curl", 0.26)],  # script: rounded, lead-in, loop
    "x": [_p("diagonal_up"), _p("diagonal", 0.0, lift=True)],  # up-stroke first, other order
    "y": [_p("cup"), _p("descender_loop", 0.28)],  # script: u-shaped with a loop below
    "z": [_p("z_looped")],  # script: looped below the baseline
}
ALTERNATIVE_LETTERS = "".join(sorted(ALTERNATIVE))


class Piece(NamedTuple):
    name: str  # the part's name (a key of PARTS, or "join")
    points: np.ndarray  # (n, 2) polyline in the letter box
    lift: bool  # the pen is lifted before this piece (it starts a new stroke)


def _spec(letter, style):
    if not isinstance(letter, str) or len(letter) != 1 or letter not in LETTERS:
        raise ValueError(f"unknown letter {letter!r}: expected one of {LETTERS!r}")
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}: expected one of {STYLES}")
    if style == "alternative" and letter not in ALTERNATIVE:
        raise ValueError(f"letter {letter!r} has no alternative style (those that do: {ALTERNATIVE_LETTERS!r})")
    return STANDARD[letter] if style == "standard" else ALTERNATIVE[letter]


@lru_cache(maxsize=None)
def _pieces(letter, style):
    spec = _spec(letter, style)
    placed = [None if name == JOIN else PARTS[name]() + (dx, 0.0) for name, dx, _ in spec]
    pieces = []
    for k, (name, _, lift) in enumerate(spec):
        points = placed[k] if name != JOIN else line(placed[k - 1][-1], placed[k + 1][0])
        points.setflags(write=False)
        pieces.append(Piece(name, points, lift))
    return tuple(pieces)


def letter_pieces(letter, style="standard"):
    """The letter's pieces in drawing order: Piece(name, points (n, 2), lift)."""
    return list(_pieces(letter, style))


def letter_parts(letter, style="standard"):
    """The names of the letter's pieces in drawing order, e.g. "y" -> ["v", "descender_tail"]."""
    return [piece.name for piece in _pieces(letter, style)]


def _strokes_with_parts(pieces):
    """Pen-down strokes, each (points (n, 2), piece index per point (n,))."""
    strokes = []
    for k, piece in enumerate(pieces):
        if k == 0 or piece.lift:
            strokes.append(([piece.points], [np.full(len(piece.points), k)]))
        else:  # continues the stroke: drop the shared first point
            strokes[-1][0].append(piece.points[1:])
            strokes[-1][1].append(np.full(len(piece.points) - 1, k))
    return [(np.concatenate(p), np.concatenate(i)) for p, i in strokes]


def letter_strokes(letter, style="standard"):
    """The letter's skeleton: a list of pen-down strokes, each an (n, 2) polyline in the
    letter box (x right, y up, baseline 0, x-height 0.5)."""
    return [points.copy() for points, _ in _strokes_with_parts(_pieces(letter, style))]


# --- writers ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Writer:
    id: int
    slant: float  # shear x += slant * y (0.2 leans about 11 degrees to the right)
    size: float  # scale of the letter box
    width: float  # extra horizontal scale
    speed: float  # steps per unit path length, in letter-box units
    end_speed: float  # speed at a stroke's ends relative to its middle (floor of the bell)
    corner_slowing: float  # fractional speed drop at a sharp corner (90 degrees or more)
    tremor: float  # std of the smooth positional noise (letter-box units)
    tremor_smoothness: float  # std of the tremor's Gaussian low-pass filter, in steps
    pressure: float  # mean pen pressure
    pressure_variation: float  # swell of pressure along a stroke (0: flat)
    warp: tuple  # (ax, ay, phase_x, phase_y): the writer's smooth deformation (see _warp)
    jitter: float  # relative size of the variation between one writer's samples


def make_writers(seed, count=10):
    """`count` synthetic writers; writer k depends only on (seed, k)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    return [_make_writer(seed, k) for k in range(count)]


def _make_writer(seed, k):
    rng = np.random.default_rng([seed, WRITER_KEY, k])

    def u(low, high):
        return float(rng.uniform(low, high))

    return Writer(
        id=k, slant=u(-0.1, 0.4), size=u(0.8, 1.2), width=u(0.8, 1.2), speed=u(15.5, 20.0),
        end_speed=u(0.2, 0.5), corner_slowing=u(0.4, 0.8), tremor=u(0.002, 0.006),
        tremor_smoothness=u(1.5, 3.0), pressure=u(0.35, 0.8), pressure_variation=u(0.05, 0.25),
        warp=(u(-0.04, 0.04), u(-0.04, 0.04), u(0, 2 * np.pi), u(0, 2 * np.pi)),
        jitter=u(0.02, 0.05))


def _warp(points, ax, ay, phase_x, phase_y):
    """Smooth deformation of the letter box, a fraction of a cycle across a letter:
        x += ax sin(2.5 y + phase_x),   y += ay sin(4 x + phase_y)"""
    x, y = points[:, 0], points[:, 1]
    return np.column_stack([x + ax * np.sin(2.5 * y + phase_x), y + ay * np.sin(4.0 * x + phase_y)])


def _smooth_noise(rng, n, sigma, dims=2):
    """Gaussian-filtered white noise with unit std per sample: (n, dims)."""
    radius = int(np.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= np.sqrt(np.sum(kernel ** 2))  # filtered unit white noise keeps unit std
    white = rng.standard_normal((n + 2 * radius, dims))
    return np.column_stack([np.convolve(white[:, d], kernel, mode="valid") for d in range(dims)])


def _resample(points, parts, spacing=SPACING):
    """The polyline at equal arc-length spacing, with the piece index of each new point."""
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])
    n = max(2, int(np.ceil(s[-1] / spacing)) + 1)
    grid = np.linspace(0.0, s[-1], n)
    xy = np.column_stack([np.interp(grid, s, points[:, 0]), np.interp(grid, s, points[:, 1])])
    owner = parts[np.clip(np.searchsorted(s, grid, side="right") - 1, 0, len(parts) - 1)]
    return xy, owner


def _turning(points, window):
    """Turning angle (radians) at every point between the directions `window` points
    before and after it: 0 on a straight line, pi at a reversal."""
    n = len(points)
    idx = np.arange(n)
    before = points[idx] - points[np.clip(idx - window, 0, n - 1)]
    after = points[np.clip(idx + window, 0, n - 1)] - points[idx]
    norm = np.linalg.norm(before, axis=1) * np.linalg.norm(after, axis=1)
    cos = np.einsum("ij,ij->i", before, after) / np.where(norm > 0, norm, 1.0)
    return np.where(norm > 0, np.arccos(np.clip(cos, -1.0, 1.0)), 0.0)


def _time_stroke(points, steps, end_speed, corner_slowing):
    """Arc-length positions of `steps` equal-time samples along a stroke (see the module
    docstring for the speed profile). points: equally spaced polyline."""
    s = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])
    if s[-1] <= 1e-12:
        return np.zeros(steps)
    bell = end_speed + (1.0 - end_speed) * np.sin(np.pi * s / s[-1])
    corner = 1.0 - corner_slowing * np.minimum(_turning(points, 6) / (np.pi / 2), 1.0)
    v = bell * corner
    t = np.concatenate([[0.0], np.cumsum(np.diff(s) / (0.5 * (v[1:] + v[:-1])))])
    return np.interp(np.linspace(0.0, t[-1], steps), t, s)


def _minimum_jerk(u):
    """Position fraction of a minimum-jerk move at time fraction u: 10u^3 - 15u^4 + 6u^5."""
    return u ** 3 * (10 - 15 * u + 6 * u ** 2)


class Trajectory(NamedTuple):
    steps: np.ndarray  # (T, 4): dx, dy, pressure, onset
    parts: np.ndarray  # (T,) int: index into letter_parts(letter, style)


class SampleStyle(NamedTuple):
    size: float
    width: float
    slant: float
    speed: float
    pressure: float
    warp: tuple


def _sample_style(writer, rng):
    """One sample's variation around its writer: a few per cent (writer.jitter) on size,
    width, speed and pressure, a little slant, and a small smooth warp of its own."""
    j = writer.jitter
    return SampleStyle(
        size=writer.size * np.exp(j * rng.standard_normal()),
        width=writer.width * np.exp(j * rng.standard_normal()),
        slant=writer.slant + 0.5 * j * rng.standard_normal(),
        speed=writer.speed * np.exp(0.5 * j * rng.standard_normal()),
        pressure=writer.pressure * np.exp(j * rng.standard_normal()),
        warp=(*(0.3 * j * rng.standard_normal(2)), *rng.uniform(0, 2 * np.pi, 2)))


def _write_stroke(skeleton, skeleton_parts, writer, style):
    """A skeleton stroke, shaped and timed: positions (n, 2) before the size scaling and the
    part index of every step."""
    box = _warp(_warp(skeleton, *writer.warp), *style.warp)
    shaped = np.column_stack([style.width * box[:, 0] + style.slant * box[:, 1], box[:, 1]])
    dense, owner = _resample(shaped, skeleton_parts)
    arc_length = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(dense, axis=0).T))])
    n = max(3, int(round(STROKE_OVERHEAD + style.speed * arc_length[-1])))
    s = _time_stroke(dense, n, writer.end_speed, writer.corner_slowing)
    xy = np.column_stack([np.interp(s, arc_length, dense[:, 0]), np.interp(s, arc_length, dense[:, 1])])
    part = owner[np.clip(np.searchsorted(arc_length, s, side="right") - 1, 0, len(owner) - 1)]
    return xy, part


def _travel(start, end):
    """Pen-up travel: 2-5 points strictly between start and end on the straight line,
    spaced as a minimum-jerk move (the next stroke's onset step lands on `end`)."""
    count = int(np.clip(round(2 + 3 * np.hypot(*(end - start))), 2, 5))
    f = _minimum_jerk(np.arange(1, count + 1) / (count + 1))[:, None]
    return start + f * (end - start)


def _pressure(n, level, variation, rng):
    """Pen-down pressure along a stroke of n steps: it swells towards the middle,
        p(u) = level (1 - variation (1 - sin(pi u))) (1 + 0.05 smooth noise),  u in [0, 1],
    clipped to [0.05, 1]."""
    swell = 1.0 - variation * (1.0 - np.sin(np.pi * np.linspace(0.0, 1.0, n)))
    wobble = 1.0 + 0.05 * _smooth_noise(rng, n, 2.0, dims=1)[:, 0]
    return np.clip(level * swell * wobble, 0.05, 1.0)


def draw(letter, writer, rng, style="standard"):
    """One sample of `letter` by `writer` (see the module docstring for the conventions)."""
    pieces = _pieces(letter, style)
    sample = _sample_style(writer, rng)
    xy, parts, pressure, onset = [], [], [], []
    for skeleton, skeleton_parts in _strokes_with_parts(pieces):
        points, part = _write_stroke(skeleton, skeleton_parts, writer, sample)
        if xy:  # travel from the previous stroke's end: pressure 0, part of the next stroke
            travel = _travel(xy[-1][-1], points[0])
            xy.append(travel)
            parts.append(np.full(len(travel), part[0]))
            pressure.append(np.zeros(len(travel)))
            onset.append(np.zeros(len(travel)))
        xy.append(points)
        parts.append(part)
        pressure.append(_pressure(len(points), sample.pressure, writer.pressure_variation, rng))
        onset.append(np.r_[1.0, np.zeros(len(points) - 1)])
    xy = np.concatenate(xy)
    xy = sample.size * (xy + writer.tremor * _smooth_noise(rng, len(xy), writer.tremor_smoothness))
    steps = np.zeros((len(xy), 4))
    steps[1:, :2] = np.diff(xy, axis=0)  # step 0 is the first point: no move
    steps[:, 2] = np.concatenate(pressure)
    steps[:, 3] = np.concatenate(onset)
    return Trajectory(steps, np.concatenate(parts).astype(int))


def dataset(letters, seed, writers=10, samples_per_writer=20, style="standard"):
    """Samples of every letter by every writer, ordered letter, writer, sample.
    Returns (list of (T, 4) arrays, labels (N,) int index into LETTERS, writer ids (N,) int).
    Sample (letter, writer w, sample i) is drawn from the seed (seed, letter, w, i, style)."""
    for letter in letters:
        _spec(letter, style)
    people = make_writers(seed, writers)
    sequences, labels, ids = [], [], []
    for letter in letters:
        for writer in people:
            for i in range(samples_per_writer):
                key = [seed, DRAW_KEY, LETTERS.index(letter), writer.id, i, STYLES.index(style)]
                sequences.append(draw(letter, writer, np.random.default_rng(key), style).steps)
                labels.append(LETTERS.index(letter))
                ids.append(writer.id)
    return sequences, np.array(labels, dtype=int), np.array(ids, dtype=int)


def pen_path(steps):
    """Pen positions (T, 2): the cumulative sum of (dx, dy), starting at the origin."""
    return np.cumsum(np.asarray(steps, float)[:, :2], axis=0)


def pad(sequences):
    """Time-major batch: x (Tmax, B, F) zero-padded, mask (Tmax, B) 1.0 on real steps."""
    if len(sequences) == 0:
        raise ValueError("pad needs at least one sequence")
    lengths = [len(s) for s in sequences]
    x = np.zeros((max(lengths), len(sequences), np.shape(sequences[0])[1]))
    mask = np.zeros((max(lengths), len(sequences)))
    for b, (seq, n) in enumerate(zip(sequences, lengths)):
        x[:n, b] = seq
        mask[:n, b] = 1.0
    return x, mask


# --- dynamic time warping ---------------------------------------------------------------------

def _lengths(lengths, full, n, name):
    if lengths is None:
        return np.full(n, full)
    lengths = np.asarray(lengths)
    if lengths.shape != (n,) or np.any(lengths < 1) or np.any(lengths > full):
        raise ValueError(f"{name} must be {n} lengths between 1 and {full}, got {lengths}")
    return lengths.astype(int)


def dtw_distance(a, b, a_len=None, b_len=None):
    """DTW between N pairs of 2-D paths: a (Ta, N, 2) and b (Tb, N, 2), time-major and
    zero-padded beyond a_len / b_len (default: full). Returns (N,):
        D[i, j] = |a_i - b_j| + min(D[i-1, j], D[i, j-1], D[i-1, j-1]),   D[0, 0] = 0,
        distance = D[a_len, b_len] / (a_len + b_len).
    Wavefront: the cells (i, j) with i + j = k (one anti-diagonal) depend only on
    diagonals k - 1 and k - 2, so each diagonal is one vectorized update over its cells and
    all pairs. A diagonal is stored by its row i, so that on diagonal k
        D[i-1, j] = diag_{k-1}[i-1],   D[i, j-1] = diag_{k-1}[i],   D[i-1, j-1] = diag_{k-2}[i-1]."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.ndim != 3 or b.ndim != 3 or a.shape[1:] != b.shape[1:]:
        raise ValueError(f"a and b must be (Ta, N, d) and (Tb, N, d), got {a.shape} and {b.shape}")
    (ta, n, _), tb = a.shape, b.shape[0]
    a_len, b_len = _lengths(a_len, ta, n, "a_len"), _lengths(b_len, tb, n, "b_len")
    coords = [(np.ascontiguousarray(a[..., d]), np.ascontiguousarray(b[..., d])) for d in range(a.shape[2])]
    before = np.full((ta + 1, n), np.inf)  # diagonal k - 2, by row i
    before[0] = 0.0  # D[0, 0] (diagonal 0)
    last = np.full((ta + 1, n), np.inf)  # diagonal k - 1 (diagonal 1 is all border: inf)
    out = np.empty(n)
    finish = a_len + b_len  # the diagonal of each pair's final cell
    for k in range(2, ta + tb + 1):
        lo, hi = max(1, k - tb), min(ta, k - 1)  # rows of the cells (i, k - i) inside the grid
        # |a_i - b_j| for i = lo..hi, j = k - i: a rows ascending, b rows descending (slices)
        square = sum((ac[lo - 1:hi] - bc[k - hi - 1:k - lo][::-1]) ** 2 for ac, bc in coords)  # (cells, N)
        cost = np.sqrt(square)
        current = np.full((ta + 1, n), np.inf)
        best = np.minimum(np.minimum(last[lo - 1:hi], last[lo:hi + 1]), before[lo - 1:hi])
        current[lo:hi + 1] = cost + best
        done = np.flatnonzero(finish == k)
        out[done] = current[a_len[done], done]
        before, last = last, current
    return out / finish


def centred(path):
    """A path minus its mean point."""
    path = np.asarray(path, float)
    return path - path.mean(axis=0)


def dtw_matrix(paths_a, paths_b, centre=True, chunk=256):
    """DTW between every path of paths_a and every path of paths_b (lists of (T_i, 2)
    arrays, e.g. pen_path(steps)): a (len_a, len_b) matrix. Paths are centred on their mean
    point first (centre=True), so the distance does not depend on where a letter starts."""
    prep = centred if centre else (lambda p: np.asarray(p, float))
    xa, _ = pad([prep(p) for p in paths_a])
    xb, _ = pad([prep(p) for p in paths_b])
    la = np.array([len(p) for p in paths_a])
    lb = np.array([len(p) for p in paths_b])
    ia, ib = (g.ravel() for g in np.meshgrid(np.arange(len(la)), np.arange(len(lb)), indexing="ij"))
    out = np.empty(len(ia))
    for start in range(0, len(ia), chunk):
        sa, sb = ia[start:start + chunk], ib[start:start + chunk]
        out[start:start + chunk] = dtw_distance(xa[:, sa], xb[:, sb], la[sa], lb[sb])
    return out.reshape(len(la), len(lb))


# --- DigiLeTs files ------------------------------------------------------------------------------

DIGILETS_SYMBOLS = "0123456789" + LETTERS + LETTERS.upper()
_PARTICIPANT = re.compile(r"^(\d+)-[a-z]+-\d+-[a-z]+_")


def load_digilets(path):
    """Read DigiLeTs trajectories (a participant's file, or every data file in a folder) into
    our convention: a list of (label, steps (T, 4) = dx, dy, pressure, onset, participant).

    Format facts, from the data set's repository github.com/CognitiveModeling/DigiLeTs
    (README.md "Recording" and "Reading and writing", scripts/data.py, the files under
    data/raw/ and data/preprocessed/, and experiments/dataset/trajectories_data.py):
    - One text file per participant, named "<id>-<gender>-<age>-<hand>_<date>-<time>"
      (e.g. 002-f-22-right_2019-06-05-12-21-29); preprocessed files add "_preprocessed".
      A sibling "..._info" file holds per-point flags (cleaned, extrapolated, sampled); it is
      not read here (folders are read without "_info" and ".pickle" files).
    - Each instance is two lines. Line 1: the points concatenated, five whitespace-separated
      numbers per point: x, y, pressure, pen_down, timestamp (seconds from the first point,
      about 0.02 s apart). Line 2: a one-hot label of 62 numbers, in the order 0-9, a-z, A-Z.
    - Recording order: 0-9, a-z, A-Z, five instances each (310 instances, 620 lines), at
      most 250 points per instance; files under data/raw/corrupted miss some.
    - x and y lie in [0, 1] (the 2000 x 2000 writing square of the tablet), y pointing up
      (checked on the data: the dot of an i lies above its stem, an l runs downwards).
    - pen_down is 1 on the first point of each stroke; between strokes there are no pen-up
      points: the pen jumps in one step to the next stroke's first point.
    - The authors' own pipeline uses (x diff with a leading 0, y diff, pressure, pen_down).
    Conversion: dx, dy = differences of x, y (0 at t = 0), in the file's units; pressure as
    recorded (raw files hold some zeros at pen-down points, a recording bug that the
    preprocessed files repair); onset = pen_down, with the first point always an onset.
    So DigiLeTs steps have no pen-up travel steps: the onset step itself holds the jump.
    participant: the id from the file name ("002"), or None if the name has no id.
    Malformed content raises ValueError naming the file and line."""
    path = pathlib.Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir()
                       if p.is_file() and not p.name.endswith(("_info", ".pickle")) and not p.name.startswith("."))
        if not files:
            raise ValueError(f"{path}: no DigiLeTs data files in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise ValueError(f"{path}: no such file or folder")
    return [item for f in files for item in _read_digilets_file(f)]


def _numbers(text, where):
    try:
        return np.array(text.split(), dtype=float)
    except ValueError:
        raise ValueError(f"{where}: expected numbers separated by whitespace, got {text[:60]!r}...") from None


def _read_digilets_file(f):
    lines = f.read_text().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ValueError(f"{f}: empty; expected pairs of lines (points, then a one-hot label)")
    if len(lines) % 2:
        raise ValueError(f"{f}: {len(lines)} lines; expected pairs of lines (points, then a one-hot label)")
    match = _PARTICIPANT.match(f.name)
    participant = match.group(1) if match else None
    out = []
    for k in range(0, len(lines), 2):
        values = _numbers(lines[k], f"{f}, line {k + 1}")
        if values.size == 0 or values.size % 5:
            raise ValueError(f"{f}, line {k + 1}: {values.size} numbers; expected 5 per point "
                             f"(x y pressure pen_down time)")
        points = values.reshape(-1, 5)
        if not np.all(np.isfinite(points)) or not np.all(np.isin(points[:, 3], (0.0, 1.0))):
            raise ValueError(f"{f}, line {k + 1}: non-finite values or a pen_down flag other than 0 or 1")
        label = _numbers(lines[k + 1], f"{f}, line {k + 2}")
        if label.size != len(DIGILETS_SYMBOLS) or np.sum(label == 1.0) != 1 or np.sum(label == 0.0) != label.size - 1:
            raise ValueError(f"{f}, line {k + 2}: expected a one-hot label of {len(DIGILETS_SYMBOLS)} "
                             f"zeros and ones with a single 1")
        steps = np.zeros((len(points), 4))
        steps[1:, :2] = np.diff(points[:, :2], axis=0)
        steps[:, 2] = points[:, 2]
        steps[:, 3] = points[:, 3]
        steps[0, 3] = 1.0
        out.append((DIGILETS_SYMBOLS[int(np.argmax(label))], steps, participant))
    return out
