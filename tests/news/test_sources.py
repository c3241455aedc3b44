"""The real sources through the real Fetcher against a loopback news site."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiolimiter import AsyncLimiter

from bot.config import Settings
from bot.errors import HTTPStatusError
from bot.fetch import Fetcher
from bot.news import GdeltSource, SearchFeedSource, build_topic_digest, topic_sources
from bot.news.gdelt import gdelt_url
from bot.news.item import NewsItem
from bot.news.search import search_url
from bot.news.source import FeedError
from bot.news.subscribed import FeedSource, FeedStates
from tests.fakes.newsfeeds import (
    FED,
    NORTH_KOREA,
    NOW,
    gdelt_artlist,
    publisher_rss,
    serve_search_feeds,
)
from tests.fakes.site import FakeSite, Request, Response

SINCE = NOW - timedelta(hours=24)


@pytest.fixture
async def fetcher(site: FakeSite) -> AsyncIterator[Fetcher]:
    async with Fetcher(Settings(fetch_allow_private_hosts=[site.host])) as f:
        yield f


async def _summarize(item: NewsItem) -> list[str]:
    return [f"{item.outlet} reports: {item.title}."]


async def test_digest_end_to_end_from_search_feeds(site: FakeSite, fetcher: Fetcher) -> None:
    templates = serve_search_feeds(site, {"North Korea": NORTH_KOREA, "Federal Reserve": FED})
    settings = Settings(news_search_feeds=templates, gdelt_enabled=False)
    sources = topic_sources(settings, fetcher)

    digest = await build_topic_digest(
        "North Korea", sources=sources, since=SINCE, now=NOW, max_stories=5,
        summarize=_summarize, already_sent=None,
    )

    assert not digest.errors
    assert [s.outlet_count for s in digest.stories] == [4, 3, 3]
    assert all(s.points and "news.google.com" not in s.url for s in digest.stories[:1])
    # Both engines were asked for the URL-encoded topic in the chat's language.
    asked = [r.path for r in site.history]
    assert any("/google/rss/search?q=North+Korea&hl=en&" in p for p in asked)
    assert any("/bing/news/search?q=North+Korea&format=rss&setlang=en" in p for p in asked)


async def test_a_broken_search_engine_is_recorded_and_the_other_still_counts(
    site: FakeSite, fetcher: Fetcher
) -> None:
    templates = serve_search_feeds(site, {"North Korea": NORTH_KOREA})
    site.route("/down", Response("gone", status=404, content_type="text/plain"))
    site.route("/captcha", Response("<html><body>unusual traffic</body></html>",
                                    content_type="text/plain"))
    sources = [
        SearchFeedSource(templates[0], fetcher),
        SearchFeedSource(site.url("/down?q={query}"), fetcher, name="down"),
        SearchFeedSource(site.url("/captcha?q={query}"), fetcher, name="captcha"),
    ]

    digest = await build_topic_digest(
        "North Korea", sources=sources, since=SINCE, now=NOW, summarize=_summarize,
        already_sent=None,
    )

    assert len(digest.stories) == 3
    assert {e.source for e in digest.errors} == {"down", "captcha"}
    assert any("HTTPStatusError" in e.error for e in digest.errors)
    assert any("FeedError" in e.error for e in digest.errors)


async def test_search_source_raises_fetch_errors(site: FakeSite, fetcher: Fetcher) -> None:
    site.route("/down", Response("gone", status=404, content_type="text/plain"))
    source = SearchFeedSource(site.url("/down?q={query}"), fetcher)
    with pytest.raises(HTTPStatusError):
        await source.items("x", lang="en", since=SINCE)


def test_search_url_encodes_the_topic_and_leaves_other_braces() -> None:
    url = search_url("https://s.example/rss?q={query}&hl={lang}&x={other}", "AT&T + 5G", "en-US")
    assert url == "https://s.example/rss?q=AT%26T+%2B+5G&hl=en-US&x={other}"
    with pytest.raises(ValueError, match="query"):
        SearchFeedSource("https://s.example/rss", fetcher=None)  # type: ignore[arg-type]


async def test_subscribed_feed_is_polled_with_validators(site: FakeSite, fetcher: Fetcher) -> None:
    body = publisher_rss("BBC News - Home", NORTH_KOREA, tracking="?at_medium=RSS&at_campaign=K")

    def feed(req: Request) -> Response:
        if req.headers.get("If-None-Match") == '"v1"':
            return Response(b"", status=304, content_type="")
        return Response(body, content_type="application/rss+xml",
                        headers={"ETag": '"v1"', "Last-Modified": "Tue, 14 Jul 2026 07:00:00 GMT"})

    url = site.route("/rss.xml", feed)
    states = FeedStates()
    source = FeedSource(url, fetcher, states=states)

    first = await source.items("", lang="en", since=SINCE)
    second = await FeedSource(url, fetcher, states=states).items("", lang="en", since=SINCE)

    assert len(first) == 10  # the 80-hour-old item is before `since`
    assert first[0].outlet == "BBC News"
    assert all("at_medium" not in item.canonical for item in first)
    assert second == first  # from memory after a 304
    polls = site.requests_to("/rss.xml")
    assert "If-None-Match" not in polls[0].headers
    assert polls[1].headers["If-None-Match"] == '"v1"'
    assert polls[1].headers["If-Modified-Since"] == "Tue, 14 Jul 2026 07:00:00 GMT"


async def test_subscribed_feed_can_keep_only_the_topic(site: FakeSite, fetcher: Fetcher) -> None:
    url = site.page("/rss.xml", publisher_rss("NPR", NORTH_KOREA + FED),
                    content_type="text/xml")
    source = FeedSource(url, fetcher, match_topic=True)
    items = await source.items("Powell", lang="en", since=SINCE)
    assert {item.title for item in items} == {r.headline for r in FED if r.story == "powell"}


async def test_gdelt_source_reads_artlist_and_waits_its_turn(
    site: FakeSite, fetcher: Fetcher
) -> None:
    site.route("/api/v2/doc/doc", Response(gdelt_artlist(NORTH_KOREA),
                                           content_type="application/json"))
    pace = 0.3  # GDELT asks for 5 s; the same limiter, faster
    source = GdeltSource(fetcher, limiter=AsyncLimiter(1, pace),
                         endpoint=site.url("/api/v2/doc/doc"))

    started = time.monotonic()
    items = await source.items("North Korea", lang="en", since=SINCE)
    again = await source.items("North Korea", lang="en", since=SINCE)
    took = time.monotonic() - started

    assert len(items) == 10 and again == items
    assert {item.source_kind for item in items} == {"gdelt"}
    assert took >= pace * 0.95  # the second request waited for its turn
    asked = site.requests_to("/api/v2/doc/doc")[0].path
    assert "query=North+Korea+sourcelang%3Aenglish" in asked
    assert "mode=artlist" in asked and "format=json" in asked


async def test_gdelt_plain_text_answer_is_a_feed_error(site: FakeSite, fetcher: Fetcher) -> None:
    site.route("/api/v2/doc/doc", Response("Please limit requests to one every 5 seconds",
                                           content_type="text/plain"))
    limiter = AsyncLimiter(1000, 1)
    source = GdeltSource(fetcher, limiter=limiter, endpoint=site.url("/api/v2/doc/doc"))
    with pytest.raises(FeedError, match="limit requests"):
        await source.items("x", lang="en", since=SINCE)


def test_gdelt_url_asks_for_the_window_and_language() -> None:
    url = gdelt_url("Bears Ears", lang="de", since=SINCE)
    assert "startdatetime=20260713080000" in url
    assert "sourcelang%3Agerman" in url
