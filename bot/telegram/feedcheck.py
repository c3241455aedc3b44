"""Whether an address serves a feed: the one check /subscribe URL and /import both make."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.errors import NotHTML

if TYPE_CHECKING:
    from bot.article import Page
    from bot.telegram.context import Services


async def check_feed(services: Services, who: int, url: str) -> str:
    """The feed's own title ("" if it has none) when `url` serves an RSS or Atom feed.

    Fetched through the guarded fetcher (the SSRF guard, size and time limits) and parsed
    in a thread within the fetch's deadline — a 5 MB feed is ~30,000 entries — queued with
    the user's links. The title is remembered for /export. Raises NotHTML for a page that
    is not a feed, and what the fetch raises (BlockedAddress, FetchError…) or JobTimeout.
    """
    # Loaded on first use, like the rest of the news and fetch machinery (see app.py).
    from bot.fetch import FEED_TYPES
    from bot.news.feed import parse_feed_titled

    max_items = services.settings.feed_max_items

    def parse(page: Page) -> str:
        try:
            return parse_feed_titled(page.text, feed_url=page.final_url, max_items=max_items)[0]
        except ValueError as exc:
            raise NotHTML(f"{url} is not a feed: {exc}") from exc

    async with services.jobs.turn(who):
        title = await services.digests.pipeline.fetcher.read(url, parse, accept=FEED_TYPES)
    if title:
        await asyncio.to_thread(services.store.feeds.set_title, url, title)
    return title
