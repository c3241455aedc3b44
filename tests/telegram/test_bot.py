"""End to end: the real bot, over HTTP, against a fake Bot API and a fake news site."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.pipeline import Pipeline
from bot.telegram import messages
from bot.telegram.app import build_application
from tests.fakes.articles import SEED_TITLE, article_html
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.runner import fast_limiter, running
from tests.fakes.site import FakeSite
from tests.harness import StartBot, replies

USER = 1001


async def test_start_explains_the_bot_and_registers_commands(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    async with start_bot():
        assert [c["command"] for c in botapi.commands] == [
            "start", "help", "subscribe", "topics", "unsubscribe", "time", "digest", "import",
            "export", "lang",
            "forget"]
        botapi.push_message("/start")
        (welcome,) = await botapi.wait_for(replies(botapi, USER, 1))
        botapi.push_message("/help")
        _, help_ = await botapi.wait_for(replies(botapi, USER, 2))
    assert "Send me a link" in welcome.text
    assert "/help" in welcome.text and "/lang" in welcome.text
    assert "How to use me" in help_.text and "up to 3 links" in help_.text
    assert "10 summaries every 10 minutes" in help_.text


async def test_a_link_is_answered_with_its_summary_in_place_of_the_status(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = site.page("/news/generals", article_html())
    async with start_bot():
        sent = botapi.push_message(f"look at this {url}")
        (reply,) = await botapi.wait_for(replies(botapi, USER, 1))
    assert reply.text.startswith(SEED_TITLE)
    assert reply.text.count("• ") >= 2
    assert "Example Media" in reply.text and "14 Jul 2025" in reply.text
    assert f'<a href="{url}">' in reply.raw and reply.parse_mode == "HTML"
    assert reply.reply_to == sent["message_id"]
    assert reply.edits == 1  # the "Reading 127.0.0.1…" status became the summary
    assert botapi.calls("sendChatAction")[0].params["action"] == "typing"


async def test_three_links_get_three_replies_and_a_repeat_is_not_fetched_again(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    urls = [site.page(f"/n/{i}", article_html(f"Story number {i}")) for i in range(4)]
    async with start_bot():
        botapi.push_message(" and ".join(urls))
        sent = await botapi.wait_for(replies(botapi, USER, 4))
        assert sorted(m.text.split("\n")[0] for m in sent[:4]) == [
            "I read the first 3 links of your message; send the others separately.",
            "Story number 0", "Story number 1", "Story number 2"]
        botapi.push_message(urls[0])
        await botapi.wait_for(replies(botapi, USER, 5))
    assert len(site.requests_to("/n/0")) == 1  # the second time came from the cache
    assert site.requests_to("/n/3") == []


async def test_a_message_without_a_link_gets_a_hint(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    async with start_bot():
        botapi.push_message("hello, what can you do?")
        (hint,) = await botapi.wait_for(replies(botapi, USER, 1))
    assert hint.text == messages.NO_LINK


async def test_a_forwarded_post_with_a_text_link_is_read(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = site.page("/hidden", article_html("Hidden behind words"))
    text = "🇺🇦 Новини: read more here"
    offset = len("🇺🇦 Новини: read more ".encode("utf-16-le")) // 2
    async with start_bot():
        botapi.push_message(
            text,
            entities=[{"type": "text_link", "offset": offset, "length": 4, "url": url}],
            forward_origin={"type": "channel", "date": 1732000000, "message_id": 7,
                            "chat": {"id": -1001, "type": "channel", "title": "News 📰"}},
        )
        (reply,) = await botapi.wait_for(replies(botapi, USER, 1))
    assert reply.text.startswith("Hidden behind words")


async def test_failures_get_specific_answers(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    empty = site.page("/empty", "<html><body><nav><a href='/'>Home</a></nav></body></html>")
    missing = site.url("/gone")
    async with start_bot():
        botapi.push_message("http://10.0.0.1/admin")
        botapi.push_message(missing)
        botapi.push_message(empty)
        sent = await botapi.wait_for(replies(botapi, USER, 3))
    texts = sorted(m.text for m in sent)
    assert any("private or local network" in t for t in texts), texts
    assert any("doesn't exist (HTTP 404)" in t for t in texts), texts
    assert any("found no article text" in t for t in texts), texts


async def test_a_teaser_is_summarized_with_a_clear_note(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    from tests.fakes.articles import teaser_html

    url = site.page("/paywalled", teaser_html())
    async with start_bot():
        botapi.push_message(url)
        (reply,) = await botapi.wait_for(replies(botapi, USER, 1))
    assert messages.TEASER_NOTE in reply.text
    assert "Executives spent months negotiating" in reply.text


async def test_model_unavailable_falls_back_to_a_marked_extractive_summary(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    from tests.fakes.openai_server import FakeOpenAI, FakeReply

    url = site.page("/llm", article_html())
    with FakeOpenAI() as llm:
        llm.queue(*[FakeReply(status=500, error="model is down")] * 10)
        async with start_bot(summarizer="llm", openai_base_url=llm.base_url,
                             openai_api_key="sk-test", llm_max_retries=1, llm_timeout=2):
            botapi.push_message(url)
            (reply,) = await botapi.wait_for(replies(botapi, USER, 1), timeout=15)
    assert messages.FALLBACK_NOTE in reply.text
    assert reply.text.count("• ") >= 2


async def test_strangers_are_refused_once_and_nothing_is_fetched(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = site.page("/secret", article_html())
    async with start_bot(allowed_users="42"):
        botapi.push_message(url, user_id=7)
        await botapi.wait_for(replies(botapi, 7, 1))
        botapi.push_message(url, user_id=7)
        botapi.push_message("/start", user_id=42)
        # Updates are handled in the order they arrive, and a refusal needs no I/O: by the
        # time the allowed user is answered, the stranger's second message was dealt with.
        await botapi.wait_for(replies(botapi, 42, 1))
    (refusal,) = botapi.sent_to(7)
    assert refusal.text == messages.NOT_ALLOWED
    assert site.history == []


async def test_the_rate_limit_says_when_to_come_back(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    urls = [site.page(f"/r/{i}", article_html(f"Rate {i}")) for i in range(3)]
    async with start_bot(rate_limit_links=2, rate_limit_window=600):
        botapi.push_message(" ".join(urls))
        sent = await botapi.wait_for(replies(botapi, USER, 3))
    assert sum(m.text.startswith("Rate ") for m in sent) == 2
    (limited,) = [m for m in sent if "limit" in m.text]
    assert "try again in 10 minutes" in limited.text
    assert site.requests_to("/r/2") == []


async def test_a_long_summary_is_split_into_valid_messages(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    from tests.fakes.openai_server import FakeOpenAI

    # Points are at most ~30 words, so long ones are made of long words: 5 of them still
    # need more than one Telegram message.
    paragraphs = [
        f"Delegate {i} approved " + " ".join(
            f"intergovernmental-coordination-item-{i}-{j}-of-the-springfield-committee"
            for j in range(13)
        ) + "." for i in range(6)
    ]
    url = site.page("/long", article_html("A very long report", paragraphs))

    with FakeOpenAI(default_points=5) as llm:
        async with start_bot(summarizer="llm", openai_base_url=llm.base_url,
                             openai_api_key="sk-test"):
            botapi.push_message(url)
            sent = await botapi.wait_for(replies(botapi, USER, 2), timeout=10)
    assert all(m.parse_mode == "HTML" for m in sent)
    assert all(len(m.text) <= 4096 for m in sent)
    body = "\n".join(m.text for m in sent)
    assert body.count("• ") == 5
    assert not [c for c in botapi.history if c.status == 400]


async def test_a_hostile_title_is_escaped_and_accepted(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    title = 'Tom & Jerry <b>win</b> </a> big "prize" <script>'
    url = site.page("/hostile", article_html(title, escape_title=True))
    async with start_bot():
        botapi.push_message(url)
        (reply,) = await botapi.wait_for(replies(botapi, USER, 1))
    assert reply.parse_mode == "HTML"
    assert reply.text.startswith(title)
    assert "&amp;" in reply.raw and "&lt;/a&gt;" in reply.raw
    assert not [c for c in botapi.history if c.status == 400]


async def test_a_429_from_telegram_is_waited_out(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = site.page("/busy", article_html("Busy day"))
    botapi.fail_next("editMessageText", status=429, retry_after=1)
    async with start_bot():
        botapi.push_message(url)
        (reply,) = await botapi.wait_for(replies(botapi, USER, 1), timeout=10)
    assert reply.text.startswith("Busy day")
    assert [c.status for c in botapi.calls("editMessageText")] == [429, 200]


async def test_a_user_who_blocked_the_bot_is_marked_inactive_without_retries(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = site.page("/blocked", article_html())
    botapi.block(USER)
    async with start_bot() as app:
        botapi.push_message(url)
        await botapi.wait_for(lambda: botapi.calls("sendMessage"))
        store = app.bot_data.services.store
        await botapi.wait_for(
            lambda: (chat := store.chats.get(USER)) is not None and chat.active is False
        )
    assert [c.status for c in botapi.calls("sendMessage")] == [403]


def fixture_update(shared_dir: Path, name: str) -> dict[str, Any]:
    path = shared_dir / "datasets" / "telegram-updates" / name
    return json.loads(path.read_text("utf-8"))


async def test_my_chat_member_kicked_marks_the_chat_inactive(
    botapi: FakeBotAPI, start_bot: StartBot, shared_dir: Path
) -> None:
    update = fixture_update(shared_dir, "my_chat_member_kicked.json")
    chat_id = update["my_chat_member"]["chat"]["id"]
    async with start_bot() as app:
        botapi.push_update(update)
        store = app.bot_data.services.store
        await botapi.wait_for(lambda: (c := store.chats.get(chat_id)) and not c.active)
        assert await app.bot_data.services.chats.is_active(chat_id) is False


async def test_a_group_command_addressed_to_the_bot_by_name(
    site: FakeSite, bot_settings: Callable[..., Any], shared_dir: Path
) -> None:
    update = fixture_update(shared_dir, "group_bot_command_botname.constructed.json")
    chat_id = update["message"]["chat"]["id"]
    with FakeBotAPI(bot_username="example_bot") as api:
        settings = bot_settings(telegram_bot_token=api.token, telegram_api_url=api.base_url)
        async with running(build_application(settings, rate_limiter=fast_limiter())):
            api.push_update(update)
            (welcome,) = await api.wait_for(replies(api, chat_id, 1))
    # The fixture's user writes from a Ukrainian Telegram app: the group is answered so.
    assert "Надішліть мені посилання" in welcome.text


async def test_lang_sets_the_summary_language_for_the_chat(
    botapi: FakeBotAPI, start_bot: StartBot
) -> None:
    # A model translates; it is never asked here (no link is sent).
    async with start_bot(summarizer="llm", openai_base_url="http://127.0.0.1:9/v1") as app:
        botapi.push_message("/lang")
        await botapi.wait_for(replies(botapi, USER, 1))
        botapi.push_message("/lang <b>")
        await botapi.wait_for(replies(botapi, USER, 2))
        botapi.push_message("/lang pt-BR")
        sent = await botapi.wait_for(replies(botapi, USER, 3))
        assert await app.bot_data.services.chats.language(USER) == "pt-BR"
    assert "Usage: /lang CODE" in sent[0].text and "Now: en" in sent[0].text
    assert sent[1].text.startswith("<b> is not a language code")  # shown literally
    assert "pt-BR" in sent[2].text


async def test_refused_markup_is_resent_as_plain_text(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = site.page("/markup", article_html("Markup trouble"))
    botapi.fail_next("editMessageText", status=400,
                     description="Bad Request: can't parse entities: Unsupported start tag")
    async with start_bot():
        botapi.push_message(url)
        (reply,) = await botapi.wait_for(replies(botapi, USER, 1))
    assert reply.parse_mode is None
    assert reply.text.startswith("Markup trouble") and "<b>" not in reply.text


async def test_telegram_server_errors_are_retried(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    url = site.page("/flaky", article_html("Flaky Telegram"))
    botapi.fail_next("editMessageText", status=502, times=2)
    async with start_bot():
        botapi.push_message(url)
        (reply,) = await botapi.wait_for(replies(botapi, USER, 1))
    assert reply.text.startswith("Flaky Telegram")
    assert [c.status for c in botapi.calls("editMessageText")] == [502, 502, 200]


class ExplodingPipeline(Pipeline):
    """A pipeline with a bug in it: the bot must say sorry, log it and keep serving."""

    async def summarize_url(self, url: str, *, lang: str | None = None) -> Any:
        raise RuntimeError("boom")


async def test_an_unexpected_error_is_logged_and_the_bot_keeps_serving(
    botapi: FakeBotAPI, start_bot: StartBot, caplog: pytest.LogCaptureFixture
) -> None:
    async with start_bot(pipeline_factory=lambda s, cache: ExplodingPipeline.build(s)):
        botapi.push_message("https://news.example/a")
        (sorry,) = await botapi.wait_for(replies(botapi, USER, 1))
        botapi.push_message("/start")
        await botapi.wait_for(replies(botapi, USER, 2))
    assert "Something went wrong on my side while reading news.example" in sorry.text
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors and errors[0].exc_info and "boom" in str(errors[0].exc_info[1])
