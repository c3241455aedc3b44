"""The SSRF guard: which addresses are public, and that connections go only where checked."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import httpcore
import pytest

from bot.errors import BlockedAddress, FetchError
from bot.netguard import GuardedBackend, is_allowed, is_public_ip, resolve_checked
from tests.fakes.site import FakeDNS

NON_PUBLIC = [
    "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254",
    "127.0.0.1", "127.255.255.254", "169.254.169.254", "169.254.0.1", "172.16.0.1",
    "172.31.255.255", "192.0.0.8", "192.0.0.170", "192.0.2.1", "192.88.99.1", "192.168.1.1",
    "198.18.0.1", "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250",
    "240.0.0.1", "255.255.255.255",
    "::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",  # NAT64 of loopback / metadata
    "64:ff9b:1::a00:1",  # local-use NAT64
    "2002:7f00:1::", "2002:a00:1::1",  # 6to4 of loopback / 10.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1", "3fff::1", "100::1", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1",
    "ff02::1", "ff0e::1",
]
PUBLIC = [
    "1.1.1.1", "8.8.8.8", "93.184.216.34", "151.101.1.69", "2606:4700:4700::1111",
    "2a00:1450:4001:82b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_non_public_addresses(address: str) -> None:
    assert not is_public_ip(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address: str) -> None:
    assert is_public_ip(ipaddress.ip_address(address))


def test_scoped_link_local_is_not_public() -> None:
    assert not is_public_ip(ipaddress.IPv6Address("fe80::1%eth0"))


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.1", "2130706433", "0x7f.1", "0177.0.0.1", "[::1]", "::1",
     "169.254.169.254", "0", "LOCALHOST.", "localhost"],
)
async def test_literal_and_local_hosts_are_refused(host: str) -> None:
    with pytest.raises(BlockedAddress):
        await resolve_checked(host, 80, allow=())


@pytest.mark.parametrize("host", ["localhost", "LocalHost.", "api.localhost", "127.0.0.1", "::1"])
async def test_local_hosts_are_refused_whatever_the_resolver_claims(host: str) -> None:
    # RFC 6761: localhost is loopback even if DNS (or /etc/hosts) answers a public address;
    # an IP literal is judged as written and never looked up.
    dns = FakeDNS()
    for name in ("localhost", "api.localhost", "127.0.0.1", "::1"):
        dns.add(name, ["93.184.216.34"])
    with pytest.raises(BlockedAddress):
        await resolve_checked(host, 80, allow=(), resolver=dns)
    assert dns.history == []


async def test_a_name_is_refused_when_any_answer_is_private() -> None:
    dns = FakeDNS().add("evil.example", ["10.0.0.1"]).add(
        "mixed.example", ["93.184.216.34", "127.0.0.1"]
    ).add("v6.example", ["2606:4700:4700::1111", "fd00::1"])
    for name in ("evil.example", "mixed.example", "v6.example"):
        with pytest.raises(BlockedAddress) as info:
            await resolve_checked(name, 443, allow=(), resolver=dns)
        assert name in str(info.value)


async def test_public_answers_are_returned_in_order() -> None:
    dns = FakeDNS().add("news.example", ["2606:4700:4700::1111", "93.184.216.34"])
    assert await resolve_checked("News.Example.", 443, allow=(), resolver=dns) == [
        "2606:4700:4700::1111", "93.184.216.34",
    ]


async def test_unknown_name_is_a_fetch_error_not_a_block() -> None:
    with pytest.raises(FetchError) as info:
        await resolve_checked("nowhere.example", 80, allow=(), resolver=FakeDNS())
    assert not isinstance(info.value, BlockedAddress)
    assert "nowhere.example" in str(info.value)


async def test_allow_list_exempts_named_hosts_and_ports_only() -> None:
    dns = FakeDNS().add("intranet.example", ["10.1.2.3"])
    allow = ["127.0.0.1:8080", "intranet.example", "[::1]:9000"]
    assert await resolve_checked("127.0.0.1", 8080, allow=allow) == ["127.0.0.1"]
    assert await resolve_checked("2130706433", 8080, allow=allow) == ["127.0.0.1"]
    assert await resolve_checked("::1", 9000, allow=allow) == ["::1"]
    assert await resolve_checked("intranet.example", 81, allow=allow, resolver=dns) == [
        "10.1.2.3"
    ]
    with pytest.raises(BlockedAddress):
        await resolve_checked("127.0.0.1", 8081, allow=allow)  # another port
    with pytest.raises(BlockedAddress):
        await resolve_checked("::1", 8080, allow=allow)
    # The exemption is for the name as written, not for whatever resolves to it.
    dns.add("rebind.example", ["127.0.0.1"])
    with pytest.raises(BlockedAddress):
        await resolve_checked("rebind.example", 8080, allow=allow, resolver=dns)


@pytest.mark.parametrize(
    ("entry", "host", "port"),
    [("LocalHost", "localhost", 80), ("localhost.", "localhost", 5), ("::1", "::1", 1),
     ("[::1]", "::1", 1), ("0x7f.1:81", "127.0.0.1", 81), ("Bücher.de", "xn--bcher-kva.de", 1),
     # IPv6 written out in full, bare, bracketed and with a port: the last ":" is a port
     # separator only after a "]"
     ("0:0:0:0:0:0:0:1", "::1", 1), ("[0:0:0:0:0:0:0:1]", "::1", 1),
     ("[0:0:0:0:0:0:0:1]:81", "::1", 81)],
)
def test_allow_entries_are_normalised_like_urls(entry: str, host: str, port: int) -> None:
    assert is_allowed(host, port, [entry])


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records where it was asked to connect; refuses addresses listed in `refuse`."""

    def __init__(self, refuse: Iterable[str] = ()) -> None:
        self.calls: list[tuple[str, int]] = []
        self.refuse = set(refuse)

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.calls.append((host, port))
        if host in self.refuse:
            raise httpcore.ConnectError(f"refused {host}")
        return httpcore.AsyncNetworkStream()


async def test_backend_connects_to_the_checked_address_not_the_name() -> None:
    inner = RecordingBackend()
    dns = FakeDNS().add("news.example", ["93.184.216.34"])
    backend = GuardedBackend(allow=(), resolver=dns, inner=inner)
    await backend.connect_tcp("news.example", 443)
    assert inner.calls == [("93.184.216.34", 443)]


async def test_backend_refuses_a_name_that_rebinds_to_private_without_connecting() -> None:
    inner = RecordingBackend()
    dns = FakeDNS().add("rebind.example", ["93.184.216.34"], ["169.254.169.254"])
    await resolve_checked("rebind.example", 80, allow=(), resolver=dns)  # the early check
    backend = GuardedBackend(allow=(), resolver=dns, inner=inner)
    with pytest.raises(BlockedAddress):
        await backend.connect_tcp("rebind.example", 80)
    assert inner.calls == []


async def test_backend_tries_the_next_checked_address() -> None:
    inner = RecordingBackend(refuse=["2606:4700:4700::1111"])
    dns = FakeDNS().add("news.example", ["2606:4700:4700::1111", "93.184.216.34"])
    backend = GuardedBackend(allow=(), resolver=dns, inner=inner)
    await backend.connect_tcp("news.example", 80)
    assert inner.calls == [("2606:4700:4700::1111", 80), ("93.184.216.34", 80)]


async def test_backend_refuses_unix_sockets() -> None:
    backend = GuardedBackend(allow=(), inner=RecordingBackend())
    with pytest.raises(BlockedAddress):
        await backend.connect_unix_socket("/var/run/docker.sock")


async def test_a_refusal_names_the_address_and_the_way_to_allow_it() -> None:
    # `newsbot summarize` prints the refusal as is: it must say what was refused and how an
    # operator allows it (the Telegram reply is a template of its own).
    with pytest.raises(BlockedAddress) as literal:
        await resolve_checked("0x7f.1", 80, allow=())
    assert "127.0.0.1" in str(literal.value)
    assert "FETCH_ALLOW_PRIVATE_HOSTS" in str(literal.value)
    dns = FakeDNS().add("intranet.example", ["93.184.216.34", "10.1.2.3"])
    with pytest.raises(BlockedAddress) as named:
        await resolve_checked("intranet.example", 80, allow=(), resolver=dns)
    assert "intranet.example" in str(named.value) and "10.1.2.3" in str(named.value)
    assert "FETCH_ALLOW_PRIVATE_HOSTS" in str(named.value)
    with pytest.raises(BlockedAddress) as malformed:
        await resolve_checked("exa mple.com", 80, allow=())
    assert "exa mple.com" in str(malformed.value)
