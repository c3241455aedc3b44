"""The webhook refuses strangers and oversized bodies before reading them.

A real `newsbot run --webhook-url` process behind the fake Bot API; requests are raw sockets
so a test can send headers and hold the body back, or stream 95 MB without keeping it.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

from tests.fakes.botapi import FakeBotAPI
from tests.fakes.process import NewsbotRun, free_port, stop

MB = 1024 * 1024
START = {"message": {"message_id": 0, "date": 0, "text": "/start",
                     "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                     "chat": {"id": 77, "type": "private", "first_name": "Bo"},
                     "from": {"id": 77, "is_bot": False, "first_name": "Bo"}}}


def start_webhook(
    botapi: FakeBotAPI, newsbot_run: NewsbotRun, **env: str
) -> tuple[subprocess.Popen[str], int, dict[str, Any]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    proc = newsbot_run("--webhook-url", url, "--listen", "127.0.0.1", "--port", str(port), **env)
    hook = botapi.wait_for_sync(lambda: botapi.webhook, timeout=60)
    assert hook is not None  # wait_for_sync returns only a set webhook
    # Ready when an update is taken: the server is listening and the bot handles it.
    assert botapi.deliver_webhook(START) == 200
    botapi.wait_for_sync(lambda: botapi.sent_to(77), timeout=30)
    return proc, port, hook


def head_only(port: int, length: int, secret: str | None) -> str:
    """Send a POST's headers declaring `length` bytes, no body; return the status line."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(_headers(length, secret))
        return sock.makefile("rb").readline().decode().strip()


def _headers(length: int, secret: str | None) -> bytes:
    lines = ["POST /telegram/hook HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {length}"]
    if secret is not None:
        lines.append(f"X-Telegram-Bot-Api-Secret-Token: {secret}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def flood(port: int, size: int, secret: str | None) -> None:
    """POST `size` bytes, 1 MB at a time, until sent or the server hangs up."""
    chunk = b"0" * MB
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(_headers(size, secret))
            sent = 0
            while sent < size:
                sock.sendall(chunk)
                sent += len(chunk)
            sock.recv(100)
        except OSError:  # reset or closed by the server: what a refusal looks like
            pass


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def test_refusals_come_on_the_headers_before_any_body_is_read(
    botapi: FakeBotAPI, newsbot_run
) -> None:
    proc, port, _ = start_webhook(botapi, newsbot_run, TELEGRAM_WEBHOOK_SECRET="s3cret-token")
    # The body never comes: an answer at all proves the server didn't wait to read it.
    assert head_only(port, 95 * MB, None) == "HTTP/1.1 403 Forbidden"
    assert head_only(port, 95 * MB, "wrong") == "HTTP/1.1 403 Forbidden"
    assert head_only(port, 95 * MB, "s3cret-token") == "HTTP/1.1 413 Request Entity Too Large"
    assert head_only(port, MB + 1, "s3cret-token") == "HTTP/1.1 413 Request Entity Too Large"
    assert botapi.deliver_webhook(START) == 200  # a real update still goes through
    botapi.wait_for_sync(lambda: len(botapi.sent_to(77)) == 2, timeout=30)
    stop(proc)


def test_eight_unauthenticated_95_mb_posts_barely_move_peak_memory(
    botapi: FakeBotAPI, newsbot_run
) -> None:
    proc, port, _ = start_webhook(botapi, newsbot_run, TELEGRAM_WEBHOOK_SECRET="s3cret-token")
    before = peak_rss_mb(proc.pid)
    posts = [threading.Thread(target=flood, args=(port, 95 * MB, None)) for _ in range(8)]
    posts += [threading.Thread(target=flood, args=(port, 95 * MB, "s3cret-token"))]
    for t in posts:
        t.start()
    for t in posts:
        t.join(timeout=120)
    after = peak_rss_mb(proc.pid)
    assert botapi.deliver_webhook(START) == 200
    botapi.wait_for_sync(lambda: len(botapi.sent_to(77)) == 2, timeout=30)
    stop(proc)
    print(f"\nwebhook flood: peak RSS {before:.0f} MB -> {after:.0f} MB "
          f"(+{after - before:.1f} MB for 8 unauthenticated + 1 authenticated 95 MB POSTs)")
    assert after - before < 50


def test_an_empty_webhook_secret_counts_as_unset(
    botapi: FakeBotAPI, newsbot_run: NewsbotRun
) -> None:
    proc, port, hook = start_webhook(botapi, newsbot_run, TELEGRAM_WEBHOOK_SECRET="")
    secret = hook["secret_token"]
    assert secret and len(secret) >= 32  # a random one was registered with Telegram
    assert head_only(port, 100, None) == "HTTP/1.1 403 Forbidden"
    assert head_only(port, 100, "") == "HTTP/1.1 403 Forbidden"
    log = stop(proc)
    assert "TELEGRAM_WEBHOOK_SECRET is not set; using a random one" in log
    assert secret not in log
