"""The bot speaks the reader's language, end to end: chosen from the Telegram app's
language_code, changed with /lang, in commands, errors, the menu, summaries and digests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.i18n import translator
from bot.news import DigestStory, TopicDigest
from bot.rounds import ChatDigest
from bot.telegram import messages
from bot.telegram.digest_render import render_digest
from bot.telegram.markup import to_plain
from tests.fakes.articles import article_html
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.site import FakeSite
from tests.harness import StartBot, replies

USER = 1001


async def test_a_ukrainian_app_gets_help_errors_and_the_menu_in_ukrainian(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    missing = site.url("/no-such-story")
    async with start_bot():
        for n, text in enumerate(("/help", "hello", "/weather", missing), 1):
            botapi.push_message(text, language_code="uk")
            await botapi.wait_for(replies(botapi, USER, n))
        help_, no_link, unknown, failed = botapi.sent_to(USER)
        uk_menu, pt_menu = botapi.commands_for("uk"), botapi.commands_for("pt")
        default_menu = botapi.commands
    assert help_.text.startswith("Як мною користуватися\n")
    assert "/subscribe ТЕМА — стежити за темою" in help_.text
    assert "Ліміт підсумків: 10 за 10 хвилин" in help_.text  # the duration in Ukrainian
    assert no_link.text.startswith("У цьому повідомленні я не знайшов посилання.")
    assert unknown.text == "Я не знаю команди /weather. /help покаже, що я вмію."
    assert failed.text.startswith("127.0.0.1 каже, що такої сторінки немає (HTTP 404).")
    # setMyCommands per language_code: a Ukrainian app shows the Ukrainian menu; a language
    # without a catalog gets the default (English) one.
    assert [c["command"] for c in uk_menu] == [c["command"] for c in default_menu]
    assert {c["command"]: c["description"] for c in uk_menu}["help"] == "Як користуватися"
    assert pt_menu == default_menu
    assert {c["command"]: c["description"] for c in default_menu}["help"] == "How to use it"


async def test_lang_switches_the_interface_and_the_summaries_and_auto_goes_back(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = site.page("/story", article_html())
    with FakeOpenAI() as llm:
        # The requests show which language the model was asked to write in.
        async with start_bot(summarizer="llm", openai_base_url=llm.base_url,
                             openai_api_key="sk-test", llm_max_retries=1, llm_timeout=5) as app:
            botapi.push_message("/lang de", language_code="uk")
            (switched,) = await botapi.wait_for(replies(botapi, USER, 1))
            botapi.push_message("/help", language_code="uk")
            _, help_ = await botapi.wait_for(replies(botapi, USER, 2))
            botapi.push_message(url, language_code="uk")
            *_, summary = await botapi.wait_for(replies(botapi, USER, 3), timeout=15)
            asked = [r.content("system") + r.content("user") for r in llm.history]
            botapi.push_message("/lang auto", language_code="uk")
            *_, back = await botapi.wait_for(replies(botapi, USER, 4))
            botapi.push_message("/start", language_code="uk")
            *_, welcome = await botapi.wait_for(replies(botapi, USER, 5))
            stored = await app.bot_data.services.chats.language(USER)
    assert switched.text == "Ab jetzt schreibe ich auf Deutsch — auch die Zusammenfassungen."
    assert help_.text.startswith("So benutzt du mich\n")
    assert asked and all("in German" in prompt for prompt in asked), asked
    assert "Zum Original" in summary.text
    # /lang auto: the Telegram app's language again (Ukrainian), said in it.
    assert back.text == translator("uk")(messages.LANG_AUTO)
    assert welcome.text.startswith("Привіт!")
    assert stored is None


def _story(n: int, outlets: int) -> DigestStory:
    return DigestStory(
        story_key=f"s{n}", headline=f"Story {n}", points=(f"Point of story {n}.",), lead="",
        url=f"https://e.x/{n}", sources=(("Reuters", f"https://e.x/{n}"),),
        outlet_count=outlets, is_update=False, member_urls=frozenset(),
        outlet_keys=frozenset(), signature=frozenset(), latest=datetime(2026, 12, 2, tzinfo=UTC),
    )


@pytest.mark.parametrize(("lang", "title", "counts"), [
    ("uk", "Ваш щоденний дайджест — 2 груд. 2026\u202fр.",
     {1: "про це пише 1 джерело", 2: "про це пишуть 2 джерела", 5: "про це пишуть 5 джерел",
      21: "про це пише 21 джерело"}),
    ("ru", "Ваш ежедневный дайджест — 2 дек. 2026\u202fг.",
     {1: "об этом пишет 1 источник", 3: "об этом пишут 3 источника",
      11: "об этом пишут 11 источников", 21: "об этом пишет 21 источник"}),
    ("en", "Your daily digest — 2 Dec 2026",
     {1: "reported by 1 outlet", 5: "reported by 5 outlets"}),
])
def test_a_digest_is_headed_and_counted_in_the_chats_language(
    lang: str, title: str, counts: dict[int, str]
) -> None:
    topic = TopicDigest(topic="Korea", stories=tuple(_story(n, c) for n, c in enumerate(counts)))
    quiet = TopicDigest(topic="Chess", stories=(), sources_asked=1)
    digest = ChatDigest(chat_id=1, local_date=date(2026, 12, 2), language=lang,
                        topics=(topic, quiet), today=date(2026, 12, 2),
                        previous=date(2026, 12, 1))
    (text,) = [to_plain(part) for part in render_digest(digest)]
    assert text.startswith(title + "\n")
    for words in counts.values():
        assert f"\n{words}: Reuters" in text, (words, text)
    nothing_new = {"uk": "Нічого нового на тему «Chess» з учорашнього дня",
                   "ru": "Ничего нового по теме «Chess» со вчерашнего дня",
                   "en": "Nothing new on Chess since yesterday"}[lang]
    assert nothing_new in text
