"""`FeedSource`: a publisher's RSS/Atom feed, polled politely with ETag / Last-Modified."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.news.feed import parse_feed_titled
from bot.news.item import NewsItem
from bot.news.source import FEED_TYPES, FeedError, FeedFetcher
from bot.news.words import tokens


@dataclass
class FeedState:
    """What the last poll of one feed URL left behind."""

    etag: str | None = None
    last_modified: str | None = None
    items: list[NewsItem] = field(default_factory=list)
    title: str = ""  # the channel's own title: how a digest names the feed


class FeedStates:
    """Validators and last items per feed URL, in memory (the store may persist them later).

    One instance is shared by the app so every chat subscribed to a feed reuses one poll.
    """

    def __init__(self) -> None:
        self._by_url: dict[str, FeedState] = {}

    def get(self, url: str) -> FeedState:
        return self._by_url.setdefault(url, FeedState())


class FeedSource:
    """Items of one subscribed feed; with `match_topic`, only those mentioning the topic."""

    def __init__(
        self,
        url: str,
        fetcher: FeedFetcher,
        *,
        states: FeedStates | None = None,
        name: str | None = None,
        match_topic: bool = False,
    ) -> None:
        self.url = url
        self.name = name or url
        self.match_topic = match_topic
        self._fetcher = fetcher
        self._states = states or FeedStates()

    async def items(self, topic: str, *, lang: str, since: datetime) -> list[NewsItem]:
        state = self._states.get(self.url)
        page = await self._fetcher.fetch(
            self.url, accept=FEED_TYPES, etag=state.etag, last_modified=state.last_modified
        )
        if not page.not_modified:
            try:
                state.title, state.items = parse_feed_titled(page.text, feed_url=page.final_url)
            except ValueError as exc:
                raise FeedError(f"{self.name}: {exc}") from exc
            state.etag, state.last_modified = page.etag, page.last_modified
        wanted = set(tokens(topic)) if self.match_topic else set()
        return [
            item
            for item in state.items
            if item.published > since
            and wanted <= set(tokens(f"{item.title} {item.lead}"))
        ]
