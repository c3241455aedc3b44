"""End to end: topic commands through the real bot, the fake Bot API and a loopback news world."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from bot.i18n import translator
from bot.telegram import messages
from tests.fakes.botapi import BotMessage, FakeBotAPI
from tests.fakes.newsworld import NewsWorld
from tests.fakes.site import FakeSite, Response

USER = 1001
StartBot = Callable[..., Any]


def sent(api: FakeBotAPI, n: int, chat_id: int = USER) -> Callable[[], list[BotMessage]]:
    """A predicate: the bot's messages in the chat once there are at least `n`."""
    return lambda: (m if len(m := api.sent_to(chat_id)) >= n else [])


async def say(api: FakeBotAPI, text: str, *, chat_id: int = USER, **kw: Any) -> BotMessage:
    """Send `text` as the user and return the bot's next message in that chat."""
    before = len(api.sent_to(chat_id))
    api.push_message(text, chat_id=chat_id, **kw)
    return (await api.wait_for(sent(api, before + 1, chat_id), timeout=10))[before]


async def test_subscribe_topics_and_digest_then_nothing_new(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot
) -> None:
    async with start_bot(**world.settings()) as app:
        ok = await say(botapi, "/subscribe North Korea")
        listed = await say(botapi, "/topics")
        digest = await say(botapi, "/digest")
        again = await say(botapi, "/digest")
        store = app.bot_data.services.store
        assert [s.topic for s in store.subscriptions.for_chat(USER)] == ["North Korea"]
    assert "Subscribed to North Korea" in ok.text and "(08:00 UTC)" in ok.text
    assert "next digest comes in" in ok.text
    assert "1. North Korea" in listed.text and "every day at 08:00 (UTC)" in listed.text
    assert digest.parse_mode == "HTML" and len(digest.text) <= 4096
    body = digest.text
    assert body.startswith("Your daily digest") and "🗞 North Korea\n" in body
    assert "missile" in body.split("\n")[3].lower()  # the most-reported story comes first
    assert "reported by 4 outlets: " in body
    # Read from several outlets, each bullet names the outlets that state it (italics).
    missile = body.split("\n\n")[1] if "\n\n" in body else body
    cited = [ln.rsplit(" — ", 1)[1] for ln in missile.splitlines()
             if ln.startswith("• ") and " — " in ln]
    assert len(cited) >= 2 and len(set(cited)) >= 2, missile
    assert "<i>— " in digest.raw
    assert body.count("reported by") == 3 and "tourists" not in body
    assert "<b>North Korea</b>" in digest.raw and '<a href="' in digest.raw
    preview = digest.link_preview
    assert preview is not None and preview["prefer_small_media"] is True
    # The first story's article, which is also one of its source links.
    assert f'<a href="{html.escape(preview["url"])}">' in digest.raw.split("reported by 4")[1]
    # A second /digest repeats nothing, in one line per topic, without a preview.
    # The previous digest was a moment ago, not yesterday: it says so.
    assert "Nothing new on North Korea since your last digest" in again.text
    assert "reported by" not in again.text
    assert again.link_preview in (None, {"is_disabled": True})


async def test_unsubscribe_with_the_keyboard_and_by_name(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot
) -> None:
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        for topic in ("Climate policy", "Elections " + "x" * 80, "Chess"):
            await say(botapi, f"/subscribe {topic}")
        picker = await say(botapi, "/unsubscribe")
        buttons = picker.buttons()
        assert next(text for text, _ in buttons) == "Climate policy"
        assert all(len(data.encode()) <= 64 for _, data in buttons)  # the fake checks it too
        botapi.push_callback_query(picker, buttons[0][1])
        await botapi.wait_for(lambda: botapi.sent_to(USER)[-1].edits == 1)
        edited = botapi.sent_to(USER)[-1]
        assert edited.message_id == picker.message_id
        assert edited.text == "Stopped following Climate policy. Remove another?"
        assert len(edited.buttons()) == 2
        # The same (stale) button again: nothing to remove, and nothing breaks.
        botapi.push_callback_query(picker, buttons[0][1])
        await botapi.wait_for(lambda: len(botapi.calls("answerCallbackQuery")) == 2)
        gone = await say(botapi, "/unsubscribe chess")
        missing = await say(botapi, "/unsubscribe Atlantis")
        left = [s.topic for s in store.subscriptions.for_chat(USER)]
    assert left == ["Elections " + "x" * 80]
    assert gone.text == "Stopped following chess."
    assert missing.text.startswith("You don't follow Atlantis")


async def test_time_is_validated_and_shown(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot
) -> None:
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        usage = await say(botapi, "/time")
        bad_time = await say(botapi, "/time 25:61")
        words = await say(botapi, "/time tomorrow")
        bad_zone = await say(botapi, "/time 07:30 Mars/Olympus_Mons")
        assert store.chats.get(USER).timezone == "UTC"  # nothing changed so far
        ok = await say(botapi, "/time 7:30 europe/kyiv")
        chat = store.chats.get(USER)
        await say(botapi, "/subscribe Chess")
        listed = await say(botapi, "/topics")
    assert "Usage: /time HH:MM" in usage.text and "Now: 08:00 (UTC)" in usage.text
    assert "can't read 25:61 as a time" in bad_time.text and "/time 07:30 Europe/Kyiv" in (
        bad_time.text)
    assert "can't read tomorrow as a time" in words.text
    assert "don't know the timezone Mars/Olympus_Mons" in bad_zone.text
    assert "/time 07:30 Europe/Kyiv" in bad_zone.text
    assert (chat.digest_time.hour, chat.digest_time.minute, chat.timezone) == (
        7, 30, "Europe/Kyiv")
    assert ok.text.startswith("Your digest comes every day at 07:30 (Europe/Kyiv)")
    assert "every day at 07:30 (Europe/Kyiv)" in listed.text


async def test_subscription_limits_get_clear_answers(
    botapi: FakeBotAPI, site: FakeSite, world: NewsWorld, start_bot: StartBot
) -> None:
    site.route("/feed.xml", Response(RSS, content_type="application/rss+xml"))
    page = site.page("/not-a-feed", "<html><body><p>Hello</p></body></html>")
    async with start_bot(**world.settings(), max_topics_per_chat=3) as app:
        store = app.bot_data.services.store
        usage = await say(botapi, "/subscribe")
        short = await say(botapi, "/subscribe x")
        long = await say(botapi, "/subscribe " + "y" * 101)
        await say(botapi, "/subscribe North Korea")
        duplicate = await say(botapi, "/subscribe north   KOREA")
        bad_url = await say(botapi, "/subscribe ftp://example.com/feed")
        not_feed = await say(botapi, f"/subscribe {page}")
        feed = await say(botapi, f"/subscribe {site.url('/feed.xml')}")
        await say(botapi, "/subscribe Chess")
        too_many = await say(botapi, "/subscribe Go")
        kinds = [(s.kind, s.topic) for s in store.subscriptions.for_chat(USER)]
    assert usage.text.startswith("Usage: /subscribe TOPIC") and "North Korea" in usage.text
    assert short.text.startswith("A topic must be 2 to 100 characters long")
    assert long.text.startswith("A topic must be 2 to 100 characters long")
    assert duplicate.text.startswith("You already follow north KOREA")
    assert bad_url.text.startswith("That doesn't look like a feed address")
    assert "isn't an RSS or Atom feed" in not_feed.text
    assert feed.text.startswith("Subscribed to the feed http://127.0.0.1:")
    assert too_many.text.startswith("You already follow 3 topics")
    assert kinds == [("search", "North Korea"), ("feed", site.url("/feed.xml")),
                     ("search", "Chess")]


async def test_group_commands_addressed_to_the_bot_work(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot
) -> None:
    group = -100777
    botapi.set_admins(group, USER)  # in groups, only admins change settings
    async with start_bot(**world.settings()) as app:
        ok = await say(botapi, "/subscribe@newsbot_test_bot Climate", chat_id=group)
        listed = await say(botapi, "/topics@newsbot_test_bot", chat_id=group)
        subs = app.bot_data.services.store.subscriptions.for_chat(group)
    assert ok.text.startswith("Subscribed to Climate")
    assert "1. Climate" in listed.text and [s.topic for s in subs] == ["Climate"]


async def test_forget_asks_first_then_deletes_everything(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot
) -> None:
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        await say(botapi, "/start", language_code="de")
        assert store.chats.get(USER).language == "de"  # first contact stores the language
        await say(botapi, "/subscribe Chess")
        ask = await say(botapi, "/forget")
        (yes, yes_data), (_no, no_data) = ask.buttons()
        botapi.push_callback_query(ask, no_data)
        await botapi.wait_for(lambda: botapi.sent_to(USER)[-1].edits == 1)
        # The chat is German: so are the prompt, its buttons and the answers.
        de = translator("de")
        assert botapi.sent_to(USER)[-1].text == de(messages.FORGET_CANCELLED)
        assert store.chats.get(USER) is not None
        ask = await say(botapi, "/forget")
        assert ask.text.startswith("Alles löschen, was ich über diesen Chat speichere")
        assert yes == de(messages.FORGET_YES) == "Ja, alles löschen"
        botapi.push_callback_query(ask, yes_data)
        await botapi.wait_for(lambda: botapi.sent_to(USER)[-1].edits == 1)
        done = botapi.sent_to(USER)[-1]
        assert store.chats.get(USER) is None and store.subscriptions.for_chat(USER) == []
    assert done.text == de(messages.FORGOTTEN) and done.buttons() == []


RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Example Wire</title><link>http://example.org/</link>
<item><title>Something happened</title><link>http://example.org/a</link>
<pubDate>Wed, 25 Nov 2026 10:00:00 GMT</pubDate><description>It did.</description></item>
</channel></rss>"""
