"""Plain data passed between fetch, extract, summarize and the front ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from bot.paywall import teaser_notice


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
    # Why only part of the article could be read (a paywall or login-wall notice on the
    # page, `isAccessibleForFree: false`, a truncation mark); None for a whole article.
    partial_evidence: str | None = None

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    @property
    def is_teaser(self) -> bool:
        """Only a teaser could be read: the page said so, or the text itself ends in a
        paywall notice. Never length alone: a 55-word brief is a whole article."""
        return self.partial_evidence is not None or teaser_notice(self.text) is not None


@dataclass(frozen=True, slots=True)
class Note:
    """Something the reader should know about a summary: why it is partial, or why it is not
    in the language asked for. Data, not a sentence, so each front end says it in its
    reader's language (Telegram through the chat's translator, the CLI in English)."""

    kind: Literal["long_article", "language_fallback"]
    covered_words: int = 0  # long_article: the points cover the article's first N words
    written_in: str = ""  # language_fallback: the code of the language the points are in…
    asked: str = ""  # …and of the one that was asked for

    def __str__(self) -> str:
        from bot.i18n import ENGLISH  # Babel's language names; imported only when printed

        if self.kind == "long_article":
            return f"long article: these points cover the first {self.covered_words} words"
        return (f"written in {ENGLISH.language_name(self.written_in)}: the model did not "
                f"answer in {ENGLISH.language_name(self.asked)}")


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
    notes: list[Note] = field(default_factory=list)
