"""The embedded summarizer: pick the article's most informative sentences, verbatim (a long
one cut after its main clause, see _trim; one leaning on the sentence before joined to it).

It needs no key, no model and no download, so it is the default and the fallback when the
LLM fails. Each sentence is scored by

* position — news is written as an inverted pyramid, so the lead carries the most weight;
* centrality — TF-IDF cosine to the whole article, so a sentence about the story's main
  subject beats an aside; and similarity to the title when there is one;
* length — a sentence of moderate length reads as a point, a fragment or a run-on caption
  does not; mostly-quoted sentences and ones with a photo caption run into them lose a little;
* similarity to the lead sentence, which says what the story is about;

and picked greedily with maximal marginal relevance, so a second sentence that repeats the
first loses to one that adds something, and a near copy of a chosen one is never picked.
Boilerplate (bylines, "Read more", photo credits, "PUBLISHED:" stamps, subscribe prompts,
cookie notices) never becomes a point; questions and lines without a full stop only when
nothing better is there. The page's own summary box ("Points of attention") is not read
(see summary_box): it would win on position and crowd out the facts it restates.

How many points: three by default, more only while the chosen ones are short. A brief (at
most `brief_sentences` usable sentences) is different: nearly every sentence in it is news,
so points go on, shortest-fitting first, while they fit in `brief_words` — the lead, the
heroes' welcome, the 15,000 troops and the settled front of a 9-sentence story, not three.

A point must stand on its own (see cohesion). A sentence that leans on the one before ("The
dictator called them heroes.", "However, …") is joined to it when the two fit in `join_max`
words. Otherwise: one that continues an enumeration ("First of all, …", "Перш за все …") or
whose subject is a demonstrative standing for the sentence before ("This indicates …",
"Це свідчить …") is never a point while others are there; one whose subject is a pronoun
("He said …") is a point only right after the sentence it leans on. Connective openers
("However, …", "Однак …") still state their fact and cost nothing: penalising them lost
ROUGE-2 on the held-out CNN/DailyMail half.

On 200 CNN/DailyMail articles this beats Lead-3 on ROUGE-1/2/Lsum on both halves
(bench/summaries.py). Points come out most important first, in the order the greedy pick
chose them, except that a pronoun-led point follows the one it leans on.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from bot.article import Article, Summary
from bot.summarize.cohesion import dangles, leans_back, names_back, points_back
from bot.summarize.sentences import split_sentences
from bot.summarize.summary_box import without_summary_box

__all__ = ["ExtractiveSummarizer", "Weights", "select_points"]

# Work is capped so a 200k-character page costs no more than a long article: the important
# part of news is at the top, and the bot runs this on its hot path.
MAX_CHARS = 30_000
MAX_CANDIDATES = 60


@dataclass(frozen=True, slots=True)
class Weights:
    """The few global parameters of the scorer (tuned on CNN/DailyMail, see bench/summaries.py)."""

    position_decay: float = 4.0  # the position prior falls to half after this many sentences
    centrality: float = 1.0  # cosine to the article's TF-IDF centroid
    title: float = 0.4  # cosine to the title (CNN/DM has no titles: set by judgement)
    lead: float = 0.4  # cosine to the first sentence, which states what the story is about
    redundancy: float = 0.7  # MMR: how much overlap with already chosen points costs
    duplicate: float = 0.9  # at this cosine to a chosen point a sentence is a repeat: skipped
    ideal_min_words: int = 8  # shorter sentences lose up to half their score
    ideal_max_words: int = 35  # longer ones lose in proportion: a point should be short
    quote: float = 0.8  # factor for a sentence that is mostly somebody's quoted words
    glued: float = 0.7  # factor for a sentence with a photo caption run into it
    target_words: int = 40  # past min_points, add points while the chosen are this short
    extra_point_floor: float = 0.5  # ...and the next one scores at least this share of the top
    trim_above: int = 24  # a sentence longer than this is cut after its main clause
    join_max: int = 30  # a sentence leaning on the one before is joined to it within this
    brief_sentences: int = 8  # an article of at most this many usable sentences is a brief:
    brief_words: int = 120  # ...past min_points, its points go on while they fit in this
    brief_floor: float = 0.25  # ...scoring at least this share of the top
    brief_max_words: int = 40  # ...and none but the lead is longer than this


DEFAULT_WEIGHTS = Weights()


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_HARD_MIN_WORDS = 4
_HARD_MAX_WORDS = 120
_STOPWORDS = _wordset(
    """
    the a an and or but if of to in on at for from by with without about into over after
    before than then that this these those there here is are was were be been being has
    have had do does did will would can could should may might must not no its it he she
    they we you i his her their our your my him them us me who whom which what when where
    why how all any some more most other such only own same so too very just also as said
    says say der die das und oder aber ein eine einer eines dem den des ist sind war waren
    wird werden hat haben nicht mit von zu im am auf aus bei für sich auch als wie dass es er
    sie wir ich і й та а але що це як до на в у з із за по від не він вона вони ми ви про для
    при було був була були є и в во не что это как но он она они мы вы по от для при был
    """
)
_WORD = re.compile(r"\w+")
_WORD_TOKEN = re.compile(r"[^\s\w]*\w\S*")  # a whitespace-separated token with a letter or digit
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_TERMINAL = re.compile(r"[.!…。！]['\"”’»)\]」』）]*$")
_QUESTION = re.compile(r"[?？]['\"”’»)\]」』）]*$")
_QUOTED = re.compile(r"[\"“„«][^\"“”„«»]*[\"”“»]|‘[^‘’]*’\W")
# A lower-case word followed by a capitalised sentence opener: a photo caption run into the
# text without a full stop ("... at the hospital He is listed in stable condition").
_GLUED = re.compile(r"[a-z,] (?:He|She|It|They|The|This|A|An|But|In|His|Her) [a-z]")
_BYLINE = re.compile(r"^(?:by|von|автор|авторка|text|fotos?)\b", re.IGNORECASE)
_BOILERPLATE_START = re.compile(
    r"""
    (?:published|updated|last\s+(?:updated|modified)|posted|created)\b\s*[:.]
    | (?:photo|image|picture|video|credit|source|caption|foto|bild|quelle|фото|джерело)\s*:
    """,
    re.IGNORECASE | re.VERBOSE,
)
_BOILERPLATE = re.compile(
    r"""
    \b(?:read|see|watch)\s+(?:more|also|next|the\s+full)\b
    | \bclick\s+here\b | \bscroll\s+down\b | \bsubscribe\s+(?:to|now|for|today)\b
    | \bsign\s+up\b | \bnewsletter\b | \bfollow\s+us\b | \bshare\s+(?:this|on)\b
    | \ball\s+rights\s+reserved\b | \bcopyright\b
    | \bgetty\s+images\b | \b(?:ap|afp|reuters|epa)\s+photo\b | /\s*(?:getty|reuters|afp|ap)\b
    | \bmore\s+(?:on|about)\s+(?:the|this)\s+(?:topic|story)\b | \brelated\s+(?:articles|stories)\b
    | \bmost\s+(?:read|popular|viewed)\b | \btop\s+stories\b
    | \badvertisement\b | \balready\s+a\s+subscriber\b | \blog\s+in\b | \bcontinue\s+reading\b
    | \bhttps?:// | \bwww\. | \S+@\S+\.\w+
    | \bчитайте\s+(?:також|далі)\b | \bчитати\b | \bпідпис(?:уйтесь|атися)\b
    | \blesen\s+sie\s+(?:auch|mehr)\b | \bmehr\s+zum\s+thema\b | \bweiterlesen\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
# One big alternation over every sentence costs more than all the scoring, so it only runs
# on a sentence holding one of the words its phrases start with.
_TRIGGERS = _wordset(
    """
    read see watch click scroll subscribe sign newsletter follow share all copyright getty
    ap afp reuters epa more related most top advertisement already log continue http https
    www читайте читати підписуйтесь підписатися lesen mehr weiterlesen
    """
)
_COOKIE_WORDS = _wordset("consent policy settings files accept")
# Clauses after which a long sentence can end without changing what it states: an
# appended circumstance (", with…", ", while…"), a relative clause on the last noun
# (", which…"), an aside after a semicolon or a dash.
_TRIMMABLE = re.compile(
    r"(?:,\s+(?:with|while|whereas|which|including|as\s+well\s+as|що\s+є|який|яка|які"
    r"|котрий|который|которая|которые|wobei|während)\s|;\s|\s[—–]\s)",
    re.IGNORECASE,
)
_TRIM_ABOVE_WORDS = 24
_TRIM_MIN_WORDS = 10


def select_points(
    text: str, *, title: str = "", max_points: int = 5, min_points: int = 3
) -> list[str]:
    """Pick `min_points`..`max_points` sentences of `text`, verbatim, most important first.

    Fewer come back when the text has fewer usable sentences: nothing is padded.
    """
    return _select(text, title=title, max_points=max_points, min_points=min_points)


def _select(
    text: str,
    *,
    title: str = "",
    max_points: int = 5,
    min_points: int = 3,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[str]:
    max_points = max(1, max_points)
    min_points = max(1, min(min_points, max_points))
    sentences = split_sentences(without_summary_box(text[:MAX_CHARS]))[:MAX_CANDIDATES]
    candidates = _candidates(sentences, title, weights)
    clean = [c for c in candidates if not c.soft_junk]
    if len(clean) < min_points:
        # Better a headline-like line than nothing; hard junk still never gets in.
        clean = candidates
    if not clean:
        return []
    scores = _relevance(clean, title, weights)
    return _pick(clean, scores, max_points, min_points, weights)


@dataclass(slots=True, eq=False)
class _Candidate:
    index: int  # rank among candidates: the position prior
    text: str
    words: int
    terms: Counter[str]  # what the sentence is about, for relevance
    facts: Counter[str]  # the terms and its small numbers, to tell a repeat from news
    soft_junk: bool  # a question, a fragment: only when nothing better is there
    after: _Candidate | None = None  # "He said…": a point only right after this one


def _candidates(sentences: list[str], title: str, w: Weights) -> list[_Candidate]:
    title_key = _normalise(title)
    out: list[_Candidate] = []
    seen: set[str] = set()
    previous: _Candidate | None = None  # out[-1] when it is the sentence just before
    for sentence in sentences:
        if _TERMINAL.search(sentence):  # a line that is no sentence gets no full stop either
            sentence = _trim(sentence, w.trim_above)
        words = _size(sentence)
        tokens = _WORD.findall(sentence.lower())
        if _is_hard_junk(sentence, words, set(tokens)):
            previous = None
            continue
        continues = dangles(sentence)
        leaning = not continues and leans_back(sentence)
        after = None
        if leaning and previous is not None and previous.words + words <= w.join_max:
            # "… ten commanders were welcomed in Kim's office." + "The dictator called them
            # heroes.": together they state a fact, and the second no longer hangs loose.
            out.pop()
            seen.discard(_normalise(previous.text))
            sentence, words, leaning = f"{previous.text} {sentence}", previous.words + words, False
            tokens = _WORD.findall(sentence.lower())
        elif leaning and names_back(sentence):
            after = previous
        key = " ".join(tokens)
        if key in seen or key == title_key:
            previous = None
            continue
        seen.add(key)
        terms = _terms(tokens)
        numbers = Counter(t for t in tokens if t.isdigit() and len(t) < 3)
        cand = _Candidate(
            index=len(out),
            text=sentence,
            words=words,
            terms=terms,
            facts=terms + numbers,
            soft_junk=(
                _is_soft_junk(sentence)
                or continues
                or (leaning and points_back(sentence))  # "This indicates …" alone
                or (leaning and names_back(sentence) and after is None)  # "He …" first
            ),
            after=after,
        )
        out.append(cand)
        previous = None if continues or leaning else cand
    return out


def _is_hard_junk(sentence: str, words: int, tokens: set[str]) -> bool:
    if words < _HARD_MIN_WORDS or words > _HARD_MAX_WORDS:
        return True
    if _BYLINE.match(sentence) and words <= 8:
        return True
    if not _CJK.search(sentence) and sum(1 for t in sentence.split() if t.islower()) < 2:
        # Prose has small words; a line without them is a stamp, a name or a title-cased
        # heading: "09:12 EST, 3 April 2013", "Daily Mail Reporter", "More From Our Site".
        return True
    if _BOILERPLATE_START.match(sentence) or "©" in sentence:
        return True
    if {"cookie", "cookies"} & tokens and _COOKIE_WORDS & tokens:
        return True
    if "browser" in tokens and "settings" in tokens:
        return True
    suspect = bool(tokens & _TRIGGERS) or "@" in sentence
    return suspect and _BOILERPLATE.search(sentence) is not None


def _trim(sentence: str, above: int = _TRIM_ABOVE_WORDS) -> str:
    """A long sentence cut at the first clause boundary that leaves a whole statement.

    Only after a main clause of at least _TRIM_MIN_WORDS words, and only at a boundary
    that starts an appended clause (see _TRIMMABLE), so what is kept says what the
    sentence said, less its circumstances.
    """
    if _size(sentence) <= above:
        return sentence
    for match in _TRIMMABLE.finditer(sentence):
        head = sentence[: match.start()].rstrip(" ,;:")
        if _size(head) >= _TRIM_MIN_WORDS and head.count("(") == head.count(")") and (
            head.count("\"") % 2 == 0 and head.count("“") == head.count("”")
        ):
            end = "。" if _CJK.search(head[-1:]) else "."
            return head + end
    return sentence


def _is_soft_junk(sentence: str) -> bool:
    if _QUESTION.search(sentence) or not _TERMINAL.search(sentence):
        return True
    first = sentence.lstrip("\"'“‘«([")[:1]
    return first.islower()  # a fragment left over from a split we got wrong


def _relevance(cands: list[_Candidate], title: str, w: Weights) -> list[float]:
    idf = _idf(cands)
    vectors = [_weigh(c.terms, idf) for c in cands]
    total: Counter[str] = Counter()
    for vector in vectors:
        total.update(vector.weights)
    centroid = _Vector.of(total)
    title_vector = _weigh(_terms(_WORD.findall(title.lower())), idf) if title else None
    lead_vector = vectors[0]
    scores: list[float] = []
    for cand, vector in zip(cands, vectors, strict=True):
        position = 1.0 / (1.0 + cand.index / w.position_decay)
        score = position + w.centrality * vector.cosine(centroid)
        if title_vector is not None:
            score += w.title * vector.cosine(title_vector)
        # The lead is as similar to itself as anything can be: without that, a near copy of
        # it further down would outrank it.
        score += w.lead * (vector.cosine(lead_vector) if cand.index else 1.0)
        score *= _length_factor(cand.words, w)
        if _is_quote(cand.text):
            score *= w.quote
        if _GLUED.search(cand.text):
            score *= w.glued
        scores.append(score)
    return scores


def _is_quote(sentence: str) -> bool:
    """Mostly quoted speech: a point should report, not quote."""
    if sentence[:1] in "\"“„«‘'":
        return True
    quoted = sum(len(m) for m in _QUOTED.findall(sentence))
    return quoted > 0.5 * len(sentence)


def _pick(
    cands: list[_Candidate], scores: list[float], max_points: int, min_points: int, w: Weights
) -> list[str]:
    """Greedy maximal marginal relevance; near repeats of a chosen point are out."""
    topics = [_Vector.of(c.terms) for c in cands]
    facts = [_Vector.of(c.facts) for c in cands]
    overlap = [0.0] * len(cands)  # greatest topic similarity to any chosen point
    out = [False] * len(cands)  # chosen, a repeat of a chosen one, or too long to fit
    chosen: list[int] = []
    chosen_words = 0
    top = max(scores)
    brief = len(cands) <= w.brief_sentences
    floor = w.brief_floor if brief else w.extra_point_floor
    if brief:
        for i, cand in enumerate(cands):
            out[i] = cand.words > w.brief_max_words and i > 0
    while len(chosen) < min(max_points, len(cands)):
        best, best_value = -1, -math.inf
        for i, score in enumerate(scores):
            needs = cands[i].after
            if out[i] or (needs is not None and not any(cands[j] is needs for j in chosen)):
                continue  # "He said …" only once the sentence naming him is a point
            value = score - w.redundancy * overlap[i]
            if value > best_value:
                best, best_value = i, value
        if best < 0:
            break  # everything left repeats what was chosen
        if len(chosen) >= min_points:
            if best_value < floor * top:
                break
            if not brief and chosen_words >= w.target_words:
                break
            if brief and chosen_words + cands[best].words > w.brief_words:
                out[best] = True  # too long for what is left: a shorter one may fit
                continue
        chosen.append(best)
        chosen_words += cands[best].words
        for i in range(len(cands)):
            overlap[i] = max(overlap[i], topics[i].cosine(topics[best]))
            out[i] = out[i] or i == best or facts[i].cosine(facts[best]) >= w.duplicate
    return [cands[i].text for i in _in_reading_order(cands, chosen)]


def _in_reading_order(cands: list[_Candidate], chosen: list[int]) -> list[int]:
    """`chosen` with each pronoun-led point moved right after the point it leans on."""
    order: list[int] = []
    for i in chosen:
        needs = cands[i].after
        if needs is None:
            order.append(i)
            continue
        at = next(k for k, j in enumerate(order) if cands[j] is needs)
        while at + 1 < len(order) and cands[order[at + 1]].after is needs:
            at += 1
        order.insert(at + 1, i)
    return order


def _length_factor(words: int, w: Weights) -> float:
    if words < w.ideal_min_words:
        return 0.5 + 0.5 * words / w.ideal_min_words
    if words > w.ideal_max_words:
        return max(0.3, w.ideal_max_words / words)
    return 1.0


def _idf(cands: list[_Candidate]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for cand in cands:
        df.update(cand.terms.keys())
    n = len(cands)
    return {term: math.log(1.0 + n / count) for term, count in df.items()}


@dataclass(frozen=True, slots=True)
class _Vector:
    """A sparse term vector with its norm worked out once."""

    weights: dict[str, float]
    norm: float

    @classmethod
    def of(cls, weights: dict[str, float] | Counter[str]) -> _Vector:
        return cls(dict(weights), math.sqrt(sum(v * v for v in weights.values())))

    def cosine(self, other: _Vector) -> float:
        if not self.norm or not other.norm:
            return 0.0
        a, b = self.weights, other.weights
        dot = sum([a[k] * b[k] for k in a.keys() & b.keys()])
        return dot / (self.norm * other.norm)


def _weigh(terms: Counter[str], idf: dict[str, float]) -> _Vector:
    unseen = math.log(2.0)  # a title word no sentence has: weigh it like a rare one
    return _Vector.of({t: (1.0 + math.log(tf)) * idf.get(t, unseen) for t, tf in terms.items()})


def _terms(tokens: list[str]) -> Counter[str]:
    """Content terms of lower-cased tokens: no stop words, cut to a 6-letter stem; CJK bigrams."""
    terms: Counter[str] = Counter()
    for token in tokens:
        if max(token) >= "\u3040" and _CJK.search(token):  # the cheap test spares most text
            terms.update(token[i : i + 2] for i in range(max(1, len(token) - 1)))
        elif len(token) > 2 and token not in _STOPWORDS:
            # Prefix stemming is crude but language-blind: "withdrew"/"withdrawal",
            # "Україна"/"України" meet, and it costs nothing.
            terms[token[:6]] += 1
    return terms


def _size(sentence: str) -> int:
    """Length in words; CJK text, written without spaces, counts about 1.5 characters a word."""
    cjk = len(_CJK.findall(sentence))
    return len(_WORD_TOKEN.findall(sentence)) + int(cjk / 1.5)


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


class ExtractiveSummarizer:
    """The summarizer that always works: verbatim sentences, no model, no network."""

    name = "extractive"

    async def summarize(self, article: Article, *, lang: str | None = None) -> Summary:
        """Summarize `article`; `lang` is ignored, since quoted sentences keep their language."""
        if article.is_teaser:
            # A teaser says little: return what is there and never pad it with junk.
            points = select_points(article.text, title=article.title, min_points=1)
        else:
            points = select_points(article.text, title=article.title)
        return Summary(
            points=points,
            summarizer=self.name,
            language=article.language,
            partial=article.is_teaser,
        )
