"""The second corpus of char_rnn_lab (--corpus v2): a template language with long dependencies
(agreement over 24-34 characters, a place fixed 8-57 characters earlier), humans and animals
in contexts of their own, all 26 letters, and an entropy rate near the source's regime; still
with an exact probability for every sentence.

    sentence = SUBJECT [ "that" INNER RELVERB ] VERB [ OBJECT ] PREP PLACE "with" CLOSING
    SUBJECT  = DET(n) [ ADJ(k) ] NOUN(k, n)        number n and kind k (human / animal): 1/2 each
    INNER    = DET(m) NOUN(any, m) NAME            with p_relative; its own number m
    RELVERB  = what the inner noun does to the subject: a verb of kind k, agreeing with m
    VERB     = a verb of kind k agreeing with n: intransitive, or + OBJ_DET THING(its class),
               or + NAME
    PLACE    = the subject noun's own place (king -> citadel, lion -> jungle): fixed by the noun
    NAME     = 3 or 4 syllables; CLOSING = a name of 4, 5 or 6 syllables (uniform); a syllable
               is a consonant (21) and a vowel (5)

Every choice is uniform unless a probability is named. The long dependencies: the main verb
agrees in number and kind with the subject across the relative clause (24-34 characters
after the noun, in 70 % of sentences), and the place is fixed by the subject's noun, 8-57
characters earlier (median 43). Names carry 73 % of the entropy, at 2.43-2.44 nats per
letter, which puts the rate in the source's regime and brings in every letter; the closing
name sits after every dependency, so it does not lengthen them (run this file to print
these figures). No word is a name, and every sentence
ends on a place, "with" and a name, which no other slot uses, so a stream splits into
sentences in one way only; then the entropy rate is exactly
H(sentence) / E[characters per sentence], summed choice by choice below.
"""

import math
from dataclasses import dataclass

import numpy as np

CONSONANTS, VOWELS = "bcdfghjklmnpqrstvwxyz", "aeiou"
KINDS = ("human", "animal")
NUMBERS = ("sg", "pl")

# noun -> its place; the plural of every noun is noun + "s"
PLACES = {
    "human": {"king": "citadel", "queen": "castle", "girl": "school", "boy": "park", "judge": "court",
              "pilot": "airport", "nurse": "clinic", "baker": "bakery"},
    "animal": {"cat": "basket", "dog": "kennel", "yak": "hills", "zebra": "plains", "lion": "jungle",
               "tiger": "forest", "horse": "stable", "camel": "desert"},
}
DETS = {"sg": ("the", "a", "one", "my", "this", "each"),
        "pl": ("the", "some", "two", "my", "these", "many")}
ADJECTIVES = {"human": ("brave", "wise", "young", "jolly", "proud", "kind"),
              "animal": ("wild", "furry", "hungry", "spotted", "fuzzy", "tame")}
# (singular, plural) forms
RELATIVE_VERBS = {"human": (("greets", "greet"), ("thanks", "thank"), ("obeys", "obey"), ("visits", "visit")),
                  "animal": (("feeds", "feed"), ("chases", "chase"), ("rides", "ride"), ("pets", "pet"))}
# (singular, plural, object): object None (intransitive), "name", or a class of THINGS
VERBS = {"human": (("sings", "sing", None), ("laughs", "laugh", None), ("reads", "read", "text"),
                   ("cooks", "cook", "dish"), ("calls", "call", "name"), ("meets", "meet", "name"),
                   ("likes", "like", "name")),
         "animal": (("growls", "growl", None), ("hops", "hop", None), ("eats", "eat", "feed"),
                    ("fetches", "fetch", "toy"), ("bites", "bite", "name"), ("follows", "follow", "name"),
                    ("licks", "lick", "name"))}
THINGS = {"text": ("book", "letter", "poem", "map", "note", "story"),
          "dish": ("pizza", "soup", "bread", "jam", "pie", "cake"),
          "feed": ("hay", "grass", "seeds", "corn", "bugs", "fruit"),
          "toy": ("ball", "stick", "bone", "rope", "shoe", "sock")}
OBJECT_DETS = ("the", "my", "her", "his")
PREPOSITIONS = ("at", "in", "by", "near")
NAME_SYLLABLES = (3, 4)  # names inside the sentence (they lengthen its dependencies)
CLOSING_NAME_SYLLABLES = (4, 5, 6)  # the name after "with", past every dependency
ANIMATE = tuple(PLACES["human"]) + tuple(PLACES["animal"])  # who can be the relative clause's noun


def vocabulary():
    """Every word but the names."""
    words = {"that", "with", *PREPOSITIONS, *OBJECT_DETS, *DETS["sg"], *DETS["pl"]}
    for k in KINDS:
        words |= set(ADJECTIVES[k]) | set(PLACES[k]) | set(PLACES[k].values())
        words |= {plural(n) for n in PLACES[k]}
        words |= {form for verb in RELATIVE_VERBS[k] + VERBS[k] for form in verb[:2]}
    return frozenset(words | {t for ts in THINGS.values() for t in ts})


def plural(noun):
    return noun + "s"


def is_name(word, syllables=NAME_SYLLABLES + CLOSING_NAME_SYLLABLES):
    """A name: consonant-vowel syllables, as many as one of `syllables`."""
    pairs = [word[i:i + 2] for i in range(0, len(word), 2)]
    return (len(word) % 2 == 0 and len(pairs) in syllables
            and all(p[0] in CONSONANTS and p[1] in VOWELS for p in pairs))


VOCABULARY = vocabulary()


def uniform(words):
    """(entropy in nats, mean characters with the following space) of a uniform choice."""
    return math.log(len(words)), float(np.mean([len(w) + 1 for w in words]))


def h_binary(p):
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


@dataclass(frozen=True)
class GrammarV2:
    p_adjective: float = 0.5
    p_relative: float = 0.7
    novel_word_targets: tuple = ("king", "lion", "bread")  # char_rnn_lab's novel-word study

    @property
    def nouns(self):
        """Category -> singular nouns (the novel-word study compares words of these)."""
        return {**{k: tuple(PLACES[k]) for k in KINDS}, **THINGS}

    @staticmethod
    def vocabulary():
        return set(VOCABULARY)

    @staticmethod
    def in_lexicon(word):
        return word in VOCABULARY or is_name(word)

    @staticmethod
    def place_characters(text):
        return place_characters(text)

    # --- sampling --------------------------------------------------------------------------

    def sample(self, rng, with_logp=False):
        """One sentence as a list of words (and, with_logp, the log-probability of the choices
        that made it, which the tests hold against the parser's)."""
        logp = 0.0

        def pick(options):
            nonlocal logp
            logp -= math.log(len(options))
            return options[rng.integers(len(options))]

        def happens(p):
            nonlocal logp
            yes = rng.random() < p
            logp += math.log(p if yes else 1 - p)
            return yes

        def name(syllables=NAME_SYLLABLES):
            return "".join(pick(CONSONANTS) + pick(VOWELS) for _ in range(pick(syllables)))

        n, kind = pick(NUMBERS), pick(KINDS)
        noun = pick(tuple(PLACES[kind]))
        words = [pick(DETS[n])]
        if happens(self.p_adjective):
            words.append(pick(ADJECTIVES[kind]))
        words.append(noun if n == "sg" else plural(noun))
        if happens(self.p_relative):
            m = pick(NUMBERS)
            inner_det, inner = pick(DETS[m]), pick(ANIMATE)
            words += ["that", inner_det, inner if m == "sg" else plural(inner), name(),
                      pick(RELATIVE_VERBS[kind])[NUMBERS.index(m)]]
        verb = pick(VERBS[kind])
        words.append(verb[NUMBERS.index(n)])
        if verb[2] == "name":
            words.append(name())
        elif verb[2] is not None:
            words += [pick(OBJECT_DETS), pick(THINGS[verb[2]])]
        words += [pick(PREPOSITIONS), PLACES[kind][noun], "with", name(CLOSING_NAME_SYLLABLES)]
        return (words, logp) if with_logp else words

    # --- parsing: the log-probability of a sentence, read back from its words --------------------

    def parse(self, words, i=0):
        """Read one sentence from words[i:]: (log-probability, index after it) or None."""
        reader = _Reader(words, i)
        try:
            logp = self.read_sentence(reader)
        except _NotASentence:
            return None
        return logp, reader.i

    def read_sentence(self, r):
        det = r.take()
        adjective = r.take() if any(r.peek() in a for a in ADJECTIVES.values()) else None
        kind, n, noun = noun_form(r.take())
        r.need(det in DETS[n] and (adjective is None or adjective in ADJECTIVES[kind]))
        logp = -math.log(2) - math.log(len(DETS[n])) - math.log(2) - math.log(len(PLACES[kind]))  # n, det, kind, noun
        logp += (math.log(self.p_adjective) - math.log(len(ADJECTIVES[kind])) if adjective
                 else math.log(1 - self.p_adjective))
        if r.peek() == "that":
            r.take()
            inner_det = r.take()
            _, m, _ = noun_form(r.take())
            r.need(inner_det in DETS[m])
            logp += math.log(self.p_relative) - math.log(2) - math.log(len(DETS[m])) - math.log(len(ANIMATE))
            logp += name_logp(r.take())
            r.need(r.take() in [v[NUMBERS.index(m)] for v in RELATIVE_VERBS[kind]])
            logp -= math.log(len(RELATIVE_VERBS[kind]))
        else:
            logp += math.log(1 - self.p_relative)
        verb = {v[NUMBERS.index(n)]: v for v in VERBS[kind]}.get(r.take())
        r.need(verb is not None)
        logp -= math.log(len(VERBS[kind]))
        if verb[2] == "name":
            logp += name_logp(r.take())
        elif verb[2] is not None:
            r.need(r.take() in OBJECT_DETS and r.take() in THINGS[verb[2]])
            logp -= math.log(len(OBJECT_DETS)) + math.log(len(THINGS[verb[2]]))
        r.need(r.take() in PREPOSITIONS and r.take() == PLACES[kind][noun] and r.take() == "with")
        return logp - math.log(len(PREPOSITIONS)) + name_logp(r.take(), CLOSING_NAME_SYLLABLES)

    # --- the exact entropy rate ----------------------------------------------------------------

    def entropy_rate(self):
        """H(sentence) / E[characters per sentence] (sentence_entropy_and_length)."""
        h, chars = self.sentence_entropy_and_length()
        return h / chars

    def sentence_entropy_and_length(self):
        """(H(sentence) in nats, E[characters per sentence]), both summed choice by choice:
        every choice adds its probability of being made times its entropy, and the words it
        writes add their expected length (with the following space)."""
        h, chars = 2 * math.log(2), 0.0  # number and kind of the subject
        for n in NUMBERS:  # determiner and noun (plural + "s"), name
            h_det, c_det = uniform(DETS[n])
            h += h_det / 2
            chars += (c_det + (n == "pl")) / 2
        h_name, c_name = name_entropy(NAME_SYLLABLES)
        h_closing, c_closing = name_entropy(CLOSING_NAME_SYLLABLES)
        h_adj = h_binary(self.p_adjective)
        h_rel = h_binary(self.p_relative) + self.p_relative * (math.log(2) + h_name)
        chars += len("with ") + c_closing + self.p_relative * (len("that ") + c_name)
        for kind in KINDS:  # each kind with probability 1/2
            h_noun, c_noun = uniform(tuple(PLACES[kind]))
            h_place, c_place = uniform(tuple(PLACES[kind].values()))  # fixed by the noun: only its length
            h_a, c_a = uniform(ADJECTIVES[kind])
            h_adj += self.p_adjective * h_a / 2
            chars += (c_noun + self.p_adjective * c_a + c_place) / 2
            h += h_noun / 2
            h_rel += self.p_relative * self.inner_entropy(kind) / 2
            chars += self.p_relative * self.inner_chars(kind) / 2
            h_verb, c_verb = self.verb_phrase(kind, h_name, c_name)
            h += h_verb / 2
            chars += c_verb / 2
        h_prep, c_prep = uniform(PREPOSITIONS)
        return h + h_closing + h_adj + h_rel + h_prep, chars + c_prep

    def name_share(self):
        """The share of H(sentence) that the names carry: the closing name, the relative
        clause's (with p_relative) and a name object (for the verbs that take one)."""
        h_name, h_closing = name_entropy(NAME_SYLLABLES)[0], name_entropy(CLOSING_NAME_SYLLABLES)[0]
        name_objects = np.mean([[v[2] == "name" for v in VERBS[k]] for k in KINDS])  # kinds 1/2 each
        return (h_closing + (self.p_relative + name_objects) * h_name) / self.sentence_entropy_and_length()[0]

    @staticmethod
    def inner_entropy(kind):
        """The relative clause's choices after its number and name: determiner, noun, verb."""
        return (np.mean([uniform(DETS[m])[0] for m in NUMBERS]) + math.log(len(ANIMATE))
                + math.log(len(RELATIVE_VERBS[kind])))

    @staticmethod
    def inner_chars(kind):
        return float(np.mean([uniform(DETS[m])[1] + uniform(ANIMATE)[1] + (m == "pl")
                              + np.mean([len(v[NUMBERS.index(m)]) + 1 for v in RELATIVE_VERBS[kind]])
                              for m in NUMBERS]))

    @staticmethod
    def verb_phrase(kind, h_name, c_name):
        """(entropy, mean characters) of VERB [OBJECT] for a subject of this kind, averaged
        over the subject's number."""
        h, chars = math.log(len(VERBS[kind])), 0.0
        for verb in VERBS[kind]:
            chars += np.mean([len(verb[0]), len(verb[1])]) + 1
            if verb[2] == "name":
                h, chars = h + h_name / len(VERBS[kind]), chars + c_name
            elif verb[2] is not None:
                h_det, c_det = uniform(OBJECT_DETS)
                h_thing, c_thing = uniform(THINGS[verb[2]])
                h, chars = h + (h_det + h_thing) / len(VERBS[kind]), chars + c_det + c_thing
        return h, chars / len(VERBS[kind])


def name_entropy(syllables):
    """(entropy, mean characters with the space) of a name of one of `syllables` lengths."""
    per_syllable = math.log(len(CONSONANTS) * len(VOWELS))
    mean_syllables = float(np.mean(syllables))
    return math.log(len(syllables)) + mean_syllables * per_syllable, 2 * mean_syllables + 1


def name_logp(word, syllables=NAME_SYLLABLES):
    if not is_name(word, syllables):
        raise _NotASentence
    return -math.log(len(syllables)) - len(word) // 2 * math.log(len(CONSONANTS) * len(VOWELS))


def noun_form(word):
    """(kind, number, singular noun) of a noun form; not a noun: not a sentence."""
    for kind in KINDS:
        for noun in PLACES[kind]:
            if word == noun:
                return kind, "sg", noun
            if word == plural(noun):
                return kind, "pl", noun
    raise _NotASentence


class _NotASentence(Exception):
    pass


class _Reader:
    """Words read one at a time; running out, or a word out of place, ends the parse."""

    def __init__(self, words, i):
        self.words, self.i = words, i

    def peek(self):
        return self.words[self.i] if self.i < len(self.words) else None

    def take(self):
        word = self.peek()
        if word is None:
            raise _NotASentence
        self.i += 1
        return word

    @staticmethod
    def need(condition):
        if not condition:
            raise _NotASentence


# --- where the long dependency pays ---------------------------------------------------------

PLACE_WORDS = frozenset(p for kind in KINDS for p in PLACES[kind].values())


def place_characters(text):
    """(len(text),) bool: the characters of every place word. Given the sentence so far a
    place is certain (its noun fixes it), so a model that remembers the noun pays 0 nats on
    them; one that remembers only the kind pays log 8 per place, one that remembers nothing
    log 16."""
    mask = np.zeros(len(text), dtype=bool)
    start = 0
    for word in text.split(" "):
        if word in PLACE_WORDS:
            mask[start:start + len(word)] = True
        start += len(word) + 1
    return mask


# --- the dependencies' spans, measured on sampled sentences -----------------------------------

def dependency_spans(g, n_sentences, rng):
    """Characters from the end of the subject's noun to the main verb (the agreement) and to
    the place, in n_sentences sampled sentences: (agreement spans of the sentences with a
    relative clause, every sentence's place span, share with a relative clause, mean length)."""
    nouns = {form for k in KINDS for n in PLACES[k] for form in (n, plural(n))}
    verbs = {v[i] for k in KINDS for v in VERBS[k] for i in (0, 1)}
    agreement, place, relative, length = [], [], 0, 0
    for _ in range(n_sentences):
        words = g.sample(rng)
        starts = np.cumsum([0] + [len(w) + 1 for w in words])  # where each word begins
        noun = next(i for i, w in enumerate(words) if w in nouns)
        verb = next(i for i, w in enumerate(words) if w in verbs)
        noun_end = starts[noun] + len(words[noun])
        if "that" in words:
            relative += 1
            agreement.append(starts[verb] - noun_end)
        place.append(starts[len(words) - 3] - noun_end)  # ... PLACE "with" NAME
        length += starts[-1]
    return np.array(agreement), np.array(place), relative / n_sentences, length / n_sentences


if __name__ == "__main__":  # python problems/_char_grammar_v2.py: the facts char_rnn_lab.md quotes
    g = GrammarV2()
    agreement, place, relative, length = dependency_spans(g, 20_000, np.random.default_rng(0))
    print(f"entropy rate {g.entropy_rate():.4f} nats/char; names carry {g.name_share():.0%} of it, "
          f"{name_entropy(NAME_SYLLABLES)[0] / (2 * np.mean(NAME_SYLLABLES)):.2f} nats per letter inside a sentence, "
          f"{name_entropy(CLOSING_NAME_SYLLABLES)[0] / (2 * np.mean(CLOSING_NAME_SYLLABLES)):.2f} in the closing name")
    print(f"over 20,000 sampled sentences: {length:.1f} characters each; a relative clause in {relative:.0%}")
    print(f"agreement across the relative clause: {agreement.min()}-{agreement.max()} characters")
    print(f"noun -> place: {place.min()}-{place.max()} characters, median {np.median(place):.0f}")
