"""The way out to Telegram: HTML goes only as `Markup`, a plain `str` is refused.

Type-wise, the handlers reply through `reply()` and `edit()`, which take `Markup`: mypy
rejects an f-string or a `str` there. At run time `MarkupBot` checks every sendMessage,
editMessageText and sendDocument caption, whoever calls it (a handler's `reply_text`, the
digest sender): text sent with parse_mode=HTML that is not `Markup` raises `UnsafeText`
before anything leaves, so a forgotten template fails the first test that reaches it
instead of showing a user raw tags or getting refused by Telegram. Plain text stays
possible, but only asked for by name (`parse_mode=None`, as the fallbacks do).
A message's msgid (`bot.i18n.Text`, English Markup) is refused too: it must go through
the reader's translator first.
"""

from __future__ import annotations

import inspect
from typing import Any

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.ext import ExtBot

from bot.i18n import Text
from bot.telegram.markup import Markup

# Method → the argument Telegram parses as HTML.
_CHECKED = {"send_message": "text", "edit_message_text": "text", "send_document": "caption"}
_SIGNATURES = {name: inspect.signature(getattr(ExtBot, name)) for name in _CHECKED}


class UnsafeText(TypeError):
    """A plain `str` (or an untranslated msgid) was about to be sent as Telegram HTML."""


class MarkupBot(ExtBot[int]):
    """PTB's bot, refusing a plain `str` wherever the text would be parsed as HTML."""

    async def send_message(self, *args: Any, **kwargs: Any) -> Message:
        self._check("send_message", args, kwargs)
        return await super().send_message(*args, **kwargs)

    async def edit_message_text(self, *args: Any, **kwargs: Any) -> Message | bool:
        self._check("edit_message_text", args, kwargs)
        return await super().edit_message_text(*args, **kwargs)

    async def send_document(self, *args: Any, **kwargs: Any) -> Message:
        self._check("send_document", args, kwargs)
        return await super().send_document(*args, **kwargs)

    def _check(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        bound = _SIGNATURES[method].bind(self, *args, **kwargs)
        bound.apply_defaults()
        text, mode = bound.arguments[_CHECKED[method]], bound.arguments["parse_mode"]
        if text is None:  # a file without a caption
            return
        if mode is not None and not isinstance(mode, str):  # PTB's DefaultValue: not given
            mode = self.defaults.parse_mode if self.defaults is not None else None
        if mode == ParseMode.HTML and not isinstance(text, Markup):
            raise UnsafeText(
                f"{method}: Telegram HTML must be Markup built from a template in "
                f"bot.telegram.messages (values are escaped by .format()), not "
                f"{type(text).__name__}: {str(text)[:80]!r}"
            )
        if isinstance(text, Text):  # safe, but in English whatever the reader's language
            raise UnsafeText(
                f"{method}: a message must go through a translator (tr(messages.X), see "
                f"bot/i18n.py), not be sent as its msgid: {str(text)[:80]!r}"
            )


async def reply(message: Message, text: Markup, *, quote: bool | None = None,
                keyboard: InlineKeyboardMarkup | None = None) -> Message:
    """Answer `message` in its chat (as a quoted reply when `quote`)."""
    return await message.reply_text(text, do_quote=quote, reply_markup=keyboard)


async def edit(message: Message, text: Markup,
               keyboard: InlineKeyboardMarkup | None = None) -> Message | bool:
    """Replace the text of one of the bot's messages (a status line, a prompt)."""
    return await message.edit_text(text, reply_markup=keyboard)
