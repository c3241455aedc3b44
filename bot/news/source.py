"""The `Source` protocol every news source implements, and what sources need to fetch."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Protocol, TypeVar

from bot.article import Page
from bot.errors import FetchError
from bot.fetch import FEED_TYPES
from bot.news.item import NewsItem

__all__ = ["FEED_TYPES", "FeedError", "FeedFetcher", "Source"]

T = TypeVar("T")


class Source(Protocol):
    """Where news for a topic comes from (a search feed, a subscribed feed, GDELT)."""

    name: str

    async def items(self, topic: str, *, lang: str, since: datetime) -> list[NewsItem]:
        """Items about `topic` published after `since`; raises FetchError when unreachable."""
        ...


class FeedFetcher(Protocol):
    """The slice of `bot.fetch.Fetcher` the sources use (so tests may pass a fake)."""

    async def fetch(
        self,
        url: str,
        *,
        accept: Collection[str] = ...,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Page: ...

    async def read(
        self,
        url: str,
        parse: Callable[[Page], T],
        *,
        accept: Collection[str] = ...,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> T:
        """Fetch and parse in a thread, both within the fetch's deadline."""
        ...


class FeedError(FetchError):
    """The answer came but is not a feed (or JSON) we can read."""

