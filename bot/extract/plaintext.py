"""An `Article` from plain text (a .txt file or stdin): first line title, the rest body."""

from __future__ import annotations

from bot.article import Article
from bot.extract.language import detect_language
from bot.extract.text import join_paragraphs, normalize_space

# A first line longer than this, or one that ends like a sentence, is the article's first
# paragraph rather than its headline.
_MAX_TITLE_WORDS = 20


def article_from_text(text: str, *, url: str = "") -> Article:
    """Split plain text into title and body; the title is "" when there is none."""
    blocks = _blocks(text)
    title = ""
    if len(blocks) > 1 and _looks_like_title(blocks[0], blocks[1]):
        title, blocks = blocks[0], blocks[1:]
    body = join_paragraphs(blocks)
    return Article(
        url=url,
        final_url=url,
        title=title,
        text=body,
        language=detect_language(body),
    )


def _blocks(text: str) -> list[str]:
    """Paragraphs: blank-line separated when the text uses blank lines, else one per line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first, _, rest = text.strip().partition("\n")
    # The title line is its own block even when the body follows without a blank line.
    chunks = [first, *(rest.split("\n\n") if "\n\n" in rest else rest.split("\n"))]
    return [p for p in (normalize_space(c) for c in chunks) if p]


def _looks_like_title(line: str, following: str) -> bool:
    words = line.split()
    if len(words) > _MAX_TITLE_WORDS:
        return False
    # A hard-wrapped paragraph: its second line carries on mid-sentence.
    if following[:1].islower() and not line.endswith((".", "!", "?", ":")):
        return False
    # "He said so." is a sentence; "What happened?" or "Budget: a guide" can be headlines.
    return not (line.endswith(".") and len(words) > 3 and not line.endswith("..."))
