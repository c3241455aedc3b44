"""`GdeltSource`: the GDELT DOC 2.0 API's article list (real publisher URLs, no leads).

GDELT asks for at most one request every 5 seconds; over that it answers with a plain-text
plea instead of JSON. Its titles come tokenised (`4 , 500`, `Modi ; …`), with zero-width
joiners, duplicate titles, `:443` in URLs and `seendate` like `20260121T083000Z`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiolimiter import AsyncLimiter

from bot.errors import InvalidURL
from bot.news.feed import canonical_key
from bot.news.item import NewsItem, domain_of
from bot.news.source import FEED_TYPES, FeedError, FeedFetcher
from bot.news.text import squash, untokenise
from bot.urls import parse_http_url

log = logging.getLogger(__name__)

GDELT_DOC_API = "https://api.gdeltproject.org/api/v2/doc/doc"
GDELT_INTERVAL = 5.0  # seconds between requests, GDELT's published limit
MAX_RECORDS = 75
# GDELT's `sourcelang:` filter takes English names of languages.
_LANGUAGE_NAMES = {
    "en": "english", "de": "german", "fr": "french", "es": "spanish", "it": "italian",
    "pt": "portuguese", "ru": "russian", "uk": "ukrainian", "pl": "polish", "nl": "dutch",
    "tr": "turkish", "ar": "arabic", "zh": "chinese", "ja": "japanese", "ko": "korean",
    "hi": "hindi", "he": "hebrew", "fa": "persian",
}
_LANGUAGE_CODES = {name: code for code, name in _LANGUAGE_NAMES.items()}


def gdelt_url(topic: str, *, lang: str, since: datetime, endpoint: str = GDELT_DOC_API) -> str:
    query = topic.strip()
    language = _LANGUAGE_NAMES.get(lang.split("-")[0].lower())
    if language:
        query += f" sourcelang:{language}"
    params = {
        "query": query,
        "mode": "artlist",
        "format": "json",
        "maxrecords": str(MAX_RECORDS),
        "sort": "datedesc",
        "startdatetime": since.astimezone(UTC).strftime("%Y%m%d%H%M%S"),
    }
    return f"{endpoint}?{urlencode(params)}"


def parse_artlist(text: str) -> list[NewsItem]:
    """GDELT artlist JSON → items; raises ValueError when the answer isn't that JSON."""
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        # Rate-limit and query-syntax complaints come back as plain text.
        raise ValueError(f"GDELT answered with text, not JSON: {squash(text)[:120]!r}") from exc
    if not isinstance(data, Mapping):
        raise ValueError("GDELT answer is not a JSON object")
    items = []
    for article in data.get("articles") or []:  # no matches: `{}`
        item = _item(article) if isinstance(article, Mapping) else None
        if item is not None:
            items.append(item)
    return items


def _item(article: Mapping[str, Any]) -> NewsItem | None:
    try:
        url = parse_http_url(str(article.get("url") or ""))  # also drops the stray `:443`
        canonical = canonical_key(url)
        published = datetime.strptime(str(article.get("seendate")), "%Y%m%dT%H%M%SZ")
    except (InvalidURL, ValueError):
        return None
    domain = domain_of(url) or str(article.get("domain") or "")
    title = untokenise(str(article.get("title") or "")).replace("\u200c", "")
    if not title:
        return None
    return NewsItem(
        title=title,
        url=url,
        canonical=canonical,
        outlet=str(article.get("domain") or domain),
        outlet_domain=domain.removeprefix("www."),
        published=published.replace(tzinfo=UTC),
        source_kind="gdelt",
        # GDELT names languages in English ("Malayalam"); keep the ISO code when we know it.
        language=_LANGUAGE_CODES.get(str(article.get("language") or "").lower()),
    )


class GdeltSource:
    """GDELT DOC 2.0 artlist search, paced by a limiter shared by every GDELT caller."""

    name = "gdelt"

    def __init__(
        self,
        fetcher: FeedFetcher,
        *,
        limiter: AsyncLimiter | None = None,
        endpoint: str = GDELT_DOC_API,
    ) -> None:
        self._fetcher = fetcher
        self._limiter = limiter or AsyncLimiter(1, GDELT_INTERVAL)
        self.endpoint = endpoint

    async def items(self, topic: str, *, lang: str, since: datetime) -> list[NewsItem]:
        url = gdelt_url(topic, lang=lang, since=since, endpoint=self.endpoint)
        await self._limiter.acquire()  # one request per interval, callers in order
        page = await self._fetcher.fetch(url, accept=FEED_TYPES)
        try:
            items = parse_artlist(page.text)
        except ValueError as exc:
            raise FeedError(str(exc)) from exc
        return [item for item in items if item.published > since]
