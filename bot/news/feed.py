"""RSS/Atom bytes → `NewsItem`s, with the quirks of Google News, Bing News and publishers."""

from __future__ import annotations

import calendar
import io
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import feedparser
from lxml import etree

from bot.errors import InvalidURL
from bot.fetch import decode_html
from bot.news.item import GOOGLE_TOKEN_HOSTS, NewsItem, domain_of
from bot.news.text import clean_lead, fold, squash, strip_outlet_suffix
from bot.urls import canonical_url

log = logging.getLogger(__name__)

BING_CLICK_HOSTS = frozenset({"www.bing.com", "bing.com"})
_WORD = re.compile(r"\w+")


def parse_feed(
    data: bytes | str,
    *,
    feed_url: str,
    source_kind: str = "feed",
    max_items: int | None = None,
) -> list[NewsItem]:
    """Parse one feed document; entries without a usable link or date are skipped.

    With `max_items`, only the newest that many entries are parsed (see `newest_entries`).
    CPU-bound (feedparser is pure Python, ~1 ms an entry): async callers run it in a
    thread (`Fetcher.read`). Raises ValueError when `data` is not a feed at all.
    """
    return parse_feed_titled(
        data, feed_url=feed_url, source_kind=source_kind, max_items=max_items
    )[1]


def parse_feed_titled(
    data: bytes | str,
    *,
    feed_url: str,
    source_kind: str = "feed",
    max_items: int | None = None,
) -> tuple[str, list[NewsItem]]:
    """The feed's own title (its channel's, "" when it has none) and its items."""
    text = data if isinstance(data, str) else decode_html(data)
    # An entry with a character reference no text can hold (a surrogate, past U+10FFFF)
    # is marked here and skipped below; left in, it fails the whole feed in feedparser.
    text = _CHARREF.sub(_mark_bad_charref, text)
    body = text.encode("utf-8", errors="replace")
    if max_items is not None:
        body = newest_entries(body, max_items)
    # Bytes in a stream, never a str: feedparser treats a str that looks like a URL or a
    # path as one and opens it itself, past the SSRF guard. The text is already decoded
    # (WHATWG labels only), so the header says UTF-8: feedparser then never tries the
    # document's own `<?xml encoding?>`, where `punycode` would stall it.
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={
            "content-location": feed_url, "content-type": "application/xml; charset=utf-8",
        },
    )
    if not parsed.version and not parsed.entries:
        raise ValueError(f"not a readable feed: {parsed.get('bozo_exception')!r}")
    channel_lang = (parsed.feed.get("language") or "").split("-")[0] or None
    channel_title = _clip(squash(parsed.feed.get("title") or "").replace(_BAD, ""))
    items: list[NewsItem] = []
    skipped = 0
    for entry in parsed.entries:
        try:
            item = _item(entry, source_kind, channel_lang, channel_title)
        except (ValueError, TypeError, OverflowError) as exc:
            # One hostile entry costs itself, never the feed.
            log.debug("feed %s: unusable entry: %s", feed_url, exc)
            item = None
        if item is None:
            skipped += 1
        else:
            items.append(item)
    if skipped:
        log.debug("feed %s: skipped %d unusable entries", feed_url, skipped)
    return channel_title, items


# A noncharacter: never in real text, so an entry that holds it had a bad reference.
_BAD = "\ufdd0"
_CHARREF = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?")
_MAX_FIELD = 500  # a headline: longer is not news text (and breaks Telegram's limits)
_MAX_OUTLET = 100


def _mark_bad_charref(m: re.Match[str]) -> str:
    digits = m.group(1) or m.group(2)
    if len(digits) > 8:
        return _BAD
    code = int(digits, 16 if m.group(1) else 10)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return _BAD
    return m.group(0)


def _clip(text: str, limit: int = _MAX_FIELD) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_DATE_TAGS = frozenset({"pubDate", "published", "updated", "date", "issued", "modified", "created"})


def newest_entries(body: bytes, limit: int) -> bytes:
    """`body` with only its `limit` newest items/entries (by their date), the rest removed.

    feedparser costs about a millisecond an entry; a 5 MB feed holds ~30,000. lxml (C,
    no entities resolved, no network) reads the whole document in a fraction of that, so
    the entries not wanted are dropped before feedparser sees them. Undated entries go
    first (they are skipped anyway); a document lxml cannot read is left to feedparser.
    """
    # A cheap upper bound first (memchr-fast, holds the GIL only briefly): most feeds are
    # small and never reach lxml.
    if sum(body.count(tag) for tag in (b"<item", b"<entry", b":item", b":entry")) <= limit:
        return body
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, huge_tree=False,
        remove_blank_text=False,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return body
    if root is None:
        return body
    entries = list(root.iter("{*}item", "{*}entry"))
    if len(entries) <= limit:
        return body
    newest_first = sorted(entries, key=_entry_timestamp, reverse=True)
    for element in newest_first[limit:]:
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))


def _entry_timestamp(element: etree._Element) -> float:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # a comment or processing instruction
        if tag.rpartition("}")[2] in _DATE_TAGS and child.text:
            when = _loose_date(child.text.strip())
            if when is not None:
                return when
    return float("-inf")


def _loose_date(text: str) -> float | None:
    """Seconds since the epoch for an RFC 822 or ISO 8601 date, else None."""
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.timestamp()
    except (OverflowError, ValueError):
        return None


def _item(
    entry: Mapping[str, Any],
    source_kind: str,
    channel_lang: str | None,
    channel_title: str,
) -> NewsItem | None:
    link = squash(entry.get("link") or "")
    published = _entry_time(entry)
    if not link or published is None or _has_bad_charref(entry):
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
    outlet = _clip(outlet, _MAX_OUTLET)
    title = _clip(strip_outlet_suffix(entry.get("title") or "", outlet))
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


def _has_bad_charref(entry: Mapping[str, Any]) -> bool:
    fields = (entry.get(key) for key in ("title", "link", "summary", "news_source"))
    return any(isinstance(value, str) and _BAD in value for value in fields)


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
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (ValueError, OverflowError, OSError, TypeError):
                # 9999-12-31T23:59:59-14:00 is year 10000 in UTC: no such datetime.
                return None
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

