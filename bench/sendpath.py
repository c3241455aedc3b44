"""Digest send path alone: PTB's send_message against the lean JSON sendMessage, interleaved.

    uv run python bench/sendpath.py --messages 1500 --rounds 3

The fake Telegram Bot API runs in its own process; this process sends `--messages` digest
sized HTML messages (Ukrainian, Chinese and Latin text, 25 linked items), 4 in flight, to
distinct private chats, through the bot's `FloodLimiter` with its limits lifted — once
through python-telegram-bot's `send_message` (the baseline, the path digests took before)
and once through `bot.telegram.wire.SendMessage`, alternating for `--rounds` rounds so a
shared machine's load changes hit both alike. Reported: CPU milliseconds per message in
this process (the bot's side only), messages/s, medians over the rounds. The last line is
JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IN_FLIGHT = 4


def serve_botapi(conn: Any) -> None:
    from tests.fakes.botapi import FakeBotAPI

    with FakeBotAPI() as api:
        conn.send((api.base_url, api.token))
        conn.recv()  # "stop"


def digest_text() -> Any:
    from bot.telegram.markup import Markup

    items = "\n".join(
        f'• <a href="https://example.com/a/{i}?x=1&amp;y=2">Заголовок новини {i} — 新闻 '
        f"headline</a> points about the story, with words; more words." for i in range(25)
    )
    return Markup(f"<b>Your daily digest</b>\n\n{items}")


def make_bot(base_url: str, token: str) -> Any:
    from telegram import LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.ext import Defaults
    from telegram.request import HTTPXRequest

    from bot.telegram.flood import FloodLimiter
    from bot.telegram.outgoing import MarkupBot

    return MarkupBot(
        token, base_url=f"{base_url}/bot", request=HTTPXRequest(connection_pool_size=8),
        rate_limiter=FloodLimiter(private_chat_rate=1e9, overall_rate=1e9, group_rate=1e9),
        defaults=Defaults(parse_mode=ParseMode.HTML,
                          link_preview_options=LinkPreviewOptions(is_disabled=True)),
    )


async def measure(path: str, base_url: str, token: str, messages: int,
                  first_chat: int) -> tuple[float, float]:
    """(CPU ms per message, messages/s) of one batch through `path`."""
    from bot.telegram.wire import SendMessage

    text = digest_text()
    async with make_bot(base_url, token) as bot:
        wire = SendMessage(bot)
        send: Callable[[int], Awaitable[Any]]
        if path == "ptb":
            async def send(chat: int) -> Any:
                return await bot.send_message(chat, text)
        else:
            async def send(chat: int) -> Any:
                return await wire(chat, text)
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(chat: int) -> None:
            async with gate:
                await send(chat)

        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.gather(*(one(first_chat + i) for i in range(messages)))
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        await wire.aclose()
    return 1000 * cpu / messages, messages / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    fake = ctx.Process(target=serve_botapi, args=(child,), daemon=True)
    fake.start()
    base_url, token = parent.recv()
    runs: dict[str, list[tuple[float, float]]] = {"ptb": [], "lean": []}
    try:
        chat = 1
        for n in range(args.rounds):
            # Alternate which goes first, so neither always meets the warmer machine.
            for path in (("ptb", "lean") if n % 2 == 0 else ("lean", "ptb")):
                runs[path].append(asyncio.run(measure(path, base_url, token, args.messages,
                                                      chat)))
                chat += args.messages
    finally:
        parent.send("stop")
        fake.join(timeout=10)
    result: dict[str, dict[str, Any]] = {
        path: {"cpu_ms_per_message": round(statistics.median(c for c, _ in r), 2),
               "messages_per_s": round(statistics.median(m for _, m in r), 1),
               "runs_cpu_ms": [round(c, 2) for c, _ in r]}
        for path, r in runs.items()
    }
    print(f"{'send path':<32} {'CPU ms/message':>15} {'messages/s':>11}  runs (CPU ms)")
    for path, name in (("ptb", "PTB send_message (baseline)"), ("lean", "lean JSON sendMessage")):
        r = result[path]
        print(f"{name:<32} {r['cpu_ms_per_message']:>15} {r['messages_per_s']:>11}  "
              f"{r['runs_cpu_ms']}")
    ratio = float(result["ptb"]["cpu_ms_per_message"]) / float(
        result["lean"]["cpu_ms_per_message"])
    print(f"lean uses {100 * (1 - 1 / ratio):.0f} % less CPU per message "
          f"(load average {os.getloadavg()[0]:.1f}, cores {os.cpu_count()})")
    print(json.dumps({"paths": result, "cpu_ratio_ptb_over_lean": round(ratio, 2),
                      "messages": args.messages, "rounds": args.rounds,
                      "loadavg": round(os.getloadavg()[0], 2), "cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
