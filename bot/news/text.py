"""Plain-text cleanup shared by the feed parsers and the story clustering."""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

_WS = re.compile(r"\s+")
# GDELT tokenises punctuation ("Modi ; talks", "4 , 500", "Up 0 . 5 %"); glue it back.
_SPACED_NUMBER = re.compile(r"(\d) ([.,]) (\d)")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,;:.?!%)])")
_SPACED_HYPHEN = re.compile(r"(\w) - (\w)")
_CONTINUE_READING = re.compile(r"\s*(continue reading|read more)\s*(\.\.\.|…)?\s*$", re.I)
_SKIP_TAGS = frozenset({"script", "style", "noscript"})
# Tags that separate words when rendered (Google's `<a>…</a><font>Outlet</font>` included).
_BLOCK_TAGS = frozenset(
    {"p", "br", "li", "div", "ol", "ul", "h1", "h2", "h3", "h4", "tr", "td", "font"}
)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def squash(text: str) -> str:
    """Collapse runs of whitespace (including NBSP and re-wrapped feed text) to one space."""
    return _WS.sub(" ", text.replace("\xa0", " ")).strip()


def html_to_text(markup: str) -> str:
    """Return the visible text of an HTML fragment, entities decoded, whitespace squashed."""
    if "<" not in markup:
        return squash(html.unescape(markup))
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return squash("".join(collector.parts))


def clean_lead(markup: str) -> str:
    """Feed description → plain lead, without the "Continue reading..." tail."""
    return _CONTINUE_READING.sub("", html_to_text(markup)).strip()


def untokenise(title: str) -> str:
    """Undo GDELT's spaced punctuation: `4 , 500` → `4,500`, `game - changer` → `game-changer`.

    GDELT also drops apostrophes ("world biggest"); those can't be put back.
    """
    text = squash(title)
    text = _SPACED_NUMBER.sub(r"\1\2\3", text)
    text = _SPACED_HYPHEN.sub(r"\1-\2", text)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def strip_outlet_suffix(title: str, outlet: str | None) -> str:
    """Google News titles end in " - Outlet"; the headline is what comes before it."""
    title = squash(title)
    if outlet:
        for dash in (" - ", " – ", " — ", " | "):
            suffix = f"{dash}{squash(outlet)}"
            if title.lower().endswith(suffix.lower()) and len(title) > len(suffix):
                return title[: -len(suffix)].rstrip()
    return title


def fold(text: str) -> str:
    """Lowercase, drop accents and invisible joiners: the form titles are compared in."""
    text = text.replace("\u200c", "").replace("\u200d", "")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
