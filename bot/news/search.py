"""`SearchFeedSource`: a news search engine's RSS answer for a topic (Google News, Bing)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, quote_plus, urlsplit

from bot.article import Page
from bot.news.feed import parse_feed
from bot.news.item import NewsItem
from bot.news.source import FEED_TYPES, FeedError, FeedFetcher


def search_url(template: str, topic: str, lang: str) -> str:
    """Fill `{query}` (URL-encoded topic) and `{lang}`; other braces are left alone."""
    return template.replace("{query}", quote_plus(topic.strip())).replace("{lang}", quote(lang))


class SearchFeedSource:
    """One `NEWS_SEARCH_FEEDS` template, e.g. `https://…/rss/search?q={query}&hl={lang}`."""

    def __init__(self, template: str, fetcher: FeedFetcher, *, name: str | None = None) -> None:
        if "{query}" not in template:
            raise ValueError(f"search feed template has no {{query}}: {template!r}")
        self.template = template
        parts = urlsplit(template)
        self.name = name or f"{parts.hostname}{parts.path}"  # "news.google.com/rss/search"
        self._fetcher = fetcher

    async def items(self, topic: str, *, lang: str, since: datetime) -> list[NewsItem]:
        url = search_url(self.template, topic, lang)

        def parse(page: Page) -> list[NewsItem]:
            try:
                return parse_feed(page.text, feed_url=page.final_url, source_kind="search-feed")
            except ValueError as exc:
                raise FeedError(f"{self.name}: {exc}") from exc

        # feedparser is CPU work: in a thread, within the fetch's deadline (Fetcher.read).
        items = await self._fetcher.read(url, parse, accept=FEED_TYPES)
        return [item for item in items if item.published > since]
