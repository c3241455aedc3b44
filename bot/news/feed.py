"""RSS/Atom bytes → `NewsItem`s, with the quirks of Google News, Bing News and publishers."""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import feedparser

from bot.errors import InvalidURL
from bot.news.item import GOOGLE_TOKEN_HOSTS, NewsItem, domain_of
from bot.news.text import clean_lead, fold, squash, strip_outlet_suffix
from bot.urls import canonical_url

log = logging.getLogger(__name__)

BING_CLICK_HOSTS = frozenset({"www.bing.com", "bing.com"})
_WORD = re.compile(r"\w+")


def parse_feed(
    data: bytes | str, *, feed_url: str, source_kind: str = "feed"
) -> list[NewsItem]:
    """Parse one feed document; entries without a usable link or a date are skipped.

    Raises ValueError when `data` is not a feed at all.
    """
    return parse_feed_titled(data, feed_url=feed_url, source_kind=source_kind)[1]


def parse_feed_titled(
    data: bytes | str, *, feed_url: str, source_kind: str = "feed"
) -> tuple[str, list[NewsItem]]:
    """The feed's own title (its channel's, "" when it has none) and its items."""
    parsed = feedparser.parse(data, response_headers={"content-location": feed_url})
    if not parsed.version and not parsed.entries:
        raise ValueError(f"not a readable feed: {parsed.get('bozo_exception')!r}")
    channel_lang = (parsed.feed.get("language") or "").split("-")[0] or None
    channel_title = squash(parsed.feed.get("title") or "")
    items: list[NewsItem] = []
    skipped = 0
    for entry in parsed.entries:
        item = _item(entry, source_kind, channel_lang, channel_title)
        if item is None:
            skipped += 1
        else:
            items.append(item)
    if skipped:
        log.debug("feed %s: skipped %d entries without link or date", feed_url, skipped)
    return channel_title, items


def _item(
    entry: Mapping[str, Any],
    source_kind: str,
    channel_lang: str | None,
    channel_title: str,
) -> NewsItem | None:
    link = squash(entry.get("link") or "")
    published = _entry_time(entry)
    if not link or published is None:
        return None
    try:
        url = real_article_url(link)
        canonical = canonical_key(url)
    except InvalidURL:
        return None
    source = entry.get("source") or {}
    outlet_domain = domain_of(source.get("href") or "") if isinstance(source, Mapping) else ""
    outlet = squash(
        (source.get("title") if isinstance(source, Mapping) else None)
        or entry.get("news_source")  # Bing's <News:Source>, whatever its namespace URI
        or ""
    )
    if not outlet_domain and not _is_token(url):
        outlet_domain = domain_of(url)
    if not outlet:
        outlet = outlet_from_channel(channel_title) or outlet_domain
    title = strip_outlet_suffix(entry.get("title") or "", outlet)
    kind = _kind(link, source_kind)
    # Google's description is never a lead: the headline and outlet again, a list of related
    # coverage, or "View full coverage on Google News" in the feed's language.
    lead = "" if kind == "google-news" else _lead(entry, title, outlet)
    return NewsItem(
        title=title,
        url=url,
        canonical=canonical,
        outlet=outlet,
        outlet_domain=outlet_domain,
        published=published,
        lead=lead,
        source_kind=kind,
        language=channel_lang,
        text="" if kind == "google-news" else _content_text(entry, lead),
    )


def _content_text(entry: Mapping[str, Any], lead: str) -> str:
    """The article text a feed carries in full (`content:encoded`, Atom `<content>`), if any.

    Clustering reads its names and numbers; a content that only repeats the lead adds none.
    """
    texts = [
        clean_lead(str(part.get("value") or ""))
        for part in entry.get("content") or ()
        if isinstance(part, Mapping)
    ]
    text = max(texts, key=len, default="")
    return text if len(text) > len(lead) + 40 else ""


_CHANNEL_PARTS = re.compile(r"\s+[-|:–—]\s+")
_GENERIC_WORDS = frozenset({
    "news", "home", "front", "page", "top", "stories", "latest", "world", "us", "uk",
    "headlines", "rss", "feed", "all", "the",
})


def outlet_from_channel(channel_title: str) -> str:
    """The outlet a publisher's feed names in its title.

    "BBC News - News front page" → "BBC News", "News : NPR" → "NPR", "US news | The
    Guardian" → "The Guardian": the first part that isn't only generic words.
    """
    for part in _CHANNEL_PARTS.split(channel_title):
        words = set(_WORD.findall(part.casefold()))
        if words and not words <= _GENERIC_WORDS:
            return part.strip()
    return ""


def real_article_url(link: str) -> str:
    """Bing's `apiclick.aspx?…&url=<publisher URL>&…` → the publisher URL; else `link`."""
    parts = urlsplit(link)
    if (parts.hostname or "").lower() in BING_CLICK_HOSTS:
        target = parse_qs(parts.query).get("url")
        if target and target[0].startswith(("http://", "https://")):
            return target[0]
    return link


def _is_token(url: str) -> bool:
    return (urlsplit(url).hostname or "").lower() in GOOGLE_TOKEN_HOSTS


def canonical_key(url: str) -> str:
    """The dedupe key of an article URL; raises InvalidURL for anything but http(s)."""
    if _is_token(url):
        # `?oc=5` and friends vary per feed; the article token in the path is the identity.
        parts = urlsplit(url)
        return urlunsplit(("https", "news.google.com", parts.path, "", ""))
    return canonical_url(url)


def _kind(link: str, default: str) -> str:
    host = (urlsplit(link).hostname or "").lower()
    if host in GOOGLE_TOKEN_HOSTS:
        return "google-news"
    if host in BING_CLICK_HOSTS:
        return "bing-news"
    return default


def _entry_time(entry: Mapping[str, Any]) -> datetime | None:
    # feedparser normalises every date format it knows to a UTC struct_time.
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _lead(entry: Mapping[str, Any], title: str, outlet: str) -> str:
    raw = entry.get("summary") or ""
    if "<ol" in raw.lower():
        return ""  # Google's related-coverage list: headlines of other items, not a lead
    lead = clean_lead(raw)
    # Google's description is just `<a>headline</a>&nbsp;&nbsp;<font>Outlet</font>`.
    rest = set(_WORD.findall(fold(lead))) - set(_WORD.findall(fold(f"{title} {outlet}")))
    if not rest:
        return ""
    return lead

