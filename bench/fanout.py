"""Digest fan-out: N sender processes on PostgreSQL against the fake Bot API.

    uv run python bench/fanout.py --processes 2 --chats 3000

One run measures a digest round with 1 sender process and with N (default 2), side by
side, after a same-run baseline (1 process sending through python-telegram-bot's
`send_message`, the path before the lean JSON sender of bot/telegram/wire.py), each on
a fresh PostgreSQL database holding the same chats: `--chats` chats (default 3,000) over
~20 topic sets, in 3 languages and 4 time zones, every one of them due now, Telegram's
limits lifted (own capacity). A share of the chats (`--history`) was sent one
of today's stories yesterday, so their digests carry their own update lines.

Each sender is a real `newsbot` process as `newsbot run` wires it (build_application,
its post_init, the JobQueue's `DigestRounds.tick`), so claims, reads, building, sending
and recording are the production path. The outside world runs in two more processes: the
news site and the OpenAI-compatible model server in one, the fake Telegram Bot API in its
own so the CPU it burns is measured and reported apart from the bot's.

Reported per column: messages/s (all messages over the round's wall time, from the moment
every sender starts its round to the moment the last one ends), CPU seconds per process
and per message, peak RSS per process, the fake Bot API's CPU, model calls against the
distinct (story, language) pairs the digests showed, and the check that every chat got
exactly one digest (counted at the fake Bot API). The last line is JSON.

FANOUT_PROFILE=cumulative (or tottime) prints a cProfile of each sender's round to
stderr: where the CPU goes.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get(
    "NEWSBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
POPULAR = ["North Korea", "Federal Reserve"]
TAIL = 8  # topics beyond the two popular ones
TOPIC_SETS = 20
LANGUAGES = ["en", "uk", "de"]
ZONES = ["UTC", "Europe/Kyiv", "America/New_York", "Asia/Tokyo"]
STORIES_PER_TOPIC = 6
OUTLETS = [("Reuters", "reuters.com"), ("Associated Press", "apnews.com"),
           ("BBC News", "bbc.co.uk"), ("The Guardian", "theguardian.com"),
           ("Al Jazeera", "aljazeera.com"), ("CNN", "cnn.com")]
SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "tor", "sul", "dri", "pa", "nex", "qua", "bel",
             "sto", "fi", "gru", "zen", "mar", "olo", "tek", "vi"]
DIGEST_TITLE = "Your daily digest"  # bot.telegram.messages.DIGEST_TITLE, as the fake sees it


def _word(n: int) -> str:
    rnd = random.Random(n)
    return "".join(rnd.choice(SYLLABLES) for _ in range(3))


def tail_topic(i: int) -> str:
    return f"{_word(i * 7 + 3).title()} {_word(i * 11 + 5).title()}"


def generated_reports(topic: str, t: int) -> list[Any]:
    """STORIES_PER_TOPIC stories, 2–4 outlets each, paraphrased headlines per outlet."""
    from tests.fakes.newsfeeds import Report

    reports = []
    for s in range(STORIES_PER_TOPIC):
        words = [_word(1000 + t * 100 + s * 10 + k) for k in range(4)]
        n_outlets = 2 + (s + t) % 3
        for o in range(n_outlets):
            outlet, domain = OUTLETS[(o + s) % len(OUTLETS)]
            order = words[o % 4:] + words[: o % 4]
            headline = f"{topic}: {order[0]} {order[1]} {order[2]} after {order[3]} talks"
            lead = (f"Officials in {topic} said the {words[0]} {words[1]} plan would reach "
                    f"{words[2]} before the {words[3]} meeting, {outlet} reported on Tuesday.")
            path = f"/t{t}/s{s}/{domain.split('.')[0]}"
            reports.append(Report(f"{t}-{s}", outlet, domain, headline, lead, path,
                                  1 + s + o * 0.2))
    return reports


def topic_reports() -> dict[str, list[Any]]:
    from tests.fakes.newsfeeds import FED, NORTH_KOREA

    topics: dict[str, list[Any]] = {"North Korea": NORTH_KOREA, "Federal Reserve": FED}
    for i in range(TAIL):
        topics[tail_topic(i)] = generated_reports(tail_topic(i), i)
    return topics


def topic_sets() -> list[list[str]]:
    """TOPIC_SETS distinct sets of 1–3 topics, the popular topics in most of them."""
    topics = [*POPULAR, *(tail_topic(i) for i in range(TAIL))]
    rnd = random.Random(7)
    sets: list[list[str]] = [[POPULAR[0]], [POPULAR[1]], POPULAR[:]]
    seen = {tuple(s) for s in sets}
    while len(sets) < TOPIC_SETS:
        weights = [1 / (rank + 1) for rank in range(len(topics))]
        picked = sorted(set(rnd.choices(topics, weights=weights, k=rnd.choice((1, 2, 3)))),
                        key=topics.index)
        if tuple(picked) not in seen:
            seen.add(tuple(picked))
            sets.append(picked)
    return sets


# --- the outside world, in child processes -----------------------------------------------


def serve_world(conn: Any, news_now: datetime) -> None:
    """The news site (feeds and article pages) and the model server."""
    from tests.fakes.newsworld import serve_news_world
    from tests.fakes.openai_server import FakeOpenAI
    from tests.fakes.site import FakeSite

    with FakeSite() as site, FakeOpenAI(record=False) as llm:
        world = serve_news_world(site, topic_reports(), now=news_now)
        # Bing-shaped feeds carry the articles' real URLs (Google's tokens can't be opened).
        bing_only = [t for t in world.templates if "/bing/" in t]
        first_story = {  # per topic: the URLs of its first story's articles
            topic: [r.url for r in reports if r.story == reports[0].story]
            for topic, reports in world.reports.items()
        }
        conn.send({"feeds": bing_only, "allow": world.allow_hosts, "llm": llm.base_url,
                   "first_story": first_story})
        while (message := conn.recv()) != "stop":
            if message == "calls":
                conn.send(llm.calls)


def serve_botapi(conn: Any) -> None:
    """The fake Telegram Bot API, alone in its process so its CPU is its own."""
    from tests.fakes.botapi import FakeBotAPI

    with FakeBotAPI() as api:
        conn.send({"botapi": api.base_url, "token": api.token})
        mark = 0
        while (message := conn.recv()) != "stop":
            if message == "reset":
                mark = len(api.history)
                conn.send(_cpu())
            elif message == "stats":
                calls = [c for c in api.history[mark:] if c.method == "sendMessage"]
                ok = [c for c in calls if c.status == 200]
                digests = Counter(int(c.params["chat_id"]) for c in ok
                                  if str(c.params.get("text", "")).startswith(
                                      f"<b>{DIGEST_TITLE}"))
                paid = sum(1 for c in ok if c.params.get("allow_paid_broadcast")
                           in (True, "true", "True"))
                conn.send({"cpu": _cpu(), "messages": len(ok), "refused": len(calls) - len(ok),
                           "digests": dict(digests), "paid": paid})


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- a sender: one newsbot process --------------------------------------------------------


def sender(conn: Any, cfg: dict[str, Any], db_url: str, at: datetime, start: Any) -> None:
    import asyncio
    import logging

    logging.basicConfig(level=logging.WARNING)
    from bot.config import Settings
    from bot.telegram.app import build_application
    from bot.telegram.delivery import DigestRounds, DigestSender
    from bot.telegram.flood import FloodLimiter

    settings = Settings(
        telegram_bot_token=cfg["token"], telegram_api_url=cfg["botapi"], database_url=db_url,
        summarizer="llm", openai_base_url=cfg["llm"], news_search_feeds=cfg["feeds"],
        fetch_allow_private_hosts=cfg["allow"], fetch_timeout=30, llm_timeout=30,
        # The fake world serves no Google decoder; the real one would be asked at 1/s.
        google_news_decode=False,
    )
    lifted = FloodLimiter(private_chat_rate=1e9, overall_rate=1e9, group_rate=1e9)
    app = build_application(settings, rate_limiter=lifted, clock=lambda: at, digest_tick=None)

    async def run() -> dict[str, Any]:
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        rounds = app.bot_data.services.rounds
        baseline: DigestSender | None = None
        if cfg.get("via_ptb"):
            # The same-run baseline: the same round, sent through PTB's send_message.
            baseline = DigestSender(app.bot, via_ptb=True)
            rounds = DigestRounds(app.bot_data.services.digests, baseline)
        conn.send("ready")
        await asyncio.to_thread(start.wait)
        profile: Any = None
        if os.environ.get("FANOUT_PROFILE"):
            import cProfile

            profile = cProfile.Profile(time.process_time)  # CPU, not wall: the box is shared
            profile.enable()
        began, cpu0 = time.time(), time.process_time()
        report = await rounds.tick(now=at)
        ended, cpu = time.time(), time.process_time() - cpu0
        if profile is not None:
            profile.disable()
            import pstats

            pstats.Stats(profile, stream=sys.stderr).sort_stats(
                os.environ["FANOUT_PROFILE"]).print_stats(40)
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        await app.shutdown()
        assert report is not None
        return {"began": began, "ended": ended, "cpu": cpu, "sent": report.sent,
                "failed": report.failed, "skipped": report.skipped,
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    conn.send(asyncio.run(run()))


# --- set-up ---------------------------------------------------------------------------------


def create_database(admin: Any) -> str:
    from sqlalchemy.engine import make_url

    name = f"newsbot_fanout_{uuid4().hex[:12]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(admin: Any, url: str) -> None:
    from sqlalchemy.engine import make_url

    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def populate(db_url: str, chats: int, at: datetime, history: float,
             first_story: dict[str, list[str]]) -> dict[str, int]:
    """Migrate a fresh database and add the chats, all due at `at` (not measured)."""
    from sqlalchemy import MetaData, create_engine, insert

    from bot.store import Store
    from bot.urls import canonical_url

    Store.open(db_url).close()  # migrations, as the bot runs them at start
    engine = create_engine(db_url)
    tables = MetaData()
    tables.reflect(engine, only=["chats", "subscriptions", "sent_stories"])
    rnd = random.Random(1)
    sets = topic_sets()
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(sets))]
    created = at - timedelta(days=5)
    yesterday = at - timedelta(days=1)
    chat_rows, sub_rows, sent_rows = [], [], []
    keys: set[tuple[Any, ...]] = set()
    with_history = 0
    for chat in range(1, chats + 1):
        picked = rnd.choices(range(len(sets)), weights=weights)[0]
        lang, tz = rnd.choice(LANGUAGES), rnd.choice(ZONES)
        local = at.astimezone(ZoneInfo(tz))
        slot = (local - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
        chat_rows.append({
            "chat_id": chat, "language": lang, "timezone": tz, "digest_time": slot,
            "active": True, "created_at": created, "updated_at": created,
            "last_digest_at": yesterday,
        })
        for n, topic in enumerate(sets[picked]):
            sub_rows.append({"chat_id": chat, "topic": topic, "topic_key": topic.casefold(),
                             "kind": "search", "created_at": created + timedelta(seconds=n)})
        keys.add((picked, lang, local.date()))
        if rnd.random() < history:
            # Yesterday this chat was sent the first story of its first topic, as reported
            # by one outlet: today it comes back as an update (3+ outlets) or not at all.
            with_history += 1
            urls = first_story[sets[picked][0]]
            sent_rows.append({
                "chat_id": chat, "story_key": f"yesterday-{chat}",
                "urls": [canonical_url(urls[0])], "outlet_count": 1, "sent_at": yesterday,
                "outlet_keys": [], "signature": [], "points": ["Yesterday's only point."],
            })
    with engine.begin() as c:
        c.execute(insert(tables.tables["chats"]), chat_rows)
        c.execute(insert(tables.tables["subscriptions"]), sub_rows)
        if sent_rows:
            c.execute(insert(tables.tables["sent_stories"]), sent_rows)
    engine.dispose()
    return {"keys": len(keys), "with_history": with_history}


def distinct_shown(db_url: str) -> int:
    """(story, language) pairs the digests showed: what a model call could be shared by."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as c:
        n = c.execute(text(
            "SELECT count(*) FROM (SELECT DISTINCT s.story_key, c.language FROM sent_stories s"
            " JOIN chats c ON c.chat_id = s.chat_id WHERE s.story_key NOT LIKE 'yesterday-%'"
            ") AS shown")).scalar_one()
    engine.dispose()
    return int(n)


# --- one column: a round with `processes` senders ----------------------------------------


def column(processes: int, args: argparse.Namespace, cfg: dict[str, Any], world: Any,
           botapi: Any, admin: Any, at: datetime, *, via_ptb: bool = False) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    db_url = create_database(admin)
    try:
        shape = populate(db_url, args.chats, at, args.history, cfg["first_story"])
        world.send("calls")
        llm_before = world.recv()
        start = ctx.Event()
        pipes, procs = [], []
        for _ in range(processes):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=sender,
                               args=(child, cfg | {"via_ptb": via_ptb}, db_url, at, start))
            proc.start()
            pipes.append(parent)
            procs.append(proc)
        for pipe in pipes:
            if pipe.recv() != "ready":
                raise RuntimeError("a sender did not start")
        botapi.send("reset")
        fake_cpu0 = botapi.recv()
        start.set()
        results = [pipe.recv() for pipe in pipes]
        for proc in procs:
            proc.join(timeout=60)
        botapi.send("stats")
        stats = botapi.recv()
        world.send("calls")
        llm_calls = world.recv() - llm_before
        shown = distinct_shown(db_url)
    finally:
        drop_database(admin, db_url)
    wall = max(r["ended"] for r in results) - min(r["began"] for r in results)
    cpu = sum(r["cpu"] for r in results)
    digests: dict[int, int] = stats["digests"]
    once = sum(1 for chat in range(1, args.chats + 1) if digests.get(chat) == 1)
    twice = sum(1 for n in digests.values() if n > 1)
    return {
        "send_path": "PTB send_message" if via_ptb else "lean JSON",
        "processes": processes, "chats": args.chats, "distinct_digest_keys": shape["keys"],
        "chats_with_history": shape["with_history"], "wall_s": round(wall, 2),
        "messages": stats["messages"], "refused": stats["refused"],
        "messages_per_s": round(stats["messages"] / wall, 1),
        "sent": sum(r["sent"] for r in results), "failed": sum(r["failed"] for r in results),
        "claimed_elsewhere": sum(r["skipped"] for r in results),
        "bot_cpu_s": round(cpu, 2), "bot_cpu_ms_per_message": round(
            1000 * cpu / max(stats["messages"], 1), 2),
        "peak_rss_mb": [round(r["rss_mb"]) for r in results],
        "fake_botapi_cpu_s": round(stats["cpu"] - fake_cpu0, 2),
        "fake_botapi_cores": round((stats["cpu"] - fake_cpu0) / wall, 2),
        "llm_calls": llm_calls, "distinct_story_languages": shown,
        "chats_with_one_digest": once, "chats_with_two_or_more": twice,
        "paid_broadcast_messages": stats["paid"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=2,
                        help="sender processes of the second column (the first has 1)")
    parser.add_argument("--chats", type=int, default=3000)
    parser.add_argument("--history", type=float, default=0.1,
                        help="share of chats sent one of today's stories yesterday")
    args = parser.parse_args()
    from sqlalchemy import create_engine

    os.environ.setdefault("PTB_TIMEDELTA", "1")
    # Just after 08:01 UTC tomorrow; every chat's slot is the minute before in its zone.
    at = datetime.now(UTC).replace(hour=8, minute=1, second=0, microsecond=0) + timedelta(days=1)
    ctx = mp.get_context("spawn")
    world, world_child = ctx.Pipe()
    botapi, botapi_child = ctx.Pipe()
    fakes = [ctx.Process(target=serve_world, args=(world_child, at - timedelta(minutes=30)),
                         daemon=True),
             ctx.Process(target=serve_botapi, args=(botapi_child,), daemon=True)]
    for proc in fakes:
        proc.start()
    cfg = world.recv() | botapi.recv()
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    counts = sorted({1, args.processes})
    try:
        # First the baseline: one process sending through PTB, as before the lean sender.
        columns = [column(1, args, cfg, world, botapi, admin, at, via_ptb=True)]
        columns += [column(n, args, cfg, world, botapi, admin, at) for n in counts]
    finally:
        admin.dispose()
        for pipe in (world, botapi):
            pipe.send("stop")
        for proc in fakes:
            proc.join(timeout=10)

    baseline, one = columns[0], columns[1]
    for col in columns:
        # What the senders reached per process if the fake's own CPU were not taking a
        # share of this machine's cores: the bot's throughput per core of its own CPU.
        col["messages_per_bot_cpu_s"] = round(col["messages"] / max(col["bot_cpu_s"], 1e-9), 1)
        col["speedup_vs_1"] = round(col["messages_per_s"] / one["messages_per_s"], 2)
        col["vs_ptb_baseline"] = round(col["messages_per_s"] / baseline["messages_per_s"], 2)
        col["bot_cores"] = round(col["bot_cpu_s"] / col["wall_s"], 2)
    rows = [
        ("send path", "send_path"),
        ("sender processes", "processes"),
        ("chats (all due now)", "chats"),
        ("distinct (topics, language, local date)", "distinct_digest_keys"),
        ("chats with yesterday's story", "chats_with_history"),
        ("messages sent", "messages"),
        ("messages refused by the fake", "refused"),
        ("round wall time, s", "wall_s"),
        ("messages/s", "messages_per_s"),
        ("speed-up over 1 lean process", "speedup_vs_1"),
        ("speed-up over the PTB baseline", "vs_ptb_baseline"),
        ("bot cores used (CPU s / wall s)", "bot_cores"),
        ("bot CPU, s (all senders)", "bot_cpu_s"),
        ("bot CPU per message, ms", "bot_cpu_ms_per_message"),
        ("messages per bot CPU second", "messages_per_bot_cpu_s"),
        ("peak RSS per sender, MB", "peak_rss_mb"),
        ("fake Bot API CPU, s", "fake_botapi_cpu_s"),
        ("fake Bot API, cores used", "fake_botapi_cores"),
        ("model calls", "llm_calls"),
        ("distinct (story, language) shown", "distinct_story_languages"),
        ("chats with exactly one digest", "chats_with_one_digest"),
        ("chats with two or more", "chats_with_two_or_more"),
        ("failed digests", "failed"),
        ("sent with allow_paid_broadcast", "paid_broadcast_messages"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'':<{width}}  " + "  ".join(f"{c['processes']:>14} proc" for c in columns))
    for name, key in rows:
        cells = []
        for col in columns:
            value = col[key]
            cells.append(f"{'/'.join(map(str, value)) if isinstance(value, list) else value:>19}")
        print(f"{name:<{width}}  " + "  ".join(cells))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (cores: {os.cpu_count()})")
    print(json.dumps({"columns": columns, "loadavg": round(os.getloadavg()[0], 2),
                      "cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
