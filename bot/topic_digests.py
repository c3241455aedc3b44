"""A topic's digest, built once and shared by every chat that follows the topic.

    sources ─► the topic's stories of the last 24 h (collected, clustered, ranked; shared
               for `ROUND_TTL`) ─► what one reader gets (`bot.news.selection`)
            ─► points per story from up to three outlets' articles (each article read
               once and summarized once, kept for `ARTICLE_TTL`)

`newsbot digest` uses it on its own; `bot.rounds.Digests` adds chats and deliveries.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import datetime
from typing import Generic, TypeVar

from bot.article import Article
from bot.config import Settings
from bot.errors import NewsbotError
from bot.news import FeedSource, FeedStates, NewsItem, Source, TopicDigest, topic_sources
from bot.news.google import GoogleNewsDecoder
from bot.news.item import outlet_identities
from bot.news.selection import (
    MAX_LOOKBACK,
    CitedPoint,
    SentStory,
    TopicStories,
    collect_topic_stories,
    select_for_chat,
)
from bot.news.story import Story
from bot.news.subscribed import ValidatorStore
from bot.pipeline import Pipeline, read_article
from bot.store.types import utcnow
from bot.summarize.multisource import MultiSourceSummarizer, SourceArticle

log = logging.getLogger(__name__)

ROUND_TTL = 15 * 60.0  # seconds a topic's stories are reused by later chats of a round
DEFAULT_LANG = "en"
# A story is read from up to STORY_SOURCES outlets' articles; when some can't be read, up
# to STORY_CANDIDATES are tried. Articles and story points are kept ARTICLE_TTL seconds
# (bounded), so every chat and every round of the day shares one fetch per article.
STORY_SOURCES = 3
STORY_CANDIDATES = 5
ARTICLE_TTL = 12 * 3600.0
ARTICLE_MEMO = 512  # articles (and story points) kept: a few rounds of every topic


class TopicDigests:
    """Builds topic digests: stories per topic, articles and points per story, shared."""

    def __init__(
        self,
        settings: Settings,
        *,
        pipeline: Pipeline,
        sources: Sequence[Source] | None = None,
        feed_store: ValidatorStore | None = None,
        clock: Callable[[], datetime] = utcnow,
        google: GoogleNewsDecoder | None = None,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.clock = clock
        self._search_sources = list(
            sources if sources is not None else topic_sources(settings, pipeline.fetcher)
        )
        # Validators persist in `feed_store` (the store's feed_state table); items stay in
        # memory only while a chat follows the feed (see `bot.rounds.Digests.evict_feeds`).
        self._feed_states = FeedStates(feed_store)
        self._stories: dict[tuple[str, str, str], tuple[float, asyncio.Task[TopicStories]]] = {}
        self._articles: _Memo[str, Article | None] = _Memo(ARTICLE_MEMO, ARTICLE_TTL)
        self._story_points: _Memo[tuple[tuple[str, ...], str], list[CitedPoint]] = _Memo(
            ARTICLE_MEMO, ARTICLE_TTL
        )
        self.multisource = _multisource(settings, pipeline)
        # One decoder per process: its pacing and cache are shared by every digest.
        self.google = google or (
            GoogleNewsDecoder(pipeline.fetcher, base_url=settings.google_news_url)
            if settings.google_news_decode else None
        )

    def sources_for(self, topic: str, kind: str) -> list[Source]:
        if kind == "feed":
            return [FeedSource(topic, self.pipeline.fetcher, states=self._feed_states,
                               max_items=self.settings.feed_max_items)]
        return self._search_sources

    async def topic_stories(
        self, topic: str, *, kind: str = "search", lang: str = DEFAULT_LANG,
        now: datetime | None = None,
    ) -> TopicStories:
        """The topic's ranked stories of the last 24 h, shared within a round."""
        now = now or self.clock()
        key = (kind, topic.casefold().strip(), lang)
        hit = self._stories.get(key)
        if hit is not None and time.monotonic() - hit[0] < ROUND_TTL:
            task = hit[1]
            if not (task.done() and task.exception() is not None):
                return await asyncio.shield(task)
        task = asyncio.ensure_future(self._collect(topic, kind=kind, lang=lang, now=now))
        self._stories[key] = (time.monotonic(), task)
        return await asyncio.shield(task)

    async def _collect(self, topic: str, *, kind: str, lang: str, now: datetime) -> TopicStories:
        collected = await collect_topic_stories(
            topic, sources=self.sources_for(topic, kind), since=now - MAX_LOOKBACK,
            now=now, lang=lang, max_items=self.settings.feed_max_items,
        )
        if kind == "feed":  # the feed names itself; its URL is no title for a reader
            title = self._feed_states.get(topic).title
            if title:
                collected = dataclasses.replace(collected, title=title)
        return collected

    async def summarize_story(self, story: Story, lang: str) -> list[CitedPoint]:
        """Points for a story from up to three of its outlets, each point citing its outlets.

        Shared by every chat (memoised by the articles read and the language); points made
        while the model was down are kept for this round only.
        """
        items = readable_items(story, tokens=self.google is not None)
        if not items:
            return []  # Google News tokens only and decoding off: headline and lead
        key = (tuple(item.canonical for item in items[:STORY_CANDIDATES]), lang)
        return await self._story_points.get_or_start(
            key, lambda: self._story_points_of(key, items, lang)
        )

    async def _story_points_of(
        self, key: tuple[tuple[str, ...], str], items: list[NewsItem], lang: str
    ) -> list[CitedPoint]:
        read: list[tuple[NewsItem, Article]] = []
        for start in range(0, len(items), STORY_SOURCES):
            wave = items[start : start + STORY_SOURCES - len(read)]
            articles = await asyncio.gather(*(self.article(item) for item in wave))
            read.extend((i, a) for i, a in zip(wave, articles, strict=True) if a is not None)
            if len(read) >= STORY_SOURCES or start + STORY_SOURCES >= len(items):
                break
        if not read:
            return []
        if len(read) == 1:
            # One readable outlet: its article's own summary (cached with the article).
            item, article = read[0]
            points, stand_in = await self._summarize_article(item, article, lang)
            if stand_in:
                self._story_points.keep_only(key, ROUND_TTL)
            outlet = (_outlet(item),)
            return [CitedPoint(p, outlet) for p in points]
        sources = [SourceArticle(_outlet(item), article) for item, article in read]
        summary = await self.multisource.summarize(sources, lang=lang)
        if summary.fallback_reason is not None:
            # Made while the model was down: a later round should ask the model again.
            self._story_points.keep_only(key, ROUND_TTL)
        return [
            CitedPoint(p.text, tuple(sources[i].outlet for i in p.sources))
            for p in summary.points
        ]

    async def article(self, item: NewsItem) -> Article | None:
        """The article behind a feed item, fetched once for every chat (None: unreadable)."""
        article = await self._articles.get_or_start(item.canonical, lambda: self._read(item))
        if article is None:  # down or unreadable now: a later round may try it again
            self._articles.keep_only(item.canonical, ROUND_TTL)
        return article

    async def _read(self, item: NewsItem) -> Article | None:
        for lang in ("", DEFAULT_LANG):  # a link someone summarized already has its article
            hit = await self.pipeline.cache.get(item.canonical, lang)
            if hit is not None:
                return hit[0]
        url = item.url
        if item.is_token_link:
            resolved = await self.google.resolve(url) if self.google is not None else None
            if resolved is None:
                return None  # Google would not say where it leads
            url = resolved
        try:
            article = await read_article(self.pipeline.fetcher, url)
        except NewsbotError as exc:
            log.info("can't read %s for a digest: %s", url, exc)
            return None
        # Kept for CACHE_TTL_DAYS: a reader's question about this story reads its text.
        await self.pipeline.cache.put_article(item.canonical, article)
        return article

    async def _summarize_article(
        self, item: NewsItem, article: Article, lang: str
    ) -> tuple[list[str], bool]:
        """One article's points, and whether they are a stand-in for the model's."""
        hit = await self.pipeline.cache.get(item.canonical, lang)
        if hit is not None:
            return list(hit[1].points), False
        try:
            summary = await self.pipeline.summarize_article(article, lang=lang)
        except NewsbotError as exc:
            log.info("no summary for %s: %s", item.url, exc)
            return [], True
        if summary.fallback_reason is None:
            await self.pipeline.cache.put(item.canonical, lang, article, summary)
        return list(summary.points), summary.fallback_reason is not None

    async def topic_digest(
        self,
        topic: str,
        *,
        kind: str = "search",
        lang: str = DEFAULT_LANG,
        since: datetime | None = None,
        max_stories: int | None = None,
        already_sent: dict[str, SentStory] | None = None,
        now: datetime | None = None,
        on_summarized: Callable[[], None] | None = None,
    ) -> TopicDigest:
        """The digest for one topic; `on_summarized` is called after each story is summarized
        (the CLI counts them on stderr)."""
        now = now or self.clock()
        collected = await self.topic_stories(topic, kind=kind, lang=lang, now=now)

        async def summarize(story: Story) -> list[CitedPoint]:
            points = await self.summarize_story(story, lang)
            if on_summarized is not None:
                on_summarized()
            return points

        return await select_for_chat(
            collected,
            since=since,
            max_stories=max_stories or self.settings.digest_max_stories,
            summarize_story=summarize,
            already_sent=already_sent,
        )

    def _forget_old_round(self) -> None:
        """Drop the topics' stories older than a round, so the next round collects anew."""
        cutoff = time.monotonic() - ROUND_TTL
        for key in [k for k, (t, _) in self._stories.items() if t < cutoff]:
            del self._stories[key]


def readable_items(story: Story, *, tokens: bool = False) -> list[NewsItem]:
    """The story's articles worth reading: one per outlet, the best first, then the outlets
    with a real lead, in order of report. Publisher URLs come before Google News tokens
    (each costs two paced requests to resolve), which count only when `tokens`."""
    seen: set[str] = set()
    out: list[NewsItem] = []
    rest = sorted(story.items, key=lambda it: (
        it.is_token_link, len(it.lead) < 80, it.published, it.canonical))
    for item in sorted((story.best, *rest), key=lambda it: it.is_token_link):
        keys = outlet_identities(item)
        if (item.is_token_link and not tokens) or keys & seen:
            continue
        seen |= keys
        out.append(item)
    return out[:STORY_CANDIDATES]


def _outlet(item: NewsItem) -> str:
    return item.outlet or item.outlet_domain


def _multisource(settings: Settings, pipeline: Pipeline) -> MultiSourceSummarizer:
    """The story summarizer: the pipeline's model when it has one, else extractive."""
    llm = getattr(pipeline.summarizer, "llm", None)
    if llm is not None and callable(getattr(llm, "complete", None)):
        return MultiSourceSummarizer(llm, max_input_tokens=settings.llm_max_input_tokens)
    return MultiSourceSummarizer()


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Memo(Generic[K, V]):
    """Single-flight results by key, for `ttl` seconds, at most `size` of them (oldest go).

    A failed task is forgotten at once, so the next caller tries again.
    """

    def __init__(self, size: int, ttl: float) -> None:
        self.size, self.ttl = size, ttl
        self._items: OrderedDict[K, tuple[float, asyncio.Task[V]]] = OrderedDict()  # deadline

    async def get_or_start(self, key: K, start: Callable[[], Awaitable[V]]) -> V:
        hit = self._items.get(key)
        now = time.monotonic()
        if hit is not None and now < hit[0]:
            task = hit[1]
            if not (task.done() and (task.cancelled() or task.exception() is not None)):
                return await asyncio.shield(task)
        task = asyncio.ensure_future(start())
        self._items[key] = (now + self.ttl, task)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return await asyncio.shield(task)

    def keep_only(self, key: K, seconds: float) -> None:
        """Shorten `key`'s life to `seconds` from now (a result worth redoing later)."""
        hit = self._items.get(key)
        if hit is not None:
            self._items[key] = (min(hit[0], time.monotonic() + seconds), hit[1])

