"""Issue 11 item 5 in the chat, through the fake Bot API: /lang says what it can do, an
unknown command points at /help in private and stays quiet in groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakes.botapi import BotMessage, FakeBotAPI

USER = 1001
GROUP = -100777
StartBot = Callable[..., Any]


def replies(api: FakeBotAPI, chat_id: int, n: int) -> Callable[[], list[BotMessage]]:
    def check() -> list[BotMessage]:
        sent = api.sent_to(chat_id)
        return sent if len(sent) >= n else []

    return check


async def test_lang_without_a_model_says_translation_needs_one_and_keeps_the_language(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    async with start_bot(summarizer="extractive") as app:
        botapi.push_message("/lang pt")  # no catalog, and no model to translate summaries
        (answer,) = await botapi.wait_for(replies(botapi, USER, 1))
        stored = await app.bot_data.services.chats.language(USER)
        botapi.push_message("/lang de")  # a catalog: the bot's own words can change
        _, switched = await botapi.wait_for(replies(botapi, USER, 2))
        now = await app.bot_data.services.chats.language(USER)
    assert "Translation needs a language model" in answer.text
    assert "article's own language" in answer.text
    assert "from now on" not in answer.text  # no promise it can't keep
    assert stored != "pt"  # nothing stored that the next summary would not honour
    # In German, and saying the summaries stay as they are.
    assert switched.text.startswith("Ab jetzt schreibe ich auf Deutsch.")
    assert "Die Zusammenfassungen bleiben in der Sprache des Artikels" in switched.text
    assert now == "de"


async def test_lang_refuses_codes_that_are_not_languages(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    async with start_bot(summarizer="llm", openai_base_url="http://127.0.0.1:9/v1") as app:
        # One at a time: updates run concurrently, and once /lang de is handled the bot
        # answers in German, so sent together the refusals' language would be a race.
        for n, command in enumerate(("/lang xx", "/lang klingon", "/lang de"), start=1):
            botapi.push_message(command)
            sent = await botapi.wait_for(replies(botapi, USER, n))
        stored = await app.bot_data.services.chats.language(USER)
    texts = [m.text for m in sent]
    assert texts[0].startswith("xx is not a language code"), texts
    assert texts[1].startswith("klingon is not a language code"), texts
    assert texts[2] == "Ab jetzt schreibe ich auf Deutsch — auch die Zusammenfassungen.", texts
    assert stored == "de"


async def test_an_unknown_command_in_private_points_at_help(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    async with start_bot():
        botapi.push_message("/summarise http://example.com")
        (answer,) = await botapi.wait_for(replies(botapi, USER, 1))
    assert answer.text == "I don't know /summarise. /help lists what I can do."


async def test_an_unknown_command_in_a_group_is_left_to_other_bots(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    async with start_bot():
        botapi.push_message("/weather Kyiv", chat_id=GROUP)
        botapi.push_message("/help", chat_id=GROUP)  # answered: the bot is listening
        await botapi.wait_for(replies(botapi, GROUP, 1))
        await botapi.wait_for(replies(botapi, GROUP, 1))
    sent = botapi.sent_to(GROUP)
    assert len(sent) == 1 and "/subscribe" in sent[0].text
