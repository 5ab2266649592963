"""problems/_spatial_scores.py: rate maps, autocorrelograms, grid and band scores, the shuffled
null and the grid / band / other classification, on hand-made and synthetic inputs."""

import numpy as np
import pytest

from conftest import load_problem

ss = load_problem("_spatial_scores")

BINS = 20  # the resolution of Banino et al. 2018 and Sorscher et al., and of the tests below
HEX_CASES = [  # (wavelength as a fraction of the box, orientation in radians)
    (0.2, 0.0), (0.25, 0.4), (0.3, 0.1), (0.35, 0.9), (0.4, 0.25), (0.5, 0.6),
]


def random_walk(rng, n, box=1.0, step=0.03):
    """Positions (n, 2) of a walker with a slowly turning heading, folded back into the box."""
    heading = np.cumsum(rng.normal(0.0, 0.3, n))
    path = rng.uniform(0, box, 2) + np.cumsum(step * np.stack([np.cos(heading), np.sin(heading)], axis=1), axis=0)
    path = np.mod(path, 2 * box)
    return np.where(path > box, 2 * box - path, path)  # reflecting walls


def scores_of(maps):
    return ss.grid_score(ss.autocorrelogram(maps)), ss.band_score(maps)[0]


# --- rate maps ----------------------------------------------------------------------------------

def test_rate_maps_of_a_hand_made_case_with_an_unvisited_bin():
    """Box 2 x 2, 2 x 2 bins of side 1; row = y, column = x. The top-right bin is never
    visited; (2, 0) lies on the box's edge and belongs to the bottom-right bin."""
    positions = np.array([[0.5, 0.5], [0.2, 0.9], [1.5, 0.5], [2.0, 0.0], [0.5, 1.5]])
    activity = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0], [9.0, 90.0], [7.0, 70.0]])
    maps, occupancy = ss.rate_maps(positions, activity, box_size=2.0, bins=2)
    np.testing.assert_array_equal(occupancy, [[2, 2], [1, 0]])
    np.testing.assert_array_equal(maps[0], [[2.0, 7.0], [7.0, np.nan]])
    np.testing.assert_array_equal(maps[1], 10 * maps[0])


def test_rate_maps_match_a_loop_over_samples(rng):
    positions = rng.uniform(0, 3.0, size=(500, 2))
    activity = rng.normal(size=(500, 4))
    maps, occupancy = ss.rate_maps(positions, activity, box_size=3.0, bins=7)
    sums, counts = np.zeros((4, 7, 7)), np.zeros((7, 7))
    for (x, y), a in zip(positions, activity):
        ix, iy = min(int(x / 3.0 * 7), 6), min(int(y / 3.0 * 7), 6)
        sums[:, iy, ix] += a
        counts[iy, ix] += 1
    np.testing.assert_array_equal(occupancy, counts)
    np.testing.assert_allclose(maps, sums / counts, rtol=1e-12)


# --- autocorrelogram ----------------------------------------------------------------------------

def map_with_holes(rng, units=3, bins=8):
    maps = rng.normal(size=(units, bins, bins))
    maps[:, 2, 3] = maps[:, 5, 0] = np.nan  # unvisited bins, the same for every unit
    return maps


def brute_force_autocorrelation(m, min_overlap):
    """Pearson's r at every lag by explicit overlapping windows: [bins-1+ly, bins-1+lx]."""
    b = m.shape[0]
    out = np.full((2 * b - 1, 2 * b - 1), np.nan)
    for ly in range(-(b - 1), b):
        for lx in range(-(b - 1), b):
            a = m[max(0, -ly):b - max(0, ly), max(0, -lx):b - max(0, lx)]  # f(p)
            c = m[max(0, ly):b + min(0, ly), max(0, lx):b + min(0, lx)]  # f(p + l)
            both = np.isfinite(a) & np.isfinite(c)
            if both.sum() >= min_overlap and a[both].std() > 0 and c[both].std() > 0:
                out[b - 1 + ly, b - 1 + lx] = np.corrcoef(a[both], c[both])[0, 1]
    return out


def test_autocorrelogram_matches_pearson_at_every_lag(rng):
    maps = map_with_holes(rng)
    autocorr = ss.autocorrelogram(maps, min_overlap=3)
    assert autocorr.shape == (3, 15, 15)
    for m, a in zip(maps, autocorr):
        np.testing.assert_allclose(a, brute_force_autocorrelation(m, 3), atol=1e-10)


def test_autocorrelogram_is_one_at_zero_lag_and_symmetric(rng):
    maps = np.concatenate([map_with_holes(rng, bins=BINS), ss.hexagonal_map(BINS, 1.0, 0.3)[None]])
    autocorr = ss.autocorrelogram(maps)
    np.testing.assert_allclose(autocorr[:, BINS - 1, BINS - 1], 1.0, atol=1e-12)
    np.testing.assert_array_equal(autocorr, autocorr[:, ::-1, ::-1])  # r(-l) = r(l), NaNs included
    assert np.nanmax(np.abs(autocorr)) <= 1.0


def test_autocorrelogram_drops_lags_with_fewer_than_20_overlapping_bins(rng):
    """A fully visited 10 x 10 map: a lag of (8, 0) bins overlaps 2 x 10 = 20 bins, (9, 0)
    only 10, and (4, 4) 6 x 6 = 36 but (5, 5) 25 and (6, 6) 16."""
    autocorr = ss.autocorrelogram(rng.normal(size=(1, 10, 10)))[0]
    centre = 9
    assert np.isfinite(autocorr[centre, centre + 8]) and np.isnan(autocorr[centre, centre + 9])
    assert np.isfinite(autocorr[centre - 8, centre]) and np.isnan(autocorr[centre - 9, centre])
    assert np.isfinite(autocorr[centre + 5, centre + 5]) and np.isnan(autocorr[centre + 6, centre + 6])


# --- rotation and grid score --------------------------------------------------------------------

def test_rotation_by_right_angles_moves_pixels_exactly(rng):
    """Counter-clockwise with row = y: by 90 degrees the pixel at (x, y) goes to (-y, x),
    which is np.rot90(image, -1) in row-column terms; 180 degrees reverses both axes."""
    image = rng.normal(size=(2, 9, 9))
    rotated = ss.rotate(image, (0, 90, 180)).reshape(2, 3, 9, 9)
    np.testing.assert_allclose(rotated[:, 0], image, atol=1e-12)
    np.testing.assert_allclose(rotated[:, 1], np.rot90(image, -1, axes=(1, 2)), atol=1e-12)
    np.testing.assert_allclose(rotated[:, 2], image[:, ::-1, ::-1], atol=1e-12)


def test_rotation_marks_pixels_from_outside_or_next_to_nan():
    image = np.ones((1, 9, 9))
    image[0, 4, 6] = np.nan
    rotated = ss.rotate(image, (45,)).reshape(9, 9)
    assert np.isnan(rotated[0, 0]) and np.isnan(rotated[8, 8])  # corners come from outside
    # lag (2, 2) reads the input at R(-45)(2, 2) = (2.83, 0), between the NaN at (2, 0) and (3, 0)
    assert rotated[4, 4] == 1.0 and np.isnan(rotated[6, 6]) and rotated[6, 2] == pytest.approx(1.0)


@pytest.mark.parametrize("wavelength, orientation", HEX_CASES)
def test_hexagonal_maps_have_high_grid_scores(wavelength, orientation):
    phases = np.random.default_rng(7).uniform(0, 1, size=(3, 2))
    maps = np.array([ss.hexagonal_map(BINS, 1.0, wavelength, orientation, phase) for phase in phases])
    grid, details = ss.grid_score(ss.autocorrelogram(maps), return_details=True)
    assert grid.min() > 0.8, grid
    assert details["correlations"].shape == (3, 5, 10)  # (unit, angle, annulus)
    np.testing.assert_array_equal(grid, np.nanmax(details["ring_scores"], axis=1))


def angle_and_distance(bins):
    """Angle and distance from the centre of every pixel of a (2 bins - 1)^2 autocorrelogram."""
    lag = np.arange(2 * bins - 1) - (bins - 1)
    x, y = np.meshgrid(lag, lag)
    return np.arctan2(y, x), np.hypot(x, y)


def test_grid_score_follows_its_formula_on_an_angular_pattern():
    """f = cos(6 phi) + 0.7 cos(3 phi): on any annulus r_theta = (cos 6 theta + 0.49 cos 3 theta)
    / 1.49, so r60 = 0.342, r120 = 1, r30 = r90 = r150 = -0.671 and the score is 1.013
    (max(r60, r120) instead of the min would give 1.67; the mean-based variant 1.34)."""
    phi, _ = angle_and_distance(BINS)
    grid = ss.grid_score((np.cos(6 * phi) + 0.7 * np.cos(3 * phi))[None])
    assert grid[0] == pytest.approx(1.013, abs=0.06)


def test_grid_score_ignores_the_central_disc_and_tries_the_smallest_annulus():
    """Inner radius 0.2 * bins = 4 and smallest outer radius 0.4 * bins = 8 at 20 bins:
    a pattern with 3-fold symmetry inside the disc is ignored (score of cos(6 phi) = 2), and
    a 6-fold pattern only up to distance 8 is found by the first annulus."""
    phi, distance = angle_and_distance(BINS)
    hidden = np.where(distance <= 4, 10 * np.cos(3 * phi), np.cos(6 * phi))
    assert ss.grid_score(hidden[None])[0] > 1.8
    inner_only = np.where(distance <= 8, np.cos(6 * phi), 3 * np.cos(3 * phi))
    grid, details = ss.grid_score(inner_only[None], return_details=True)
    assert grid[0] > 1.2 and details["outer_radius"][0] == pytest.approx(8.0)


def test_band_maps_and_noise_have_low_grid_scores(rng):
    bands = [ss.band_map(BINS, 1.0, w, o, rng.uniform(0, 1, 2)) for w, o in HEX_CASES]
    noise = rng.normal(size=(6, BINS, BINS))
    grid = ss.grid_score(ss.autocorrelogram(np.concatenate([bands, noise])))
    assert grid.max() < 0.3, grid


def test_a_rotated_hexagonal_map_with_lost_corners_still_scores_high():
    """Rotate the map image itself by 17 degrees: the corners that come from outside the
    arena become NaN, i.e. unvisited bins, which both scores must ignore."""
    hexagon = ss.hexagonal_map(BINS, 1.0, 0.3, 0.0, (0.4, 0.5))[None]
    rotated = ss.rotate(hexagon, (17,)).reshape(1, BINS, BINS)
    assert np.isnan(rotated).sum() > 10
    grid, band = scores_of(rotated)
    assert grid[0] > 0.8 and band[0] < 0.4


def test_grid_score_of_a_constant_map_is_nan():
    grid, band = scores_of(np.full((1, BINS, BINS), 0.7))
    assert np.isnan(grid[0]) and np.isnan(band[0])


# --- band score ---------------------------------------------------------------------------------

def test_band_score_is_high_for_bands_and_low_for_grids_and_noise(rng):
    phases = rng.uniform(0, 1, size=(len(HEX_CASES), 2))
    bands = np.array([ss.band_map(BINS, 1.0, w, o, p) for (w, o), p in zip(HEX_CASES, phases)])
    hexagons = np.array([ss.hexagonal_map(BINS, 1.0, w, o, p) for (w, o), p in zip(HEX_CASES, phases)])
    noise = rng.normal(size=(6, BINS, BINS))
    assert ss.band_score(bands)[0].min() > 0.7
    assert ss.band_score(hexagons)[0].max() < 0.4
    assert ss.band_score(noise)[0].max() < 0.1


def test_band_score_recovers_orientation_and_wavelength():
    """On a 2 m box the wavelength comes back in metres; the direction modulo 180 degrees."""
    cases = [(0.5, 0.3), (0.7, 1.2), (0.9, 2.8), (0.6, 4.0)]  # 2.8 and 4.0 rad fold into [0, pi)
    maps = np.array([ss.band_map(BINS, 2.0, w, o, (0.3, 0.1)) for w, o in cases])
    score, orientation, wavelength = ss.band_score(maps, box_size=2.0)
    wavelengths, orientations = np.array(cases).T
    error = np.abs(np.angle(np.exp(2j * (orientation - orientations)))) / 2  # angle difference mod pi
    assert error.max() < 0.06, orientation
    np.testing.assert_allclose(wavelength, wavelengths, rtol=0.08)


def test_band_score_looks_for_at_least_min_cycles_across_the_box():
    """A linear ramp has most of its power below one cycle per box: the peak search starts at
    min_cycles / box_size, so the reported wavelength is at most box_size / min_cycles."""
    ramp = np.tile(np.arange(BINS, dtype=float), (BINS, 1))[None]  # rises along x
    for min_cycles in (1.0, 2.5):
        score, orientation, wavelength = ss.band_score(ramp, box_size=2.0, min_cycles=min_cycles)
        assert wavelength[0] <= 2.0 / min_cycles + 1e-12 and orientation[0] == pytest.approx(0.0)
    assert score[0] < ss.band_score(ramp, box_size=2.0)[0][0]  # less of the ramp's power up there


def test_band_score_ignores_unvisited_bins():
    band = ss.band_map(BINS, 1.0, 0.3, 0.5)[None]
    holed = band.copy()
    holed[0, :3, :4] = np.nan
    assert ss.band_score(holed)[0][0] > 0.6


# --- synthetic maps -----------------------------------------------------------------------------

def test_synthetic_rates_peak_where_their_definitions_say():
    wavelength, orientation, phase = 0.3, 0.4, np.array([0.2, 0.7])
    step = wavelength * np.array([np.cos(orientation), np.sin(orientation)])
    turn = wavelength * np.array([np.cos(orientation + np.pi / 3), np.sin(orientation + np.pi / 3)])
    peaks = np.array([phase, phase + step, phase + turn, phase - 2 * turn + step])
    np.testing.assert_allclose(ss.hexagonal_rate(peaks, wavelength, orientation, phase), 1.0)
    assert ss.hexagonal_rate(phase + step / 2, wavelength, orientation, phase) < 0.5
    np.testing.assert_allclose(ss.band_rate(np.array([phase, phase + step]), wavelength, orientation, phase), 1.0)
    np.testing.assert_allclose(ss.band_rate(phase + step / 2, wavelength, orientation, phase), 0.0, atol=1e-12)
    along_band = phase + np.array([-np.sin(orientation), np.cos(orientation)]) * 0.37
    np.testing.assert_allclose(ss.band_rate(along_band, wavelength, orientation, phase), 1.0)
    for rates in (ss.hexagonal_map(BINS, 1.0, 0.3), ss.band_map(BINS, 1.0, 0.3)):
        assert rates.shape == (BINS, BINS) and rates.min() >= 0 and rates.max() <= 1


# --- shuffled null ------------------------------------------------------------------------------

def null_setup(seed=3, n=20_000):
    """A trajectory, a grid unit, a band unit and 10 noise units (activity = rate + noise)."""
    rng = np.random.default_rng(seed)
    positions = random_walk(rng, n)
    rates = [ss.hexagonal_rate(positions, 0.35, 0.2, (0.3, 0.3)), ss.band_rate(positions, 0.3, 1.0)]
    activity = np.column_stack(rates + [np.zeros(n)] * 10) + 0.5 * rng.normal(size=(n, 12))
    return positions, activity


def test_real_units_beat_their_shuffled_null_and_noise_units_rarely_do():
    positions, activity = null_setup()
    bins = 16
    maps, occupancy = ss.rate_maps(positions, activity, 1.0, bins)
    assert occupancy.min() > 0
    grid, band = scores_of(maps)
    null = ss.shuffled_null(positions, activity, 1.0, bins, np.random.default_rng(0), n_shuffles=40)
    assert null["grid_null"].shape == null["band_null"].shape == (40, 12)
    assert grid[0] > null["grid_threshold"][0] and band[1] > null["band_threshold"][1]
    exceed = (grid[2:] > null["grid_threshold"][2:]).sum() + (band[2:] > null["band_threshold"][2:]).sum()
    assert exceed <= 3, exceed  # 20 tests at the 95th percentile: about 1 expected by chance
    labels = ss.classify(grid, band, null["grid_threshold"], null["band_threshold"])
    assert labels[0] == "grid" and labels[1] == "band"


def test_shuffled_scores_are_those_of_the_shifted_activity():
    """Each null entry is the score of the unit's activity rolled by its shift (band score
    with the same min_cycles): recompute a few."""
    positions, activity = null_setup(n=4000)
    null = ss.shuffled_null(positions, activity, 1.0, 10, np.random.default_rng(1), n_shuffles=3, min_cycles=2.0)
    shifts = null["shifts"]
    assert shifts.min() >= 200 and shifts.max() <= 3800  # 5% of N each way
    for k, u in [(0, 0), (2, 1), (1, 4), (0, 7), (2, 9)]:
        rolled = np.roll(activity[:, u], shifts[k, u])[:, None]  # a[n] now sits beside position n + s
        maps, _ = ss.rate_maps(positions, rolled, 1.0, 10)
        grid, band = ss.grid_score(ss.autocorrelogram(maps)), ss.band_score(maps, min_cycles=2.0)[0]
        np.testing.assert_allclose([null["grid_null"][k, u], null["band_null"][k, u]], [grid[0], band[0]], rtol=1e-9)


def test_shuffled_null_is_reproducible_from_its_generator():
    positions, activity = null_setup(n=3000)
    first, second = (ss.shuffled_null(positions, activity[:, :3], 1.0, 8, np.random.default_rng(5), n_shuffles=4)
                     for _ in range(2))
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


# --- classification -----------------------------------------------------------------------------

def test_classify_labels_constructed_scores():
    #          grid only, band only, both (grid further), both (band further), neither, NaN score
    grid = np.array([0.9, 0.1, 1.2, 0.35, 0.1, np.nan])
    band = np.array([0.05, 0.6, 0.30, 0.70, 0.05, 0.9])
    labels = ss.classify(grid, band, grid_threshold=0.3, band_threshold=0.1)
    assert labels.tolist() == ["grid", "band", "grid", "band", "other", "band"]
    per_unit = ss.classify(grid[:2], band[:2], grid_threshold=[1.0, 0.0], band_threshold=[0.0, np.nan])
    assert per_unit.tolist() == ["band", "grid"]  # a NaN threshold is never passed


# --- bad input ----------------------------------------------------------------------------------

GOOD_POSITIONS = np.full((5, 2), 0.5)
GOOD_ACTIVITY = np.ones((5, 3))


def rate_maps_with(positions=GOOD_POSITIONS, activity=GOOD_ACTIVITY, box_size=1.0, bins=4):
    return lambda: ss.rate_maps(positions, activity, box_size, bins)


def null_with(rng=None, **options):
    rng = np.random.default_rng(0) if rng is None else rng
    return lambda: ss.shuffled_null(GOOD_POSITIONS, GOOD_ACTIVITY, 1.0, 4, rng, **options)


BAD_CALLS = {  # case: (call, what the message must say)
    "positions (N, 3)": (rate_maps_with(positions=np.ones((5, 3))), r"positions must have shape \(N, 2\)"),
    "activity 1-D": (rate_maps_with(activity=np.ones(5)), r"activity must have shape \(N, U\)"),
    "sample counts differ": (rate_maps_with(activity=np.ones((4, 3))), "5 samples but activity has 4"),
    "bins 1": (rate_maps_with(bins=1), "bins must be an integer >= 2"),
    "bins 2.5": (rate_maps_with(bins=2.5), "bins must be an integer >= 2"),
    "box 0": (rate_maps_with(box_size=0.0), "box_size must be a finite number > 0"),
    "outside the box": (rate_maps_with(positions=GOOD_POSITIONS + [0, 0.6]), r"positions must lie in \[0, box_size\]"),
    "negative position": (rate_maps_with(positions=GOOD_POSITIONS - 0.6), r"positions must lie in \[0, box_size\]"),
    "NaN activity": (rate_maps_with(activity=np.where(np.eye(5, 3), np.nan, 1.0)), "activity holds NaN"),
    "NaN position": (rate_maps_with(positions=np.where(np.eye(5, 2), np.nan, 0.5)), "positions holds NaN"),
    "maps 2-D": (lambda: ss.autocorrelogram(np.ones((4, 4))), r"maps must have shape \(U, bins, bins\)"),
    "maps not square": (lambda: ss.band_score(np.ones((2, 4, 5))), r"maps must have shape \(U, bins, bins\)"),
    "autocorr even": (lambda: ss.grid_score(np.ones((2, 8, 8))), r"autocorr must have shape \(U, 2 bins - 1"),
    "min_overlap 0": (lambda: ss.autocorrelogram(np.ones((1, 4, 4)), min_overlap=0), "min_overlap must be an integer"),
    "min_cycles 0": (lambda: ss.band_score(np.ones((1, 4, 4)), min_cycles=0.0), "min_cycles must be a finite number > 0"),
    "scores differ in length": (lambda: ss.classify([1.0, 2.0], [1.0], 0.3, 0.1), "grid and band must be 1-D arrays"),
    "thresholds for 3 units": (lambda: ss.classify([1.0, 2.0], [1.0, 0.0], [0.3] * 3, 0.1),
                               "grid_threshold must be a number or one per unit"),
    "seed instead of generator": (null_with(rng=0), "rng must be a numpy.random.Generator"),
    "no shuffles": (null_with(n_shuffles=0), "n_shuffles must be an integer >= 1"),
    "shift too long": (null_with(min_shift=3), "too few for shifts"),
    "percentile 150": (null_with(percentile=150), r"percentile must lie in \[0, 100\]"),
    "wavelength 0": (lambda: ss.hexagonal_map(10, 1.0, 0.0), "wavelength must be a finite number > 0"),
    "phase scalar": (lambda: ss.band_map(10, 1.0, 0.3, 0.0, 0.5), r"phase must be a finite point \(x, y\)"),
}


@pytest.mark.parametrize("case", BAD_CALLS, ids=list(BAD_CALLS))
def test_bad_input_raises_a_clear_value_error(case):
    call, message = BAD_CALLS[case]
    with pytest.raises(ValueError, match=message):
        call()
