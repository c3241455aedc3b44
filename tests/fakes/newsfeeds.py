"""Realistic news search answers for tests, shaped like the captured real feeds.

Templates follow `../shared/datasets/news-feeds/` (Google News search RSS, Bing News RSS,
GDELT artlist JSON, a publisher's RSS) with their quirks: Google's opaque token links,
" - Outlet" title suffixes and `<font>` descriptions; Bing's `apiclick.aspx?…&url=` links
with lower-case escapes, `News:Source` in a per-query namespace and " ..." leads; GDELT's
tokenised titles, `:443` ports and `seendate`. The stories are hand-written: several
outlets report each one in their own words, plus tracking-param duplicates and old items.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

from bot.news.feed import parse_feed
from bot.news.item import NewsItem
from tests.fakes.site import FakeSite, Request, Response

NOW = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Report:
    """One outlet's article about one story."""

    story: str  # which story it belongs to (the truth clustering is scored against)
    outlet: str
    domain: str  # "reuters.com"
    headline: str
    lead: str
    path: str  # article path on the outlet's site
    hours_ago: float
    base: str | None = None  # e.g. "http://reuters-com.localhost:PORT" to serve it locally

    @property
    def url(self) -> str:
        return f"{self.base}{self.path}" if self.base else f"https://www.{self.domain}{self.path}"

    def published(self, now: datetime = NOW) -> datetime:
        return now - timedelta(hours=self.hours_ago)


def _r(story: str, outlet: str, domain: str, headline: str, lead: str, hours: float) -> Report:
    slug = "-".join(headline.lower().split()[:6]).replace("'", "").replace(",", "")
    return Report(story, outlet, domain, headline, lead, f"/world/2026/07/{slug}", hours)


# Topic "North Korea": three stories, 4/3/3 outlets, plus an old one outside any window.
NORTH_KOREA = [
    _r("missile", "Reuters", "reuters.com",
       "North Korea fires ballistic missile into sea off east coast, Seoul says",
       "North Korea fired a ballistic missile into the sea off its east coast on Tuesday, "
       "South Korea's military said, the third launch this month.", 3),
    _r("missile", "Associated Press", "apnews.com",
       "North Korea launches ballistic missile toward Sea of Japan",
       "North Korea launched a ballistic missile that landed in the waters off its eastern "
       "coast, according to South Korea's Joint Chiefs of Staff.", 2.5),
    _r("missile", "BBC News", "bbc.co.uk",
       "Pyongyang test-fires missile as Seoul and Tokyo condemn launch",
       "Japan's coast guard warned ships after the ballistic missile fell into the sea; "
       "South Korea's military called the launch a provocation.", 2),
    _r("missile", "CNN", "cnn.com",
       "Kim regime fires ballistic missile in third launch this month",
       "The missile flew about 600 km before falling into the sea east of the peninsula, "
       "South Korea's Joint Chiefs of Staff said.", 1),
    _r("summit", "The New York Times", "nytimes.com",
       "Kim Jong Un arrives in Vladivostok for talks with Putin",
       "The North Korean leader's armoured train pulled into Vladivostok on Monday ahead of "
       "a summit with Vladimir Putin expected to focus on arms and food.", 10),
    _r("summit", "The Guardian", "theguardian.com",
       "Putin and Kim Jong Un meet in Russia's far east amid arms deal fears",
       "Vladimir Putin welcomed Kim Jong Un to Vladivostok, as Washington warned against any "
       "arms deal between Moscow and Pyongyang.", 9),
    _r("summit", "Al Jazeera", "aljazeera.com",
       "Putin hosts Kim in Vladivostok summit as West watches arms talks",
       "Russia's president and North Korea's leader held talks in Vladivostok; the Kremlin "
       "said weapons were not on the agenda.", 8),
    _r("defector", "Yonhap", "yna.co.kr",
       "North Korean soldier defects across DMZ to South Korea",
       "A North Korean soldier crossed the heavily fortified border into South Korea on "
       "Tuesday morning, the Joint Chiefs of Staff said, and is in custody.", 5),
    _r("defector", "The Korea Herald", "koreaherald.com",
       "N. Korean soldier crosses military demarcation line to defect",
       "The soldier walked across the military demarcation line in the central section of "
       "the DMZ and asked to defect, officials said.", 4.5),
    _r("defector", "NK News", "nknews.org",
       "Soldier walks across DMZ in rare defection from North Korea",
       "Defections across the heavily armed border are rare; the soldier was taken into "
       "custody by South Korean troops.", 4),
    _r("old", "Reuters", "reuters.com",
       "North Korea reopens border to foreign tourists",
       "North Korea reopened its border to Western tour groups for the first time since "
       "2020.", 80),
]

# Same-topic pairs that must stay apart (shared words, different events).
NEAR_MISSES: list[tuple[Report, Report]] = [
    (
        _r("a", "Reuters", "reuters.com",
           "North Korea fires cruise missiles off west coast",
           "North Korea fired several cruise missiles into the Yellow Sea, South Korea said.",
           2),
        _r("b", "BBC News", "bbc.co.uk",
           "North Korea says it will send more workers to Russia",
           "North Korea's state media said it would send thousands of workers to Russia "
           "under a new labour agreement.", 3),
    ),
    (
        _r("a", "CNBC", "cnbc.com",
           "Fed holds interest rates steady, signals two cuts later this year",
           "The Federal Reserve kept its benchmark rate unchanged on Wednesday and pointed "
           "to two cuts before the end of the year.", 2),
        _r("b", "Bloomberg", "bloomberg.com",
           "Fed's Powell faces Senate questions on bank capital rules",
           "Federal Reserve Chair Jerome Powell told senators that a revised bank capital "
           "proposal would be released soon.", 5),
    ),
]

# A second topic ("Federal Reserve") with paraphrased coverage, for ranking and clustering.
FED = [
    _r("rates", "CNBC", "cnbc.com",
       "Fed holds interest rates steady, signals two cuts later this year",
       "The Federal Reserve kept its benchmark rate unchanged on Wednesday and pointed to "
       "two cuts before the end of the year.", 2),
    _r("rates", "Reuters", "reuters.com",
       "Fed leaves rates unchanged, sees two reductions in 2026",
       "U.S. central bank policymakers held the policy rate in the 4.25%-4.50% range and "
       "projected two quarter-point cuts by year end.", 2.2),
    _r("rates", "The Wall Street Journal", "wsj.com",
       "Federal Reserve keeps benchmark rate on hold, pencils in two cuts",
       "Officials left the benchmark rate unchanged and penciled in two cuts this year as "
       "inflation cools.", 1.8),
    _r("powell", "Bloomberg", "bloomberg.com",
       "Fed's Powell faces Senate questions on bank capital rules",
       "Federal Reserve Chair Jerome Powell told senators that a revised bank capital "
       "proposal would be released soon.", 5),
    _r("powell", "Politico", "politico.com",
       "Senators grill Powell over delayed bank capital proposal",
       "Republican and Democratic senators pressed Jerome Powell on when regulators would "
       "publish the revised capital rules for large banks.", 4),
]


# ---------------------------------------------------------------------------------------
# Feed renderers
# ---------------------------------------------------------------------------------------
def covered_at(report: Report, when: datetime, world_now: datetime) -> Report:
    """`report` as if published at `when`, in a world served at `world_now`."""
    return replace(report, hours_ago=(world_now - when).total_seconds() / 3600)


def aged(reports: list[Report], by: timedelta) -> list[Report]:
    """The same reports, seen `by` later (their publication times stay put)."""
    return [replace(r, hours_ago=r.hours_ago + by.total_seconds() / 3600) for r in reports]


def google_token(report: Report) -> str:
    """An opaque `CBMi…` article id like Google's (no URL inside, as in 2024+ feeds)."""
    digest = hashlib.sha256(report.url.encode()).digest()
    return "CBMi" + base64.urlsafe_b64encode(b"AU_yqL" + digest * 2).decode().rstrip("=")


def google_link(report: Report) -> str:
    return f"https://news.google.com/rss/articles/{google_token(report)}?oc=5"


def google_news_rss(query: str, reports: Sequence[Report], *, now: datetime = NOW) -> str:
    items = []
    for r in reports:
        link = google_link(r)
        desc = (
            f'<a href="{link}" target="_blank">{escape(r.headline, quote=False)}</a>'
            f'&nbsp;&nbsp;<font color="#6f6f6f">{escape(r.outlet, quote=False)}</font>'
        )
        items.append(
            f"<item><title>{escape(r.headline)} - {escape(r.outlet)}</title>"
            f"<link>{link}</link>"
            f'<guid isPermaLink="false">{google_token(r)}</guid>'
            f"<pubDate>{format_datetime(r.published(now), usegmt=True)}</pubDate>"
            f"<description>{escape(desc)}</description>"
            # The outlet's site, where its articles are: a served report's own host, so
            # one outlet is one domain whichever engine listed it (as with real feeds).
            f'<source url="{escape(r.base or f"https://www.{r.domain}")}">'
            f"{escape(r.outlet)}</source></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss version="2.0" '
        'xmlns:media="http://search.yahoo.com/mrss/"><channel><generator>NFE/5.0</generator>'
        f"<title>\"{escape(query)}\" - Google News</title>"
        f"<link>https://news.google.com/search?q={quote_plus(query)}&amp;hl=en-US</link>"
        "<language>en-US</language><copyright>Copyright © 2026 Google.</copyright>"
        f"<lastBuildDate>{format_datetime(now, usegmt=True)}</lastBuildDate>"
        f"<description>Google News</description>{''.join(items)}</channel></rss>"
    )


def bing_link(url: str) -> str:
    """Bing's click-tracking link; the target is lower-case percent-encoded, as captured."""
    encoded = quote(url, safe="").replace("%3A", "%3a").replace("%2F", "%2f")
    return (
        "http://www.bing.com/news/apiclick.aspx?ref=FexRss&amp;aid=&amp;"
        f"tid=6a6a4d1609b5447b81258901dc55fdc6&amp;url={encoded}"
        "&amp;c=8551137128190457851&amp;mkt=en-us"
    )


def bing_news_rss(query: str, reports: Sequence[Report], *, now: datetime = NOW) -> str:
    ns = f"https://www.bing.com/news/search?q={quote_plus(query)}&amp;format=rss"
    items = []
    for r in reports:
        lead = r.lead[:90].rsplit(" ", 1)[0] + " ..."  # Bing truncates leads
        items.append(
            f"<item><title>{escape(r.headline)}</title><link>{bing_link(r.url)}</link>"
            f"<description>{escape(lead)}</description>"
            f"<pubDate>{format_datetime(r.published(now), usegmt=True)}</pubDate>"
            f"<News:Source>{escape(r.outlet)}</News:Source></item>\n"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8" ?><rss version="2.0" xmlns:News="{ns}">'
        f"<channel><title>{escape(query)} - BingNews</title><link>{ns}</link>"
        "<description>Search results</description>"
        "<copyright>Copyright \\xc2\\xa9 2026 Microsoft.</copyright>"
        f"{''.join(items)}</channel></rss>"
    )


def publisher_rss(title: str, reports: Sequence[Report], *, now: datetime = NOW,
                  tracking: str = "") -> str:
    """A publisher's own feed (BBC-style CDATA, optional tracking params on links)."""
    items = []
    for r in reports:
        link = r.url + tracking
        items.append(
            f"<item><title><![CDATA[{r.headline}]]></title>"
            f"<description><![CDATA[<p>{r.lead}</p>]]></description>"
            f"<link>{escape(link)}</link><guid isPermaLink=\"false\">{escape(link)}</guid>"
            f"<pubDate>{format_datetime(r.published(now), usegmt=True)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title><![CDATA[{title}]]></title><link>https://example.org/</link>"
        f"{''.join(items)}</channel></rss>"
    )


def gdelt_artlist(reports: Sequence[Report], *, now: datetime = NOW) -> str:
    """GDELT DOC artlist JSON with its tokenised titles and `:443` ports."""
    articles = []
    for r in reports:
        seen = r.published(now).replace(minute=r.published(now).minute // 15 * 15, second=0)
        # GDELT spaces punctuation out and drops apostrophes ("Russia far east").
        title = r.headline.replace(",", " ,").replace("-", " - ").replace("'s", "") + " "
        articles.append({
            "url": r.url.replace(f"www.{r.domain}", f"www.{r.domain}:443"),
            "url_mobile": "",
            "title": title,
            "seendate": seen.strftime("%Y%m%dT%H%M%SZ"),
            "socialimage": "",
            "domain": r.domain,
            "language": "English",
            "sourcecountry": "United States",
        })
    return json.dumps({"articles": articles}, indent=2)


# ---------------------------------------------------------------------------------------
# Serving on a FakeSite
# ---------------------------------------------------------------------------------------
GOOGLE_PATH = "/google/rss/search"
BING_PATH = "/bing/news/search"


def serve_search_feeds(
    site: FakeSite, topics: Mapping[str, Sequence[Report]], *, now: datetime = NOW
) -> list[str]:
    """Serve Google- and Bing-shaped search for `topics`; return NEWS_SEARCH_FEEDS templates.

    Google returns every report; Bing returns the newest half again (the same articles seen
    twice) with a utm-tagged duplicate of the first. Unknown queries get an empty feed.
    """

    def query_of(req: Request) -> str:
        return parse_qs(urlsplit(req.path).query).get("q", [""])[0]

    def google(req: Request) -> Response:
        q = query_of(req)
        return Response(google_news_rss(q, topics.get(q, ()), now=now),
                        content_type="application/xml; charset=utf-8")

    def bing(req: Request) -> Response:
        q = query_of(req)
        reports = sorted(topics.get(q, ()), key=lambda r: r.hours_ago)
        half = list(reports[: max(1, len(reports) // 2)]) if reports else []
        if half:
            half.append(replace(half[0], path=half[0].path + "?utm_source=bing&utm_medium=rss"))
        return Response(bing_news_rss(q, half, now=now), content_type="text/xml; charset=utf-8")

    site.route(GOOGLE_PATH, google)
    site.route(BING_PATH, bing)
    return [
        site.url(GOOGLE_PATH) + "?q={query}&hl={lang}&gl=US&ceid=US:{lang}",
        site.url(BING_PATH) + "?q={query}&format=rss&setlang={lang}",
    ]


# ---------------------------------------------------------------------------------------
# In-memory sources for digest tests (the real sources are tested against a FakeSite)
# ---------------------------------------------------------------------------------------
def as_items(
    reports: Sequence[Report], *, now: datetime = NOW, kind: str = "bing"
) -> list[NewsItem]:
    """NewsItems exactly as the real parser makes them from a Bing- or Google-shaped feed."""
    render = bing_news_rss if kind == "bing" else google_news_rss
    return parse_feed(render("topic", reports, now=now), feed_url="https://feed.example/")


class ListSource:
    """A Source that answers every topic with the same items and records what it was asked."""

    def __init__(self, name: str, items: Sequence[NewsItem]) -> None:
        self.name = name
        self._items = list(items)
        self.asked: list[tuple[str, str, datetime]] = []

    async def items(self, topic: str, *, lang: str, since: datetime) -> list[NewsItem]:
        self.asked.append((topic, lang, since))
        return list(self._items)


class FailingSource:
    """A Source whose upstream is down."""

    def __init__(self, name: str, error: Exception) -> None:
        self.name = name
        self.error = error

    async def items(self, topic: str, *, lang: str, since: datetime) -> list[NewsItem]:
        raise self.error
