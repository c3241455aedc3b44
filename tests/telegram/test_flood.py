"""FloodLimiter: Telegram's per-private-chat pace, and its retries (bot.retries' policy) of
RetryAfter and network errors, around PTB's limiter."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.telegram.flood import FloodLimiter


class Endpoint:
    """A Bot API call that fails with the queued errors first, then answers True."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> bool:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return True


async def call(limiter: FloodLimiter, endpoint: Endpoint, method: str, chat_id: Any) -> Any:
    return await limiter.process_request(endpoint, (), {}, method, {"chat_id": chat_id}, None)


async def test_a_private_chat_waits_its_turn_while_other_chats_go_on() -> None:
    limiter = FloodLimiter(private_chat_rate=1, private_chat_period=60)
    assert await call(limiter, Endpoint(), "sendMessage", 5) is True
    second = asyncio.create_task(call(limiter, Endpoint(), "sendMessage", 5))
    # Another private chat, a chat action in the same chat and a group are not held back.
    assert await call(limiter, Endpoint(), "sendMessage", 6) is True
    assert await call(limiter, Endpoint(), "sendChatAction", 5) is True
    assert await call(limiter, Endpoint(), "sendMessage", -100) is True
    assert not second.done()
    second.cancel()


async def test_network_errors_are_retried_with_backoff() -> None:
    limiter = FloodLimiter(backoff=0.001, private_chat_rate=1000)
    endpoint = Endpoint(NetworkError("connection reset"), NetworkError("502 Bad Gateway"))
    assert await call(limiter, endpoint, "sendMessage", 5) is True
    assert endpoint.calls == 3


async def test_retries_give_up_after_the_limit() -> None:
    limiter = FloodLimiter(backoff=0.001, retries=2, private_chat_rate=1000)
    endpoint = Endpoint(*[NetworkError("down")] * 5)
    with pytest.raises(NetworkError):
        await call(limiter, endpoint, "editMessageText", 5)
    assert endpoint.calls == 3


@pytest.mark.parametrize("error", [BadRequest("can't parse entities"),
                                   Forbidden("bot was blocked by the user")])
async def test_final_answers_are_not_retried(error: Exception) -> None:
    endpoint = Endpoint(error)
    with pytest.raises(type(error)):
        await call(FloodLimiter(backoff=0.001, private_chat_rate=1000), endpoint, "sendMessage", 5)
    assert endpoint.calls == 1


async def test_a_timeout_is_retried_only_where_repeating_is_harmless() -> None:
    limiter = FloodLimiter(backoff=0.001, private_chat_rate=1000)
    send = Endpoint(TimedOut())
    with pytest.raises(TimedOut):  # it may have been delivered: never send twice
        await call(limiter, send, "sendMessage", 5)
    assert send.calls == 1
    edit = Endpoint(TimedOut())
    assert await call(limiter, edit, "editMessageText", 5) is True
    assert edit.calls == 2


def flood(seconds: float) -> RetryAfter:
    return RetryAfter(timedelta(seconds=seconds))  # PTB_TIMEDELTA=1: see conftest


async def test_retry_after_is_waited_out_and_the_call_made_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = FloodLimiter(backoff=60, private_chat_rate=1000)  # a backoff would never end
    send = Endpoint(flood(0), flood(0))
    assert await call(limiter, send, "sendMessage", 5) is True
    assert send.calls == 3
    # A 429 that was waited out is routine: no error in the operator's log.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_retry_after_gives_up_after_the_retries_and_says_so() -> None:
    limiter = FloodLimiter(backoff=0.001, retries=2, private_chat_rate=1000)
    send = Endpoint(*[flood(0)] * 5)
    with pytest.raises(RetryAfter):
        await call(limiter, send, "sendMessage", 5)
    assert send.calls == 3


async def test_while_telegram_asks_to_wait_the_other_chats_wait_too() -> None:
    limiter = FloodLimiter(backoff=0.001, private_chat_rate=1000)
    first = Endpoint(flood(30))
    waiting = asyncio.create_task(call(limiter, first, "sendMessage", 5))
    while first.calls == 0:
        await asyncio.sleep(0.01)
    other = Endpoint()
    try:
        with pytest.raises(TimeoutError):  # held for the 30 s Telegram asked for
            await asyncio.wait_for(call(limiter, other, "sendMessage", 6), timeout=0.5)
        assert other.calls == 0 and first.calls == 1
    finally:
        waiting.cancel()


async def test_get_updates_is_retried_after_retry_after_but_not_after_network_errors() -> None:
    limiter = FloodLimiter(backoff=0.001, private_chat_rate=1000)
    poll = Endpoint(flood(0))
    assert await call(limiter, poll, "getUpdates", None) is True
    assert poll.calls == 2
    broken = Endpoint(NetworkError("reset"))
    with pytest.raises(NetworkError):  # the Updater has its own loop for these
        await call(limiter, broken, "getUpdates", None)
    assert broken.calls == 1
