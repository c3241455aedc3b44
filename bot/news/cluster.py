"""Group news items about the same event: TF-IDF over content words, average-link clustering.

Why this shape: search results for one topic share the topic's words, outlets paraphrase
each other's headlines, and Google News gives no lead. So each item becomes a vector of
lightly stemmed content words (headline counted twice, names and numbers up-weighted,
the topic's own words and newsroom filler dropped; see `bot.news.words` for other
languages), weighted by inverse document frequency *within the round* — words every item
shares say nothing about which story it is. Average-link agglomerative clustering then
merges groups while their mean similarity is at least `THRESHOLD`; average link (not single
link) keeps one ambiguous headline from chaining two stories together. Items published more
than `MAX_GAP` apart never link.

Two signals beyond the headline, because merging two events is the worse error:

- Article text. When both items carry text (a feed's full content, or an article the bot
  has read), their similarity is that of headline + lead + the top of the text, with names
  and numbers counting double: "North Korea unexpectedly withdrew its generals from Russia —
  what's happening?" and "Kim Jong-un recalls North Korean generals from Russia, WSJ
  reports" share two headline words but Kim Yong-bok, Sin Kum-chol, 15,000 and Kursk. One
  wire's "artillery shells to Moscow" and "6,000 workers to rebuild Kursk" share the
  background and none of those specifics. Text pairs run higher (the same background words
  recur), so they count `TEXT_SCALE` as much.
- A guard on generic overlap: a pair sharing fewer than `GUARD_MIN_SHARED` words, none of
  them a name or number in both, counts `GUARD_FACTOR` as much ("one step closer",
  "defense" in two unrelated headlines).

Measured by `bench/clustering.py` (B-cubed, table in the README): `THRESHOLD = 0.18` is the
lowest value keeping B-cubed precision ≥ 0.95 on both labelled sets (Google News's own
grouping of the 2019 top-stories capture, and the multi-outlet fixtures with article text
in `tests/fixtures/stories/`); at 0.16 precision falls to 0.92. Rounds of a handful of
items use 0.22: their within-round idf can't tell a name from a common word, and a
two-item North Korea near miss with no topic merges below it.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import timedelta

import numpy as np

from bot.news.item import NewsItem
from bot.news.words import entities, is_title_case, tokens

__all__ = ["MAX_GAP", "THRESHOLD", "cluster", "features", "tokens", "topic_words"]

THRESHOLD = 0.18
# Idf within a round of a handful of items says little (every shared word looks specific),
# so such rounds ask for the higher SMALL_ROUND_THRESHOLD.
SMALL_ROUND = 4
SMALL_ROUND_THRESHOLD = 0.22
MAX_GAP = timedelta(hours=48)

TITLE_WEIGHT = 2.0
ENTITY_WEIGHT = 1.5  # capitalised words inside a headline and numbers: who, where, how many
# A pair whose shared words include no name or number both of them stress, and fewer than
# GUARD_MIN_SHARED words in all, is one generic phrase ("one step closer", "defense")
# apart from two events: its similarity counts GUARD_FACTOR as much.
GUARD_MIN_SHARED = 3
GUARD_FACTOR = 0.7
# Article text: used when both items have at least TEXT_MIN_CHARS of it.
TEXT_MIN_CHARS = 100
TEXT_NAME_WEIGHT = 2.0  # names and numbers of the text against its other words
TEXT_WORDS = 400  # words of text read: the top of an article says what happened
TEXT_SCALE = 0.8


def features(item: NewsItem, *, ignore: frozenset[str] = frozenset()) -> dict[str, float]:
    """Weighted bag of content words for one item (headline and lead)."""
    bag: defaultdict[str, float] = defaultdict(float)
    names = _headline_names(item.title)
    for tok in tokens(item.title):
        bag[tok] += TITLE_WEIGHT * (ENTITY_WEIGHT if tok in names else 1.0)
    for tok in tokens(item.lead):
        bag[tok] += 1.0
    for tok in ignore:
        bag.pop(tok, None)
    return bag


def text_features(item: NewsItem, *, ignore: frozenset[str] = frozenset()) -> dict[str, float]:
    """Weighted bag of the headline, lead and the top of the article text."""
    body = " ".join(item.text.split()[:TEXT_WORDS])
    bag: defaultdict[str, float] = defaultdict(float)
    whole = f"{item.title}. {item.lead}. {body}"
    names = entities(whole)
    for tok in tokens(whole):
        bag[tok] += TEXT_NAME_WEIGHT if tok in names else 1.0
    for tok in ignore:
        bag.pop(tok, None)
    return bag


def _headline_names(title: str) -> set[str]:
    """Names and numbers of a headline; every word of a Title Case one (capitals say nothing)."""
    return set(tokens(title)) if is_title_case(title) else entities(title)


def _stressed(item: NewsItem) -> set[str]:
    return _headline_names(item.title) | entities(item.lead) | entities(item.text[:2000])


def topic_words(topic: str) -> frozenset[str]:
    return frozenset(tokens(topic))


def _cosines(bags: Sequence[dict[str, float]]) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors; idf within the round."""
    n = len(bags)
    vocab: dict[str, int] = {}
    df: Counter[str] = Counter()
    for bag in bags:
        df.update(bag.keys())
        for tok in bag:
            vocab.setdefault(tok, len(vocab))
    matrix = np.zeros((n, max(len(vocab), 1)))
    for row, bag in enumerate(bags):
        for tok, weight in bag.items():
            # Smoothed idf; sub-linear tf so one repeated word doesn't dominate.
            idf = math.log((1 + n) / (1 + df[tok])) + 1.0
            tf = 1.0 + math.log(weight) if weight >= 1 else weight
            matrix[row, vocab[tok]] = tf * idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    matrix /= norms
    return np.asarray(matrix @ matrix.T)


def similarity_matrix(items: Sequence[NewsItem], *, topic: str = "") -> np.ndarray:
    """Pairwise story similarity in [0, 1]; zero for items more than MAX_GAP apart."""
    n = len(items)
    ignore = topic_words(topic)
    bags = [features(item, ignore=ignore) for item in items]
    sim = _cosines(bags)
    stressed = [_stressed(item) - ignore for item in items]
    for i in range(n):
        for j in range(i):
            if sim[i, j] <= 0:
                continue
            shared = bags[i].keys() & bags[j].keys()
            if len(shared) < GUARD_MIN_SHARED and not shared & stressed[i] & stressed[j]:
                sim[i, j] = sim[j, i] = sim[i, j] * GUARD_FACTOR
    with_text = [i for i, item in enumerate(items) if len(item.text) >= TEXT_MIN_CHARS]
    if len(with_text) >= 2:
        body = _cosines([text_features(items[i], ignore=ignore) for i in with_text])
        idx = np.array(with_text)
        sim[np.ix_(idx, idx)] = TEXT_SCALE * body
        np.fill_diagonal(sim, 1.0)
    times = np.array([item.published.timestamp() for item in items])
    sim[np.abs(times[:, None] - times[None, :]) > MAX_GAP.total_seconds()] = 0.0
    return sim


def cluster(
    items: Sequence[NewsItem], *, topic: str = "", threshold: float | None = None
) -> list[list[NewsItem]]:
    """Partition `items` into stories (each a list, in input order; stories by first member)."""
    n = len(items)
    if n == 0:
        return []
    sim = similarity_matrix(items, topic=topic)
    if threshold is None:
        threshold = SMALL_ROUND_THRESHOLD if n <= SMALL_ROUND else THRESHOLD
    groups = average_link(sim, threshold)
    return [[items[i] for i in group] for group in groups]


def average_link(sim: np.ndarray, threshold: float) -> list[list[int]]:
    """Agglomerative clustering on a similarity matrix (Lance–Williams average-link update)."""
    n = sim.shape[0]
    work = sim.astype(float).copy()
    np.fill_diagonal(work, -np.inf)
    sizes = np.ones(n)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    while len(members) > 1:
        flat = int(np.argmax(work))
        i, j = divmod(flat, n)
        if work[i, j] < threshold:
            break
        # Merge j into i: the average similarity to every other group, weighted by size.
        merged = (sizes[i] * work[i] + sizes[j] * work[j]) / (sizes[i] + sizes[j])
        work[i, :] = merged
        work[:, i] = merged
        work[i, i] = -np.inf
        work[j, :] = -np.inf
        work[:, j] = -np.inf
        sizes[i] += sizes[j]
        members[i].extend(members.pop(j))
    return sorted((sorted(group) for group in members.values()), key=lambda g: g[0])
