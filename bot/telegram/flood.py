"""Telegram's flood limits, RetryAfter and network retries around every Bot API call.

PTB's `AIORateLimiter` throttles the bot overall (30/s) and per group (20/min), but it does
not enforce Telegram's ~1 message/s per private chat. `FloodLimiter` adds that around it, and
retries with the policy every outside call uses (`bot.retries`): after a `RetryAfter` (HTTP
429) it waits what Telegram asked — holding the bot's other calls meanwhile, as PTB's limiter
would — and after a network error it backs off; a timeout is retried only where repeating
the call is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot import metrics
from bot.retries import RetryPolicy

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

# Calls that put (or change) a message in a chat, and so count against its flood limit.
_MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")
_NOT_MESSAGES = frozenset({"sendChatAction"})
# Safe to repeat after a timeout (the first attempt may have landed): they set, not add.
_IDEMPOTENT_PREFIXES = ("get", "set", "delete", "edit", "answer")
_IDEMPOTENT = frozenset({"sendChatAction"})

# Retries of one Bot API call (the predicate is set per call: see `_worth_retrying`).
TELEGRAM_RETRIES = RetryPolicy(
    name="telegram",
    attempts=4,
    retry=lambda exc: False,
    backoff=0.5,
    # Telegram's flood waits are what it takes to be served again: honoured in full up to a
    # minute (a digest can wait), and a bit more because it counts in whole seconds.
    cap=60.0,
    margin=0.1,
)


class FloodLimiter(BaseRateLimiter[int]):
    """`AIORateLimiter` + a per-private-chat limit + retries (RetryAfter, network errors)."""

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
        retries: int = TELEGRAM_RETRIES.attempts - 1,
        backoff: float = TELEGRAM_RETRIES.backoff,
    ) -> None:
        self._inner = AIORateLimiter(
            overall_max_rate=overall_rate, overall_time_period=1,
            group_max_rate=group_rate, group_time_period=group_period,
            max_retries=0,  # RetryAfter never reaches it (see `_Flood`): retried here
        )
        self._private_rate = private_chat_rate
        self._private_period = private_chat_period
        self._private: dict[int, AsyncLimiter] = {}
        self._retries = dataclasses.replace(
            TELEGRAM_RETRIES, attempts=retries + 1, backoff=backoff, on_retry=self._on_retry
        )
        # Event-loop time until which Telegram asked the bot to hold its calls (RetryAfter).
        self._paused_until = 0.0

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
        policy = dataclasses.replace(
            self._retries, retry=functools.partial(_worth_retrying, endpoint=endpoint)
        )
        if rate_limit_args is not None:  # a call's own bound on its retries
            policy = dataclasses.replace(policy, attempts=rate_limit_args + 1)
        async for attempt in policy.retrying():
            with attempt:
                await self._wait_out_pause()
                async with limiter or contextlib.nullcontext():
                    try:
                        return await self._inner.process_request(
                            _counting_429(callback), args, kwargs, endpoint, data, None
                        )
                    except _Flood as flood:
                        raise flood.retry_after from None
        raise AssertionError("unreachable: tenacity returns or re-raises")  # pragma: no cover

    async def _wait_out_pause(self) -> None:
        left = self._paused_until - asyncio.get_running_loop().time()
        if left > 0:  # a pause extended meanwhile shows up as another RetryAfter, retried
            await asyncio.sleep(left)

    def _on_retry(self, exc: BaseException, wait: float) -> None:
        if isinstance(exc, RetryAfter):
            # Telegram throttles the bot, not one call: the other calls wait it out too.
            until = asyncio.get_running_loop().time() + wait
            self._paused_until = max(self._paused_until, until)
            metrics.telegram_retry("retry_after")
        elif isinstance(exc, TimedOut):
            metrics.telegram_retry("timeout")
        else:
            metrics.telegram_retry("network")

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


def _worth_retrying(exc: BaseException, *, endpoint: str) -> bool:
    if isinstance(exc, RetryAfter):
        return True
    if isinstance(exc, BadRequest):  # a NetworkError subclass, but final: the request is wrong
        return False
    if endpoint == "getUpdates":
        # It has its own retry loop in the Updater; doubling it only delays shutdown.
        return False
    if isinstance(exc, TimedOut):
        # A send that timed out may have landed: sending it again would be a duplicate.
        return _idempotent(endpoint)
    return isinstance(exc, NetworkError)


def _idempotent(endpoint: str) -> bool:
    return endpoint in _IDEMPOTENT or endpoint.startswith(_IDEMPOTENT_PREFIXES)


class _Flood(Exception):
    """A RetryAfter carried past AIORateLimiter, which would log it as an error and stop."""

    def __init__(self, retry_after: RetryAfter) -> None:
        super().__init__(str(retry_after))
        self.retry_after = retry_after


def _counting_429(
    callback: Callable[..., Coroutine[Any, Any, JSONResult]],
) -> Callable[..., Coroutine[Any, Any, JSONResult]]:
    """`callback` that counts each RetryAfter (HTTP 429) Telegram answers, and carries it
    past AIORateLimiter to `FloodLimiter`'s retries."""

    async def call(*args: Any, **kwargs: Any) -> JSONResult:
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            metrics.telegram_429()
            raise _Flood(exc) from None

    return call
