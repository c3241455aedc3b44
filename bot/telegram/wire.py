"""sendMessage for digests, lean: a JSON body on one pooled httpx client, through the bot's
flood limiter, and only the message id read back.

A digest round's CPU went to python-telegram-bot's send path: the HTML form-urlencoded byte
by byte in pure Python, a full `Message` built from every answer, the call's defaults and
arguments resolved per call. A round needs none of it: the body is the few fields of
sendMessage as JSON (as the Bot API accepts, https://core.telegram.org/bots/api#making-requests),
the answer's `ok`, `result.message_id`, `error_code`, `description` and `parameters`.

Everything else stays PTB's, so the two paths cannot drift: the call goes through the bot's
own rate limiter (`FloodLimiter`: the global, per-chat and per-group windows shared through
Redis, waiting out 429s, retrying network errors), and Telegram's refusals become PTB's
exceptions by PTB's rules (403 → `Forbidden`, 400 → `BadRequest`, `parameters.retry_after`
→ `RetryAfter`, `migrate_to_chat_id` → `ChatMigrated`, a timeout → `TimedOut` caused by the
httpx timeout), which the digest sender already knows how to handle.

The token is in the URL: no error raised here quotes the URL, and the `httpx` logger is kept
quiet (bot/logs.py) besides the redaction filter on every log record.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import httpx
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.telegram.markup import Markup
from bot.telegram.outgoing import UnsafeText

# PTB's HTTPXRequest defaults: a digest part waits no longer here than through PTB.
TIMEOUT = httpx.Timeout(5.0, pool=1.0)
_JSON = {"Content-Type": "application/json"}


class SendMessage:
    """`await send(chat_id, text, ...)` → the sent message's id; close with `aclose()`.

    `bot` gives the token, the Bot API URL, the `Defaults` (link previews) and the rate
    limiter; the HTTP client is this object's own, `connections` sockets at most.
    """

    def __init__(self, bot: ExtBot[Any], *, connections: int = 8) -> None:
        self._url = f"{bot.base_url}/sendMessage"  # base_url already ends in bot<token>
        self._limiter = bot.rate_limiter
        defaults = bot.defaults
        preview = defaults.link_preview_options if defaults is not None else None
        self._no_preview = bool(preview is not None and preview.is_disabled)
        self._connections = connections
        self._request = bot.request
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # The bot's read timeout, as configured (PTB's read_timeout is public).
            read = self._request.read_timeout
            self._client = httpx.AsyncClient(
                timeout=TIMEOUT if read is None else httpx.Timeout(
                    connect=TIMEOUT.connect, read=read, write=TIMEOUT.write, pool=TIMEOUT.pool),
                limits=httpx.Limits(max_connections=self._connections,
                                    max_keepalive_connections=self._connections),
            )
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def __call__(
        self, chat_id: int, text: Markup | str, *, html: bool = True,
        preview_url: str | None = None, paid_broadcast: bool = False,
    ) -> int:
        """Send `text` to `chat_id`: Telegram HTML when `html` (then only `Markup`)."""
        payload: dict[str, Any] = {"chat_id": chat_id, "text": str(text)}
        if html:
            if not isinstance(text, Markup):  # the same rule as MarkupBot's
                raise UnsafeText(
                    f"sendMessage: Telegram HTML must be Markup, not {type(text).__name__}: "
                    f"{str(text)[:80]!r}"
                )
            payload["parse_mode"] = ParseMode.HTML.value
        if preview_url:
            payload["link_preview_options"] = {"url": preview_url, "prefer_small_media": True}
        elif self._no_preview:
            payload["link_preview_options"] = {"is_disabled": True}
        if paid_broadcast:
            payload["allow_paid_broadcast"] = True
        if self._limiter is None:
            result = await self._post(payload)
        else:
            result = await self._limiter.process_request(
                self._post, (payload,), {}, "sendMessage", payload, None
            )
        if not isinstance(result, dict) or not isinstance(result.get("message_id"), int):
            raise NetworkError("sendMessage answered without a message id")
        return int(result["message_id"])

    async def _post(self, payload: dict[str, Any]) -> Any:
        body = json.dumps(payload, ensure_ascii=False).encode()
        try:
            response = await self._http().post(self._url, content=body, headers=_JSON)
        except httpx.TimeoutException as exc:
            # Cause kept: a connect or pool timeout never reached Telegram, a read or write
            # timeout may have (DigestSender decides whether to send again).
            raise TimedOut from exc
        except httpx.HTTPError as exc:
            # The message of httpx's network errors names the failure, not the URL.
            raise NetworkError(f"httpx.{type(exc).__name__}: {exc}") from exc
        return answer(response.status_code, response.content)


def answer(status: int, content: bytes) -> Any:
    """The `result` of a Bot API answer, or the exception PTB would raise for it."""
    try:
        data = json.loads(content)
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        raise NetworkError(f"{_phrase(status)}: the Bot API answered something other than "
                           "JSON") from exc
    if 200 <= status <= 299 and data.get("ok"):
        return data.get("result")
    message = str(data.get("description") or _phrase(status))
    parameters = data.get("parameters")
    if isinstance(parameters, dict):
        if parameters.get("migrate_to_chat_id"):
            raise ChatMigrated(int(parameters["migrate_to_chat_id"]))
        if parameters.get("retry_after"):
            raise RetryAfter(int(parameters["retry_after"]))
    error: TelegramError
    if status == HTTPStatus.FORBIDDEN:
        error = Forbidden(message)
    elif status in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        error = InvalidToken(message)
    elif status == HTTPStatus.BAD_REQUEST:
        error = BadRequest(message)
    elif status == HTTPStatus.CONFLICT:
        error = Conflict(message)
    else:  # 5xx, a proxy's answer: worth retrying, as PTB's NetworkError is
        error = NetworkError(message)
    raise error


def _phrase(status: int) -> str:
    try:
        return f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        return f"Unknown HTTPError ({status})"
