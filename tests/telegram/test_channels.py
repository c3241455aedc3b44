"""Digests in channels and groups (issue 13, item 2): set up from a private chat with
`/subscribe @channel TOPIC`, checked with Telegram on every command, posted by the rounds."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.store import Chat, Store
from tests.fakes.botapi import BotMessage, FakeBotAPI
from tests.fakes.newsfeeds import FED, NORTH_KOREA, Report
from tests.fakes.newsworld import NewsWorld
from tests.harness import Frozen, StartBot, digests_in

CHANNEL, PRIVATE_CHANNEL, GROUP = -1001111111111, -1001234567890, -1002222222222
ADMIN, READER = 1001, 2002
TOPIC = "Північна Корея"


@pytest.fixture
def news_topics() -> Mapping[str, Sequence[Report]]:
    return {TOPIC: NORTH_KOREA, "Federal Reserve": FED}


@pytest.fixture
def channel(botapi: FakeBotAPI) -> int:
    """@kyiv_news: the bot is an administrator that may post; ADMIN administers it."""
    botapi.add_chat(CHANNEL, title="Новини Києва", username="kyiv_news")
    botapi.set_admins(CHANNEL, creator=ADMIN)
    return CHANNEL


def sent(api: FakeBotAPI, n: int, chat_id: int) -> Callable[[], list[BotMessage]]:
    return lambda: (m if len(m := api.sent_to(chat_id)) >= n else [])


async def say(api: FakeBotAPI, text: str, *, user_id: int = ADMIN, **kw: Any) -> BotMessage:
    """`text` from `user_id` in their private chat; the bot's answer there."""
    before = len(api.sent_to(user_id))
    api.push_message(text, user_id=user_id, **kw)
    # Generous: a loaded CI machine takes seconds per update; the wait ends on the answer.
    return (await api.wait_for(sent(api, before + 1, user_id), timeout=60))[before]


def kyiv_time(frozen: Frozen) -> str:
    """The frozen slot (UTC) as a Kyiv wall-clock time: the channel's own time zone."""
    slot = datetime.combine(frozen.slot_date, frozen.slot, UTC)
    return slot.astimezone(ZoneInfo("Europe/Kyiv")).strftime("%H:%M")


async def test_an_admin_subscribes_a_channel_and_the_round_posts_its_digest_there_once(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, frozen: Frozen, channel: int
) -> None:
    async with start_bot(**world.settings(), clock=frozen) as app:
        services = app.bot_data.services
        store = services.store
        ok = await say(botapi, f"/subscribe @kyiv_news {TOPIC}", language_code="uk")
        timed = await say(botapi, f"/time @Kyiv_News {kyiv_time(frozen)} europe/kyiv")
        listed = await say(botapi, "/topics @kyiv_news")
        report = await services.rounds.tick()
        again = await services.rounds.tick()
        row = store.chats.get(channel)
        subs = [s.topic for s in store.subscriptions.for_chat(channel)]
        own = store.subscriptions.for_chat(ADMIN)
    assert ok.text.startswith(f"@kyiv_news тепер стежить за темою {TOPIC}. Наступний дайджест")
    assert timed.text.startswith(
        f"Дайджест @kyiv_news надходитиме щодня о {kyiv_time(frozen)} (Europe/Kyiv)")
    assert "Теми @kyiv_news (1 з" in listed.text and f"1. {TOPIC}" in listed.text
    assert "/unsubscribe @kyiv_news ТЕМА" in listed.text
    assert subs == [TOPIC] and own == []  # the channel follows it, not the admin's own chat
    assert row is not None and row.timezone == "Europe/Kyiv" and row.active
    assert row.language == "uk"  # the digest starts in the language of who set it up
    assert report is not None and (report.sent, report.failed) == (1, 0)
    assert again is not None and again.due == 0
    (digest,) = digests_in(botapi, channel)
    # In Ukrainian, the language of the admin who set it up.
    assert digest.text.startswith("Ваш щоденний дайджест")
    assert f"🗞 {TOPIC}" in digest.text and "про це пишуть 4 джерела" in digest.text
    assert digests_in(botapi, ADMIN) == []  # posted in the channel only


async def test_each_refusal_says_what_is_wrong_and_changes_nothing(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, channel: int
) -> None:
    botapi.add_chat(-1003333333333, title="Nobody asked me", username="not_added", bot="left")
    botapi.add_chat(-1004444444444, title="Read only", username="no_post_right",
                    can_post=False)
    botapi.add_chat(GROUP, type="supergroup", title="Quiet group", username="quiet_group",
                    bot="restricted", can_post=False)
    for chat_id in (-1003333333333, -1004444444444, GROUP):
        botapi.set_admins(chat_id, ADMIN)
    botapi.push_message("/start", user_id=ADMIN)  # a person other users can't subscribe
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        # The /start pushed before the bot started must be answered before `say` counts
        # answers, or its welcome would be taken for the answer to a later command.
        await botapi.wait_for(sent(botapi, 1, ADMIN), timeout=60)
        reader = await say(botapi, f"/subscribe @kyiv_news {TOPIC}", user_id=READER)
        not_in = await say(botapi, f"/subscribe @not_added {TOPIC}")
        no_right = await say(botapi, f"/subscribe @no_post_right {TOPIC}")
        muted = await say(botapi, f"/subscribe @quiet_group {TOPIC}")
        unknown = await say(botapi, f"/subscribe @no_such_channel {TOPIC}")
        bad = await say(botapi, f"/subscribe @x! {TOPIC}")
        wrong_id = await say(botapi, f"/subscribe -100999 {TOPIC}")
        usage = await say(botapi, "/subscribe @kyiv_news")
        helped = await say(botapi, "/help")
        reader_topics = await say(botapi, "/topics @kyiv_news", user_id=READER)
        reader_time = await say(botapi, "/time @kyiv_news 07:30", user_id=READER)
        reader_unsub = await say(botapi, f"/unsubscribe @kyiv_news {TOPIC}", user_id=READER)
        chats = {chat_id: (store.chats.get(chat_id), store.subscriptions.for_chat(chat_id))
                 for chat_id in (CHANNEL, -1003333333333, -1004444444444, GROUP)}
    assert reader.text == "Only administrators of @kyiv_news can change its digest."
    assert [r.text for r in (reader_topics, reader_time, reader_unsub)] == [reader.text] * 3
    assert not_in.text.startswith("I'm not in @not_added. Add me to it as an administrator")
    assert no_right.text.startswith("I'm in @no_post_right but can't post there.")
    assert muted.text.startswith("I can't send messages in @quiet_group.")
    assert unknown.text.startswith("I can't find @no_such_channel.")
    assert wrong_id.text.startswith("I can't find -100999.")
    assert bad.text.startswith("@x! isn't a channel or group I can look up")
    assert usage.text.startswith("Usage: /subscribe @kyiv_news TOPIC")
    assert "/subscribe @channel TOPIC — the digest in a channel or group" in helped.text
    # Nothing was stored for any of them: not even an empty chat to deliver to.
    assert all(row is None and subs == [] for row, subs in chats.values()), chats


async def test_a_private_channel_by_numeric_id_with_topics_unsubscribe_and_time(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot
) -> None:
    botapi.add_chat(PRIVATE_CHANNEL, title="Closed <club> & co")  # no @username
    botapi.set_admins(PRIVATE_CHANNEL, ADMIN)
    ref = str(PRIVATE_CHANNEL)
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        ok = await say(botapi, f"/subscribe {ref} {TOPIC}")
        await say(botapi, f"/subscribe {ref} Federal Reserve")
        duplicate = await say(botapi, f"/subscribe {ref} північна КОРЕЯ")
        listed = await say(botapi, f"/topics {ref}")
        gone = await say(botapi, f"/unsubscribe {ref} Federal Reserve")
        missing = await say(botapi, f"/unsubscribe {ref} Atlantis")
        no_topic = await say(botapi, f"/unsubscribe {ref}")
        time_usage = await say(botapi, f"/time {ref}")
        bad_zone = await say(botapi, f"/time {ref} 07:30 Mars/Olympus_Mons")
        timed = await say(botapi, f"/time {ref} 07:30 Europe/Kyiv")
        row = store.chats.get(PRIVATE_CHANNEL)
        subs = [s.topic for s in store.subscriptions.for_chat(PRIVATE_CHANNEL)]
        own_chat = store.chats.get(ADMIN)
    name = "Closed <club> & co"  # its title, escaped on the way (the fake parses the HTML)
    assert ok.text.startswith(f"{name} now follows {TOPIC}.") and f"/topics {ref}" in ok.text
    assert duplicate.text.startswith(f"{name} already follows північна КОРЕЯ.")
    assert f"Topics of {name} (2 of" in listed.text
    assert f"1. {TOPIC}" in listed.text and "2. Federal Reserve" in listed.text
    assert gone.text == f"{name} no longer follows Federal Reserve."
    assert missing.text.startswith(f"{name} doesn't follow Atlantis.")
    assert no_topic.text.startswith(f"Usage: /unsubscribe {ref} TOPIC.")
    assert time_usage.text.startswith(f"Usage: /time {ref} HH:MM Area/City")
    assert "Now: 08:00 (UTC)" in time_usage.text
    assert "don't know the timezone Mars/Olympus_Mons" in bad_zone.text
    assert timed.text.startswith(f"The digest of {name} comes every day at 07:30 (Europe/Kyiv)")
    assert subs == [TOPIC]
    assert row is not None and (row.digest_time.hour, row.digest_time.minute) == (7, 30)
    assert row.timezone == "Europe/Kyiv"
    assert own_chat is not None and own_chat.timezone == "UTC"  # the admin's chat unchanged


async def test_a_channel_that_kicked_the_bot_goes_quiet_until_subscribed_again(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, frozen: Frozen, channel: int
) -> None:
    async with start_bot(**world.settings(), clock=frozen) as app:
        services = app.bot_data.services
        store = services.store
        await say(botapi, f"/subscribe @kyiv_news {TOPIC}")
        await say(botapi, f"/time @kyiv_news {kyiv_time(frozen)} Europe/Kyiv")
        told = len(botapi.sent_to(ADMIN))
        botapi.set_bot(channel, "kicked")
        report = await services.rounds.tick()
        again = await services.rounds.tick()
        paused = store.chats.get(channel)
        posts = [c.status for c in botapi.calls("sendMessage")
                 if c.params.get("chat_id") == channel]
        quiet = len(botapi.sent_to(ADMIN)) == told  # nobody was messaged about it
        still_out = await say(botapi, "/topics @kyiv_news")
        botapi.set_bot(channel, "administrator")
        back = await say(botapi, "/subscribe @kyiv_news Federal Reserve")
        resumed = store.chats.get(channel)
        later = await say(botapi, "/topics @kyiv_news")
    assert report is not None and (report.sent, report.gone) == (0, 1)
    assert again is not None and again.due == 0  # no further attempts
    assert posts == [403]
    assert paused is not None and paused.active is False
    assert quiet
    assert still_out.text.startswith("I'm not in @kyiv_news.")
    assert back.text.startswith("I couldn't post in @kyiv_news before (was I removed?)")
    assert "@kyiv_news now follows Federal Reserve" in back.text
    assert resumed is not None and resumed.active is True
    assert "couldn't post" not in later.text  # said once


async def test_removing_the_bot_or_its_post_right_pauses_the_channel(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, channel: int
) -> None:
    async with start_bot(**world.settings()) as app:
        store = app.bot_data.services.store
        await say(botapi, f"/subscribe @kyiv_news {TOPIC}")
        states = []
        for new in (_admin(botapi, can_post=False), _admin(botapi, can_post=True),
                    {"status": "kicked", "user": _bot(botapi), "until_date": 0}):
            botapi.push_update({"my_chat_member": {
                "chat": {"id": channel, "title": "Новини Києва", "type": "channel",
                         "username": "kyiv_news"},
                "from": {"id": ADMIN, "is_bot": False, "first_name": "Ada"},
                "date": 1764633600,
                "old_chat_member": _admin(botapi, can_post=True),
                "new_chat_member": new,
            }})
            expected = new.get("can_post_messages") is True
            row = await botapi.wait_for(_active_is(store, channel, expected))
            states.append(row is not None and row.active)
    assert states == [False, True, False]


def _active_is(store: Store, chat_id: int, want: bool) -> Callable[[], Chat | None]:
    return lambda: (r if (r := store.chats.get(chat_id)) and r.active is want else None)


def _bot(api: FakeBotAPI) -> dict[str, Any]:
    return {"id": api.bot_id, "is_bot": True, "first_name": "Newsbot",
            "username": api.bot_username}


def _admin(api: FakeBotAPI, *, can_post: bool) -> dict[str, Any]:
    return {"status": "administrator", "user": _bot(api), "can_be_edited": False,
            "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
            "can_manage_video_chats": False, "can_restrict_members": True,
            "can_promote_members": False, "can_change_info": False, "can_invite_users": True,
            "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False,
            "can_post_messages": can_post, "can_edit_messages": can_post}



async def test_channel_answers_come_in_the_language_of_who_asks(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, channel: int
) -> None:
    async with start_bot(**world.settings()) as app:
        refused = await say(botapi, f"/subscribe @kyiv_news {TOPIC}", user_id=READER,
                            language_code="uk")
        ok = await say(botapi, f"/subscribe @kyiv_news {TOPIC}", language_code="uk")
        unknown = await say(botapi, "/topics @nema_takoho", language_code="uk")
        row = app.bot_data.services.store.chats.get(channel)
    assert refused.text == "Змінювати дайджест @kyiv_news можуть лише його адміністратори."
    assert ok.text.startswith(f"@kyiv_news тепер стежить за темою {TOPIC}.")
    assert unknown.text.startswith("Не можу знайти @nema_takoho.")
    assert row is not None and row.language == "uk"  # its digest starts in Ukrainian
