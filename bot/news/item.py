"""`NewsItem`: one article as a news source reports it (headline, link, outlet, time, lead)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

# Google News links are opaque tokens (`news.google.com/rss/articles/CBMi…`) that can't be
# turned into the publisher URL without extra, rate-limited requests.
GOOGLE_TOKEN_HOSTS = frozenset({"news.google.com"})
# FEED_MAX_ITEMS's default: items taken per feed and per topic before clustering.
DEFAULT_MAX_ITEMS = 300


@dataclass(frozen=True, slots=True)
class NewsItem:
    title: str  # the headline, without a " - Outlet" suffix
    url: str  # the best URL we have: the publisher's when the feed carries it
    canonical: str  # dedupe key: canonical form of `url`
    outlet: str  # display name ("The Washington Post"); the domain when nothing better
    outlet_domain: str  # "washingtonpost.com", "" when unknown
    published: datetime  # timezone-aware, UTC
    lead: str = ""  # plain-text summary from the feed, "" when it only repeats the title
    source_kind: str = "feed"  # "google-news", "bing-news", "gdelt", "feed", "search-feed"
    language: str | None = None
    # Article text when the bot has it (a feed's full content, or a page it has read): the
    # names and numbers in it tell two events apart better than a headline does.
    text: str = ""

    @property
    def is_token_link(self) -> bool:
        """True when `url` is an aggregator token rather than the publisher's article."""
        return (urlsplit(self.url).hostname or "") in GOOGLE_TOKEN_HOSTS

    @property
    def outlet_key(self) -> str:
        """What makes two items "the same outlet" when counting coverage."""
        return self.outlet_domain or outlet_name_key(self.outlet)


def outlet_identities(item: NewsItem) -> set[str]:
    """Every key naming the item's outlet: its name and (when known) its domain."""
    return {outlet_name_key(item.outlet)} | ({item.outlet_domain} - {""})


def outlet_name_key(name: str) -> str:
    name = " ".join(name.casefold().split())
    return name.removeprefix("the ")


def domain_of(url: str) -> str:
    """`https://www.bbc.co.uk:443/x` → `bbc.co.uk`."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.").removeprefix("m.").removeprefix("amp.")


def newest(items: list[NewsItem], limit: int) -> list[NewsItem]:
    """The `limit` most recently published of `items`, newest first."""
    return sorted(items, key=lambda item: item.published, reverse=True)[:limit]
