"""Find the links in a Telegram message: text, caption, `url` and `text_link` entities."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, MessageEntity

from bot.errors import InvalidURL
from bot.urls import canonical_url

_LINK_TYPES: list[str | None] = [MessageEntity.URL, MessageEntity.TEXT_LINK]


@dataclass(frozen=True, slots=True)
class Links:
    urls: list[str]  # in message order, deduplicated, at most `limit`
    skipped: int  # further distinct links beyond the limit


def extract_links(message: Message, *, limit: int) -> Links:
    """Return the http(s) links of `message` in the order they appear.

    Entities are the source of truth: Telegram already found the URLs, and its offsets are
    UTF-16 code units, which PTB's `parse_entities` slices correctly (emoji count twice).
    Media messages carry their text and entities in the caption instead.
    """
    found: list[tuple[int, str]] = []
    for entities, parse in ((message.entities, message.parse_entity),
                            (message.caption_entities, message.parse_caption_entity)):
        for entity in entities:
            if entity.type not in _LINK_TYPES:
                continue
            if entity.type == MessageEntity.TEXT_LINK:
                raw = entity.url
            else:
                try:
                    raw = parse(entity)
                except (UnicodeDecodeError, RuntimeError):
                    # An offset inside a surrogate pair can't be sliced: that one entity
                    # is unreadable, the rest of the message is still answered.
                    continue
            url = _with_scheme(raw or "")
            if url is not None:
                found.append((entity.offset, url))
    found.sort(key=lambda item: item[0])
    urls: list[str] = []
    seen: set[str] = set()
    for _, url in found:
        key = _dedupe_key(url)
        if key in seen:
            continue
        seen.add(key)
        urls.append(url)
    return Links(urls[:limit], max(0, len(urls) - limit))


def _with_scheme(raw: str) -> str | None:
    """`www.example.com` → `http://www.example.com` (as Telegram opens it); None if not web."""
    raw = raw.strip()
    if not raw:
        return None
    scheme, sep, _ = raw.partition("://")
    if not sep:
        # "mailto:x@y" or "tg:resolve" are links, but not to pages.
        head = raw.split("/", 1)[0]
        if ":" in head and not head.rsplit(":", 1)[1].isdigit():
            return None
        return f"http://{raw}"
    return raw if scheme.lower() in ("http", "https") else None


def _dedupe_key(url: str) -> str:
    try:
        return canonical_url(url)
    except InvalidURL:
        return url
