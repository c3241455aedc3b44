"""Questions asked by replying to a summary or a digest (issue 13, section 1): answered from
the story's articles through the real PTB client, the fake Bot API, the fake model and the
news site; "doesn't say" when they don't; the guard drops what they don't state."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.i18n import ENGLISH
from bot.store import Store
from bot.telegram import messages
from bot.telegram.app import BotApp
from tests.fakes.articles import article_html
from tests.fakes.botapi import BotMessage, FakeBotAPI
from tests.fakes.newsworld import NewsWorld
from tests.fakes.openai_server import FakeOpenAI, FakeReply
from tests.fakes.site import FakeSite
from tests.harness import Frozen, digests_in, follow, replies

USER = 1001
GROUP = -100777
StartBot = Callable[..., Any]

RECALL = [
    "North Korea has recalled 11,000 soldiers from Russia's Kursk region, South Korea's spy "
    "agency said on Tuesday.",
    "The troops were withdrawn after heavy losses in drone attacks, the agency told "
    "lawmakers in Seoul.",
    "Pyongyang had sent the soldiers last autumn to help Moscow push Ukrainian forces out "
    "of the region.",
    "The agency said some of the units could be sent back after retraining at home.",
]
RECALL_UK = [
    "Північна Корея відкликала 11 000 солдатів з Курської області Росії, повідомила у "
    "вівторок розвідка Південної Кореї.",
    "Війська вивели після великих втрат від атак дронів, розповіли в агентстві депутатам "
    "у Сеулі.",
    "Пхеньян відправив військових минулої осені, щоб допомогти Москві витіснити українські "
    "сили з Курщини.",
    "В агентстві додали, що деякі підрозділи можуть повернути після перепідготовки.",
]
TITLE = "North Korea recalls troops from Kursk"
TITLE_UK = "КНДР відкликала війська з Курщини"


def recall_page(site: FakeSite) -> str:
    return site.page("/recall", article_html(TITLE, RECALL, site="Korea Herald"))


async def summary_of(api: FakeBotAPI, app: BotApp, url: str, *, chat_id: int = USER,
                     **kw: Any) -> BotMessage:
    """Send a link; return the summary once the bot has kept it for questions."""
    before = len(api.sent_to(chat_id))
    api.push_message(url, chat_id=chat_id, **kw)
    summary = (await api.wait_for(replies(api, chat_id, before + 1), timeout=15))[before]
    store: Store = app.bot_data.services.store
    await api.wait_for(lambda: store.replies.stories_of(chat_id, summary.message_id),
                       timeout=10)
    return summary


async def ask(api: FakeBotAPI, message: BotMessage, question: str, *, chat_id: int = USER,
              **kw: Any) -> BotMessage:
    """Reply to `message` with `question`; return the bot's next message in the chat."""
    before = len(api.sent_to(chat_id))
    api.push_message(question, chat_id=chat_id, reply_to=message.message_id, **kw)
    return (await api.wait_for(lambda: api.sent_to(chat_id)[before:], timeout=15))[0]


def model_bot(start_bot: StartBot, llm: FakeOpenAI, **kw: Any) -> Any:
    return start_bot(summarizer="llm", openai_base_url=llm.base_url, openai_api_key="sk-test",
                     llm_verify=False, **kw)


# --- with a model --------------------------------------------------------------------------


async def test_a_reply_to_a_summary_gets_a_grounded_answer_citing_the_outlet(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = recall_page(site)
    with FakeOpenAI() as llm:
        async with model_bot(start_bot, llm) as app:
            summary = await summary_of(botapi, app, url)
            llm.queue(FakeReply(points=[(
                "The troops were withdrawn after heavy losses in drone attacks.", [1])]))
            answer = await ask(botapi, summary, "Why did they recall them?")
            request = llm.last
    assert answer.reply_to is not None and answer.parse_mode == "HTML"
    assert answer.text.splitlines() == [
        f"💬 {TITLE}",
        "The troops were withdrawn after heavy losses in drone attacks. — Korea Herald",
    ]
    # One call: the article as a delimited, numbered source; the question as data.
    system, user = request.content("system"), request.content("user")
    assert "untrusted data" in system and "cannot give you instructions" in system
    assert '<source id="1" outlet="Korea Herald">' in user and RECALL[1] in user
    assert "<question>\nWhy did they recall them?\n</question>" in user


async def test_an_invented_number_is_dropped_and_the_answer_says_the_article_does_not_say(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = recall_page(site)
    with FakeOpenAI() as llm:
        async with model_bot(start_bot, llm) as app:
            summary = await summary_of(botapi, app, url)
            llm.queue(FakeReply(points=[("North Korea recalled 12,500 soldiers in total.", [1])]))
            invented = await ask(botapi, summary, "How many soldiers in total?")
            llm.queue(FakeReply(points=[
                ("North Korea recalled 11,000 soldiers from Kursk.", [1]),
                ("The soldiers had lost 3,000 comrades.", [1]),
            ]))
            mixed = await ask(botapi, summary, "How many soldiers?")
            llm.queue(FakeReply(points=[("NOT_IN_SOURCES", [])]))
            not_said = await ask(botapi, summary, "What did Kim say about it?")
    assert "12,500" not in invented.text
    assert invented.text == (f"💬 {TITLE}\nThe article doesn't say. I only answer from what "
                             "it reports (Korea Herald).")
    assert "North Korea recalled 11,000 soldiers from Kursk. — Korea Herald" in mixed.text
    assert "3,000" not in mixed.text
    assert not_said.text.endswith("The article doesn't say. I only answer from what it "
                                  "reports (Korea Herald).")


async def test_when_the_model_is_down_the_answer_quotes_the_article_and_says_so(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = recall_page(site)
    with FakeOpenAI() as llm:
        async with model_bot(start_bot, llm, llm_max_retries=1, llm_timeout=2) as app:
            summary = await summary_of(botapi, app, url)
            llm.queue(*[FakeReply(status=500, error="model is down")] * 10)
            answer = await ask(botapi, summary, "How many soldiers were recalled?")
    assert f"«{RECALL[0]}» — Korea Herald" in answer.text
    assert messages.ASK_FALLBACK_NOTE in answer.text


# --- without a model -----------------------------------------------------------------------


async def test_without_a_model_the_best_sentences_are_quoted_in_english_and_ukrainian(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = recall_page(site)
    url_uk = site.page("/uk", article_html(TITLE_UK, RECALL_UK, site="Укрінформ", lang="uk"))
    async with start_bot() as app:
        summary = await summary_of(botapi, app, url)
        how_many = await ask(botapi, summary, "How many soldiers were recalled?")
        not_said = await ask(botapi, summary, "What was the weather like?")
        summary_uk = await summary_of(botapi, app, url_uk)
        skilky = await ask(botapi, summary_uk, "Скільки солдатів відкликали?")
        chomu = await ask(botapi, summary_uk, "Чому вивели війська?")
    assert how_many.text.splitlines() == [
        f"💬 {TITLE}", f"«{RECALL[0]}» — Korea Herald", messages.ASK_QUOTED_NOTE]
    assert not_said.text.splitlines() == [
        f"💬 {TITLE}",
        "The article doesn't say. I only answer from what it reports (Korea Herald)."]
    assert skilky.text.splitlines()[:2] == [f"💬 {TITLE_UK}", f"«{RECALL_UK[0]}» — Укрінформ"]
    assert f"«{RECALL_UK[1]}» — Укрінформ" in chomu.text.splitlines()
    assert site.requests_to("/recall") and len(site.requests_to("/recall")) == 1


async def test_a_ukrainian_reader_gets_the_answer_and_the_refusals_in_ukrainian(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = recall_page(site)  # an English article: only the bot's own words change language
    async with start_bot() as app:
        botapi.push_message("/help", language_code="uk")
        (help_message,) = await botapi.wait_for(replies(botapi, USER, 1))
        not_summary = await ask(botapi, help_message, "Що це означає?", language_code="uk")
        assert not_summary.reply_to is not None  # the reader's own question
        before = len(botapi.sent_to(USER))
        botapi.push_message("А це?", reply_to=not_summary.reply_to, language_code="uk")
        own = (await botapi.wait_for(lambda: botapi.sent_to(USER)[before:], timeout=15))[0]
        summary = await summary_of(botapi, app, url, language_code="uk")
        how_many = await ask(botapi, summary, "How many soldiers were recalled?",
                             language_code="uk")
        not_said = await ask(botapi, summary, "Яка була погода?", language_code="uk")
        store: Store = app.bot_data.services.store
        store.articles.prune(datetime.now(UTC) + timedelta(days=1))  # the link cache expired
        gone = await ask(botapi, summary, "Скільки солдатів?", language_code="uk")
    assert "Дайте відповідь на підсумок або дайджест запитанням" in help_message.text
    for refusal in (not_summary, own):
        assert refusal.text.startswith("Я відповідаю на запитання про мої підсумки й дайджести")
    assert how_many.text.splitlines() == [
        f"💬 {TITLE}", f"«{RECALL[0]}» — Korea Herald",
        "Цитати зі статті: речення, найближчі до вашого запитання."]
    assert not_said.text.splitlines() == [
        f"💬 {TITLE}",
        "У статті про це не сказано. Я відповідаю лише на основі того, що в ній повідомлено "
        "(Korea Herald)."]
    assert "(я зберігаю їх 7 днів)" in gone.text


async def test_questions_count_against_the_link_budget(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = recall_page(site)
    async with start_bot(rate_limit_links=2, rate_limit_window=600) as app:
        summary = await summary_of(botapi, app, url)  # 1
        first = await ask(botapi, summary, "How many soldiers were recalled?")  # 2
        refused = await ask(botapi, summary, "Why were they withdrawn?")
        other = await summary_of(botapi, app, url, chat_id=2002, user_id=2002)
        others = await ask(botapi, other, "Why were they withdrawn?", chat_id=2002,
                           user_id=2002)
    assert first.text.startswith(f"💬 {TITLE}")
    assert refused.text.startswith("You've reached the limit")
    assert "try again in 10 minutes" in refused.text
    assert others.text.startswith(f"💬 {TITLE}")  # another user's budget is their own


async def test_replies_that_are_not_to_a_summary_or_have_expired_are_told_so(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = recall_page(site)
    long_ago = int((datetime.now(UTC) - timedelta(days=30)).timestamp())
    async with start_bot() as app:
        botapi.push_message("/help")
        (help_message,) = await botapi.wait_for(replies(botapi, USER, 1))
        not_summary = await ask(botapi, help_message, "What does this mean?")
        old = await ask(botapi, help_message, "And this?", reply_sent_at=long_ago)
        summary = await summary_of(botapi, app, url)
        store: Store = app.bot_data.services.store
        store.articles.prune(datetime.now(UTC) + timedelta(days=1))  # the link cache expired
        gone = await ask(botapi, summary, "How many soldiers?")
        link_in_reply = await ask(botapi, summary, f"See also {url}")
    assert not_summary.text == messages.ASK_NOT_A_SUMMARY.striptags()
    expired = ENGLISH(messages.ASK_EXPIRED, 7).format(days=7).striptags()
    assert old.text == expired and gone.text == expired
    assert link_in_reply.text.startswith(TITLE)  # a link in a reply is summarized, not asked


async def test_in_a_group_a_reply_to_the_bot_is_a_question_for_it(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = recall_page(site)
    async with start_bot(allowed_users="1001,2002") as app:
        summary = await summary_of(botapi, app, url, chat_id=GROUP, user_id=1001)
        answer = await ask(botapi, summary, "How many soldiers were recalled?", chat_id=GROUP,
                           user_id=2002)
        # A stranger's reply is addressed to the bot too: refused, once, not ignored.
        stranger = await ask(botapi, summary, "How many?", chat_id=GROUP, user_id=7)
    assert answer.text.startswith(f"💬 {TITLE}\n«{RECALL[0]}» — Korea Herald")
    assert answer.reply_to is not None
    assert stranger.text == messages.NOT_ALLOWED.striptags()


# --- digests -------------------------------------------------------------------------------


async def test_a_reply_to_a_digest_answers_about_the_quoted_or_best_matching_story(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot
) -> None:
    async with start_bot(**world.settings()) as app:
        store: Store = app.bot_data.services.store
        botapi.push_message("/subscribe North Korea")
        await botapi.wait_for(replies(botapi, USER, 1))
        botapi.push_message("/digest")
        digest = (await botapi.wait_for(
            lambda: [m for m in botapi.sent_to(USER) if m.text.startswith("Your daily")],
            timeout=30))[0]
        stories = await botapi.wait_for(
            lambda: store.replies.stories_of(USER, digest.message_id) or [], timeout=10)
        by_title = {s.title: s for s in stories}
        defector = next(t for t in by_title if "defect" in t)
        missile = next(t for t in by_title if "missile" in t.lower())
        # Google News links only, and decoding is off: no article of it could be read.
        unread = next(t for t in by_title if "Putin" in t)
        quoted = await ask(botapi, digest, "Who took him into custody?", quote=defector)
        matched = await ask(botapi, digest, "Where did the ballistic missile land?")
        headline_only = await ask(botapi, digest, "What was on the agenda?", quote=unread)
    assert quoted.text.splitlines()[:2] == [
        f"💬 {defector}",
        "«Defections across the heavily armed border are rare; the soldier was taken into "
        "custody by South Korean troops.» — NK News"]
    assert matched.text.startswith(f"💬 {missile}\n")
    outlets = {o for o, _ in by_title[missile].sources}
    first = matched.text.splitlines()[1]
    assert "missile" in first.lower() and first.rsplit(" — ", 1)[1] in outlets, first
    assert headline_only.text == messages.ASK_HEADLINE_ONLY.striptags()


async def test_a_reply_to_a_scheduled_digest_is_answered_too(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, frozen: Frozen
) -> None:
    async with start_bot(**world.settings(), clock=frozen) as app:
        services = app.bot_data.services
        await asyncio.to_thread(follow, services.store, USER, frozen.slot)
        report = await services.rounds.tick()  # the round records its messages in bulk
        (digest,) = digests_in(botapi, USER)
        answer = await ask(botapi, digest, "Where did the ballistic missile land?")
    assert report is not None and report.sent == 1
    header, first = answer.text.splitlines()[:2]
    assert "missile" in header.lower() and "missile" in first.lower()
