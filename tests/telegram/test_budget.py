"""One budget per user for everything that fetches or calls the model (issue 8, item 3):
links, feed checks and on-demand digests share RATE_LIMIT_LINKS per RATE_LIMIT_WINDOW; only
work done is paid for; /subscribe checks what costs nothing before it fetches; /digest on
demand is capped per chat and hour."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.articles import article_html
from tests.fakes.botapi import BotMessage, FakeBotAPI
from tests.fakes.newsworld import NewsWorld
from tests.fakes.site import FakeSite, Response

USER = 1001
StartBot = Callable[..., Any]

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Example Wire</title><link>http://example.org/</link>
<item><title>Something happened</title><link>http://example.org/a</link>
<pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate><description>It did.</description></item>
</channel></rss>"""


async def say(api: FakeBotAPI, text: str, *, chat_id: int = USER, **kw: Any) -> BotMessage:
    """Send `text` and return the bot's answer: its next message that isn't "Reading …"."""
    before = len(api.sent_to(chat_id))

    def answered() -> list[BotMessage]:
        new = api.sent_to(chat_id)[before:]
        return new if new and not new[0].text.startswith("Reading ") else []

    api.push_message(text, chat_id=chat_id, **kw)
    return (await api.wait_for(answered, timeout=15))[0]


async def test_subscribe_checks_duplicates_and_the_cap_before_fetching_the_feed(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    feed = site.route("/feed.xml", Response(RSS, content_type="application/rss+xml"))
    other = site.route("/other.xml", Response(RSS, content_type="application/rss+xml"))
    async with start_bot(max_topics_per_chat=2):
        answers = [await say(botapi, f"/subscribe {feed}") for _ in range(25)]
        await say(botapi, "/subscribe Chess")
        full = await say(botapi, f"/subscribe {other}")
    assert answers[0].text.startswith("Subscribed to the feed")
    assert {a.text for a in answers[1:]} == {
        f"You already follow {feed}. /topics shows the list."}
    assert len(site.requests_to("/feed.xml")) == 1  # 25 identical /subscribe: one fetch
    assert full.text.startswith("You already follow 2 topics")
    assert site.requests_to("/other.xml") == []


async def test_links_feed_checks_and_digests_share_one_budget(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    good = site.page("/good", article_html("A good story"))
    later = site.page("/later", article_html("A later story"))
    missing = site.url("/missing")
    feed = site.route("/feed.xml", Response(RSS, content_type="application/rss+xml"))
    feed2 = site.route("/feed2.xml", Response(RSS, content_type="application/rss+xml"))
    async with start_bot(**world.settings(), rate_limit_links=3, rate_limit_window=600):
        failed = await say(botapi, missing)  # failed links cost nothing…
        first = await say(botapi, good)  # 1
        cached = await say(botapi, good)  # …and neither do cached answers
        subscribed = await say(botapi, f"/subscribe {feed}")  # 2
        await say(botapi, "/subscribe North Korea")  # no fetch: free
        digest = await say(botapi, "/digest")  # 3
        link_refused = await say(botapi, later)
        feed_refused = await say(botapi, f"/subscribe {feed2}")
        digest_refused = await say(botapi, "/digest")
        # Another user's budget is their own.
        other = await say(botapi, later, chat_id=2002, user_id=2002)
    assert "doesn't exist (HTTP 404)" in failed.text
    assert first.text.startswith("A good story") and cached.text.startswith("A good story")
    assert len(site.requests_to("/good")) == 1
    assert subscribed.text.startswith("Subscribed to the feed")
    assert digest.text.startswith("Your daily digest")
    for refused in (link_refused, feed_refused, digest_refused):
        assert refused.text.startswith("You've reached the limit of summaries, feed checks, "
                                       "digests and questions for now"), refused.text
        assert "try again in 10 minutes" in refused.text
    assert site.requests_to("/feed2.xml") == []
    assert other.text.startswith("A later story")
    assert len(site.requests_to("/later")) == 1  # only the other user's


async def test_digest_on_demand_is_capped_per_chat_and_says_how_long_to_wait(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot
) -> None:
    async with start_bot(**world.settings()):  # DIGEST_ON_DEMAND_PER_HOUR defaults to 3
        await say(botapi, "/subscribe North Korea")
        digests = [await say(botapi, "/digest") for _ in range(3)]
        fourth = await say(botapi, "/digest")
        searches = len(botapi.sent_to(USER))
    async with start_bot(**world.settings(), digest_on_demand_per_hour=1) as app:
        await say(botapi, "/digest", chat_id=-100500, user_id=USER)  # no topics: not counted
        app.bot_data.services.store.subscriptions.add(-100500, "North Korea")
        group_first = await say(botapi, "/digest", chat_id=-100500, user_id=USER)
        group_second = await say(botapi, "/digest", chat_id=-100500, user_id=USER)
    assert all(d.text.startswith("Your daily digest") for d in digests)
    assert fourth.text == (
        "This chat can ask for 3 digests an hour. The next one can come in 60 minutes; "
        "the daily digest still comes on time.")
    assert searches == 1 + 3 + 1
    assert group_first.text.startswith("Your daily digest")
    assert group_second.text.startswith("This chat can ask for 1 digest an hour.")


async def test_scheduled_digests_are_not_charged(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    # A clock 10 minutes after the chat's digest slot (near real time: the store stamps
    # subscriptions with the real time, and slots before them are not caught up on).
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=10)
    slot = (now - timedelta(minutes=5)).time()
    first = site.page("/first", article_html("First story"))
    second = site.page("/second", article_html("Second story"))
    async with start_bot(**world.settings(), rate_limit_links=1, clock=lambda: now,
                         digest_tick=0.05) as app:
        store = app.bot_data.services.store
        await asyncio.to_thread(store.subscriptions.add, USER, "North Korea")
        await asyncio.to_thread(store.chats.set_schedule, USER, slot, "UTC")
        await botapi.wait_for(lambda: [
            m for m in botapi.sent_to(USER) if m.text.startswith("Your daily digest")],
            timeout=15)
        link = await say(botapi, first)  # the whole budget of one is still there
        refused = await say(botapi, second)
    assert link.text.startswith("First story")
    assert refused.text.startswith("You've reached the limit")
