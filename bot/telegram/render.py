"""Summary → Telegram HTML messages: escaped, and split so each part fits in one message.

Pure functions over plain data: no I/O, no python-telegram-bot objects.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from bot.article import Article, Summary
from bot.errors import InvalidURL
from bot.telegram import messages
from bot.urls import canonical_url

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units of visible text
MAX_TITLE = 300
MAX_LINK = 2048  # characters; what browsers and most sites handle, and fits any footer
BULLET = "• "

_TAG = re.compile(r"<[^>]*>")


def escape(text: str) -> str:
    """Escape text for Telegram HTML: `&`, `<`, `>` (quotes only matter inside attributes)."""
    return html.escape(text, quote=False)


def text_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def render_summary(article: Article, summary: Summary, *, url: str | None = None,
                   limit: int = MAX_MESSAGE) -> list[str]:
    """Return the HTML messages for one summary, each at most `limit` long even as source.

    Measuring the HTML source (not just the visible text) keeps every part under Telegram's
    limit however the markup is counted. Parts break between bullets, never inside a tag.
    """
    title = " ".join((article.title or "").split()) or messages.UNTITLED
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1].rstrip() + "…"
    header = [f"<b>{escape(title)}</b>"]
    # The summarizer's own notes ("long article: these points cover the first N words",
    # a language it fell back to) say why a summary is partial better than the teaser line.
    long_article = any(note.startswith("long article") for note in summary.notes)
    if summary.partial and not long_article:
        header.append(f"<i>{escape(messages.TEASER_NOTE)}</i>")
    header.extend(f"<i>ℹ️ {escape(note[:1].upper() + note[1:])}</i>" for note in summary.notes)
    blocks: list[str] = ["\n".join(header) + "\n"]
    for point in summary.points:
        blocks.extend(_bullet(point, limit))
    footer: list[str] = [""]
    meta = " · ".join(x for x in (article.site or _host(article), _date(article)) if x)
    if meta:
        footer.append(escape(meta))
    link = _linkable(url or article.final_url or article.url)
    if link:
        footer.append(f'<a href="{html.escape(link)}">{escape(messages.READ_ORIGINAL)}</a>')
    if summary.fallback_reason:
        footer.append(f"<i>{escape(messages.FALLBACK_NOTE)}</i>")
    blocks.append("\n".join(footer))
    return pack_blocks(blocks, limit)


def _linkable(link: str | None) -> str | None:
    """The link to show, or None when even its canonical form can't fit a message.

    Pages are fetched from URLs of up to 8192 characters, but a footer holding one that
    long would not fit Telegram's limit (measured on the source); such a link is shown in
    its canonical form (tracking parameters gone) or, failing that, not at all.
    """
    if not link or len(link) <= MAX_LINK:
        return link
    try:
        shorter = canonical_url(link)
    except InvalidURL:
        return None
    return shorter if len(shorter) <= MAX_LINK else None


def to_plain(message: str) -> str:
    """The visible text of one of our HTML messages (the fallback when markup is refused)."""
    return html.unescape(_TAG.sub("", message))


def _bullet(point: str, limit: int) -> list[str]:
    point = " ".join(point.split())
    whole = BULLET + escape(point)
    if text_len(whole) <= limit:
        return [whole]
    # A single point longer than a message: cut between words, escaping each piece on its own
    # so no `&amp;` is ever cut in half.
    pieces: list[str] = []
    current = BULLET.rstrip()
    for word in _words(point, limit):
        escaped = escape(word)
        candidate = f"{current} {escaped}" if current else escaped
        if text_len(candidate) > limit:
            pieces.append(current)
            current = escaped
        else:
            current = candidate
    pieces.append(current)
    return pieces


def _words(text: str, limit: int) -> list[str]:
    """Words of `text`; a word longer than a part (a pasted URL…) is cut into pieces that fit
    even if every character becomes an entity such as `&amp;`."""
    step = max(1, (limit - 2) // 6)
    return [word[i : i + step] for word in text.split(" ") for i in range(0, len(word), step)]


def pack_blocks(blocks: list[str], limit: int = MAX_MESSAGE) -> list[str]:
    """Join `blocks` with newlines into as few messages as fit in `limit`, never inside one."""
    parts: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n{block}" if current else block
        if current and text_len(candidate) > limit:
            parts.append(current)
            current = block.lstrip("\n")
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [p.strip("\n") for p in parts if p.strip()]


def _host(article: Article) -> str | None:
    host = urlsplit(article.final_url or article.url).hostname
    return host.removeprefix("www.") if host else None


def _date(article: Article) -> str | None:
    if article.published is None:
        return None
    d = article.published
    return f"{d.day} {d:%b %Y}"
