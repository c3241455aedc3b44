"""Where finished link summaries are kept, so one URL is summarized once.

`SummaryCache` is the narrow boundary; `MemoryCache` keeps them in this process (an LRU),
the store keeps them in the database for every process and user.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from bot.article import Article, Summary


class SummaryCache(Protocol):
    async def get(self, canonical_url: str, lang: str) -> tuple[Article, Summary] | None: ...

    async def put(
        self, canonical_url: str, lang: str, article: Article, summary: Summary
    ) -> None: ...


class MemoryCache:
    """An in-process LRU of (canonical URL, language) → (article, summary)."""

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[tuple[str, str], tuple[Article, Summary]] = OrderedDict()

    async def get(self, canonical_url: str, lang: str) -> tuple[Article, Summary] | None:
        key = (canonical_url, lang)
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
        return hit

    async def put(self, canonical_url: str, lang: str, article: Article, summary: Summary) -> None:
        self._items[(canonical_url, lang)] = (article, summary)
        self._items.move_to_end((canonical_url, lang))
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)
