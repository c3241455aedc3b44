"""/import and /export: a chat's feeds in and out as OPML files, the way feed readers trade them.

How a file is brought (what Telegram users do with bots that take files):
- the file sent with the caption `/import`;
- `/import` sent as a reply to a file already in the chat;
- `/import` alone: the bot asks for the file (as a reply to its prompt, which also reaches
  a bot in a group where it only sees commands and replies), and takes the next file the
  same person sends in that chat within `PROMPT_SECONDS`.
A feed-list file sent without any of these gets a one-line hint in a private chat.

Each feed is checked the way `/subscribe URL` checks one (fetched through the SSRF guard and
parsed, queued with the user's links), in file order, until the chat's topic limit; search
feed URLs of `NEWS_SEARCH_FEEDS` come back as topics, unchecked. One summary says what was
added and what was skipped, and why. An import costs one request of the user's budget:
what it fetches is bounded by the topic limit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import OperationalError
from telegram import Document, ForceReply, InputFile, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.errors import (
    BlockedAddress,
    DuplicateTopic,
    FetchTimeout,
    HTTPStatusError,
    InvalidURL,
    NewsbotError,
    NotHTML,
    TooManyTopics,
)
from bot.i18n import SHIPPED, Text, Translator, translator
from bot.opml import MAX_OPML_BYTES, OpmlError, Outline, export_chat, parse_opml, topic_of
from bot.schedule import format_digest_time, next_digest_at
from bot.telegram import messages
from bot.telegram.context import BotContext, Services
from bot.telegram.feedcheck import check_feed
from bot.telegram.handlers import requester, require_admin, texts
from bot.telegram.jobs import JobTimeout
from bot.telegram.markup import NEWLINE, Markup, pack, to_plain
from bot.telegram.outgoing import edit, reply
from bot.urls import parse_http_url

if TYPE_CHECKING:
    from bot.store import Chat

log = logging.getLogger(__name__)

PROMPT_SECONDS = 600.0  # how long after a bare /import the next file is taken as the list
_PROMPTS_CAP = 10_000
MAX_SKIPPED_SHOWN = 30  # lines of "skipped" in the summary; the rest are counted
# Topics are 2 to 100 characters (bot.telegram.topics); a search URL's query is one.
MIN_TOPIC, MAX_TOPIC = 2, 100
EXPORT_NAME = "newsbot-feeds.opml"
# Names and types a feed list comes as (readers export .opml; some send .xml).
_LIST_SUFFIXES = (".opml", ".xml")
_LIST_TYPES = ("text/x-opml", "application/xml", "text/xml", "text/plain")


# --- the file ------------------------------------------------------------------------------


class ImportPrompts:
    """Who was asked for a file: (chat, user) → until when, in this process's memory.

    A replica that did not send the prompt does not know it; the prompt asks for a reply,
    which every replica recognizes, so this is only the fallback for a file sent without
    replying.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[tuple[int, int], float] = {}

    def ask(self, chat_id: int, user_id: int) -> None:
        now = self._clock()
        if len(self._until) >= _PROMPTS_CAP:
            self._until = {k: t for k, t in self._until.items() if t > now}
        self._until[(chat_id, user_id)] = now + PROMPT_SECONDS

    def waiting(self, chat_id: int, user_id: int) -> bool:
        until = self._until.get((chat_id, user_id))
        return until is not None and until > self._clock()

    def done(self, chat_id: int, user_id: int) -> None:
        self._until.pop((chat_id, user_id), None)


def _caption_command(message: Message, username: str) -> bool:
    """The caption starts with /import (or /import@this_bot)."""
    for entity in message.caption_entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            command = (message.caption or "")[: entity.length]  # ASCII: UTF-16 offsets agree
            name, _, target = command.partition("@")
            return name.lower() == "/import" and (not target or target.lower() == username.lower())
    return False


def _looks_like_a_list(document: Document) -> bool:
    name = (document.file_name or "").lower()
    return name.endswith(_LIST_SUFFIXES) or (document.mime_type or "") == "text/x-opml"


def _answers_prompt(message: Message, bot_id: int) -> bool:
    """A file sent in reply to the bot's "send me the file" prompt (which asks for a reply,
    so it reaches a bot that sees only commands and replies), or a feed list sent in reply
    to any of the bot's messages."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
        return False
    document = message.document
    return replied.text in _prompts() or (
        document is not None and _looks_like_a_list(document))


@dataclass
class FeedFiles:
    """The handlers, with the prompts they share; `register` adds them to the app."""

    prompts: ImportPrompts = field(default_factory=ImportPrompts)

    def register(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the handlers; before the links handler, which would take every file."""
        app.add_handler(CommandHandler("import", self.import_command))
        app.add_handler(CommandHandler("export", export_command))
        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.Document.ALL,
                                       self.document))

    async def import_command(self, update: Update, context: BotContext) -> None:
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not await require_admin(update, context):
            return
        replied = message.reply_to_message
        if replied is not None and replied.document is not None:
            await import_document(update, context, replied.document)
            return
        self.prompts.ask(chat.id, requester(update))
        tr = await texts(update, context)
        await message.reply_text(tr(messages.IMPORT_PROMPT),
                                 reply_markup=ForceReply(selective=True))

    async def document(self, update: Update, context: BotContext) -> None:
        """A file: a list to import when asked for; else a hint, or the links of its caption."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or message.document is None:
            return
        who = requester(update)
        asked = (_caption_command(message, context.bot.username)
                 or _answers_prompt(message, context.bot.id)
                 or self.prompts.waiting(chat.id, who))
        if asked:
            if not await require_admin(update, context):
                return
            self.prompts.done(chat.id, who)
            await import_document(update, context, message.document)
            return
        if _looks_like_a_list(message.document) and not message.caption:
            if chat.type == ChatType.PRIVATE:
                tr = await texts(update, context)
                await reply(message, tr(messages.IMPORT_HINT), quote=True)
            return
        # Any other file: its caption may hold links to summarize, as before files were read.
        from bot.telegram import handlers

        await handlers.links(update, context)


# --- /import -------------------------------------------------------------------------------


async def import_document(update: Update, context: BotContext, document: Document) -> None:
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    services = context.services
    tr = await texts(update, context)
    # Telegram says how big the file is before anything is downloaded.
    if document.file_size is not None and document.file_size > MAX_OPML_BYTES:
        await reply(message, _too_large(tr, document.file_size))
        return
    who = requester(update)
    wait = await services.user_limit.acquire(str(who))
    if wait:
        await reply(message, messages.rate_limited(tr, wait))
        return
    name = document.file_name or "OPML"
    try:
        data = await _download(document)
        outlines = await asyncio.to_thread(parse_opml, data)
    except _FileTooLarge as exc:
        await services.user_limit.release(str(who))
        await reply(message, _too_large(tr, exc.size))
        return
    except TelegramError as exc:
        await services.user_limit.release(str(who))
        log.warning("chat %s: OPML download failed: %s", chat.id, exc)
        await reply(message, tr(messages.IMPORT_DOWNLOAD_FAILED))
        return
    except OpmlError as exc:
        await services.user_limit.release(str(who))
        log.info("chat %s: OPML refused (%s): %s", chat.id, exc.problem, exc)
        await reply(message, _refusal(tr, exc))
        return
    if not outlines:
        await services.user_limit.release(str(who))
        await reply(message, tr(messages.IMPORT_EMPTY))
        return
    status = await reply(message, tr(messages.IMPORT_CHECKING).format(file=name,
                                                                     count=len(outlines)))
    report = await import_outlines(services, chat.id, who, outlines)
    log.info("chat %s imported %d of %d outlines (%d skipped, %d over the limit)", chat.id,
             len(report.added), len(outlines), len(report.skipped), report.over_limit)
    row = await asyncio.to_thread(services.store.chats.upsert, chat.id)
    parts = pack(_summary(tr, name, report, services.store.subscriptions.max_per_chat,
                          _schedule(tr, row, services) if report.added else None))
    await edit(status, parts[0])
    for part in parts[1:]:
        await reply(message, part)


class _FileTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes")
        self.size = size


async def _download(document: Document) -> bytes:
    file = await document.get_file()
    # getFile may know the size when the message did not say it.
    if file.file_size is not None and file.file_size > MAX_OPML_BYTES:
        raise _FileTooLarge(file.file_size)
    data = bytes(await file.download_as_bytearray())
    if len(data) > MAX_OPML_BYTES:  # said nothing, or said less than it was
        raise _FileTooLarge(len(data))
    return data


def _too_large(tr: Translator, size: int) -> Markup:
    return tr(messages.IMPORT_TOO_LARGE).format(size=messages.file_size(size),
                                                limit=messages.file_size(MAX_OPML_BYTES))


def _refusal(tr: Translator, exc: OpmlError) -> Markup:
    if exc.problem == "too_large":
        return _too_large(tr, MAX_OPML_BYTES + 1)
    return tr({
        "unsafe": messages.IMPORT_UNSAFE,
        "malformed": messages.IMPORT_MALFORMED,
        "not_opml": messages.IMPORT_NOT_OPML,
    }[exc.problem])


def _prompts() -> set[str]:
    """The "send me the file" prompt as shown, in every language (a reply names it)."""
    return {to_plain(translator(language)(messages.IMPORT_PROMPT)) for language in SHIPPED}


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)  # names, in file order
    # name, why (a message), its values
    skipped: list[tuple[str, Text, dict[str, object]]] = field(default_factory=list)
    over_limit: int = 0  # outlines not tried: the chat's topics were full


async def import_outlines(services: Services, chat_id: int, who: int,
                          outlines: list[Outline]) -> ImportReport:
    """Subscribe `chat_id` to what `outlines` list, in order, up to the topic limit."""
    from bot.store.topic import MAX_TOPIC_CHARS, TopicKind, normalize_topic

    store = services.store
    limit = store.subscriptions.max_per_chat
    subs = await asyncio.to_thread(store.subscriptions.for_chat, chat_id)
    followed = {(sub.kind, sub.topic_key) for sub in subs}
    free = limit - len(subs)
    checks = 0  # feeds fetched: at most the topic limit per import
    seen: set[tuple[TopicKind, str]] = set()
    report = ImportReport()
    templates = services.settings.news_search_feeds
    for outline in outlines:
        name = outline.title or outline.url
        try:
            url = parse_http_url(outline.url)
        except InvalidURL:
            report.skipped.append((name, messages.SKIP_INVALID, {}))
            continue
        topic = topic_of(url, templates)
        kind: TopicKind = "search" if topic is not None else "feed"
        subject = topic if topic is not None else url
        key = (kind, normalize_topic(subject, kind))
        if key in seen:
            report.skipped.append((name, messages.SKIP_DUPLICATE, {}))
            continue
        seen.add(key)
        if key in followed:
            report.skipped.append((topic or name, messages.SKIP_ALREADY, {}))
            continue
        if (topic is not None and not MIN_TOPIC <= len(topic) <= MAX_TOPIC) or (
                len(url) > MAX_TOPIC_CHARS):
            report.skipped.append((name, messages.SKIP_TOO_LONG, {}))
            continue
        if free <= 0 or (topic is None and checks >= limit):
            report.over_limit += 1
            continue
        title = ""
        if topic is None:
            checks += 1
            try:
                title = await check_feed(services, who, url)
            except NewsbotError as exc:
                report.skipped.append((name, *_skip_reason(exc)))
                continue
        try:
            await asyncio.to_thread(store.subscriptions.add, chat_id, subject, kind)
        except DuplicateTopic:  # added meanwhile (another /subscribe or /import)
            report.skipped.append((name, messages.SKIP_ALREADY, {}))
            continue
        except TooManyTopics:
            free = 0
            report.over_limit += 1
            continue
        except OperationalError:
            log.warning("chat %s: import not saved (storage problem)", chat_id, exc_info=True)
            report.skipped.append((name, messages.SKIP_STORAGE, {}))
            continue
        except ValueError:
            report.skipped.append((name, messages.SKIP_TOO_LONG, {}))
            continue
        free -= 1
        followed.add(key)
        report.added.append(topic or title or outline.title or url)
        log.info("chat %s subscribed to %s %r (import)", chat_id, kind, subject)
    return report


def _skip_reason(exc: NewsbotError) -> tuple[Text, dict[str, object]]:
    if isinstance(exc, BlockedAddress):
        return messages.SKIP_BLOCKED, {}
    if isinstance(exc, InvalidURL):
        return messages.SKIP_INVALID, {}
    if isinstance(exc, NotHTML):
        return messages.SKIP_NOT_A_FEED, {}
    if isinstance(exc, HTTPStatusError):
        return messages.SKIP_HTTP, {"status": exc.status_code}
    if isinstance(exc, FetchTimeout | JobTimeout):
        return messages.SKIP_SLOW, {}
    from bot.news.source import FeedError

    if isinstance(exc, FeedError):
        return messages.SKIP_NOT_A_FEED, {}
    return messages.SKIP_UNREACHABLE, {}


def _schedule(tr: Translator, row: Chat, services: Services) -> dict[str, str]:
    """When the next digest comes, as the summary's last line says it."""
    now = services.clock()
    next_at = next_digest_at(row.timezone, row.digest_time, now)
    return {"time": format_digest_time(row.digest_time), "tz": row.timezone,
            "when": messages.when(tr, (next_at - now).total_seconds())}


def _summary(tr: Translator, name: str, report: ImportReport, limit: int,
             schedule: dict[str, str] | None) -> list[Markup]:
    blocks = [tr(messages.IMPORT_SUMMARY).format(
        file=name, added=len(report.added), skipped=len(report.skipped) + report.over_limit)]
    if report.added:
        blocks.append(NEWLINE + tr(messages.IMPORT_ADDED))
        blocks += [tr(messages.IMPORT_LINE).format(name=added) for added in report.added]
    if report.skipped or report.over_limit:
        blocks.append(NEWLINE + tr(messages.IMPORT_SKIPPED))
        blocks += [tr(messages.IMPORT_SKIPPED_LINE).format(name=skipped,
                                                           reason=tr(why).format(**values))
                   for skipped, why, values in report.skipped[:MAX_SKIPPED_SHOWN]]
        if len(report.skipped) > MAX_SKIPPED_SHOWN:
            blocks.append(tr(messages.IMPORT_MORE).format(
                count=len(report.skipped) - MAX_SKIPPED_SHOWN))
        if report.over_limit:
            blocks.append(tr(messages.IMPORT_OVER_LIMIT).format(count=report.over_limit,
                                                                limit=limit))
    if schedule is not None:
        blocks.append(NEWLINE + tr(messages.IMPORT_NEXT).format(**schedule))
    return blocks


# --- /export -------------------------------------------------------------------------------


async def export_command(update: Update, context: BotContext) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    services = context.services
    store = services.store
    subs = await asyncio.to_thread(store.subscriptions.for_chat, chat.id)
    tr = await texts(update, context)
    if not subs:
        await reply(message, tr(messages.NO_TOPICS))
        return
    document = await asyncio.to_thread(export_chat, services.settings, store, chat.id)
    try:
        await message.reply_document(
            InputFile(document, filename=EXPORT_NAME),
            caption=tr(messages.EXPORT_CAPTION).format(count=len(subs)),
        )
    except TelegramError as exc:
        log.warning("chat %s: OPML export not sent: %s", chat.id, exc)
        await reply(message, tr(messages.EXPORT_FAILED))
