"""Who may change a group's settings: its administrators, asked of Telegram and cached briefly."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram import Bot, ChatMember, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

log = logging.getLogger(__name__)

CACHE_SECONDS = 60.0  # a demoted admin keeps the right this long at most
_CACHE_CAP = 10_000  # entries; past this the cache starts afresh
_GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


class ChatAdmins:
    """`await admins.may_configure(update, bot)`: may who sent `update` change its chat?

    Private chats belong to their user: always yes. In groups and supergroups only the
    creator and administrators may, including an anonymous administrator, who posts as
    the group itself (`sender_chat` is the chat). Telegram's answer is cached for
    `CACHE_SECONDS` per (chat, user), so a busy group costs one getChatMember a minute.
    When Telegram cannot be asked, the answer is no: a settings change can wait, a wiped
    chat cannot be undone.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cache: dict[tuple[int, int], tuple[float, bool]] = {}

    async def may_configure(self, update: Update, bot: Bot) -> bool:
        chat = update.effective_chat
        if chat is None:
            return False
        if chat.type not in _GROUPS:
            return True
        message = update.effective_message if update.callback_query is None else None
        if message is not None and message.sender_chat is not None:
            # Anonymous admins (and nobody else) post as the group itself. A linked
            # channel's post also has a sender_chat, but not this chat.
            return message.sender_chat.id == chat.id
        user = update.effective_user
        if user is None:
            return False
        return await self.is_admin(bot, chat.id, user.id)

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        now = self._clock()
        cached = self._cache.get((chat_id, user_id))
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.warning("could not ask Telegram whether %s administers chat %s: %s",
                        user_id, chat_id, exc)
            return False  # not cached: the next attempt asks again
        admin = member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
        if len(self._cache) >= _CACHE_CAP:
            self._cache.clear()
        self._cache[(chat_id, user_id)] = (now + CACHE_SECONDS, admin)
        return admin
