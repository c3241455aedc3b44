"""`GuardedTransport`: httpx's public transport seam over a guarded httpcore pool.

It replaces the assignment of httpx's private `transport._pool` (issue 9, item 7). Used
on its own with a plain `httpx.AsyncClient`, it must still refuse what the guard refuses
at connection time (DNS rebinding included), carry real traffic, and raise httpx's own
errors — the names `Fetcher` catches — for httpcore's.
"""

from __future__ import annotations

import socket

import httpx
import pytest

from bot.errors import BlockedAddress
from bot.netguard import GuardedTransport
from tests.fakes.site import FakeDNS, FakeSite, Response


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_name_that_resolves_to_loopback_is_refused_before_connecting(
    site: FakeSite,
) -> None:
    dns = FakeDNS().add("news.example", ["127.0.0.1"])
    transport = GuardedTransport(allow=(), resolver=dns)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(BlockedAddress):
            await client.get(f"http://news.example:{site.port}/")
    assert site.history == []  # not one byte reached the private service
    assert [name for name, _ in dns.history] == ["news.example"]


async def test_allowed_host_streams_the_answer(site: FakeSite) -> None:
    body = "Київ: " + "новини " * 20_000
    url = site.route("/big", Response(body=body, content_type="text/plain; charset=utf-8"))
    client = httpx.AsyncClient(transport=GuardedTransport(allow=[site.host]))
    async with client, client.stream("GET", url) as response:
        chunks = [chunk async for chunk in response.aiter_bytes()]
    assert response.status_code == 200
    assert b"".join(chunks).decode() == body
    assert len(chunks) > 1  # streamed, not read whole by the transport


async def test_refused_connection_is_httpx_connect_error() -> None:
    port = closed_port()
    async with httpx.AsyncClient(
        transport=GuardedTransport(allow=[f"127.0.0.1:{port}"])
    ) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/")


async def test_slow_answer_is_httpx_read_timeout(site: FakeSite) -> None:
    url = site.route("/slow", Response(body="late", delay=2.0))
    async with httpx.AsyncClient(
        transport=GuardedTransport(allow=[site.host]), timeout=httpx.Timeout(0.3)
    ) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(url)
