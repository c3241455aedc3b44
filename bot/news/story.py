"""`Story`: items from several outlets about one event; building, choosing, ranking them."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.news.cluster import MAX_GAP, features, tokens, topic_words
from bot.news.item import NewsItem, outlet_identities

SIGNATURE_SIZE = 12  # content words kept to recognise the story on a later day
MERGE_MIN_SHARED = 4  # signature words two stories share to be one (see merge_related)
SUBSTANTIAL_LEAD = 80  # characters; shorter leads are a teaser line or a bare byline


@dataclass(frozen=True, slots=True)
class Story:
    """One event and its coverage in this round.

    `story_key` hashes the earliest article's canonical URL, so rebuilding the same round
    gives the same key. Tomorrow's round sees new articles and may start from another one;
    `digest.match_sent` therefore also matches on shared `member_urls` and on overlapping
    `signature`s, and an update keeps the key the chat was first sent.
    """

    story_key: str
    headline: str
    best: NewsItem  # the article to summarize
    items: tuple[NewsItem, ...]  # newest first
    outlets: tuple[str, ...]  # distinct outlet names, in order of first report
    first_seen: datetime
    latest: datetime
    signature: frozenset[str]  # the story's most telling content-word stems

    @property
    def outlet_count(self) -> int:
        return len(self.outlets)

    @property
    def member_urls(self) -> frozenset[str]:
        return frozenset(item.canonical for item in self.items)

    @property
    def outlet_keys(self) -> frozenset[str]:
        return frozenset(item.outlet_key for item in self.items)


def make_story(items: Sequence[NewsItem], *, topic: str = "") -> Story:
    if not items:
        raise ValueError("a story needs at least one item")
    by_time = sorted(items, key=lambda it: (it.published, it.canonical))
    earliest = by_time[0]
    sig = signature(items, topic=topic)
    best = best_item(items, signature=sig)
    # The headline is the most typical one (most signature words), not the first: early
    # items are often "X expected to…" previews of the event.
    typical = min(by_time, key=lambda it: -_centrality(it, sig))
    return Story(
        story_key=story_key(earliest.canonical),
        headline=typical.title,
        best=best,
        items=tuple(reversed(by_time)),
        outlets=distinct_outlets(by_time),
        first_seen=earliest.published,
        latest=by_time[-1].published,
        signature=sig,
    )


def merge_related(stories: Sequence[Story], *, topic: str = "") -> list[Story]:
    """Second pass: join stories whose signatures share `MERGE_MIN_SHARED` words.

    Clustering compares items; whole stories carry more words. On the captured Bears Ears
    feed, AP's "2 national monuments in Utah" copies and local outlets' "Bears Ears and
    Grand Staircase-Escalante" reports share no headline word but 4–7 signature words
    (trump, shrink, utah, national…); different stories on the fake and captured feeds share
    at most 3 (`bench/clustering.py` measures the whole path). Stories more than MAX_GAP
    apart are never joined.
    """
    parent = list(range(len(stories)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(stories):
        for j in range(i):
            b = stories[j]
            near = a.first_seen - b.latest <= MAX_GAP and b.first_seen - a.latest <= MAX_GAP
            # Two one-item stories' signatures are two headlines' words: single reports of
            # drone attacks on two cities the same night share five of them.
            covered = len(a.items) > 1 or len(b.items) > 1
            if near and covered and len(a.signature & b.signature) >= MERGE_MIN_SHARED:
                parent[root(i)] = root(j)
    groups: dict[int, list[NewsItem]] = {}
    for i, story in enumerate(stories):
        groups.setdefault(root(i), []).extend(story.items)
    return [
        stories[i] if len(stories[i].items) == len(items) else make_story(items, topic=topic)
        for i, items in groups.items()
    ]


def story_key(canonical_url: str) -> str:
    """A short, stable id: the hash of the earliest article's canonical URL."""
    return hashlib.sha256(canonical_url.encode()).hexdigest()[:16]


def best_item(items: Iterable[NewsItem], *, signature: frozenset[str] = frozenset()) -> NewsItem:
    """The article worth summarizing.

    A real publisher URL (a Google token can't be fetched), then one with a real lead, then
    the most typical of the story (most `signature` words), then the first published.
    """
    return min(
        items,
        key=lambda it: (
            it.is_token_link,
            len(it.lead) < SUBSTANTIAL_LEAD,
            -_centrality(it, signature),
            it.published,
            it.canonical,
        ),
    )


def _centrality(item: NewsItem, signature: frozenset[str]) -> int:
    return len(set(tokens(f"{item.title} {item.lead}")) & signature)


def distinct_outlets(items: Iterable[NewsItem]) -> tuple[str, ...]:
    """Outlet names, once each: the same outlet seen by domain or by name counts once."""
    seen: set[str] = set()
    names: list[str] = []
    for item in items:
        keys = outlet_identities(item)
        if keys & seen:
            seen |= keys
            continue
        seen |= keys
        names.append(item.outlet or item.outlet_domain)
    return tuple(names)


def signature(items: Iterable[NewsItem], *, topic: str = "") -> frozenset[str]:
    ignore = topic_words(topic)
    weights: defaultdict[str, float] = defaultdict(float)
    for item in items:
        for tok, weight in features(item, ignore=ignore).items():
            weights[tok] += weight
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:SIGNATURE_SIZE]
    return frozenset(tok for tok, _ in top)


def rank(stories: Iterable[Story]) -> list[Story]:
    """More distinct outlets first; among equals, the most recently updated."""
    return sorted(stories, key=lambda s: (-s.outlet_count, -s.latest.timestamp(), s.story_key))
