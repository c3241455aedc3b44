"""Single flight: one run of the work per key, one cancellation rule, across replicas."""

from __future__ import annotations

import asyncio

import pytest

from bot.coordination import SingleFlight
from tests.fakes.coordination import Make, eventually


class Work:
    """Work that runs until released, counting its runs and whether it was cancelled."""

    def __init__(self) -> None:
        self.runs = 0
        self.cancelled = 0
        self.release = asyncio.Event()

    async def __call__(self) -> str:
        self.runs += 1
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return f"result {self.runs}"


async def _started(work: Work, runs: int = 1) -> None:
    async def check() -> bool:
        return work.runs >= runs

    await eventually(check)


async def test_callers_of_one_key_share_one_run() -> None:
    flights: SingleFlight[str] = SingleFlight()
    work = Work()
    callers = [asyncio.create_task(flights.run("k", work)) for _ in range(5)]
    await _started(work)
    work.release.set()
    assert await asyncio.gather(*callers) == ["result 1"] * 5
    assert work.runs == 1 and not flights.running("k")


async def test_a_cancelled_caller_leaves_and_the_work_goes_on_for_the_others() -> None:
    flights: SingleFlight[str] = SingleFlight()
    work = Work()
    first = asyncio.create_task(flights.run("k", work))
    second = asyncio.create_task(flights.run("k", work))
    await _started(work)
    first.cancel()  # the one that started it gives up
    with pytest.raises(asyncio.CancelledError):
        await first
    work.release.set()
    assert await second == "result 1"
    assert work.cancelled == 0


async def test_the_work_is_cancelled_when_the_last_caller_leaves() -> None:
    flights: SingleFlight[str] = SingleFlight()
    work = Work()
    callers = [asyncio.create_task(flights.run("k", work)) for _ in range(2)]
    await _started(work)
    for caller in callers:
        caller.cancel()
    await asyncio.gather(*callers, return_exceptions=True)

    async def cancelled() -> bool:
        return work.cancelled == 1

    await eventually(cancelled)
    assert not flights.running("k")


async def test_a_failure_reaches_every_caller_and_the_next_one_tries_again() -> None:
    flights: SingleFlight[str] = SingleFlight()
    calls = 0

    async def failing() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise RuntimeError("Сайт не відповів")

    outcomes = await asyncio.gather(*(flights.run("k", failing) for _ in range(3)),
                                    return_exceptions=True)
    assert [str(o) for o in outcomes] == ["Сайт не відповів"] * 3 and calls == 1
    with pytest.raises(RuntimeError):
        await flights.run("k", failing)
    assert calls == 2


async def test_replicas_take_turns_on_a_key_only_through_redis(
    replicas: Make, request: pytest.FixtureRequest
) -> None:
    """Two replicas given one link: with Redis the second waits for the first's run to end
    (then finds its summary in the shared cache); in memory each runs at once."""
    one, two = replicas().flights(), replicas().flights()
    first, second = Work(), Work()
    a = asyncio.create_task(one.run("link:https://example.com/новини", first))
    await _started(first)
    b = asyncio.create_task(two.run("link:https://example.com/новини", second))
    if "redis" in request.node.callspec.id:
        await asyncio.sleep(0.5)  # several polls of the lock: it must still be waiting
        assert second.runs == 0
        first.release.set()
        await _started(second)
    else:
        await _started(second)
        first.release.set()
    second.release.set()
    assert await a == "result 1" and await b == "result 1"


async def test_a_cancelled_holder_frees_the_key_for_the_other_replica(
    replicas: Make, request: pytest.FixtureRequest
) -> None:
    one, two = replicas().flights(), replicas().flights()
    first, second = Work(), Work()
    a = asyncio.create_task(one.run("k", first))
    await _started(first)
    b = asyncio.create_task(two.run("k", second))
    a.cancel()  # its only caller left: the work stops and the key is free at once
    with pytest.raises(asyncio.CancelledError):
        await a
    await _started(second)
    second.release.set()
    assert await b == "result 1"
