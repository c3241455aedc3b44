"""Plain data passed between fetch, extract, summarize and the front ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Below this many words of body text a page is treated as a teaser (paywall, cookie wall,
# "subscribe to read"): the summary is marked partial and nothing is invented to fill it.
TEASER_WORDS = 80


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched document (HTML page or feed), already decoded to text."""

    url: str  # what was asked for
    final_url: str  # after redirects
    text: str
    status_code: int = 200
    content_type: str = "text/html"
    # Validators for conditional GETs of feeds; `not_modified` is a 304 answer (empty text).
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False

    @property
    def html(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Article:
    """The clean article a page holds."""

    url: str
    final_url: str
    title: str
    text: str
    site: str | None = None
    published: datetime | None = None
    language: str | None = None

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def is_teaser(self) -> bool:
        return self.word_count < TEASER_WORDS


@dataclass(frozen=True, slots=True)
class Summary:
    """Points of attention for one article."""

    points: list[str]
    summarizer: str  # "extractive" or "llm:<model>"
    language: str | None = None
    partial: bool = False
    dropped_points: int = 0
    # Set when the LLM failed and the extractive summarizer stood in (for logs and the UI).
    fallback_reason: str | None = None
    notes: list[str] = field(default_factory=list)
