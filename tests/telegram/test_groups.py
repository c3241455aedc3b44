"""Groups: only administrators change a group's settings; buttons work only where and for whom
they were offered; a private bot stays quiet in groups (issue 8, item 5)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.telegram import messages
from tests.fakes.botapi import BotMessage, FakeBotAPI
from tests.fakes.site import FakeSite

GROUP = -100777
ADMIN, OTHER_ADMIN, MEMBER = 1001, 3003, 2002
StartBot = Callable[..., Any]


def sent(api: FakeBotAPI, n: int, chat_id: int) -> Callable[[], list[BotMessage]]:
    return lambda: (m if len(m := api.sent_to(chat_id)) >= n else [])


async def say(api: FakeBotAPI, text: str, *, chat_id: int = GROUP, **kw: Any) -> BotMessage:
    """Send `text` to the chat and return the bot's next message there."""
    before = len(api.sent_to(chat_id))
    api.push_message(text, chat_id=chat_id, **kw)
    return (await api.wait_for(sent(api, before + 1, chat_id), timeout=10))[before]


async def press(api: FakeBotAPI, message: BotMessage, data: str, *, user_id: int) -> str | None:
    """Press (or forge) `data` on `message`; return the text of the bot's callback answer."""
    before = len(api.calls("answerCallbackQuery"))
    api.push_callback_query(message, data, user_id=user_id)
    calls = await api.wait_for(
        lambda: (c if len(c := api.calls("answerCallbackQuery")) > before else []))
    text = calls[before].params.get("text")
    return str(text) if text is not None else None


async def test_in_a_group_only_admins_change_settings(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    botapi.set_admins(GROUP, ADMIN)
    async with start_bot() as app:
        store = app.bot_data.services.store
        ok = await say(botapi, "/subscribe@newsbot_test_bot Chess", user_id=ADMIN)
        refusals = [await say(botapi, command, user_id=MEMBER) for command in (
            "/subscribe Go", "/unsubscribe Chess", "/unsubscribe", "/time 07:30 Europe/Kyiv",
            "/lang de", "/forget")]
        chat = store.chats.get(GROUP)
        topics = [s.topic for s in store.subscriptions.for_chat(GROUP)]
        # Reading is for everyone.
        listed = await say(botapi, "/topics", user_id=MEMBER)
        member_checks = [c for c in botapi.calls("getChatMember")
                         if c.params["user_id"] == MEMBER]
        # An anonymous admin writes as the group: that is an admin too.
        anon = await say(botapi, "/time 07:30 Europe/Kyiv", user_id=ADMIN, anonymous_admin=True)
        zone = store.chats.get(GROUP).timezone
        # The member's own private chat is theirs to configure.
        private = await say(botapi, "/subscribe Go", chat_id=MEMBER, user_id=MEMBER)
    assert ok.text.startswith("Subscribed to Chess")
    assert [r.text for r in refusals] == [messages.ADMINS_ONLY] * 6
    assert topics == ["Chess"] and chat.timezone == "UTC" and chat.language in (None, "en")
    assert "1. Chess" in listed.text
    assert len(member_checks) == 1  # asked once, then cached
    assert anon.text.startswith("Your digest comes every day at 07:30 (Europe/Kyiv)")
    assert zone == "Europe/Kyiv"
    assert private.text.startswith("Subscribed to Go")


async def test_group_buttons_work_only_for_admins_and_the_one_who_asked(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    botapi.set_admins(GROUP, ADMIN, OTHER_ADMIN)
    async with start_bot() as app:
        store = app.bot_data.services.store
        await say(botapi, "/subscribe Chess", user_id=ADMIN)
        picker = await say(botapi, "/unsubscribe", user_id=ADMIN)
        (_, chess), = picker.buttons()
        member_unsub = await press(botapi, picker, chess, user_id=MEMBER)
        assert [s.topic for s in store.subscriptions.for_chat(GROUP)] == ["Chess"]
        ask = await say(botapi, "/forget", user_id=ADMIN)
        (_, yes), (_, no) = ask.buttons()
        member_yes = await press(botapi, ask, yes, user_id=MEMBER)
        other_admin_yes = await press(botapi, ask, yes, user_id=OTHER_ADMIN)
        other_admin_no = await press(botapi, ask, no, user_id=OTHER_ADMIN)
        still_there = store.chats.get(GROUP) is not None
        prompt_untouched = botapi.sent_to(GROUP)[-1].edits == 0
        await press(botapi, ask, yes, user_id=ADMIN)
        await botapi.wait_for(lambda: botapi.sent_to(GROUP)[-1].edits == 1)
        done = botapi.sent_to(GROUP)[-1]
        gone = store.chats.get(GROUP) is None
    assert member_unsub == messages.ADMINS_ONLY
    assert member_yes == messages.ADMINS_ONLY
    assert other_admin_yes == other_admin_no == messages.NOT_YOUR_PROMPT
    assert still_there and prompt_untouched
    assert done.text == messages.FORGOTTEN and gone


async def test_a_prompt_asked_by_an_anonymous_admin_can_be_answered_by_any_admin(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    botapi.set_admins(GROUP, ADMIN)
    async with start_bot() as app:
        store = app.bot_data.services.store
        await say(botapi, "/subscribe Chess", user_id=ADMIN)
        # Pressing a button reveals who pressed: the admin behind the anonymous prompt.
        ask = await say(botapi, "/forget", user_id=ADMIN, anonymous_admin=True)
        (_, yes), _ = ask.buttons()
        refused = await press(botapi, ask, yes, user_id=MEMBER)
        await press(botapi, ask, yes, user_id=ADMIN)
        await botapi.wait_for(lambda: botapi.sent_to(GROUP)[-1].edits == 1)
        gone = store.chats.get(GROUP) is None
    assert refused == messages.ADMINS_ONLY and gone


async def test_forged_forget_data_does_not_wipe_the_chat(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    user = ADMIN  # a private chat: its own user may do anything, but only through a prompt
    async with start_bot() as app:
        store = app.bot_data.services.store
        subscribed = await say(botapi, "/subscribe Chess", chat_id=user, user_id=user)
        picker = await say(botapi, "/unsubscribe", chat_id=user, user_id=user)
        answers = [
            # The old callback data, onto another keyboard and onto a message with none.
            await press(botapi, picker, "forget:yes", user_id=user),
            await press(botapi, subscribed, "forget:yes", user_id=user),
            # The new form, naming the right user, still not offered by that message.
            await press(botapi, picker, f"forget:yes:{user}", user_id=user),
            # A topic's button forged onto a message that never offered it.
            await press(botapi, subscribed, picker.buttons()[0][1], user_id=user),
        ]
        intact = [s.topic for s in store.subscriptions.for_chat(user)]
        # A real prompt, answered once; pressing its (now removed) button again does nothing.
        ask = await say(botapi, "/forget", chat_id=user, user_id=user)
        (_, yes), (_, no) = ask.buttons()
        await press(botapi, ask, no, user_id=user)
        await botapi.wait_for(lambda: botapi.sent_to(user)[-1].edits == 1)
        again = await press(botapi, botapi.sent_to(user)[-1], yes, user_id=user)
        after_cancel = store.chats.get(user) is not None
    assert answers == [messages.PROMPT_STALE] * 4
    assert intact == ["Chess"]
    assert again == messages.PROMPT_STALE and after_cancel


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_private_bot_is_quiet_in_groups_and_refuses_once_a_day_per_chat(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    from tests.fakes.articles import article_html

    url = site.page("/a", article_html())
    stranger, friend, other_group = 7, 42, -100888
    clock = Clock()

    topics_reply = messages.NO_TOPICS.replace("<code>", "").replace("</code>", "")

    async def settled(chat_id: int, refusals: int) -> list[str]:
        # Updates are handled concurrently, so the stranger's refusal may be sent after the
        # allowed user's /topics answer: wait for both, then take what the chat holds. A
        # refusal sent twice would still show, in this phase or the next one's count.
        def count(text: str) -> int:
            return sum(m.text == text for m in botapi.sent_to(chat_id))

        before = count(topics_reply)
        botapi.push_message("/topics", chat_id=chat_id, user_id=friend)
        await botapi.wait_for(lambda: count(topics_reply) > before
                              and count(messages.NOT_ALLOWED) >= refusals)
        return [m.text for m in botapi.sent_to(chat_id)]

    async with start_bot(allowed_users=str(friend), clock=clock):
        botapi.push_message("good morning everyone", chat_id=GROUP, user_id=stranger)
        botapi.push_message("/start@some_other_bot", chat_id=GROUP, user_id=stranger)
        quiet = await settled(GROUP, refusals=0)
        for text in (f"look {url}", "/start@newsbot_test_bot", "/subscribe Chess"):
            botapi.push_message(text, chat_id=GROUP, user_id=stranger)
        first_day = await settled(GROUP, refusals=1)
        botapi.push_message(f"look {url}", chat_id=other_group, user_id=stranger)
        other = await settled(other_group, refusals=1)
        clock.now += timedelta(days=1)
        botapi.push_message("/digest", chat_id=GROUP, user_id=stranger)
        next_day = (await settled(GROUP, refusals=2))[len(first_day):]
    assert quiet == [topics_reply]  # only the friend's /topics was answered
    # Three messages from the stranger, one refusal (in whatever order the sends finished).
    assert Counter(first_day) == Counter([topics_reply, messages.NOT_ALLOWED, topics_reply])
    assert Counter(other) == Counter([messages.NOT_ALLOWED, topics_reply])
    assert Counter(next_day) == Counter([messages.NOT_ALLOWED, topics_reply])
    assert site.history == []
