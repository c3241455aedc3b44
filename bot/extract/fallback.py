"""A last-resort text extractor for pages lxml cannot hold (absurd nesting).

It uses the standard library's tokenizing HTML parser, which keeps no tree and so has no
depth limit, and keeps only paragraph-like blocks: without the structure trafilatura
reads, short lines are more likely menus than article text.
"""

from __future__ import annotations

from html.parser import HTMLParser

from bot.extract.text import normalize_space

_SKIP = frozenset({
    "script", "style", "noscript", "template", "svg", "math", "head", "title", "nav",
    "aside", "footer", "header", "form", "button", "select", "textarea", "iframe", "object",
})
_BLOCK = frozenset({
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section",
    "article", "main", "blockquote", "pre", "table", "tr", "td", "th", "dd", "dt", "hr",
    "figure", "figcaption", "body", "html",
})
MIN_WORDS = 8  # shorter blocks are dropped: menus, buttons, bylines


class _BlockCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._current: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
        elif tag in _BLOCK:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self._current.append(data)

    def _flush(self) -> None:
        if self._current:
            text = normalize_space("".join(self._current))
            if text:
                self.blocks.append(text)
            self._current = []

    def close(self) -> None:
        super().close()
        self._flush()


def plain_paragraphs(html: str) -> list[str]:
    """Paragraph-like blocks of visible text, in document order."""
    collector = _BlockCollector()
    collector.feed(html)
    collector.close()
    return [b for b in collector.blocks if len(b.split()) >= MIN_WORDS]
