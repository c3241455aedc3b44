"""The article body of a parsed page, by trafilatura with options chosen on the benchmark."""

from __future__ import annotations

import logging

from lxml import etree
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Extractor

from bot.extract.fallback import MIN_WORDS
from bot.extract.text import normalize_space, paragraphs_of

log = logging.getLogger(__name__)
# trafilatura logs a WARNING for every page it finds no text in; for us that is an
# ExtractionError the caller reports once, in its own words.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

# Measured on ../shared/datasets/article-extraction-benchmark (bench/extraction.py):
# - comments=False: reader comments are not the article (trafilatura's default keeps them);
# - fast=True: the readability/justext comparison costs ~30% more time and scored lower
#   (F1 0.960 against 0.962 without it);
# - tables=True: tables of figures are article content in news (results, prices).
# One shared options object: trafilatura copies it before changing anything per call.
def _options(*, fast: bool) -> Extractor:
    options = Extractor(output_format="python", fast=fast, comments=False, tables=True)
    # trafilatura replaces any article under 250 characters with a dump of the whole page
    # (category label, standfirst, source line, tags, share buttons): a three-paragraph
    # brief came out that way. A short article is still the article; when a pass finds
    # nothing at all, body_lines decides what to fall back to.
    options.min_extracted_size = 0
    return options


_OPTIONS = _options(fast=True)
# trafilatura's own minimum size also decides whether text sitting directly in <div>s (no
# <p> around it) counts: it looks at divs when the page's <p> text is under three times
# that size. With the minimum at 0 (above) it never does, and a section written as bare
# text in a <div> (Readability's embedded-videos page; div-and-<br> layouts) was lost. So a
# page with that little <p> text is read a second time with trafilatura's default minimum.
_DIV_OPTIONS = _options(fast=True)
_DIV_OPTIONS.min_extracted_size = Extractor().min_extracted_size
_DIV_PROSE_CHARS = 3 * _DIV_OPTIONS.min_extracted_size
_P_TEXT = etree.XPath("//p//text()")
# The slower pass, with readability and justext as second opinions: for pages where the
# fast pass found little (it misses text split into many blocks) or a page dump.
_CAREFUL_OPTIONS = _options(fast=False)
# Below this many characters the fast pass's result is checked against the careful one,
# which replaces it when it finds RATIO times as much. Above it, what the careful pass
# adds was more often a "you may also like" block than article text (measured on both
# benchmark sets: 500-1000 gave the same scores, 1500 took in related posts).
_THIN_CHARS = 800
_CAREFUL_RATIO = 1.5

# "Mostly menu": many lines and most of them a few words long.
_DUMP_MIN_LINES = 30
_DUMP_SHORT_WORDS = 4
_DUMP_SHORT_SHARE = 0.6


# A page that marks its article (one <article>, or schema.org articleBody) is read inside
# that container only: related lists and promos around it never reach trafilatura.
# Below this many characters the container is a teaser or a card, not the story.
_ARTICLE_CONTAINERS = etree.XPath('//article | //*[@itemprop="articleBody"]')
_MIN_CONTAINER_CHARS = 1000
_PARAGRAPHS = etree.XPath("//p | //blockquote")


def body_lines(tree: HtmlElement) -> list[str]:
    """Paragraphs of the main text (one per line of trafilatura's output); [] if none."""
    _narrow_to_article(tree)
    lines = _with_div_text(tree, _trafilatura_lines(tree, _OPTIONS))
    dump = _looks_like_page_dump(lines)
    if dump or _chars(lines) < _THIN_CHARS:
        careful = _trafilatura_lines(tree, _CAREFUL_OPTIONS)
        better = dump or _chars(careful) >= _CAREFUL_RATIO * _chars(lines)
        if careful and better and not _looks_like_page_dump(careful):
            return careful
        if not lines:
            # Neither pass found an article. trafilatura would dump the page's whole text;
            # its paragraphs of prose are what a reader would call the article.
            return _prose_paragraphs(tree)
    return lines


def _with_div_text(tree: HtmlElement, lines: list[str]) -> list[str]:
    """The fast pass's lines, or a reading that also takes bare <div> text when it adds some.

    Under trafilatura's minimum size its page-dump fallback fires, so only a result at
    least that long is read again (a short article stays as it was), and the new reading
    must keep every line of the first one and start where it starts: it adds sections to
    the article, never the page's header above it (a standfirst or a source line in a
    <div>) and never another article.
    """
    if _chars(lines) < _DIV_OPTIONS.min_extracted_size:
        return lines
    if len("".join(_texts(_P_TEXT(tree)))) >= _DIV_PROSE_CHARS:
        return lines  # trafilatura would not look at divs on this page anyway
    wider = _trafilatura_lines(tree, _DIV_OPTIONS)
    adds = _chars(wider) > _chars(lines) and set(lines) <= set(wider) and wider[0] == lines[0]
    if adds and not _looks_like_page_dump(wider):
        return wider
    return lines


def _texts(found: object) -> list[str]:
    return [str(text) for text in found] if isinstance(found, list) else []


def _prose_paragraphs(tree: HtmlElement) -> list[str]:
    texts = (normalize_space(p.text_content()) for p in _PARAGRAPHS(tree))
    return [t for t in texts if len(t.split()) >= MIN_WORDS]


def _chars(lines: list[str]) -> int:
    return sum(len(line) for line in lines)


def _trafilatura_lines(tree: HtmlElement, options: Extractor) -> list[str]:
    try:
        # bare_extraction works on its own copy of the tree: a second pass sees it intact
        document = bare_extraction(tree, options=options)
    except (RecursionError, ValueError, TypeError, AttributeError) as exc:
        # trafilatura is heuristics over a hostile input: treat its failure as "no text"
        # and let the caller fall back, rather than crash the request.
        log.warning("trafilatura failed: %s: %s", type(exc).__name__, exc)
        return []
    # a Document, or None when it found nothing (a dict only with as_dict=True)
    text = getattr(document, "text", None)
    return paragraphs_of(text) if isinstance(text, str) else []


def _looks_like_page_dump(lines: list[str]) -> bool:
    if len(lines) < _DUMP_MIN_LINES:
        return False
    short = sum(1 for line in lines if len(line.split()) < _DUMP_SHORT_WORDS)
    return short >= _DUMP_SHORT_SHARE * len(lines)


def _narrow_to_article(tree: HtmlElement) -> None:
    """Keep only the page's single article container, when it has one (in place)."""
    found = _ARTICLE_CONTAINERS(tree)
    if not found:
        return
    members = set(found)
    outermost = [el for el in found if not any(a in members for a in el.iterancestors())]
    body = tree.find("body")
    if len(outermost) != 1 or body is None:
        return  # several articles (a listing, or appended next stories): let trafilatura pick
    article = outermost[0]
    if len(article.text_content()) < _MIN_CONTAINER_CHARS:
        return
    for child in list(body):
        body.remove(child)
    body.text = None
    body.append(article)
