"""rnn_numpy.degeneracy against what can be known without it.

- linear_assignment: brute force over all n! permutations (n <= 7, real and tied integer
  costs), a cost whose optimum is known in closed form (c_ij = i j: the reversal), the
  no-improving-swap condition at n = 256, and SciPy when it happens to be installed;
- weight_distance: relabelled copies (distance 0, the permutation recovered), independent
  networks, symmetry, scale, and the exact minimum over all H! relabellings for small H;
- DSA: the fitted map's eigenvalues against a known linear system, the Procrustes gradient
  against central finite differences, a planted orthogonal C, rotated copies of a linear and
  of a nonlinear system against the distance between different systems, symmetry, and a
  case where the shape metric and DSA rank two comparisons in opposite orders;
- behaviour_degeneracy, pairwise and mean_offdiagonal against direct NumPy formulas.
"""

import itertools
import time

import numpy as np
import pytest

from conftest import record_and_assert
from rnn_numpy import degeneracy as dg

# --- helpers -------------------------------------------------------------------------------------


def brute_force_min_cost(cost):
    """The minimum of sum_i cost[i, s(i)] over all permutations s."""
    n = cost.shape[0]
    perms = np.array(list(itertools.permutations(range(n))))  # (n!, n)
    return cost[np.arange(n), perms].sum(axis=1).min()


def assignment_cost(cost, col):
    return cost[np.arange(len(col)), col].sum()


def is_permutation(col, n):
    return col.shape == (n,) and np.array_equal(np.sort(col), np.arange(n))


def stable_linear_system(rng, N, radius=0.95):
    """A random N x N map whose eigenvalues have modulus `radius` (rotations of random
    angles in random planes, a real eigenvalue when N is odd)."""
    blocks = np.zeros((N, N))
    for k in range(N // 2):
        angle = rng.uniform(0.2, 1.2)
        c, s = radius * np.cos(angle), radius * np.sin(angle)
        blocks[2 * k: 2 * k + 2, 2 * k: 2 * k + 2] = [[c, -s], [s, c]]
    if N % 2:
        blocks[-1, -1] = radius
    Q = dg.random_orthogonal(rng, N)
    return Q @ blocks @ Q.T


def run_linear(A, x0, T):
    """x_(t+1) = A x_t from x0 (B, N): trajectories (T, B, N)."""
    x = np.empty((T,) + x0.shape)
    x[0] = x0
    for t in range(1, T):
        x[t] = x[t - 1] @ A.T
    return x


def run_tanh_rnn(W, x0, T):
    """h_(t+1) = tanh(W h_t) from h0 (B, N): trajectories (T, B, N)."""
    h = np.empty((T,) + x0.shape)
    h[0] = x0
    for t in range(1, T):
        h[t] = np.tanh(h[t - 1] @ W.T)
    return h


# --- 1. linear_assignment ------------------------------------------------------------------------


def test_assignment_matches_brute_force_on_many_small_matrices(rng):
    for n in range(1, 8):
        for trial in range(24 if n < 7 else 8):
            kind = trial % 3
            if kind == 0:
                cost = rng.standard_normal((n, n))
            elif kind == 1:
                cost = rng.integers(0, 3, (n, n)).astype(float)  # many ties
            else:
                cost = rng.integers(-5, 6, (n, n))  # integers, given as an int array
            col = dg.linear_assignment(cost)
            assert is_permutation(col, n)
            assert assignment_cost(np.asarray(cost, float), col) == pytest.approx(
                brute_force_min_cost(np.asarray(cost, float)), abs=1e-10)


def test_assignment_of_one_and_of_none():
    assert dg.linear_assignment([[3.5]]).tolist() == [0]
    assert dg.linear_assignment(np.zeros((0, 0))).shape == (0,)


@pytest.mark.parametrize("bad, fragment", [
    (np.ones((2, 3)), "square"),
    (np.ones(4), "square"),
    (np.ones((2, 2, 2)), "square"),
    (np.array([[0.0, np.nan], [1.0, 2.0]]), "NaN"),
    (np.array([[0.0, np.inf], [1.0, 2.0]]), "infinite"),
    (np.array([["a", "b"], ["c", "d"]]), "real numbers"),
])
def test_assignment_rejects_bad_costs(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        dg.linear_assignment(bad)


def test_assignment_known_optimum_of_a_product_cost():
    """c_ij = i j: by the rearrangement inequality the cheapest matching pairs the largest i
    with the smallest j, col[i] = n - 1 - i (unique, as i j is strictly supermodular)."""
    n = 128
    cost = np.outer(np.arange(n), np.arange(n)).astype(float)
    assert np.array_equal(dg.linear_assignment(cost), np.arange(n)[::-1])


def test_assignment_at_n_256_is_fast_and_no_swap_improves_it(rng):
    n = 256
    cost = rng.standard_normal((n, n))
    start = time.perf_counter()
    col = dg.linear_assignment(cost)
    elapsed = time.perf_counter() - start
    assert is_permutation(col, n)
    # Necessary for optimality: exchanging the columns of any two rows never lowers the cost,
    # c[i, col_i] + c[j, col_j] <= c[i, col_j] + c[j, col_i] for all i, j.
    own = cost[np.arange(n), col]  # (n,)
    swapped = cost[:, col]  # swapped[i, j] = c[i, col_j]        (n, n)
    gain = own[:, None] + own[None, :] - swapped - swapped.T  # > 0 would be an improving swap
    assert gain.max() <= 1e-9
    assert elapsed < 5.0, f"linear_assignment took {elapsed:.2f} s at n = 256"  # about 0.1 s unloaded


def test_assignment_agrees_with_scipy_when_installed(rng):
    optimize = pytest.importorskip("scipy.optimize")
    for n in (30, 100):
        for cost in (rng.standard_normal((n, n)), rng.integers(0, 4, (n, n)).astype(float)):
            rows, cols = optimize.linear_sum_assignment(cost)
            col = dg.linear_assignment(cost)
            assert assignment_cost(cost, col) == pytest.approx(cost[rows, cols].sum(), abs=1e-9)


# --- 2. weights -----------------------------------------------------------------------------------


def random_net(rng, H=12, D=3, O=2):
    return (rng.standard_normal((H, H)) / np.sqrt(H), rng.standard_normal((H, D)), rng.standard_normal((O, H)))


def interleave(a, b):
    """(W_hh, W_xh, W_hy) of two networks as weight_distance's arguments:
    W_hh_a, W_hh_b, W_xh_a, W_xh_b, W_hy_a, W_hy_b."""
    return [w for pair in zip(a, b) for w in pair]


def relabel(net, perm):
    """The same network with its hidden units listed in the order perm."""
    W_hh, W_xh, W_hy = net
    return W_hh[np.ix_(perm, perm)], W_xh[perm], W_hy[:, perm]


def test_relabelled_copy_has_distance_zero_and_the_permutation_is_recovered(rng):
    net = random_net(rng)
    perm = rng.permutation(12)
    copy = relabel(net, perm)
    assert dg.weight_distance(net[0], copy[0]) < 1e-12
    assert dg.weight_distance(*interleave(net, copy)) < 1e-12
    # unit perm^-1[i] of the copy is unit i of net
    assert np.array_equal(dg.match_units(*interleave(net, copy)), np.argsort(perm))


def test_independent_networks_are_far_apart(rng):
    a, b = random_net(rng, H=20), random_net(rng, H=20)
    d = dg.weight_distance(a[0], b[0])
    unmatched = np.linalg.norm(a[0] - b[0]) / np.sqrt(np.linalg.norm(a[0]) * np.linalg.norm(b[0]))
    assert 1.0 < d <= unmatched + 1e-12  # matching helps a little; sqrt(2) ~ 1.41 before it


def test_weight_distance_is_symmetric_and_scale_free(rng):
    for _ in range(5):
        a, b = random_net(rng), random_net(rng)
        d = dg.weight_distance(*interleave(a, b))
        assert dg.weight_distance(*interleave(b, a)) == pytest.approx(d, rel=1e-12)
        scaled = dg.weight_distance(*interleave([3.7 * w for w in a], [3.7 * w for w in b]))
        assert scaled == pytest.approx(d, rel=1e-12)


def test_input_and_readout_weights_take_part_in_the_matching(rng):
    """Relabel only the recurrent weights: the recurrent matrices alone still match exactly,
    but with the input weights attached the units no longer line up."""
    W_hh, W_xh, W_hy = random_net(rng)
    perm = rng.permutation(12)
    moved = W_hh[np.ix_(perm, perm)]
    assert dg.weight_distance(W_hh, moved) < 1e-12
    assert dg.weight_distance(W_hh, moved, W_xh, W_xh, W_hy, W_hy) > 0.3


def test_heuristic_equals_exhaustive_search_on_noisy_copies(rng):
    """H = 6: b is a relabelled copy of a plus small noise, so the best relabelling is the
    planted one; the heuristic must find exactly the exhaustive minimum over all 720."""
    for _ in range(6):
        a = random_net(rng, H=6)
        noisy = tuple(w + 0.05 * rng.standard_normal(w.shape) for w in a)
        b = relabel(noisy, rng.permutation(6))
        exact = dg.exhaustive_weight_distance(*interleave(a, b))
        assert 0.01 < exact < 0.2
        assert dg.weight_distance(*interleave(a, b)) == pytest.approx(exact, rel=1e-12)
        assert dg.weight_distance(a[0], b[0]) == pytest.approx(dg.exhaustive_weight_distance(a[0], b[0]), rel=1e-12)


def test_heuristic_is_an_upper_bound_of_the_exhaustive_minimum(rng):
    hits = 0
    for _ in range(20):
        a, b = random_net(rng, H=6), random_net(rng, H=6)
        heuristic, exact = dg.weight_distance(*interleave(a, b)), dg.exhaustive_weight_distance(*interleave(a, b))
        assert heuristic >= exact - 1e-12
        hits += heuristic <= exact + 1e-12
    assert hits >= 10  # on independent random networks it is usually exact too (measured: 13 to 19 of 20, 25 seeds)


@pytest.mark.parametrize("args, fragment", [
    ((np.eye(3), np.eye(4)), "same shape"),
    ((np.ones((3, 2)), np.ones((3, 2))), r"\(H, H\)"),
    ((np.eye(3), np.eye(3), np.ones((3, 2))), "both networks"),
    ((np.eye(3), np.eye(3), np.ones((3, 2)), np.ones((4, 2))), "W_xh_b"),
    ((np.eye(3), np.full((3, 3), np.nan)), "NaN"),
    ((np.zeros((3, 3)), np.eye(3)), "all-zero"),
])
def test_weight_distance_rejects_bad_input(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        dg.weight_distance(*args)


# --- 3a. shape metric -----------------------------------------------------------------------------


def test_shape_distance_ignores_rotation_reflection_scale_and_translation(rng):
    X = rng.standard_normal((15, 4, 5))
    Q = dg.random_orthogonal(rng, 5)  # a rotation or a reflection
    assert dg.shape_distance(X, 3.0 * X @ Q + 2.0) < 1e-7
    wider = dg.random_orthogonal(rng, 7)[:5]  # (5, 7), orthonormal rows: X placed inside 7 units
    assert dg.shape_distance(X, X @ wider) < 1e-7


def test_shape_distance_of_one_unit_is_the_angle_of_the_correlation(rng):
    x, y = rng.standard_normal((2, 40))
    expected = np.arccos(abs(np.corrcoef(x, y)[0, 1]))
    assert dg.shape_distance(x[:, None], y[:, None]) == pytest.approx(expected, rel=1e-10)


def test_shape_distance_rejects_mismatched_or_constant_states(rng):
    with pytest.raises(ValueError, match="same steps and trials"):
        dg.shape_distance(rng.standard_normal((10, 2, 3)), rng.standard_normal((11, 2, 3)))
    with pytest.raises(ValueError, match="does not vary"):
        dg.shape_distance(np.ones((10, 2, 3)), rng.standard_normal((10, 2, 3)))


# --- 3b. DSA --------------------------------------------------------------------------------------


def test_delay_embedding_stacks_the_past_newest_first():
    X = np.arange(12.0).reshape(6, 1, 2)  # x_t = (2t, 2t + 1)
    E = dg.delay_embedding(X, n_delays=3, delay_interval=2)  # rows: x_(t+4), x_(t+2), x_t
    assert E.shape == (2, 1, 6)
    assert E[0, 0].tolist() == [8, 9, 4, 5, 0, 1]
    assert E[1, 0].tolist() == [10, 11, 6, 7, 2, 3]


@pytest.mark.parametrize("coordinates", ["modes", "pca"])
def test_fitted_map_has_the_eigenvalues_of_the_true_linear_system(rng, coordinates):
    A_true = stable_linear_system(rng, 5)
    X = run_linear(A_true, rng.standard_normal((6, 5)), 25)
    A = dg.fit_delay_dmd(X, n_delays=1, rank=5, coordinates=coordinates)
    eig = np.sort_complex(np.linalg.eigvals(A))
    assert np.allclose(eig, np.sort_complex(np.linalg.eigvals(A_true)), atol=1e-8)


def test_procrustes_gradient_matches_central_differences(rng):
    r, eps = 5, 1e-6
    A, B, C = rng.standard_normal((3, r, r))  # the Euclidean gradient holds for any square C
    _, G = dg.procrustes_objective(C, A, B)
    numeric = np.zeros_like(C)
    for idx in np.ndindex(C.shape):
        step = np.zeros_like(C)
        step[idx] = eps
        f_plus, f_minus = dg.procrustes_objective(C + step, A, B)[0], dg.procrustes_objective(C - step, A, B)[0]
        numeric[idx] = (f_plus - f_minus) / (2 * eps)
    error = np.abs(G - numeric).max() / max(np.abs(numeric).max(), 1e-12)
    record_and_assert({"dC": error}, "degeneracy.procrustes_objective")
    # On the orthogonal group: along C cay(t W), W skew, the slope at t = 0 is <skew(C^T G), W>.
    C = dg.random_orthogonal(rng, r)
    W = rng.standard_normal((r, r))
    W = W - W.T
    _, G = dg.procrustes_objective(C, A, B)
    M = C.T @ G
    predicted = (0.5 * (M - M.T) * W).sum()
    f = lambda t: dg.procrustes_objective(C @ dg._cayley(t * W), A, B)[0]  # noqa: E731
    numeric_slope = (f(eps) - f(-eps)) / (2 * eps)
    record_and_assert({"slope on O(r)": abs(predicted - numeric_slope) / abs(numeric_slope)},
                      "degeneracy.procrustes_objective (Riemannian)")


def test_procrustes_finds_a_planted_rotation(rng):
    r = 6
    A = rng.standard_normal((r, r))
    C_true = dg.random_orthogonal(rng, r)
    B = C_true.T @ A @ C_true  # A = C_true B C_true^T
    distance, C = dg.vector_field_procrustes(A, B, rng)
    assert distance < 1e-8
    assert np.allclose(C.T @ C, np.eye(r), atol=1e-10)
    # the descent alone, from a start near the answer, also gets there
    near = C_true @ dg._cayley(0.3 * (lambda W: W - W.T)(rng.standard_normal((r, r))))
    C_found, f = dg._descend(A, B, near, 2000, 0.0)
    assert np.sqrt(f) < 1e-6


def test_rotated_copies_are_near_zero_against_the_distance_between_systems(rng):
    """A linear and a nonlinear (tanh RNN) system against a copy with its units mixed by a
    random orthogonal Q: distance below 1e-3 of that between two different systems."""
    N, T, B = 6, 40, 8
    linear = [run_linear(stable_linear_system(rng, N), rng.standard_normal((B, N)), T) for _ in range(2)]
    tanh = [run_tanh_rnn(1.5 * rng.standard_normal((N, N)) / np.sqrt(N), rng.standard_normal((B, N)), T)
            for _ in range(2)]
    for (X, Y), settings in ((linear, dict(n_delays=1, rank=6)), (tanh, dict(n_delays=2, rank=8))):
        Q = dg.random_orthogonal(rng, N)
        between_systems = dg.dsa_distance(X, Y, rng=rng, **settings)
        copy = dg.dsa_distance(X, X @ Q, rng=rng, **settings)
        assert between_systems > 0.1
        assert copy < 1e-3 * between_systems
        assert dg.dsa_distance(X, X, rng=rng, **settings) < 1e-12


def test_same_linear_dynamics_from_other_states_need_the_rotation_and_get_zero(rng):
    """In PCA coordinates, two runs of one linear system x -> A x from different initial states
    give maps V1^T A V1 and V2^T A V2 (V the principal directions): equal only up to the
    rotation V1^T V2, which the Procrustes step must find. (A rotated copy of the data, by
    contrast, gives the very same map: fit_delay_dmd fixes the signs of its coordinates.)"""
    N, T, B = 4, 30, 10
    A = stable_linear_system(rng, N, radius=0.9) + 0.3 * np.triu(rng.standard_normal((N, N)), 1)  # non-normal
    X, Y = (run_linear(A, rng.standard_normal((B, N)), T) for _ in range(2))
    A_x, A_y = (dg.fit_delay_dmd(Z, rank=N, coordinates="pca") for Z in (X, Y))
    assert np.linalg.norm(A_x - A_y) > 0.1  # unaligned, the maps differ
    assert dg.dsa_distance(X, Y, rng=rng, coordinates="pca") < 1e-8
    other = run_linear(stable_linear_system(rng, N, radius=0.9), rng.standard_normal((B, N)), T)
    assert dg.dsa_distance(X, other, rng=rng, coordinates="pca") > 0.1


def test_dsa_is_symmetric(rng):
    N, T, B = 5, 40, 6
    X = run_tanh_rnn(1.4 * rng.standard_normal((N, N)) / np.sqrt(N), rng.standard_normal((B, N)), T)
    Y = run_tanh_rnn(1.4 * rng.standard_normal((N, N)) / np.sqrt(N), rng.standard_normal((B, N)), T)
    for score in ("euclidean", "angular"):
        forward = dg.dsa_distance(X, Y, rng=np.random.default_rng(1), n_delays=2, rank=6, score=score)
        backward = dg.dsa_distance(Y, X, rng=np.random.default_rng(2), n_delays=2, rank=6, score=score)
        assert forward > 0.1
        assert backward == pytest.approx(forward, rel=1e-6)


def spiral(theta, x0, T, embedding, radius=0.97):
    """A decaying rotation by theta per step in a plane of N units: (T, B, N)."""
    c, s = radius * np.cos(theta), radius * np.sin(theta)
    return run_linear(np.array([[c, -s], [s, c]]), x0, T) @ embedding.T


@pytest.mark.parametrize("coordinates", ["modes", "pca"])
def test_shape_and_dsa_disagree_on_what_is_similar(rng, coordinates):
    """Reference R: a decaying rotation (0.3 rad per step) in a plane of 5 units, 16 trials.
    P: a faster rotation (0.4 rad) started from R's initial states: other dynamics, nearby states.
    Q: R's own dynamics started from other initial states: same dynamics, other states.
    The shape metric, which compares states, finds P the closer one; DSA, which compares
    the dynamics, finds Q closer, by more than a factor 5 with the whitened time modes
    (measured: at least 7 over 25 seeds; whitening depends on how the states are spread)
    and exactly (0) in PCA coordinates, which a linear system maps orthogonally."""
    embedding = dg.random_orthogonal(rng, 5)[:, :2]  # (N, 2), orthonormal columns
    x0, other_x0 = rng.standard_normal((2, 16, 2))
    R = spiral(0.3, x0, 30, embedding)
    P = spiral(0.4, x0, 30, embedding)
    Q = spiral(0.3, other_x0, 30, embedding)
    assert dg.shape_distance(R, P) < dg.shape_distance(R, Q) - 0.2  # measured margin >= 0.4
    settings = dict(rng=rng, n_delays=1, rank=2, coordinates=coordinates)
    to_P, to_Q = dg.dsa_distance(R, P, **settings), dg.dsa_distance(R, Q, **settings)
    assert to_P > 0.1
    assert to_P > 5 * to_Q
    if coordinates == "pca":
        assert to_Q < 1e-10


def test_angular_score_is_an_angle(rng):
    X = run_linear(stable_linear_system(rng, 4), rng.standard_normal((5, 4)), 30)
    Y = run_linear(stable_linear_system(rng, 4), rng.standard_normal((5, 4)), 30)
    angle = dg.dsa_distance(X, Y, rng=rng, score="angular")
    assert 0.05 < angle <= np.pi
    assert dg.dsa_distance(X, 2.0 * X @ dg.random_orthogonal(rng, 4), rng=rng, score="angular") < 1e-6


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(rank=9), "exceeds the embedding"),
    (dict(n_delays=20), "steps"),
    (dict(rank=0), "rank must be an integer"),
    (dict(score="cosine"), "score"),
    (dict(coordinates="raw"), "coordinates"),
    (dict(rng=np.random.RandomState(0)), "Generator"),
])
def test_dsa_rejects_bad_settings(rng, kwargs, fragment):
    X = rng.standard_normal((20, 3, 4))
    settings = dict(rng=rng, n_delays=2, rank=4) | kwargs
    with pytest.raises(ValueError, match=fragment):
        dg.dsa_distance(X, X, **settings)


def test_dsa_rejects_a_rank_the_data_do_not_have(rng):
    X = rng.standard_normal((20, 3, 1)) @ np.ones((1, 4))  # four identical units: one direction
    with pytest.raises(ValueError, match="lower rank"):
        dg.dsa_distance(X, X, rng=rng, rank=2)


# --- 4. behaviour, and 5. from pairs to K networks -------------------------------------------------


def test_behaviour_degeneracy_is_the_spread_of_per_network_error(rng):
    errors = rng.uniform(0.1, 1.0, (7, 3))  # 7 networks, 3 OOD conditions each
    per_network = errors.mean(axis=1)
    assert dg.behaviour_degeneracy(errors) == pytest.approx(np.std(per_network, ddof=1))
    relative = dg.behaviour_degeneracy(errors, relative=True)
    assert relative == pytest.approx(np.std(per_network, ddof=1) / per_network.mean())
    assert dg.behaviour_degeneracy(10.0 * errors, relative=True) == pytest.approx(relative)
    assert dg.behaviour_degeneracy(np.full(5, 0.3)) == 0.0
    for bad, fragment in ((np.array([0.1]), "at least 2"), (np.array([0.1, np.nan]), "NaN")):
        with pytest.raises(ValueError, match=fragment):
            dg.behaviour_degeneracy(bad)
    with pytest.raises(ValueError, match="positive"):
        dg.behaviour_degeneracy(np.array([-1.0, 0.5]), relative=True)


def test_pairwise_and_mean_offdiagonal():
    calls = []

    def gap(a, b):
        calls.append((a, b))
        return abs(a - b)

    D = dg.pairwise([1.0, 4.0, 6.0, 10.0], gap)
    assert len(calls) == 6  # each pair once
    assert np.array_equal(D, np.abs(np.subtract.outer([1.0, 4, 6, 10], [1.0, 4, 6, 10])))
    assert dg.mean_offdiagonal(D) == pytest.approx((3 + 5 + 9 + 2 + 6 + 4) / 6)
    with pytest.raises(ValueError, match="K >= 2"):
        dg.mean_offdiagonal(np.zeros((1, 1)))
    with pytest.raises(ValueError, match="not finite"):
        dg.pairwise([1.0, 2.0], lambda a, b: np.nan)


def test_weight_degeneracy_of_relabelled_copies_is_zero(rng):
    """K = 4 networks that are one network relabelled: every level-wide degeneracy is 0;
    replacing one by an unrelated network makes it clearly positive."""
    net = random_net(rng, H=8)
    copies = [relabel(net, rng.permutation(8)) for _ in range(4)]
    distance = lambda a, b: dg.weight_distance(*interleave(a, b))  # noqa: E731
    assert dg.mean_offdiagonal(dg.pairwise(copies, distance)) < 1e-12
    copies[2] = random_net(rng, H=8)
    assert dg.mean_offdiagonal(dg.pairwise(copies, distance)) > 0.3
