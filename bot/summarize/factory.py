"""Pick the summarizer the settings ask for; an LLM one always has a safety net.

    SUMMARIZER=extractive → ExtractiveSummarizer
    SUMMARIZER=llm, or auto with OPENAI_API_KEY / OPENAI_BASE_URL set →
        GuardedSummarizer(LLMSummarizer, fallback=ExtractiveSummarizer)

The guarded summarizer never leaves a user without points: when the model fails after its
retries, or every point it wrote states a number or name the article doesn't, the
extractive summary stands in and says why in `Summary.fallback_reason`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Protocol

from bot import metrics
from bot.article import Article, Summary
from bot.config import Settings
from bot.errors import SummarizerError
from bot.summarize import Summarizer
from bot.summarize.extractive import ExtractiveSummarizer
from bot.summarize.guard import check_points
from bot.summarize.llm import LLMSummarizer

log = logging.getLogger(__name__)


class ClosableSummarizer(Summarizer, Protocol):
    async def aclose(self) -> None: ...


def build_summarizer(settings: Settings) -> Summarizer:
    """The summarizer for `settings.summarizer` (auto|llm|extractive)."""
    extractive = ExtractiveSummarizer()
    if not settings.use_llm:
        return extractive
    return GuardedSummarizer(LLMSummarizer.from_settings(settings), fallback=extractive)


class GuardedSummarizer:
    """An LLM summarizer behind the faithfulness guard, with an extractive fallback."""

    def __init__(self, llm: ClosableSummarizer, *, fallback: Summarizer) -> None:
        self.llm = llm
        self.fallback = fallback
        self.name = llm.name

    async def summarize(self, article: Article, *, lang: str | None = None) -> Summary:
        try:
            summary = await self.llm.summarize(article, lang=lang)
        except SummarizerError as exc:
            return await self._fall_back(article, lang, reason=str(exc))
        # Indexing a long article is CPU-bound (~1.6 s for 3 MB): keep it off the event loop.
        result = await asyncio.to_thread(
            check_points,
            summary.points,
            f"{article.title}\n{article.text}",
            point_language=lang or article.language,
            article_language=article.language,
        )
        if result.dropped:
            log.info(
                "guard dropped %d of %d points for %s: %s",
                len(result.dropped),
                len(summary.points),
                article.url,
                result.dropped,
            )
        if not result.kept:
            return await self._fall_back(
                article,
                lang,
                reason=f"no faithful points: the guard dropped all {len(result.dropped)}",
                dropped=len(result.dropped),
            )
        return dataclasses.replace(
            summary,
            points=result.kept,
            dropped_points=summary.dropped_points + len(result.dropped),
            partial=summary.partial or article.is_teaser,
        )

    async def _fall_back(
        self, article: Article, lang: str | None, *, reason: str, dropped: int = 0
    ) -> Summary:
        log.warning("%s fell back to extractive for %s: %s", self.name, article.url, reason)
        metrics.fallback()
        summary = await self.fallback.summarize(article, lang=lang)
        return dataclasses.replace(
            summary,
            fallback_reason=reason,
            dropped_points=summary.dropped_points + dropped,
            partial=summary.partial or article.is_teaser,
        )

    async def aclose(self) -> None:
        await self.llm.aclose()
        close = getattr(self.fallback, "aclose", None)
        if close is not None:
            await close()
