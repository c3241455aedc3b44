"""Story selection for one topic's digest: gather, dedupe, cluster, rank, skip what was sent
(repeats and updates), summarize.

Already-sent stories come back only as updates: a story matching one sent to the chat
(same key, a shared article URL, or a similar word signature — articles are new each day,
so URLs alone rarely match) is shown again with `is_update=True` when at least
`UPDATE_MIN_NEW_OUTLETS` outlets not seen before cover it *and* the outlet count grew by at
least `UPDATE_MIN_GROWTH` (50 %); otherwise it is dropped. Two new outlets on a one-outlet
story is news; two more on a twelve-outlet story is not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.news.cluster import cluster
from bot.news.dedupe import dedupe, within
from bot.news.item import DEFAULT_MAX_ITEMS, NewsItem, newest, outlet_identities
from bot.news.source import Source
from bot.news.story import Story, make_story, merge_related, rank
from bot.summarize.multisource import fact_terms

log = logging.getLogger(__name__)

MAX_LOOKBACK = timedelta(hours=24)
MAX_POINTS = 3
UPDATE_MIN_NEW_OUTLETS = 2
UPDATE_MIN_GROWTH = 1.5
# Two signatures (12 top content words each, topic words left out) are one story when they
# share SIGNATURE_MIN_SHARED words, or — for small signatures — half of the smaller one.
# Next-day coverage of one event shares its core words ("ballistic missile fire sea");
# different events on one topic share one or two on the fake and captured feeds.
SIGNATURE_MIN_SHARED = 4
SIGNATURE_MATCH = 0.5
# Share of a point's terms a sent point must hold for the point not to count as new.
SAME_POINT = 0.8

Summarize = Callable[[NewsItem], Awaitable[list[str]]]


@dataclass(frozen=True, slots=True)
class CitedPoint:
    """A point and the outlets whose articles state it."""

    text: str
    outlets: tuple[str, ...]


# Points for a whole story, read from several of its outlets (see bot.summarize.multisource).
SummarizeStory = Callable[[Story], Awaitable[Sequence[CitedPoint]]]


@dataclass(frozen=True, slots=True)
class SentStory:
    """What the store remembers about a story it delivered to a chat."""

    story_key: str
    member_urls: frozenset[str]
    # Without outlet keys (a store that kept only a count) updates are judged on counts;
    # without a signature a story is recognised only by key or a shared article URL.
    outlet_keys: frozenset[str] = frozenset()
    signature: frozenset[str] = frozenset()
    sent_at: datetime | None = None
    outlet_count: int = 0
    points: tuple[str, ...] = ()  # as sent: an update says which of today's are new

    @property
    def outlets_known(self) -> int:
        return max(self.outlet_count, len(self.outlet_keys))


@dataclass(frozen=True, slots=True)
class DigestStory:
    story_key: str
    headline: str
    points: tuple[str, ...]  # empty when summarizing failed: show `lead` instead
    lead: str
    url: str  # the best article's URL
    sources: tuple[tuple[str, str], ...]  # (outlet, url), one per distinct outlet
    outlet_count: int
    is_update: bool
    member_urls: frozenset[str]
    outlet_keys: frozenset[str]
    signature: frozenset[str]
    latest: datetime
    # Parallel to `points`: the outlets whose articles state each one.
    point_sources: tuple[tuple[str, ...], ...] = ()
    # For an update: outlets not in the version the chat was sent, and which of `points`
    # (0-based) it had not seen.
    new_outlets: tuple[str, ...] = ()
    new_points: tuple[int, ...] = ()

    def as_sent(self, sent_at: datetime | None = None) -> SentStory:
        """The record to store once this story is delivered (the outlets seen so far)."""
        return SentStory(
            self.story_key, self.member_urls, self.outlet_keys, self.signature, sent_at,
            self.outlet_count, self.points,
        )


@dataclass(frozen=True, slots=True)
class SourceFailure:
    source: str
    error: str  # exception class and message, for logs and an "x sources failed" note


@dataclass(frozen=True, slots=True)
class TopicDigest:
    topic: str
    stories: tuple[DigestStory, ...]
    errors: tuple[SourceFailure, ...] = ()
    sources_asked: int = 0
    items_seen: int = 0  # after the time window and dedupe
    since: datetime | None = None
    built_at: datetime | None = None
    skipped_already_sent: int = 0
    title: str = ""  # a feed's own title; search topics are named by `topic`

    @property
    def name(self) -> str:
        """What the reader calls this topic: the feed's title, else the words they typed."""
        return self.title or self.topic

    @property
    def nothing_new(self) -> bool:
        return not self.stories

    @property
    def all_sources_failed(self) -> bool:
        return self.sources_asked > 0 and len(self.errors) == self.sources_asked


@dataclass(frozen=True, slots=True)
class _Choice:
    story: Story
    is_update: bool = False
    key: str = ""
    prior_outlets: frozenset[str] = frozenset()
    prior_count: int = 0
    prior_points: tuple[str, ...] = ()
    rank: int = 0  # the story's place in its topic's ranking


class _Same:
    """Compares and hashes by identity: "the very same object" as part of a cache key."""

    __slots__ = ("obj",)

    def __init__(self, obj: object) -> None:
        self.obj = obj  # held, so its id can't be reused while the key lives

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


@dataclass(frozen=True, slots=True)
class Selection:
    """The stories one chat gets from a topic, chosen but not summarized yet."""

    collected: TopicStories
    since: datetime
    chosen: tuple[_Choice, ...]
    skipped: int  # already sent, and not updated enough to be sent again

    @property
    def key(self) -> Hashable:
        """Equal for two chats exactly when their sections of this topic read the same.

        Everything a chat's history changes is in it: which stories are left, which are
        updates and against what version (the update line names the new outlets and
        points), the key the chat knows a story by, and how many were skipped (the quiet
        line). The `since` of the chat is not: it only decides which stories are left.
        """
        return (
            _Same(self.collected),
            self.skipped,
            tuple(
                (c.rank, c.is_update, c.key, c.prior_outlets, c.prior_count, c.prior_points)
                for c in self.chosen
            ),
        )


@dataclass(frozen=True, slots=True)
class TopicStories:
    """One topic's ranked stories for a round, shared by every chat that follows it.

    Gathering and clustering cost network and CPU; they depend only on the topic, so a
    digest round does them once per topic and each chat only picks from the result.
    """

    topic: str
    stories: tuple[Story, ...]
    errors: tuple[SourceFailure, ...]
    sources_asked: int
    items_seen: int
    since: datetime
    built_at: datetime
    title: str = ""  # a subscribed feed's own title, when it has one


async def collect_topic_stories(
    topic: str,
    *,
    sources: Sequence[Source],
    since: datetime,
    now: datetime,
    lang: str = "en",
    max_items: int = DEFAULT_MAX_ITEMS,
) -> TopicStories:
    """Gather, dedupe, cluster and rank `topic`'s news after `since` (at most 24 h back)."""
    since = max(since, now - MAX_LOOKBACK)
    items, errors = await gather_items(topic, sources=sources, lang=lang, since=since)
    # Capped before clustering, which is quadratic, and clustered (stories merged and
    # ranked too) in a thread: a topic fed by huge feeds froze every other user and took
    # gigabytes (issue 8).
    items = newest(dedupe(within(items, since=since, now=now)), max_items)

    def stories_of(items: list[NewsItem]) -> list[Story]:
        groups = cluster(items, topic=topic)
        return rank(merge_related([make_story(g, topic=topic) for g in groups], topic=topic))

    stories = await asyncio.to_thread(stories_of, items)
    return TopicStories(topic, tuple(stories), tuple(errors), len(sources), len(items),
                        since, now)


def choose_for_chat(
    collected: TopicStories,
    *,
    since: datetime | None = None,
    max_stories: int = 5,
    already_sent: Mapping[str, SentStory] | None = None,
) -> Selection:
    """Pick this chat's stories: newer than its `since`, not sent before unless updated."""
    since = max(since or collected.since, collected.since)
    chosen: list[_Choice] = []
    skipped = 0
    for rank_, story in enumerate(collected.stories):
        if len(chosen) >= max_stories:
            break
        if story.latest <= since:
            continue  # nothing about it since this chat's last digest
        choice = _against_sent(story, already_sent or {}, rank_)
        if choice is None:
            skipped += 1
        else:
            chosen.append(choice)
    return Selection(collected, since, tuple(chosen), skipped)


async def summarized(
    selection: Selection,
    *,
    summarize: Summarize | None = None,
    summarize_story: SummarizeStory | None = None,
) -> TopicDigest:
    """The topic's section: the selected stories with their points.

    Points come from `summarize_story` (several outlets, each point cited) or, without it,
    from `summarize` of the story's best article alone (every point cited to its outlet).
    """
    collected, chosen = selection.collected, selection.chosen
    points = await asyncio.gather(
        *(_points(c.story, summarize, summarize_story) for c in chosen)
    )
    return TopicDigest(
        topic=collected.topic,
        title=collected.title,
        stories=tuple(_digest_story(c, p) for c, p in zip(chosen, points, strict=True)),
        errors=collected.errors,
        sources_asked=collected.sources_asked,
        items_seen=collected.items_seen,
        since=selection.since,
        built_at=collected.built_at,
        skipped_already_sent=selection.skipped,
    )


async def select_for_chat(
    collected: TopicStories,
    *,
    since: datetime | None = None,
    max_stories: int = 5,
    summarize: Summarize | None = None,
    summarize_story: SummarizeStory | None = None,
    already_sent: Mapping[str, SentStory] | None = None,
) -> TopicDigest:
    """Pick this chat's stories (`choose_for_chat`) and summarize them (`summarized`)."""
    selection = choose_for_chat(
        collected, since=since, max_stories=max_stories, already_sent=already_sent
    )
    return await summarized(selection, summarize=summarize, summarize_story=summarize_story)


async def build_topic_digest(
    topic: str,
    *,
    sources: Sequence[Source],
    since: datetime,
    now: datetime,
    max_stories: int = 5,
    summarize: Summarize | None = None,
    summarize_story: SummarizeStory | None = None,
    already_sent: Mapping[str, SentStory] | None = None,
    lang: str = "en",
) -> TopicDigest:
    """The digest of `topic` for news published after `since` (at most 24 h before `now`)."""
    collected = await collect_topic_stories(
        topic, sources=sources, since=since, now=now, lang=lang
    )
    return await select_for_chat(
        collected, max_stories=max_stories, summarize=summarize,
        summarize_story=summarize_story, already_sent=already_sent,
    )


async def gather_items(
    topic: str, *, sources: Sequence[Source], lang: str, since: datetime
) -> tuple[list[NewsItem], list[SourceFailure]]:
    """Ask every source at once; a source that fails is recorded, the others still count."""
    results = await asyncio.gather(
        *(source.items(topic, lang=lang, since=since) for source in sources),
        return_exceptions=True,
    )
    items: list[NewsItem] = []
    errors: list[SourceFailure] = []
    for source, result in zip(sources, results, strict=True):
        if isinstance(result, BaseException):
            if not isinstance(result, Exception):
                raise result  # cancellation and interpreter exits are not a source's failure
            log.warning("news source %s failed for %r: %s", source.name, topic, result)
            errors.append(SourceFailure(source.name, f"{type(result).__name__}: {result}"))
        else:
            items.extend(result)
    return items, errors


def match_sent(story: Story, already_sent: Mapping[str, SentStory]) -> SentStory | None:
    """The sent story this one continues, if any."""
    if story.story_key in already_sent:
        return already_sent[story.story_key]
    urls = story.member_urls
    for sent in already_sent.values():
        if urls & sent.member_urls:
            return sent
    for sent in already_sent.values():
        shared = len(story.signature & sent.signature)
        smaller = min(len(story.signature), len(sent.signature)) or 1
        if shared >= SIGNATURE_MIN_SHARED or (shared >= 2 and shared / smaller >= SIGNATURE_MATCH):
            return sent
    return None


def is_substantial_update(sent: SentStory, story: Story) -> bool:
    before = sent.outlets_known
    if sent.outlet_keys:
        added = len(story.outlet_keys - sent.outlet_keys)
    else:  # only a count was kept: assume today's outlets include yesterday's
        added = max(0, story.outlet_count - before)
    return added >= UPDATE_MIN_NEW_OUTLETS and before + added >= UPDATE_MIN_GROWTH * before


def _against_sent(
    story: Story, already_sent: Mapping[str, SentStory], rank: int = 0
) -> _Choice | None:
    sent = match_sent(story, already_sent) if already_sent else None
    if sent is None:
        return _Choice(story, key=story.story_key, rank=rank)
    if is_substantial_update(sent, story):
        # Keep the key the chat already knows, so tomorrow this still matches.
        return _Choice(story, is_update=True, key=sent.story_key,
                       prior_outlets=sent.outlet_keys, prior_count=sent.outlets_known,
                       prior_points=sent.points, rank=rank)
    return None


async def _points(
    story: Story, summarize: Summarize | None, summarize_story: SummarizeStory | None
) -> tuple[CitedPoint, ...]:
    item = story.best
    try:
        if summarize_story is not None:
            cited = list(await summarize_story(story))
        elif summarize is not None:
            outlet = (item.outlet or item.outlet_domain,)
            cited = [CitedPoint(p, outlet) for p in await summarize(item)]
        else:
            return ()
    except Exception as exc:  # an injected callback: any failure only costs the points
        log.warning("summarizing %s failed: %s: %s", item.url, type(exc).__name__, exc)
        return ()
    return tuple(
        CitedPoint(p.text.strip(), p.outlets) for p in cited if p.text and p.text.strip()
    )[:MAX_POINTS]


def _digest_story(choice: _Choice, cited: tuple[CitedPoint, ...]) -> DigestStory:
    story = choice.story
    points = tuple(p.text for p in cited)
    # One link per distinct outlet, the summarized article first.
    sources: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in (story.best, *story.items):
        keys = outlet_identities(item)
        if not keys & seen:
            sources.append((item.outlet or item.outlet_domain, item.url))
        seen |= keys
    return DigestStory(
        story_key=choice.key,
        headline=story.headline,
        points=points,
        lead=story.best.lead,
        url=story.best.url,
        sources=tuple(sources),
        outlet_count=max(
            story.outlet_count + len(choice.prior_outlets - story.outlet_keys), choice.prior_count
        ),
        is_update=choice.is_update,
        member_urls=story.member_urls,
        outlet_keys=story.outlet_keys | choice.prior_outlets,
        signature=story.signature,
        latest=story.latest,
        point_sources=tuple(p.outlets for p in cited),
        new_outlets=_new_outlets(story, choice) if choice.is_update else (),
        new_points=_new_points(points, choice.prior_points) if choice.is_update else (),
    )


def _new_outlets(story: Story, choice: _Choice) -> tuple[str, ...]:
    """Names of the outlets covering the story that the chat's version did not have."""
    names: list[str] = []
    seen = set(choice.prior_outlets)
    for item in reversed(story.items):  # oldest first: in order of report
        keys = outlet_identities(item)
        if not keys & seen:
            names.append(item.outlet or item.outlet_domain)
        seen |= keys
    return tuple(names)


def _new_points(points: tuple[str, ...], sent: tuple[str, ...]) -> tuple[int, ...]:
    """Which of today's points (0-based) the version sent did not have.

    A point is old when one sent point holds nearly all its terms (the same sentence, or
    the same words reordered); a point that adds a clause of news is new. Unknown when
    nothing of the sent points was kept (an older store): then none is claimed new.
    """
    if not sent:
        return ()
    before = [fact_terms(p) for p in sent]
    new: list[int] = []
    for i, point in enumerate(points):
        terms = fact_terms(point)
        if not terms or all(len(terms & old) < SAME_POINT * len(terms) for old in before):
            new.append(i)
    return tuple(new)
