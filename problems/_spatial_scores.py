"""Spatial tuning of units in a square arena: rate maps, autocorrelograms, the grid score,
a band (single-direction periodicity) score, a shuffled null for both, and a classification
into grid / band / other cells. NumPy only; every function works on all units at once.

Conventions
    positions   (N, 2) samples of (x, y) in [0, box_size]^2
    activity    (N, U) activity of U units at the same N samples
    maps        (U, bins, bins) with maps[u, iy, ix] = mean activity of unit u in the bin
                whose centre is (x, y) = ((ix + 0.5) d, (iy + 0.5) d), d = box_size / bins:
                row = y, column = x, so imshow(maps[u], origin="lower") shows the arena as seen
                from above. NaN marks a bin that was never visited.
    autocorr    (U, 2 bins - 1, 2 bins - 1); element [u, bins - 1 + ly, bins - 1 + lx] is the
                correlation at a lag of (lx, ly) bins, so the centre is lag 0.
    angles      radians, counter-clockwise from the +x axis.

Definitions (facts from the sources named; every line written here)
    Autocorrelogram: Pearson's r between the map and the map shifted by each lag, over the
        bins visited in both (Hafting et al. 2005; Sargolini et al. 2006); lags where fewer
        than 20 bins overlap are NaN (the threshold used in that literature). Computed with
        FFTs of the map and of its valid-bin mask, as in the scorer of Banino et al. 2018
        (deepmind/grid-cells scores.py, also in ganguli-lab/grid-pattern-formation for
        Sorscher et al. 2019/2023).
    Grid score (Sargolini et al. 2006; Langston et al. 2010): inside an annulus around the
        centre of the autocorrelogram, r_theta = Pearson correlation of the autocorrelogram with
        itself rotated by theta; score = min(r60, r120) - max(r30, r90, r150). As in Banino et
        al. 2018 / Sorscher et al., the annulus has inner radius 0.2 * bins and outer radius
        f * bins for f in linspace(0.4, 1.0, 10) (inner < distance <= outer, distances in lags
        of one bin), and the score is the largest over those 10 annuli. Differences from that
        code: rotation here is bilinear (theirs a cubic spline); r is the symmetric Pearson
        coefficient over the pixels valid in both images (theirs divides by the unrotated
        ring's variance); and their scorer's default combines the correlations as
        (r60 + r120) / 2 - (r30 + r90 + r150) / 3 (min_max=False), here the min / max form.
    Band score (in the spirit of the 2-D Fourier analysis of Krupic et al. 2012; the exact
        recipe is ours): see band_score.
    Null: circular time shifts of each unit's activity against the positions, the usual
        shuffle of the grid-cell literature (e.g. Langston et al. 2010; Boccara et al. 2010:
        shifts of at least 20 s, 100 shuffles, 95th percentile); see shuffled_null.
    Classification: see classify.
"""

import warnings

import numpy as np

GRID_ANGLES = (30, 60, 90, 120, 150)  # degrees; r60, r120 should be high, r30, r90, r150 low
RING_INNER = 0.2  # inner radius of every annulus, in units of `bins` (Banino et al. 2018)
RING_OUTERS = tuple(np.linspace(0.4, 1.0, 10))  # outer radii, in units of `bins`
MIN_OVERLAP = 20  # fewest overlapping bins for an autocorrelogram lag (Sargolini et al. 2006)
BAND_PADDING = 4  # zero-padding factor of the band score's FFT (finer frequency sampling)


# --- input checks -------------------------------------------------------------------------------

def _fail(message):
    raise ValueError(message)


def _check_bins(bins):
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        _fail(f"bins must be an integer >= 2; got {bins!r}")
    return int(bins)


def _check_positive(name, value):
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        _fail(f"{name} must be a finite number > 0; got {value!r}")
    return value


def _check_finite(name, a):
    bad = ~np.isfinite(a)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        _fail(f"{name} holds NaN or infinite values (first at index {where}: {a[where]})")


def _check_samples(positions, activity, box_size):
    """positions (N, 2) inside [0, box_size]^2 and activity (N, U), both finite, as float64."""
    positions = np.asarray(positions, dtype=float)
    activity = np.asarray(activity, dtype=float)
    if positions.ndim != 2 or positions.shape[1] != 2:
        _fail(f"positions must have shape (N, 2); got {positions.shape}")
    if activity.ndim != 2:
        _fail(f"activity must have shape (N, U); got {activity.shape}")
    if activity.shape[0] != positions.shape[0]:
        _fail(f"positions has {positions.shape[0]} samples but activity has {activity.shape[0]}")
    if positions.shape[0] == 0 or activity.shape[1] == 0:
        _fail(f"need at least one sample and one unit; got activity of shape {activity.shape}")
    _check_finite("positions", positions)
    _check_finite("activity", activity)
    outside = (positions < 0) | (positions > box_size)
    if outside.any():
        n, axis = np.argwhere(outside)[0]
        _fail(f"positions must lie in [0, box_size] = [0, {box_size}]; sample {n} has "
              f"{'xy'[axis]} = {positions[n, axis]} ({int(outside.any(axis=1).sum())} samples outside)")
    return positions, activity


def _check_maps(maps, name="maps"):
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3 or maps.shape[1] != maps.shape[2] or maps.shape[1] < 2:
        _fail(f"{name} must have shape (U, bins, bins) with bins >= 2; got {maps.shape}")
    return maps


# --- rate maps ----------------------------------------------------------------------------------

def bin_index(positions, box_size, bins):
    """Flat bin number iy * bins + ix of every sample (N,); x = box_size falls in the last bin."""
    cell = np.floor(positions * (bins / box_size)).astype(np.intp)  # (N, 2) = (ix, iy)
    cell = np.minimum(cell, bins - 1)
    return cell[:, 1] * bins + cell[:, 0]  # (N,)


def rate_maps(positions, activity, box_size, bins):
    """Mean activity of every unit in every spatial bin.

    positions (N, 2) in [0, box_size]^2, activity (N, U), bins >= 2 per side.
    Returns maps (U, bins, bins), maps[u, iy, ix] = sum of activity / visits (NaN where a bin
    was never visited), and occupancy (bins, bins), the number of samples in each bin."""
    bins = _check_bins(bins)
    box_size = _check_positive("box_size", box_size)
    positions, activity = _check_samples(positions, activity, box_size)
    flat = bin_index(positions, box_size, bins)  # (N,)
    occupancy = np.bincount(flat, minlength=bins * bins)  # (bins^2,)
    sums = np.zeros((bins * bins, activity.shape[1]))  # (bins^2, U)
    np.add.at(sums, flat, activity)  # sums[b] += activity[n] for every sample n in bin b
    return _mean_per_bin(sums.T, occupancy, bins), occupancy.reshape(bins, bins)


def _mean_per_bin(sums, occupancy, bins):
    """sums (U, bins^2) / occupancy (bins^2,) -> maps (U, bins, bins), NaN where unvisited."""
    with np.errstate(invalid="ignore", divide="ignore"):
        maps = np.where(occupancy > 0, sums / occupancy, np.nan)  # (U, bins^2)
    return maps.reshape(-1, bins, bins)


# --- autocorrelogram ----------------------------------------------------------------------------

def autocorrelogram(maps, min_overlap=MIN_OVERLAP):
    """Spatial autocorrelogram of every map (U, bins, bins) -> (U, 2 bins - 1, 2 bins - 1).

    For a lag l = (lx, ly), over the n(l) bins p with both p and p + l visited:
        r(l) = (n sum f(p) f(p+l) - sum f(p) sum f(p+l))
               / sqrt((n sum f(p)^2 - (sum f(p))^2) (n sum f(p+l)^2 - (sum f(p+l))^2))
    Each sum is a cross-correlation of the map (0 where unvisited), its square and its
    valid-bin mask, all computed with FFTs. NaN where n(l) < min_overlap or either side is
    constant. r(0) = 1 and r(-l) = r(l) (made exact by averaging with the flipped array)."""
    maps = _check_maps(maps)
    if isinstance(min_overlap, bool) or not isinstance(min_overlap, (int, np.integer)) or min_overlap < 2:
        _fail(f"min_overlap must be an integer >= 2 (bins); got {min_overlap!r}")
    bins = maps.shape[-1]
    valid = np.isfinite(maps)  # (U, bins, bins)
    f = np.where(valid, maps, 0.0)  # unvisited bins add nothing to any sum
    shape = (2 * bins, 2 * bins)  # room for every lag without circular wrap-around
    size = 2 * bins - 1  # lags -(bins - 1) .. bins - 1 per axis
    spectra = [np.fft.rfft2(a, s=shape) for a in (valid.astype(float), f, f * f)]
    M, F, F2 = spectra  # (U, 2 bins, bins + 1) each

    def lagged(A, B):
        """sum_p a(p) b(p + l) for every lag l, centred: (U, 2 bins - 1, 2 bins - 1)."""
        c = np.fft.irfft2(np.conj(A) * B, s=shape)  # cross-correlation theorem; lag l at l mod 2 bins
        return np.roll(c, bins - 1, axis=(1, 2))[:, :size, :size]  # lag l at bins - 1 + l

    n = np.rint(lagged(M, M))  # overlapping visited bins per lag (integers up to rounding)
    s1, s2 = lagged(F, M), lagged(M, F)  # sum f(p), sum f(p + l) over the overlap
    s11, s22 = lagged(F2, M), lagged(M, F2)  # sum f(p)^2, sum f(p + l)^2
    s12 = lagged(F, F)  # sum f(p) f(p + l)
    return _symmetric(_pearson(n, s1, s2, s11, s22, s12, min_overlap))


def _pearson(n, sx, sy, sxx, syy, sxy, min_count):
    """Pearson's r from sums over n pairs; NaN where n < min_count or a side is constant."""
    var_x = n * sxx - sx * sx  # n^2 Var(x)
    var_y = n * syy - sy * sy
    cov = n * sxy - sx * sy  # n^2 Cov(x, y)
    # "constant" = variance below rounding of the sums it came from (scale-free)
    ok = (n >= min_count) & (var_x > 1e-10 * n * sxx) & (var_y > 1e-10 * n * syy)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(var_x * var_y)
    return np.where(ok, np.clip(r, -1.0, 1.0), np.nan)


def _symmetric(autocorr):
    """Average with the point-reflected array: exact r(-l) = r(l); NaN if either side is NaN."""
    return 0.5 * (autocorr + autocorr[..., ::-1, ::-1])


# --- grid score ---------------------------------------------------------------------------------

def _lag_coordinates(size):
    """x (column) and y (row) lag of every pixel of a size x size autocorrelogram, (size, size)."""
    c = np.arange(size) - (size - 1) // 2
    return np.meshgrid(c, c)  # X[row, col] = c[col], Y[row, col] = c[row]


def _ring_masks(bins):
    """Annuli inner < distance <= outer (in bins) for every outer radius: (P, R) over the P
    pixels within the largest annulus, and the flat indices (P,) of those pixels."""
    X, Y = _lag_coordinates(2 * bins - 1)
    distance = np.hypot(X, Y).ravel()  # (S^2,)
    inside = np.flatnonzero(distance <= RING_OUTERS[-1] * bins)  # (P,)
    d = distance[inside]
    rings = [(d > RING_INNER * bins) & (d <= outer * bins) for outer in RING_OUTERS]
    return np.array(rings, dtype=float).T.copy(), inside  # (P, R), (P,)


def _bilinear_sampler(size, angles_deg, pixels):
    """Where each output pixel of a rotation reads the input: the flat indices (A, 4, P) of
    its four neighbours in the input padded by one NaN pixel on every side, and their
    bilinear weights (A, 4, P). Rotating by theta counter-clockwise reads the input at
    R(-theta) p: (x, y) -> (x cos + y sin, -x sin + y cos). A neighbour of (numerically)
    zero weight is redirected to the centre pixel, so that a NaN there cannot leak in."""
    X, Y = _lag_coordinates(size)
    x, y = X.ravel()[pixels], Y.ravel()[pixels]  # (P,)
    theta = np.deg2rad(np.asarray(angles_deg, dtype=float))[:, None]  # (A, 1)
    centre = (size - 1) // 2 + 1  # centre pixel's row and column in the padded frame
    col = x * np.cos(theta) + y * np.sin(theta) + centre  # (A, P) source column, padded frame
    row = -x * np.sin(theta) + y * np.cos(theta) + centre
    col, row = np.clip(col, 0, size + 1), np.clip(row, 0, size + 1)  # far outside -> NaN border
    c0 = np.minimum(np.floor(col), size).astype(np.intp)
    r0 = np.minimum(np.floor(row), size).astype(np.intp)
    fc, fr = col - c0, row - r0  # fractional parts in [0, 1]
    width = size + 2
    index = np.stack([r0 * width + c0, r0 * width + c0 + 1, (r0 + 1) * width + c0, (r0 + 1) * width + c0 + 1], axis=1)
    weight = np.stack([(1 - fr) * (1 - fc), (1 - fr) * fc, fr * (1 - fc), fr * fc], axis=1)
    unused = weight <= 1e-9
    return np.where(unused, centre * width + centre, index), np.where(unused, 0.0, weight)


def rotate(images, angles_deg, pixels=None):
    """Rotate each image (U, S, S) about its centre pixel by each angle (counter-clockwise
    with row = y), bilinear: (U, A, P) over the flat pixels (default: all S^2).
    A pixel is NaN where its source falls outside the image or next to a NaN pixel."""
    images = np.asarray(images, dtype=float)
    size = images.shape[-1]
    pixels = np.arange(size * size) if pixels is None else pixels
    index, weight = _bilinear_sampler(size, angles_deg, pixels)  # (A, 4, P)
    padded = np.pad(images, ((0, 0), (1, 1), (1, 1)), constant_values=np.nan).reshape(len(images), -1)
    rotated = np.take(padded, index[:, 0], axis=1) * weight[:, 0]  # (U, A, P); NaN propagates
    for k in range(1, 4):  # (np.take keeps the result C-ordered; padded[:, index] would not)
        rotated += np.take(padded, index[:, k], axis=1) * weight[:, k]  # sum_k w_k v_k
    return rotated


def grid_score(autocorr, return_details=False):
    """Grid score of every autocorrelogram (U, 2 bins - 1, 2 bins - 1) -> (U,).

    For each annulus (inner radius 0.2 * bins; outer radius f * bins, f = 0.4, ..., 1.0, 10 of them):
        r_theta = Pearson r between the autocorrelogram and itself rotated by theta, over the
                  annulus pixels valid (not NaN) in both
        score   = min(r60, r120) - max(r30, r90, r150)
    and the unit's score is the largest over the annuli (NaN if every annulus is NaN, e.g.
    for a linear ramp, whose autocorrelation is 1 at every lag).
    Measured at bins = 20: hexagonal maps about 1.1-1.7, band maps 0.05-0.2, noise about 0.
    With return_details=True also returns a dict: correlations (U, 5, R) at GRID_ANGLES,
    ring_scores (U, R), outer_radius (U,) of the best annulus (NaN with the score) and
    inner_radius, in bins."""
    autocorr = np.asarray(autocorr, dtype=float)
    size = autocorr.shape[-1]
    if autocorr.ndim != 3 or autocorr.shape[1] != size or size < 3 or size % 2 == 0:
        _fail(f"autocorr must have shape (U, 2 bins - 1, 2 bins - 1) with bins >= 2; got {autocorr.shape}")
    bins = (size + 1) // 2
    rings, pixels = _ring_masks(bins)  # (P, R), (P,)
    x = autocorr.reshape(len(autocorr), -1)[:, pixels][:, None, :]  # (U, 1, P) unrotated
    y = rotate(autocorr, GRID_ANGLES, pixels)  # (U, A, P) rotated
    both = np.isfinite(x) & np.isfinite(y)  # (U, A, P)
    x, y = np.where(both, x, 0.0), np.where(both, y, 0.0)
    U, A, P = y.shape
    ring_sums = [(a.reshape(U * A, P) @ rings).reshape(U, A, -1)  # (U, A, R): sum over each annulus
                 for a in (both.astype(float), x, y, x * x, y * y, x * y)]
    r = _pearson(*ring_sums, min_count=3)  # (U, A, R): r_theta in every annulus
    r30, r60, r90, r120, r150 = (r[:, i] for i in range(len(GRID_ANGLES)))  # (U, R) each
    ring_scores = np.minimum(r60, r120) - np.maximum(np.maximum(r30, r90), r150)  # (U, R)
    scores = np.fmax.reduce(ring_scores, axis=1)  # best annulus; NaN only if all are NaN
    if not return_details:
        return scores
    best = np.argmax(np.where(np.isnan(ring_scores), -np.inf, ring_scores), axis=1)
    outer = np.where(np.isnan(scores), np.nan, np.asarray(RING_OUTERS)[best] * bins)  # (U,)
    return scores, {"correlations": r, "ring_scores": ring_scores, "inner_radius": RING_INNER * bins,
                    "outer_radius": outer}


# --- band score ---------------------------------------------------------------------------------

def band_score(maps, box_size=1.0, min_cycles=1.0):
    """How much of a map's spatial variance is one plane wave: (score, orientation, wavelength),
    each (U,).

    Definition, for each map:
      1. fill unvisited (NaN) bins with the mean of the visited ones and subtract that mean;
      2. power P(k) = |FFT|^2 of the map zero-padded to 4 bins per side (frequency samples
         four times finer than the map's own resolution 1/box_size);
      3. k* = the frequency of largest power among |k| >= min_cycles / box_size (by default
         at least one cycle across the arena, which also keeps the DC peak out);
      4. score = (power within 1/box_size of +k* or of -k*) / (total power),
         distances taken on the periodic frequency grid.
    A plane wave puts about 0.75-0.8 of its power there (the rest is leakage from the finite
    box); a hexagonal grid splits its power over three pairs of peaks 60 degrees apart
    (about a third of that); noise spreads it over every frequency (a few percent).
    orientation = angle of k* in [0, pi): the direction across the bands;
    wavelength  = 1 / |k*|, in the units of box_size (a fraction of the side with the default).
    A constant map has no power: score, orientation and wavelength are NaN.
    A linear ramp counts as a band one box wide (score about 0.75, wavelength = box_size):
    raise min_cycles to ask for more periods."""
    maps = _check_maps(maps)
    box_size = _check_positive("box_size", box_size)
    min_cycles = _check_positive("min_cycles", min_cycles)
    power, freq, has_power = _padded_power(maps, box_size)  # (U, M, M), (M,), (U,)
    size = len(freq)
    searchable = np.hypot(freq[None, :], freq[:, None]) >= (1 - 1e-9) * min_cycles / box_size  # (M, M)
    peak = np.argmax(np.where(searchable, power, -1.0).reshape(len(maps), -1), axis=1)  # (U,)
    row, col = np.divmod(peak, size)  # k* = (freq[col], freq[row])
    kx, ky = freq[col], freq[row]  # (U,)
    near = _near_peak_or_mirror(row, col, size, radius=BAND_PADDING)  # (U, M, M)
    total = power.sum(axis=(1, 2))  # (U,) = M^2 sum of squares of the centred map (Parseval)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(has_power, (power * near).sum(axis=(1, 2)) / total, np.nan)
    orientation = np.where(has_power, np.mod(np.arctan2(ky, kx), np.pi), np.nan)
    wavelength = np.where(has_power, 1.0 / np.hypot(kx, ky), np.nan)
    return score, orientation, wavelength


def _padded_power(maps, box_size):
    """Power spectrum (U, M, M) of the mean-filled, mean-subtracted maps zero-padded to
    M = 4 bins per side (rows: y frequency, columns: x frequency), and the frequency of each
    row or column (M,), in cycles per unit length (samples 1 / (4 box_size) apart), and
    whether each map varies at all (U,) (a constant map leaves only rounding errors)."""
    bins = maps.shape[-1]
    visited = np.isfinite(maps)
    count = visited.sum(axis=(1, 2), keepdims=True)  # (U, 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(visited, maps, 0.0).sum(axis=(1, 2), keepdims=True) / count
    centred = np.where(visited, maps - mean, 0.0)  # unvisited bins at the mean; mean 0
    squares = np.where(visited, maps, 0.0) ** 2
    varies = (centred ** 2).sum(axis=(1, 2)) > 1e-20 * squares.sum(axis=(1, 2))  # not constant
    size = BAND_PADDING * bins
    spectrum = np.fft.fft2(centred, s=(size, size))
    return np.abs(spectrum) ** 2, np.fft.fftfreq(size, d=box_size / bins), varies


def _near_peak_or_mirror(row, col, size, radius):
    """Boolean (U, M, M): the samples within `radius` samples of (row, col) or of its mirror
    (-row, -col), on the periodic frequency grid of M = size samples per side."""
    d = np.arange(-radius, radius + 1)
    dy, dx = np.meshgrid(d, d, indexing="ij")
    disc = dy ** 2 + dx ** 2 <= radius ** 2
    dy, dx = dy[disc], dx[disc]  # (K,) offsets within the disc
    rows = np.concatenate([row[:, None] + dy, -row[:, None] + dy], axis=1) % size  # (U, 2K)
    cols = np.concatenate([col[:, None] + dx, -col[:, None] + dx], axis=1) % size
    near = np.zeros((len(row), size, size), dtype=bool)
    near[np.arange(len(row))[:, None], rows, cols] = True  # a sample in both discs counts once
    return near


# --- shuffled null ------------------------------------------------------------------------------

def shuffled_null(positions, activity, box_size, bins, rng, n_shuffles=100, percentile=95, min_shift=None,
                  min_cycles=1.0):
    """Null distributions of the grid and band scores per unit, from time-shifted activity.

    In each shuffle every unit's activity time series is circularly shifted against the
    positions by its own random whole number of samples s, uniform in
    [min_shift, N - min_shift] (default min_shift = 5% of N), and its map and both scores are
    recomputed (the band score with the given min_cycles). The shift keeps what a score
    should not reward (the unit's own temporal smoothness and distribution of activity, and
    the trajectory's occupancy) and breaks only the link between activity and position.
    (Shuffling map bins instead would also destroy spatial smoothness, so any smooth map
    would beat that null.)

    rng: numpy.random.Generator. Returns a dict:
        grid_threshold, band_threshold   (U,) the `percentile`-th percentile of each null
        grid_null, band_null             (n_shuffles, U) the shuffled scores
        shifts                           (n_shuffles, U) the shifts used, in samples
    Cost, 128 units, N = 200,000 samples, 20 bins, OPENBLAS_NUM_THREADS=1, on a 2-core Xeon
    shared with other jobs (load 1.4-2.9): 100 shuffles took 12-19 s, about half of it in
    the bincounts that build the maps (one per unit and shuffle, ~0.6 ms each)."""
    if not isinstance(rng, np.random.Generator):
        _fail(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); "
              f"got {type(rng).__name__}")
    bins = _check_bins(bins)
    box_size = _check_positive("box_size", box_size)
    positions, activity = _check_samples(positions, activity, box_size)
    n_shuffles, min_shift = _check_shuffle_args(n_shuffles, percentile, min_shift, len(activity))
    N, U = activity.shape
    shifts = rng.integers(min_shift, N - min_shift, size=(n_shuffles, U), endpoint=True)
    flat = bin_index(positions, box_size, bins)  # (N,)
    occupancy = np.bincount(flat, minlength=bins * bins)  # the same for every shift
    twice = np.concatenate([flat, flat])  # flat[(n + s) % N] = twice[s + n]: a slice, no copy
    by_unit = np.ascontiguousarray(activity.T)  # (U, N)
    grid_null, band_null = np.empty((n_shuffles, U)), np.empty((n_shuffles, U))
    for k in range(n_shuffles):
        maps = _shifted_maps(twice, by_unit, shifts[k], occupancy, bins)  # (U, bins, bins)
        grid_null[k] = grid_score(autocorrelogram(maps))
        band_null[k] = band_score(maps, box_size, min_cycles)[0]
    with warnings.catch_warnings():  # a unit with constant activity has an all-NaN null
        warnings.simplefilter("ignore", RuntimeWarning)
        thresholds = np.nanpercentile(np.stack([grid_null, band_null]), percentile, axis=1)  # (2, U)
    return {"grid_threshold": thresholds[0], "band_threshold": thresholds[1],
            "grid_null": grid_null, "band_null": band_null, "shifts": shifts}


def _check_shuffle_args(n_shuffles, percentile, min_shift, N):
    if isinstance(n_shuffles, bool) or not isinstance(n_shuffles, (int, np.integer)) or n_shuffles < 1:
        _fail(f"n_shuffles must be an integer >= 1; got {n_shuffles!r}")
    if not 0 <= float(percentile) <= 100:
        _fail(f"percentile must lie in [0, 100]; got {percentile!r}")
    min_shift = max(1, int(round(0.05 * N))) if min_shift is None else min_shift
    if isinstance(min_shift, bool) or not isinstance(min_shift, (int, np.integer)) or min_shift < 1:
        _fail(f"min_shift must be an integer >= 1 (samples); got {min_shift!r}")
    if N - min_shift < min_shift:
        _fail(f"{N} samples are too few for shifts of at least {min_shift} samples each way")
    return int(n_shuffles), int(min_shift)


def _shifted_maps(twice, by_unit, shifts, occupancy, bins):
    """Rate maps (U, bins, bins) with unit u's activity paired with the bins s_u samples later:
    sum_u[b] = sum_n a_u[n] [bin(n + s_u mod N) = b]. One bincount per unit over a slice of
    the doubled bin sequence: measured 7x faster than a single bincount over all units, whose
    (U, N) index array does not fit in cache."""
    N = by_unit.shape[1]
    sums = np.stack([np.bincount(twice[s:s + N], weights=a, minlength=bins * bins)
                     for s, a in zip(shifts, by_unit)])  # (U, bins^2)
    return _mean_per_bin(sums, occupancy, bins)


# --- classification -----------------------------------------------------------------------------

def classify(grid, band, grid_threshold, band_threshold):
    """Label every unit 'grid', 'band' or 'other' -> array of str (U,).

        significant on one score only     -> that label
        significant on both               -> the score that exceeds its threshold by more:
                                             'grid' if grid - grid_threshold >= band - band_threshold
        significant on neither            -> 'other' (also when a score or threshold is NaN)
    where significant means score > threshold; thresholds are scalars or per-unit arrays
    (U,), e.g. from shuffled_null.
    Why a rule is needed: a hexagonal map is periodic along each of its three axes, so a
    grid cell passes the band test too (band score about 0.2-0.3 against a null of about
    0.05-0.1), and a noisy band map can pass the grid test (its grid score is about 0.1-0.2,
    near the null's 95th percentile). In simulations with this module's synthetic rates plus
    noise (bins = 20) the margins mostly separate the two: grid cells beat their grid
    threshold by 0.2-1.4 and their band threshold by at most about 0.25 (one direction holds
    at most a third of a hexagon's variance); the few very noisy band cells that passed the
    grid test did so by 0.01-0.12, against band margins of 0.08-0.14 (3 of 4 labelled band).
    Margins on two different scales are a convention, not a test: report both scores."""
    grid, band = np.asarray(grid, dtype=float), np.asarray(band, dtype=float)
    if grid.ndim != 1 or grid.shape != band.shape:
        _fail(f"grid and band must be 1-D arrays of the same length (one score per unit); "
              f"got {grid.shape} and {band.shape}")
    thresholds = [np.asarray(t, dtype=float) for t in (grid_threshold, band_threshold)]
    for name, t in zip(("grid_threshold", "band_threshold"), thresholds):
        if t.shape not in ((), grid.shape):
            _fail(f"{name} must be a number or one per unit {grid.shape}; got shape {t.shape}")
    grid_margin, band_margin = grid - thresholds[0], band - thresholds[1]  # NaN compares False
    is_grid = (grid_margin > 0) & ~(band_margin > grid_margin)
    is_band = (band_margin > 0) & ~is_grid
    return np.where(is_grid, "grid", np.where(is_band, "band", "other"))


# --- synthetic maps -----------------------------------------------------------------------------

def _check_pattern(wavelength, orientation, phase):
    wavelength = _check_positive("wavelength", wavelength)
    if not np.isfinite(orientation):
        _fail(f"orientation must be a finite angle in radians; got {orientation!r}")
    phase = np.asarray(phase, dtype=float)
    if phase.shape != (2,) or not np.isfinite(phase).all():
        _fail(f"phase must be a finite point (x, y); got {phase!r}")
    return wavelength, float(orientation), phase


def hexagonal_rate(points, wavelength, orientation=0.0, phase=(0.0, 0.0)):
    """A grid-cell rate in [0, 1] at points (..., 2): the sum of three cosine gratings with
    wave vectors 60 degrees apart,
        rate = (sum_j cos(k_j . (p - phase)) + 3/2) / (9/2),
        k_j = 4 pi / (sqrt(3) wavelength) (cos a_j, sin a_j),  a_j = orientation + 30 + 60 j deg,
    whose peaks (rate 1) form a triangular lattice through `phase` with nearest-neighbour
    distance `wavelength`, one lattice axis at angle `orientation`."""
    wavelength, orientation, phase = _check_pattern(wavelength, orientation, phase)
    p = np.asarray(points, dtype=float) - phase  # (..., 2)
    a = orientation + np.deg2rad([30.0, 90.0, 150.0])  # (3,) wave-vector angles
    k = 4 * np.pi / (np.sqrt(3) * wavelength) * np.stack([np.cos(a), np.sin(a)], axis=1)  # (3, 2)
    return (np.cos(p @ k.T).sum(axis=-1) + 1.5) / 4.5


def band_rate(points, wavelength, orientation=0.0, phase=(0.0, 0.0)):
    """A band-cell rate in [0, 1] at points (..., 2): one cosine grating,
        rate = (1 + cos(2 pi / wavelength  u . (p - phase))) / 2,  u = (cos orientation, sin orientation),
    bands perpendicular to u, `wavelength` apart, one through `phase`."""
    wavelength, orientation, phase = _check_pattern(wavelength, orientation, phase)
    u = np.array([np.cos(orientation), np.sin(orientation)])
    return 0.5 * (1 + np.cos(2 * np.pi / wavelength * ((np.asarray(points, dtype=float) - phase) @ u)))


def bin_centres(bins, box_size):
    """Points (bins, bins, 2): [iy, ix] -> (x, y) centre of that bin."""
    bins, box_size = _check_bins(bins), _check_positive("box_size", box_size)
    c = (np.arange(bins) + 0.5) * (box_size / bins)
    X, Y = np.meshgrid(c, c)  # X[iy, ix] = c[ix]
    return np.stack([X, Y], axis=-1)


def hexagonal_map(bins, box_size, wavelength, orientation=0.0, phase=(0.0, 0.0)):
    """hexagonal_rate at the bin centres: (bins, bins), row = y."""
    return hexagonal_rate(bin_centres(bins, box_size), wavelength, orientation, phase)


def band_map(bins, box_size, wavelength, orientation=0.0, phase=(0.0, 0.0)):
    """band_rate at the bin centres: (bins, bins), row = y."""
    return band_rate(bin_centres(bins, box_size), wavelength, orientation, phase)
