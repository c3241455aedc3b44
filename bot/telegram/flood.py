"""Telegram's flood limits, RetryAfter and network retries around every Bot API call.

The limits (30 messages/s for the bot, about 1/s per private chat, 20/min per group) are
moving windows of `bot.coordination`: in this process's memory, or in Redis when replicas
share them (two replicas must not send 60/s between them). Every attempt at a message waits
for its slots. PTB's `AIORateLimiter` is kept with its own limits off. `FloodLimiter`
retries with the policy every outside call uses (`bot.retries`): after a `RetryAfter` (HTTP
429) it waits what Telegram asked — holding the bot's other calls meanwhile, as PTB's limiter
would — and after a network error it backs off; a timeout is retried only where repeating
the call is harmless.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, BaseRateLimiter

from bot import metrics
from bot.coordination import Coordination, Window
from bot.retries import RetryPolicy

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]

# Calls that put (or change) a message in a chat, and so count against its flood limit.
_MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")
_NOT_MESSAGES = frozenset({"sendChatAction"})
# Safe to repeat after a timeout (the first attempt may have landed): they set, not add.
_IDEMPOTENT_PREFIXES = ("get", "set", "delete", "edit", "answer")
_IDEMPOTENT = frozenset({"sendChatAction"})
# The bot's limit is counted when a message takes its slot, Telegram's when it arrives:
# what delays a message after its slot (waiting for a connection, for the CPU) makes it
# count in the wrong second. So a message takes its slot last, just before it is sent, at
# most as many are in flight as the HTTP pool has connections, each process spaces its
# sends 1/rate apart (no bursts for the network to bunch), and 15 % of headroom takes up
# the rest. Measured at the fake Bot API with two replicas: slots taken before the waits
# let up to 35 messages arrive in one second under an exact 30/s; taken last, with 27/s
# at the limiter, up to 30 arrived.
OVERALL_HEADROOM = 0.85

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
    """Telegram's send limits (shared by replicas) + retries (RetryAfter, network errors)."""

    def __init__(
        self,
        *,
        coordination: Coordination | None = None,
        # About one message a second per private chat, as Telegram asks, with the short
        # burst it tolerates: a status message and its edit into the summary go out at
        # once instead of a second apart (3 in any 3 s).
        private_chat_rate: float = 3,
        private_chat_period: int = 3,
        overall_rate: float = 30,
        group_rate: float = 20,
        group_period: int = 60,
        retries: int = TELEGRAM_RETRIES.attempts - 1,
        backoff: float = TELEGRAM_RETRIES.backoff,
        # Messages in flight at once: no more than the HTTP pool's connections, or a
        # message would take its slot and then wait for a connection, and leave late
        # (bunched with the next second's) — the bot's own pool is 8.
        in_flight: int = 8,
    ) -> None:
        # 0 turns AIORateLimiter's own (per-process) limits off: ours are shared.
        self._inner = AIORateLimiter(
            overall_max_rate=0, group_max_rate=0,
            max_retries=0,  # RetryAfter never reaches it (see `_Flood`): retried here
        )
        shared = coordination or Coordination()
        overall = max(1, int(overall_rate * OVERALL_HEADROOM))
        self._overall = shared.window("telegram-bot", overall, 1)
        self._private = shared.window("telegram-private", int(private_chat_rate),
                                      private_chat_period)
        self._group = shared.window("telegram-group", int(group_rate), group_period)
        self._pace = AsyncLimiter(1, 1 / overall)
        self._in_flight = asyncio.Semaphore(in_flight)
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
        limits = self._limits_for(endpoint, data.get("chat_id"))
        policy = dataclasses.replace(
            self._retries, name=endpoint,  # "getMe failed (attempt 1 of 4: …)" in the log
            retry=functools.partial(_worth_retrying, endpoint=endpoint),
        )
        if rate_limit_args is not None:  # a call's own bound on its retries
            policy = dataclasses.replace(policy, attempts=rate_limit_args + 1)
        async for attempt in policy.retrying():
            with attempt:
                await self._wait_out_pause()
                try:
                    return await self._inner.process_request(
                        _counting_429(self._limited(callback, limits)), args, kwargs,
                        endpoint, data, None,
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

    def _limits_for(self, endpoint: str, chat_id: object) -> list[tuple[Window, str]]:
        """The chat's window and the bot's, for a call that puts a message in a chat."""
        if not endpoint.startswith(_MESSAGE_PREFIXES) or endpoint in _NOT_MESSAGES:
            return []
        try:
            chat = int(chat_id)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            # @channelname: a channel (string ids work only for channels and supergroups).
            return [(self._group, str(chat_id)), (self._overall, "")] if chat_id else []
        own = self._private if chat > 0 else self._group
        return [(own, str(chat)), (self._overall, "")]

    def _limited(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        limits: list[tuple[Window, str]],
    ) -> Callable[..., Coroutine[Any, Any, JSONResult]]:
        """`callback` that waits for its slots first, on every attempt (a retry is a message
        sent again, and counts): the chat's, a place in flight, its pace, the bot's."""
        if not limits:
            return callback

        async def call(*args: Any, **kwargs: Any) -> JSONResult:
            (own, chat), (overall, key) = limits
            # The chat's first: a place in flight is not held while a chat's limit is waited
            # out. The bot's slot last: a slot taken early and used late would count in the
            # wrong second.
            await own.wait(chat)
            async with self._in_flight:
                await self._pace.acquire()
                await overall.wait(key)
                return await callback(*args, **kwargs)

        return call


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
