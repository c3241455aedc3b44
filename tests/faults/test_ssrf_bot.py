"""SSRF through the bot: private targets in every spelling get "address not allowed".

The unit tables (30+ address forms) live in tests/test_fetch.py and tests/test_netguard.py;
this checks the same guard end to end, as a user would meet it. An "intranet" FakeSite on
loopback stands for the private service: nothing may reach it. The public-looking site that
redirects is the only host on the allow list.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from bot import errors
from bot.cache import SummaryCache
from bot.config import Settings
from bot.fetch import Fetcher
from bot.i18n import ENGLISH
from bot.pipeline import Pipeline
from bot.summarize.factory import build_summarizer
from bot.telegram import messages
from tests.fakes.articles import article_html
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.site import FakeDNS, FakeSite, Response
from tests.harness import StartBot, replies


@pytest.fixture
def intranet() -> Iterator[FakeSite]:
    with FakeSite() as private:
        private.page("/latest/meta-data/", "<html><body><p>secret-key</p></body></html>")
        private.page("/", article_html("Internal wiki"))
        yield private


async def test_private_targets_get_the_address_not_allowed_answer(
    botapi: FakeBotAPI, site: FakeSite, intranet: FakeSite, start_bot: StartBot
) -> None:
    port = intranet.port
    # A name that resolves to a private address: 10.0.0.1, or the intranet site itself.
    dns = (FakeDNS().add("intranet.example", ["10.0.0.1"])
           .add("wiki.example", ["127.0.0.1"]))
    redirect = site.route("/go", Response(status=302, headers={
        "Location": f"http://127.0.0.1:{port}/latest/meta-data/"}))
    links = [
        "http://169.254.169.254/latest/meta-data/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f.1:{port}/",
        "http://intranet.example/admin",
        f"http://wiki.example:{port}/",
        redirect,
    ]

    # Takes the bot's cache when the app passes one (its factory signature is growing).
    def pipeline_with_fake_dns(settings: Settings, cache: SummaryCache | None = None) -> Pipeline:
        return Pipeline(settings, fetcher=Fetcher(settings, resolver=dns),
                        summarizer=build_summarizer(settings), cache=cache)

    users = {link: 6000 + n for n, link in enumerate(links)}
    async with start_bot(pipeline_factory=pipeline_with_fake_dns):
        for link, user in users.items():
            botapi.push_message(link, user_id=user)
        answers = {link: (await botapi.wait_for(replies(botapi, user)))[0]
                   for link, user in users.items()}

    for link, answer in answers.items():
        host = urlsplit(link).hostname or ""
        assert answer.text == messages.failure(ENGLISH, errors.BlockedAddress(""), host), link
    assert intranet.history == []  # nothing private was contacted, not even once
    assert [r.path for r in site.history] == ["/go"]  # the redirect itself was allowed
    assert {name for name, _ in dns.history} == {"intranet.example", "wiki.example"}
