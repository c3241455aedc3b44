"""`FeedSource`: a publisher's RSS/Atom feed, polled politely with ETag / Last-Modified."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.article import Page
from bot.news.feed import parse_feed_titled
from bot.news.item import DEFAULT_MAX_ITEMS, NewsItem, newest
from bot.news.source import FEED_TYPES, FeedError, FeedFetcher
from bot.news.words import tokens


@dataclass
class FeedState:
    """What the last poll of one feed URL left behind."""

    etag: str | None = None
    last_modified: str | None = None
    items: list[NewsItem] = field(default_factory=list)
    title: str = ""  # the channel's own title: how a digest names the feed
    polled: bool = False  # `items` come from a poll by this process
    loaded: bool = False  # validators were looked up in the store
    checked_at: datetime | None = None  # when the store last saved the validators


class ValidatorStore(Protocol):
    """Where validators outlive the process: `Store.feeds` (`bot.store.feeds.Feeds`, feed_state)."""

    def get(self, feed_url: str) -> FeedState | None: ...

    def put(self, feed_url: str, state: FeedState) -> None: ...


class FeedStates:
    """Validators and last items per feed URL: items in memory, validators also in `store`.

    One instance is shared by the app so every chat subscribed to a feed reuses one poll.
    `evict` drops the feeds no chat follows any more, so their items don't stay in memory.
    """

    def __init__(self, store: ValidatorStore | None = None) -> None:
        self._by_url: dict[str, FeedState] = {}
        self._store = store

    def get(self, url: str) -> FeedState:
        return self._by_url.setdefault(url, FeedState())

    async def load(self, url: str) -> FeedState:
        state = self.get(url)
        if self._store is not None and not state.loaded:
            stored = await asyncio.to_thread(self._store.get, url)
            if stored is not None and not state.polled:
                state.etag, state.last_modified = stored.etag, stored.last_modified
            state.loaded = True
        return state

    async def save(self, url: str, state: FeedState) -> None:
        if self._store is not None:
            await asyncio.to_thread(self._store.put, url, state)

    def evict(self, keep: set[str]) -> int:
        gone = [url for url in self._by_url if url not in keep]
        for url in gone:
            del self._by_url[url]
        return len(gone)

    def __len__(self) -> int:
        return len(self._by_url)


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
        max_items: int = DEFAULT_MAX_ITEMS,
    ) -> None:
        self.url = url
        self.name = name or url
        self.match_topic = match_topic
        self.max_items = max_items
        self._fetcher = fetcher
        self._states = states if states is not None else FeedStates()

    async def items(self, topic: str, *, lang: str, since: datetime) -> list[NewsItem]:
        """The newest `max_items` items after `since` (that mention `topic` with match_topic)."""
        state = await self._states.load(self.url)

        def parse(page: Page) -> tuple[Page, tuple[str, list[NewsItem]] | None]:
            if page.not_modified:
                return page, None
            try:
                return page, parse_feed_titled(
                    page.text, feed_url=page.final_url, max_items=self.max_items
                )
            except ValueError as exc:
                raise FeedError(f"{self.name}: {exc}") from exc

        # Fetched and parsed under one deadline, the parsing in a thread (see Fetcher.read).
        page, parsed = await self._fetcher.read(
            self.url, parse, accept=FEED_TYPES, etag=state.etag,
            last_modified=state.last_modified,
        )
        if page.not_modified and not state.polled:
            # Validators read back from the store after a restart: "not modified" is true,
            # but this process holds none of the items they vouch for.
            page, parsed = await self._fetcher.read(self.url, parse, accept=FEED_TYPES)
        if parsed is not None:
            state.title, state.items = parsed
            state.polled = True
            if (page.etag, page.last_modified) != (state.etag, state.last_modified):
                state.etag, state.last_modified = page.etag, page.last_modified
                await self._states.save(self.url, state)
        wanted = set(tokens(topic)) if self.match_topic else set()
        fresh = [
            item
            for item in state.items
            if item.published > since
            and wanted <= set(tokens(f"{item.title} {item.lead}"))
        ]
        return newest(fresh, self.max_items)
