"""Telegram's flood limits, RetryAfter and network retries around every Bot API call.

PTB's `AIORateLimiter` throttles the bot overall (30/s) and per group (20/min), and retries
after `RetryAfter`, but it does not enforce Telegram's ~1 message/s per private chat, and it
does not retry network errors. `FloodLimiter` adds both around it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot import metrics

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

# Calls that put (or change) a message in a chat, and so count against its flood limit.
_MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")
_NOT_MESSAGES = frozenset({"sendChatAction"})
# Safe to repeat after a timeout (the first attempt may have landed): they set, not add.
_IDEMPOTENT_PREFIXES = ("get", "set", "delete", "edit", "answer")
_IDEMPOTENT = frozenset({"sendChatAction"})


class FloodLimiter(BaseRateLimiter[int]):
    """`AIORateLimiter` + a per-private-chat limit + retries of network errors with backoff."""

    def __init__(
        self,
        *,
        # About one message a second per private chat, as Telegram asks, with the short
        # burst it tolerates: a status message and its edit into the summary go out at
        # once instead of a second apart (a leaky bucket of 3 per 3 s).
        private_chat_rate: float = 3.0,
        private_chat_period: float = 3.0,
        overall_rate: float = 30,
        group_rate: float = 20,
        group_period: float = 60,
        retry_after_retries: int = 3,
        network_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self._inner = AIORateLimiter(
            overall_max_rate=overall_rate, overall_time_period=1,
            group_max_rate=group_rate, group_time_period=group_period,
            max_retries=retry_after_retries,
        )
        self._private_rate = private_chat_rate
        self._private_period = private_chat_period
        self._private: dict[int, AsyncLimiter] = {}
        self._network_retries = network_retries
        self._backoff = backoff

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        limiter = self._limiter_for(endpoint, data.get("chat_id"))
        # getUpdates has its own retry loop in the Updater; doubling it only delays shutdown.
        retries = 0 if endpoint == "getUpdates" else self._network_retries
        for attempt in range(retries + 1):
            try:
                async with limiter or contextlib.nullcontext():
                    return await self._inner.process_request(
                        _counting_429(callback), args, kwargs, endpoint, data, rate_limit_args
                    )
            except BadRequest:  # a NetworkError subclass, but final: the request is wrong
                raise
            except TimedOut:
                if attempt == retries or not _idempotent(endpoint):
                    raise
                log.warning("%s timed out; retrying (%d/%d)", endpoint, attempt + 1, retries)
                metrics.telegram_retry("timeout")
            except NetworkError as exc:
                if attempt == retries:
                    raise
                log.warning("%s failed (%s); retrying (%d/%d)", endpoint, exc, attempt + 1,
                            retries)
                metrics.telegram_retry("network")
            await asyncio.sleep(self._backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _limiter_for(self, endpoint: str, chat_id: object) -> AsyncLimiter | None:
        if not endpoint.startswith(_MESSAGE_PREFIXES) or endpoint in _NOT_MESSAGES:
            return None
        try:
            chat = int(chat_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return None
        if chat <= 0:  # groups and channels: AIORateLimiter's group limit applies
            return None
        if len(self._private) > 1024:
            for key, idle in list(self._private.items()):
                if idle.has_capacity(idle.max_rate):
                    del self._private[key]
        limiter = self._private.get(chat)
        if limiter is None:
            limiter = self._private[chat] = AsyncLimiter(self._private_rate, self._private_period)
        return limiter


def _idempotent(endpoint: str) -> bool:
    return endpoint in _IDEMPOTENT or endpoint.startswith(_IDEMPOTENT_PREFIXES)


def _counting_429(
    callback: Callable[..., Coroutine[Any, Any, JSONResult]],
) -> Callable[..., Coroutine[Any, Any, JSONResult]]:
    """`callback` that counts each RetryAfter (HTTP 429), and each call AIORateLimiter makes
    again after one."""
    calls = 0

    async def call(*args: Any, **kwargs: Any) -> JSONResult:
        nonlocal calls
        calls += 1
        if calls > 1:
            metrics.telegram_retry("retry_after")
        try:
            return await callback(*args, **kwargs)
        except RetryAfter:
            metrics.telegram_429()
            raise

    return call
