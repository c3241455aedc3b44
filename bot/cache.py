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

    async def put_article(self, canonical_url: str, article: Article) -> None:
        """Keep an article with no summary to cache (questions about it read its text)."""
        ...


class MemoryCache:
    """An in-process LRU of (canonical URL, language) → (article, summary)."""

    def __init__(self, maxsize: int = 1024) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[tuple[str, str], tuple[Article, Summary]] = OrderedDict()
        self._articles: OrderedDict[str, Article] = OrderedDict()

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

    async def put_article(self, canonical_url: str, article: Article) -> None:
        self._articles[canonical_url] = article
        self._articles.move_to_end(canonical_url)
        while len(self._articles) > self.maxsize:
            self._articles.popitem(last=False)

    def article(self, canonical_url: str) -> Article | None:
        """The article kept under this URL, with or without a summary."""
        hit = self._articles.get(canonical_url)
        if hit is not None:
            return hit
        return next((a for (url, _), (a, _) in self._items.items() if url == canonical_url), None)
