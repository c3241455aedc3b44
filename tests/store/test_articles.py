"""The shared article/summary cache, sent stories and feed validators."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from bot.article import Article, Summary
from bot.news.selection import SentStory
from bot.news.subscribed import FeedState
from bot.store import Store, StoreSummaryCache

URL = "https://news.example/2025/05/01/story"
ARTICLE = Article(
    url=URL + "?utm_source=x",
    final_url=URL,
    title="Floods in the valley",
    text="Rivers rose overnight. " * 50,
    site="News Example",
    published=datetime(2025, 5, 1, 6, 30, tzinfo=UTC),
    language="en",
)
SUMMARY = Summary(
    points=["Rivers rose overnight.", "Roads are closed — «Київ» ✓"],
    summarizer="extractive",
    language="en",
    partial=False,
    dropped_points=1,
)


def test_summary_round_trips_per_language(store: Store) -> None:
    assert store.articles.get_summary(URL, "en") is None
    store.articles.put_summary(ARTICLE, SUMMARY, URL, "en")

    hit = store.articles.get_summary(URL, "en")
    assert hit is not None
    assert hit.article == ARTICLE
    assert hit.summary.points == SUMMARY.points
    assert (hit.summary.summarizer, hit.summary.partial, hit.summary.dropped_points) == (
        "extractive",
        False,
        1,
    )
    assert store.articles.get_summary(URL, "uk") is None
    assert store.articles.get_summary(URL, None) is None


def test_put_is_an_upsert_and_newest_summarizer_wins(store: Store) -> None:
    store.articles.put_summary(ARTICLE, SUMMARY, URL, None)
    better = Summary(["One.", "Two."], "llm:gpt-4o-mini", partial=True)
    store.articles.put_summary(ARTICLE, better, URL, None)
    store.articles.put_summary(ARTICLE, better, URL, None)  # same key again: no error

    hit = store.articles.get_summary(URL, None)
    assert hit is not None and hit.summary.summarizer == "llm:gpt-4o-mini"
    assert hit.summary.partial is True
    only = store.articles.get_summary(URL, None, summarizer="extractive")
    assert only is not None and only.summary.points == SUMMARY.points


def test_concurrent_puts_of_the_same_key_do_not_fail(store: Store, other_store: Store) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def put(s: Store, i: int) -> None:
        try:
            barrier.wait()
            s.articles.put_summary(ARTICLE, Summary([f"point {i}"], "extractive"), URL, "en")
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=put, args=(s, i)) for i, s in enumerate([store, other_store] * 4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    hit = store.articles.get_summary(URL, "en")
    assert hit is not None and hit.summary.points[0].startswith("point ")


async def test_store_works_as_the_pipeline_summary_cache(store: Store) -> None:
    cache = StoreSummaryCache(store)
    assert await cache.get(URL, "") is None
    await cache.put(URL, "", ARTICLE, SUMMARY)
    hit = await cache.get(URL, "")
    assert hit is not None
    assert hit[0].title == ARTICLE.title and hit[1].points == SUMMARY.points


def test_sent_stories_since_and_update(store: Store) -> None:
    store.chats.upsert(1)
    store.chats.upsert(2)
    day1 = datetime(2025, 5, 1, 8, tzinfo=UTC)
    day2 = day1 + timedelta(days=1)
    store.sent.record(
        1,
        [
            SentStory("floods", frozenset({"https://a.example/1", "https://b.example/2"}),
                      outlet_count=2),
            SentStory("vote", frozenset({"https://c.example/3"}), outlet_count=1),
        ],
        day1,
    )
    # The floods story grew and was sent again the next day: updated, not duplicated.
    store.sent.record(
        1,
        [SentStory("floods", frozenset({"https://a.example/1", "https://d.example/4"}),
                   outlet_count=3)],
        day2,
    )
    store.sent.record(1, [], day2)

    everything = store.sent.since(1, day1)
    assert set(everything) == {"floods", "vote"}
    floods = everything["floods"]
    assert floods.member_urls == {"https://a.example/1", "https://d.example/4"}
    assert (floods.outlet_count, floods.sent_at) == (3, day2)
    assert set(store.sent.since(1, day1 + timedelta(hours=1))) == {"floods"}
    assert store.sent.since(2, day1) == {}

    assert store.sent.prune(day2) == 1
    assert set(store.sent.since(1, day1)) == {"floods"}


def test_feed_state_round_trip(store: Store) -> None:
    feed = "https://feeds.example/rss.xml"
    assert store.feeds.get(feed) is None
    checked = datetime(2025, 5, 1, tzinfo=UTC)
    store.feeds.put(feed, FeedState(etag='W/"abc"'), checked_at=checked)
    store.feeds.put(
        feed,
        FeedState(etag='W/"def"', last_modified="Thu, 01 May 2025 00:00:00 GMT"),
        checked_at=checked + timedelta(minutes=10),
    )
    state = store.feeds.get(feed)
    assert state is not None
    assert (state.etag, state.last_modified, state.checked_at) == (
        'W/"def"',
        "Thu, 01 May 2025 00:00:00 GMT",
        checked + timedelta(minutes=10),
    )
