"""Digest rounds over a real store (SQLite and PostgreSQL) and a loopback news world.

The `send` here is a recording callable; the Telegram side has its own end-to-end tests.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from bot.rounds import Digests, is_dead_local_worker
from bot.store import Store
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.outbox import Outbox

MakeDigests = Callable[..., Digests]  # tests/store/conftest.py's `make_digests`


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


async def test_round_sends_each_due_chat_once_and_shares_summaries(
    store: Store, make_digests: MakeDigests, llm: FakeOpenAI, eight: datetime
) -> None:
    chats = list(range(1, 7))
    for chat in chats:
        await asyncio.to_thread(store.subscriptions.add, chat, "North Korea", "search")
    digests = make_digests(store, llm=llm, at=eight + timedelta(days=1, minutes=1))
    outbox = Outbox()
    report = await digests.run_round(outbox)
    assert report.sent == len(chats) and report.failed == 0
    assert outbox.per_chat() == Counter({c: 1 for c in chats})
    first = outbox.sent[0].topics[0]
    assert first.topic == "North Korea" and [s.outlet_count for s in first.stories][:1] == [4]
    summarized = {s.url for d in outbox.sent for t in d.topics for s in t.stories if s.points}
    # One model call per distinct summarized story, however many chats got it.
    assert llm.calls == len(summarized) > 0
    # A second round the same day sends nothing more.
    again = await digests.run_round(outbox)
    assert again.sent == 0 and outbox.per_chat() == Counter({c: 1 for c in chats})


async def test_next_day_repeats_nothing(
    store: Store, make_digests: MakeDigests, eight: datetime
) -> None:
    await asyncio.to_thread(store.subscriptions.add, 1, "North Korea", "search")
    day1 = make_digests(store, at=eight + timedelta(days=1, minutes=1))
    outbox = Outbox()
    await day1.run_round(outbox)
    assert outbox.sent[0].story_count == 3
    day2 = make_digests(store, at=eight + timedelta(days=2, minutes=1))
    await day2.run_round(outbox)
    assert len(outbox.sent) == 2
    assert outbox.sent[1].topics[0].nothing_new  # same coverage: nothing repeated


async def test_blocked_chat_goes_inactive_and_others_still_get_theirs(
    store: Store, make_digests: MakeDigests, eight: datetime
) -> None:
    for chat in (1, 2, 3):
        await asyncio.to_thread(store.subscriptions.add, chat, "Federal Reserve", "search")
    digests = make_digests(store, at=eight + timedelta(days=1, minutes=1))
    outbox = Outbox(gone={2})
    report = await digests.run_round(outbox)
    assert report.gone == 1 and report.sent == 2
    assert sorted(outbox.per_chat()) == [1, 3]
    blocked = await asyncio.to_thread(store.chats.get, 2)
    assert blocked is not None and blocked.active is False


async def test_failed_send_is_retried_later_not_lost(
    store: Store, make_digests: MakeDigests, eight: datetime
) -> None:
    await asyncio.to_thread(store.subscriptions.add, 1, "Federal Reserve", "search")
    start = eight + timedelta(days=1, minutes=1)
    outbox = Outbox(failing={1})
    first = await make_digests(store, at=start).run_round(outbox)
    assert first.failed == 1 and not outbox.sent
    outbox.failing.clear()
    soon = await make_digests(store, at=start + timedelta(minutes=1)).run_round(outbox)
    assert soon.sent == 0  # not hammered every minute
    later = await make_digests(store, at=start + timedelta(minutes=10)).run_round(outbox)
    assert later.sent == 1 and outbox.per_chat() == Counter({1: 1})


async def test_two_processes_racing_send_each_digest_once(
    store: Store, other_store: Store, make_digests: MakeDigests, eight: datetime
) -> None:
    chats = list(range(100, 120))
    for chat in chats:
        await asyncio.to_thread(store.subscriptions.add, chat, "Federal Reserve", "search")
    at = eight + timedelta(days=1, minutes=1)
    a, b = make_digests(store, at=at), make_digests(other_store, at=at)
    b.worker = a.worker + "-b"  # two processes, one host
    outbox = Outbox()
    ra, rb = await asyncio.gather(a.run_round(outbox), b.run_round(outbox))
    assert ra.sent + rb.sent == len(chats)
    assert outbox.per_chat() == Counter({c: 1 for c in chats})


async def test_claims_of_a_killed_process_are_released_on_restart(
    store: Store, make_digests: MakeDigests, eight: datetime
) -> None:
    await asyncio.to_thread(store.subscriptions.add, 1, "Federal Reserve", "search")
    at = eight + timedelta(days=1, minutes=1)
    dead = f"{socket.gethostname()}:{_dead_pid()}"
    assert await asyncio.to_thread(
        store.deliveries.claim, [(1, at.date())], worker=dead, now=at) == [(1, at.date())]
    outbox = Outbox()
    report = await make_digests(store, at=at + timedelta(minutes=1)).run_round(outbox)
    assert report.sent == 1 and outbox.per_chat() == Counter({1: 1})


def test_is_dead_local_worker() -> None:
    import os

    host = socket.gethostname()
    assert is_dead_local_worker(f"{host}:{_dead_pid()}")
    assert not is_dead_local_worker(f"{host}:{os.getpid()}")
    assert not is_dead_local_worker(f"{host}:1")  # init is alive
    assert not is_dead_local_worker(f"another-host:{_dead_pid()}")
    assert not is_dead_local_worker("garbage")


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid

