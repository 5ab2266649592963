"""Solution degeneracy: how different are networks trained on the same task from different seeds?

Huang, Singh, Martinelli & Rajan, "Measuring and Controlling Solution Degeneracy across
Task-Trained Recurrent Neural Networks" (NeurIPS 2025, arXiv:2410.03972) compare the networks
of one task at three levels: behaviour, neural dynamics and weights. This module gives one
measure per level, and two helpers that turn a distance between two networks into the
degeneracy of K networks:

    level      function                          what two networks are compared on
    behaviour  behaviour_degeneracy(errors)      (K networks at once) spread of their OOD error
    dynamics   dsa_distance(X, Y, rng=...)       linear dynamics fitted to their trajectories,
                                                 up to an orthogonal change of coordinates
               shape_distance(X, Y)              baseline: the states themselves, up to a rotation
    weights    weight_distance(Wa, Wb, ...)      the weights, up to a relabelling of hidden units

    pairwise(items, distance) -> D (K, K);   mean_offdiagonal(D) -> the degeneracy of K networks

Building blocks, public because the tests check them one by one: linear_assignment (optimal
matching), match_units, exhaustive_weight_distance (all H! relabellings, small H),
delay_embedding, fit_delay_dmd, procrustes_objective, vector_field_procrustes,
random_orthogonal.

Shapes (the engine's glossary, _shapes.py, plus three letters of this module):
    T steps      B trials (batch)      N units recorded (N = H for an RNN's hidden states)
    H hidden     D input               O output
    K networks   d delays              r rank of the DSA model
    trajectories X: (T, B, N) time-major, one network (index a population axis first:
    X[:, k] for network k of a (T, K, B, N) array); (T, N) is read as one trial.

What the paper specifies, and where this module departs from it
-----------------------------------------------------------------
This module was written without the paper's methods section: the copies of
arXiv:2410.03972 (v1-v3), of the NeurIPS/PMC version and of the Kempner Institute blog post
(kempnerinstitute.harvard.edu/?p=15723) that could be consulted gave only the abstract and
introduction, and no public code repository of the paper was found. The abstract fixes the
three levels, the four tasks (flip-flop, sine wave, delayed discrimination, path
integration) and the comparison of networks trained to similar performance; it does not
give the formulas. Check these definitions against the paper before setting numbers beside
the paper's. So:
  - behaviour: the sample standard deviation across networks of their out-of-distribution
    error (optionally divided by the mean). This is this module's choice, not a quotation.
  - dynamics: Dynamical Similarity Analysis as defined by Ostrow, Eisen, Kozachkov & Fiete
    (NeurIPS 2023). Facts taken from their public package (github.com/mitchellostrow/DSA,
    DSA/dsa.py, DSA/dmd.py, DSA/simdist.py): the model is HAVOK-style DMD, fitted in the
    coordinates of the singular vectors over time ("time modes") of the delay-embedded
    data; the defaults there are n_delays=1, rank=all, 1500 Adam steps (rate 5e-3) on an
    orthogonal C written through a Cayley map, started from the identity and from the
    identity with two rows swapped; the default score is the angle
    arccos(<A, C B C^T> / (|A| |B|)), a Euclidean score |A - C B C^T|_F the other option.
    Here: the same model (plus a "pca" choice of coordinates, see fit_delay_dmd) and the
    same two scores, score="euclidean" being the default (the distance as the DSA paper
    writes it), but the orthogonal C is found by Riemannian conjugate gradients with an
    Armijo line search, from spectral and random starts (see vector_field_procrustes). The
    paper's own n_delays and rank could not be read; choose them per task and report them.
  - weights: a distance after matching hidden units by a permutation (the symmetry every RNN
    has). The paper's exact matching and normalisation could not be read; the one here is
    documented in weight_distance.

Everything is computed in float64.
"""

import itertools

import numpy as np

from ._shapes import as_float, require

# --- small checks ---------------------------------------------------------------------------------


def _finite_float_array(value, name):
    """value as a float64 array of finite numbers."""
    a = np.asarray(as_float(value, name), dtype=np.float64)
    require(np.isfinite(a).all(), "{} holds NaN or infinite values", name)
    return a


def _check_generator(rng):
    require(isinstance(rng, np.random.Generator),
            "rng must be a numpy.random.Generator (e.g. np.random.default_rng(0)); got {}", type(rng).__name__)


def _check_count(value, name, minimum):
    require(isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum,
            "{} must be an integer >= {}; got {!r}", name, minimum, value)


# --- 1. optimal matching: the linear assignment problem -------------------------------------------


def linear_assignment(cost):
    """Minimum-cost perfect matching of the rows of a square cost matrix to its columns.

    cost: (n, n) finite real numbers  ->  col (n,) int, a permutation: row i is assigned
    column col[i], and sum_i cost[i, col[i]] is the smallest over all n! permutations.

    Method: shortest augmenting paths with dual potentials (Kuhn-Munkres in the form of
    Jonker & Volgenant). Keep a number u_i per row and v_j per column such that every
    reduced cost
        c'_ij = c_ij - u_i - v_j >= 0,     with c'_ij = 0 for every matched pair (i, j).
    Then the matching is optimal: for any permutation s, sum_i c_i,s(i) >= sum_i u_i + sum_j v_j,
    which the matched pairs attain. Rows are added one at a time; for the new row, Dijkstra's
    algorithm on the reduced costs (all >= 0) finds the cheapest alternating path (new row ->
    column -> its matched row -> column ...) to a free column. Each step of the search
    reaches the open column nearest to the tree, at reduced distance delta, and shifts the
    potentials of the rows and columns already in the tree by delta: every c'_ij stays >= 0,
    the tree's edges stay tight, and when a free column is reached the whole path is tight.
    Flipping the path matches one more row. Among columns tied at delta a free one is taken
    first: that ends the search early (integer costs in 0..2 at n = 256: 0.014 s instead of
    0.55 s). Each step is one vectorized pass over the n columns, and a row takes at most n
    steps: O(n^3) in the worst case. Measured at n = 256 on a busy 2-core machine: 0.05 to
    0.12 s for Gaussian or uniform costs, 0.8 s for c_ij = i j (every row needs a long path).
    """
    cost = _finite_float_array(cost, "cost")
    require(cost.ndim == 2 and cost.shape[0] == cost.shape[1],
            "cost must be a square (n, n) matrix; got shape {}", cost.shape)
    n = cost.shape[0]
    row_of = np.full(n + 1, -1)  # row_of[j]: row matched to column j; column n is virtual  (n+1,)
    u = np.zeros(n)  # row potentials                                                       (n,)
    v = np.zeros(n + 1)  # column potentials (v[n]: the virtual column's)                  (n+1,)
    for row in range(n):
        row_of[n] = row  # the new row hangs from the virtual column, where its search starts
        _add_row(cost, row_of, u, v)
    col = np.empty(n, dtype=np.int64)
    col[row_of[:n]] = np.arange(n)
    return col


def _add_row(cost, row_of, u, v):
    """One augmentation: extend the matching by the row hanging from the virtual column."""
    n = cost.shape[0]
    dist = np.full(n, np.inf)  # reduced length of the cheapest path found to each column     (n,)
    came_from = np.full(n, n)  # previous column on that path (n: the virtual column)        (n,)
    reached = np.zeros(n + 1, dtype=bool)  # columns whose shortest path is final             (n+1,)
    j = n
    while True:
        reached[j] = True
        i = row_of[j]  # the row matched to the column just reached
        through_i = cost[i] - u[i] - v[:n]  # c'_ij: step from row i to each column            (n,)
        shorter = ~reached[:n] & (through_i < dist)
        dist[shorter] = through_i[shorter]
        came_from[shorter] = j
        open_dist = np.where(reached[:n], np.inf, dist)  # (n,)
        j = int(np.argmin(open_dist))
        delta = open_dist[j]  # length of the shortest path to a new column
        if row_of[j] != -1:  # among columns tied at delta, prefer a free one: ends the search
            free_and_tied = np.flatnonzero((open_dist == delta) & (row_of[:n] == -1))
            if free_and_tied.size:
                j = int(free_and_tied[0])
        # Shift the potentials by delta: reduced costs stay >= 0, the tree's edges stay tight,
        # and the tentative distances of the columns not yet reached shrink by delta.
        u[row_of[reached]] += delta
        v[reached] -= delta
        dist[~reached[:n]] -= delta
        if row_of[j] == -1:  # a free column: the augmenting path ends here
            break
    while j != n:  # flip the path: each column on it takes the row of its predecessor
        previous = came_from[j]
        row_of[j] = row_of[previous]
        j = previous


# --- 2. weights: distance after matching hidden units ---------------------------------------------


def _weight_set(W_hh, W_xh, W_hy, side):
    """Check one network's weights; return (W (H, H), F (H, D + O)), F the weights that
    belong to one hidden unit and are indexed by fixed inputs/outputs: its row of W_xh and
    its column of W_hy."""
    W = _finite_float_array(W_hh, f"W_hh_{side}")
    require(W.ndim == 2 and W.shape[0] == W.shape[1], "W_hh_{} must have shape (H, H); got {}", side, W.shape)
    H = W.shape[0]
    parts = [np.zeros((H, 0))]
    if W_xh is not None:
        W_xh = _finite_float_array(W_xh, f"W_xh_{side}")
        require(W_xh.ndim == 2 and W_xh.shape[0] == H, "W_xh_{} must have shape (H, D) = ({}, D); got {}",
                side, H, W_xh.shape)
        parts.append(W_xh)  # row i: unit i's input weights            (H, D)
    if W_hy is not None:
        W_hy = _finite_float_array(W_hy, f"W_hy_{side}")
        require(W_hy.ndim == 2 and W_hy.shape[1] == H, "W_hy_{} must have shape (O, H) = (O, {}); got {}",
                side, H, W_hy.shape)
        parts.append(W_hy.T)  # row i: unit i's readout weights         (H, O)
    return W, np.concatenate(parts, axis=1)


def _squared_distances(Fa, Fb):
    """|Fa_i - Fb_j|^2 for every pair of rows: (H, k), (H, k) -> (H, H)."""
    sq = (Fa * Fa).sum(1)[:, None] + (Fb * Fb).sum(1)[None, :] - 2.0 * Fa @ Fb.T
    return np.maximum(sq, 0.0)


def _matching_error(Wa, Fa, Wb, Fb, perm):
    """E(perm) = |Wa - Wb[perm][:, perm]|^2 + |Fa - Fb[perm]|^2: unit perm[i] of b put in place i.
    In matrix form Wb[perm][:, perm] = P Wb P^T with P_i,perm[i] = 1."""
    return float(((Wa - Wb[np.ix_(perm, perm)]) ** 2).sum() + ((Fa - Fb[perm]) ** 2).sum())


def _invariant_start(Wa, Fa, Wb, Fb):
    """A first matching from what does not depend on the other units' labels: each unit's
    incoming and outgoing recurrent weights as sorted lists, its self-connection, and its
    input and readout weights (indexed by fixed inputs and outputs). For an exact relabelled
    copy with distinct units, these features of matching units coincide: the start is exact."""
    cost = (_squared_distances(np.sort(Wa, axis=1), np.sort(Wb, axis=1))  # incoming, sorted
            + _squared_distances(np.sort(Wa, axis=0).T, np.sort(Wb, axis=0).T)  # outgoing, sorted
            + (np.diag(Wa)[:, None] - np.diag(Wb)[None, :]) ** 2  # self-connection
            + _squared_distances(Fa, Fb))  # input and readout weights      (H, H)
    return linear_assignment(cost)


def _refine_matching(Wa, Fa, Wb, Fb, perm, max_rounds):
    """Coordinate ascent on the agreement <Wa, P Wb P^T> + <Fa, P Fb> (minimizing E is the
    same thing, as |P Wb P^T| = |Wb|). Holding the permutation of one side of Wb fixed makes
    the agreement linear in the other: unit i of a and unit j of b agree by
        S_ij = <Wa[i, :], Wb[j, perm]> + <Wa[:, i], Wb[perm, j]> + <Fa_i, Fb_j>
    (incoming weights, outgoing weights, fixed-index weights), and the best new matching is
    linear_assignment(-S). A new matching is kept only if it lowers the true E; the loop
    stops at the first one that does not. Returns (perm, E)."""
    error = _matching_error(Wa, Fa, Wb, Fb, perm)
    for _ in range(max_rounds):
        S = Wa @ Wb[:, perm].T + Wa.T @ Wb[perm, :] + Fa @ Fb.T  # agreement of a_i with b_j   (H, H)
        candidate = linear_assignment(-S)
        candidate_error = _matching_error(Wa, Fa, Wb, Fb, candidate)
        if not candidate_error < error * (1.0 - 1e-12):
            break
        perm, error = candidate, candidate_error
    return perm, error


def _best_matching(Wa, Fa, Wb, Fb, max_rounds):
    """Refine from the invariant start and from the identity; keep the better: (perm, E)."""
    H = Wa.shape[0]
    results = [_refine_matching(Wa, Fa, Wb, Fb, start, max_rounds)
               for start in (_invariant_start(Wa, Fa, Wb, Fb), np.arange(H))]
    return min(results, key=lambda result: result[1])


def match_units(W_hh_a, W_hh_b, W_xh_a=None, W_xh_b=None, W_hy_a=None, W_hy_b=None, max_rounds=50):
    """The relabelling of network b's hidden units that best matches network a.

    Returns perm (H,): unit perm[i] of b plays the part of unit i of a, so that
    W_hh_b[perm][:, perm] (= P W_hh_b P^T), W_xh_b[perm] and W_hy_b[:, perm] line up with a's.
    It minimizes, over permutations P, the matching error
        E(P) = |W_hh_a - P W_hh_b P^T|^2 + |W_xh_a - P W_xh_b|^2 + |W_hy_a - W_hy_b P^T|^2
    (squared Frobenius norms; the input and readout terms only when both networks' matrices
    are given). The recurrent term makes this a quadratic assignment problem, NP-hard in
    general, so the result is a heuristic: a start from label-free unit features, then
    coordinate ascent by linear assignments (see _invariant_start, _refine_matching), also
    from the identity, keeping the lower E. It is exact for a relabelled copy of a network
    with distinct units, and its E is never below the true minimum. Measured against all
    720 relabellings at H = 6 (tests): exact on every noisy relabelled copy, and on 13 to
    19 of 20 pairs of independent random networks (25 seeds). Cost: a few LAPs of size H
    per round; H = 128 took about 2 s for two unrelated networks, 0.4 s for near copies."""
    _check_count(max_rounds, "max_rounds", 0)
    Wa, Fa = _weight_set(W_hh_a, W_xh_a, W_hy_a, "a")
    Wb, Fb = _weight_set(W_hh_b, W_xh_b, W_hy_b, "b")
    _check_same_layout(Wa, Fa, Wb, Fb, W_xh_a, W_xh_b, W_hy_a, W_hy_b)
    return _best_matching(Wa, Fa, Wb, Fb, max_rounds)[0]


def _check_same_layout(Wa, Fa, Wb, Fb, W_xh_a, W_xh_b, W_hy_a, W_hy_b):
    require(Wa.shape == Wb.shape, "W_hh_a and W_hh_b must have the same shape (H, H); got {} and {}",
            Wa.shape, Wb.shape)
    require((W_xh_a is None) == (W_xh_b is None), "give W_xh for both networks or for neither")
    require((W_hy_a is None) == (W_hy_b is None), "give W_hy for both networks or for neither")
    require(Fa.shape == Fb.shape, "the input/readout weights of the two networks differ in shape: {} and {} "
            "(columns of W_xh rows + W_hy columns per unit)", Fa.shape, Fb.shape)


def weight_distance(W_hh_a, W_hh_b, W_xh_a=None, W_xh_b=None, W_hy_a=None, W_hy_b=None, max_rounds=50):
    """Permutation-invariant, scale-free distance between two networks' weights.

    W_hh: (H, H); optional W_xh: (H, D) and W_hy: (O, H), for both networks or neither, so
    that units are matched on all their connections. With Theta = (W_hh, W_xh, W_hy) (the
    matrices given) and |Theta|^2 the sum of their squared Frobenius norms:

        d(a, b) = sqrt(min_P E(P)) / sqrt(|Theta_a| |Theta_b|)

    E(P) the matching error of match_units (|W_hh_a - P W_hh_b P^T|^2 + input and readout
    terms). The denominator, the geometric mean of the two networks' norms, makes d
    scale-free: d(c a, c b) = d(a, b) for any c > 0. d = 0 when b is a relabelled copy of a
    (with distinct units, which the matching then finds). Two independent networks with
    i.i.d. Gaussian W_hh of one scale sit near sqrt(2) before matching; after it, measured
    (5 pairs each): 1.11 to 1.24 at H = 6, 1.11 to 1.37 at H = 20, 1.38 to 1.40 at H = 64.

    Symmetry: the matching is run both ways (b onto a, and a onto b) and the lower E is
    kept. E is the same for P and for P^T with the roles swapped, so d(a, b) = d(b, a), and
    d is still an upper bound of the exact minimum over all H! relabellings.
    """
    _check_count(max_rounds, "max_rounds", 0)
    Wa, Fa = _weight_set(W_hh_a, W_xh_a, W_hy_a, "a")
    Wb, Fb = _weight_set(W_hh_b, W_xh_b, W_hy_b, "b")
    _check_same_layout(Wa, Fa, Wb, Fb, W_xh_a, W_xh_b, W_hy_a, W_hy_b)
    norm_a = np.sqrt((Wa**2).sum() + (Fa**2).sum())  # |Theta_a|
    norm_b = np.sqrt((Wb**2).sum() + (Fb**2).sum())  # |Theta_b|
    require(norm_a > 0 and norm_b > 0, "weight_distance is undefined for all-zero weights (|Theta_a| = {}, "
            "|Theta_b| = {})", norm_a, norm_b)
    error = min(_best_matching(Wa, Fa, Wb, Fb, max_rounds)[1], _best_matching(Wb, Fb, Wa, Fa, max_rounds)[1])
    return float(np.sqrt(error) / np.sqrt(norm_a * norm_b))


def exhaustive_weight_distance(W_hh_a, W_hh_b, W_xh_a=None, W_xh_b=None, W_hy_a=None, W_hy_b=None):
    """weight_distance with the exact minimum over all H! relabellings (H <= 8): a reference
    for the heuristic, and usable as such on very small networks."""
    Wa, Fa = _weight_set(W_hh_a, W_xh_a, W_hy_a, "a")
    Wb, Fb = _weight_set(W_hh_b, W_xh_b, W_hy_b, "b")
    _check_same_layout(Wa, Fa, Wb, Fb, W_xh_a, W_xh_b, W_hy_a, W_hy_b)
    H = Wa.shape[0]
    require(H <= 8, "exhaustive_weight_distance tries all H! relabellings: H <= 8 only; got H = {}", H)
    norm_a = np.sqrt((Wa**2).sum() + (Fa**2).sum())
    norm_b = np.sqrt((Wb**2).sum() + (Fb**2).sum())
    require(norm_a > 0 and norm_b > 0, "weight_distance is undefined for all-zero weights")
    perms = np.array(list(itertools.permutations(range(H))))  # (H!, H)
    moved_W = Wb[perms[:, :, None], perms[:, None, :]]  # P Wb P^T for every P       (H!, H, H)
    errors = ((Wa - moved_W) ** 2).sum((1, 2)) + ((Fa - Fb[perms]) ** 2).sum((1, 2))  # (H!,)
    return float(np.sqrt(errors.min()) / np.sqrt(norm_a * norm_b))


# --- 3a. dynamics baseline: shape of the states ---------------------------------------------------


def _trajectories(X, name):
    """X as float64 (T, B, N) finite trajectories; (T, N) becomes one trial (T, 1, N)."""
    X = _finite_float_array(X, name)
    if X.ndim == 2:
        X = X[:, None, :]
    require(X.ndim == 3 and min(X.shape) >= 1,
            "{} must be trajectories of shape (T, B, N) (time, trials, units) or (T, N); got {}", name, X.shape)
    return X


def shape_distance(X, Y):
    """Angular Procrustes distance between two sets of states (a shape metric in the sense of
    Williams, Kunz, Kornblith & Linderman 2021): compares where the states are, not how they move.

    X: (T, B, N), Y: (T, B, M), states at the same T steps of the same B trials (N and M may
    differ)  ->  an angle in [0, pi/2].

        Xc = X - mean over rows, each as a (T B, N) matrix; then Xc / |Xc|_F  (likewise Y)
        d(X, Y) = arccos( max over orthogonal Q of <Xc, Yc Q> ) = arccos( |Xc^T Yc|_* )
    |.|_* the nuclear norm (sum of singular values): the best rotation is found exactly by
    one SVD (orthogonal Procrustes). When N != M the smaller state is padded with zero units,
    which the nuclear norm of the (N, M) matrix Xc^T Yc already accounts for.
    Invariant to rotations and reflections of either state space, to translation and to
    scale. Two networks whose states differ by a rotation get 0, whatever their dynamics.
    """
    X, Y = _trajectories(X, "X"), _trajectories(Y, "Y")
    require(X.shape[:2] == Y.shape[:2], "X and Y must hold the same steps and trials: (T, B) = {} and {}",
            X.shape[:2], Y.shape[:2])
    Xc = _centred_unit(X.reshape(-1, X.shape[-1]), "X")  # (T B, N)
    Yc = _centred_unit(Y.reshape(-1, Y.shape[-1]), "Y")  # (T B, M)
    agreement = np.linalg.svd(Xc.T @ Yc, compute_uv=False).sum()  # max_Q <Xc, Yc Q>
    return float(np.arccos(np.clip(agreement, -1.0, 1.0)))


def _centred_unit(Z, name):
    """Columns centred, then the whole matrix scaled to unit Frobenius norm: (S, N) -> (S, N)."""
    Z = Z - Z.mean(axis=0)
    norm = np.linalg.norm(Z)
    require(norm > 0, "{} does not vary: its states are all equal, so it has no shape to compare", name)
    return Z / norm


# --- 3b. dynamics: Dynamical Similarity Analysis --------------------------------------------------


def delay_embedding(X, n_delays, delay_interval=1):
    """Stack each state with its past: the rows of a Hankel matrix.

    X: (T, B, N)  ->  E: (T', B, d N), T' = T - (d - 1) tau, d = n_delays, tau = delay_interval:
        E[t] = [x_(t + (d-1) tau), x_(t + (d-2) tau), ..., x_t]   (newest first)
    Trials are embedded separately: a delay never reaches into another trial.
    """
    X = _trajectories(X, "X")
    _check_count(n_delays, "n_delays", 1)
    _check_count(delay_interval, "delay_interval", 1)
    span = (n_delays - 1) * delay_interval  # steps of past each row reaches back
    require(X.shape[0] > span + 1, "need more than (n_delays - 1) * delay_interval + 1 = {} steps to fit "
            "dynamics on a delay embedding; X has T = {}", span + 1, X.shape[0])
    T_out = X.shape[0] - span
    blocks = [X[span - k * delay_interval: span - k * delay_interval + T_out] for k in range(n_delays)]
    return np.concatenate(blocks, axis=-1)  # block k: x lagged by k tau   (T', B, d N)


def fit_delay_dmd(X, n_delays=1, rank=None, delay_interval=1, coordinates="modes"):
    """The linear one-step map of X's delay-embedded dynamics in r coordinates (HAVOK-style
    delay DMD, the model DSA compares).

    X: (T, B, N)  ->  A: (r, r), (out, in), with z_(t+1) ~ A z_t
    1. Delay embedding E (T', B, d N), see delay_embedding.
    2. SVD of the stacked rows: E as (T' B, d N) = U S V^T. The coordinates z_t are
         coordinates="modes": row t of U[:, :r], the r leading time modes, each of unit norm
                              (HAVOK and the DSA package: the data whitened in that subspace);
         coordinates="pca":   row t of U[:, :r] S[:r] = E V[:, :r], the projection of the
                              embedded state on its r leading principal directions.
       Rotating the units (X -> X Q, Q orthogonal) leaves E E^T, hence U and S, unchanged up
       to the sign of each mode: the coordinates, and A, do not depend on how the units are
       labelled or mixed. The two choices differ for the same dynamics seen from other
       initial states: whitening depends on how the states are spread, so "modes" gives
       maps related by a general (not orthogonal) similarity and a small DSA distance, while
       "pca" gives exactly orthogonally similar maps for a linear system whose states span
       r dimensions (distance 0).
    3. Least squares over all consecutive pairs within each trial:
           A = argmin sum_(t, b) |z_(t+1),b - A z_t,b|^2,   i.e. Z_+ ~ Z_- A^T.
    Each coordinate's sign is fixed (its entry of largest magnitude over all rows made
    positive), which changes A only by an orthogonal similarity (the distance below does not
    see it) but makes an exact rotated copy give the same A: a good start for the optimizer.
    rank=None keeps every direction: r = d N. rank must not exceed d N nor the number of
    one-step pairs. A is unchanged when X is scaled.
    """
    require(coordinates in ("modes", "pca"), "coordinates must be 'modes' or 'pca'; got {!r}", coordinates)
    E = delay_embedding(X, n_delays, delay_interval)  # (T', B, d N)
    T_out, B, width = E.shape
    if rank is None:
        rank = width
    _check_count(rank, "rank", 1)
    n_pairs = (T_out - 1) * B
    require(rank <= width, "rank {} exceeds the embedding's dimension n_delays * N = {}", rank, width)
    require(rank <= n_pairs, "rank {} exceeds the number of one-step pairs (T' - 1) B = {}: too few "
            "samples to fit a {} x {} map", rank, n_pairs, rank, rank)
    U, S, _ = np.linalg.svd(E.reshape(T_out * B, width), full_matrices=False)  # (T' B, m), (m,)
    Z = U[:, :rank] if coordinates == "modes" else U[:, :rank] * S[:rank]  # (T' B, r)
    require(S[rank - 1] > 1e-12 * S[0], "X's delay embedding has fewer than rank = {} independent directions "
            "(singular values {}): lower rank", rank, S[: rank])
    signs = np.sign(Z[np.abs(Z).argmax(axis=0), np.arange(rank)])  # (r,)
    Z = (Z * signs).reshape(T_out, B, rank)  # (T', B, r)
    Z_now = Z[:-1].reshape(-1, rank)  # z_t                             ((T'-1) B, r)
    Z_next = Z[1:].reshape(-1, rank)  # z_(t+1)                         ((T'-1) B, r)
    A_transposed = np.linalg.lstsq(Z_now, Z_next, rcond=None)[0]  # Z_+ ~ Z_- A^T   (r, r)
    return A_transposed.T  # (r, r): z_(t+1) = A z_t


def procrustes_objective(C, A, B):
    """f(C) = |A - C B C^T|_F^2 and its Euclidean gradient df/dC, for any square C.

    A, B, C: (r, r)  ->  f, G (r, r).  With R = A - C B C^T,
        df = -2 <R, dC B C^T + C B dC^T> = -2 <R C B^T + R^T C B, dC>
    so G = -2 (R C B^T + R^T C B). (<X, Y> = trace(X^T Y); <R, C B dC^T> = <R^T C B, dC>.)
    On the orthogonal group the Riemannian gradient is C skew(C^T G), skew(M) = (M - M^T)/2.
    """
    CB = C @ B  # (r, r)
    R = A - CB @ C.T  # residual                          (r, r)
    G = -2.0 * (R @ C @ B.T + R.T @ CB)  # (r, r)
    return float((R * R).sum()), G


def _cayley(W):
    """(I - W/2)^-1 (I + W/2): orthogonal for skew-symmetric W, and I + W + O(|W|^2)."""
    identity = np.eye(W.shape[0])
    return np.linalg.solve(identity - 0.5 * W, identity + 0.5 * W)


def _descend(A, B, C, max_steps, floor):
    """Minimize f over orthogonal C, from C, by Riemannian conjugate gradients. Returns (C, f).

    Tangent vectors at C are written C W, W skew-symmetric (r, r), and steps follow the
    curves eta -> C cay(eta W), which stay orthogonal. The Riemannian gradient is C Omega,
    Omega = skew(C^T G), G the Euclidean gradient (procrustes_objective), and the slope of
    f along C cay(eta W) at eta = 0 is <G, C W> = <Omega, W>.
      direction  W_k = -Omega_k + beta W_(k-1),
                 beta = max(0, <Omega_k, Omega_k - Omega_(k-1)> / |Omega_(k-1)|^2)  (Polak-Ribiere+;
                 W is carried from one C to the next unchanged, in these left-translated
                 coordinates); W_k = -Omega_k when that is not a descent direction.
      step       C <- C cay(eta W_k); eta halved until f drops by at least 1e-4 eta |<Omega_k, W_k>|
                 (Armijo), and doubled before the next step.
    On random 8 x 8 DSA maps this converged in 200 to 600 steps, where plain gradient
    descent (W = -Omega) needed up to 3000. Stops when f <= floor (an exact match), |Omega|
    is negligible, no step lowers f, or after max_steps steps."""
    f, G = procrustes_objective(C, A, B)
    scale = (A * A).sum() + (B * B).sum()  # f and |G| are of order |A|^2 + |B|^2
    eta = 0.5 / max(scale, 1e-300)
    Omega_before, W = None, None
    for _ in range(max_steps):
        M = C.T @ G  # (r, r)
        Omega = 0.5 * (M - M.T)  # skew(C^T G)                            (r, r)
        gradient_sq = (Omega * Omega).sum()  # |Omega|^2
        if f <= floor or np.sqrt(gradient_sq) <= 1e-12 * scale:
            break
        if W is None:
            W = -Omega
        else:
            beta = max(0.0, (Omega * (Omega - Omega_before)).sum() / (Omega_before * Omega_before).sum())
            W = -Omega + beta * W  # (r, r)
        slope = (Omega * W).sum()  # df/deta at eta = 0
        if slope >= 0.0:  # not downhill: restart from steepest descent
            W, slope = -Omega, -gradient_sq
        while True:
            C_new = C @ _cayley(eta * W)
            f_new, G_new = procrustes_objective(C_new, A, B)
            if f_new <= f + 1e-4 * eta * slope:
                break
            eta *= 0.5
            if eta * np.linalg.norm(W) < 1e-15:  # the step no longer moves C: converged
                return C, f
        Omega_before = Omega
        C, f, G = C_new, f_new, G_new
        eta *= 2.0
    return C, f


def random_orthogonal(rng, r):
    """An (r, r) orthogonal matrix drawn uniformly (Haar) from O(r): QR of a Gaussian matrix,
    with the signs of R's diagonal moved into Q so that the draw is uniform."""
    Q, R = np.linalg.qr(rng.standard_normal((r, r)))
    return Q * np.sign(np.diag(R))


def vector_field_procrustes(A, B, rng, n_restarts=16, max_steps=1000, screen_steps=100, n_polish=3):
    """Procrustes analysis over vector fields: min over orthogonal C of |A - C B C^T|_F.

    A: (r, r), B: (s, s) (the smaller is padded with zero rows and columns)  ->  (distance, C).
    The problem is not convex: from random starts, descent ends in many different local
    minima (on random 8 x 8 DSA maps, 3% to 20% of Haar-random starts reached the best value
    found from 64). O(r) also has two connected pieces (det C = +1 and -1) that descent
    cannot cross. So descent (_descend) starts from
      - the identity, and the identity with its last sign flipped (det -1);
      - three spectral guesses (_spectral_starts): C = E_A S E_B^T, with E_M the eigenvectors
        of M + M^T, M M^T or M^T M (which C B C^T = A would carry into those of A), and the
        signs S that fit best; on random DSA maps one of them reached the best-of-64 value
        in 5 of 6 cases;
      - n_restarts Haar-random orthogonal matrices drawn from rng;
    each for screen_steps steps; the n_polish best then continue, to max_steps steps in all.
    The best end point wins. A start that reaches f <= 1e-24 (|A|^2 + |B|^2) (an exact match,
    up to rounding) ends the search. With the defaults, on 4 pairs of 6 x 6 maps of random
    tanh RNNs, 20 seeds and both orders, the result missed the best value found from 200
    starts in 0 of 160 runs (screening for 40 steps instead of 100: 14 misses, by up to 3e-4
    relative). Time: 0.1 to 0.3 s per pair for r = 4 to 20 on a busy 2-core machine.
    """
    _check_generator(rng)
    _check_count(n_restarts, "n_restarts", 0)
    _check_count(max_steps, "max_steps", 1)
    _check_count(screen_steps, "screen_steps", 1)
    _check_count(n_polish, "n_polish", 1)
    A, B = _finite_float_array(A, "A"), _finite_float_array(B, "B")
    for name, M in (("A", A), ("B", B)):
        require(M.ndim == 2 and M.shape[0] == M.shape[1], "{} must be a square matrix; got shape {}", name, M.shape)
    A, B = _pad_to_common_size(A, B)
    r = A.shape[0]
    floor = 1e-24 * ((A * A).sum() + (B * B).sum())
    flipped = np.eye(r)
    flipped[-1, -1] = -1.0
    starts = [np.eye(r), flipped] + _spectral_starts(A, B) + [random_orthogonal(rng, r) for _ in range(n_restarts)]
    screened = []  # (f, C) after the first screen_steps steps of each start
    for C0 in starts:
        C, f = _descend(A, B, C0, min(screen_steps, max_steps), floor)
        if f <= floor:
            return float(np.sqrt(max(f, 0.0))), C
        screened.append((f, C))
    screened.sort(key=lambda pair: pair[0])
    best_f, best_C = screened[0]
    for f, C in screened[:n_polish]:
        if max_steps > screen_steps:
            C, f = _descend(A, B, C, max_steps - screen_steps, floor)
        if f < best_f:
            best_f, best_C = f, C
    return float(np.sqrt(max(best_f, 0.0))), best_C


def _spectral_starts(A, B, exhaustive_up_to=12):
    """Orthogonal guesses for C in A ~ C B C^T from eigenvectors (see vector_field_procrustes).

    If A = C B C^T exactly, then A + A^T = C (B + B^T) C^T, and likewise for M M^T and M^T M:
    C maps eigenvectors of B's symmetric matrices to those of A's. With E_A, E_B the
    eigenvectors (eigenvalues in ascending order, so that they pair up), C = E_A S E_B^T for
    some signs S = diag(+-1) (when the eigenvalues are distinct). In the eigenbases,
    A' = E_A^T A E_A and B' = E_B^T B E_B, the fit is |A' - S B' S|^2; the signs are chosen
    by trying all 2^r patterns (r <= exhaustive_up_to) or by flipping one sign at a time
    while that helps."""
    starts = []
    for symmetric in (lambda M: M + M.T, lambda M: M @ M.T, lambda M: M.T @ M):
        E_A = np.linalg.eigh(symmetric(A))[1]  # (r, r)
        E_B = np.linalg.eigh(symmetric(B))[1]  # (r, r)
        A_eig, B_eig = E_A.T @ A @ E_A, E_B.T @ B @ E_B  # (r, r), (r, r)
        signs = _best_signs(A_eig, B_eig, exhaustive_up_to)  # (r,)
        starts.append((E_A * signs) @ E_B.T)  # E_A S E_B^T
    return starts


def _best_signs(A, B, exhaustive_up_to):
    """Signs s (r,) minimizing |A - S B S|^2, S = diag(s)."""
    r = A.shape[0]
    if r <= exhaustive_up_to:
        patterns = np.array(list(itertools.product((1.0, -1.0), repeat=r)))  # (2^r, r)
        misfit = ((A - patterns[:, :, None] * B * patterns[:, None, :]) ** 2).sum((1, 2))  # (2^r,)
        return patterns[np.argmin(misfit)]
    s = np.ones(r)
    misfit = ((A - s[:, None] * B * s[None, :]) ** 2).sum()
    improved = True
    while improved:
        improved = False
        for k in range(r):
            s[k] = -s[k]
            trial = ((A - s[:, None] * B * s[None, :]) ** 2).sum()
            if trial < misfit * (1.0 - 1e-12):
                misfit, improved = trial, True
            else:
                s[k] = -s[k]
    return s


def _pad_to_common_size(A, B):
    """Zero-pad the smaller square matrix so both are (r, r), r the larger size."""
    r = max(A.shape[0], B.shape[0])
    padded = []
    for M in (A, B):
        P = np.zeros((r, r))
        P[: M.shape[0], : M.shape[1]] = M
        padded.append(P)
    return padded


def dsa_distance(X, Y, *, rng, n_delays=1, rank=None, delay_interval=1, coordinates="modes", n_restarts=16,
                 max_steps=1000, score="euclidean"):
    """Dynamical Similarity Analysis (Ostrow, Eisen, Kozachkov & Fiete, NeurIPS 2023): how
    different two systems' dynamics are, whatever coordinates their states are recorded in.

    X: (T, B, N), Y: (T2, B2, M) trajectories (trials of one network each; their lengths,
    trial counts and unit counts may differ)  ->  a distance >= 0.
      1. A_x = fit_delay_dmd(X, n_delays, rank, delay_interval, coordinates): delay-embed,
         keep r coordinates z_t (the r leading time modes by default, as in HAVOK and the
         DSA package), fit z_(t+1) ~ A_x z_t by least squares. Likewise A_y. A rank that
         differs between the two (rank=None with other N) is met by zero-padding.
      2. Compare the two maps up to an orthogonal change of coordinates:
             score="euclidean":  d = min over orthogonal C of |A_x - C A_y C^T|_F
             score="angular":    d = arccos( <A_x, C* A_y C*^T> / (|A_x|_F |A_y|_F) ) in [0, pi],
         C* the minimizer (it also maximizes the inner product, as |C A_y C^T| = |A_y|), found
         by vector_field_procrustes (spectral starts and n_restarts random starts drawn
         from rng; the problem is not convex, so d is the best minimum found: an upper
         bound of the exact value, equal to it in every case the tests could check).
    d = 0 when Y is X with its units rotated or mixed orthogonally (Y = X Q), or relabelled,
    or rescaled. Unlike shape_distance, it changes little when the same dynamics are run
    from other initial states (not at all for a linear system with coordinates="pca"), and
    it does change when the states stay close but the dynamics that produce them differ.
    """
    _check_generator(rng)
    require(score in ("euclidean", "angular"), "score must be 'euclidean' or 'angular'; got {!r}", score)
    A_x = fit_delay_dmd(X, n_delays, rank, delay_interval, coordinates)  # (r, r)
    A_y = fit_delay_dmd(Y, n_delays, rank, delay_interval, coordinates)  # (r', r')
    distance, C = vector_field_procrustes(A_x, A_y, rng, n_restarts, max_steps)
    if score == "euclidean":
        return distance
    A_x, A_y = _pad_to_common_size(A_x, A_y)
    norms = np.linalg.norm(A_x) * np.linalg.norm(A_y)
    require(norms > 0, "the angular DSA score is undefined when a fitted map is all zeros")
    cosine = (A_x * (C @ A_y @ C.T)).sum() / norms
    return float(np.arccos(np.clip(cosine, -1.0, 1.0)))


# --- 4. behaviour ---------------------------------------------------------------------------------


def behaviour_degeneracy(ood_errors, relative=False):
    """Spread across networks of their out-of-distribution error.

    ood_errors: (K,) one error per network, or (K, ...) several per network (conditions,
    test sets), averaged per network first  ->  a number >= 0.
        e_k = mean of network k's OOD errors
        degeneracy = std_k(e_k)  (sample standard deviation, ddof = 1),
        or std_k(e_k) / mean_k(e_k) when relative=True (the coefficient of variation,
        which needs a positive mean; it does not change when all errors are rescaled).
    Source: this definition is this module's (see the module notes: the paper's formula
    could not be read here); it is the plain "spread across seeds" of the OOD error. Equal
    errors on every seed give 0.
    """
    e = _finite_float_array(ood_errors, "ood_errors")
    require(e.ndim >= 1 and e.shape[0] >= 2 and e.size >= 2,
            "ood_errors needs one row per network and at least 2 networks; got shape {}", e.shape)
    per_network = e.reshape(e.shape[0], -1).mean(axis=1)  # e_k             (K,)
    spread = float(per_network.std(ddof=1))
    if not relative:
        return spread
    mean = per_network.mean()
    require(mean > 0, "relative=True divides by the mean error, which must be positive; got {}", mean)
    return spread / float(mean)


# --- 5. from pairs to K networks ------------------------------------------------------------------


def pairwise(items, distance):
    """The (K, K) matrix of distance(items[i], items[j]) over K networks.

    items: a sequence of K things distance accepts (arrays, dicts of weights; an array is
    split along its first axis); distance(a, b) -> a finite number. Each pair is computed
    once, for i < j, and mirrored (D[j, i] = D[i, j]); the diagonal is 0 without a call.
    For a distance that draws random numbers, bind its generator: e.g.
    pairwise(trials, lambda X, Y: dsa_distance(X, Y, rng=rng, rank=6)).
    """
    require(callable(distance), "distance must be a function of two items; got {}", type(distance).__name__)
    items = list(items)
    K = len(items)
    require(K >= 1, "pairwise needs at least one item")
    D = np.zeros((K, K))
    for i, j in itertools.combinations(range(K), 2):
        value = float(distance(items[i], items[j]))
        require(np.isfinite(value), "distance(items[{}], items[{}]) is not finite: {}", i, j, value)
        D[i, j] = D[j, i] = value
    return D


def mean_offdiagonal(D):
    """Mean of D[i, j] over i != j: the average distance between two different networks.
    D: (K, K) with K >= 2  ->  a number (the degeneracy at the level D measures)."""
    D = _finite_float_array(D, "D")
    require(D.ndim == 2 and D.shape[0] == D.shape[1] and D.shape[0] >= 2,
            "D must be a square (K, K) matrix with K >= 2; got shape {}", D.shape)
    K = D.shape[0]
    return float((D.sum() - np.trace(D)) / (K * (K - 1)))
