"""Every story that can be read has points: Google-only stories through the fake decoder."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aiolimiter import AsyncLimiter

from bot.config import Settings
from bot.news.cluster import cluster
from bot.news.dedupe import dedupe
from bot.news.feed import parse_feed
from bot.news.google import GoogleNewsDecoder, article_id
from bot.news.story import make_story, merge_related
from bot.pipeline import Pipeline
from bot.rounds import ChatDigest, Digests
from bot.telegram.digest_render import render_digest
from tests.fakes.articles import article_html
from tests.fakes.cli import newsbot
from tests.fakes.google_decoder import FakeGoogleDecoder, serve_google_decoder
from tests.fakes.newsfeeds import google_token
from tests.fakes.newsworld import NewsWorld, outlet_host
from tests.fakes.site import FakeSite

BEARS_EARS = "datasets/news-feeds/google-news/calebwhite-io__monument-watch/google_news.xml"


# `newsbot digest` reads the news world from the environment.
pytestmark = pytest.mark.usefixtures("world_in_env")


@pytest.fixture
def google(site: FakeSite, world: NewsWorld) -> FakeGoogleDecoder:
    fake = serve_google_decoder(site)
    for report in world.reports["North Korea"]:
        fake.add(google_token(report), report.url)
    return fake


def test_google_only_stories_get_points_when_decoding_is_on(
    world: NewsWorld, google: FakeGoogleDecoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_NEWS_DECODE", "true")
    monkeypatch.setenv("GOOGLE_NEWS_URL", google.url)
    proc = newsbot("digest", "North Korea", "--json")
    assert proc.returncode == 0, proc.stderr
    stories = json.loads(proc.stdout)["stories"]
    google_only = [s for s in stories if s["url"].startswith("https://news.google.com/")]
    assert google_only  # the fake world has stories only Google carries
    leads = " ".join(r.lead for r in world.reports["North Korea"])
    for story in stories:
        assert 1 <= len(story["points"]) <= 3, story
        assert story["points"][0] in leads  # read from the publisher's page
    assert google.decoded  # ...found through the decoder


def test_with_decoding_off_the_story_says_only_its_headline_was_read(
    world: NewsWorld, google: FakeGoogleDecoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_NEWS_DECODE", "false")
    monkeypatch.setenv("GOOGLE_NEWS_URL", google.url)
    proc = newsbot("digest", "North Korea")
    assert proc.returncode == 0, proc.stderr
    assert "(only the headline could be read)" in proc.stdout
    assert google.decoded == [] and not google.site.requests_to("/_/DotsSplashUi/data/batchexecute")


async def test_a_failed_decode_falls_back_to_the_headline_and_says_so(
    world: NewsWorld, google: FakeGoogleDecoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    google.rate_limited = True  # Google has had enough of us today
    settings = Settings(google_news_decode=True, google_news_url=google.url)
    digests = Digests(settings, pipeline=Pipeline.build(settings))
    try:
        topic = await digests.topic_digest("North Korea")
    finally:
        await digests.pipeline.fetcher.aclose()
    failed = [s for s in topic.stories if s.url.startswith("https://news.google.com/")]
    assert failed and all(s.points == () for s in failed)
    assert all(s.points for s in topic.stories if s not in failed)  # the others still read
    text = "\n".join(render_digest(ChatDigest(1, None, "en", (topic,))))
    assert text.count("Only the headline could be read.") == len(failed)


async def test_share_of_stories_with_points_on_the_real_google_capture(
    site: FakeSite, shared_dir: Path
) -> None:
    """The captured "Bears Ears" search (92 items, every link a token), decoded by the fake."""
    raw = (shared_dir / BEARS_EARS).read_bytes()
    items = dedupe(parse_feed(raw, feed_url="https://news.google.com/rss/search"))
    topic = '"Bears Ears" monument'
    stories = merge_related([make_story(g, topic=topic) for g in cluster(items, topic=topic)],
                            topic=topic)
    assert all(item.is_token_link for s in stories for item in s.items)

    fake = serve_google_decoder(site)
    hosts = {site.host}
    for n, item in enumerate(items):
        token = article_id(item.url)
        assert token
        host = outlet_host(item.outlet_domain or "news.example", site.port)
        hosts.add(host)
        path = f"/story/{n}"
        site.page(path, article_html(item.title, _paragraphs(item.title, item.outlet),
                                     site=item.outlet))
        fake.add(token, f"http://{host}{path}")

    shares = {}
    for decode in (False, True):
        settings = Settings(fetch_allow_private_hosts=sorted(hosts), fetch_timeout=5,
                            google_news_decode=decode, google_news_url=fake.url)
        pipeline = Pipeline.build(settings)
        # Pacing has its own test; here every story is decoded without waiting.
        decoder = GoogleNewsDecoder(pipeline.fetcher, base_url=fake.url,
                                    limiter=AsyncLimiter(1000, 1))
        digests = Digests(settings, pipeline=pipeline, google=decoder if decode else None)
        try:
            with_points = [bool(await digests.summarize_story(s, "en")) for s in stories]
        finally:
            await pipeline.fetcher.aclose()
        shares[decode] = sum(with_points) / len(stories)
    print(f"\nBears Ears capture: {len(items)} items, {len(stories)} stories; share with "
          f"points: decoding off {shares[False]:.0%}, on {shares[True]:.0%}")
    assert shares[False] == 0.0  # every link is a token: nothing can be read without decoding
    assert shares[True] == 1.0


def _paragraphs(title: str, outlet: str) -> list[str]:
    words = re.sub(r"[^\w\s-]", "", title)
    return [
        f"{title}. {outlet} reported the news on Monday, citing officials familiar with it.",
        f"The report, headlined \"{words}\", drew reactions from tribes, ranchers and "
        "state officials across Utah within hours.",
        "Supporters of the monuments said they would challenge any change in court, while "
        "county commissioners welcomed the decision as long overdue.",
        "The Interior Department did not answer questions about the timing of the decision.",
    ]
