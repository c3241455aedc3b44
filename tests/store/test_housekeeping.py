"""Storage and memory stay bounded: the daily housekeeping, and feed validators in the store.

SQLite file and PostgreSQL; the feed comes from a loopback site.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from bot.article import Article, Summary
from bot.config import Settings
from bot.news.selection import SentStory
from bot.news.subscribed import FeedState
from bot.pipeline import Pipeline
from bot.rounds import Digests
from bot.store import Store
from bot.store.records import StoryRef
from bot.store.tables import ArticleRow, SentStoryRow
from tests.fakes.newsfeeds import NORTH_KOREA, publisher_rss
from tests.fakes.outbox import Outbox
from tests.fakes.site import FakeSite, Request, Response


@pytest.fixture
def now() -> datetime:
    """The rounds' clock, read per test (not at import: a run may cross midnight)."""
    return datetime.now(UTC)


@pytest.fixture
async def make_digests(
    site: FakeSite, now: datetime
) -> AsyncIterator[Callable[[Store], Digests]]:
    made: list[Digests] = []

    def make(store: Store) -> Digests:
        settings = Settings(fetch_allow_private_hosts=[site.host], fetch_timeout=5,
                            summarizer="extractive", news_search_feeds=[])
        digests = Digests(settings, pipeline=Pipeline.build(settings), store=store,
                          clock=lambda: now)
        made.append(digests)
        return digests

    yield make
    for digests in made:
        await digests.pipeline.aclose()


def cache_article(store: Store, url: str, fetched_at: datetime) -> None:
    article = Article(url=url, final_url=url, title="Заголовок", text="Текст статті. " * 50,
                      site="Укрінформ", published=None, language="uk")
    store.articles.put_summary(article, Summary(points=["Пункт."], summarizer="extractive"),
                              url, "uk")
    with store.engine.begin() as conn:
        conn.execute(update(ArticleRow).where(col(ArticleRow.canonical_url) == url)
                     .values(fetched_at=fetched_at))


async def test_housekeeping_prunes_old_articles_sent_stories_and_unfollowed_feeds(
    store: Store, make_digests: Callable[[Store], Digests], now: datetime
) -> None:
    digests = make_digests(store)
    cache_article(store, "https://ukrinform.ua/old", now - timedelta(days=8))
    cache_article(store, "https://ukrinform.ua/fresh", now - timedelta(days=6))
    store.chats.upsert(1)
    for key, age in (("old", 4), ("new", 2)):
        story = SentStory(key, frozenset({f"https://a/{key}"}), outlet_count=1)
        store.sent.record(1, [story], now - timedelta(days=age))
    store.subscriptions.add(1, "https://feeds.example/followed.xml", "feed")
    for url in ("https://feeds.example/followed.xml", "https://feeds.example/dropped.xml"):
        store.feeds.put(url, FeedState(etag='"e1"'))

    ref = StoryRef.of("Заголовок", [("Укрінформ", "https://ukrinform.ua/fresh")])
    store.replies.remember(1, [7], [ref], now - timedelta(days=8))
    store.replies.remember(1, [8], [ref], now - timedelta(days=6))
    store.replies.remember(1, [9], [StoryRef.of("Old only", [])], now - timedelta(days=8))

    done = await digests.housekeeping()

    assert done == {"articles": 1, "sent_stories": 1, "reply_messages": 2, "feeds": 1}
    # Questions are answered for CACHE_TTL_DAYS, as long as the articles are kept.
    assert store.replies.stories_of(1, 7) is None and store.replies.stories_of(1, 9) is None
    assert store.replies.stories_of(1, 8) == [ref]
    with store.engine.connect() as conn:
        kept = conn.exec_driver_sql("SELECT count(*) FROM reply_stories").scalar()
    assert kept == 1  # the story only message 9 showed went with it
    assert store.articles.get_summary("https://ukrinform.ua/old", "uk") is None
    fresh = store.articles.get_summary("https://ukrinform.ua/fresh", "uk")
    assert fresh is not None and fresh.article.site == "Укрінформ"
    with store.engine.connect() as conn:
        keys = set(conn.execute(select(col(SentStoryRow.story_key))).scalars())
        articles = conn.exec_driver_sql("SELECT count(*) FROM articles").scalar()
        summaries = conn.exec_driver_sql("SELECT count(*) FROM summaries").scalar()
    assert keys == {"new"} and articles == 1 and summaries == 1
    assert store.feeds.get("https://feeds.example/followed.xml") is not None
    assert store.feeds.get("https://feeds.example/dropped.xml") is None


async def test_cache_ttl_days_is_the_setting_that_decides(
    store: Store, make_digests: Callable[[Store], Digests], now: datetime
) -> None:
    digests = make_digests(store)
    digests.settings = digests.settings.model_copy(update={"cache_ttl_days": 2})
    cache_article(store, "https://ukrinform.ua/three-days", now - timedelta(days=3))
    assert (await digests.housekeeping())["articles"] == 1


def feed_route(site: FakeSite, now: datetime) -> str:
    body = publisher_rss("BBC News - Home", NORTH_KOREA, now=now)

    def feed(req: Request) -> Response:
        if req.headers.get("If-None-Match") == '"v1"':
            return Response(b"", status=304, content_type="")
        return Response(body, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    return site.route("/rss.xml", feed)


async def test_feed_validators_survive_a_restart_and_items_still_come(
    store: Store, make_digests: Callable[[Store], Digests], site: FakeSite, now: datetime
) -> None:
    url = feed_route(site, now)
    await asyncio.to_thread(store.subscriptions.add, 1, url, "feed")
    before = await make_digests(store).topic_stories(url, kind="feed")
    assert store.feeds.get(url) is not None  # kept in feed_state
    restarted = make_digests(store)  # a new process: nothing in memory
    after = await restarted.topic_stories(url, kind="feed")
    polls = site.requests_to("/rss.xml")
    assert "If-None-Match" not in polls[0].headers
    assert polls[1].headers.get("If-None-Match") == '"v1"'  # the stored validator was used
    # The 304 vouched for items this process didn't have: they were fetched again.
    assert len(after.stories) == len(before.stories) > 0


async def test_an_unfollowed_feed_leaves_memory_at_the_next_round(
    store: Store, make_digests: Callable[[Store], Digests], site: FakeSite, now: datetime
) -> None:
    url = feed_route(site, now)
    await asyncio.to_thread(store.subscriptions.add, 1, url, "feed")
    digests = make_digests(store)
    await digests.topic_stories(url, kind="feed")
    assert len(digests._feed_states) == 1
    await asyncio.to_thread(store.subscriptions.remove, 1, url)
    await digests.run_round(Outbox())
    assert len(digests._feed_states) == 0
