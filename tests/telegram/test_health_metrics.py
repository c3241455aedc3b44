"""METRICS_PORT: /healthz and /metrics over real HTTP from a running bot (the real PTB app
against the fake Bot API), and the counters moving when links and digests happen."""

from __future__ import annotations

import asyncio
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from tests.fakes.articles import article_html
from tests.fakes.botapi import FakeBotAPI
from tests.fakes.newsworld import NewsWorld
from tests.fakes.process import free_port
from tests.fakes.site import FakeSite, Response
from tests.harness import Frozen, StartBot, digests_in, follow, replies

USER = 1001


def get(port: int, path: str) -> tuple[int, str, str]:
    """(status, content type, body) of GET http://127.0.0.1:port/path, 503 included."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return answer.status, answer.headers["Content-Type"], answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


async def aget(port: int, path: str) -> tuple[int, str, str]:
    return await asyncio.to_thread(get, port, path)


def sample(metrics_text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when it is not there yet)."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics_text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name:
            got = ",".join(sorted((match[2] or "").split(","))) if match[2] else ""
            if got == want:
                return float(match[3])
    return 0.0


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.05)


async def test_metrics_port_is_off_by_default(start_bot: StartBot) -> None:
    async with start_bot() as app:
        assert app.bot_data.services is not None
    # Nothing else to see: no setting, no server. The Settings default says so.
    from bot.config import Settings

    assert Settings().metrics_port is None


async def test_healthz_is_200_while_the_database_answers_and_rounds_tick(
    start_bot: StartBot,
) -> None:
    port = free_port()
    async with start_bot(metrics_port=port, digest_tick=0.05) as app:
        rounds = app.bot_data.services.rounds
        # The first round runs a moment after start.
        await asyncio.wait_for(_until(lambda: rounds.last_tick is not None), 10)
        status, ctype, body = await aget(port, "/healthz")
        assert (status, ctype) == (200, "application/json"), body
        assert json.loads(body)["database"] == "ok"
        # A scheduler that stopped ticking (its last tick long ago) is unhealthy.
        assert app.job_queue is not None  # the bot always runs its scheduler
        app.job_queue.scheduler.pause()
        async with rounds._lock:
            rounds.last_tick = time.time() - 3600
        status, _, body = await aget(port, "/healthz")
        assert status == 503 and "no digest tick" in json.loads(body)["digests"]
        assert (await aget(port, "/nope"))[0] == 404


async def test_healthz_is_503_when_the_database_does_not_answer(
    start_bot: StartBot, clean_env: Any
) -> None:
    port = free_port()
    async with start_bot(metrics_port=port) as app:
        assert (await aget(port, "/healthz"))[0] == 200
        store = app.bot_data.services.store
        db = clean_env / "data" / "newsbot.sqlite3"
        store.engine.dispose()
        db.rename(db.with_suffix(".moved"))
        db.mkdir()  # a directory where the database file was: SQLite cannot open it
        status, _, body = await aget(port, "/healthz")
        db.rmdir()
        db.with_suffix(".moved").rename(db)
    assert status == 503
    assert json.loads(body)["database"].startswith("error")


async def test_metrics_count_links_summarized_and_failed_by_cause(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    port = free_port()
    good = site.page("/news/metrics-good", article_html())
    gone = site.route("/news/metrics-gone", Response(b"gone", status=404))
    async with start_bot(metrics_port=port) as app:
        assert app is not None
        status, ctype, before = await aget(port, "/metrics")
        assert status == 200 and ctype.startswith("text/plain")
        botapi.push_message(f"read {good}")
        await botapi.wait_for(replies(botapi, USER, 1))
        botapi.push_message(f"and {gone}")
        await botapi.wait_for(replies(botapi, USER, 2))
        _, _, after = await aget(port, "/metrics")

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("newsbot_links_total", result="summarized", cause="") == 1
    assert moved("newsbot_links_total", result="failed", cause="http_status_error") == 1
    assert moved("newsbot_fetch_failures_total", cause="http_status_error") == 1


async def test_metrics_count_digests_sent_rounds_and_telegram_429s(
    botapi: FakeBotAPI, world: NewsWorld, start_bot: StartBot, frozen: Frozen
) -> None:
    port = free_port()
    botapi.fail_next("sendMessage", status=429, retry_after=1)
    async with start_bot(**world.settings(), clock=frozen, metrics_port=port) as app:
        _, _, before = await aget(port, "/metrics")
        services = app.bot_data.services
        await asyncio.to_thread(follow, services.store, 1001, frozen.slot)
        report = await services.rounds.tick()
        _, _, after = await aget(port, "/metrics")
    assert report is not None and report.sent == 1 and len(digests_in(botapi, 1001)) == 1

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("newsbot_digests_total", result="sent") == 1
    assert moved("newsbot_digests_total", result="failed") == 0
    assert moved("newsbot_digest_round_seconds_count") == 1
    assert sample(after, "newsbot_due_chats") == 1
    assert moved("newsbot_telegram_429_total") == 1
    assert moved("newsbot_telegram_retries_total", reason="retry_after") == 1


async def test_metrics_count_model_calls_tokens_and_fallbacks(
    botapi: FakeBotAPI, site: FakeSite, start_bot: StartBot
) -> None:
    from tests.fakes.openai_server import FakeOpenAI, FakeReply

    port = free_port()
    good = site.page("/llm/metrics-good", article_html())
    down = site.page("/llm/metrics-down", article_html())
    with FakeOpenAI() as llm:
        async with start_bot(summarizer="llm", openai_base_url=llm.base_url,
                             openai_api_key="sk-test", llm_max_retries=1, llm_timeout=2,
                             metrics_port=port):
            _, _, before = await aget(port, "/metrics")
            botapi.push_message(good)
            await botapi.wait_for(replies(botapi, USER, 1), timeout=15)
            answered = len(llm.history)
            llm.queue(*[FakeReply(status=500, error="model is down")] * 10)
            botapi.push_message(down)
            await botapi.wait_for(replies(botapi, USER, 2), timeout=15)
            _, _, after = await aget(port, "/metrics")
        prompt = sum(_prompt_tokens(r) for r in llm.history[:answered])

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("newsbot_model_calls_total", outcome="ok") == answered >= 1
    assert moved("newsbot_model_calls_total", outcome="internal_server_error") >= 1
    assert moved("newsbot_model_tokens_total", kind="prompt") == prompt
    assert moved("newsbot_model_tokens_total", kind="completion") >= answered
    assert moved("newsbot_extractive_fallbacks_total") == 1


def _prompt_tokens(request: Any) -> int:
    """The prompt tokens the fake server reported for one request (its own count)."""
    from tests.fakes.openai_server import _usage

    return _usage(request, "")["prompt_tokens"]


def healthcheck(env: dict[str, str]) -> int:
    """Exit code of the image's HEALTHCHECK command, `python -m bot.healthcheck`."""
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "bot.healthcheck"], capture_output=True,
                          env={**os.environ, **env}, timeout=120, check=False).returncode


async def test_docker_healthcheck_asks_healthz(start_bot: StartBot, clean_env: Any) -> None:
    port = free_port()
    async with start_bot(metrics_port=port):
        healthy = await asyncio.to_thread(healthcheck, {"METRICS_PORT": str(port)})
    # The bot is gone: nothing answers on the port.
    gone = await asyncio.to_thread(healthcheck, {"METRICS_PORT": str(port)})
    # No METRICS_PORT: `newsbot status` decides (the test database is there).
    by_status = await asyncio.to_thread(healthcheck, {"METRICS_PORT": ""})
    assert (healthy, gone, by_status) == (0, 1, 0)
