"""Pick the summarizer the settings ask for; an LLM one always has a safety net.

    SUMMARIZER=extractive → ExtractiveSummarizer
    SUMMARIZER=llm, or auto with OPENAI_API_KEY / OPENAI_BASE_URL set →
        GuardedSummarizer(LLMSummarizer, fallback=ExtractiveSummarizer)

The guarded summarizer checks every point the model wrote against the sentences it cites
(`bot.summarize.guard`), and with LLM_VERIFY asks the model a second time whether those
sentences state it. It never leaves a user without points: when the model fails after
its retries, or no point survives the checks, the extractive summary stands in and says
why in `Summary.fallback_reason`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from bot import metrics
from bot.article import Article, Summary
from bot.config import Settings
from bot.errors import SummarizerError
from bot.summarize import Summarizer
from bot.summarize.extractive import ExtractiveSummarizer
from bot.summarize.guard import check_grounded
from bot.summarize.llm import Draft, LLMSummarizer, draft_summary

log = logging.getLogger(__name__)


def build_summarizer(settings: Settings) -> Summarizer:
    """The summarizer for `settings.summarizer` (auto|llm|extractive)."""
    extractive = ExtractiveSummarizer()
    if not settings.use_llm:
        return extractive
    return GuardedSummarizer(
        LLMSummarizer.from_settings(settings),
        fallback=extractive,
        verify=settings.effective_llm_verify,
    )


class GuardedSummarizer:
    """An LLM summarizer behind the faithfulness guard, with an extractive fallback."""

    def __init__(
        self, llm: LLMSummarizer, *, fallback: Summarizer, verify: bool = False
    ) -> None:
        self.llm = llm
        self.fallback = fallback
        self.verify = verify
        self.name = llm.name

    async def summarize(self, article: Article, *, lang: str | None = None) -> Summary:
        try:
            draft = await self.llm.draft(article, lang=lang)
        except SummarizerError as exc:
            return await self._fall_back(article, lang, reason=str(exc))
        return await self.finish(article, draft, lang=lang)

    async def finish(self, article: Article, draft: Draft, *, lang: str | None = None) -> Summary:
        """Check a draft's points (guard, then the verifier) into the summary a user gets."""
        # CPU-bound on long articles: keep it off the event loop.
        result = await asyncio.to_thread(
            check_grounded,
            draft.points,
            draft.numbered,
            point_language=draft.language,
            article_language=article.language,
        )
        for verdict in result.dropped:
            log.info("guard dropped %r for %s: %s", verdict.point.text, article.url,
                     "; ".join(verdict.problems))  # fmt: skip
        kept = result.kept
        dropped = result.dropped_points
        if kept and self.verify:
            try:
                verdicts = await self.llm.verify(kept, draft.numbered)
            except SummarizerError as exc:
                # The guard's checks stand; an unavailable checker is no reason to fail.
                log.warning("verification skipped for %s: %s", article.url, exc)
            else:
                refused = [p.text for p, ok in zip(kept, verdicts, strict=True) if not ok]
                if refused:
                    log.info("verifier refused for %s: %s", article.url, refused)
                kept = [p for p, ok in zip(kept, verdicts, strict=True) if ok]
                dropped += len(refused)
        if not kept:
            return await self._fall_back(
                article,
                lang,
                reason=f"no faithful points: the checks dropped all {dropped}",
                dropped=dropped,
            )
        summary = draft_summary(draft, [p.text for p in kept], self.name)
        return dataclasses.replace(
            summary,
            dropped_points=dropped,
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

    async def check_key(self) -> str | None:
        """What to tell the operator if the model refuses the key, else None."""
        return await self.llm.check_key()

    async def aclose(self) -> None:
        await self.llm.aclose()
        close = getattr(self.fallback, "aclose", None)
        if close is not None:
            await close()
