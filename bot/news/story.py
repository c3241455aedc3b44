"""`Story`: items from several outlets about one event; building, choosing, ranking them."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.news.cluster import features, topic_words
from bot.news.item import NewsItem, outlet_identities

SIGNATURE_SIZE = 12  # content words kept to recognise the story on a later day


@dataclass(frozen=True, slots=True)
class Story:
    story_key: str  # stable within a round; across days match on `member_urls`/`signature`
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
    best = best_item(items)
    return Story(
        story_key=story_key(earliest.canonical),
        headline=best.title,
        best=best,
        items=tuple(reversed(by_time)),
        outlets=distinct_outlets(by_time),
        first_seen=earliest.published,
        latest=by_time[-1].published,
        signature=signature(items, topic=topic),
    )


def story_key(canonical_url: str) -> str:
    """A short, stable id: the hash of the earliest article's canonical URL."""
    return hashlib.sha256(canonical_url.encode()).hexdigest()[:16]


def best_item(items: Iterable[NewsItem]) -> NewsItem:
    """The article worth summarizing: a real publisher URL, then the fuller lead, then first."""
    return min(
        items,
        key=lambda it: (it.is_token_link, -min(len(it.lead), 600), it.published, it.canonical),
    )


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
    weights: Counter[str] = Counter()
    for item in items:
        weights.update(features(item, ignore=ignore))
    return frozenset(tok for tok, _ in weights.most_common(SIGNATURE_SIZE))


def rank(stories: Iterable[Story]) -> list[Story]:
    """More distinct outlets first; among equals, the most recently updated."""
    return sorted(stories, key=lambda s: (-s.outlet_count, -s.latest.timestamp(), s.story_key))
