"""The synthetic grammar behind char_rnn_lab: an English-like template language in the
spirit of Elman's sentence generator, with a known probability for every sentence, so
the entropy rate of its character stream is computed exactly, not estimated.

    sentence = clause ( "and" clause )*          another clause with p_and, at most max_clauses
    clause   = "the" SUBJECT VERB [ "the" OBJECT ] [ "fast" ]
        SUBJECT: any animate noun (humans and animals), uniform
        VERB:    uniform over the verbs; each is intransitive or takes one object class
        OBJECT:  uniform over the verb's object class (selectional restriction)
        "fast":  after an intransitive verb only, with probability p_fast

Text is words joined by single spaces, each sentence followed by a space; characters are
a-z and space. Every verb is either intransitive or transitive, "the" opens every noun and
"and" only joins clauses, so a stream splits into sentences in exactly one way. Then the
entropy rate of the stream is H(sentence) / E[characters per sentence].

The last section turns text into network input (one-hot vectors, parallel streams) and
scores generated text (share of real words, share inside grammatical sentences).
"""

import functools
import math
from dataclasses import dataclass, field

import numpy as np

ALPHABET = " abcdefghijklmnopqrstuvwxyz"  # index 0 is the space


@dataclass(frozen=True)
class Grammar:
    nouns: dict = field(default_factory=lambda: {
        "human": ("boy", "girl", "man", "woman", "king", "queen"),
        "animal": ("cat", "dog", "lion", "bird", "fish", "mouse"),
        "food": ("bread", "cake", "apple", "cheese", "soup", "rice"),
        "object": ("cup", "plate", "glass", "vase", "window", "chair"),
    })
    animate: tuple = ("human", "animal")  # who can be a subject (and what "animate" objects are)
    verbs: tuple = (  # (verb, object class or None for intransitive)
        ("sleeps", None), ("runs", None), ("walks", None), ("jumps", None),
        ("chases", "animate"), ("sees", "animate"), ("hears", "animate"), ("watches", "animate"),
        ("eats", "food"), ("breaks", "object"),
    )
    p_fast: float = 0.3
    p_and: float = 0.25
    max_clauses: int = 3

    def members(self, cls):
        """The nouns of a class ("animate" = every human and animal)."""
        if cls == "animate":
            return tuple(w for c in self.animate for w in self.nouns[c])
        return self.nouns[cls]

    novel_word_targets: tuple = ("man", "lion", "bread")  # char_rnn_lab's novel-word study

    def vocabulary(self):
        words = {"the", "and", "fast"} | {v for v, _ in self.verbs}
        return words | {w for ws in self.nouns.values() for w in ws}

    @functools.cached_property
    def lexicon(self):
        """The vocabulary, built once per grammar (text_quality asks for every generated word)."""
        return frozenset(self.vocabulary())

    def in_lexicon(self, word):
        return word in self.lexicon

    # The interface char_rnn_lab uses, shared with _char_grammar_v2.GrammarV2:
    def sample(self, rng):
        return sample_sentence(self, rng)

    def parse(self, words, i=0):
        return parse_sentence(self, words, i)

    def entropy_rate(self):
        return entropy_rate(self)


def clause_count_probs(g):
    """P(K = k) for k = 1..max_clauses: another clause with p_and, until the cap."""
    p = [(g.p_and ** (k - 1)) * (1 - g.p_and) for k in range(1, g.max_clauses)]
    return np.array(p + [g.p_and ** (g.max_clauses - 1)])


def sample_sentence(g, rng):
    """One sentence as a list of words, drawn with the grammar's probabilities."""
    subjects = g.members("animate")
    words = []
    n_clauses = 1 + int(rng.choice(g.max_clauses, p=clause_count_probs(g)))
    for k in range(n_clauses):
        if k:
            words.append("and")
        verb, obj = g.verbs[rng.integers(len(g.verbs))]
        words += ["the", subjects[rng.integers(len(subjects))], verb]
        if obj is not None:
            objects = g.members(obj)
            words += ["the", objects[rng.integers(len(objects))]]
        elif rng.random() < g.p_fast:
            words.append("fast")
    return words


def parse_clause(g, words, i):
    """Read one clause starting at words[i]: (log-probability, next index), or None if the
    words there are not a clause of the grammar."""
    subjects = g.members("animate")
    verbs = dict(g.verbs)
    if words[i:i + 1] != ["the"] or i + 2 >= len(words):
        return None
    if words[i + 1] not in subjects or words[i + 2] not in verbs:
        return None
    logp = -math.log(len(subjects)) - math.log(len(g.verbs))
    obj, j = verbs[words[i + 2]], i + 3
    if obj is not None:
        objects = g.members(obj)
        if words[j:j + 1] != ["the"] or j + 1 >= len(words) or words[j + 1] not in objects:
            return None
        return logp - math.log(len(objects)), j + 2
    if words[j:j + 1] == ["fast"]:
        return logp + math.log(g.p_fast), j + 1
    return logp + math.log(1 - g.p_fast), j


def parse_sentence(g, words, i=0):
    """Read one sentence from words[i:]: (log-probability, next index) or None. The next
    index is where the following sentence starts (or len(words))."""
    probs = clause_count_probs(g)
    logp, k = 0.0, 0
    while True:
        clause = parse_clause(g, words, i)
        if clause is None:
            return None
        logp, i, k = logp + clause[0], clause[1], k + 1
        if k < g.max_clauses and words[i:i + 1] == ["and"]:
            i += 1
            continue
        return logp + math.log(probs[k - 1]), i


def accepts(g, words):
    """True if the words are exactly one sentence of the grammar (either corpus)."""
    parsed = g.parse(words)
    return parsed is not None and parsed[1] == len(words)


def sentence_spans(g, words):
    """Split a stream of words into sentences, greedily: the (start, end) word spans of the
    accepted sentences, in order; a word that starts no sentence is skipped."""
    spans, i = [], 0
    while i < len(words):
        parsed = g.parse(words, i)
        if parsed is None:
            i += 1
            continue
        spans.append((i, parsed[1]))
        i = parsed[1]
    return spans


def split_stream(g, words):
    """(number of accepted sentences, number of words inside them) of a stream of words."""
    spans = sentence_spans(g, words)
    return len(spans), sum(end - start for start, end in spans)


def entropy_rate(g):
    """Exact entropy rate of the character stream in nats per character:
    H(sentence) / E[characters per sentence], with
        H(sentence) = H(K) + E[K] H(clause),  K = the number of clauses
        H(clause)   = log |subjects| + log |verbs| + mean over verbs of (log |objects| or H_b(p_fast))
    and every word counted with the space that follows it."""
    subjects, n_verbs = g.members("animate"), len(g.verbs)
    h_fast = -(g.p_fast * math.log(g.p_fast) + (1 - g.p_fast) * math.log(1 - g.p_fast))
    h_clause = math.log(len(subjects)) + math.log(n_verbs)
    chars_clause = len("the ") + np.mean([len(s) + 1 for s in subjects])
    for verb, obj in g.verbs:
        chars_clause += (len(verb) + 1) / n_verbs
        if obj is None:
            h_clause += h_fast / n_verbs
            chars_clause += g.p_fast * len("fast ") / n_verbs
        else:
            objects = g.members(obj)
            h_clause += math.log(len(objects)) / n_verbs
            chars_clause += (len("the ") + np.mean([len(o) + 1 for o in objects])) / n_verbs
    probs = clause_count_probs(g)
    k = np.arange(1, g.max_clauses + 1)
    mean_k = float((probs * k).sum())
    h_sentence = -float((probs * np.log(probs)).sum()) + mean_k * h_clause
    chars_sentence = mean_k * chars_clause + (mean_k - 1) * len("and ")
    return h_sentence / chars_sentence


def monte_carlo_entropy_rate(g, n_sentences, rng):
    """The same rate estimated by sampling: mean surprisal -log p(sentence) over the mean
    number of characters per sentence, for n_sentences sampled sentences."""
    sentences = [g.sample(rng) for _ in range(n_sentences)]
    surprisal = -np.mean([g.parse(s)[0] for s in sentences])
    return surprisal / np.mean([sum(len(w) + 1 for w in s) for s in sentences])


def generate_text(g, n_chars, rng):
    """Whole sentences until at least n_chars characters: the text (a-z and spaces)."""
    parts, total = [], 0
    while total < n_chars:
        sentence = " ".join(g.sample(rng)) + " "
        parts.append(sentence)
        total += len(sentence)
    return "".join(parts)


def encode(text):
    """Characters -> integer ids (space 0, a 1, ..., z 26)."""
    codes = np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64)
    return np.where(codes == ord(" "), 0, codes - ord("a") + 1)


def decode(ids):
    return "".join(ALPHABET[i] for i in ids)


# --- text as network input ------------------------------------------------------------------

V = len(ALPHABET)  # 27 symbols: space and a-z
ONE_HOT = np.eye(V)
ONE_HOT_BY_DTYPE = {np.dtype(np.float64): ONE_HOT, np.dtype(np.float32): ONE_HOT.astype(np.float32)}


def one_hot(ids, dtype=np.float64):
    """(T, B) ids -> (T, 1, B, V) inputs shared by every network of a population, in the
    networks' float dtype (a float64 input would lift a float32 network's products to float64)."""
    return ONE_HOT_BY_DTYPE[np.dtype(dtype)][ids][:, None]


def streams(ids, n_streams):
    """Cut a corpus into n_streams equal contiguous streams: (n_streams, length)."""
    length = len(ids) // n_streams
    return ids[:length * n_streams].reshape(n_streams, length)


def text_quality(text, g):
    """Share of generated words that are in the lexicon (or, in v2, are names), and share of
    words that sit inside sentences the grammar accepts (the first and last, possibly cut,
    words are dropped)."""
    words = text.split()[1:-1]
    if not words:
        return {"lexicon": 0.0, "grammatical": 0.0}
    _, in_sentences = split_stream(g, words)
    return {"lexicon": sum(map(g.in_lexicon, words)) / len(words), "grammatical": in_sentences / len(words)}
