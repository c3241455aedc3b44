"""Two webhook replicas of one bot on the machine's PostgreSQL and Redis (issue 12).

What a user and Telegram would notice when a bot runs as several processes: one budget per
user whichever replica their message reaches, one digest per chat a day however many
replicas run the round, Telegram's send limits kept by the replicas together, and a replica
killed mid-round losing nothing.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from bot.store import Store
from tests.fakes.articles import KYIV_BUDGET_PARAGRAPHS, article_html
from tests.fakes.botapi import Call, FakeBotAPI
from tests.fakes.newsfeeds import FED
from tests.fakes.newsworld import NewsWorld, serve_news_world
from tests.fakes.process import free_port
from tests.fakes.replicas import Replica, deliveries, message
from tests.fakes.site import FakeSite

LIMIT_SAID = "You've reached the limit of summaries"
TITLE = "Your daily digest"


def test_one_users_budget_is_shared_by_both_replicas(
    tmp_path: Path, botapi: FakeBotAPI, site: FakeSite, database_url: str, redis_url: str
) -> None:
    """RATE_LIMIT_LINKS=10: ten links spread over two replicas are summarized, the 11th is
    refused with the budget message (each replica alone has seen only five or six)."""
    urls = [site.page(f"/kyiv/{n}", article_html(f"Бюджет Києва на 2027 рік, частина {n}",
                                                 KYIV_BUDGET_PARAGRAPHS, lang="uk"))
            for n in range(11)]
    settings = {"DATABASE_URL": database_url, "REDIS_URL": redis_url,
                "FETCH_ALLOW_PRIVATE_HOSTS": site.host}
    user = 4242
    with (Replica(botapi, free_port(), tmp_path, "one", **settings) as one,
          Replica(botapi, free_port(), tmp_path, "two", **settings) as two):
        one.wait_ready()
        two.wait_ready()
        for n, url in enumerate(urls[:10]):
            (one, two)[n % 2].send(message(url, user=user))
            # Answered (the status message edited into the summary) before the next link.
            botapi.wait_for_sync(functools.partial(_answered, botapi, user, n + 1), timeout=60)
        summaries = botapi.sent_to(user)
        assert all("Бюджет Києва" in m.text for m in summaries), [m.text for m in summaries]

        (one, two)[10 % 2].send(message(urls[10], user=user))
        refusal = botapi.wait_for_sync(
            lambda: next((m for m in botapi.sent_to(user) if LIMIT_SAID in m.text), None),
            timeout=60)
    assert refusal is not None and "Please try again in" in refusal.text
    assert len(botapi.sent_to(user)) == 11  # ten summaries and the refusal, nothing more


def _answered(api: FakeBotAPI, user: int, links: int) -> bool:
    """`links` messages in the chat, the last one edited from its status into the answer."""
    sent = api.sent_to(user)
    return len(sent) == links and sent[-1].edits >= 1


def _due_chats(database_url: str, chats: range, now: datetime) -> None:
    """`chats` follow one topic since yesterday, with their digest due two minutes ago."""
    store = Store.open(database_url)
    try:
        due = (now - timedelta(minutes=2)).time().replace(second=0, microsecond=0)
        for chat in chats:
            store.chats.set_schedule(chat, due, "UTC")
            store.subscriptions.add(chat, "Federal Reserve", "search")
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE subscriptions SET created_at = :t"),
                         {"t": now - timedelta(days=1)})
    finally:
        store.close()


def _world(site: FakeSite, now: datetime) -> NewsWorld:
    return serve_news_world(site, {"Federal Reserve": FED}, now=now - timedelta(minutes=30))


def _digests(apis: list[FakeBotAPI], chat: int) -> int:
    return sum(1 for api in apis for m in api.sent_to(chat) if TITLE in m.text)


def _sends(api: FakeBotAPI) -> list[Call]:
    return [c for c in api.calls("sendMessage") if c.status == 200]


def _until(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def _busiest_second(times: list[float]) -> int:
    """The most arrivals within any 1 s (a sliding window over the arrival times)."""
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_a_round_across_both_replicas_sends_each_digest_once_within_telegrams_limits(
    tmp_path: Path, botapi: FakeBotAPI, site: FakeSite, database_url: str, redis_url: str,
    db: Engine,
) -> None:
    """300 chats due at once; replica one claims half the round, replica two the other half
    (a replica claims greedily, so the second half becomes due only after the first is
    claimed). Telegram holds every answer until both have claimed; then both send at once,
    and only the limits they share keep them under 30 messages/s."""
    now = datetime.now(UTC)
    world = _world(site, now)
    first_half, second_half = range(1, 151), range(151, 301)
    chats = range(1, 301)
    settings = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, **world.env()}
    botapi.hold("sendMessage")
    _due_chats(database_url, first_half, now)
    with Replica(botapi, free_port(), tmp_path, "one", **settings) as one:
        botapi.wait_for_sync(lambda: len(deliveries(db)) == len(first_half), timeout=180)
        _due_chats(database_url, second_half, now)
        with Replica(botapi, free_port(), tmp_path, "two", **settings) as two:
            botapi.wait_for_sync(lambda: len(deliveries(db)) == len(chats), timeout=180)
            botapi.let_through("sendMessage")
            # Polled slowly: the fake serves requests on threads of this process, and a
            # predicate run on every call would hold them up and bunch their arrival times.
            _until(lambda: len(_sends(botapi)) >= len(chats), timeout=180)
            time.sleep(1.0)  # a duplicate, if any, would arrive now
            workers = Counter(worker for _, _, worker in deliveries(db))
            one.process.wait_for("digest round")
            two.process.wait_for("digest round")

    assert Counter(_digests([botapi], c) for c in chats) == Counter({1: len(chats)})
    assert len(workers) == 2, workers  # both replicas sent part of the round
    sends = _sends(botapi)
    assert len(sends) == len(chats)  # one message per chat: its per-chat rate is 1
    busiest = _busiest_second([c.at for c in sends])
    print(f"\n300 digests from 2 replicas: at most {busiest} sendMessage in any 1 s; "
          f"split {sorted(workers.values())}")
    assert busiest <= 30


def test_a_replica_killed_mid_round_loses_no_digest(
    tmp_path: Path, token: str, site: FakeSite, database_url: str, redis_url: str,
    db: Engine,
) -> None:
    """Replica one is cut off from Telegram after five digests and killed mid-round with
    its claims held; replica two frees the dead replica's claims and sends the rest. Each
    replica talks to Telegram through a network of its own here (two fakes of one bot), so
    that only one's sends hang."""
    now = datetime.now(UTC)
    world = _world(site, now)
    chats = range(1, 41)
    _due_chats(database_url, chats, now)
    settings = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, **world.env()}
    delivered_first = 5
    with FakeBotAPI(token) as first_api, FakeBotAPI(token) as second_api:
        first_api.stall_next("sendMessage", 60.0, times=1000, deliver=False,
                             after=delivered_first)
        with Replica(first_api, free_port(), tmp_path, "one", **settings) as one:
            first_api.wait_for_sync(
                lambda: sum(1 for _, status, _ in deliveries(db) if status == "sent")
                >= delivered_first, timeout=180)
            time.sleep(0.5)  # more sends are now hanging, their digests claimed
            # Killed before its hanging sends time out (and are marked failed, for a retry
            # minutes later): its claims are held by a process that is gone.
            one.kill()
            with Replica(second_api, free_port(), tmp_path, "two", **settings):
                second_api.wait_for_sync(
                    lambda: all(_digests([first_api, second_api], c) >= 1 for c in chats),
                    timeout=180)
                time.sleep(1.0)  # a duplicate, if any, would arrive now
        counts = Counter(_digests([first_api, second_api], c) for c in chats)
    assert counts == Counter({1: len(chats)})
    assert sum(_digests([second_api], c) for c in chats) == len(chats) - delivered_first
