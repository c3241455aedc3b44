"""HTML page → `Article`: title, clean body text, site, publication date and language.

    extract_article(html, url=…)      parse once, read metadata, extract the body
      ├── tree.parse_html            lxml; libxml2's silent depth cut becomes an error
      ├── metadata.read_metadata     JSON-LD, Open Graph, meta tags, <html lang>
      ├── paywall                    evidence the page shows part of its article only
      ├── body.body_lines            trafilatura on the pre-cleaned tree
      ├── boilerplate.clean_lines    the furniture trafilatura leaves inside articles
      └── fallback.plain_paragraphs  for pages lxml cannot hold
    article_from_text(text)          plain text: first line title, rest body

Synchronous and CPU-bound: async callers run it in a thread.
"""

from __future__ import annotations

from dataclasses import replace

from bot.article import Article
from bot.errors import ExtractionError
from bot.extract.body import body_lines
from bot.extract.boilerplate import clean_lines
from bot.extract.fallback import plain_paragraphs
from bot.extract.language import detect_language
from bot.extract.metadata import Metadata, fallback_date, read_metadata, site_from_url
from bot.extract.plaintext import article_from_text
from bot.extract.text import join_paragraphs
from bot.extract.tree import DepthExceeded, parse_html, strip_noise, visible_text
from bot.paywall import closed_article, truncation_mark, wall_notice

__all__ = ["article_from_text", "extract_article"]


def extract_article(html: str, *, url: str, final_url: str | None = None) -> Article:
    """Extract the article a page holds; raise ExtractionError when it holds no text."""
    final_url = final_url or url
    try:
        tree = parse_html(html)
    except DepthExceeded:
        # lxml kept only the part above its depth limit: read the page flat instead.
        meta = Metadata(site=site_from_url(final_url))
        lines = plain_paragraphs(html)
        page_text = " ".join(lines)
    else:
        if tree is None:
            raise ExtractionError("the page is empty: no article text to extract") from None
        meta = read_metadata(tree, url=final_url)
        if meta.published is None:
            meta = replace(meta, published=fallback_date(tree, url=final_url))
        # The paywall box is often an <aside> or a <dialog>: read the page before those go.
        page_text = visible_text(tree)
        strip_noise(tree)
        lines = body_lines(tree)
    cut = truncation_mark(lines)
    lines = clean_lines(lines, preamble=meta.preamble)
    if not lines:
        raise ExtractionError("no article text found in the page")
    text = join_paragraphs(lines)
    words = len(text.split())
    partial = (
        closed_article(meta.not_free, meta.declared_words, words) or wall_notice(page_text) or cut
    )
    return Article(
        url=url,
        final_url=final_url,
        title=meta.title,
        text=text,
        site=meta.site,
        published=meta.published,
        language=meta.language or detect_language(text),
        partial_evidence=partial,
    )
