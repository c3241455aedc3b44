"""The store as the pipeline's `SummaryCache`: one summary per URL for every process."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError

from bot.article import Article, Summary
from bot.store.store import Store

log = logging.getLogger(__name__)


class StoreSummaryCache:
    """`bot.cache.SummaryCache` backed by the database (calls run in a worker thread)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get(self, canonical_url: str, lang: str) -> tuple[Article, Summary] | None:
        hit = await asyncio.to_thread(self.store.articles.get_summary, canonical_url, lang)
        return None if hit is None else (hit.article, hit.summary)

    async def put(self, canonical_url: str, lang: str, article: Article, summary: Summary) -> None:
        # A cache that can't be written (a full disk) must not cost the reader the summary
        # that was just computed: it is delivered, only not kept.
        try:
            await asyncio.to_thread(
                self.store.articles.put_summary, article, summary, canonical_url, lang
            )
        except SQLAlchemyError as exc:
            log.warning("summary of %s not cached (storage problem): %s: %s",
                        canonical_url, type(exc).__name__, exc)

    async def put_article(self, canonical_url: str, article: Article) -> None:
        try:
            await asyncio.to_thread(self.store.articles.put_article, article, canonical_url)
        except SQLAlchemyError as exc:
            log.warning("article %s not kept (storage problem): %s: %s",
                        canonical_url, type(exc).__name__, exc)
