"""What the bot does with each kind of update."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError
from telegram import (
    Bot,
    BotCommand,
    Chat,
    ChatMember,
    ChatMemberAdministrator,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import i18n, languages
from bot.errors import NewsbotError
from bot.i18n import Translator, translator
from bot.store.records import StoryRef
from bot.telegram import messages, reply_targets
from bot.telegram.context import BotContext
from bot.telegram.links import extract_links
from bot.telegram.markup import Markup, to_plain
from bot.telegram.outgoing import edit, reply
from bot.telegram.render import render_summary

log = logging.getLogger(__name__)

_TYPING_EVERY = 4.5  # seconds; Telegram shows "typing…" for about 5 s per chat action
_REFUSED_CAP = 10_000  # (user, chat) refusals remembered; past this, earlier days are dropped


# --- access --------------------------------------------------------------------------------


async def gatekeeper(update: Update, context: BotContext) -> None:
    """Stop updates from users outside ALLOWED_USERS before any handler (or fetch) runs.

    A refused user is told at most once a day per chat; after that they are ignored
    quietly, so a stranger cannot make the bot spam them (or a group) by sending more
    messages. Group chatter not addressed to the bot (no command, no link) is never
    answered: a private bot added to a group must not talk back to every member.
    """
    services = context.services
    allowed = services.settings.allowed_users
    user = update.effective_user
    if not allowed or (user is not None and str(user.id) in allowed):
        return
    message, chat = update.message, update.effective_chat
    if (user is not None and message is not None and chat is not None
            and _addressed_to_bot(message, chat, context.bot.username)):
        today = services.clock().date()
        if services.refused.get((user.id, chat.id)) != today:
            if len(services.refused) >= _REFUSED_CAP:
                services.refused = {k: d for k, d in services.refused.items() if d == today}
            services.refused[(user.id, chat.id)] = today
            log.info("refused user %s in chat %s (not in ALLOWED_USERS)", user.id, chat.id)
            # No chat settings for a stranger: their own Telegram language.
            await reply(message, translator(user_language(update))(messages.NOT_ALLOWED))
    raise ApplicationHandlerStop


def _addressed_to_bot(message: Message, chat: Chat, username: str) -> bool:
    """A private message, or a group message with a command for this bot, a link, or a
    reply to one of the bot's messages (a question about a summary)."""
    if chat.type == ChatType.PRIVATE:
        return True
    replied = message.reply_to_message
    if (replied is not None and replied.from_user is not None and replied.from_user.is_bot
            and (replied.from_user.username or "").lower() == username.lower()):
        return True
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            # A command is ASCII, so UTF-16 offsets are plain indexes here.
            _, at, target = (message.text or "")[: entity.length].partition("@")
            return not at or target.lower() == username.lower()
    return bool(extract_links(message, limit=1).urls)


async def remember_chat(update: Update, context: BotContext) -> None:
    """Store a chat on first contact, with the language of the user who wrote."""
    chat = update.effective_chat
    if chat is None or update.my_chat_member is not None:  # membership has its own handler
        return
    await context.services.chats.seen(chat.id, user_language(update))


async def texts(update: Update, context: BotContext) -> Translator:
    """The bot's words for this update: in its chat's language (chosen with /lang, or of
    whoever wrote first), else the sender's Telegram language, else English."""
    chat = update.effective_chat
    code = None
    if chat is not None:
        try:
            code = await context.services.chats.language(chat.id)
        except SQLAlchemyError as exc:  # a storage problem must not cost the answer
            log.warning("chat %s: language unavailable (%s)", chat.id, exc)
    return translator(code or user_language(update))


async def require_admin(update: Update, context: BotContext) -> bool:
    """True if who sent `update` may change its chat's settings; else say so in one line.

    Private chats: always. Groups and supergroups: administrators only (see ChatAdmins).
    """
    if await context.services.admins.may_configure(update, context.bot):
        return True
    chat = update.effective_chat
    log.info("chat %s: settings change by a non-admin refused", chat.id if chat else "?")
    tr = await texts(update, context)
    query = update.callback_query
    if query is not None:
        await query.answer(to_plain(tr(messages.ADMINS_ONLY)))
    elif update.effective_message is not None:
        await reply(update.effective_message, tr(messages.ADMINS_ONLY))
    return False


# --- commands ------------------------------------------------------------------------------


async def set_commands(bot: Bot) -> None:
    """The command menu, in English and in each shipped language: Telegram shows a user the
    list for their app's language, else the default one."""
    for language in i18n.SHIPPED:
        commands = [BotCommand(name, text) for name, text in
                    messages.commands(translator(language))]
        if language == i18n.DEFAULT:
            await bot.set_my_commands(commands)
        else:
            await bot.set_my_commands(commands, language_code=language)


async def start(update: Update, context: BotContext) -> None:
    if update.effective_message is not None:
        tr = await texts(update, context)
        await reply(update.effective_message, tr(messages.WELCOME))


async def help_command(update: Update, context: BotContext) -> None:
    if update.effective_message is None:
        return
    settings = context.services.settings
    tr = await texts(update, context)
    await reply(
        update.effective_message,
        tr(messages.HELP).format(
            max_links=settings.max_links_per_message,
            rate_links=settings.rate_limit_links,
            rate_window=messages.duration(tr, settings.rate_limit_window),
            max_topics=settings.max_topics_per_chat,
            digests_per_hour=settings.digest_on_demand_per_hour,
        )
    )


async def lang(update: Update, context: BotContext) -> None:
    """/lang CODE: the chat's language, for the bot's messages and for the summaries.

    Each answer is in the language it leaves the chat in.
    """
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or not await require_admin(update, context):
        return
    chats = context.services.chats
    args = context.args or []
    tr = await texts(update, context)
    if len(args) != 1:
        current = await chats.language(chat.id) or user_language(update) or "auto"
        await reply(message, tr(messages.LANG_USAGE).format(current=current))
        return
    code = args[0]
    if code.lower() == "auto":
        await chats.set_language(chat.id, None)
        await reply(message, translator(user_language(update))(messages.LANG_AUTO))
        return
    normalized = languages.normalize(code)
    if normalized is None:
        await reply(message, tr(messages.LANG_NOT_A_LANGUAGE).format(code=code))
        return
    spoken = i18n.speaks(normalized)
    use_llm = context.services.settings.use_llm
    if not spoken and not use_llm:
        # The extractive summarizer quotes the article; it cannot translate, and there is
        # no catalog for the messages: storing the code would promise nothing true.
        await reply(message, tr(messages.LANG_NEEDS_MODEL))
        return
    await chats.set_language(chat.id, normalized)
    new = translator(normalized)
    name = new.language_name(normalized)
    if not spoken:
        answer = new(messages.LANG_SET_SUMMARIES_ONLY).format(language=name, code=normalized)
    elif not use_llm:
        answer = new(messages.LANG_SET_NO_MODEL).format(language=name)
    else:
        answer = new(messages.LANG_SET).format(language=name)
    await reply(message, answer)


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command this bot doesn't have, in a private chat: one line pointing at /help.

    In groups, commands meant for other bots are none of our business: stay quiet.
    """
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or chat.type != "private" or not message.text:
        return
    command = message.text.split()[0].split("@", 1)[0]
    tr = await texts(update, context)
    await reply(message, tr(messages.UNKNOWN_COMMAND).format(command=command))


# --- links ---------------------------------------------------------------------------------


async def links(update: Update, context: BotContext) -> None:
    """Answer every link of a message (up to the cap) with its summary, as replies."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    services = context.services
    settings = services.settings
    found = extract_links(message, limit=settings.max_links_per_message)
    if not found.urls:
        if chat.type == ChatType.PRIVATE:  # in groups, chatter without links is not for us
            await reply(message, (await texts(update, context))(messages.NO_LINK))
        return
    who = requester(update)
    admitted: list[str] = []
    wait = 0.0
    for url in found.urls:
        wait = await services.user_limit.acquire(str(who))
        if wait:
            break
        admitted.append(url)
    lang = await services.chats.language(chat.id) or user_language(update)
    tr = translator(lang)
    try:
        if admitted:
            await _answer_links(message, chat, admitted, lang, tr, context, who)
        if wait:
            await reply(message, messages.rate_limited(tr, wait), quote=True)
        elif found.skipped:
            limit = settings.max_links_per_message
            await reply(message, tr(messages.TOO_MANY_LINKS, limit).format(limit=limit))
    except Forbidden as exc:
        await mark_blocked(context, chat.id, exc)


async def _answer_links(message: Message, chat: Chat, urls: Sequence[str], lang: str | None,
                        tr: Translator, context: BotContext, who: int) -> None:
    async with typing_action(chat):
        # Status messages go out in link order, then the links are worked on together.
        statuses = [
            await reply(message, tr(messages.READING).format(host=_host(url)), quote=True)
            for url in urls
        ]
        outcomes = await asyncio.gather(
            *(_answer_link(message, status, url, lang, tr, context, who)
              for status, url in zip(statuses, urls, strict=True)),
            return_exceptions=True,
        )
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for extra in failures[1:]:
        log.error("another link of the same message failed", exc_info=extra)
    if failures:  # to the error handler (or `links`, for Forbidden)
        raise failures[0]


async def _answer_link(message: Message, status: Message, url: str, lang: str | None,
                       tr: Translator, context: BotContext, who: int) -> None:
    """Summarize one admitted link (its share of the budget is taken already).

    Only work done is paid for: a link that fails, or is answered from the cache, gives
    its share of the budget back.
    """
    host = _host(url)
    services = context.services
    try:
        result = await services.jobs.summarize(url, lang=lang, user=who)
    except NewsbotError as exc:
        await services.user_limit.release(str(who))
        log.info("link %s failed: %s: %s", url, type(exc).__name__, exc)
        await _put(message, status, [messages.failure(tr, exc, host)])
        return
    except Exception:
        await services.user_limit.release(str(who))
        with contextlib.suppress(TelegramError):
            await _put(message, status, [tr(messages.GENERIC_FAILURE).format(host=host)])
        raise
    if result.cached:
        await services.user_limit.release(str(who))
    summary = result.summary
    log.info("link %s: %d points by %s%s%s", result.canonical_url, len(summary.points),
             summary.summarizer, " (cached)" if result.cached else "",
             f" (fallback: {summary.fallback_reason})" if summary.fallback_reason else "")
    shown = await _put(message, status, render_summary(result.article, summary, url=url, tr=tr))
    # A reply to the summary asks about this article (bot.telegram.questions).
    article = result.article
    await reply_targets.remember(context, message.chat_id, shown, [StoryRef.of(
        article.title, [(article.site or host, result.canonical_url)], summary.points)])


async def _put(origin: Message, status: Message, parts: Sequence[Markup]) -> list[int]:
    """Edit the status message into the first part; send the rest as replies to `origin`.

    Returns the ids of the messages that show the parts.
    """
    first, *rest = parts
    shown = [await _edit(origin, status, first)]
    for part in rest:
        shown.append(await _reply(origin, part))
    return shown


async def _edit(origin: Message, status: Message, text: Markup) -> int:
    try:
        await edit(status, text)
    except BadRequest as exc:
        reason = exc.message.lower()
        if "can't parse entities" in reason:
            log.warning("Telegram refused our HTML (%s); sending plain text", exc.message)
            await status.edit_text(to_plain(text), parse_mode=None)
        elif "message is not modified" in reason:
            pass
        elif "message to edit not found" in reason:  # the user deleted it: reply anew
            return await _reply(origin, text)
        else:
            raise
    return status.message_id


async def _reply(origin: Message, text: Markup) -> int:
    try:
        return (await reply(origin, text, quote=True)).message_id
    except BadRequest as exc:
        if "can't parse entities" not in exc.message.lower():
            raise
        log.warning("Telegram refused our HTML (%s); sending plain text", exc.message)
        return (await origin.reply_text(to_plain(text), parse_mode=None,
                                        do_quote=True)).message_id


@contextlib.asynccontextmanager
async def typing_action(chat: Chat) -> AsyncIterator[None]:
    """Show "typing…" while the work runs (the action expires after ~5 s, so repeat it)."""

    async def keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await chat.send_action(ChatAction.TYPING)
            await asyncio.sleep(_TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# --- chat membership and errors ------------------------------------------------------------


async def membership(update: Update, context: BotContext) -> None:
    """Remember when a user blocks (or unblocks) the bot, or a group or channel removes it."""
    change = update.my_chat_member
    if change is None:
        return
    member = change.new_chat_member
    status = member.status
    active = status not in (ChatMember.BANNED, ChatMember.LEFT)
    if change.chat.type == ChatType.CHANNEL:
        # In a channel only an administrator with "Post messages" can post the digest.
        active = isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)
    await context.services.chats.set_active(change.chat.id, active)
    log.info("chat %s is now %s (%s)", change.chat.id, "active" if active else "inactive",
             status)


async def on_error(update: object, context: BotContext) -> None:
    """Log every exception a handler let through; the bot keeps serving the others."""
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(error, Forbidden) and chat is not None:
        await mark_blocked(context, chat.id, error)
        return
    if update is None and isinstance(error, NetworkError):
        # Polling through a network blip: PTB retries by itself; a traceback adds nothing.
        log.warning("network trouble talking to Telegram: %s", error)
        return
    log.error("unhandled error while handling %s", _describe(update), exc_info=error)


async def mark_blocked(context: BotContext, chat_id: int, exc: Forbidden) -> None:
    # Retrying cannot help: Telegram refuses until the user unblocks the bot.
    log.warning("chat %s is unreachable (%s); marking it inactive", chat_id, exc.message)
    await context.services.chats.set_active(chat_id, False)


def _describe(update: object) -> str:
    if isinstance(update, Update):
        chat = update.effective_chat
        return f"update {update.update_id}" + (f" in chat {chat.id}" if chat else "")
    return repr(update)


def requester(update: Update) -> int:
    """Whom the work is done for, the key of the per-user budget and job queue.

    Someone posting as a chat (an anonymous group admin, a linked channel) is that chat:
    Telegram shows them all as the same placeholder user, who must not share one budget.
    """
    message = update.effective_message
    if update.callback_query is None and message is not None and message.sender_chat:
        return message.sender_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    chat = update.effective_chat
    return chat.id if chat is not None else 0


def user_language(update: Update) -> str | None:
    user = update.effective_user
    return user.language_code if user is not None and user.language_code else None


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")
