"""`FeedSource`: a publisher's RSS/Atom feed, polled politely with ETag / Last-Modified."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

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
    polled: bool = False  # `items` come from a poll by this process
    loaded: bool = False  # validators were looked up in the store


class ValidatorStore(Protocol):
    """Where validators outlive the process (bot.store.Store's feed_state table)."""

    def get_feed_state(self, feed_url: str) -> Any: ...

    def put_feed_state(
        self, feed_url: str, *, etag: str | None, last_modified: str | None
    ) -> None: ...


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
            row = await asyncio.to_thread(self._store.get_feed_state, url)
            if row is not None and not state.polled:
                state.etag, state.last_modified = row.etag, row.last_modified
            state.loaded = True
        return state

    async def save(self, url: str, state: FeedState) -> None:
        if self._store is not None:
            await asyncio.to_thread(
                self._store.put_feed_state, url, etag=state.etag,
                last_modified=state.last_modified,
            )

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
    ) -> None:
        self.url = url
        self.name = name or url
        self.match_topic = match_topic
        self._fetcher = fetcher
        self._states = states if states is not None else FeedStates()

    async def items(self, topic: str, *, lang: str, since: datetime) -> list[NewsItem]:
        state = await self._states.load(self.url)
        page = await self._fetcher.fetch(
            self.url, accept=FEED_TYPES, etag=state.etag, last_modified=state.last_modified
        )
        if page.not_modified and not state.polled:
            # Validators read back from the store after a restart: "not modified" is true,
            # but this process holds none of the items they vouch for.
            page = await self._fetcher.fetch(self.url, accept=FEED_TYPES)
        if not page.not_modified:
            try:
                state.title, state.items = parse_feed_titled(page.text, feed_url=page.final_url)
            except ValueError as exc:
                raise FeedError(f"{self.name}: {exc}") from exc
            state.polled = True
            if (page.etag, page.last_modified) != (state.etag, state.last_modified):
                state.etag, state.last_modified = page.etag, page.last_modified
                await self._states.save(self.url, state)
        wanted = set(tokens(topic)) if self.match_topic else set()
        return [
            item
            for item in state.items
            if item.published > since
            and wanted <= set(tokens(f"{item.title} {item.lead}"))
        ]
