"""Summary → Telegram HTML messages (Markup), split so each part fits in one message.

Pure functions over plain data: no I/O, no python-telegram-bot objects.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from bot.article import Article, Note, Summary
from bot.errors import InvalidURL
from bot.i18n import ENGLISH, Translator
from bot.telegram import messages
from bot.telegram.markup import (
    MAX_MESSAGE,
    NEWLINE,
    Markup,
    bold,
    italic,
    link,
    pack,
    split_words,
    text_len,
)
from bot.urls import canonical_url

MAX_TITLE = 300
MAX_LINK = 2048  # characters; what browsers and most sites handle, and fits any footer
BULLET = Markup("• ")


def render_summary(article: Article, summary: Summary, *, url: str | None = None,
                   limit: int = MAX_MESSAGE, tr: Translator = ENGLISH) -> list[Markup]:
    """Return the HTML messages for one summary, each at most `limit` long even as source.

    The bot's own words (notes, "Read the original") are in `tr`'s language.

    Measuring the HTML source (not just the visible text) keeps every part under Telegram's
    limit however the markup is counted. Parts break between bullets, never inside a tag.
    """
    title = " ".join((article.title or "").split()) or tr(messages.UNTITLED)
    if len(title) > MAX_TITLE:
        title = title[: MAX_TITLE - 1].rstrip() + "…"
    header = [bold(title)]
    # The summarizer's own notes ("long article: these points cover the first N words",
    # a language it fell back to) say why a summary is partial better than the teaser line.
    long_article = any(note.kind == "long_article" for note in summary.notes)
    if summary.partial and not long_article:
        header.append(italic(tr(messages.TEASER_NOTE)))
    header.extend(italic(_note(note, tr)) for note in summary.notes)
    blocks: list[Markup] = [NEWLINE.join(header) + NEWLINE]
    for point in summary.points:
        blocks.extend(_bullet(point, limit))
    footer: list[str | Markup] = [""]  # plain text is escaped by the join
    meta = " · ".join(x for x in (article.site or _host(article), _date(article)) if x)
    if meta:
        footer.append(meta)
    original = _linkable(url or article.final_url or article.url)
    if original:
        footer.append(link(original, tr(messages.READ_ORIGINAL)))
    if summary.fallback_reason:
        footer.append(italic(tr(messages.FALLBACK_NOTE)))
    blocks.append(NEWLINE.join(footer))
    return pack(blocks, limit)


def _note(note: Note, tr: Translator) -> str:
    """A summarizer's note in the reader's language."""
    if note.kind == "long_article":
        words = note.covered_words
        return tr(messages.LONG_ARTICLE_NOTE, words).format(count=words)
    return tr(messages.LANGUAGE_FALLBACK_NOTE).format(
        written=tr.language_name(note.written_in), asked=tr.language_name(note.asked))


def _linkable(url: str | None) -> str | None:
    """The link to show, or None when even its canonical form can't fit a message.

    Pages are fetched from URLs of up to 8192 characters, but a footer holding one that
    long would not fit Telegram's limit (measured on the source); such a link is shown in
    its canonical form (tracking parameters gone) or, failing that, not at all.
    """
    if not url or len(url) <= MAX_LINK:
        return url
    try:
        shorter = canonical_url(url)
    except InvalidURL:
        return None
    return shorter if len(shorter) <= MAX_LINK else None


def _bullet(point: str, limit: int) -> list[Markup]:
    point = " ".join(point.split())
    whole = BULLET + point
    if text_len(whole) <= limit:
        return [whole]
    # A single point longer than a message: cut between words.
    return split_words(BULLET, point, limit)


def _host(article: Article) -> str | None:
    host = urlsplit(article.final_url or article.url).hostname
    return host.removeprefix("www.") if host else None


def _date(article: Article) -> str | None:
    if article.published is None:
        return None
    d = article.published
    return f"{d.day} {d:%b %Y}"
