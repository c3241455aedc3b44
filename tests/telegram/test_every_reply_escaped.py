"""Every command, with `<b>&"` in what the user typed, through the real bot and the strict fake
Bot API: every reply is valid Telegram HTML and shows the user's text literally.

The fake refuses a bare `&` or `<` like Telegram, and the bot would then fall back to plain
text: so the test also asserts that Telegram never refused a message and that every one
went out as HTML. Valid markup that was not meant (`<b>` from a topic name) would parse, so
the visible text is compared with what the user typed too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from typing import Any, TypeVar

import pytest

from bot.telegram import messages
from bot.telegram.markup import to_plain
from tests.fakes.articles import article_html
from tests.fakes.botapi import BotMessage, Call, FakeBotAPI, parse_html
from tests.fakes.newsfeeds import NORTH_KOREA, Report, serve_search_feeds
from tests.fakes.newsworld import serve_news_world
from tests.fakes.site import FakeSite, Response

USER, GROUP, MEMBER = 1001, -100777, 2002
EVIL = '<b>&"'
TOPIC = f"Korea {EVIL}"
StartBot = Callable[..., Any]
SENDS = ("sendMessage", "editMessageText")
T = TypeVar("T")


class _EveryQuery(dict[str, Sequence[Report]]):
    """Search answers: the same hostile coverage whatever the query (however it is quoted)."""

    def get(self, key: str, default: Any = None) -> Any:
        return next(iter(self.values()))


@pytest.fixture
def hostile(site: FakeSite) -> Iterator[dict[str, Any]]:
    """A news world, an article page and a feed whose every text carries `<b>&"`."""
    reports = [Report(r.story, f"{EVIL} {r.outlet}", r.domain, f"{EVIL} {r.headline}",
                      f'{r.lead} Officials said "&" <b> was all.', r.path, r.hours_ago)
               for r in NORTH_KOREA[:4]]
    now = datetime.now(UTC)
    world = serve_news_world(site, {TOPIC: reports}, now=now)
    serve_search_feeds(site, _EveryQuery(world.reports), now=now)  # quoted or not
    site.page("/story", article_html(f"{EVIL} Tom & Jerry", [
        f"Tom and Jerry met in the kitchen on Monday, the studio said {EVIL} in a statement.",
        "The two have been rivals for more than eighty years, appearing in over 160 films.",
        "A new series is planned for next year, with the original music and animation.",
    ]))
    when = format_datetime(now - timedelta(hours=1), usegmt=True)
    site.route("/feed.xml", Response(f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{escape(EVIL)} Wire</title><link>{site.url("/")}</link>
<item><title>{escape(EVIL)} Something happened</title><link>{site.url("/story")}</link>
<pubDate>{when}</pubDate><description>{escape(EVIL)} It did.</description></item>
</channel></rss>""", content_type="application/rss+xml"))
    site.page("/not-a-feed", "<html><body><p>Hello</p></body></html>")
    yield {"news_search_feeds": world.templates,
           "fetch_allow_private_hosts": world.allow_hosts, "fetch_timeout": 5.0}


class Chat:
    """One side of a conversation: what the user says, what the bot answers."""

    def __init__(self, api: FakeBotAPI, chat_id: int, user_id: int) -> None:
        self.api, self.chat_id, self.user_id = api, chat_id, user_id

    async def say(self, text: str, **kw: Any) -> BotMessage:
        before = len(self.api.sent_to(self.chat_id))
        self.api.push_message(text, chat_id=self.chat_id, user_id=self.user_id, **kw)
        return (await self._next(lambda: (
            m if len(m := self.api.sent_to(self.chat_id)) > before else [])))[before]

    async def _next(self, answered: Callable[[], list[T]]) -> list[T]:
        """Wait for `answered`; fail at once (not after a timeout) if Telegram refused one."""
        seen = len(self.api.history)

        def done() -> tuple[list[T], list[Call]] | None:
            refused = [c for c in self.api.history[seen:]
                       if c.method in SENDS and c.status != 200]
            got = answered()
            return (got, refused) if got or refused else None

        outcome = await self.api.wait_for(done, timeout=30)
        assert outcome is not None
        got, refused = outcome
        assert not refused, f"Telegram refused: {[c.params.get('text') for c in refused]}"
        return got

    async def press(self, message: BotMessage, data: str) -> str | None:
        """Press a button under `message`; the callback answer's text (plain)."""
        before = len(self.api.calls("answerCallbackQuery"))
        self.api.push_callback_query(message, data, user_id=self.user_id)
        calls = await self._next(
            lambda: (c if len(c := self.api.calls("answerCallbackQuery")) > before else []))
        text = calls[before].params.get("text")
        return str(text) if text is not None else None

    async def edited(self, message: BotMessage, edits: int = 1) -> BotMessage:
        def now() -> list[BotMessage]:
            shown = [m for m in self.api.sent_to(self.chat_id)
                     if m.message_id == message.message_id]
            return shown if shown and shown[0].edits >= edits else []
        return (await self._next(now))[0]


def shows(message: BotMessage, *literal: str) -> str:
    """Assert `message` went out as valid HTML showing each of `literal`; its visible text."""
    assert message.parse_mode == "HTML", message
    assert parse_html(message.raw) == message.text
    for text in literal:
        assert text in message.text, (text, message.text)
    return message.text


async def test_every_reply_shows_what_the_user_typed(
    botapi: FakeBotAPI, site: FakeSite, hostile: dict[str, Any], start_bot: StartBot
) -> None:
    me, group, member = Chat(botapi, USER, USER), Chat(botapi, GROUP, USER), \
        Chat(botapi, GROUP, MEMBER)
    botapi.set_admins(GROUP, USER)
    feed = site.url(f"/feed.xml?q={EVIL}")
    story = site.url("/story?a=1&b=2")
    async with start_bot(**hostile) as app:
        store = app.bot_data.services.store
        shows(await me.say(f"/start {EVIL}"), "Send me a link")
        shows(await me.say(f"/help {EVIL}"), "How to use me")
        shows(await me.say(f"/lang {EVIL}"), f"{EVIL} is not a language code")
        shows(await me.say(f"/lang {EVIL} {EVIL}"), "Usage: /lang CODE")
        shows(await me.say(f"/subscribe {TOPIC}"), f"Subscribed to {TOPIC}.")
        shows(await me.say(f"/subscribe {TOPIC}"), f"You already follow {TOPIC}.")
        shows(await me.say(f"/subscribe {EVIL[:1]}"), "A topic must be 2 to 100")
        bad_url = shows(await me.say(f"/subscribe http://{EVIL}"),
                        "That doesn't look like a feed address")
        shows(await me.say(f"/subscribe {site.url('/not-a-feed')}?{EVIL}"),
              "isn't an RSS or Atom feed")
        subscribed_feed = await me.say(f"/subscribe {feed}")
        (saved_feed,) = [s.topic for s in store.subscriptions.for_chat(USER) if s.kind == "feed"]
        shows(subscribed_feed, f"Subscribed to the feed {saved_feed}.")
        assert "&" in saved_feed
        listed = shows(await me.say(f"/topics {EVIL}"), f"1. {TOPIC}\n",
                       f"2. {saved_feed} {messages.FEED_MARK}\n")
        shows(await me.say(f"/time {EVIL}"), f"I can't read {EVIL} as a time")
        shows(await me.say(f"/time 07:30 {EVIL}"), f"I don't know the timezone {EVIL}.")
        shows(await me.say("/time 07:30 Europe/Kyiv"), "every day at 07:30 (Europe/Kyiv)")
        # Topic names, headlines and outlets (in the sources line), from feeds and pages.
        digest = shows(await me.say(f"/digest {EVIL}"), f"🗞 {TOPIC}\n{EVIL} ",
                       f"outlets: {EVIL} ", f"🗞 {EVIL} Wire\n{EVIL} Something happened")
        shows(await me.say(f"/unsubscribe Atlantis {EVIL}"),
              f"You don't follow Atlantis {EVIL}.")
        picker = await me.say("/unsubscribe")
        shows(picker, "Which topic")
        labels = [label for label, _ in picker.buttons()]
        assert labels[0] == TOPIC, labels
        assert await me.press(picker, picker.buttons()[0][1]) is None
        shows(await me.edited(picker), f"Stopped following {TOPIC}. Remove another?")
        shows(await me.say(f"/unsubscribe {saved_feed}"), f"Stopped following {saved_feed}.")

        # A link, among the user's own markup-looking words.
        status = await me.say(f"{EVIL} look: {story}")
        shows(status, "Reading 127.0.0.1…")
        summary = shows(await me.edited(status), f"{EVIL} Tom & Jerry", "Read the original")
        assert 'href="' + story.replace("&", "&amp;") + '"' in status.raw or (
            'href="' + story.replace("&", "&#38;") + '"' in status.raw), status.raw
        shows(await me.say(f"no link here {EVIL}"), messages.NO_LINK)
        shows(await me.say(f"/nope{EVIL}"), f"I don't know /nope{EVIL}.")

        prompt = await me.say(f"/forget {EVIL}")
        shows(prompt, "Delete everything")
        await me.press(prompt, prompt.buttons()[1][1])
        shows(await me.edited(prompt), to_plain(messages.FORGET_CANCELLED))

        # Groups: the admin's commands echo the same way; a member's are refused (and the
        # refusal on a button is a plain-text answer); commands for other bots stay quiet.
        shows(await group.say(f"/subscribe@newsbot_test_bot {TOPIC}"), f"Subscribed to {TOPIC}.")
        shows(await member.say(f"/subscribe {EVIL}"), to_plain(messages.ADMINS_ONLY))
        group_picker = await group.say("/unsubscribe")
        refused = await member.press(group_picker, group_picker.buttons()[0][1])
        assert refused == to_plain(messages.ADMINS_ONLY)
        shows(await group.say(f"/topics@newsbot_test_bot {EVIL}"), f"1. {TOPIC}\n")
        before = len(botapi.sent_to(GROUP))
        botapi.push_message(f"/nope{EVIL}", chat_id=GROUP, user_id=USER)
        shows(await group.say(f"/time@newsbot_test_bot {EVIL}"), f"I can't read {EVIL}")
        assert len(botapi.sent_to(GROUP)) == before + 1  # nothing for the unknown command

    assert f"1. {TOPIC}" in listed and EVIL in digest and EVIL in summary and bad_url
    # Telegram never refused a message, and nothing fell back to plain text.
    sends = [c for c in botapi.history if c.method in SENDS]
    assert sends and all(c.status == 200 for c in sends), [
        c for c in sends if c.status != 200]
    assert {str(c.params.get("parse_mode")) for c in sends} == {"HTML"}
