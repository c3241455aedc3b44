"""A real Telegram Bot API server on loopback, strict where Telegram is strict.

    with FakeBotAPI() as api:
        settings = Settings(telegram_bot_token=api.token, telegram_api_url=api.base_url)
        api.push_message("https://example.com/a", user_id=42)
        reply = await api.wait_for(lambda: api.sent_to(42))

It is a `LoopbackServer` (tests/fakes/server.py): HTTP from a thread, so it works whatever
event loop the bot runs. It answers
`POST /bot<token>/<method>` with JSON or form bodies the way Telegram does
(`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`),
and checks what Telegram checks: HTML markup (only Telegram's tags, balanced, no bare `<`,
`>` or `&`), the 4096-character limit counted on the visible text, unknown tokens (401),
editing a message that is not there. `getUpdates` long-polls with Telegram's offset
semantics. Faults are scriptable (429 with retry_after, 403 for blocked chats, 5xx, delays)
and every call is kept in `history`.

Files work as in the Bot API: `push_document` sends the bot a document (`message.document`
with file_id, file_unique_id, file_name, mime_type, file_size); `getFile` answers a
`file_path` (refusing files over 20 MB, as Telegram does), and the bytes are served at
`GET /file/bot<token>/<file_path>`, the URL PTB builds from `base_file_url`. `sendDocument`
takes a multipart upload, checked like Telegram (a non-empty file, at most 50 MB, a caption
of at most 1024 characters of valid HTML); `documents_to(chat_id)` returns what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.parser
import email.policy
import http.client
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.server import LoopbackServer, QuietHandler

T = TypeVar("T")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile: bots download files of at most 20 MB
MAX_UPLOAD = 50 * 1024 * 1024  # sendDocument: bots upload files of at most 50 MB
# Telegram's HTML subset (https://core.telegram.org/bots/api#html-style).
_TAGS = frozenset({
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
})
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'|[^\s>\"'<]+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>\"']+)))?")
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# Fields that Telegram takes as JSON-serialized objects or integers when sent as a form.
_JSON_FIELDS = frozenset({
    "reply_parameters", "reply_markup", "entities", "caption_entities", "commands",
    "allowed_updates", "link_preview_options", "scope",
})
_INT_FIELDS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout", "user_id"})


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML."""


def parse_html(text: str) -> str:
    """Return the visible text of Telegram-HTML `text`, or raise EntityParseError like Telegram."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            m = _TAG.match(text, i)
            offset = len(text[:i].encode())
            if m is None:
                raise EntityParseError(f'Unsupported start tag "" at byte offset {offset}')
            closing, name = m.group(1) == "/", m.group(2).lower()
            if name not in _TAGS:
                kind = "end" if closing else "start"
                raise EntityParseError(f'Unsupported {kind} tag "{name}" at byte offset {offset}')
            if closing:
                if not stack or stack[-1] != name:
                    expected = f'"</{stack[-1]}>"' if stack else "no end tag"
                    raise EntityParseError(
                        f'Unmatched end tag at byte offset {offset}, expected {expected}, '
                        f'found "</{name}>"'
                    )
                stack.pop()
            else:
                attrs = {a.group(1).lower(): next((g for g in a.groups()[1:] if g is not None),
                                                  "") for a in _ATTR.finditer(m.group(3))}
                if name == "a" and not attrs.get("href"):
                    raise EntityParseError(f"Empty href in a tag at byte offset {offset}")
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise EntityParseError(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
                for value in attrs.values():
                    _unescape_strict(value, offset)
                stack.append(name)
            i = m.end()
        elif ch == "&":
            m = _ENTITY.match(text, i)
            if m is None:
                raise EntityParseError(
                    f"Character entity expected at byte offset {len(text[:i].encode())}"
                )
            out.append(_entity_value(m, len(text[:i].encode())))
            i = m.end()
        elif ch == ">":
            raise EntityParseError(
                f'Unexpected end of tag at byte offset {len(text[:i].encode())}'
            )
        else:
            out.append(ch)
            i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def _entity_value(m: re.Match[str], offset: int = 0) -> str:
    named, dec, hexa = m.groups()
    if named:
        return _NAMED[named]
    code = int(dec) if dec else int(hexa, 16)
    if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:  # not a character
        raise EntityParseError(f"Character entity expected at byte offset {offset}")
    return chr(code)


def _unescape_strict(value: str, offset: int) -> str:
    for j, ch in enumerate(value):
        if ch == "&" and _ENTITY.match(value, j) is None:
            raise EntityParseError(f"Character entity expected at byte offset {offset}")
    return _ENTITY.sub(lambda m: _entity_value(m, offset), value)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Call:
    """One request the bot made, and what the fake answered."""

    method: str
    params: dict[str, Any]
    status: int
    token: str
    at: float = 0.0  # time.monotonic() when the request arrived (rates are measured here)


@dataclass
class BotMessage:
    """A message the bot sent, as the chat shows it now (after any edits)."""

    chat_id: int
    message_id: int
    text: str  # visible text
    raw: str  # text as sent (HTML source when parse_mode is HTML)
    parse_mode: str | None
    reply_to: int | None
    edits: int = 0
    reply_markup: dict[str, Any] | None = None  # the inline keyboard, as sent
    link_preview: dict[str, Any] | None = None  # link_preview_options, as sent
    paid_broadcast: bool = False  # sent with allow_paid_broadcast (paid past 30 msg/s)
    document: SentDocument | None = None  # sendDocument: the file (text is its caption)

    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass(frozen=True)
class SentDocument:
    """A file the bot uploaded with sendDocument."""

    file_name: str
    mime_type: str
    data: bytes
    file_id: str = ""


@dataclass(frozen=True)
class _StoredFile:
    """A file Telegram holds: what getFile describes and the download serves."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class _Stall:
    seconds: float
    deliver: bool  # True: Telegram got it, only the answer is late; False: it never did
    chat_id: int | None = None  # only calls for this chat

    def matches(self, params: dict[str, Any]) -> bool:
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


@dataclass
class Room:
    """A channel or group as the fake knows it: its name and the bot's place in it.

    `bot`: "administrator", "member", "restricted", "left" (never added) or "kicked";
    `can_post`: for an administrator of a channel, the "Post messages" right; for a
    restricted member of a group, whether it may send messages.
    """

    chat_id: int
    type: str  # "channel", "supergroup" or "group"
    title: str
    username: str | None
    bot: str
    can_post: bool

    def json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.chat_id, "title": self.title, "type": self.type}
        if self.username:
            chat["username"] = self.username
        return chat

    def refusal(self) -> tuple[int, str] | None:
        """Why Telegram refuses a message from the bot here, as Telegram words it; None: it
        is accepted."""
        kind = "channel" if self.type == "channel" else self.type
        if self.bot == "kicked":
            return 403, f"Forbidden: bot was kicked from the {kind} chat"
        if self.bot == "left":
            return 403, f"Forbidden: bot is not a member of the {kind} chat"
        if self.type == "channel" and not (self.bot == "administrator" and self.can_post):
            return 400, "Bad Request: need administrator rights in the channel chat"
        if self.bot == "restricted" and not self.can_post:
            return 400, "Bad Request: not enough rights to send text messages to the chat"
        return None


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 1
    chats: dict[int, dict[int, BotMessage]] = field(default_factory=dict)
    user_messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    message_ids: dict[int, itertools.count[int]] = field(default_factory=dict)
    faults: dict[str, list[_Fault]] = field(default_factory=dict)
    stalls: dict[str, list[_Stall | None]] = field(default_factory=dict)  # None: pass
    stalled: dict[str, int] = field(default_factory=dict)  # calls a stall holds right now
    delays: dict[str, float] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    webhook: dict[str, Any] | None = None
    # The long poll being served: a newer getUpdates ends it with 409, as Telegram does.
    poller: object | None = None
    held: set[str] = field(default_factory=set)  # methods whose calls wait for `let_through`
    commands: list[dict[str, Any]] = field(default_factory=list)
    # setMyCommands with a language_code: the menu users of that app language see.
    commands_by_language: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    callback_ids: int = 0
    # Group membership for getChatMember: chat id -> user id -> "creator"/"administrator".
    admins: dict[int, dict[int, str]] = field(default_factory=dict)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)  # everyone who wrote
    members: dict[int, set[int]] = field(default_factory=dict)  # chat id -> who wrote there
    files: dict[str, _StoredFile] = field(default_factory=dict)  # file_id -> the file
    file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    rooms: dict[int, Room] = field(default_factory=dict)  # channels and groups made by add_chat


class FakeBotAPI(LoopbackServer):
    """`FakeBotAPI(token=...)`; point the bot at `base_url` (TELEGRAM_API_URL)."""

    def __init__(self, token: str = "123456:TEST-fake-token", *,
                 bot_username: str = "newsbot_test_bot") -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.history: list[Call] = []
        self._state = _State()
        self._cond = threading.Condition()
        super().__init__()

    def _wake(self) -> None:
        with self._cond:  # ends the long polls now
            self._cond.notify_all()

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_URL takes: requests go to `{base_url}/bot<token>/<method>`."""
        return f"http://127.0.0.1:{self.port}"

    # -- scripting -----------------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue `update` for getUpdates; its update_id is renumbered to keep ids increasing."""
        with self._cond:
            update = self._numbered(update)
            self._state.updates.append(update)
            self._cond.notify_all()
            return update

    def push_message(
        self,
        text: str | None = None,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
        caption: str | None = None,
        caption_entities: list[dict[str, Any]] | None = None,
        forward_origin: dict[str, Any] | None = None,
        language_code: str | None = "en",
        first_name: str = "Ada",
        anonymous_admin: bool = False,
        reply_to: int | None = None,
        document: dict[str, Any] | None = None,
        quote: str | None = None,
        reply_sent_at: int | None = None,
    ) -> dict[str, Any]:
        """Queue a message from a user; URLs and /commands in `text` get entities like Telegram.

        `reply_to`: the id of an earlier message in the chat (the user's or the bot's) this
        one replies to, which Telegram includes whole as `reply_to_message` (`reply_sent_at`:
        its date, Unix time). `quote`: the part of it the user selected to quote (Telegram
        accepts only an exact substring). `document`: a `message.document` (see
        `push_document`); a `caption` then goes with the document instead of a photo.

        `anonymous_admin=True`: an anonymous administrator of the group `chat_id` writes, as
        Telegram shows it: `from` is the placeholder @GroupAnonymousBot and `sender_chat`
        is the group itself (`user_id` is not revealed).
        """
        chat_id = user_id if chat_id is None else chat_id
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        chat = self._chat(chat_id, first_name)
        if anonymous_admin:
            assert chat_id < 0, "only groups have anonymous admins"
            user = dict(GROUP_ANONYMOUS_BOT)
        else:
            with self._cond:
                self._state.users[user_id] = user
                self._state.members.setdefault(chat_id, set()).add(user_id)
        message: dict[str, Any] = {
            "message_id": 0, "from": user, "chat": chat, "date": int(time.time()),
        }
        if anonymous_admin:
            message["sender_chat"] = chat
        if forward_origin is not None:
            message["forward_origin"] = forward_origin
            message["forward_date"] = forward_origin.get("date", int(time.time()))
        if text is not None:
            message["text"] = text
            found = entities if entities is not None else auto_entities(text)
            if found:
                message["entities"] = found
        if reply_to is not None:
            with self._cond:
                original = self._replied(chat_id, reply_to)
            if reply_sent_at is not None:
                original["date"] = reply_sent_at
            message["reply_to_message"] = original
            if quote is not None:
                shown = str(original.get("text") or original.get("caption") or "")
                at = shown.find(quote)
                assert at >= 0, "Telegram quotes only an exact part of the replied message"
                message["quote"] = {"text": quote, "position": utf16_len(shown[:at]),
                                    "is_manual": True}
        if document is not None:
            message["document"] = document
        if caption is not None:
            if document is None:
                message["photo"] = [{"file_id": "PHOTO", "file_unique_id": "P", "width": 90,
                                     "height": 90}]
            message["caption"] = caption
            found = caption_entities if caption_entities is not None else auto_entities(caption)
            if found:
                message["caption_entities"] = found
        return self.push_update({"message": message})["message"]

    def push_document(
        self,
        data: bytes,
        *,
        file_name: str | None = "feeds.opml",
        mime_type: str | None = "text/x-opml",
        file_size: int | bool | None = True,
        **message: Any,
    ) -> dict[str, Any]:
        """Queue a document from a user (keywords of `push_message`: caption, chat_id…).

        Telegram keeps the file for getFile. `file_size=True` reports its real size, an int
        reports that size instead (what Telegram said before a getFile), None leaves the
        optional field out.
        """
        stored = self.store_file(data, suffix=_suffix(file_name))
        document: dict[str, Any] = {"file_id": stored.file_id,
                                    "file_unique_id": stored.file_unique_id}
        if file_name is not None:
            document["file_name"] = file_name
        if mime_type is not None:
            document["mime_type"] = mime_type
        if file_size is True:
            document["file_size"] = len(data)
        elif file_size is not None and file_size is not False:
            document["file_size"] = int(file_size)
        return self.push_message(document=document, **message)

    def store_file(self, data: bytes, *, suffix: str = "") -> _StoredFile:
        """Keep `data` as a file on the server, as an upload to Telegram would."""
        with self._cond:
            n = next(self._state.file_ids)
            stored = _StoredFile(f"BQACAgIAAx0F{n:08d}", f"AgAD{n:04d}", data,
                                 f"documents/file_{n}{suffix}")
            self._state.files[stored.file_id] = stored
            return stored

    def downloads(self) -> list[str]:
        """The file paths the bot downloaded, in order."""
        with self._cond:
            return [str(c.params["file_path"]) for c in self.history if c.method == "download"]

    def documents_to(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in `chat_id` that carry a document, oldest first."""
        return [m for m in self.sent_to(chat_id) if m.document is not None]

    def push_callback_query(
        self, message: BotMessage, data: str, *, user_id: int = 1001, first_name: str = "Ada"
    ) -> dict[str, Any]:
        """Queue a press on an inline button under the bot's `message`."""
        with self._cond:
            self._state.callback_ids += 1
            query_id = str(self._state.callback_ids)
            as_shown = self._message_json(message)
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        with self._cond:
            self._state.users.setdefault(user_id, user)
            self._state.members.setdefault(message.chat_id, set()).add(user_id)
        if message.reply_markup is not None:
            as_shown["reply_markup"] = message.reply_markup
        return self.push_update({"callback_query": {
            "id": query_id, "from": user, "message": as_shown,
            "chat_instance": str(message.chat_id), "data": data,
        }})["callback_query"]

    def fail_next(self, method: str, *, times: int = 1, status: int = 429,
                  retry_after: int | None = 1, description: str | None = None) -> None:
        """Make the next `times` calls of `method` fail like Telegram does."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                403: "Forbidden: bot was blocked by the user",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, "Bad Request: scripted failure")
        fault = _Fault(status, description, retry_after if status == 429 else None)
        with self._cond:
            self._state.faults.setdefault(method, []).extend([fault] * times)

    def hold(self, method: str) -> None:
        """Keep every call of `method` waiting (Telegram slow to answer) until `let_through`."""
        with self._cond:
            self._state.held.add(method)

    def let_through(self, method: str) -> None:
        with self._cond:
            self._state.held.discard(method)
            self._cond.notify_all()

    def stall_next(self, method: str, seconds: float, *, times: int = 1,
                   deliver: bool = True, after: int = 0, chat_id: int | None = None) -> None:
        """Hold the next `times` calls of `method` for `seconds` (a client timeout's cause).

        `deliver=True`: the call takes effect at once and only its answer is late — what a
        read timeout can hide. `deliver=False`: it never takes effect (the fake answers
        504 after the wait), like a request lost on the way. `after`: let that many calls
        through first; `chat_id`: stall only calls for that chat.
        """
        with self._cond:
            self._state.stalls.setdefault(method, []).extend(
                [None] * after + [_Stall(seconds, deliver, chat_id)] * times
            )

    def stalled(self, method: str) -> int:
        """How many calls of `method` a stall is holding back right now (for `wait_for`)."""
        with self._cond:
            return self._state.stalled.get(method, 0)

    def clear_stalls(self) -> None:
        with self._cond:
            self._state.stalls.clear()

    def set_admins(self, chat_id: int, *admins: int, creator: int | None = None) -> None:
        """Make `admins` the administrators of group `chat_id` (and `creator` its owner)."""
        assert chat_id < 0, "only groups have administrators"
        with self._cond:
            roles = {user_id: "administrator" for user_id in admins}
            if creator is not None:
                roles[creator] = "creator"
            self._state.admins[chat_id] = roles

    def add_chat(self, chat_id: int, *, type: str = "channel", title: str = "A channel",
                 username: str | None = None, bot: str = "administrator",
                 can_post: bool = True) -> None:
        """A channel (or group) that getChat finds by id and by @`username`; the bot is in
        it as `bot` (see `Room`). Its admins are set with `set_admins`; anyone who wrote to
        the bot and is not an admin reads as a subscriber ("member") of a channel."""
        assert chat_id < 0, "channels and groups have negative ids"
        assert type in ("channel", "supergroup", "group")
        with self._cond:
            self._state.rooms[chat_id] = Room(chat_id, type, title, username, bot, can_post)

    def set_bot(self, chat_id: int, bot: str, *, can_post: bool = True) -> None:
        """The bot's place in the channel or group changes (kicked, re-added, demoted)."""
        with self._cond:
            room = self._state.rooms[chat_id]
            room.bot, room.can_post = bot, can_post

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: everything sent to `chat_id` answers 403."""
        with self._cond:
            self._state.blocked.add(chat_id)

    def delay(self, method: str, seconds: float) -> None:
        with self._cond:
            self._state.delays[method] = seconds

    # -- inspection ----------------------------------------------------------------------
    def sent_to(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in `chat_id`, oldest first, as they read now."""
        with self._cond:
            return sorted(self._state.chats.get(chat_id, {}).values(),
                          key=lambda m: m.message_id)

    def calls(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.history if c.method == method]

    @property
    def commands(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._state.commands)

    def commands_for(self, language_code: str) -> list[dict[str, Any]]:
        """The menu a user whose app is in `language_code` sees (the default one if none)."""
        with self._cond:
            return list(self._state.commands_by_language.get(language_code,
                                                             self._state.commands))

    @property
    def webhook(self) -> dict[str, Any] | None:
        with self._cond:
            return None if self._state.webhook is None else dict(self._state.webhook)

    def wait_for_sync(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Block until `predicate()` is truthy (re-checked after every call); return its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = [(c.method, c.status) for c in self.history[-8:]]
                    raise TimeoutError(f"condition not met in {timeout}s; last calls: {tail}")
                # Woken by every call; the short slice also catches state the bot changes
                # without calling the API (chat_data, a store).
                self._cond.wait(min(left, 0.02))

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """`wait_for_sync` without blocking the event loop the bot may be running on."""
        return await asyncio.to_thread(self.wait_for_sync, predicate, timeout)

    def deliver_webhook(self, update: dict[str, Any], *, secret: str | None = None,
                        to: str | None = None) -> int:
        """POST `update` to the registered webhook like Telegram; return the HTTP status.

        `to`: another URL for it (a replica behind the load balancer the webhook names).
        """
        hook = self.webhook
        assert hook is not None, "no webhook is set"
        with self._cond:
            update = self._numbered(update)
        parts = urlsplit(to or hook["url"])
        headers = {"Content-Type": "application/json"}
        token = hook.get("secret_token") if secret is None else secret
        if token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        # Like Telegram, keep trying while nothing listens yet: PTB registers the webhook
        # before its server accepts connections.
        deadline = time.monotonic() + 10
        while True:
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port,
                                              timeout=5)
            try:
                conn.request("POST", parts.path or "/", body=json.dumps(update), headers=headers)
                return conn.getresponse().status
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                conn.close()

    # -- the Bot API -----------------------------------------------------------------------
    def _chat(self, chat_id: int, first_name: str = "Ada") -> dict[str, Any]:
        room = self._state.rooms.get(chat_id)
        if room is not None:
            return room.json()
        if chat_id > 0:
            return {"id": chat_id, "first_name": first_name, "type": "private"}
        return {"id": chat_id, "title": "A group", "type": "supergroup"}

    def _numbered(self, update: dict[str, Any]) -> dict[str, Any]:
        """Give an incoming update the next update_id, and its message an id (under _cond)."""
        update = {**update, "update_id": self._state.next_update_id}
        self._state.next_update_id += 1
        message = update.get("message")
        if isinstance(message, dict) and "chat" in message:
            chat_id = int(message["chat"]["id"])
            message["message_id"] = self._next_message_id(chat_id)
            self._state.user_messages[(chat_id, message["message_id"])] = message
        return update

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._state.message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Newsbot",
                "username": self.bot_username}

    def _dispatch(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if token != self.token:
            return 401, "Unauthorized"
        with self._cond:
            while method in self._state.held and not self.stopping.is_set():
                self._cond.wait()
            delay = self._state.delays.get(method, 0.0)
        self.pause(delay)
        if method == "getUpdates":
            return self._get_updates(params)
        with self._cond:
            stalls = self._state.stalls.get(method) or []
            stall = next(
                (stalls.pop(i) for i, st in enumerate(stalls) if st is None or st.matches(params)),
                None,
            )
        if stall is None:
            return self._dispatch_now(method, params)
        self._stalling(method, +1)
        try:
            if not stall.deliver:
                self.pause(stall.seconds)
                return 504, "Gateway Timeout"
            answer = self._dispatch_now(method, params)
            self.pause(stall.seconds)
            return answer
        finally:
            self._stalling(method, -1)

    def _stalling(self, method: str, change: int) -> None:
        with self._cond:
            self._state.stalled[method] = self._state.stalled.get(method, 0) + change
            self._cond.notify_all()

    def _dispatch_now(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        with self._cond:
            faults = self._state.faults.get(method)
            if faults:
                fault = faults.pop(0)
                return fault.status, fault
            chat_id = params.get("chat_id")
            if isinstance(chat_id, int) and chat_id in self._state.blocked:
                return 403, "Forbidden: bot was blocked by the user"
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                return 404, "Not Found"
            return handler(params)

    def _get_updates(self, params: dict[str, Any]) -> tuple[int, Any]:
        with self._cond:
            if self._state.webhook is not None:
                return 409, ("Conflict: can't use getUpdates method while webhook is active; "
                             "use deleteWebhook to delete the webhook first")
            # Telegram serves one poller per bot: a new getUpdates ends the one in progress
            # ("terminated by other getUpdates request"), so two polling processes keep
            # taking the long poll from each other.
            me = object()
            if self._state.poller is not None:
                self._cond.notify_all()
            self._state.poller = me
            offset = int(params.get("offset") or 0)
            if offset:
                # Asking from `offset` confirms every update before it: Telegram forgets them.
                self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
            deadline = time.monotonic() + float(params.get("timeout") or 0)
            while not self._state.updates and not self.stopping.is_set():
                if self._state.poller is not me:
                    return 409, ("Conflict: terminated by other getUpdates request; make sure "
                                 "that only one bot instance is running")
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            if self._state.poller is me:
                self._state.poller = None
            limit = int(params.get("limit") or 100)
            return 200, list(self._state.updates[:limit])

    def _m_getme(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, {**self._bot_user(), "can_join_groups": True,
                     "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _m_deletewebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        self._state.webhook = None
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._state.updates.clear()
        return 200, True

    def _m_setwebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        url = str(params.get("url") or "")
        if not url:
            self._state.webhook = None
            return 200, True
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            return 400, "Bad Request: secret token contains unallowed characters"
        self._state.webhook = {"url": url, "secret_token": secret}
        return 200, True

    def _m_getwebhookinfo(self, params: dict[str, Any]) -> tuple[int, Any]:
        hook = self._state.webhook or {"url": ""}
        return 200, {"url": hook["url"], "has_custom_certificate": False,
                     "pending_update_count": len(self._state.updates)}

    def _m_setmycommands(self, params: dict[str, Any]) -> tuple[int, Any]:
        commands = params.get("commands")
        if not isinstance(commands, list):
            return 400, "Bad Request: can't parse commands JSON object"
        for c in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))) or not (
                1 <= len(str(c.get("description", ""))) <= 256
            ):
                return 400, "Bad Request: BOT_COMMAND_INVALID"
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            return 400, "Bad Request: LANG_CODE_INVALID"
        if language:
            self._state.commands_by_language[language] = list(commands)
        else:
            self._state.commands = list(commands)
        return 200, True

    def _m_getmycommands(self, params: dict[str, Any]) -> tuple[int, Any]:
        language = str(params.get("language_code") or "")
        if language:
            return 200, list(self._state.commands_by_language.get(language, []))
        return 200, list(self._state.commands)

    def _m_deletemycommands(self, params: dict[str, Any]) -> tuple[int, Any]:
        language = str(params.get("language_code") or "")
        if language:
            self._state.commands_by_language.pop(language, None)
        else:
            self._state.commands = []
        return 200, True

    def _m_sendchataction(self, params: dict[str, Any]) -> tuple[int, Any]:
        if params.get("action") not in {"typing", "upload_photo", "record_video", "upload_video",
                                        "record_voice", "upload_voice", "upload_document",
                                        "choose_sticker", "find_location", "record_video_note",
                                        "upload_video_note"}:
            return 400, "Bad Request: wrong parameter action in request"
        return 200, True

    def _room_id(self, chat_id: object) -> int | None:
        """The chat a `chat_id` parameter names: an id, or "@username" of a known room."""
        if isinstance(chat_id, int):
            return chat_id
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].casefold()
            return next((room.chat_id for room in self._state.rooms.values()
                         if room.username and room.username.casefold() == wanted), None)
        return None

    def _m_getchat(self, params: dict[str, Any]) -> tuple[int, Any]:
        """A ChatFullInfo: public channels and groups are found by anyone, private ones only
        by a bot that is in them; a user's private chat only once they wrote to the bot."""
        chat_id = self._room_id(params.get("chat_id"))
        room = self._state.rooms.get(chat_id) if chat_id is not None else None
        if chat_id is None or (room is not None and room.bot in ("left", "kicked")
                               and not room.username):
            return 400, "Bad Request: chat not found"
        if room is not None:
            chat = room.json()
        elif chat_id > 0 and chat_id in self._state.users:
            chat = self._chat(chat_id, self._state.users[chat_id]["first_name"])
        elif chat_id < 0 and (chat_id in self._state.admins or chat_id in self._state.members):
            chat = self._chat(chat_id)
        else:
            return 400, "Bad Request: chat not found"
        return 200, {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                     "accepted_gift_types": {
                         "unlimited_gifts": False, "limited_gifts": False,
                         "unique_gifts": False, "premium_subscription": False,
                         "gifts_from_channels": False}}

    def _m_getchatmember(self, params: dict[str, Any]) -> tuple[int, Any]:
        """A ChatMember as Telegram returns it: creator, administrator, member, restricted
        or left; in a channel the bot is not in, Telegram's refusal instead."""
        chat_id, user_id = self._room_id(params.get("chat_id")), params.get("user_id")
        if not isinstance(chat_id, int):
            return 400, "Bad Request: chat not found"
        if not isinstance(user_id, int):
            return 400, "Bad Request: invalid user_id specified"
        room = self._state.rooms.get(chat_id)
        if room is not None and room.bot in ("left", "kicked"):
            refusal = room.refusal()
            assert refusal is not None
            return refusal
        if user_id == self.bot_id and room is not None:
            return 200, self._bot_member(room)
        user = self._state.users.get(user_id)
        if user is None:
            return 400, "Bad Request: user not found"
        # A ChatMember's user carries no language_code (only updates from the user do).
        user = {k: v for k, v in user.items() if k != "language_code"}
        if chat_id > 0:  # a private chat has one member, its user
            if chat_id != user_id:
                return 400, "Bad Request: user not found"
            return 200, {"status": "member", "user": user}
        role = self._state.admins.get(chat_id, {}).get(user_id)
        if role == "creator":
            return 200, {"status": "creator", "user": user, "is_anonymous": False}
        if role == "administrator":
            channel = room is not None and room.type == "channel"
            return 200, _administrator(user, channel=channel, can_post=True)
        if user_id in self._state.members.get(chat_id, set()) or (
                room is not None and room.type == "channel"):
            # Channel subscribers are members; every user here is taken for one.
            return 200, {"status": "member", "user": user}
        return 200, {"status": "left", "user": user}

    def _bot_member(self, room: Room) -> dict[str, Any]:
        user = self._bot_user()
        if room.bot == "administrator":
            return _administrator(user, channel=room.type == "channel", can_post=room.can_post)
        if room.bot == "restricted":
            rights = {f"can_{right}": room.can_post for right in (
                "send_messages", "send_audios", "send_documents", "send_photos",
                "send_videos", "send_video_notes", "send_voice_notes", "send_polls",
                "send_other_messages", "add_web_page_previews", "react_to_messages")}
            return {"status": "restricted", "user": user, "is_member": True, **rights,
                    "can_change_info": False, "can_invite_users": False,
                    "can_pin_messages": False, "can_manage_topics": False,
                    "can_edit_tag": False, "until_date": 0}
        return {"status": "member", "user": user}

    def _m_answercallbackquery(self, params: dict[str, Any]) -> tuple[int, Any]:
        if not params.get("callback_query_id"):
            return 400, "Bad Request: query is too old and response timeout expired"
        return 200, True

    def _m_close(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, True

    _m_logout = _m_close

    def _checked_text(self, params: dict[str, Any]) -> tuple[str, str] | tuple[int, str]:
        raw = params.get("text")
        if not isinstance(raw, str) or not raw.strip():
            return 400, "Bad Request: message text is empty"
        mode = params.get("parse_mode")
        mode = str(mode) if mode else None
        visible = raw
        if mode and mode.lower() == "html":
            try:
                visible = parse_html(raw)
            except EntityParseError as exc:
                return 400, f"Bad Request: can't parse entities: {exc}"
        if not visible.strip():
            return 400, "Bad Request: message text is empty"
        if utf16_len(visible) > MAX_TEXT:
            return 400, "Bad Request: message is too long"
        return raw, visible

    def _replied(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """The message `message_id` of the chat as a reply shows it (under _cond)."""
        original = self._state.user_messages.get((chat_id, message_id))
        if original is not None:
            return {k: v for k, v in original.items() if k != "reply_to_message"}
        mine = self._state.chats.get(chat_id, {}).get(message_id)
        assert mine is not None, f"no message {message_id} in chat {chat_id} to reply to"
        shown = self._message_json(mine)
        shown.pop("reply_to_message", None)  # Telegram nests one level only
        return shown

    def _message_json(self, msg: BotMessage, *, edited: bool = False) -> dict[str, Any]:
        chat = self._chat(msg.chat_id)
        data: dict[str, Any] = {
            "message_id": msg.message_id, "from": self._bot_user(),
            "chat": chat, "date": int(time.time()),
        }
        if msg.document is None:
            data["text"] = msg.text
        else:
            stored = self._state.files[msg.document.file_id]
            data["document"] = {"file_id": stored.file_id,
                                "file_unique_id": stored.file_unique_id,
                                "file_name": msg.document.file_name,
                                "mime_type": msg.document.mime_type,
                                "file_size": len(msg.document.data)}
            if msg.text:
                data["caption"] = msg.text
        if chat["type"] == "channel":  # a channel post is signed by the channel, not the bot
            del data["from"]
            data["sender_chat"] = chat
        if msg.reply_to is not None:
            original = self._state.user_messages.get((msg.chat_id, msg.reply_to))
            if original is not None:
                data["reply_to_message"] = original
        if edited:
            data["edit_date"] = int(time.time())
        return data

    def _m_sendmessage(self, params: dict[str, Any]) -> tuple[int, Any]:
        chat_id = self._room_id(params.get("chat_id"))
        if not isinstance(chat_id, int):
            return 400, "Bad Request: chat not found"
        room = self._state.rooms.get(chat_id)
        refusal = room.refusal() if room is not None else None
        if refusal is not None:
            return refusal
        checked = self._checked_text(params)
        if isinstance(checked[0], int):
            return checked
        raw, visible = checked
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        if reply_to is None and params.get("reply_to_message_id") is not None:
            reply_to = int(params["reply_to_message_id"])
        paid = _flag(params.get("allow_paid_broadcast"))
        if paid is None:
            return 400, "Bad Request: invalid allow_paid_broadcast"
        msg = BotMessage(chat_id, self._next_message_id(chat_id), visible, str(raw),
                         params.get("parse_mode"), reply_to,
                         reply_markup=_keyboard(params.get("reply_markup")),
                         link_preview=params.get("link_preview_options"),
                         paid_broadcast=paid)
        if msg.reply_markup is None and params.get("reply_markup") is not None:
            return 400, "Bad Request: can't parse reply keyboard markup JSON object"
        self._state.chats.setdefault(chat_id, {})[msg.message_id] = msg
        return 200, self._message_json(msg)

    def _m_getfile(self, params: dict[str, Any]) -> tuple[int, Any]:
        stored = self._state.files.get(str(params.get("file_id") or ""))
        if stored is None:
            return 400, "Bad Request: invalid file_id"
        if len(stored.data) > MAX_DOWNLOAD:
            return 400, "Bad Request: file is too big"
        return 200, {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                     "file_size": len(stored.data), "file_path": stored.file_path}

    def _m_senddocument(self, params: dict[str, Any]) -> tuple[int, Any]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            return 400, "Bad Request: chat not found"
        document = params.get("document")
        if isinstance(document, str) and document.startswith("attach://"):
            document = params.get(document.removeprefix("attach://"))
        if isinstance(document, str):  # a file_id Telegram already holds
            stored = self._state.files.get(document)
            if stored is None:
                return 400, "Bad Request: wrong file identifier/HTTP URL specified"
            document = _Upload(stored.file_path.rpartition("/")[2], "", stored.data)
        if not isinstance(document, _Upload):
            return 400, "Bad Request: there is no document in the request"
        if not document.data:
            return 400, "Bad Request: file must be non-empty"
        if len(document.data) > MAX_UPLOAD:
            return 413, "Request Entity Too Large"
        caption = params.get("caption") or ""
        visible = str(caption)
        mode = params.get("parse_mode")
        if caption and mode and str(mode).lower() == "html":
            try:
                visible = parse_html(str(caption))
            except EntityParseError as exc:
                return 400, f"Bad Request: can't parse entities: {exc}"
        if utf16_len(visible) > MAX_CAPTION:
            return 400, "Bad Request: message caption is too long"
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        name = document.filename or "document"
        mime = document.content_type or "application/octet-stream"
        # Telegram keeps the upload: it gets a file_id like any other file.
        stored = self.store_file(document.data, suffix=_suffix(name))
        msg = BotMessage(chat_id, self._next_message_id(chat_id), visible, str(caption),
                         str(mode) if mode else None, reply_to,
                         document=SentDocument(name, mime, document.data, stored.file_id))
        self._state.chats.setdefault(chat_id, {})[msg.message_id] = msg
        return 200, self._message_json(msg)

    def _download(self, token: str, file_path: str) -> tuple[int, bytes]:
        """GET /file/bot<token>/<file_path>: the file's bytes, as Telegram serves them."""
        with self._cond:
            if token != self.token:
                return 401, b""
            stored = next((f for f in self._state.files.values() if f.file_path == file_path),
                          None)
        if stored is None or len(stored.data) > MAX_DOWNLOAD:
            return 404, b""
        return 200, stored.data

    def _m_editmessagetext(self, params: dict[str, Any]) -> tuple[int, Any]:
        chat_id, message_id = params.get("chat_id"), params.get("message_id")
        msg = self._state.chats.get(chat_id, {}).get(message_id)  # type: ignore[arg-type]
        if msg is None:
            return 400, "Bad Request: message to edit not found"
        checked = self._checked_text(params)
        if isinstance(checked[0], int):
            return checked
        raw, visible = checked
        markup = _keyboard(params.get("reply_markup"))
        if markup is None and params.get("reply_markup") is not None:
            return 400, "Bad Request: can't parse reply keyboard markup JSON object"
        if (raw == msg.raw and params.get("parse_mode") == msg.parse_mode
                and markup == msg.reply_markup):
            return 400, ("Bad Request: message is not modified: specified new message content "
                         "and reply markup are exactly the same as a current content and reply "
                         "markup of the message")
        msg.text, msg.raw, msg.parse_mode = visible, str(raw), params.get("parse_mode")
        msg.reply_markup = markup  # an edit without a keyboard removes it, as in Telegram
        msg.edits += 1
        return 200, self._message_json(msg, edited=True)

    # -- HTTP ------------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._cond:
            self.history.append(call)
            self._cond.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self
        route = re.compile(r"^/bot([^/]+)/([A-Za-z]+)$")
        file_route = re.compile(r"^/file/bot([^/]+)/(.+)$")

        class _H(QuietHandler):
            def _serve(self) -> None:
                arrived = time.monotonic()
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                # PTB percent-encodes the download path (the token's colon too), as any
                # client may: the server decodes it.
                download = file_route.match(unquote(parts.path))
                if download is not None and self.command == "GET":
                    token, file_path = download.groups()
                    status, data = api._download(token, file_path)
                    api._record(Call("download", {"file_path": file_path}, status, token,
                                     arrived))
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self.send_response(status)
                        self.send_header("Content-Type", "application/octet-stream")
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                    return
                m = route.match(parts.path)
                if m is None:
                    self._answer(404, "Not Found", None)
                    return
                token, method = m.groups()
                try:
                    params = _decode_params(parts.query, body,
                                            self.headers.get("Content-Type") or "")
                except ValueError:
                    api._record(Call(method, {}, 400, token))
                    self._answer(400, "Bad Request: can't parse JSON", None)
                    return
                status, result = api._dispatch(token, method, params)
                api._record(Call(method, params, status, token, arrived))
                if status == 200:
                    payload: dict[str, Any] = {"ok": True, "result": result}
                    self._send_json(200, payload)
                else:
                    self._answer(status, result, None)

            def _answer(self, status: int, result: Any, _: object) -> None:
                if isinstance(result, _Fault):
                    payload: dict[str, Any] = {"ok": False, "error_code": status,
                                               "description": result.description}
                    if result.retry_after is not None:
                        payload["parameters"] = {"retry_after": result.retry_after}
                else:
                    payload = {"ok": False, "error_code": status, "description": str(result)}
                self._send_json(status, payload)

            def _send_json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

            do_GET = do_POST = _serve

        return _H


@dataclass(frozen=True)
class _Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


def _decode_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """multipart/form-data as Telegram reads it: fields as text, file parts as `_Upload`."""
    if "boundary=" not in content_type:
        raise ValueError("multipart without a boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not parsed.is_multipart():
        raise ValueError("not multipart")
    params: dict[str, Any] = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("a part without a name")
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        filename = part.get_filename()
        if filename is not None:
            params[name] = _Upload(filename, part.get_content_type(), data)
        else:
            params[name] = data.decode("utf-8")
    return params


def _suffix(file_name: str | None) -> str:
    """`.opml` of `feeds.opml`: Telegram's file paths keep the extension."""
    _, dot, ext = (file_name or "").rpartition(".")
    return f".{ext}" if dot and re.fullmatch(r"[A-Za-z0-9]{1,10}", ext) else ""


def _administrator(user: dict[str, Any], *, channel: bool, can_post: bool) -> dict[str, Any]:
    """A ChatMemberAdministrator as Telegram sends it: "post/edit messages" exist in channels
    only, "pin messages" and "manage topics" in groups only."""
    member: dict[str, Any] = {
        "status": "administrator", "user": user, "can_be_edited": False,
        "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
        "can_manage_video_chats": True, "can_restrict_members": True,
        "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
        "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False,
    }
    if channel:
        member.update(can_post_messages=can_post, can_edit_messages=can_post)
    else:
        member.update(can_pin_messages=True, can_manage_topics=False)
    return member


def _decode_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query))
    if body:
        if content_type.startswith("multipart/form-data"):
            params.update(_decode_multipart(body, content_type))
        elif "json" in content_type:
            loaded = json.loads(body)
            if not isinstance(loaded, dict):
                raise ValueError("body is not an object")
            params.update(loaded)
        else:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    for key, value in list(params.items()):
        if not isinstance(value, str):
            continue
        if key in _JSON_FIELDS:
            params[key] = json.loads(value)
        elif key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
            params[key] = int(value)
    return params


def _flag(value: object) -> bool | None:
    """A Boolean field as Telegram reads it from JSON or a form (absent: False; None: bad)."""
    if value is None or value is False or value == "false":
        return False
    if value is True or value == "true":
        return True
    return None


def _keyboard(markup: object) -> dict[str, Any] | None:
    """Reply markup checked like Telegram: an inline keyboard (callback data 1-64 bytes) or
    a ForceReply (a placeholder of at most 64 characters)."""
    if isinstance(markup, dict) and markup.get("force_reply") is True:
        placeholder = markup.get("input_field_placeholder")
        if placeholder is not None and not 1 <= len(str(placeholder)) <= 64:
            return None
        return markup
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if not button.get("text") or (
                data is not None and not 1 <= len(str(data).encode()) <= 64
            ):
                return None  # Telegram: BUTTON_DATA_INVALID
    return markup


# Who Telegram shows as the sender of an anonymous group admin's message.
GROUP_ANONYMOUS_BOT: dict[str, Any] = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                                       "username": "GroupAnonymousBot"}

_URL_IN_TEXT = re.compile(r"(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)
_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")


def auto_entities(text: str) -> list[dict[str, Any]]:
    """The `url` and `bot_command` entities Telegram would attach, with UTF-16 offsets."""
    found: list[dict[str, Any]] = []
    m = _COMMAND.match(text)
    if m:
        found.append({"offset": 0, "length": utf16_len(m.group()), "type": "bot_command"})
    for m in _URL_IN_TEXT.finditer(text):
        url = m.group().rstrip(".,;:!?)")
        found.append({"offset": utf16_len(text[: m.start()]), "length": utf16_len(url),
                      "type": "url"})
    return found
