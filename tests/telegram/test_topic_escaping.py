"""Topic names are the user's text: every reply shows them literally, never as markup.

Through the real bot and the strict fake Bot API, which rejects a bare `&` or an unknown
tag like Telegram does; a topic that is *valid* HTML (`<i>…</i>`) would pass there, so the
visible text is compared too: unescaped, the tags would vanish into formatting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakes.botapi import BotMessage, FakeBotAPI

USER = 1001
TOPIC = 'Tom & Jerry <i>"cartoons"</i>'
StartBot = Callable[..., Any]


async def say(api: FakeBotAPI, text: str) -> BotMessage:
    before = len(api.sent_to(USER))
    api.push_message(text, chat_id=USER)
    sent = await api.wait_for(lambda: (m if len(m := api.sent_to(USER)) > before else []),
                              timeout=10)
    return sent[before]


async def test_topic_names_with_markup_characters_are_shown_as_typed(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    async with start_bot():
        subscribed = await say(botapi, f"/subscribe {TOPIC}")
        duplicate = await say(botapi, f"/subscribe {TOPIC}")
        listed = await say(botapi, "/topics")
        removed = await say(botapi, f"/unsubscribe {TOPIC}")
    assert subscribed.text.startswith(f"Subscribed to {TOPIC}."), subscribed.text
    assert duplicate.text.startswith(f"You already follow {TOPIC}."), duplicate.text
    assert f"1. {TOPIC}\n" in listed.text, listed.text
    assert removed.text == f"Stopped following {TOPIC}.", removed.text
    # What went over the wire is escaped markup, the topic bold where the template says.
    assert "<b>Tom &amp; Jerry &lt;i&gt;" in subscribed.raw
