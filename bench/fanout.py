"""One full digest round for N chats against loopback fakes: throughput, calls, memory.

N chats (default 10,000) follow a realistic mix of topics — two popular ones, a long tail
of others, 1–3 topics per chat — with their digest due now. The fakes (a news site with
search feeds and article pages, an OpenAI-compatible model server, the Telegram Bot API)
run in a child process so they don't share the bot's interpreter; the bot side is the
real thing: store (SQLite), Digests, the PTB bot with its flood limiter, DigestSender.

Runs, in one process:
  own capacity  all N chats, Telegram's limits lifted: messages/s the bot can produce
  rate limited  --limited-chats more chats with the real 30 msg/s + 1 msg/s per chat limiter:
                the share of 30 msg/s it reaches
Reported: wall time, messages/s, LLM calls vs distinct stories, database size, peak RSS.

    uv run python bench/fanout.py --chats 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

POPULAR = ["North Korea", "Federal Reserve"]
TAIL = 48
STORIES_PER_TOPIC = 6
OUTLETS = [("Reuters", "reuters.com"), ("Associated Press", "apnews.com"),
           ("BBC News", "bbc.co.uk"), ("The Guardian", "theguardian.com"),
           ("Al Jazeera", "aljazeera.com"), ("CNN", "cnn.com")]
SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "tor", "sul", "dri", "pa", "nex", "qua", "bel",
             "sto", "fi", "gru", "zen", "mar", "olo", "tek", "vi"]


def tail_topic(i: int) -> str:
    return f"{_word(i * 7 + 3).title()} {_word(i * 11 + 5).title()}"


def _word(n: int) -> str:
    rnd = random.Random(n)
    return "".join(rnd.choice(SYLLABLES) for _ in range(3))


def generated_reports(topic: str, t: int, now_hours_ago: float = 0.0) -> list[Any]:
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


# --- the fakes, in a child process --------------------------------------------------------


def serve_fakes(conn: Any, news_now: datetime) -> None:
    from tests.fakes.botapi import FakeBotAPI
    from tests.fakes.newsworld import serve_news_world
    from tests.fakes.openai_server import FakeOpenAI
    from tests.fakes.site import FakeSite

    with FakeSite() as site, FakeOpenAI(record=False) as llm, FakeBotAPI() as api:
        world = serve_news_world(site, topic_reports(), now=news_now)
        # Bing-shaped feeds carry the articles' real URLs (Google's tokens can't be opened).
        bing_only = [t for t in world.templates if "/bing/" in t]
        conn.send({"feeds": bing_only, "allow": world.allow_hosts, "llm": llm.base_url,
                   "botapi": api.base_url, "token": api.token})
        conn.recv()  # "stop"
        per_chat = Counter(int(c.params["chat_id"]) for c in api.calls("sendMessage")
                           if c.status == 200)
        conn.send({"llm_calls": llm.calls, "per_chat": dict(per_chat),
                   "site_requests": len(site.history)})


# --- the bot side -------------------------------------------------------------------------


def subscribe_all(store: Any, first: int, count: int, topics: list[str], seed: int) -> None:
    rnd = random.Random(seed)
    # Zipf-like: the popular topics get most readers, the tail a few each.
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(topics))]
    rows_chats: list[int] = []
    rows_subs: list[tuple[int, str]] = []
    now = datetime.now(UTC)
    for chat in range(first, first + count):
        picks = set(rnd.choices(topics, weights=weights, k=rnd.choice((1, 1, 2, 2, 3))))
        rows_chats.append(chat)
        rows_subs.extend((chat, t) for t in picks)
    from sqlalchemy import insert

    from bot.store.tables import ChatRow, SubscriptionRow
    from bot.store.topic import normalize_topic

    # Bulk set-up (not measured): one transaction instead of one per subscription.
    with store.engine.begin() as conn:
        conn.execute(insert(ChatRow), [
            {"chat_id": c, "timezone": "UTC", "digest_time": datetime.min.time().replace(hour=8),
             "active": True, "created_at": now - timedelta(days=2),
             "updated_at": now - timedelta(days=2)} for c in rows_chats])
        conn.execute(insert(SubscriptionRow), [
            {"chat_id": c, "topic": t, "topic_key": normalize_topic(t, "search"), "kind": "search",
             "created_at": now - timedelta(days=2)} for c, t in rows_subs])


async def one_round(cfg: dict[str, Any], store: Any, at: datetime, limiter: Any,
                    concurrency: int) -> tuple[float, Any, list[Any]]:
    from bot.config import Settings
    from bot.pipeline import Pipeline
    from bot.rounds import ChatDigest, Digests
    from bot.store import StoreSummaryCache
    from bot.telegram.app import build_application
    from bot.telegram.delivery import DigestSender

    settings = Settings(
        telegram_bot_token=cfg["token"], telegram_api_url=cfg["botapi"],
        summarizer="llm", openai_base_url=cfg["llm"], news_search_feeds=cfg["feeds"],
        fetch_allow_private_hosts=cfg["allow"], fetch_timeout=30, llm_timeout=30,
        # The fake world serves no Google decoder; the real one would be asked at 1/s.
        google_news_decode=False,
    )
    app = build_application(settings, rate_limiter=limiter)
    await app.initialize()
    pipeline = Pipeline.build(settings, cache=StoreSummaryCache(store))
    digests = Digests(settings, pipeline=pipeline, store=store, clock=lambda: at,
                      concurrency=concurrency)
    sender = DigestSender(app.bot)
    delivered: list[ChatDigest] = []

    phase: defaultdict[str, float] = defaultdict(float)  # seconds spent per phase
    noop = bool(os.environ.get("FANOUT_NO_SEND"))  # isolate the bot's side from Telegram's

    stamps: list[float] = []

    async def send(digest: ChatDigest) -> None:
        t = time.perf_counter()
        if not noop:
            await sender(digest)
        phase["send"] += time.perf_counter() - t
        delivered.append(digest)
        stamps.append(time.perf_counter())
        if profile is not None and len(stamps) == 300:
            profile.enable()  # steady state only: the topics are built by now

    if os.environ.get("FANOUT_PHASES"):
        for name in ("chat_digest", "remember_sent"):
            real = getattr(digests, name)

            async def timed(*a: Any, _real: Any = real, _name: str = name, **k: Any) -> Any:
                t = time.perf_counter()
                try:
                    return await _real(*a, **k)
                finally:
                    phase[_name] += time.perf_counter() - t

            setattr(digests, name, timed)

    profile: Any = None
    if os.environ.get("FANOUT_PROFILE"):  # where the time goes: FANOUT_PROFILE=1
        import cProfile

        profile = cProfile.Profile()
    t0, cpu0 = time.perf_counter(), time.process_time()
    report = await digests.run_round(send)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if profile is not None:
        profile.disable()
        profile.print_stats(os.environ["FANOUT_PROFILE"])
    if phase and os.environ.get("FANOUT_PHASES"):
        print(f"round: wall {wall:.1f} s, bot CPU {cpu:.1f} s", file=sys.stderr)
        print("phases (summed over concurrent chats, s):",
              {k: round(v, 2) for k, v in phase.items()}, file=sys.stderr)
        if len(stamps) > 10:
            tenth = stamps[len(stamps) // 10]
            print(f"first digest after {stamps[0] - t0:.1f} s; 10% after {tenth - t0:.1f} s; "
                  f"then {len(stamps) * 0.9 / (stamps[-1] - tenth):.0f} digests/s",
                  file=sys.stderr)
    await pipeline.aclose()
    await app.shutdown()
    return wall, report, delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--limited-chats", type=int, default=900,
                        help="chats in the rate-limited run (30 msg/s: 900 take ~30 s)")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    os.environ.setdefault("PTB_TIMEDELTA", "1")
    from bot.store import Store
    from bot.telegram.flood import FloodLimiter

    at = datetime.now(UTC).replace(hour=8, minute=1, second=0, microsecond=0) + timedelta(days=1)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=serve_fakes, args=(child, at - timedelta(minutes=30)), daemon=True)
    proc.start()
    cfg = parent.recv()
    topics = [*POPULAR, *(tail_topic(i) for i in range(TAIL))]
    figures: dict[str, Any] = {"chats": args.chats, "limited_chats": args.limited_chats}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "newsbot.sqlite3"
        store = Store.open(f"sqlite:///{db}")
        t0 = time.perf_counter()
        subscribe_all(store, 1, args.chats, topics, seed=1)
        subscribe_all(store, 10_000_000, args.limited_chats, topics, seed=2)
        setup = time.perf_counter() - t0
        lifted = FloodLimiter(private_chat_rate=1e9, overall_rate=1e9, group_rate=1e9)
        # Only the first group is due in the first round; then the second group's digest
        # time moves to 08:00 and the rate-limited round sends just those.
        store_limited_later(store, 10_000_000, args.limited_chats, hours=1)
        wall, report, delivered = asyncio.run(one_round(cfg, store, at, lifted,
                                                        args.concurrency))
        store_limited_later(store, 10_000_000, args.limited_chats, hours=0)
        wall_l, report_l, delivered_l = asyncio.run(
            one_round(cfg, store, at + timedelta(minutes=1), FloodLimiter(), args.concurrency))
        db_bytes = sum(p.stat().st_size for p in Path(tmp).glob("newsbot.sqlite3*"))
        store.close()
    parent.send("stop")
    stats = parent.recv()
    proc.join(timeout=10)

    per_chat = stats["per_chat"]
    messages_own = sum(per_chat.get(c, 0) for c in range(1, args.chats + 1))
    messages_lim = sum(per_chat.get(c, 0) for c in range(10_000_000,
                                                         10_000_000 + args.limited_chats))
    distinct_stories = len({s.url for d in (*delivered, *delivered_l) for t in d.topics
                            for s in t.stories if s.points})
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate_own = messages_own / wall
    rate_lim = messages_lim / wall_l
    rows = [
        ("chats (own capacity run)", args.chats),
        ("digests sent", report.sent),
        ("chats with exactly one digest", sum(1 for n in Counter(
            d.chat_id for d in delivered).values() if n == 1)),
        ("messages sent", messages_own),
        ("wall time, s", f"{wall:.1f}"),
        ("messages/s, limits lifted", f"{rate_own:.0f}"),
        ("chats (rate-limited run)", args.limited_chats),
        ("messages/s, Telegram limits on", f"{rate_lim:.1f}"),
        ("share of 30 msg/s", f"{rate_lim / 30:.1%}"),
        ("LLM calls", stats["llm_calls"]),
        ("distinct summarized stories", distinct_stories),
        ("news site requests", stats["site_requests"]),
        ("database size, MB", f"{db_bytes / 1e6:.1f}"),
        ("peak RSS, MB", f"{peak_rss_mb:.0f}"),
        ("set-up (not measured), s", f"{setup:.1f}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    figures.update({
        "wall_s": round(wall, 2), "digests_sent": report.sent, "messages": messages_own,
        "messages_per_s_own": round(rate_own, 1), "messages_per_s_limited": round(rate_lim, 2),
        "share_of_30_per_s": round(rate_lim / 30, 4), "llm_calls": stats["llm_calls"],
        "distinct_stories": distinct_stories, "db_mb": round(db_bytes / 1e6, 2),
        "peak_rss_mb": round(peak_rss_mb, 1), "failed": report.failed + report_l.failed,
    })
    print(json.dumps(figures))


def store_limited_later(store: Any, first: int, count: int, *, hours: int) -> None:
    """Shift the second group's digest time so only one group is due per round."""
    from sqlalchemy import update

    from bot.store.tables import ChatRow

    with store.engine.begin() as conn:
        conn.execute(
            update(ChatRow)
            .where(ChatRow.chat_id >= first, ChatRow.chat_id < first + count)  # type: ignore[arg-type]
            .values(digest_time=datetime.min.time().replace(hour=8 + hours, minute=0))
        )


if __name__ == "__main__":
    main()
