"""Tests of problems/_handwriting.py: letter skeletons and their shared strokes, synthetic
writers and samples, dynamic time warping, and the DigiLeTs reader."""

import dataclasses
import pathlib
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT / "problems") not in sys.path:
    sys.path.insert(0, str(ROOT / "problems"))

import _handwriting as hw  # noqa: E402

ALL_STYLES = ([(letter, "standard") for letter in hw.LETTERS]
              + [(letter, "alternative") for letter in hw.ALTERNATIVE_LETTERS])
WRITERS = hw.make_writers(0, 10)


def sample(letter, writer, index, style="standard", seed=0):
    return hw.draw(letter, writer, np.random.default_rng([seed, index, writer.id, ord(letter)]), style)


def piece(letter, name, occurrence=0, style="standard"):
    """The points of the letter's `occurrence`-th piece called `name`."""
    found = [p.points for p in hw.letter_pieces(letter, style) if p.name == name]
    return found[occurrence]


def distance_to_polyline(points, polyline):
    """Distance of each point to the nearest segment of a polyline."""
    a, b = polyline[:-1], polyline[1:]
    ab = b - a
    u = np.clip(np.einsum("psd,sd->ps", points[:, None] - a[None], ab) / np.einsum("sd,sd->s", ab, ab), 0, 1)
    nearest = a[None] + u[..., None] * ab[None]
    return np.min(np.linalg.norm(points[:, None] - nearest, axis=-1), axis=1)


def brute_force_dtw(a, b):
    """Plain double loop, the textbook recursion, normalised by len(a) + len(b)."""
    acc = np.full((len(a) + 1, len(b) + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            acc[i, j] = np.linalg.norm(a[i - 1] - b[j - 1]) + min(acc[i - 1, j], acc[i, j - 1], acc[i - 1, j - 1])
    return acc[-1, -1] / (len(a) + len(b))


# --- skeletons --------------------------------------------------------------------------------

def test_alphabet_features_and_styles():
    assert hw.LETTERS == "abcdefghijklmnopqrstuvwxyz"
    assert hw.FEATURES == ("dx", "dy", "pressure", "onset")
    assert hw.STYLES == ("standard", "alternative")
    assert sum(letter in "nopqrstuvwxyz" for letter in hw.ALTERNATIVE_LETTERS) >= 7


@pytest.mark.parametrize("call", [
    lambda: hw.letter_strokes("A"), lambda: hw.letter_strokes("ab"), lambda: hw.letter_parts("?"),
    lambda: hw.letter_strokes("a", style="fancy"), lambda: hw.letter_strokes("a", style="alternative"),
    lambda: hw.draw("7", WRITERS[0], np.random.default_rng(0)), lambda: hw.dataset("aB", 0),
])
def test_unknown_letter_or_style_is_a_clear_error(call):
    with pytest.raises(ValueError, match="letter|style"):
        call()


@pytest.mark.parametrize("letter,style", ALL_STYLES)
def test_skeleton_strokes_are_continuous_and_match_the_parts(letter, style):
    strokes = hw.letter_strokes(letter, style)
    pieces = hw.letter_pieces(letter, style)
    assert [p.name for p in pieces] == hw.letter_parts(letter, style)
    assert len(strokes) == 1 + sum(p.lift for p in pieces[1:]) and not pieces[0].lift
    for stroke in strokes:  # the pen never jumps while it is down
        assert stroke.ndim == 2 and stroke.shape[1] == 2 and len(stroke) >= 2
        assert np.max(np.linalg.norm(np.diff(stroke, axis=0), axis=1)) <= 1.01 * hw.SPACING
    assert sum(len(s) for s in strokes) == sum(len(p.points) for p in pieces) - (len(pieces) - len(strokes))


def test_letters_keep_to_the_letter_box():
    for letter, style in ALL_STYLES:
        points = np.concatenate(hw.letter_strokes(letter, style))
        top, bottom = points[:, 1].max(), points[:, 1].min()
        assert -0.2 <= points[:, 0].min() and points[:, 0].max() <= 0.7, letter
        if letter in "bdfhkl":
            assert top > 0.9, (letter, style, top)
        if letter in "gjpqy":
            assert bottom < -0.3, (letter, style, bottom)
        if (letter, style) == ("z", "alternative"):
            assert bottom < -0.2, (letter, style, bottom)
        if letter in "acemnorsuvwx" or (letter, style) == ("z", "standard"):
            assert -0.01 < bottom and top < 0.51, (letter, style, bottom, top)


def test_y_begins_with_the_whole_v_and_w_is_two_vs():
    v = hw.letter_strokes("v")[0]
    y = hw.letter_strokes("y")[0]
    w = hw.letter_strokes("w")[0]
    np.testing.assert_allclose(y[:len(v)], v, atol=1e-12)
    assert y[:, 1].min() < -0.4  # then the tail goes into the descender
    width = v[-1, 0] - v[0, 0]
    np.testing.assert_allclose(w[:len(v)], v, atol=1e-12)
    np.testing.assert_allclose(w[len(v) - 1:], v + [width, 0.0], atol=1e-12)


def test_n_m_h_share_the_arch_and_r_its_shoulder():
    arch = piece("n", "arch")
    np.testing.assert_allclose(piece("h", "arch"), arch, atol=1e-12)
    np.testing.assert_allclose(piece("m", "arch", 0), arch, atol=1e-12)
    second = piece("m", "arch", 1)
    np.testing.assert_allclose(second - second[0], arch - arch[0], atol=1e-12)
    # in the strokes themselves: n and h end with the same arch, after the same retrace
    n_stroke, h_stroke = hw.letter_strokes("n")[0], hw.letter_strokes("h")[0]
    tail = len(arch) + len(piece("n", "join")) - 1
    np.testing.assert_allclose(n_stroke[-tail:], h_stroke[-tail:], atol=1e-12)
    shoulder = piece("r", "shoulder")
    np.testing.assert_allclose(shoulder[0], arch[0], atol=1e-12)
    assert distance_to_polyline(shoulder, arch).max() < 1e-3
    assert np.linalg.norm(shoulder[-1] - arch[-1]) > 0.2  # only the beginning of it


def test_a_d_g_q_o_share_one_counter_clockwise_oval_and_c_is_its_beginning():
    oval = hw.letter_strokes("o")[0]
    for letter in "adgq":
        np.testing.assert_allclose(hw.letter_strokes(letter)[0][:len(oval)], oval, atol=1e-12)
    x, y = oval[:, 0], oval[:, 1]
    area = 0.5 * np.sum(x[:-1] * y[1:] - x[1:] * y[:-1])  # shoelace: > 0 counter-clockwise
    assert area > 0.1
    centre = oval.mean(axis=0)
    assert oval[0, 0] > centre[0] + 0.05 and oval[0, 1] > centre[1] + 0.1  # starts top right
    c = hw.letter_strokes("c")[0]
    np.testing.assert_allclose(c[0], oval[0], atol=1e-12)
    assert distance_to_polyline(c, oval).max() < 1e-3
    clockwise = hw.letter_strokes("o", "alternative")[0]
    x, y = clockwise[:, 0], clockwise[:, 1]
    assert 0.5 * np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) < -0.1


# --- samples ----------------------------------------------------------------------------------

@pytest.mark.parametrize("style", hw.STYLES)
def test_sample_conventions_and_lengths(style):
    letters = hw.LETTERS if style == "standard" else hw.ALTERNATIVE_LETTERS
    lengths = []
    for letter in letters:
        strokes = len(hw.letter_strokes(letter, style))
        names = hw.letter_parts(letter, style)
        for writer in WRITERS:
            for index in range(3):
                steps, parts = sample(letter, writer, index, style)
                T = len(steps)
                lengths.append(T)
                assert steps.shape == (T, 4) and steps.dtype == np.float64 and parts.shape == (T,)
                assert np.all(steps[0] == [0.0, 0.0, steps[0, 2], 1.0]) and steps[0, 2] > 0
                onset, pressure = steps[:, 3], steps[:, 2]
                assert set(np.unique(onset)) <= {0.0, 1.0} and onset.sum() == strokes
                # pressure is 0 exactly on the travel runs just before each later onset
                up = pressure == 0.0
                assert np.all(pressure[~up] <= 1.0) and np.all(pressure[~up] > 0.0)
                starts = np.flatnonzero(up & ~np.r_[False, up[:-1]])
                ends = np.flatnonzero(up & ~np.r_[up[1:], False])
                assert len(starts) == strokes - 1
                assert np.all(onset[ends + 1] == 1) and np.all(onset[starts - 1] == 0)
                assert np.all((ends - starts + 1 >= 2) & (ends - starts + 1 <= 5))
                # parts: in drawing order, from the first piece to the last; travel -> next part
                assert np.all(np.diff(parts) >= 0) and parts[0] == 0 and parts[-1] == len(names) - 1
                assert np.all(parts[starts] == parts[ends + 1])
    assert 20 <= min(lengths) and max(lengths) <= 80, (min(lengths), max(lengths))


def test_pen_path_inverts_the_steps_and_pad_is_time_major():
    steps = sample("k", WRITERS[2], 0).steps
    path = hw.pen_path(steps)
    np.testing.assert_array_equal(path[0], [0.0, 0.0])
    np.testing.assert_allclose(np.diff(path, axis=0), steps[1:, :2], atol=1e-12)
    sequences = [sample(letter, WRITERS[1], 0).steps for letter in "ilm"]
    x, mask = hw.pad(sequences)
    lengths = [len(s) for s in sequences]
    assert x.shape == (max(lengths), 3, 4) and mask.shape == (max(lengths), 3)
    np.testing.assert_array_equal(mask.sum(axis=0), lengths)
    for b, seq in enumerate(sequences):
        np.testing.assert_array_equal(x[:len(seq), b], seq)
        assert np.all(x[len(seq):, b] == 0.0) and np.all(mask[len(seq):, b] == 0.0)


def test_dataset_is_deterministic_and_a_sample_does_not_depend_on_the_other_letters():
    seqs, labels, ids = hw.dataset("ab", seed=3, writers=3, samples_per_writer=2)
    again, _, _ = hw.dataset("ab", seed=3, writers=3, samples_per_writer=2)
    alone, labels_b, ids_b = hw.dataset("b", seed=3, writers=3, samples_per_writer=2)
    fewer, _, _ = hw.dataset("b", seed=3, writers=2, samples_per_writer=1)
    other, _, _ = hw.dataset("ab", seed=4, writers=3, samples_per_writer=2)
    np.testing.assert_array_equal(labels, [0] * 6 + [1] * 6)
    np.testing.assert_array_equal(ids, [0, 0, 1, 1, 2, 2] * 2)
    np.testing.assert_array_equal(labels_b, [1] * 6)
    for s, t in zip(seqs, again):
        np.testing.assert_array_equal(s, t)
    for s, t in zip(seqs[6:], alone):  # the b's are the same whether or not a is requested
        np.testing.assert_array_equal(s, t)
    np.testing.assert_array_equal(fewer[1], alone[2])  # writer 1, sample 0
    assert not any(len(s) == len(t) and np.allclose(s, t) for s, t in zip(seqs, other))
    assert not np.array_equal(seqs[0], seqs[1])  # two samples of one writer differ


def test_writers_are_deterministic_frozen_and_a_prefix_of_a_longer_list():
    assert hw.make_writers(5, 10) == hw.make_writers(5, 10)
    assert hw.make_writers(5, 4) == hw.make_writers(5, 10)[:4]
    assert hw.make_writers(5, 3) != hw.make_writers(6, 3)
    assert len({w.slant for w in WRITERS}) == 10
    with pytest.raises(dataclasses.FrozenInstanceError):
        WRITERS[0].size = 2.0
    with pytest.raises(ValueError):
        hw.make_writers(0, 0)


@pytest.mark.parametrize("letter", "amy")
def test_writers_differ_more_than_the_samples_of_one_writer(letter):
    seqs, _, ids = hw.dataset(letter, seed=1, writers=10, samples_per_writer=4)
    dist = hw.dtw_matrix([hw.pen_path(s) for s in seqs], [hw.pen_path(s) for s in seqs])
    same = ids[:, None] == ids[None]
    off = ~np.eye(len(ids), dtype=bool)
    assert dist[~same].mean() > 2.0 * dist[same & off].mean()
    np.fill_diagonal(dist, np.inf)
    assert np.mean(ids[dist.argmin(axis=1)] == ids) >= 0.75  # chance: 3/39


@pytest.mark.parametrize("letter", hw.ALTERNATIVE_LETTERS)
def test_the_alternative_style_is_clearly_dissimilar(letter):
    for writer in WRITERS[:5]:
        standard = [hw.pen_path(sample(letter, writer, i).steps) for i in range(3)]
        alternative = [hw.pen_path(sample(letter, writer, i, "alternative").steps) for i in range(3)]
        within = hw.dtw_matrix(standard, standard)[np.triu_indices(3, 1)].mean()
        across = hw.dtw_matrix(standard, alternative).mean()
        assert across > 2.5 * within, (letter, writer.id, across, within)


def test_shared_parts_stay_shared_in_drawn_samples():
    """y's v part, drawn, is close to the writer's v and far from their u (and a's oval
    close to o, far from s): the sharing survives timing, tremor and deformation."""
    writer = WRITERS[4]
    for letter, part, close, far in (("y", "v", "v", "u"), ("a", "oval", "o", "s"), ("m", "stem", "n", "z")):
        index = hw.letter_parts(letter).index(part)
        drawn = hw.draw(letter, writer, np.random.default_rng(9))
        piece_path = hw.pen_path(drawn.steps)[drawn.parts == index]
        near = hw.pen_path(hw.draw(close, writer, np.random.default_rng(9)).steps)
        other = hw.pen_path(hw.draw(far, writer, np.random.default_rng(9)).steps)
        if part == "stem":  # compare the first few steps only: a stem vs n's stem, not vs z's bar
            near, other = near[:len(piece_path)], other[:len(piece_path)]
        d_near, d_far = hw.dtw_matrix([piece_path], [near, other])[0]
        assert d_near < 0.4 * d_far, (letter, d_near, d_far)


# --- dynamic time warping ---------------------------------------------------------------------

def test_dtw_matches_the_double_loop_on_random_cases():
    rng = np.random.default_rng(0)
    for ta, tb in ((5, 5), (4, 9), (11, 3)):
        n = 6
        a, b = rng.normal(size=(ta, n, 2)), rng.normal(size=(tb, n, 2))
        a_len, b_len = rng.integers(1, ta + 1, n), rng.integers(1, tb + 1, n)
        a_len[0], b_len[0] = ta, tb
        for k in range(n):  # padding: zeros, as pad() writes them
            a[a_len[k]:, k] = 0.0
            b[b_len[k]:, k] = 0.0
        got = hw.dtw_distance(a, b, a_len, b_len)
        want = [brute_force_dtw(a[:a_len[k], k], b[:b_len[k], k]) for k in range(n)]
        np.testing.assert_allclose(got, want, rtol=1e-12)
        full = hw.dtw_distance(a[:, :1], b[:, :1])
        np.testing.assert_allclose(full, want[:1], rtol=1e-12)
        a[ta - 1, 1:][a_len[1:] < ta] = 1e6  # garbage beyond a pair's length changes nothing
        np.testing.assert_allclose(hw.dtw_distance(a, b, a_len, b_len), want, rtol=1e-12)


def test_dtw_of_identical_and_resampled_paths_is_small():
    t = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    circle = np.column_stack([np.cos(t), np.sin(t)])
    t2 = np.linspace(0, 2 * np.pi, 40, endpoint=False)  # the same path, twice as densely sampled
    dense = np.column_stack([np.cos(t2), np.sin(t2)])
    clockwise = circle * [1, -1]  # the same circle from the same point, the other way round
    d = hw.dtw_matrix([circle], [circle, dense, clockwise])[0]
    assert d[0] == 0.0
    # every second dense point is a point of the circle (cost 0); each of the 20 in between
    # lies 2 sin(pi / 40) from its nearest circle point: the whole cost, over 20 + 40 steps
    np.testing.assert_allclose(d[1], 20 * 2 * np.sin(np.pi / 40) / 60, rtol=1e-12)
    assert d[2] > 10 * d[1]
    moved = hw.dtw_matrix([circle + [5.0, -3.0]], [dense])[0, 0]
    np.testing.assert_allclose(moved, d[1], rtol=1e-12)  # centred: blind to translation
    assert hw.dtw_matrix([circle + [5.0, -3.0]], [dense], centre=False)[0, 0] > 2.0


def test_dtw_matrix_agrees_with_pairwise_distances():
    paths = [hw.pen_path(sample(letter, WRITERS[3], 0).steps) for letter in "oclx"]
    matrix = hw.dtw_matrix(paths, paths, chunk=3)  # several chunks
    np.testing.assert_allclose(matrix, matrix.T, rtol=1e-12)
    assert np.all(np.diag(matrix) == 0.0)
    for i, j in ((0, 1), (2, 3), (3, 0)):
        a, b = hw.centred(paths[i]), hw.centred(paths[j])
        np.testing.assert_allclose(matrix[i, j], brute_force_dtw(a, b), rtol=1e-12)
    assert matrix[0, 1] < matrix[0, 2]  # an o is nearer a c than an l


def test_dtw_rejects_bad_shapes_and_lengths():
    a = np.zeros((4, 2, 2))
    with pytest.raises(ValueError):
        hw.dtw_distance(a, np.zeros((3, 3, 2)))
    with pytest.raises(ValueError):
        hw.dtw_distance(a, a, a_len=[0, 4])
    with pytest.raises(ValueError):
        hw.dtw_distance(a, a, b_len=[5, 4])


# --- DigiLeTs files ----------------------------------------------------------------------------

# label positions in the 62-long one-hot vector: 0-9, then a-z (10-35), then A-Z (36-61)
INDEX = {"7": 7, "a": 10, "i": 18, "z": 35, "Q": 52}


def one_hot(symbol):
    return " ".join("1.0" if k == INDEX[symbol] else "0.0" for k in range(62))


def instance(points, symbol):
    """Two lines of a DigiLeTs file: x y pressure pen_down time per point, then the label."""
    return " ".join(f"{x} {y} {p} {d} {t}" for x, y, p, d, t in points) + "\n" + one_hot(symbol) + "\n"


I_POINTS = [(0.50, 0.50, 0.30, 1, 0.0), (0.50, 0.40, 0.40, 0, 0.02), (0.51, 0.30, 0.35, 0, 0.04),
            (0.52, 0.70, 0.20, 1, 0.10)]
SEVEN_POINTS = [(0.2, 0.8, 0.5, 0, 0.0), (0.6, 0.8, 0.6, 0, 0.02), (0.4, 0.2, 0.0, 0, 0.04)]


def test_digilets_reader_on_a_hand_written_file(tmp_path):
    name = "042-m-23-right_2020-01-01-12-00-00"
    (tmp_path / name).write_text(instance(I_POINTS, "i") + instance(SEVEN_POINTS, "7") + instance(I_POINTS, "Q"))
    (tmp_path / (name + "_info")).write_text("0 0 0 0 0 0 0 0 0 0 0 0\n")  # flags: not a data file
    items = hw.load_digilets(tmp_path / name)
    assert [(label, who) for label, _, who in items] == [("i", "042"), ("7", "042"), ("Q", "042")]
    np.testing.assert_allclose(items[0][1], [[0.0, 0.0, 0.30, 1], [0.0, -0.10, 0.40, 0],
                                             [0.01, -0.10, 0.35, 0], [0.01, 0.40, 0.20, 1]], atol=1e-12)
    # the first point is an onset even when the file's flag says otherwise
    np.testing.assert_allclose(items[1][1], [[0.0, 0.0, 0.5, 1], [0.4, 0.0, 0.6, 0], [-0.2, -0.6, 0.0, 0]], atol=1e-12)
    folder = hw.load_digilets(tmp_path)  # a folder: every data file, "_info" files skipped
    assert len(folder) == 3 and all(np.array_equal(a[1], b[1]) for a, b in zip(folder, items))
    (tmp_path / "sample.txt").write_text(instance(SEVEN_POINTS, "z"))
    assert hw.load_digilets(tmp_path / "sample.txt")[0][0::2] == ("z", None)


@pytest.mark.parametrize("text,message", [
    ("", "empty"),
    (instance(I_POINTS, "i") + "0.1 0.2 0.3 1 0.0\n", "pairs of lines"),
    ("0.1 0.2 0.3 1 0.0 0.5 0.5\n" + one_hot("a") + "\n", "5 per point"),
    ("0.1 0.2 0.3 1 0.0\n" + " ".join(["0.0"] * 61) + "\n", "one-hot"),
    ("0.1 0.2 0.3 1 0.0\n" + one_hot("a").replace("0.0", "1.0", 1) + "\n", "one-hot"),
    ("0.1 0.2 abc 1 0.0\n" + one_hot("a") + "\n", "numbers"),
    ("0.1 0.2 0.3 2 0.0\n" + one_hot("a") + "\n", "pen_down"),
])
def test_digilets_reader_rejects_malformed_files(tmp_path, text, message):
    path = tmp_path / "001-f-20-left_2019-06-05-12-00-00"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        hw.load_digilets(path)


def test_digilets_reader_needs_an_existing_path(tmp_path):
    with pytest.raises(ValueError, match="no such"):
        hw.load_digilets(tmp_path / "missing")
    with pytest.raises(ValueError, match="no DigiLeTs data files"):
        hw.load_digilets(tmp_path)
