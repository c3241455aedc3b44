"""Drop repeats: the same article reached twice (tracking params, two search engines)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.news.item import NewsItem
from bot.news.story import best_item
from bot.news.text import fold

_NON_WORD = re.compile(r"\W+")
# Publishers' clocks run a little ahead sometimes; an item "from the future" by less than
# this is still today's news.
CLOCK_SKEW = timedelta(minutes=15)


def within(items: Iterable[NewsItem], *, since: datetime, now: datetime) -> list[NewsItem]:
    """Items published after `since` and not after `now` (give or take CLOCK_SKEW)."""
    return [item for item in items if since < item.published <= now + CLOCK_SKEW]


def dedupe(items: Iterable[NewsItem]) -> list[NewsItem]:
    """One item per canonical URL, then per (outlet, headline), keeping the best copy.

    The second key catches the same article seen through Google (token link) and Bing
    (publisher URL): different URLs, same outlet and words.
    """
    by_url: dict[str, list[NewsItem]] = {}
    for item in items:
        by_url.setdefault(item.canonical, []).append(item)
    by_title: dict[tuple[str, str], list[NewsItem]] = {}
    for copies in by_url.values():
        keep = best_item(copies)
        by_title.setdefault((keep.outlet_key, _title_key(keep.title)), []).append(keep)
    return [best_item(copies) for copies in by_title.values()]


def _title_key(title: str) -> str:
    return _NON_WORD.sub(" ", fold(title)).strip()
