"""The topic sources the settings ask for: every `NEWS_SEARCH_FEEDS` template, GDELT if on."""

from __future__ import annotations

from aiolimiter import AsyncLimiter

from bot.config import Settings
from bot.news.gdelt import GDELT_INTERVAL, GdeltSource
from bot.news.search import SearchFeedSource
from bot.news.source import FeedFetcher, Source


def topic_sources(
    settings: Settings, fetcher: FeedFetcher, *, gdelt_limiter: AsyncLimiter | None = None
) -> list[Source]:
    """Build once at start-up and reuse: the GDELT limiter must be shared by every digest."""
    sources: list[Source] = [
        SearchFeedSource(template, fetcher) for template in settings.news_search_feeds
    ]
    if settings.gdelt_enabled:
        sources.append(
            GdeltSource(fetcher, limiter=gdelt_limiter or AsyncLimiter(1, GDELT_INTERVAL))
        )
    return sources
