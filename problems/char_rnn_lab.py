"""A character-level RNN experiments lab, after the "Experiments Lab" of an online interactive
tutorial on character-level vanilla RNNs (ten guided ablation studies; the source names no
authors or date, and gives its baseline settings and findings but not its corpus or code).
Demonstrates: a vanilla RNN trained by truncated BPTT on a synthetic grammar whose true
entropy rate is known, and ten controlled studies of one design choice each.
Equations, corpus, deviations: see char_rnn_lab.md.

    python problems/char_rnn_lab.py                        # the baseline: H=64, chunk 25, 30,000 steps
    python problems/char_rnn_lab.py --study init           # one study (see --study for the list)
    python problems/char_rnn_lab.py --study all            # every study, with progress output
    python problems/char_rnn_lab.py --study all --workers 2   # the studies on 2 local Dask workers
    python problems/char_rnn_lab.py --corpus v2            # the second corpus (long dependencies; Adam, lr 0.003)
    python problems/char_rnn_lab.py --quick                # a seconds-long smoke run
    python problems/char_rnn_lab.py --save-results results/baseline.json --save-params results/baseline.npz
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # measured: a 2nd BLAS thread only slows small nets

import dataclasses  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import _char_grammar as grammar  # noqa: E402
import _char_grammar_v2 as grammar_v2  # noqa: E402  (the second corpus, --corpus v2)
import _char_rnn_lab_studies as studies  # noqa: E402  (the ten studies)
from rnn_numpy import init, losses, models, optim, readout, rnn, sweep  # noqa: E402
from rnn_numpy.experiment import (RunError, at_least_one, changed, check_finite, check_learned, command, config_record,  # noqa: E402
                                  jsonable, non_negative_int, only_with, option, output_dir, output_file,
                                  parse_config, save_params, scratch_dir, versions, write_results)

SLUG = "char_rnn_lab"
ROOT = pathlib.Path(__file__).resolve().parents[1]
V = grammar.V  # 27 characters: space and a-z


@dataclass
class Config:
    seed: int = option(42, "initialization seed (the source's 42)", non_negative_int)
    corpus: str = option("v1", "the corpus: v1, the clause grammar (0.31 nats/char); v2, names, relative clauses "
                         "and dependencies over 8-57 characters (0.84 nats/char; char_rnn_lab.md)",
                         choices=["v1", "v2"])
    corpus_seed: int = option(1, "seed of the training corpus (the held-out text uses corpus-seed + 1000)",
                              non_negative_int)
    hidden: int = option(64, "hidden units H")
    chunk: int = option(25, "truncated-BPTT chunk length (the hidden state is carried across chunks)")
    lr: float = option(None, "learning rate", float, default_text="0.01 (the source's) on v1, 0.003 on v2")
    clip: float = option(5.0, "clip each network's global gradient norm to this (0: off)")
    init: str = option("orthogonal", "initialization of W_hh", choices=list(init.INITIALIZERS))
    activation: str = option("tanh", "hidden activation", choices=["tanh", "relu", "sigmoid", "identity"])
    optimizer: str = option(None, "optimizer (the source does not say; measured per corpus, see the write-up)",
                            str, choices=["adam", "sgd", "adagrad"], default_text="adagrad on v1, adam on v2")
    steps: int = option(30_000, "training steps of the baseline (one chunk of every stream per step)")
    study_steps: int = option(10_000, "training steps of each network in a study (the grid: 3/10 of it)")
    seeds: int = option(5, "networks per configuration in a study (seeds seed, seed + 1, ...), trained as one "
                        "population; every table reports their mean and spread (at least 2)")
    dtype: str = option(None, "float type of the networks; float32 is about 2x faster, and the studies' "
                        "results in float32 agree with float64 within their seed spread (char_rnn_lab.md)", str,
                        choices=["float64", "float32"], default_text="float64 for the baseline, float32 for --study")
    burn_in: int = option(100, "held-out evaluation: characters each stream reads before its loss counts "
                          "(warms the state up; the loss from a zero state is reported beside it)",
                          non_negative_int)
    batch: int = option(32, "parallel streams per step")
    train_chars: int = option(1_000_000, "length of the training corpus in characters")
    eval_every: int = option(1000, "steps between held-out evaluations")
    temperature: float = option(0.7, "sampling temperature for generated text")
    study: str = option(None, "run one study (or all) instead of the baseline", str,
                        choices=[*studies.STUDIES, "all"])
    results_dir: str = option(None, "studies: folder for the study_<name>.json files", output_dir,
                              default_text="results/char_rnn_lab in the repository")
    workers: int = sweep.workers_field("--study all: ", "studies")
    scheduler: str = sweep.scheduler_field("--study all: ", "studies")
    sweep_dir: str = sweep.sweep_dir_field("--study all: ", "studies", "<results dir>/sweep")
    quick: bool = option(False, "a seconds-long smoke run (few steps, small corpus)")
    save_results: str = option(None, "write the results as JSON to this path (with --study: one study's)",
                               output_file)
    save_params: str = option(None, "baseline: write the trained parameters and the config as .npz to "
                              "this path; read it back with rnn_numpy.experiment.load_params", output_file)


def resolve(cfg):
    """Fill in the default float type (float64 baseline, float32 studies), the corpus's optimizer
    and learning rate, and apply --quick: a few hundred steps on a small corpus."""
    if cfg.dtype is None:
        cfg = dataclasses.replace(cfg, dtype="float32" if cfg.study else "float64")
    corpus = CORPORA[cfg.corpus]
    cfg = dataclasses.replace(cfg, optimizer=cfg.optimizer or corpus.optimizer, lr=corpus.lr if cfg.lr is None else cfg.lr)
    if cfg.quick:
        cfg = dataclasses.replace(cfg, steps=min(cfg.steps, 300), study_steps=min(cfg.study_steps, 150),
                                  train_chars=min(cfg.train_chars, 60_000), eval_every=min(cfg.eval_every, 100),
                                  seeds=min(cfg.seeds, 2), burn_in=min(cfg.burn_in, 20))
    return cfg


def check(cfg):
    """Everything wrong with the command line, for a person to read: flags that would be
    ignored, then the settings themselves."""
    problems = only_with(cfg, ["study_steps", "results_dir", "seeds"], cfg.study, "with --study")
    problems += only_with(cfg, ["workers", "scheduler", "sweep_dir"], cfg.study == "all", "with --study all")
    problems += sweep.sweep_problems(cfg)
    if cfg.study:
        problems += [f"--study trains with --study-steps, so {f} would be ignored" for f in changed(cfg, ["steps"])]
        problems += [f"--study trains many networks, so {f} would be ignored" for f in changed(cfg, ["save_params"])]
        problems += [f"--study {cfg.study} sets {f} itself, so the flag would be ignored"
                     for f in changed(cfg, studies.varied_by(cfg.study))]
        if cfg.study == "all" and cfg.save_results is not None:
            problems.append("--study all writes one file per study into --results-dir; --save-results names one file")
        elif cfg.save_results is not None and cfg.results_dir is not None:
            problems.append("--save-results names the study's file, so --results-dir would be ignored")
    return problems + validate(resolve(cfg))


def validate(cfg):
    problems = at_least_one(cfg, ("hidden", "chunk", "steps", "study_steps", "batch", "train_chars", "eval_every"))
    if cfg.seeds < 2:
        problems.append(f"--seeds must be at least 2: a spread needs two networks (got {cfg.seeds})")
    if not cfg.lr > 0:
        problems.append(f"--lr must be positive (got {cfg.lr})")
    if cfg.clip < 0:
        problems.append(f"--clip must not be negative (got {cfg.clip})")
    if not cfg.temperature > 0:
        problems.append(f"--temperature must be positive (got {cfg.temperature})")
    chunk = max(cfg.chunk, *studies.CHUNKS) if cfg.study else cfg.chunk  # studies 3 and 10 try every chunk
    scored = held_out_chars(cfg) // HELD_OUT_STREAMS - 1  # predictions per held-out stream
    if cfg.burn_in >= scored:
        problems.append(f"--burn-in {cfg.burn_in} leaves no held-out character to score (each stream has {scored})")
    if not problems and cfg.train_chars < cfg.batch * (chunk + 1):
        problems.append(f"--train-chars is too short for --batch streams of one chunk ({chunk} characters) each")
    return problems


# --- data -------------------------------------------------------------------------------------

HELD_OUT_STREAMS = 40  # the held-out text is read as 40 streams side by side


def held_out_chars(cfg):
    return 40_000 if not cfg.quick else 8_000


@dataclass(frozen=True)
class Corpus:
    grammar: type
    monte_carlo_sentences: int  # of the baseline's check of the exact entropy rate
    optimizer: str  # the baseline's optimizer and learning rate on this corpus
    lr: float


# v2's sentences are longer and vary more in surprisal: with 20,000 sentences one seed in five
# missed the exact rate by more than 0.002 nats/char, with 100,000 none did. Its optimizer
# and rate were measured (char_rnn_lab.md): the baseline on v2 ends 0.30 nats/char above the
# floor with AdaGrad at the source's lr 0.01, 0.096 with AdaGrad at 0.1, 0.090 with Adam at 0.003.
CORPORA = {"v1": Corpus(grammar.Grammar, 20_000, "adagrad", 0.01),
           "v2": Corpus(grammar_v2.GrammarV2, 100_000, "adam", 0.003)}


TARGET_GAP = {"v1": 0.15, "v2": 0.1}  # the baseline's target: held-out loss this close to the floor (nats/char)


def make_data(cfg, g=None):
    """Training and held-out text from the grammar (cfg.corpus unless g is given), as integer
    ids, plus its exact entropy floor."""
    g = CORPORA[cfg.corpus].grammar() if g is None else g
    train_text = grammar.generate_text(g, cfg.train_chars, np.random.default_rng(cfg.corpus_seed))
    held_text = grammar.generate_text(g, held_out_chars(cfg),
                                      np.random.default_rng(cfg.corpus_seed + 1000))
    return {"grammar": g, "train": grammar.encode(train_text), "held_out": grammar.encode(held_text),
            "entropy_rate": g.entropy_rate()}


# --- model ------------------------------------------------------------------------------------

# The size parameter of each initializer for W_hh (H x H): orthogonal gain 1 (spectral
# radius exactly 1); Xavier-uniform gain 1; "random" Gaussian with standard deviation
# 1.2 / sqrt(H), whose spectral radius is about 1.2 (the source: random starts above 1);
# uniform +-1 / sqrt(H).
INIT_SIZE = {"orthogonal": lambda H: 1.0, "xavier": lambda H: 1.0,
             "random": lambda H: 1.2 / np.sqrt(H), "uniform": lambda H: 1.0 / np.sqrt(H)}


def init_params(cfg, members):
    """One network per member (a dict of overrides: seed, init), each from its own generator:
    W_hh by the member's initializer, W_xh and W_hy Xavier-uniform, biases zero.
    Returns a population: every array has a leading (K,) axis."""
    nets = []
    for m in members:
        rng = np.random.default_rng(m.get("seed", cfg.seed))
        core = rnn.init_params(rng, V, cfg.hidden, recurrent=m.get("init", cfg.init),
                               gain=INIT_SIZE[m.get("init", cfg.init)](cfg.hidden))
        nets.append({**core, **readout.init_params(rng, cfg.hidden, V)})
    return {k: np.stack([n[k] for n in nets]) for k in nets[0]}


def make_optimizer(cfg, trained, lr):
    """The optimizer over the parameters to train (lr: a float, or one per network)."""
    if cfg.optimizer == "adam":
        return optim.Adam(trained, lr=lr)
    if cfg.optimizer == "adagrad":
        return optim.AdaGrad(trained, lr=lr)
    return optim.SGD(trained, lr=lr, momentum=0.9)


# --- training ---------------------------------------------------------------------------------

def train(cfg, members=None, data=None, callback=None, trained_keys=None, inputs=None, verbose=False, label="",
          tolerate_divergence=False):
    """Train a population of networks that share H, chunk, activation and optimizer; each
    member may override seed, init, lr and clip. Streams of the training corpus are read
    chunk by chunk and the hidden state is carried from chunk to chunk (truncated BPTT).

    trained_keys: the parameters to train (default all; a reservoir trains the readout). Only
    these enter the clipped gradient norm: a frozen weight's gradient is never applied, so it
    must not shrink the others' steps.
    inputs(step, params, ids, h0) -> x (T, K or 1, B, V): what the network reads for the
    characters ids (T, B); default the true characters (teacher forcing).
    tolerate_divergence: a network whose loss stops being finite is recorded in
    history["diverged_at"] (its step; -1 for those that never did) and left to run on NaN
    (each network's arithmetic is its own, so the others are untouched) instead of stopping
    the run; only if every network diverges does the run stop.
    callback(step, params, history) is called after every evaluation.
    Returns (params, history, data)."""
    cfg = resolve(cfg)
    members = [{}] if members is None else members
    data = make_data(cfg) if data is None else data
    K = len(members)
    params = {k: v.astype(cfg.dtype) for k, v in init_params(cfg, members).items()}  # drawn in float64
    trained = list(trained_keys or params)
    lr = np.array([m.get("lr", cfg.lr) for m in members])
    clip = np.array([m.get("clip", cfg.clip) for m in members])
    opt = make_optimizer(cfg, {k: params[k] for k in trained}, lr if K > 1 else float(lr[0]))
    text = grammar.streams(data["train"], cfg.batch)  # (B, length)
    n_chunks = (text.shape[1] - 1) // cfg.chunk
    if n_chunks == 0:
        raise RunError(f"the corpus is too short for chunks of {cfg.chunk} in {cfg.batch} streams; raise --train-chars")
    h = np.zeros((K, cfg.batch, cfg.hidden), dtype=cfg.dtype)
    history = {"step": [], "train_loss": [], "held_out_loss": [], "held_out_loss_cold": [], "spectral_radius": [],
               "grad_norm": np.empty((cfg.steps, K)), "clipped": np.zeros((cfg.steps, K), dtype=bool),
               "loss": np.empty((cfg.steps, K)), "diverged_at": np.full(K, -1)}
    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is caught by check_finite instead
        for step in range(cfg.steps):
            c = step % n_chunks
            if c == 0:
                h[...] = 0.0  # back at the start of the corpus: the carried state no longer fits
            ids = text[:, c * cfg.chunk:(c + 1) * cfg.chunk + 1].T  # (chunk + 1, B)
            x = grammar.one_hot(ids[:-1], cfg.dtype) if inputs is None else inputs(step, params, ids[:-1], h)
            loss, grads, _, hs = models.rnn_loss_and_grads(
                params, x, ids[1:], h0=h, activation=cfg.activation, loss="cross_entropy")
            grads = {k: grads[k] * cfg.chunk for k in trained}  # loss summed over the chunk (see train)
            note_divergence(history, loss, step, tolerate_divergence)
            h = hs[-1]  # carried to the next chunk; no gradient flows across the boundary
            history["loss"][step] = loss
            if cfg.clip:
                grads, history["grad_norm"][step] = optim.clip_global_norm(grads, clip, (K,))
                history["clipped"][step] = history["grad_norm"][step] > clip
            else:
                history["grad_norm"][step] = optim.global_norm(grads, (K,))
            opt.step(grads)
            if (step + 1) % cfg.eval_every == 0 or step + 1 == cfg.steps:
                record_evaluation(history, step, params, cfg, data)
                if callback is not None:
                    callback(step, params, history)
                if verbose:
                    print_progress(history, step, cfg, data, start, label)
    return params, history, data


def note_divergence(history, loss, step, tolerate):
    """Stop on a non-finite loss (check_finite's message), or, when tolerated, record the first
    step of each network that diverged and stop only when all have."""
    finite = np.isfinite(loss)
    if not tolerate or not finite.any():
        check_finite(loss, step + 1, "lower --lr or --clip")
    newly = ~finite & (history["diverged_at"] < 0)
    history["diverged_at"][newly] = step + 1


def record_evaluation(history, step, params, cfg, data):
    window = history["loss"][max(0, step + 1 - cfg.eval_every):step + 1]
    history["step"].append(step + 1)
    history["train_loss"].append(window.mean(axis=0).tolist())
    warm, cold = held_out_loss(params, cfg, data["held_out"], burn_in=cfg.burn_in)
    history["held_out_loss"].append(warm.tolist())
    history["held_out_loss_cold"].append(cold.tolist())
    history["spectral_radius"].append(spectral_radii(params["W_hh"]).tolist())


def spectral_radii(W_hh):
    """Each network's spectral radius (K,), NaN for a network whose weights diverged."""
    W_hh = W_hh.astype(np.float64)
    usable = np.isfinite(W_hh).all(axis=(1, 2))
    radius = np.full(len(W_hh), np.nan)
    if usable.any():
        radius[usable] = init.spectral_radius(W_hh[usable])
    return radius


def print_progress(history, step, cfg, data, start, label):
    held = np.array(history["held_out_loss"][-1])
    shown = " ".join(f"{v:.3f}" for v in held[:6]) + (" ..." if len(held) > 6 else "")
    print(f"  {label}step {step + 1:6d}/{cfg.steps}  held-out nats/char {shown}  "
          f"(floor {data['entropy_rate']:.3f})  {time.perf_counter() - start:5.1f} s", flush=True)


def held_out_loss(params, cfg, ids, n_streams=HELD_OUT_STREAMS, chunk=100, burn_in=0):
    """Mean cross-entropy (nats/char) on held-out text, read as n_streams streams with the
    state carried across chunks, as in training. Every stream starts from h = 0, which the
    first characters pay for; the loss counted from character burn_in on leaves that start-up
    cost out. Returns (loss after the burn-in (K,), loss over every character (K,))."""
    K = params["W_hh"].shape[0]
    total, count = np.zeros(K), 0  # every predicted character
    warm_total, warm_count = np.zeros(K), 0  # those from the burn_in-th on
    for c, block, logits in held_out_blocks(params, cfg, ids, n_streams, chunk):
        skip = min(max(burn_in - c, 0), len(block) - 1)  # predictions of this block still in the burn-in
        loss, _ = losses.softmax_cross_entropy(logits, block[1:])
        total += loss * (len(block) - 1)
        count += len(block) - 1
        if skip < len(block) - 1:  # a block past the burn-in counts whole: its loss is already there
            warm = loss if skip == 0 else losses.softmax_cross_entropy(logits[skip:], block[1 + skip:])[0]
            warm_total += warm * (len(block) - 1 - skip)
            warm_count += len(block) - 1 - skip
    if warm_count == 0:
        raise RunError(f"--burn-in {burn_in} leaves no held-out character to score (each stream has "
                       f"{len(ids) // n_streams - 1})")
    return warm_total / warm_count, total / count


def held_out_blocks(params, cfg, ids, n_streams, chunk):
    """Held-out text read as n_streams streams, chunk by chunk, each stream's state carried
    from chunk to chunk (from h = 0): yields (offset c, ids block (<= chunk + 1, streams),
    logits (<= chunk, K, streams, V) predicting block[1:])."""
    text = grammar.streams(ids, n_streams)
    h = np.zeros((params["W_hh"].shape[0], n_streams, cfg.hidden), dtype=params["W_hh"].dtype)
    for c in range(0, text.shape[1] - 1, chunk):
        block = text[:, c:c + chunk + 1].T  # (<= chunk + 1, streams)
        if len(block) < 2:
            break
        hs, _ = rnn.forward(grammar.one_hot(block[:-1], h.dtype), h, params, cfg.activation)
        yield c, block, readout.forward(hs, params)[0]
        h = hs[-1]


def place_cost(params, cfg, data, n_streams=HELD_OUT_STREAMS, chunk=100):
    """v2's longest dependency, priced: the mean nats each network pays on a held-out place
    word (after cfg.burn_in characters of each stream), whose noun came 8-57 characters
    earlier. Remembering the noun makes it free; keeping only the subject's kind costs log 8
    = 2.08 nats, keeping nothing log 16 = 2.77 (K,). None on v1, which has no places."""
    g = data["grammar"]
    if not hasattr(g, "place_characters"):
        return None
    is_place = grammar.streams(g.place_characters(grammar.decode(data["held_out"])), n_streams)
    starts = is_place & ~np.roll(is_place, 1, axis=1)  # the first letter of each place word
    paid = np.zeros(params["W_hh"].shape[0])
    for c, block, logits in held_out_blocks(params, cfg, data["held_out"], n_streams, chunk):  # (T, K, streams, V)
        z = logits - logits.max(axis=-1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # log-softmax
        target = np.take_along_axis(log_p, np.broadcast_to(block[1:, None, :, None], log_p.shape[:-1] + (1,)), -1)
        counted = is_place[:, c + 1:c + len(block)].T.copy()  # (T, streams): place letters as targets
        counted[:max(cfg.burn_in - c, 0)] = False
        paid -= (target[..., 0] * counted[:, None, :]).sum(axis=(0, 2))
    return paid / max(int(starts[:, cfg.burn_in + 1:].sum()), 1)


# --- generation -------------------------------------------------------------------------------

def generate(params, cfg, n_chars, rng, prime="the ", temperature=None):
    """Sample text from every network: feed the prime, then the network's own samples.
    Returns one string per network."""
    temperature = cfg.temperature if temperature is None else temperature
    K = params["W_hh"].shape[0]
    h = np.zeros((K, 1, cfg.hidden))
    hs, _ = rnn.forward(grammar.one_hot(grammar.encode(prime)[:, None]), h, params, cfg.activation)
    h = hs[-1]
    out = np.empty((n_chars, K), dtype=np.int64)
    for t in range(n_chars):
        logits, _ = readout.forward(h, params)  # (K, 1, V)
        p = np.exp((logits[:, 0] - logits[:, 0].max(axis=-1, keepdims=True)) / temperature)
        p /= p.sum(axis=-1, keepdims=True)
        out[t] = [rng.choice(V, p=row) for row in p]
        x = grammar.ONE_HOT[out[t]][None, :, None]  # (1, K, 1, V): each network reads its own sample
        h = rnn.forward(x, h, params, cfg.activation)[0][-1]
    return [prime + grammar.decode(out[:, k]) for k in range(K)]


# --- baseline ---------------------------------------------------------------------------------

def run_baseline(cfg, verbose=True):
    cfg = resolve(cfg)
    start = time.perf_counter()
    params, history, data = train(cfg, verbose=verbose)
    train_loop_s = time.perf_counter() - start
    samples = generate(params, cfg, 2000, np.random.default_rng(cfg.seed + 1))
    quality = grammar.text_quality(samples[0], data["grammar"])
    held = history["held_out_loss"][-1][0]
    metrics = {"held_out_loss": held, "held_out_loss_cold": history["held_out_loss_cold"][-1][0],
               "burn_in": cfg.burn_in, "entropy_rate": data["entropy_rate"],
               "entropy_rate_monte_carlo": grammar.monte_carlo_entropy_rate(
                   data["grammar"], CORPORA[cfg.corpus].monte_carlo_sentences, np.random.default_rng(7)),
               "monte_carlo_sentences": CORPORA[cfg.corpus].monte_carlo_sentences,
               "gap_to_floor": held - data["entropy_rate"], "uniform_loss": float(np.log(V)),
               "spectral_radius": history["spectral_radius"][-1][0],
               "lexicon_fraction": quality["lexicon"], "grammatical_fraction": quality["grammatical"],
               "place_cost": first(place_cost(params, cfg, data)),
               "clipped_fraction": float(history["clipped"].mean())}
    per_seed = [{"seed": cfg.seed, **{k: metrics[k] for k in ("held_out_loss", "gap_to_floor", "spectral_radius",
                                                              "lexicon_fraction", "grammatical_fraction")}}]
    results = {"problem": SLUG, "config": config_record(cfg), "metrics": metrics, "per_seed": per_seed,
               "sample": samples[0][:400], "history": history_json(history),
               "train_loop_s": train_loop_s, "versions": versions()}  # per_seed: the baseline is one network
    return results, params, history, data


def first(values):
    """The first network's value, or None."""
    return None if values is None else float(values[0])


def history_json(history):
    """The evaluation-time curves, plus per-step losses and gradient norms thinned to 1 in 50."""
    out = {k: history[k] for k in ("step", "train_loss", "held_out_loss", "held_out_loss_cold", "spectral_radius")}
    for k in ("loss", "grad_norm"):
        out[k + "_every_50"] = history[k][::50].tolist()
    out["clipped_fraction_per_1000"] = [history["clipped"][i:i + 1000].mean(axis=0).tolist()
                                        for i in range(0, len(history["clipped"]), 1000)]
    return out


def print_baseline(results):
    m, cfg = results["metrics"], results["config"]
    print(f"\nchar RNN baseline on corpus {cfg.get('corpus', 'v1')}: H={cfg['hidden']}, chunk {cfg['chunk']}, {cfg['optimizer']} lr {cfg['lr']}, "
          f"clip {cfg['clip']}, {cfg['init']} init, {cfg['activation']}, {cfg['steps']} steps, seed {cfg['seed']}")
    print(f"  held-out loss        {m['held_out_loss']:.3f} nats/char after a burn-in of {m['burn_in']} characters "
          f"per stream ({m['held_out_loss_cold']:.3f} counting every character from a zero state)")
    print(f"  entropy floor        {m['entropy_rate']:.4f} nats/char (exact, from the grammar; "
          f"Monte-Carlo check over {m.get('monte_carlo_sentences', 20_000):,} sentences: "
          f"{m['entropy_rate_monte_carlo']:.4f})")
    print(f"  gap to the floor     {m['gap_to_floor']:.3f} nats/char   "
          f"(target: at most {TARGET_GAP[cfg.get('corpus', 'v1')]})")
    print(f"  uniform guess        {m['uniform_loss']:.3f} nats/char")
    print(f"  spectral radius      {m['spectral_radius']:.3f} (W_hh after training)")
    print(f"  generated words in the lexicon   {m['lexicon_fraction']:.1%}   (target: at least 95%)")
    print(f"  words in grammatical sentences   {m['grammatical_fraction']:.1%}")
    print(f"  steps clipped        {m['clipped_fraction']:.1%}")
    if m.get("place_cost") is not None:
        print(f"  nats per place word  {m['place_cost']:.2f}   (0 if the subject's noun is remembered, log 8 = 2.08 "
              f"if only its kind, log 16 = 2.77 if neither)")
    print(f"\n  sample (temperature {cfg['temperature']}):\n    {results['sample'][:300]}")
    print(f"\n  training loop {results['train_loop_s']:.1f} s")


def study_condition(condition):
    """One study of --study all (or one size of the grid) as a sweep condition (rnn_numpy.sweep):
    {"name", "study", "config"[, "grid_hidden"]} -> the study's results. Module-level, so that
    Dask workers can run it; a worker imports this script by name (the problems folder is on
    its path)."""
    import char_rnn_lab as lab

    cfg = lab.Config(**condition["config"])
    part = {"hidden_sizes": [condition["grid_hidden"]]} if "grid_hidden" in condition else None
    return jsonable(studies.run_study(lab, cfg, lab.make_data(cfg), condition["study"], part))  # as its file holds it


@command
def main(argv=None):
    cfg = parse_config(Config, __doc__, argv, check)
    if cfg.study:  # each study saves its own results file
        return studies.run(sys.modules[__name__], cfg, cfg.results_dir or scratch_dir(ROOT, SLUG))
    start = time.perf_counter()
    results, params, _, _ = run_baseline(cfg)
    results["wallclock_s"] = time.perf_counter() - start
    print_baseline(results)
    write_results(cfg.save_results, results)
    save_params(cfg.save_params, params, results["config"], SLUG)
    m = results["metrics"]
    check_learned(m["held_out_loss"], m["uniform_loss"], f"the uniform guess log {V}", "lower --lr or --clip",
                  what="held-out loss (nats/char)", smoke=cfg.quick)  # after saving: worth a look even so
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
