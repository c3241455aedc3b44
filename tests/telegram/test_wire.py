"""The lean digest send path (bot/telegram/wire.py) against the strict fake Bot API: JSON
bodies Telegram accepts, Telegram's refusals mapped as PTB maps them, the Markup rule, the
message ids, and no token in what it raises."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import Defaults
from telegram.request import HTTPXRequest

from bot.errors import RecipientGone
from bot.telegram.delivery import DigestSender
from bot.telegram.flood import FloodLimiter
from bot.telegram.markup import Markup
from bot.telegram.outgoing import MarkupBot, UnsafeText
from bot.telegram.wire import SendMessage, answer
from tests.fakes.botapi import FakeBotAPI

HTML = Markup("<b>Щоденний дайджест</b> · 每日新闻 &amp; <i>новости</i>")


def make_bot(base_url: str, token: str) -> MarkupBot:
    return MarkupBot(
        token, base_url=f"{base_url}/bot", request=HTTPXRequest(connection_pool_size=2),
        rate_limiter=FloodLimiter(private_chat_rate=1000, backoff=0.01),
        defaults=Defaults(parse_mode=ParseMode.HTML,
                          link_preview_options=LinkPreviewOptions(is_disabled=True)),
    )


@pytest.fixture
async def wire(botapi: FakeBotAPI) -> AsyncIterator[SendMessage]:
    async with make_bot(botapi.base_url, botapi.token) as bot:
        sender = SendMessage(bot)
        yield sender
        await sender.aclose()


async def test_html_arrives_as_sent_with_the_message_id_telegram_gave(
    botapi: FakeBotAPI, wire: SendMessage
) -> None:
    first = await wire(7, HTML, preview_url="https://example.com/статья")
    second = await wire(7, HTML, paid_broadcast=True)
    one, two = botapi.sent_to(7)
    assert (first, second) == (one.message_id, two.message_id) == (1, 2)
    assert one.raw == str(HTML) and one.parse_mode == "HTML"
    assert one.text == "Щоденний дайджест · 每日新闻 & новости"
    assert one.link_preview == {"url": "https://example.com/статья", "prefer_small_media": True}
    assert two.link_preview == {"is_disabled": True}  # the bot's Defaults, as PTB sends them
    assert (one.paid_broadcast, two.paid_broadcast) == (False, True)


async def test_a_plain_str_as_html_is_refused_before_anything_leaves(
    botapi: FakeBotAPI, wire: SendMessage
) -> None:
    with pytest.raises(UnsafeText):
        await wire(7, "<b>unescaped & raw</b>")
    assert botapi.calls("sendMessage") == []
    # Plain text is possible, asked for by name.
    await wire(7, "<b>shown literally</b>", html=False)
    (sent,) = botapi.sent_to(7)
    assert sent.parse_mode is None and sent.text == "<b>shown literally</b>"


async def test_telegrams_refusals_become_ptbs_exceptions(
    botapi: FakeBotAPI, wire: SendMessage
) -> None:
    botapi.block(8)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await wire(8, HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await wire(7, Markup("<b>unclosed"))
    # A 429 is waited out by the bot's flood limiter and the message sent once.
    botapi.fail_next("sendMessage", status=429, retry_after=1)
    assert await wire(7, HTML) == 1
    assert [c.status for c in botapi.calls("sendMessage")] == [403, 400, 429, 200]


def test_answers_are_read_as_ptb_reads_them() -> None:
    with pytest.raises(RetryAfter, match=r"Retry in (7 seconds|0:00:07)"):
        answer(429, b'{"ok":false,"error_code":429,"description":"Too Many Requests: retry '
                    b'after 7","parameters":{"retry_after":7}}')
    with pytest.raises(ChatMigrated) as moved:
        answer(400, b'{"ok":false,"error_code":400,"description":"Bad Request: group chat '
                    b'was upgraded to a supergroup chat","parameters":'
                    b'{"migrate_to_chat_id":-1001234}}')
    assert moved.value.new_chat_id == -1001234
    with pytest.raises(NetworkError, match="Bad Gateway"):
        answer(502, b"<html>Bad Gateway</html>")  # a proxy's page, not JSON
    assert answer(200, b'{"ok":true,"result":{"message_id":5}}') == {"message_id": 5}


async def test_a_chat_telegram_does_not_know_is_gone(botapi: FakeBotAPI) -> None:
    botapi.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    async with make_bot(botapi.base_url, botapi.token) as bot:
        sender = DigestSender(bot)
        try:
            with pytest.raises(RecipientGone, match=r"(?i)chat not found"):
                await sender.send_part(9, {"text": HTML, "preview": None})
            assert await sender.send_part(9, {"text": HTML, "preview": None}) == 1
        finally:
            await sender.aclose()


async def test_a_network_failure_never_quotes_the_token(botapi: FakeBotAPI) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with make_bot(botapi.base_url, botapi.token) as bot:
        secret = bot.token.partition(":")[2]
        sender = SendMessage(bot)
        sender._url = f"http://127.0.0.1:{port}/bot{bot.token}/sendMessage"
        try:
            with pytest.raises(NetworkError) as failed:
                await sender(7, HTML)
        finally:
            await sender.aclose()
    assert secret not in str(failed.value) and secret not in repr(failed.value)
