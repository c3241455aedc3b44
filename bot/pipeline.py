"""The use cases the CLI and the bot share: a link becomes points of attention."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from bot.article import Article, Page, Summary
from bot.cache import MemoryCache, SummaryCache
from bot.config import Settings
from bot.coordination.flight import SingleFlight
from bot.errors import ExtractionError, NewsbotError
from bot.extract import extract_article
from bot.extract.metadata import MAX_SITE, MAX_TITLE, clip_field, strip_surrogates
from bot.fetch import Fetcher
from bot.summarize import Summarizer
from bot.summarize.factory import build_summarizer
from bot.urls import canonical_url, parse_http_url

log = logging.getLogger(__name__)


async def read_article(fetcher: Fetcher, url: str) -> Article:
    """Fetch `url` and extract its article (raises InputError, FetchError, ExtractionError).

    Extraction (lxml, trafilatura) is CPU-bound: it runs in a thread, within the same
    FETCH_TIMEOUT as the download (see `Fetcher.read`).
    """
    return await fetcher.read(url, _article_of)


def _article_of(page: Page) -> Article:
    return extract_safely(page.text, url=page.url, final_url=page.final_url)


def extract_safely(html: str, *, url: str, final_url: str | None = None) -> Article:
    """`extract_article`, with any failure an ExtractionError and fields fit to store and show.

    A hostile page can make lxml, trafilatura or htmldate raise anything (ValueError,
    UnicodeError, RecursionError, lxml's own errors): the user gets "no article text"
    (exit 4) rather than a crash, and a batch goes on.
    """
    try:
        article = extract_article(html, url=url, final_url=final_url)
    except NewsbotError:
        raise
    except Exception as exc:
        log.warning("extraction of %s failed", final_url or url, exc_info=True)
        raise ExtractionError(
            f"the page could not be read as an article ({type(exc).__name__})"
        ) from exc
    return dataclasses.replace(
        article,
        title=clip_field(article.title, MAX_TITLE),
        site=clip_field(article.site, MAX_SITE) if article.site is not None else None,
        text=strip_surrogates(article.text),
    )


@dataclass(frozen=True, slots=True)
class LinkResult:
    article: Article
    summary: Summary
    canonical_url: str
    cached: bool


class Pipeline:
    """fetch → extract → summarize, with a cache and in-flight coalescing per canonical URL."""

    def __init__(
        self,
        settings: Settings,
        *,
        fetcher: Fetcher,
        summarizer: Summarizer,
        cache: SummaryCache | None = None,
    ) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self.summarizer = summarizer
        self.cache: SummaryCache = cache if cache is not None else MemoryCache()
        # Two users sending the same link at once share one fetch and one model call.
        self._flights: SingleFlight[LinkResult] = SingleFlight()

    @classmethod
    def build(cls, settings: Settings, *, cache: SummaryCache | None = None) -> Pipeline:
        return cls(
            settings,
            fetcher=Fetcher(settings),
            summarizer=build_summarizer(settings),
            cache=cache,
        )

    async def summarize_url(self, url: str, *, lang: str | None = None) -> LinkResult:
        """Summarize the article at `url`; raise InputError, FetchError or ExtractionError."""
        url = parse_http_url(url)
        key = canonical_url(url)
        cache_lang = lang or ""
        hit = await self.cache.get(key, cache_lang)
        if hit is not None:
            return LinkResult(hit[0], hit[1], key, cached=True)
        return await self._flights.run((key, cache_lang),
                                       lambda: self._summarize_fresh(url, key, lang))

    async def _summarize_fresh(self, url: str, key: str, lang: str | None) -> LinkResult:
        article = await read_article(self.fetcher, url)
        summary = await self.summarize_article(article, lang=lang)
        # A summary made while the model was down is not kept: the next request may get
        # the model's. Teasers are kept: the page will say no more next time either.
        if summary.fallback_reason is None:
            cache_lang = lang or ""
            await self.cache.put(key, cache_lang, article, summary)
            final_key = canonical_url(article.final_url)
            if final_key != key:
                await self.cache.put(final_key, cache_lang, article, summary)
        else:  # not cached, but a question about this summary needs the article's text
            await self.cache.put_article(key, article)
        return LinkResult(article, summary, key, cached=False)

    async def summarize_article(self, article: Article, *, lang: str | None = None) -> Summary:
        summary = await self.summarizer.summarize(article, lang=lang)
        if article.is_teaser and not summary.partial:
            summary = dataclasses.replace(summary, partial=True)
        return summary

    async def aclose(self) -> None:
        await self.fetcher.aclose()
        close = getattr(self.summarizer, "aclose", None)
        if close is not None:
            await close()
