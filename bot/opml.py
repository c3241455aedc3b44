"""OPML, the file feed readers trade subscription lists in: read safely, written as OPML 2.0.

An imported file is untrusted XML. It is parsed with defusedxml, refusing any DOCTYPE, so
entity declarations (the "billion laughs" expansion bomb) and external references (XXE,
an external DTD) are refused before anything is expanded or fetched; readers' exports
never carry a DOCTYPE. The raw bytes are size-checked first. Everything else is
lenient, as readers' exports are: outlines nest in categories to any depth, the feed address
is the `xmlUrl` attribute (any case), the title is `title` or else `text`, in any script.

A chat's search topics travel as the search feed URL that `NEWS_SEARCH_FEEDS` builds for
them, and come back as topics: `topic_of` reads the query out of such a URL.

Pure functions over bytes and strings, but `export_chat`, which reads a chat's
subscriptions from the store (for /export and `newsbot export`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qsl, urlsplit

import defusedxml
import defusedxml.ElementTree as SafeET

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store import Store

# Readers' exports of a few hundred feeds are tens of kilobytes; a bot keeps at most
# MAX_TOPICS_PER_CHAT of them anyway.
MAX_OPML_BYTES = 512 * 1024
MAX_TITLE = 200  # characters of an outline's title kept
OPML_DOCS = "http://opml.org/spec2.opml"

OpmlProblem = Literal["too_large", "unsafe", "malformed", "not_opml"]

# XML 1.0 cannot hold these (C0 controls but tab, newline, CR): a feed's title may.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class OpmlError(ValueError):
    """The file is not an OPML document we will read; `problem` says why."""

    def __init__(self, problem: OpmlProblem, detail: str) -> None:
        super().__init__(detail)
        self.problem: OpmlProblem = problem


@dataclass(frozen=True, slots=True)
class Outline:
    """One feed of an OPML file: its address and its title ("" when it has none)."""

    url: str
    title: str = ""


def parse_opml(data: bytes) -> list[Outline]:
    """Every outline with an `xmlUrl`, in document order, nested ones included.

    Raises OpmlError: "too_large" past MAX_OPML_BYTES, "unsafe" for a DOCTYPE (entities,
    external references), "malformed" for XML that does not parse, "not_opml" for XML whose
    root is not <opml>. Duplicates are kept (the caller reports them).
    """
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError("too_large", f"{len(data)} bytes, more than {MAX_OPML_BYTES}")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden,
            defusedxml.DTDForbidden) as exc:
        raise OpmlError("unsafe", f"refused: {type(exc).__name__}") from exc
    except ET.ParseError as exc:
        raise OpmlError("malformed", f"not well-formed XML: {exc}") from exc
    except (ValueError, LookupError) as exc:  # an encoding Python does not know
        raise OpmlError("malformed", f"unreadable XML: {exc}") from exc
    if _local(root.tag) != "opml":
        raise OpmlError("not_opml", f"the root element is <{_local(root.tag)}>, not <opml>")
    found: list[Outline] = []
    for element in root.iter():
        if _local(element.tag) != "outline":
            continue
        attrs = {str(k).lower(): str(v) for k, v in element.attrib.items()}
        url = attrs.get("xmlurl", "").strip()
        if url:
            found.append(Outline(url, _title(attrs.get("title") or attrs.get("text") or "")))
    return found


def render_opml(title: str, outlines: Iterable[Outline], *, created: datetime) -> bytes:
    """An OPML 2.0 document (UTF-8) listing `outlines` as RSS outlines, in order."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = _xml_text(title)
    ET.SubElement(head, "dateCreated").text = format_datetime(created)
    ET.SubElement(head, "docs").text = OPML_DOCS
    body = ET.SubElement(opml, "body")
    for outline in outlines:
        name = _xml_text(outline.title) or outline.url
        ET.SubElement(body, "outline", type="rss", text=name, title=name,
                      xmlUrl=_xml_text(outline.url))
    ET.indent(opml)
    written: bytes = ET.tostring(opml, encoding="utf-8", xml_declaration=True)
    return written + b"\n"


def export_chat(settings: Settings, store: Store, chat_id: int) -> bytes:
    """The chat's topics (as search feed URLs) and feeds (by their titles) as OPML 2.0.

    A topic's URL is the first NEWS_SEARCH_FEEDS template's, in the chat's language.
    """
    from bot.config import GOOGLE_NEWS_SEARCH
    from bot.store.types import utcnow
    from bot.topic_digests import DEFAULT_LANG

    chat = store.chats.get(chat_id)
    lang = (chat.language if chat is not None else None) or DEFAULT_LANG
    template = (settings.news_search_feeds or [GOOGLE_NEWS_SEARCH])[0]
    subs = store.subscriptions.for_chat(chat_id)
    titles = store.feeds.titles(sub.topic for sub in subs if sub.kind == "feed")
    outlines = [
        Outline(topic_url(template, sub.topic, lang), sub.topic) if sub.kind == "search"
        else Outline(sub.topic, titles.get(sub.topic, ""))
        for sub in subs
    ]
    return render_opml("newsbot: topics and feeds", outlines, created=utcnow())


def topic_url(template: str, topic: str, lang: str) -> str:
    """The search feed URL a topic is read from (the first NEWS_SEARCH_FEEDS template)."""
    from bot.news.search import search_url  # bot.news loads feed parsing: only when used

    return search_url(template, topic, lang)


def topic_of(url: str, templates: Sequence[str]) -> str | None:
    """The topic whose search feed `url` is, for one of `templates`; None for other feeds.

    Same scheme, host and path as a template, and the query parameter the template fills
    with `{query}` present: that parameter, decoded, is the topic.
    """
    parts = urlsplit(url.strip())
    for template in templates:
        shape = urlsplit(template)
        if (parts.scheme.lower(), (parts.hostname or "").lower(), parts.path) != (
                shape.scheme.lower(), (shape.hostname or "").lower(), shape.path):
            continue
        keys = [key for key, value in parse_qsl(shape.query, keep_blank_values=True)
                if value == "{query}"]
        if not keys:
            continue
        values = dict(parse_qsl(parts.query, keep_blank_values=True))
        topic = " ".join(values.get(keys[0], "").split())
        if topic:
            return topic
    return None


def _local(tag: object) -> str:
    """An element's name without its namespace (`{ns}outline` → `outline`), lower-cased."""
    return str(tag).rpartition("}")[2].lower()


def _title(text: str) -> str:
    return " ".join(text.split())[:MAX_TITLE]


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)
