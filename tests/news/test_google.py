"""Google News token links → publisher URLs, the way Google's page does it, against a fake."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from aiolimiter import AsyncLimiter

from bot.config import Settings
from bot.fetch import Fetcher
from bot.news.google import GoogleNewsDecoder, article_id, offline_url, url_from_answer
from tests.fakes.google_decoder import FakeGoogleDecoder, serve_google_decoder
from tests.fakes.site import FakeSite

TOKEN = "CBMiwwFBVV95cUxQZmFrZTEyMw"  # new-style: the URL is not inside
LINK = f"https://news.google.com/rss/articles/{TOKEN}?oc=5"


PACE = 0.2  # seconds between decodes here (1 s in production)


class FakeClock:
    """The decoder's clock (for how long a failure is remembered): it moves when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now



def _decoder(fetcher: Fetcher, fake: FakeGoogleDecoder, clock: FakeClock) -> GoogleNewsDecoder:
    return GoogleNewsDecoder(
        fetcher, base_url=fake.url, clock=clock,
        limiter=AsyncLimiter(1, PACE),
    )


@pytest.fixture
def fake(site: FakeSite) -> FakeGoogleDecoder:
    return serve_google_decoder(site)


async def test_token_is_resolved_through_page_signature_and_batchexecute(
    site: FakeSite, fake: FakeGoogleDecoder
) -> None:
    fake.add(TOKEN, "https://www.reuters.com/world/asia/kim-recalls-generals-2026-07-14/")
    clock = FakeClock()
    async with Fetcher(Settings(fetch_allow_private_hosts=[site.host])) as fetcher:
        decoder = _decoder(fetcher, fake, clock)
        url = await decoder.resolve(LINK)
        again = await decoder.resolve(LINK)  # cached: Google is not asked twice

    assert url == again == "https://www.reuters.com/world/asia/kim-recalls-generals-2026-07-14/"
    page, post = site.history
    assert page.method == "GET" and page.path.startswith(f"/rss/articles/{TOKEN}")
    assert post.method == "POST" and post.path.startswith("/_/DotsSplashUi/data/batchexecute")
    assert post.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert fake.decoded == [TOKEN]


async def test_decodes_are_paced(site: FakeSite, fake: FakeGoogleDecoder) -> None:
    tokens = [f"CBMiAU_yqL{n}" for n in range(3)]
    for n, token in enumerate(tokens):
        fake.add(token, f"https://news.example/{n}")
    clock = FakeClock()
    async with Fetcher(Settings(fetch_allow_private_hosts=[site.host])) as fetcher:
        decoder = _decoder(fetcher, fake, clock)
        started = time.monotonic()
        found = [await decoder.resolve(f"https://news.google.com/rss/articles/{t}")
                 for t in tokens]
        took = time.monotonic() - started

    assert found == [f"https://news.example/{n}" for n in range(3)]
    # A decode against the fake takes milliseconds: each later one waited for its turn.
    assert took >= 2 * PACE * 0.95


@pytest.mark.parametrize("how", ["page 429", "rate-limited answer", "unknown token"])
async def test_any_failure_gives_none_and_is_not_retried_at_once(
    site: FakeSite, fake: FakeGoogleDecoder, how: str
) -> None:
    if how == "page 429":
        fake.add(TOKEN, "https://news.example/a")
        fake.fail_pages.add(TOKEN)
    elif how == "rate-limited answer":
        fake.add(TOKEN, "https://news.example/a")
        fake.rate_limited = True
    clock = FakeClock()
    async with Fetcher(Settings(fetch_allow_private_hosts=[site.host], fetch_timeout=5)) as f:
        decoder = _decoder(f, fake, clock)
        assert await decoder.resolve(LINK) is None
        asked = len(site.history)
        assert await decoder.resolve(LINK) is None
    assert len(site.history) == asked  # the failure is remembered for a while


async def test_decoder_goes_through_the_ssrf_guard(site: FakeSite, fake: FakeGoogleDecoder) -> None:
    fake.add(TOKEN, "https://news.example/a")
    # GOOGLE_NEWS_URL on a private address that is not explicitly allowed: refused, unasked.
    async with Fetcher(Settings()) as fetcher:
        decoder = _decoder(fetcher, fake, FakeClock())
        assert await decoder.resolve(LINK) is None
    assert site.history == []


def test_old_tokens_decode_offline_and_new_ones_do_not(shared_dir: Path) -> None:
    feeds = shared_dir / "datasets/news-feeds/google-news"
    old = (feeds / "introduction-to-python-bsuir-2019__PythonHomework/google_news.xml").read_text()
    new = (feeds / "calebwhite-io__monument-watch/google_news.xml").read_text()
    old_link = re.search(r"<link>(https://news\.google\.com/__i/rss/rd/articles/[^<]+)", old)
    new_link = re.search(r"<link>(https://news\.google\.com/rss/articles/[^<]+)", new)
    assert old_link and new_link
    old_token = article_id(old_link.group(1))
    new_token = article_id(new_link.group(1))
    assert old_token and new_token
    assert offline_url(old_token) == (
        "https://www.washingtonpost.com/politics/impeachment-hearings-live-updates/2019/11/14/"
        "703b27da-0660-11ea-8292-c46ee8cb3dce_story.html"
    )
    assert offline_url(new_token) is None


def test_answers_are_read_in_both_of_googles_shapes() -> None:
    row = '["wrb.fr","Fbv4je","[\\"garturlres\\",\\"https://www.bbc.co.uk/news/x\\",1]",null,null,null,"generic"]'
    plain = ")]}'\n\n[" + row + ',["di",27],["af.httprm",26,"-642",3]]'
    chunked = ")]}'\n\n" + f"{len(row) + 4}\n[{row}]\n25\n[[\"di\",27]]\n"
    assert url_from_answer(plain) == url_from_answer(chunked) == "https://www.bbc.co.uk/news/x"
    assert url_from_answer(")]}'\n\n[[\"e\",4,null,null,131]]") is None
    assert url_from_answer("<html>sorry</html>") is None
    assert article_id("https://example.com/rss/articles/CBMi") is None
