"""Telegram HTML is a type: templates escape what they are given, and the bot refuses a plain
`str` where it would be parsed as HTML (before anything reaches Telegram)."""

from __future__ import annotations

import string
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import Defaults

from bot.i18n import ENGLISH
from bot.telegram import messages
from bot.telegram.markup import Markup, bold, link, pack, split_words, text_len, to_plain
from bot.telegram.outgoing import MarkupBot, UnsafeText
from tests.fakes.botapi import FakeBotAPI, parse_html

CHAT = 1001
EVIL = '<b>&"'


@pytest.fixture
async def bot(botapi: FakeBotAPI) -> AsyncIterator[MarkupBot]:
    async with MarkupBot(botapi.token, base_url=f"{botapi.base_url}/bot",
                         defaults=Defaults(parse_mode=ParseMode.HTML,
                                           link_preview_options=LinkPreviewOptions(
                                               is_disabled=True))) as b:
        yield b


async def test_a_plain_str_as_html_is_refused_before_it_is_sent(
    botapi: FakeBotAPI, bot: MarkupBot
) -> None:
    sent = await bot.send_message(CHAT, ENGLISH(messages.DUPLICATE_TOPIC).format(topic=EVIL))
    # A msgid is safe Markup but English whatever the reader's language: it must be
    # translated first, even filled in.
    with pytest.raises(UnsafeText, match="must go through a translator"):
        await bot.send_message(CHAT, messages.DUPLICATE_TOPIC.format(topic=EVIL))
    with pytest.raises(UnsafeText, match="must go through a translator"):
        await bot.send_message(CHAT, messages.NO_TOPICS)
    with pytest.raises(UnsafeText, match=r"send_message: Telegram HTML must be Markup .*"
                                         r"not str: 'You already follow <b>"):
        await bot.send_message(CHAT, f"You already follow <b>{EVIL}</b>")
    with pytest.raises(UnsafeText, match="edit_message_text"):
        await bot.edit_message_text(f"{EVIL}", CHAT, sent.message_id)
    with pytest.raises(UnsafeText):  # the shortcuts handlers use go the same way
        await sent.reply_text("plain")
    with pytest.raises(UnsafeText):  # HTML asked for by name is HTML too
        await bot.send_message(CHAT, "plain", parse_mode="HTML")
    # Plain text asked for by name is fine: Telegram shows it as typed.
    await bot.send_message(CHAT, f"as typed {EVIL}", parse_mode=None)
    shown = botapi.sent_to(CHAT)
    assert [m.text for m in shown] == [f"You already follow {EVIL}. /topics shows the list.",
                                       f"as typed {EVIL}"]
    assert [m.parse_mode for m in shown] == ["HTML", None]


async def test_the_running_bot_is_a_markup_bot(start_bot: Callable[..., Any]) -> None:
    async with start_bot() as app:
        assert isinstance(app.bot, MarkupBot)


def _filled(template: Markup) -> Markup:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format(**dict.fromkeys(names, EVIL))


def test_every_template_is_valid_telegram_html_and_escapes_its_values() -> None:
    templates = {name: value for name, value in vars(messages).items()
                 if name.isupper() and isinstance(value, Markup)}
    assert len(templates) > 50
    for name, template in templates.items():
        filled = _filled(template)
        visible = parse_html(filled)  # raises like Telegram on a broken template
        assert visible == to_plain(filled), name
        if "{" in template:
            assert EVIL in visible, name
    failure = messages.failure(ENGLISH, messages.errors.BlockedAddress(""), EVIL)
    assert parse_html(failure).startswith(f"I can't open {EVIL}:")


def test_markup_helpers_escape_and_split_without_cutting_an_entity() -> None:
    assert bold(EVIL) == "<b>&lt;b&gt;&amp;&#34;</b>"
    assert parse_html(link('https://e.example/?a=1&b="x"', EVIL)) == EVIL
    # A point of nothing but characters that grow when escaped, longer than a message.
    pieces = split_words(Markup("• "), "&" * 3000 + " " + '"<>' * 900, 200)
    assert all(text_len(p) <= 200 for p in pieces)
    assert "".join(parse_html(p) for p in pieces).replace(" ", "") == (
        "•" + "&" * 3000 + '"<>' * 900)
    parts = pack([bold(EVIL * 10)] * 40, 400)  # two blocks of 197 a part
    assert len(parts) > 1 and all(isinstance(p, Markup) and text_len(p) <= 400 for p in parts)
    assert len(parts) == 20 and all(parse_html(p) == f"{EVIL * 10}\n{EVIL * 10}" for p in parts)
