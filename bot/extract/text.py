"""Small text helpers shared by the extraction modules."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
# Zero-width and bidi marks that pages sprinkle into titles and paragraphs, and control
# characters (the whitespace ones among them are collapsed by _SPACE instead).
_INVISIBLE = re.compile(
    "[\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff\u00ad"
    "\x00-\x08\x0e-\x1b\x7f-\x9f]"
)


def normalize_space(text: str) -> str:
    """Collapse whitespace runs to one space and drop invisible characters."""
    return _SPACE.sub(" ", _INVISIBLE.sub("", text)).strip()


def paragraphs_of(text: str) -> list[str]:
    """Non-empty, whitespace-normalised lines of `text`."""
    return [p for p in (normalize_space(line) for line in text.splitlines()) if p]


def join_paragraphs(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)
