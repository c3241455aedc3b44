"""Channels and groups managed from a private chat: `/subscribe @channel TOPIC` and friends.

The first argument of /subscribe, /topics, /unsubscribe and /time may name another chat —
`@username` or a numeric id like -1001234567890. Then the command acts on that chat, and only
after Telegram confirms, on every command, that the bot can post there and that whoever
asked administers it (`ChatAdmins.is_admin`, shared with group settings). Each refusal
says exactly what is wrong: the name, the bot's rights or the user's.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from telegram import (
    Bot,
    ChatFullInfo,
    ChatMember,
    ChatMemberAdministrator,
    ChatMemberRestricted,
    Update,
)
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.i18n import Translator
from bot.telegram import messages
from bot.telegram.context import BotContext
from bot.telegram.handlers import require_admin, texts
from bot.telegram.markup import Markup
from bot.telegram.outgoing import reply

log = logging.getLogger(__name__)

# Telegram usernames: 4-32 letters, digits and underscores, starting with a letter.
_USERNAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
# Channels and groups have negative ids (private chats, positive, are people).
_CHAT_ID = re.compile(r"-\d{1,19}")


@dataclass(frozen=True)
class Place:
    """Where a command acts: `chat_id`, with the arguments left after any chat reference.

    `name` is set when the command named another chat ("@news" or its title), and `ref`
    is how to name it again in a command ("@news" or "-1001234567890").
    """

    chat_id: int
    args: list[str]
    name: str | None = None
    ref: str = ""
    note: Markup | None = None  # to say first: the chat was paused (the bot could not post)

    @property
    def remote(self) -> bool:
        return self.name is not None


def names_a_chat(word: str) -> bool:
    """True if `word` is meant as a chat reference (well-formed or not): "@…" or "-123…"."""
    return word.startswith("@") or _CHAT_ID.fullmatch(word) is not None


async def place_of(update: Update, context: BotContext, *, admin_only: bool = True
                   ) -> Place | None:
    """The chat the command acts on, or None once the user has been told why not.

    Without a chat reference, the chat the command was sent in (admins only in groups when
    `admin_only`); with one, that channel or group after `checked_chat`'s checks.
    """
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None:
        return None
    args = list(context.args or [])
    if not args or not names_a_chat(args[0]):
        if admin_only and not await require_admin(update, context):
            return None
        return Place(chat.id, args)
    tr = await texts(update, context)
    target = await checked_chat(update, context, args[0], tr)
    if isinstance(target, Markup):
        await reply(message, target)
        return None
    ref = f"@{target.username}" if target.username else str(target.id)
    name = f"@{target.username}" if target.username else (target.title or str(target.id))
    note = None
    if await _resume(context, target.id):
        note = tr(messages.CHANNEL_RESUMED).format(name=name)
    return Place(target.id, args[1:], name=name, ref=ref, note=note)


async def checked_chat(update: Update, context: BotContext, ref: str, tr: Translator
                       ) -> ChatFullInfo | Markup:
    """The chat `ref` names if the bot may post there and the requester administers it;
    otherwise the message saying which of these is not so."""
    if _USERNAME.fullmatch(ref) is None and _CHAT_ID.fullmatch(ref) is None:
        return tr(messages.CHAT_BAD_REF).format(given=ref)
    bot = context.bot
    try:
        # getChat resolves "@name" to the chat and its id (and answers for an id too).
        target = await bot.get_chat(ref if ref.startswith("@") else int(ref))
    except TelegramError as exc:  # "chat not found": a typo, or a private chat without us
        log.info("chat reference %r not resolved: %s", ref, exc)
        return tr(messages.CHAT_UNKNOWN).format(given=ref)
    if target.type not in (ChatType.CHANNEL, ChatType.GROUP, ChatType.SUPERGROUP):
        return tr(messages.CHAT_NOT_A_CHANNEL).format(given=ref)
    name = f"@{target.username}" if target.username else (target.title or ref)
    channel = target.type == ChatType.CHANNEL
    right = await _bot_right(bot, target.id, channel=channel)
    if right == "absent":
        return tr(messages.BOT_NOT_IN_CHAT).format(name=name)
    if right == "mute":
        template = messages.BOT_CANNOT_POST if channel else messages.BOT_CANNOT_POST_GROUP
        return tr(template).format(name=name)
    user = update.effective_user
    message = update.effective_message
    # Someone writing as a chat (an anonymous admin) has no user of their own to check.
    anonymous = message is not None and message.sender_chat is not None
    if (user is None or anonymous
            or not await context.services.admins.is_admin(bot, target.id, user.id)):
        log.info("chat %s: digest settings by %s refused (not an admin)", target.id,
                 user.id if user else "?")
        return tr(messages.USER_NOT_ADMIN).format(name=name)
    return target


async def _bot_right(bot: Bot, chat_id: int, *, channel: bool) -> str:
    """"post" if the bot can post in the chat, "mute" if it is there but can't, else
    "absent". Asked afresh every time: rights change without telling the bot."""
    try:
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramError as exc:  # "member list is inaccessible", "bot is not a member…"
        log.info("chat %s: the bot's own membership unreadable: %s", chat_id, exc)
        return "absent"
    if member.status in (ChatMember.LEFT, ChatMember.BANNED):
        return "absent"
    if channel:  # only administrators with "Post messages" post in a channel
        ok = isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)
    elif isinstance(member, ChatMemberRestricted):
        ok = member.is_member and member.can_send_messages
    else:
        ok = member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER)
    return "post" if ok else "mute"


async def _resume(context: BotContext, chat_id: int) -> bool:
    """Put a chat whose posts failed (marked inactive) back on; True if it was off.

    Its admins were never messaged about the failure; the one now managing it learns of it
    here, once, since the chat is active again afterwards.
    """
    store = context.services.store
    row = await asyncio.to_thread(store.chats.get, chat_id)
    if row is None or row.active:
        return False
    await context.services.chats.set_active(chat_id, True)
    log.info("chat %s: the bot can post again; digests resume", chat_id)
    return True
