"""The ten studies of char_rnn_lab: one design choice changed at a time from the baseline.
Configurations of the same shape train together as one population run (initializations,
clip thresholds, learning rates); the rest run one after another.

    python problems/char_rnn_lab.py --study NAME     (NAME: see STUDIES at the bottom, or all)

Each study returns a JSON-able dict (its table, curves and samples), prints its table, and
is saved as study_<name>.json in --results-dir (by default results/char_rnn_lab/; the
committed copies in viz/char_rnn_lab/ come from visualize_char_rnn_lab.py --publish), or
where --save-results says; visualize_char_rnn_lab.py draws the figures from those files.

Imports go one way: the problem script imports this helper, never the reverse. Every study
is handed the problem module as `lab` and trains with its functions.
"""

import dataclasses
import pathlib
import time
from typing import Callable, NamedTuple

import numpy as np

import _char_grammar as grammar
from rnn_numpy import init, losses, readout, rnn, sweep
from rnn_numpy.experiment import TrainingDiverged, config_record, versions, write_results

PROBE_BINS = [(1, 3), (4, 7), (8, 12), (13, 18), (19, 25)]  # the source's distance bins
HIDDEN_SIZES = (16, 32, 64, 128)  # studies 2 and 10
CHUNKS = (5, 10, 25, 50)  # studies 3 and 10: truncation lengths


# --- measurements shared by the studies ---------------------------------------------------------

def gradient_by_position(params, cfg, data, chunk=None, n_batches=4):
    """How the error at the last step of a chunk reaches back: ||dL_T / dh_{T-k}|| for
    k = 0..chunk-1, relative to k = 0, averaged over a few held-out chunks. Returns (K, chunk)."""
    chunk = cfg.chunk if chunk is None else chunk
    text = grammar.streams(data["held_out"], 32)
    K = params["W_hh"].shape[0]
    total = np.zeros((K, chunk))
    for b in range(n_batches):
        ids = text[:, b * chunk:(b + 1) * chunk + 1].T  # (chunk + 1, 32)
        h, cache = rnn.forward(grammar.one_hot(ids[:-1]), np.zeros((K, 32, cfg.hidden)), params, cfg.activation)
        logits, out_cache = readout.forward(h[-1], params)  # the loss at the last step only
        _, dlogits = losses.softmax_cross_entropy(logits[None], ids[-1:])
        dh = np.zeros_like(h)
        dh[-1] = readout.backward(dlogits[0], out_cache)[0]
        *_, dh_total = rnn.backward(dh, cache, return_state_grads=True)
        norms = rnn.state_grad_norms(dh_total)[::-1].T  # (K, chunk): k = 0 is the last step
        total += norms / norms[:, :1]
    return total / n_batches


def hidden_states(params, cfg, ids, n_streams=20):
    """Hidden states on held-out text read as streams: h (T, K, n_streams, H), ids (T, n_streams)."""
    text = grammar.streams(ids, n_streams).T  # (T, n_streams)
    K = params["W_hh"].shape[0]
    h, _ = rnn.forward(grammar.one_hot(text), np.zeros((K, n_streams, cfg.hidden)), params, cfg.activation)
    return h, text


def memory_probe(params, cfg, data, max_back=25, n_chars=8000):
    """Can the character k steps back be read out of h_t linearly? For each k = 1..max_back a
    least-squares one-vs-all readout from h_t to the one-hot of the character at t - k is fit
    on the first half of held-out states and scored on the second half.
    Returns (K, max_back) accuracies."""
    h, text = hidden_states(params, cfg, data["held_out"][:n_chars])
    K = h.shape[1]
    acc = np.zeros((K, max_back))
    for k in range(1, max_back + 1):
        X = h[k:].transpose(1, 0, 2, 3).reshape(K, -1, cfg.hidden)  # (K, N, H): states at t
        y = text[:-k].reshape(-1)  # the character k steps before each of them
        X = np.concatenate([X, np.ones(X.shape[:2] + (1,))], axis=-1)
        half = X.shape[1] // 2
        Y = np.eye(grammar.V)[y]  # (N, V)
        for m in range(K):
            A = X[m, :half]
            W = np.linalg.solve(A.T @ A + 1e-3 * np.eye(A.shape[1]), A.T @ Y[:half])
            acc[m, k - 1] = np.mean((X[m, half:] @ W).argmax(-1) == y[half:])
    return acc


def bin_probe(acc):
    """(K, 25) accuracies -> (K, 5) means over the source's distance bins."""
    return np.array([[row[lo - 1:hi].mean() for lo, hi in PROBE_BINS] for row in acc])


def memory_horizon(acc, chance):
    """The largest lookback k whose probe accuracy is still at least halfway from chance to
    its accuracy at k = 1 (per network)."""
    out = []
    for row in acc:
        bar = chance + 0.5 * (row[0] - chance)
        above = np.flatnonzero(row >= bar)
        out.append(int(above.max()) + 1 if len(above) else 0)
    return out


def hidden_statistics(params, cfg, data):
    """Mean, std, share saturated and range of the hidden units on held-out text (per network).
    Saturated: |h| > 0.95 for tanh, h < 0.05 or > 0.95 for sigmoid, h = 0 (inactive) for ReLU."""
    h, _ = hidden_states(params, cfg, data["held_out"][:4000])
    stats = []
    for m in range(h.shape[1]):
        v = h[:, m].ravel()
        saturated = {"tanh": np.abs(v) > 0.95, "sigmoid": (v < 0.05) | (v > 0.95),
                     "relu": v == 0, "identity": np.zeros_like(v, dtype=bool)}[cfg.activation]
        stats.append({"mean": float(v.mean()), "std": float(v.std()), "saturated": float(saturated.mean()),
                      "min": float(v.min()), "max": float(v.max())})
    return stats


def char_frequency_chance(data):
    """Accuracy of always answering the most common character (the probe's floor)."""
    return float(np.bincount(data["held_out"], minlength=grammar.V).max() / len(data["held_out"]))


def samples_and_quality(lab, params, cfg, data, n_chars=1500, seed=0):
    """Generated text from every network and its lexicon / grammatical shares."""
    texts = lab.generate(params, cfg, n_chars, np.random.default_rng(seed))
    return [{"sample": t[:300], **grammar.text_quality(t, data["grammar"])} for t in texts]


def final_losses(history, data):
    """Held-out loss at the end and its gap to the entropy floor, per network."""
    held = np.array(history["held_out_loss"][-1])
    return held.tolist(), (held - data["entropy_rate"]).tolist()


def curves(history):
    return {"step": history["step"], "held_out_loss": history["held_out_loss"],
            "train_loss": history["train_loss"], "spectral_radius": history["spectral_radius"]}


def train_or_record_divergence(lab, cfg, data, **kwargs):
    """train(), but a divergence is a result here (identity units, huge learning rates)."""
    try:
        params, history, _ = lab.train(cfg, data=data, **kwargs)
        return params, history, None
    except TrainingDiverged as err:
        return None, None, str(err)


# --- the studies --------------------------------------------------------------------------------

def study_init(lab, cfg, data):
    """1. Orthogonal vs Xavier vs random W_hh, one population of three."""
    names = ["orthogonal", "xavier", "random"]
    members = [{"init": n} for n in names]
    start_params = lab.init_params(cfg, members)
    start_radius = init.spectral_radius(start_params["W_hh"]).tolist()
    grad_start = gradient_by_position(start_params, cfg, data)
    params, history, _ = lab.train(cfg, members=members, data=data, verbose=True, label="init: ")
    held, gap = final_losses(history, data)
    return {"names": names, "start_radius": start_radius, "held_out_loss": held, "gap": gap,
            "curves": curves(history), "grad_by_position_start": grad_start.tolist(),
            "grad_by_position_end": gradient_by_position(params, cfg, data).tolist(),
            "generated": samples_and_quality(lab, params, cfg, data)}


def study_hidden(lab, cfg, data):
    """2. Hidden sizes 16, 32, 64, 128: held-out loss against parameter count."""
    rows = []
    for H in HIDDEN_SIZES:
        c = dataclasses.replace(cfg, hidden=H)
        params, history, _ = lab.train(c, data=data, verbose=True, label=f"H={H}: ")
        held, gap = final_losses(history, data)
        rows.append({"hidden": H, "params": int(sum(v[0].size for v in params.values())),
                     "held_out_loss": held[0], "gap": gap[0], "curves": curves(history)})
    return {"rows": rows}


def study_tbptt(lab, cfg, data):
    """3. Chunk lengths 5, 10, 25, 50: gradient reach by position and a memory probe."""
    rows = []
    chance = char_frequency_chance(data)
    for chunk in CHUNKS:
        c = dataclasses.replace(cfg, chunk=chunk)
        params, history, _ = lab.train(c, data=data, verbose=True, label=f"chunk {chunk}: ")
        held, gap = final_losses(history, data)
        acc = memory_probe(params, c, data)
        rows.append({"chunk": chunk, "held_out_loss": held[0], "gap": gap[0], "curves": curves(history),
                     "grad_by_position": gradient_by_position(params, c, data, chunk=50)[0].tolist(),
                     "probe": acc[0].tolist(), "probe_bins": bin_probe(acc)[0].tolist(),
                     "memory_horizon": memory_horizon(acc, chance)[0]})
    return {"rows": rows, "bins": PROBE_BINS, "chance": chance}


def study_activation(lab, cfg, data):
    """4. tanh, ReLU, sigmoid, identity: curves, stability, hidden statistics, gradient norms."""
    rows = []
    for act in ("tanh", "relu", "sigmoid", "identity"):
        c = dataclasses.replace(cfg, activation=act)
        params, history, diverged = train_or_record_divergence(lab, c, data, verbose=True, label=f"{act}: ")
        row = {"activation": act, "diverged": diverged}
        if params is not None:
            held, gap = final_losses(history, data)
            row.update(held_out_loss=held[0], gap=gap[0], curves=curves(history),
                       grad_norm_every_50=history["grad_norm"][::50, 0].tolist(),
                       clipped_fraction=float(history["clipped"].mean()),
                       hidden=hidden_statistics(params, c, data)[0])
        row["verdict"] = stability_verdict(row, data)
        rows.append(row)
    return {"rows": rows}


def stability_verdict(row, data):
    """diverged (NaN); did not learn (more than 0.5 nats/char above the floor); unstable
    (late gradient spikes: the 99th percentile of the last fifth of training more than 10x
    the median norm); else stable. The clip fraction cannot tell: with the loss summed over
    the chunk every healthy network's gradient is above 5 on most steps."""
    if row["diverged"]:
        return "diverged"
    if row["gap"] > 0.5:
        return "did not learn"
    g = np.array(row["grad_norm_every_50"])
    if np.percentile(g[-len(g) // 5:], 99) > 10 * np.median(g):
        return "unstable: late gradient spikes"
    return "stable"


def study_clip(lab, cfg, data):
    """5. Clip thresholds 0.5, 1, 5, 10, 50 as one population, with the baseline's AdaGrad and
    again with SGD (momentum 0.9). AdaGrad divides every step by the running gradient scale,
    so rescaling a gradient changes its step little; with SGD the clip sets the step size."""
    thresholds = [0.5, 1.0, 5.0, 10.0, 50.0]
    out = {"thresholds": thresholds, "optimizers": {}}
    for name in ("adagrad", "sgd"):
        c = dataclasses.replace(cfg, optimizer=name)
        params, history, diverged = train_or_record_divergence(lab, c, data, members=[{"clip": t} for t in thresholds],
                                                               verbose=True, label=f"clip, {name}: ")
        if diverged:
            out["optimizers"][name] = {"diverged": diverged}
            continue
        held, gap = final_losses(history, data)
        clipped = history["clipped"]
        out["optimizers"][name] = {
            "held_out_loss": held, "gap": gap, "curves": curves(history),
            "clipped_fraction": clipped.mean(axis=0).tolist(),
            "clipped_fraction_per_1000": [clipped[i:i + 1000].mean(axis=0).tolist() for i in range(0, len(clipped), 1000)],
            "grad_norm_median": np.median(history["grad_norm"], axis=0).tolist()}
    return out


def study_lr(lab, cfg, data):
    """9. Learning rates 0.001 .. 0.1 as one population (a diverging member is reported as such)."""
    rates = [0.001, 0.003, 0.01, 0.03, 0.1]
    params, history, diverged = train_or_record_divergence(lab, cfg, data, members=[{"lr": r} for r in rates],
                                                           verbose=True, label="lr: ")
    if diverged:  # one member blew up and took the population with it: run them one by one
        return study_lr_one_by_one(lab, cfg, data, rates)
    held, gap = final_losses(history, data)
    return {"rates": rates, "held_out_loss": held, "gap": gap, "curves": curves(history), "diverged": [None] * 5}


def study_lr_one_by_one(lab, cfg, data, rates):
    out = {"rates": rates, "held_out_loss": [], "gap": [], "diverged": [], "curves": []}
    for r in rates:
        params, history, diverged = train_or_record_divergence(lab, dataclasses.replace(cfg, lr=r), data)
        out["diverged"].append(diverged)
        held, gap = final_losses(history, data) if history else ([None], [None])
        out["held_out_loss"].append(held[0])
        out["gap"].append(gap[0])
        out["curves"].append(curves(history) if history else None)
    return out


def sample_rows(logits, rng, temperature=1.0):
    """One sample per row of logits (..., V), drawn with the inverse-CDF trick."""
    p = np.exp((logits - logits.max(axis=-1, keepdims=True)) / temperature)
    cdf = np.cumsum(p, axis=-1)
    u = rng.random(logits.shape[:-1] + (1,)) * cdf[..., -1:]
    return (cdf < u).sum(axis=-1)


def scheduled_sampling_inputs(cfg, final_rate, rng):
    """Inputs for scheduled sampling (Bengio et al. 2015): each character after the first of a
    chunk is, with probability eps rising linearly from 0 to final_rate over training,
    replaced by the network's own sample from the step before. (One network.)"""
    def inputs(step, params, ids, h0):
        x = grammar.one_hot(ids).copy()  # (T, 1, B, V)
        eps = final_rate * step / cfg.steps
        h = h0
        for t in range(1, len(ids)):
            h = rnn.forward(x[t - 1:t], h, params, cfg.activation)[0][-1]  # (1, B, H)
            own = sample_rows(readout.forward(h, params)[0][0], rng)  # (B,)
            swap = rng.random(len(own)) < eps
            x[t, 0, swap] = grammar.ONE_HOT[own[swap]]
        return x
    return inputs


def recovery_after_error(params, cfg, data, n_trials=200, n_chars=80, seed=5, temperature=0.7):
    """Exposure bias, measured: prime each of n_trials streams with a grammatical prefix whose
    last word has one character replaced by a random letter, let the network continue on its
    own, and score the continuation (share of words in the lexicon, share in grammatical
    sentences). The same with intact primes is the reference. Returns both, per network."""
    rng = np.random.default_rng(seed)
    g = data["grammar"]
    out = {}
    for corrupt in (False, True):
        primes = []
        for _ in range(n_trials):
            words = grammar.sample_sentence(g, rng)
            if corrupt:
                w = list(words[-1])
                w[rng.integers(len(w))] = "abcdefghijklmnopqrstuvwxyz"[rng.integers(26)]
                words[-1] = "".join(w)
            primes.append(" ".join(words) + " ")
        texts = continue_text(params, cfg, primes, n_chars, rng, temperature)  # [K][n_trials]
        quality = [[grammar.text_quality("x " + t, g) for t in per_net] for per_net in texts]
        out["corrupted" if corrupt else "intact"] = {
            key: [float(np.mean([q[key] for q in per_net])) for per_net in quality] for key in ("lexicon", "grammatical")}
    return out


def continue_text(params, cfg, primes, n_chars, rng, temperature):
    """Run each prime (left-padded with spaces to one length) through every network, then
    sample n_chars more. Returns [network][prime] continuation strings."""
    width = max(len(p) for p in primes)
    ids = np.stack([grammar.encode(p.rjust(width)) for p in primes]).T  # (width, n)
    K = params["W_hh"].shape[0]
    h = rnn.forward(grammar.one_hot(ids), np.zeros((K, len(primes), cfg.hidden)), params, cfg.activation)[0][-1]
    out = np.empty((n_chars, K, len(primes)), dtype=np.int64)
    for t in range(n_chars):
        out[t] = sample_rows(readout.forward(h, params)[0], rng, temperature)
        h = rnn.forward(grammar.ONE_HOT[out[t]][None], h, params, cfg.activation)[0][-1]
    return [[grammar.decode(out[:, k, i]) for i in range(len(primes))] for k in range(K)]


def study_teacher_forcing(lab, cfg, data):
    """6. Teacher forcing against scheduled sampling (final rate 0.25): free-running text and
    recovery from an injected error."""
    rows = []
    for name, make_inputs in (("teacher forcing", None),
                              ("scheduled sampling", scheduled_sampling_inputs(cfg, 0.25, np.random.default_rng(11)))):
        params, history, _ = lab.train(cfg, data=data, inputs=make_inputs, verbose=True, label=f"{name}: ")
        held, gap = final_losses(history, data)
        rows.append({"method": name, "held_out_loss": held[0], "gap": gap[0], "curves": curves(history),
                     "free_running": {str(t): samples_and_quality(lab, params, dataclasses.replace(cfg, temperature=t), data)[0]
                                      for t in (0.7, 1.0)},
                     "recovery": recovery_after_error(params, cfg, data)})
    return {"rows": rows}


def study_reservoir(lab, cfg, data):
    """7. Full training against a reservoir: W_hh frozen; W_hh, W_xh and b_h frozen (readout only)."""
    rows = []
    for name, keys in (("full training", None), ("W_hh frozen", ["W_xh", "b_h", "W_hy", "b_y"]),
                       ("readout only (W_hh, W_xh, b_h frozen)", ["W_hy", "b_y"])):
        params, history, _ = lab.train(cfg, data=data, trained_keys=keys, verbose=True, label=f"{name}: ")
        held, gap = final_losses(history, data)
        rows.append({"name": name, "trained": keys or "all", "held_out_loss": held[0], "gap": gap[0],
                     "curves": curves(history), "generated": samples_and_quality(lab, params, cfg, data)[0]})
    return {"rows": rows}


def word_end_states(params, cfg, words):
    """Hidden state after the last character of every word of a word list read as one
    stream: (n_words, H) for the first network."""
    text = " ".join(words) + " "
    ids = grammar.encode(text)
    h, _ = rnn.forward(grammar.one_hot(ids[:, None]), np.zeros((1, 1, cfg.hidden)), params, cfg.activation)
    ends = np.flatnonzero(ids == 0) - 1  # the character before each space
    return h[ends, 0, 0]


def word_similarities(params, cfg, data, replace, n_sentences=3000, seed=9):
    """Put "zog" in place of every `replace` in fresh grammatical text, read it with the
    trained network (no training), and compare mean word-end states by cosine similarity."""
    g = data["grammar"]
    rng = np.random.default_rng(seed)
    words = [w for _ in range(n_sentences) for w in grammar.sample_sentence(g, rng)]
    words = ["zog" if w == replace else w for w in words]
    states = word_end_states(params, cfg, words)
    nouns = [w for ws in g.nouns.values() for w in ws if w != replace] + ["zog"]
    means = {w: states[[i for i, x in enumerate(words) if x == w]].mean(axis=0) for w in nouns}

    def cos(a, b):
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    similarity = {w: cos(means["zog"], means[w]) for w in nouns if w != "zog"}
    by_category = {c: float(np.mean([similarity[w] for w in ws if w in similarity])) for c, ws in g.nouns.items()}
    return {"replaced": replace, "similarity": similarity, "by_category": by_category,
            "nearest": sorted(similarity, key=similarity.get, reverse=True)[:5],
            "replaced_word_category": next(c for c, ws in g.nouns.items() if replace in ws)}


def study_novel_word(lab, cfg, data):
    """8. A never-seen word, "zog", in the place of "man", of "lion", and of "bread". In this
    grammar humans and animals occur in exactly the same contexts (every verb takes any
    animate noun), so only the food (after "eats the") has a context of its own."""
    params, history, _ = lab.train(cfg, data=data, verbose=True, label="novel word: ")
    return {"held_out_loss": final_losses(history, data)[0][0],
            "results": [word_similarities(params, cfg, data, w) for w in ("man", "lion", "bread")]}


GRID = {"hidden": HIDDEN_SIZES, "activation": ("tanh", "relu", "sigmoid"), "chunk": CHUNKS}
QUICK_GRID = {"hidden": (16, 64), "activation": ("tanh", "relu"), "chunk": (5, 25)}  # --quick: 8 of the 48


def study_grid(lab, cfg, data):
    """10. Hidden size x activation x chunk length: final loss, memory horizon, parameters."""
    rows = []
    chance = char_frequency_chance(data)
    grid = QUICK_GRID if cfg.quick else GRID
    for H in grid["hidden"]:
        for act in grid["activation"]:
            for chunk in grid["chunk"]:
                c = dataclasses.replace(cfg, hidden=H, activation=act, chunk=chunk)
                params, history, diverged = train_or_record_divergence(lab, c, data)
                row = {"hidden": H, "activation": act, "chunk": chunk, "diverged": diverged,
                       "params": H * grammar.V + H * H + H + grammar.V * H + grammar.V}
                if params is not None:
                    held, gap = final_losses(history, data)
                    row.update(held_out_loss=held[0], gap=gap[0],
                               memory_horizon=memory_horizon(memory_probe(params, c, data), chance)[0])
                rows.append(row)
                print(f"  grid: H={H:3d} {act:8s} chunk {chunk:2d}: "
                      + (f"held-out {row['held_out_loss']:.3f}, horizon {row['memory_horizon']}" if not diverged else "diverged"),
                      flush=True)
    return {"rows": rows, "steps": cfg.steps}


# --- running and reporting ----------------------------------------------------------------------

def run(lab, cfg, results_dir):
    """Run cfg.study (or every study), print each table, and save each result to
    --save-results (one study) or to <results_dir>/study_<name>.json. With --workers or
    --scheduler, --study all runs as a sweep (rnn_numpy.sweep): one condition per study,
    each kept in --sweep-dir as it finishes, the tables printed when all are done."""
    names = list(STUDIES) if cfg.study == "all" else [cfg.study]
    executor = {"workers": cfg.workers, "scheduler": cfg.scheduler}
    cfg = study_config(lab, cfg)
    data = lab.make_data(cfg)
    print(f"char RNN lab: {len(names)} stud{'y' if len(names) == 1 else 'ies'}, {cfg.steps} steps each "
          f"(grid: {grid_steps(cfg)}), entropy floor {data['entropy_rate']:.3f} nats/char")
    configs = {name: dataclasses.replace(cfg, steps=grid_steps(cfg)) if name == "grid" else cfg for name in names}
    if executor["workers"] or executor["scheduler"]:
        # the grid first: the longest study, started while the others fill the other workers
        order = sorted(names, key=lambda name: name != "grid")
        conditions = [{"name": f"study_{name}", "study": name, "config": config_record(configs[name])}
                      for name in order]
        sweep_dir = sweep.sweep_folder(cfg.sweep_dir, cfg.quick, pathlib.Path(results_dir) / "sweep", lab.SLUG)
        done = dict(zip(order, sweep.run_sweep(conditions, lab.study_condition, sweep_dir, **executor)))
        results = (done[name] for name in names)
    else:
        results = (run_study(lab, configs[name], data, name) for name in names)
    everything = {}
    for name, result in zip(names, results):
        STUDIES[name].show(result)
        print(f"  ({name}: {result['seconds']:.0f} s)\n", flush=True)
        path = cfg.save_results or pathlib.Path(results_dir) / f"study_{name}.json"
        write_results(path, result)
        everything[name] = {"seconds": result["seconds"], "path": str(path)}
    return {"problem": lab.SLUG, "studies": everything}


def run_study(lab, cfg, data, name):
    """One study's results, with its config, versions and wall time (cfg: its own settings)."""
    start = time.perf_counter()
    result = STUDIES[name].run(lab, cfg, data)
    result.update(study=name, problem=lab.SLUG, config=config_record(cfg), versions=versions(),
                  entropy_rate=data["entropy_rate"], seconds=time.perf_counter() - start)
    return result


def study_config(lab, cfg):
    """The studies' shared settings: the baseline's, trained for --study-steps each."""
    cfg = lab.resolve(cfg)
    return dataclasses.replace(cfg, steps=cfg.study_steps, eval_every=min(cfg.eval_every, max(cfg.study_steps // 20, 1)))


def grid_steps(cfg):
    """The grid trains its networks one by one, each for 3/10 of the studies' steps."""
    return max(3 * cfg.steps // 10, 50)


def _fmt(v, spec=".3f"):
    return "-" if v is None else format(v, spec)


def print_init(r):
    print(f"\n1. init: {'':<12}{'radius at 0':>12}{'held-out':>10}{'gap':>8}{'lexicon':>9}{'grammatical':>13}")
    for i, n in enumerate(r["names"]):
        q = r["generated"][i]
        print(f"   {n:<18}{r['start_radius'][i]:>12.3f}{r['held_out_loss'][i]:>10.3f}{r['gap'][i]:>8.3f}"
              f"{q['lexicon']:>9.1%}{q['grammatical']:>13.1%}")


def print_hidden(r):
    print(f"\n2. hidden: {'H':>4}{'params':>9}{'held-out':>10}{'gap':>8}")
    for row in r["rows"]:
        print(f"   {'':7}{row['hidden']:>4}{row['params']:>9}{row['held_out_loss']:>10.3f}{row['gap']:>8.3f}")


def print_tbptt(r):
    bins = "".join(f"{f'{lo}-{hi}':>8}" for lo, hi in r["bins"])
    print(f"\n3. tbptt: {'chunk':>6}{'held-out':>10}{'horizon':>9}   probe accuracy by distance:{bins}")
    for row in r["rows"]:
        print(f"   {'':6}{row['chunk']:>6}{row['held_out_loss']:>10.3f}{row['memory_horizon']:>9}"
              f"{'':29}" + "".join(f"{a:>8.0%}" for a in row["probe_bins"]))
    print(f"   (chance: always the most common character, {r['chance']:.0%})")


def print_activation(r):
    print(f"\n4. activation: {'':<9}{'held-out':>9}{'clipped':>9}{'mean':>7}{'std':>7}{'sat.':>7}   range   verdict")
    for row in r["rows"]:
        if row["diverged"]:
            print(f"   {row['activation']:<20}diverged: {row['diverged'][:70]}")
            continue
        st = row["hidden"]
        print(f"   {row['activation']:<20}{row['held_out_loss']:>9.3f}{row['clipped_fraction']:>9.1%}{st['mean']:>7.2f}"
              f"{st['std']:>7.2f}{st['saturated']:>7.0%}   [{st['min']:.2g}, {st['max']:.2g}]   {row['verdict']}")


def print_clip(r):
    print(f"\n5. clip: {'optimizer':>10}{'threshold':>11}{'held-out':>10}{'gap':>8}{'steps clipped':>15}{'median |g|':>12}")
    for name, res in r["optimizers"].items():
        if "diverged" in res:
            print(f"   {name:>16}   diverged: {res['diverged'][:60]}")
            continue
        for i, t in enumerate(r["thresholds"]):
            print(f"   {name:>16}{t:>11g}{res['held_out_loss'][i]:>10.3f}{res['gap'][i]:>8.3f}"
                  f"{res['clipped_fraction'][i]:>15.1%}{res['grad_norm_median'][i]:>12.2f}")


def print_teacher_forcing(r):
    print(f"\n6. teacher forcing: {'':<14}{'held-out':>9}  free-running lexicon / grammatical (T=0.7, T=1.0)"
          "   after an injected error: lexicon / grammatical (intact prime)")
    for row in r["rows"]:
        f07, f10 = row["free_running"]["0.7"], row["free_running"]["1.0"]
        rc, ri = row["recovery"]["corrupted"], row["recovery"]["intact"]
        print(f"   {row['method']:<30}{row['held_out_loss']:>9.3f}  {f07['lexicon']:.1%} / {f07['grammatical']:.1%}, "
              f"{f10['lexicon']:.1%} / {f10['grammatical']:.1%}          {rc['lexicon'][0]:.1%} / {rc['grammatical'][0]:.1%}"
              f"  ({ri['lexicon'][0]:.1%} / {ri['grammatical'][0]:.1%})")


def print_reservoir(r):
    print(f"\n7. reservoir: {'':<28}{'held-out':>9}{'gap':>8}{'lexicon':>9}{'grammatical':>13}")
    for row in r["rows"]:
        q = row["generated"]
        print(f"   {row['name']:<40}{row['held_out_loss']:>9.3f}{row['gap']:>8.3f}{q['lexicon']:>9.1%}{q['grammatical']:>13.1%}")


def print_novel_word(r):
    print("\n8. novel word: cosine similarity of \"zog\" (mean word-end state) to each category's nouns")
    for res in r["results"]:
        cats = "  ".join(f"{c} {v:.2f}" for c, v in res["by_category"].items())
        print(f"   zog for {res['replaced']:<5} ({res['replaced_word_category']}): {cats}   nearest: {', '.join(res['nearest'])}")


def print_lr(r):
    print(f"\n9. lr: {'rate':>8}{'held-out':>10}{'gap':>8}")
    for i, rate in enumerate(r["rates"]):
        note = "  diverged" if r["diverged"][i] else ""
        print(f"   {'':3}{rate:>8g}{_fmt(r['held_out_loss'][i]):>10}{_fmt(r['gap'][i]):>8}{note}")


def print_grid(r):
    rows = [x for x in r["rows"] if not x["diverged"]]
    best = sorted(rows, key=lambda x: x["held_out_loss"])[:5]
    print(f"\n10. grid ({len(r['rows'])} networks, {r['steps']} steps each): the five lowest held-out losses")
    for x in best:
        print(f"   H={x['hidden']:<4}{x['activation']:<9}chunk {x['chunk']:<3} held-out {x['held_out_loss']:.3f}  "
              f"horizon {x['memory_horizon']:>2}  params {x['params']}")


# --- the list ---------------------------------------------------------------------------------

class Study(NamedTuple):
    run: Callable  # (lab, cfg, data) -> results dict
    show: Callable  # results dict -> prints its table
    varies: tuple = ()  # the Config fields the study sets itself (their flags would be ignored)


STUDIES = {"init": Study(study_init, print_init, ("init",)),
           "hidden": Study(study_hidden, print_hidden, ("hidden",)),
           "tbptt": Study(study_tbptt, print_tbptt, ("chunk",)),
           "activation": Study(study_activation, print_activation, ("activation",)),
           "clip": Study(study_clip, print_clip, ("clip", "optimizer")),
           "teacher_forcing": Study(study_teacher_forcing, print_teacher_forcing),
           "reservoir": Study(study_reservoir, print_reservoir),
           "novel_word": Study(study_novel_word, print_novel_word),
           "lr": Study(study_lr, print_lr, ("lr",)),
           "grid": Study(study_grid, print_grid, ("hidden", "activation", "chunk"))}


def varied_by(name):
    """The Config fields that study `name` (or "all") sets itself."""
    names = STUDIES if name == "all" else [name]
    return sorted({field for n in names for field in STUDIES[n].varies})
