"""A whole news world on one loopback site: search feeds plus every outlet's article pages.

Each outlet gets its own host name under `.localhost` (always loopback), so outlets stay
distinct by domain while one FakeSite serves them all; the bot fetches the real pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from tests.fakes.articles import article_html
from tests.fakes.newsfeeds import Report, serve_search_feeds
from tests.fakes.site import FakeSite


@dataclass(frozen=True)
class NewsWorld:
    templates: list[str]  # NEWS_SEARCH_FEEDS
    allow_hosts: list[str]  # FETCH_ALLOW_PRIVATE_HOSTS
    reports: dict[str, list[Report]]  # as served, by topic

    def env(self) -> dict[str, str]:
        """The environment that points the CLI at this world."""
        return {
            "NEWS_SEARCH_FEEDS": ",".join(self.templates),
            "FETCH_ALLOW_PRIVATE_HOSTS": ",".join(self.allow_hosts),
        }

    def settings(self) -> dict[str, Any]:
        """Settings overrides that point the bot at this world: `start_bot(**world.settings())`.

        The fetch timeout is generous: under a loaded CI machine a page of the loopback
        site can take seconds, and a timeout there is not what these tests are about.
        """
        return {"news_search_feeds": self.templates,
                "fetch_allow_private_hosts": self.allow_hosts, "fetch_timeout": 5.0}


def outlet_host(domain: str, port: int) -> str:
    return f"{domain.replace('.', '-')}.localhost:{port}"


def article_paragraphs(report: Report) -> list[str]:
    """A body long enough not to be a teaser, faithful to the report's lead."""
    return [
        report.lead,
        f"{report.outlet} reported the details on the day. Officials gave no further "
        "comment when asked about the timing.",
        "Analysts said the development was in line with recent patterns and that more "
        "information was expected in the coming days.",
        "Reporters on the ground described a calm situation, with daily life continuing "
        "largely as normal in the capital.",
    ]


def serve_news_world(
    site: FakeSite,
    topics: Mapping[str, Sequence[Report]],
    *,
    now: datetime | None = None,
) -> NewsWorld:
    """Serve Google/Bing-shaped search feeds for `topics` and every article they link to."""
    now = now or datetime.now(UTC)
    local: dict[str, list[Report]] = {}
    hosts: set[str] = {site.host}
    for topic, reports in topics.items():
        local[topic] = []
        for report in reports:
            host = outlet_host(report.domain, site.port)
            hosts.add(host)
            moved = replace(report, base=f"http://{host}")
            local[topic].append(moved)
            site.page(report.path, article_html(
                report.headline, article_paragraphs(report), site=report.outlet,
                published=report.published(now).isoformat(),
            ))
    templates = serve_search_feeds(site, local, now=now)
    return NewsWorld(templates, sorted(hosts), local)
