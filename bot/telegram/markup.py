"""Telegram HTML as a type: `Markup` is text that is already safe to send with parse_mode=HTML.

Only templates written in code (`bot.telegram.messages`, the tags below) are Markup; every
value put into one goes through `Markup.format`, `+` or `Markup.join`, which escape plain
`str`. So a topic name, a headline or an error text can't become markup by being forgotten:
the unsafe thing would have to be written on purpose (`Markup(value)`), and the only place
that does it is `stored()`, for our own rendering read back from the database.

Pure functions over strings: no I/O, no python-telegram-bot objects.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from markupsafe import Markup

__all__ = ["Markup", "bold", "italic", "link", "pack", "split_words", "stored", "text_len",
           "to_plain"]

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units of visible text
NEWLINE = Markup("\n")
# The longest a character gets once escaped (`&amp;`, `&#34;`, `&#39;`): how much room a
# piece of plain text may need as markup.
MAX_ESCAPE = 6

_BOLD = Markup("<b>{}</b>")
_ITALIC = Markup("<i>{}</i>")
_LINK = Markup('<a href="{}">{}</a>')
_TAG = re.compile(r"<[^>]*>")


def bold(text: str) -> Markup:
    return _BOLD.format(text)


def italic(text: str) -> Markup:
    return _ITALIC.format(text)


def link(url: str, text: str) -> Markup:
    # The URL is escaped like any value (quotes included), so it can't leave the attribute.
    return _LINK.format(url, text)


def stored(text: str) -> Markup:
    """Markup this bot rendered and saved (a digest's parts, kept as JSON to resume sending).

    The one place a `str` is trusted as markup: it was a Markup when it was saved.
    """
    return Markup(text)  # noqa: S704 - our own rendering, read back


def text_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def to_plain(message: Markup) -> str:
    """The visible text of one of our messages: for places without markup (a callback
    answer) and the fallback when Telegram refuses the HTML."""
    return html.unescape(_TAG.sub("", message))


def pack(blocks: Iterable[Markup], limit: int = MAX_MESSAGE) -> list[Markup]:
    """Join `blocks` with newlines into as few messages as fit in `limit`, never inside one.

    Lengths are measured on the markup itself (tags and entities counted), which is at least
    the visible length Telegram counts: every part fits however the markup is counted. A
    block is whole markup, so a part never ends inside a tag or an entity.
    """
    parts: list[Markup] = []
    current = Markup()
    for block in blocks:
        candidate = current + NEWLINE + block if current else block
        if current and text_len(candidate) > limit:
            parts.append(current)
            current = block.lstrip("\n")
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [p.strip("\n") for p in parts if p.strip()]


def split_words(prefix: Markup, text: str, limit: int) -> list[Markup]:
    """`prefix` + `text` as markup pieces of at most `limit`, cut between words.

    Each word is escaped on its own, so no `&amp;` is ever cut in half; a word longer than a
    piece (a pasted URL…) is cut into pieces that fit even if every character is escaped.
    """
    step = max(1, (limit - 2) // MAX_ESCAPE)
    words = [word[i: i + step] for word in text.split(" ") for i in range(0, len(word), step)]
    pieces: list[Markup] = []
    current = prefix.rstrip()
    for word in words:
        escaped = Markup.escape(word)
        candidate = current + Markup(" ") + escaped if current else escaped
        if text_len(candidate) > limit:
            pieces.append(current)
            current = escaped
        else:
            current = candidate
    pieces.append(current)
    return pieces
