"""Summarizers: one protocol, an LLM plug and an embedded extractive default."""

from __future__ import annotations

from typing import Protocol

from bot.article import Article, Summary


class Summarizer(Protocol):
    """Turn an article into 2–5 points of attention."""

    name: str

    async def summarize(self, article: Article, *, lang: str | None = None) -> Summary: ...
