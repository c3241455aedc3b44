"""Title, site name, publication date and language from a page's markup.

Cheap, explicit sources first (JSON-LD, Open Graph and article meta tags, `<html lang>`);
only a page that declares no date at all pays for trafilatura's date search.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from htmldate import find_date
from lxml.html import HtmlElement

from bot.extract.text import normalize_space
from bot.paywall import declared_words, not_free

_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "socialmediaposting",
    "liveblogposting", "techarticle", "scholarlyarticle", "report", "webpage",
}
_DATE_METAS = (
    "article:published_time", "article:published", "og:article:published_time", "og:published_time",
    "datepublished", "pubdate", "publishdate", "publish-date", "publish_date",
    "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued", "dc.date",
    "date", "article.published", "published_time", "cxenseparse:recs:publishtime",
)
_LD_FIELD = re.compile(r'"(datePublished|dateCreated|headline)"\s*:\s*"([^"\\]{1,500})"')
_LANG_RE = re.compile(r"^\s*([A-Za-z]{2})(?:$|[-_])")
_NEAR_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?\s*([+-]\d{2}:?\d{2})?"
)
# "Story title | Site", "Story title - Site", "Site: Story title"
_TITLE_SEPARATORS = re.compile(r"\s+[|–—\-:•·»]\s+|\s+::\s+")


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str = ""
    site: str | None = None
    published: datetime | None = None
    language: str | None = None
    # Every headline the page states outside its body (og:title, JSON-LD, <title>): a copy
    # of one at the top of the body is the page header, not article text. (The description
    # is not here: measured, it is more often the article's real first paragraph than a
    # deck; nor is an <h1> no stated title repeats: that is a heading of the article's own.)
    preamble: tuple[str, ...] = ()
    # The page's own markup says the article is not free to read (why), and how many words
    # it says the article has: together, whether the body is only a teaser.
    not_free: str | None = None
    declared_words: int | None = None


def read_metadata(tree: HtmlElement, *, url: str) -> Metadata:
    """Read what the page says about itself (the tree must still have its <head>)."""
    metas = _meta_map(tree)
    ld = list(_json_ld_objects(tree))
    article_ld = [obj for obj in ld if _types(obj) & _ARTICLE_TYPES]
    site = _site_name(metas, ld, url)
    stated = _stated_titles(metas, article_ld, tree)
    titles = _title_candidates(tree, metas, article_ld)
    title = next((_strip_site_from_title(t, site) for t in titles), "")
    return Metadata(
        title=clip_field(title, MAX_TITLE),
        site=clip_field(site, MAX_SITE) if site is not None else None,
        published=_published(tree, metas, ld),
        language=_language(tree, metas),
        preamble=_preamble(stated, site),
        not_free=not_free(ld),
        declared_words=declared_words(ld),
    )


# A page states these itself; a 20,000-character og:site_name made Telegram refuse the
# message that carried it. Headlines run to ~200 characters, outlet names to ~60.
MAX_TITLE = 300
MAX_SITE = 100
_SURROGATE = re.compile("[\ud800-\udfff]")


def strip_surrogates(text: str) -> str:
    """`text` without lone surrogates: JSON-LD's "\\ud83d" decodes to one, which no
    encoder (UTF-8 for the store, UTF-16 for Telegram) accepts."""
    return _SURROGATE.sub("", text)


def clip_field(text: str, limit: int) -> str:
    """A one-line field of a page (title, site name) that can be stored and shown."""
    text = strip_surrogates(text).strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def site_from_url(url: str) -> str | None:
    """The host without "www.", the site name of last resort."""
    host = (urlsplit(url).hostname or "") if url else ""
    return host.removeprefix("www.") or None


def fallback_date(tree: HtmlElement, *, url: str) -> datetime | None:
    """Ask htmldate (trafilatura's date finder) for a date: a few ms, so only when needed.

    htmldate alone, not trafilatura's whole metadata pass (authors, tags, ...), which
    finds the same date for about seven times the cost.
    """
    try:
        found = find_date(tree, extensive_search=False, original_date=True, url=url or None)
    except Exception:  # a date heuristic failing must not fail the extraction
        return None
    return parse_date(found) if found else None


# --- sources ------------------------------------------------------------------------------


def _meta_map(tree: HtmlElement) -> dict[str, str]:
    """First non-empty content per lower-cased meta property/name/itemprop/http-equiv."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        content = meta.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            # itemprop="datePublished dateCreated": one meta, several names
            for key in (meta.get(attr) or "").lower().split():
                found.setdefault(key, content.strip())
    return found


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text, strict=False)  # raw newlines in strings are common
        except (ValueError, RecursionError):
            # Broken JSON-LD is common too (a stray quote in a caption): salvage the plain
            # string fields we read, they rarely are the broken part.
            yield dict(_LD_FIELD.findall(script.text))
            continue
        yield from _flatten_ld(data, depth=0)


def _flatten_ld(data: object, *, depth: int) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _flatten_ld(item, depth=depth + 1)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _flatten_ld(graph, depth=depth + 1)


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def _ld_text(value: object) -> str | None:
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if isinstance(value, str) and value.strip():
        return normalize_space(value)
    return None


# --- fields -------------------------------------------------------------------------------


def _site_name(metas: dict[str, str], ld: list[dict[str, Any]], url: str) -> str | None:
    name = metas.get("og:site_name") or metas.get("application-name")
    if name:
        return normalize_space(name)
    for obj in ld:
        publisher = _ld_text(obj.get("publisher"))
        if publisher:
            return publisher
    for obj in ld:
        if _types(obj) & {"organization", "newsmediaorganization", "website"}:
            found = _ld_text(obj.get("name"))
            if found:
                return found
    return site_from_url(url)


def _title_candidates(
    tree: HtmlElement, metas: dict[str, str], article_ld: list[dict[str, Any]]
) -> list[str]:
    """Headlines the page states, best first (editors set og:title for sharing with care)."""
    candidates: list[str | None] = [metas.get("og:title"), metas.get("twitter:title")]
    candidates += [_ld_text(obj.get("headline")) for obj in article_ld]
    h1 = tree.find(".//h1")
    if h1 is not None:
        candidates.append(h1.text_content())
    candidates.append(_document_title(tree))
    return [normalize_space(c) for c in candidates if c and c.strip()]


def _document_title(tree: HtmlElement) -> str | None:
    title_el = tree.find(".//title")
    return title_el.text if title_el is not None and title_el.text else None


def _stated_titles(
    metas: dict[str, str], article_ld: list[dict[str, Any]], tree: HtmlElement
) -> list[str]:
    """The headlines the page states about itself, outside its body: og/twitter, JSON-LD,
    <title>. Not the <h1>, which is body text."""
    stated: list[str | None] = [metas.get("og:title"), metas.get("twitter:title")]
    stated += [_ld_text(obj.get("headline")) for obj in article_ld]
    stated.append(_document_title(tree))
    return [normalize_space(c) for c in stated if c and c.strip()]


def _preamble(stated: list[str], site: str | None) -> tuple[str, ...]:
    """Lines that, at the top of the body, repeat the page's stated headline.

    A heading in the body is dropped only when it repeats what the page's metadata calls
    its title (with or without the "| Site" part), as Readability does: a page whose <h1>
    differs from every stated title has put a heading of its own into the article.
    """
    stripped = [_strip_site_from_title(t, site) for t in stated]
    return tuple(dict.fromkeys(t for t in [*stated, *stripped] if t))


def _strip_site_from_title(title: str, site: str | None) -> str:
    """Drop a "| Site" part: the site is a field of its own."""
    title = normalize_space(title)
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) < 2 or not site:
        return title
    site_key = _key(site)
    kept = [p for p in parts if _key(p) != site_key and not (site_key and _key(p) in site_key)]
    if kept and len(kept) < len(parts):
        return " - ".join(kept) if len(kept) > 1 else kept[0]
    return title


def _key(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


def _published(
    tree: HtmlElement, metas: dict[str, str], ld: list[dict[str, Any]]
) -> datetime | None:
    # The article's own object first; then any (pages type it as WebPage, MedicalWebPage...).
    article_first = sorted(ld, key=lambda obj: not (_types(obj) & _ARTICLE_TYPES))
    for obj in article_first:
        for key in ("datePublished", "dateCreated", "uploadDate"):
            value = obj.get(key)
            if isinstance(value, str) and (found := parse_date(value)):
                return found
    for key in _DATE_METAS:
        if key in metas and (found := parse_date(metas[key])):
            return found
    for time_el in tree.iter("time"):
        marked = time_el.get("itemprop", "").lower() == "datepublished"
        if (marked or "pubdate" in time_el.attrib) and (
            found := parse_date(time_el.get("datetime") or time_el.text_content())
        ):
            return found
    return None


def parse_date(value: str) -> datetime | None:
    """ISO 8601 (with or without zone) or RFC 2822; None when it is neither."""
    value = value.strip()
    if not value:
        return None
    iso = value.replace("Z", "+00:00") if value.endswith("Z") else value
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        pass
    # near-ISO forms such as "2019-11-18 10:15:00 +0000 UTC" or "2019-11-18T10:15:00.123-0500"
    if match := _NEAR_ISO.match(value):
        day, clock, offset = match.groups()
        try:
            return datetime.fromisoformat(f"{day}T{clock}{offset or ''}")
        except ValueError:
            pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _language(tree: HtmlElement, metas: dict[str, str]) -> str | None:
    for raw in (
        tree.get("lang"),
        tree.get("xml:lang"),
        metas.get("og:locale"),
        metas.get("content-language"),
        metas.get("language"),
        metas.get("dc.language"),
    ):
        if raw and (match := _LANG_RE.match(raw)):
            return match.group(1).lower()
    return None
