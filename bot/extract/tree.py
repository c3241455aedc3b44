"""Parse a page into an lxml tree once, so metadata and body extraction share it."""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction

# C0 controls but tab, newline and carriage return: a page with one makes trafilatura
# discard the whole document. In UTF-8 these bytes never occur inside a multibyte character.
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\r") + b"\x7f"
# libxml2 stops at this depth and silently drops everything after the deep part.
_DEPTH_ERROR = "Excessive depth"

# Never article text, and several of them are large (inline scripts, SVG icons): dropping
# them in C before trafilatura walks the tree with dozens of XPath queries roughly halves
# its time. trafilatura would delete all of these later anyway; <form> is kept because
# some CMSs wrap the whole page in one.
NOISE_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "object",
    "embed", "applet", "audio", "video", "picture", "figure", "map", "area", "link", "head",
    "nav", "aside", "footer", "menu", "dialog", "button", "input", "select", "option",
    "textarea", "label", "fieldset", "datalist", "frame", "frameset", "noindex", "marquee",
)


class DepthExceeded(Exception):
    """The page nests deeper than libxml2 parses; the tree lost text past that point."""


# lxml.html's own parser picks each element's class in a Python callback (FormElement,
# InputElement, ...), called for every element trafilatura touches; nothing here needs those
# classes, and a lookup done in C saves about a tenth of the extraction time.
_CLASS_LOOKUP = etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity
)


def _parser() -> etree.HTMLParser:
    # One parser per call: a parser keeps the error log of its last parse, which we read.
    # The page is already decoded; the encoding given here overrides whatever its
    # <meta charset> or XML declaration claims.
    parser = etree.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, collect_ids=False
    )
    parser.set_element_class_lookup(_CLASS_LOOKUP)
    return parser


def parse_html(html: str) -> HtmlElement | None:
    """Parse `html`; None when there is no document at all.

    Raises DepthExceeded when libxml2 gave up on nesting, because the tree it returns
    then lacks whatever followed the deep part and would look like a short, clean page.
    """
    if not html.strip():
        return None
    parser = _parser()
    try:
        # Bytes, not str: lxml truncates a str at a lone surrogate (left by a lenient
        # decode), and refuses a str that carries an XML encoding declaration.
        data = html.encode("utf-8", errors="replace").translate(None, _CONTROL_BYTES)
        tree = etree.fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if not isinstance(tree, HtmlElement):  # nothing but a comment or text
        return None
    if any(_DEPTH_ERROR in entry.message for entry in parser.error_log):
        raise DepthExceeded("page nests deeper than the HTML parser allows")
    return tree


# A list whose every item is one link and nothing else is navigation (menus, tag clouds,
# "more stories"). Removing it early cut the median time by a tenth on the benchmark and
# nudged F1 up; trafilatura would spend a dozen XPath passes deciding the same.
_LINK_LISTS = etree.XPath(
    "//*[self::ul or self::ol][li][not(li[not(a) or count(a) > 1"
    " or string-length(normalize-space(.)) != string-length(normalize-space(a))])]"
)


# What the browser never shows: the `hidden` attribute and inline display/visibility rules.
# trafilatura's own pass drops display:none but not the others, and its careful pass's
# readability second opinion drops neither.
# (XPath's translate() over every element cost 2 ms a page; a regex over the few style
# attributes costs almost nothing.)
_STYLED = etree.XPath("//*[@hidden or @style]")
_HIDING_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _hidden(tree: HtmlElement) -> list[HtmlElement]:
    return [
        el
        for el in _STYLED(tree)
        if el.get("hidden") is not None or _HIDING_STYLE.search(el.get("style") or "")
    ]


# Elements whose text no reader sees: dropped before the page's visible text is read.
_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg", "math", "head")


def visible_text(tree: HtmlElement) -> str:
    """The text a reader could see anywhere on the page, boxes and banners included.

    Removes the invisible elements in place (strip_noise would remove them anyway): read
    the metadata first, it needs <head> and the JSON-LD scripts.
    """
    etree.strip_elements(tree, *_INVISIBLE_TAGS, with_tail=False)
    for hidden in _hidden(tree):
        _remove_keeping_tail(hidden)
    body = tree.find("body")
    return str((body if body is not None else tree).text_content())


# The outlet's own summary box above or inside the story ("Key points", "Points of
# attention", "Story highlights"): the benchmark's reference bodies leave it out (CNBC's
# RenderKeyPoints box is in none of them), and a summary built from it would repeat the
# outlet's summary rather than the article. Told by its class, which sites name in
# English whatever the language of the page (ids are not read: a tenth of a millisecond
# for no box the benchmarks hold); a box longer than this is not a summary box.
# Every class value of the page, fetched in C: most pages have no summary box, and a few
# str.find over their joined names say so in ~0.1 ms (testing each element in Python, or
# with XPath contains(), cost 1-6 ms a page; a regex over the names, 0.4 ms).
_CLASSES = etree.XPath("//@class")
_SUMMARY_BOX_NAME = re.compile(
    r"key[-_]?(points|takeaways)|takeaways|story[-_]?highlights|points[-_]of[-_]attention"
    r"|\btl[-_]?dr\b",
    re.IGNORECASE,
)
_SUMMARY_BOX_MAX_CHARS = 1500
# Every name the pattern matches contains one of these (lower case).
_SUMMARY_BOX_CORES = (
    "keypoint", "key-point", "key_point", "takeaway", "highlights", "attention", "tldr",
    "tl-dr", "tl_dr",
)


def _summary_boxes(tree: HtmlElement) -> list[HtmlElement]:
    names = " ".join(_list(_CLASSES(tree))).lower()
    if not any(core in names for core in _SUMMARY_BOX_CORES):
        return []
    return [
        el
        for el in tree.iter()
        if isinstance(el.tag, str)
        and _SUMMARY_BOX_NAME.search(el.get("class", ""))
        and len(el.text_content()) <= _SUMMARY_BOX_MAX_CHARS
    ]


def _list(found: object) -> list[str]:
    return [str(value) for value in found] if isinstance(found, list) else []


def strip_noise(tree: HtmlElement) -> None:
    """Delete elements that never hold article text (in place; read metadata first, and
    the visible text, which also drops hidden elements)."""
    etree.strip_elements(tree, *NOISE_TAGS, with_tail=False)
    for link_list in _LINK_LISTS(tree):
        _remove_keeping_tail(link_list)
    for box in _summary_boxes(tree):
        _remove_keeping_tail(box)


def _remove_keeping_tail(element: HtmlElement) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail and element.tail.strip():
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
