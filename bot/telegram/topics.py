"""Commands for topic subscriptions and digests: /subscribe, /unsubscribe, /topics, /time,
/digest and /forget, with their inline buttons."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from sqlalchemy.exc import OperationalError
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.errors import (
    DuplicateTopic,
    InvalidURL,
    NewsbotError,
    NotHTML,
    RecipientGone,
    TooManyTopics,
)
from bot.i18n import Translator
from bot.schedule import format_digest_time, next_digest_at, parse_digest_time
from bot.telegram import messages
from bot.telegram.channels import Place, place_of
from bot.telegram.context import BotContext, Services
from bot.telegram.feedcheck import check_feed
from bot.telegram.handlers import requester, require_admin, texts, typing_action
from bot.telegram.markup import NEWLINE, Markup
from bot.telegram.outgoing import reply
from bot.urls import parse_http_url

if TYPE_CHECKING:
    from bot.store import Chat, Subscription

log = logging.getLogger(__name__)

MIN_TOPIC = 2
MAX_TOPIC = 100
MAX_BUTTON = 40  # characters of a topic shown on an /unsubscribe button

UNSUBSCRIBE_PREFIX = "unsub:"
FORGET_PREFIX = "forget:"
# A /forget prompt's buttons carry who asked: "forget:yes:<requester id>".
FORGET_YES = "forget:yes"
FORGET_NO = "forget:no"

_URL_START = re.compile(r"(?i)^[a-z][a-z0-9+.-]*://")


# --- /subscribe ------------------------------------------------------------------------------


async def subscribe(update: Update, context: BotContext) -> None:
    message = update.effective_message
    place = await place_of(update, context)
    if message is None or place is None:
        return
    tr = await texts(update, context)
    services = context.services
    text = " ".join(place.args)
    if not text:
        await _answer(message, place, tr(messages.SUBSCRIBE_USAGE),
                      tr(messages.CHANNEL_SUBSCRIBE_USAGE))
        return
    if _URL_START.match(text) or text.lower().startswith("www."):
        url = await _checked_feed(message, place, requester(update), services, text, tr)
        if url is None:
            return
        topic, kind = url, "feed"
        template = (tr(messages.CHANNEL_SUBSCRIBED_FEED) if place.remote
                    else tr(messages.SUBSCRIBED_FEED))
    else:
        if not MIN_TOPIC <= len(text) <= MAX_TOPIC:
            await reply(message, tr(messages.TOPIC_LENGTH).format(min=MIN_TOPIC, max=MAX_TOPIC))
            return
        topic, kind = text, "search"
        template = tr(messages.CHANNEL_SUBSCRIBED) if place.remote else tr(messages.SUBSCRIBED)
    store = services.store
    chat_id = place.chat_id
    try:
        await asyncio.to_thread(store.subscriptions.add, chat_id, topic, kind)  # type: ignore[arg-type]
    except DuplicateTopic:
        await _answer(message, place, tr(messages.DUPLICATE_TOPIC),
                      tr(messages.CHANNEL_DUPLICATE_TOPIC), topic=topic)
        return
    except TooManyTopics as exc:
        await _answer(message, place, tr(messages.TOO_MANY_TOPICS, exc.limit),
                      tr(messages.CHANNEL_TOO_MANY_TOPICS, exc.limit), limit=exc.limit)
        return
    except OperationalError:  # a full disk, an unreachable database
        log.warning("chat %s: subscription not saved (storage problem)", chat_id, exc_info=True)
        await reply(message, tr(messages.STORAGE_PROBLEM))
        return
    except ValueError:  # the store's own limits (a feed address that is far too long)
        await reply(message, tr(messages.TOPIC_LENGTH).format(min=MIN_TOPIC, max=MAX_TOPIC))
        return
    row = await asyncio.to_thread(store.chats.upsert, chat_id)
    if place.remote:
        # A channel has no Telegram language of its own: its digest starts in the language
        # of whoever set it up.
        user = update.effective_user
        if user is not None and user.language_code and row.language is None:
            await asyncio.to_thread(store.chats.set_language_if_unset, chat_id,
                                    user.language_code)
    log.info("chat %s subscribed to %s %r", chat_id, kind, topic)
    await _answer(message, place, template, template, topic=topic,
                  **_schedule(row, services, tr))


async def _checked_feed(message: Message, place: Place, who: int, services: Services,
                        text: str, tr: Translator) -> str | None:
    """The feed's URL if it is an address that serves a feed; otherwise say why, and None.

    Everything that costs nothing comes first — the address, a duplicate, the topic cap —
    so only a subscription that could be added fetches anything. The fetch is charged to
    the user's budget (given back if it fails) and queues with their links.
    """
    if text.lower().startswith("www."):
        text = "https://" + text
    try:
        url = parse_http_url(text)
    except InvalidURL as exc:
        await reply(message, tr(messages.BAD_FEED_URL).format(reason=str(exc)))
        return None
    # Loaded on first use, like the rest of the store machinery (see app.py).
    from bot.store.topic import MAX_TOPIC_CHARS, normalize_topic

    if len(url) > MAX_TOPIC_CHARS:  # the store's own limit: say so before fetching
        await reply(message, tr(messages.TOPIC_LENGTH).format(min=MIN_TOPIC, max=MAX_TOPIC))
        return None
    store = services.store
    subs = await asyncio.to_thread(store.subscriptions.for_chat, place.chat_id)
    key = normalize_topic(url, "feed")
    if any(sub.kind == "feed" and sub.topic_key == key for sub in subs):
        await _answer(message, place, tr(messages.DUPLICATE_TOPIC),
                      tr(messages.CHANNEL_DUPLICATE_TOPIC), topic=url)
        return None
    limit = store.subscriptions.max_per_chat
    if len(subs) >= limit:
        await _answer(message, place, tr(messages.TOO_MANY_TOPICS, limit),
                      tr(messages.CHANNEL_TOO_MANY_TOPICS, limit), limit=limit)
        return None
    wait = await services.user_limit.acquire(str(who))
    if wait:
        await reply(message, messages.rate_limited(tr, wait))
        return None
    host = urlsplit(url).hostname or url
    try:
        await check_feed(services, who, url)
    except (NotHTML, ValueError):  # wrong content type, or a page that is not a feed
        await services.user_limit.release(str(who))
        await reply(message, tr(messages.NOT_A_FEED).format(host=host))
        return None
    except NewsbotError as exc:
        await services.user_limit.release(str(who))
        await reply(message, messages.failure(tr, exc, host))
        return None
    return url


# --- /topics ---------------------------------------------------------------------------------


async def topics(update: Update, context: BotContext) -> None:
    message = update.effective_message
    # Reading this chat's topics is for everyone; another chat's, for its admins only.
    place = await place_of(update, context, admin_only=False)
    if message is None or place is None:
        return
    tr = await texts(update, context)
    services = context.services
    store = services.store
    subs = await asyncio.to_thread(store.subscriptions.for_chat, place.chat_id)
    if not subs:
        await _answer(message, place, tr(messages.NO_TOPICS), tr(messages.CHANNEL_NO_TOPICS))
        return
    row = await asyncio.to_thread(store.chats.upsert, place.chat_id)
    limit = store.subscriptions.max_per_chat
    header = tr(messages.CHANNEL_TOPICS_HEADER) if place.remote else tr(messages.TOPICS_HEADER)
    footer = tr(messages.CHANNEL_TOPICS_FOOTER) if place.remote else tr(messages.TOPICS_FOOTER)
    lines = [header.format(count=len(subs), limit=limit, name=place.name)]
    lines.extend(messages.TOPICS_LINE.format(n=n, topic=_label(sub, tr))
                 for n, sub in enumerate(subs, 1))
    lines += [Markup(), footer.format(ref=place.ref, **_schedule(row, services, tr))]
    await _say(message, place, NEWLINE.join(lines))


# --- /unsubscribe ----------------------------------------------------------------------------


async def unsubscribe(update: Update, context: BotContext) -> None:
    message = update.effective_message
    place = await place_of(update, context)
    if message is None or place is None:
        return
    tr = await texts(update, context)
    store = context.services.store
    text = " ".join(place.args)
    if text:
        removed = await asyncio.to_thread(store.subscriptions.remove, place.chat_id, text)
        if removed:
            await _answer(message, place, tr(messages.UNSUBSCRIBED),
                          tr(messages.CHANNEL_UNSUBSCRIBED), topic=text)
        else:
            await _answer(message, place, tr(messages.NOT_SUBSCRIBED),
                          tr(messages.CHANNEL_NOT_SUBSCRIBED), topic=text)
        return
    if place.remote:  # the buttons act on the chat they are shown in: name the topic instead
        await _answer(message, place, tr(messages.CHANNEL_UNSUBSCRIBE_USAGE),
                      tr(messages.CHANNEL_UNSUBSCRIBE_USAGE))
        return
    subs = await asyncio.to_thread(store.subscriptions.for_chat, place.chat_id)
    if not subs:
        await reply(message, tr(messages.NO_TOPICS))
        return
    await reply(message, tr(messages.UNSUBSCRIBE_PICK), keyboard=_topic_keyboard(subs, tr))


async def unsubscribe_button(update: Update, context: BotContext) -> None:
    """A topic's button under /unsubscribe: remove it and edit the message to say so."""
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    tr = await texts(update, context)
    if not await require_admin(update, context) or not await _own_button(update, tr):
        return
    store = context.services.store
    token = query.data.removeprefix(UNSUBSCRIBE_PREFIX)
    subs = await asyncio.to_thread(store.subscriptions.for_chat, chat.id)
    picked = next((sub for sub in subs if topic_token(sub) == token), None)
    if picked is None:  # pressed twice, or removed meanwhile by a command
        await query.answer(tr(messages.UNSUBSCRIBE_GONE))
        return
    await asyncio.to_thread(store.subscriptions.remove, chat.id, picked.topic, picked.kind)
    log.info("chat %s unsubscribed from %s %r", chat.id, picked.kind, picked.topic)
    await query.answer()
    left = [sub for sub in subs if sub is not picked]
    template = tr(messages.UNSUBSCRIBED_MORE) if left else tr(messages.UNSUBSCRIBED)
    await _edit_query(update, template.format(topic=picked.topic),
                      _topic_keyboard(left, tr) if left else None)


def topic_token(sub: Subscription) -> str:
    """A short stable id for a subscription: callback data holds at most 64 bytes."""
    digest = hashlib.sha256(f"{sub.kind}\0{sub.topic_key}".encode()).hexdigest()
    return digest[:16]


def _topic_keyboard(subs: list[Subscription], tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_cut(_label(sub, tr), MAX_BUTTON),
                               callback_data=UNSUBSCRIBE_PREFIX + topic_token(sub))]
         for sub in subs]
    )


# --- /time -----------------------------------------------------------------------------------


async def time_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    place = await place_of(update, context)
    if message is None or place is None:
        return
    tr = await texts(update, context)
    services = context.services
    store = services.store
    args = place.args
    row = await asyncio.to_thread(store.chats.upsert, place.chat_id)
    if not args or len(args) > 2:
        await _answer(message, place, tr(messages.TIME_USAGE), tr(messages.CHANNEL_TIME_USAGE),
                      time=format_digest_time(row.digest_time), tz=row.timezone)
        return
    if len(args) == 1 and timezone_name(args[0]) is not None:
        when, zone = row.digest_time, timezone_name(args[0])  # "/time Europe/Kyiv"
    else:
        try:
            when = parse_digest_time(args[0])
        except ValueError:
            await reply(message, tr(messages.BAD_TIME).format(given=args[0]))
            return
        zone = timezone_name(args[1]) if len(args) == 2 else row.timezone
    if zone is None:
        await reply(message, tr(messages.BAD_TIMEZONE).format(given=args[1]))
        return
    row = await asyncio.to_thread(store.chats.set_schedule, place.chat_id, when, zone)
    await _answer(message, place, tr(messages.TIME_SET), tr(messages.CHANNEL_TIME_SET),
                  **_schedule(row, services, tr))


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def timezone_name(text: str) -> str | None:
    """The IANA name for `text`, whatever its case ("europe/kyiv" → "Europe/Kyiv"), or None."""
    return _zones_by_folded_name().get(text.strip().casefold())


# --- /digest ---------------------------------------------------------------------------------


async def digest_now(update: Update, context: BotContext) -> None:
    """Send this chat's digest now, with only what it hasn't been sent before."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    tr = await texts(update, context)
    services = context.services
    subs = await asyncio.to_thread(services.store.subscriptions.for_chat, chat.id)
    if not subs:
        await reply(message, tr(messages.NO_TOPICS))
        return
    # On demand, a digest is paid for twice: DIGEST_ON_DEMAND_PER_HOUR per chat (it fetches
    # every topic and calls the model for each story), and one share of the budget of who
    # asked. Scheduled digests are neither. A digest that fails gives both back.
    who = requester(update)
    wait = await services.digest_limit.acquire(str(chat.id))
    if wait:
        await reply(message, messages.digest_too_often(
            tr, services.settings.digest_on_demand_per_hour, wait))
        return
    wait = await services.user_limit.acquire(str(who))
    if wait:
        await services.digest_limit.release(str(chat.id))
        await reply(message, messages.rate_limited(tr, wait))
        return
    # One /digest at a time per chat: a second one waits for the first to be sent *and*
    # remembered, so it shows only what is new after it (usually "Nothing new…").
    lock = services.digest_locks.setdefault(chat.id, asyncio.Lock())
    async with lock:
        try:
            async with typing_action(chat):
                # Sends (resuming a digest whose later parts failed last time) and records
                # what it showed, so nothing is repeated by the next /digest or tomorrow.
                sent = await services.digests.send_on_demand(chat.id, services.sender)
        except RecipientGone as exc:
            log.warning("chat %s is unreachable (%s); marking it inactive", chat.id, exc)
            await services.chats.set_active(chat.id, False)
            return
        except NewsbotError as exc:
            await services.digest_limit.release(str(chat.id))
            await services.user_limit.release(str(who))
            log.warning("digest for chat %s failed: %s: %s", chat.id, type(exc).__name__, exc)
            await reply(message, tr(messages.DIGEST_FAILED))
            return
    log.info("digest for chat %s on request: %d stories in %d part(s)", chat.id,
             len(sent.stories), len(sent.parts))


# --- /forget ---------------------------------------------------------------------------------


async def forget(update: Update, context: BotContext) -> None:
    message = update.effective_message
    if message is None or not await require_admin(update, context):
        return
    tr = await texts(update, context)
    # The buttons name who asked: only they can answer (see forget_button).
    asker = requester(update)
    keyboard = InlineKeyboardMarkup([[
        InlineKeyboardButton(tr(messages.FORGET_YES), callback_data=f"{FORGET_YES}:{asker}"),
        InlineKeyboardButton(tr(messages.FORGET_NO), callback_data=f"{FORGET_NO}:{asker}"),
    ]])
    await reply(message, tr(messages.FORGET_CONFIRM), keyboard=keyboard)


async def forget_button(update: Update, context: BotContext) -> None:
    """Yes or Cancel under a /forget prompt: only on that prompt, only from who asked.

    Callback data is whatever the client sends, so "forget:yes" can be forged onto any of
    the bot's messages; what Telegram reports as the message's keyboard cannot.
    """
    query, chat = update.callback_query, update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    tr = await texts(update, context)
    if not await require_admin(update, context) or not await _own_button(update, tr):
        return
    answer, _, asker = query.data.removeprefix(FORGET_PREFIX).partition(":")
    if answer not in ("yes", "no") or not re.fullmatch(r"-?\d+", asker):
        await query.answer(tr(messages.PROMPT_STALE))
        return
    # A prompt asked by an anonymous admin (as the group) may be answered by any admin.
    if int(asker) not in (query.from_user.id, chat.id):
        log.info("chat %s: /forget prompt of %s answered by %s: refused", chat.id, asker,
                 query.from_user.id)
        await query.answer(tr(messages.NOT_YOUR_PROMPT))
        return
    await query.answer()
    if answer != "yes":
        await _edit_query(update, tr(messages.FORGET_CANCELLED), None)
        return
    await context.services.chats.forget(chat.id)
    log.info("chat %s asked to be forgotten: done", chat.id)
    await _edit_query(update, tr(messages.FORGOTTEN), None)


async def _own_button(update: Update, tr: Translator) -> bool:
    """True if the pressed data is a button of the message it came from; else say so.

    A forged press (data that the message never offered) and a press on a prompt that was
    answered already (its keyboard is gone) both get "doesn't work any more".
    """
    query = update.callback_query
    assert query is not None
    shown = query.message
    markup = shown.reply_markup if isinstance(shown, Message) else None
    offered = {button.callback_data for row in (markup.inline_keyboard if markup else ())
               for button in row}
    if query.data in offered:
        return True
    log.info("callback %r not offered by its message: refused", query.data)
    await query.answer(tr(messages.PROMPT_STALE))
    return False


# --- shared ----------------------------------------------------------------------------------


async def _answer(message: Message, place: Place, own: Markup, other: Markup,
                  **values: object) -> None:
    """Reply with `own` about this chat, or `other` about the channel or group `place`
    names (with its {name} and {ref}), after saying once that a paused one is back on."""
    if not place.remote:
        await reply(message, own.format(**values))
        return
    await _say(message, place, other.format(name=place.name, ref=place.ref, **values))


async def _say(message: Message, place: Place, text: Markup) -> None:
    if place.note is not None:
        text = NEWLINE.join([place.note, text])
    await reply(message, text)


async def _edit_query(update: Update, text: Markup,
                      keyboard: InlineKeyboardMarkup | None) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as exc:
        # Two quick presses: the second edit would change nothing.
        if "message is not modified" not in exc.message.lower():
            raise


def _schedule(row: Chat, services: Services, tr: Translator) -> dict[str, str]:
    now = services.clock()
    next_at = next_digest_at(row.timezone, row.digest_time, now)
    return {
        "time": format_digest_time(row.digest_time),
        "tz": row.timezone,
        "when": messages.when(tr, (next_at - now).total_seconds()),
    }


def _label(sub: Subscription, tr: Translator) -> str:
    return sub.topic + (" " + tr(messages.FEED_MARK) if sub.kind == "feed" else "")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
