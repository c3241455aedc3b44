"""Budgets and send limits: moving windows of the `limits` library, in memory or in Redis."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.fakes.coordination import Make


async def test_allows_the_limit_then_says_how_long_to_wait(replicas: Make) -> None:
    window = replicas().window("links", 2, 600)
    assert await window.acquire("u") == 0
    assert await window.acquire("u") == 0
    wait = await window.acquire("u")
    assert 590 < wait <= 600  # the first event leaves the window 600 s after it came
    assert await window.acquire("other") == 0


async def test_refusals_do_not_extend_the_window(replicas: Make) -> None:
    window = replicas().window("links", 1, 1)
    assert await window.acquire("u") == 0
    first = await window.acquire("u")
    for _ in range(5):
        assert 0 < await window.acquire("u") <= first
    await asyncio.sleep(first)  # the one recorded event has left the window
    assert await window.acquire("u") == 0


async def test_a_released_event_is_given_back(replicas: Make) -> None:
    window = replicas().window("links", 1, 60)
    assert await window.acquire("u") == 0
    assert await window.acquire("u") > 0
    await window.release("u")  # the work it paid for was not done
    assert await window.acquire("u") == 0
    await window.release("nobody")  # nothing to give back: no error, no credit
    assert await window.acquire("nobody") == 0 and await window.acquire("nobody") > 0


def test_rejects_a_meaningless_limit(replicas: Make) -> None:
    with pytest.raises(ValueError):
        replicas().window("links", 0, 10)


async def test_replicas_share_one_budget_only_through_redis(
    replicas: Make, request: pytest.FixtureRequest
) -> None:
    one, two = replicas().window("links", 3, 600), replicas().window("links", 3, 600)
    assert [await w.acquire("u") for w in (one, two, one)] == [0, 0, 0]
    fourth = await two.acquire("u")
    if "redis" in request.node.callspec.id:
        assert fourth > 0  # one user, one budget, whichever replica they reach
    else:
        assert fourth == 0  # two processes in memory: each has its own


async def test_wait_paces_to_the_limit(replicas: Make) -> None:
    window = replicas().window("telegram-bot", 5, 1)
    started = time.monotonic()
    await asyncio.gather(*(window.wait("") for _ in range(11)))
    # 5 at once, 5 a second later, the last one a second after that.
    assert time.monotonic() - started >= 2 * 0.95
