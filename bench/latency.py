"""Latency of one link through the bot: update in → summary reply out, stage by stage.

Everything runs on loopback: a fake news site serving 50 distinct article pages, the fake
Telegram Bot API, and the real bot (python-telegram-bot, fetch, extract, extractive
summarizer) in this process. Each link is sent by a different user, one at a time.

Stages per link:
  fetch      Fetcher.fetch (SSRF check, HTTP, decoding) — includes the fake site's time
  extract    extract_article (lxml + trafilatura, in a worker thread)
  summarize  the summarizer
  send       from the pipeline's result to the fake Bot API receiving the final reply
  total      from the update being queued to the final reply arriving
  own        total minus time spent waiting on the fake servers (HTTP round trips)

Two configurations in the same run: Telegram's per-chat pace lifted (what the bot itself
costs), and with the real 1 msg/s per-chat limiter (what a user sees). A baseline in the
same run: the bot answering /help (no fetch, no summary), the floor of any reply.

    uv run python bench/latency.py [--links 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from pydantic import SecretStr  # noqa: E402

import bot.pipeline as pipeline_module  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.pipeline import Pipeline  # noqa: E402
from bot.telegram.app import build_application  # noqa: E402
from bot.telegram.flood import FloodLimiter  # noqa: E402
from tests.fakes.articles import article_html, long_article_paragraphs  # noqa: E402
from tests.fakes.botapi import FakeBotAPI  # noqa: E402
from tests.fakes.runner import running  # noqa: E402
from tests.fakes.site import FakeSite  # noqa: E402

STAGES = ("fetch", "extract", "summarize", "send", "total", "own")


class Recorder:
    """Collects stage timings for the link being measured (links go one at a time)."""

    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.network = 0.0
        self.pipeline_done = 0.0

    def reset(self) -> None:
        self.current = defaultdict(float)
        self.network = 0.0
        self.pipeline_done = 0.0


REC = Recorder()


def instrument() -> None:
    """Time the stages by wrapping them; no product code changes for the benchmark."""
    real_transport = httpx.AsyncHTTPTransport.handle_async_request

    async def timed_transport(self: Any, request: httpx.Request) -> httpx.Response:
        t0 = time.perf_counter()
        try:
            return await real_transport(self, request)
        finally:
            if not request.url.path.endswith("/getUpdates"):  # the long poll is idle waiting
                REC.network += time.perf_counter() - t0

    httpx.AsyncHTTPTransport.handle_async_request = timed_transport  # type: ignore[method-assign]

    real_extract = pipeline_module.extract_article

    def timed_extract(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return real_extract(*args, **kwargs)
        finally:
            REC.current["extract"] += time.perf_counter() - t0

    pipeline_module.extract_article = timed_extract


def timed_pipeline(settings: Settings, cache: Any = None) -> Pipeline:
    pipe = Pipeline.build(settings, cache=cache)
    fetch, summarize = pipe.fetcher.fetch, pipe.summarizer.summarize

    async def timed_fetch(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await fetch(*args, **kwargs)
        finally:
            REC.current["fetch"] += time.perf_counter() - t0

    async def timed_summarize(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await summarize(*args, **kwargs)
        finally:
            REC.current["summarize"] += time.perf_counter() - t0
            REC.pipeline_done = time.perf_counter()

    pipe.fetcher.fetch = timed_fetch  # type: ignore[method-assign]
    pipe.summarizer.summarize = timed_summarize  # type: ignore[method-assign]
    return pipe


def pages(site: FakeSite, n: int) -> list[str]:
    urls = []
    paras = long_article_paragraphs(40)
    for i in range(n):
        body = [f"Story {i}: the city council met on Monday to discuss item {i}.",
                *paras[: 12 + i % 20]]
        urls.append(site.page(f"/news/{i}", article_html(f"Council story number {i}", body)))
    return urls


async def measure(settings: Settings, urls: list[str], limiter: FloodLimiter,
                  api: FakeBotAPI, first_user: int) -> tuple[dict[str, list[float]], list[float]]:
    app = build_application(settings, pipeline_factory=timed_pipeline, rate_limiter=limiter)
    results: dict[str, list[float]] = defaultdict(list)
    floor: list[float] = []
    async with running(app):
        for i in range(5):  # baseline: /help, no fetch
            user = first_user + 10_000 + i
            REC.reset()
            t0 = time.perf_counter()
            api.push_message("/help", user_id=user)
            await api.wait_for(partial(api.sent_to, user), timeout=30)
            floor.append(time.perf_counter() - t0)
        for i, url in enumerate(urls):
            user = first_user + i
            REC.reset()
            t0 = time.perf_counter()
            api.push_message(f"please read {url}", user_id=user)
            await api.wait_for(partial(_done, api, user), timeout=60)
            end = time.perf_counter()
            total = end - t0
            for stage in ("fetch", "extract", "summarize"):
                results[stage].append(REC.current[stage])
            results["send"].append(end - REC.pipeline_done if REC.pipeline_done else 0.0)
            results["total"].append(total)
            # Fetch's own network wait is inside REC.network too (same transport class).
            results["own"].append(max(total - REC.network, 0.0))
    return results, floor


def _done(api: FakeBotAPI, user: int) -> bool:
    return any("•" in (m.text or "") for m in api.sent_to(user))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=50)
    args = parser.parse_args()
    instrument()
    figures: dict[str, Any] = {"links": args.links}
    with FakeSite() as site, FakeBotAPI() as api, tempfile.TemporaryDirectory() as tmp:
        urls = pages(site, args.links)
        # One configuration for every run; only the flood limiter changes.
        settings = Settings(
            telegram_bot_token=SecretStr(api.token), telegram_api_url=api.base_url,
            summarizer="extractive", fetch_allow_private_hosts=[site.host],
            newsbot_data_dir=Path(tmp),
        )
        configs = [
            ("limit lifted", FloodLimiter(private_chat_rate=10_000, overall_rate=10_000), 1),
            ("telegram limits", FloodLimiter(), 100_000),
        ]
        print(f"{'config':<16} {'stage':<10} {'p50 ms':>8} {'p95 ms':>8}")
        for name, limiter, first_user in configs:
            # Fresh URLs per config so the cache never answers.
            results, floor = asyncio.run(
                measure(settings, [f"{u}?c={first_user}" for u in urls], limiter, api, first_user)
            )
            key = name.replace(" ", "_")
            for stage in STAGES:
                p50, p95 = pct(results[stage], 50), pct(results[stage], 95)
                print(f"{name:<16} {stage:<10} {p50:8.1f} {p95:8.1f}")
                figures[f"{key}.{stage}.p50_ms"] = round(p50, 2)
                figures[f"{key}.{stage}.p95_ms"] = round(p95, 2)
            fp50 = statistics.median(floor) * 1000
            print(f"{name:<16} {'/help':<10} {fp50:8.1f} {'':>8}  (baseline: a reply with no work)")
            figures[f"{key}.help_baseline.p50_ms"] = round(fp50, 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
