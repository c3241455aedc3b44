"""The SSRF guard: which addresses the bot may connect to, checked where the socket is opened.

A link a stranger sends must not make the bot talk to its own network (cloud metadata at
169.254.169.254, a database on 10.x, the admin port on localhost). Checking the URL alone is
not enough: a DNS name can answer with a public address to the check and a private one to
the connection (DNS rebinding). So the check runs twice: `Fetcher` calls `resolve_checked`
before each request for an early, connection-free refusal, and `GuardedBackend` — the
network backend under `GuardedTransport`'s connection pool — resolves again, checks, and
connects to exactly the addresses it checked. The TLS handshake still uses the host name (SNI and
certificate verification are untouched) because the URL is never rewritten.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import socket
import ssl
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Iterator,
)
from typing import Any

import httpcore
import httpx

from bot.errors import BlockedAddress, FetchError, InvalidURL
from bot.urls import normalize_host

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> IP address strings. Tests swap in a dict-backed one; DNS is off in tests.
Resolver = Callable[[str, int], Awaitable[list[str]]]

# IANA special-purpose registries. Python 3.11's `is_global` misses several of these
# (192.0.0.0/24, fec0::/10, NAT64), so the list is explicit rather than trusted to the stdlib.
_BLOCKED_V4 = tuple(ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches localhost on Linux
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private
    "100.64.0.0/10",  # carrier-grade NAT
    "127.0.0.0/8",  # loopback
    "169.254.0.0/16",  # link-local, cloud metadata
    "192.0.0.0/24", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # IETF, docs
    "192.88.99.0/24",  # 6to4 relay anycast
    "198.18.0.0/15",  # benchmarking
    "224.0.0.0/4",  # multicast
    "240.0.0.0/4",  # reserved, broadcast
))
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_BLOCKED_V6 = tuple(ipaddress.IPv6Network(n) for n in (
    "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) included
    "2001:db8::/32", "3fff::/20",  # documentation
    "2002::/16",  # 6to4: judged by the IPv4 address it embeds, see below
))
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


# The operator's way out, named in every refusal (a local news site, an intranet wiki).
_ALLOW_HINT = " (to allow a host, list it in FETCH_ALLOW_PRIVATE_HOSTS)"


def is_public_ip(ip: IPAddress) -> bool:
    """True when `ip` is a globally routable unicast address (IPv4 or IPv6).

    IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64 64:ff9b::/96, 6to4) are
    judged by the IPv4 address inside them.
    """
    if isinstance(ip, ipaddress.IPv4Address):
        return ip.is_global and not ip.is_multicast and not any(ip in n for n in _BLOCKED_V4)
    if ip.scope_id:
        ip = ipaddress.IPv6Address(ip.compressed.split("%", 1)[0])
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return is_public_ip(embedded)
    # Everything outside 2000::/3 (loopback, ::, ULA, link-local, site-local, multicast,
    # discard, IPv4-compatible) is not a place to fetch news from.
    return ip in _GLOBAL_UNICAST_V6 and not any(ip in n for n in _BLOCKED_V6)


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve `host` with the operating system's resolver (getaddrinfo, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_checked(
    host: str, port: int, *, allow: Collection[str], resolver: Resolver | None = None
) -> list[str]:
    """Return the addresses of `host` that are safe to connect to, or raise BlockedAddress.

    `allow` holds `host` or `host:port` entries (FETCH_ALLOW_PRIVATE_HOSTS) that are exempt;
    they match the name as written in the URL, not what it resolves to. A name is refused
    when ANY of its addresses is non-public, so a mixed answer cannot be used to pick one.
    Raises FetchError when the name does not resolve.
    """
    try:
        # "example.com." is the same DNS name as "example.com" (fully qualified form).
        name = normalize_host(host).rstrip(".")
    except InvalidURL as exc:
        raise BlockedAddress(f"refusing to connect to malformed host {host!r}") from exc
    if name == "localhost" or name.endswith(".localhost"):
        # RFC 6761: always loopback, whatever a resolver (or /etc/hosts) might claim.
        literal: IPAddress | None = ipaddress.IPv4Address("127.0.0.1")
    else:
        literal = _ip_literal(name)
    if literal is not None:
        if is_public_ip(literal) or is_allowed(name, port, allow):
            return [literal.compressed]
        raise BlockedAddress(f"refusing to connect to non-public address {literal.compressed}"
                             f"{_ALLOW_HINT}")
    try:
        found = await (resolver or system_resolver)(name, port)
    except OSError as exc:
        raise FetchError(f"cannot resolve host {name!r}: {exc}") from exc
    if not found:
        raise FetchError(f"cannot resolve host {name!r}: no addresses")
    if is_allowed(name, port, allow):
        return found
    for address in found:
        ip = _ip_literal(address.split("%", 1)[0])
        if ip is None or not is_public_ip(ip):
            raise BlockedAddress(f"refusing to connect to {name}: it resolves to the non-public "
                                 f"address {address}{_ALLOW_HINT}")
    return found


def is_allowed(host: str, port: int, allow: Collection[str]) -> bool:
    """True when `host` (normalised) or `host:port` is listed in FETCH_ALLOW_PRIVATE_HOSTS."""
    if not allow:
        return False
    host = host.rstrip(".")
    shown = f"[{host}]" if ":" in host else host
    wanted = {host, shown, f"{shown}:{port}"}
    return any(_normalize_allow_entry(entry) in wanted for entry in allow)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses `resolve_checked` passed."""

    def __init__(
        self,
        *,
        allow: Collection[str],
        resolver: Resolver | None = None,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow = tuple(allow)
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_checked(
            host, port, allow=self._allow, resolver=self._resolver
        )
        last_error: Exception | None = None
        for address in addresses:  # the order the resolver gave (IPv6 first where preferred)
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # resolve_checked never returns an empty list
        raise last_error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("refusing to connect to a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over an httpcore connection pool whose backend is `GuardedBackend`.

    httpx offers no public way to give `AsyncHTTPTransport` a network backend, so instead of
    replacing its private pool this is httpx's one-method transport seam, written out: turn
    the request into httpcore's, send it through our own pool, and map httpcore's errors to
    httpx's (the names `Fetcher` catches). No proxy: a proxy from the environment would
    connect on our behalf and bypass the guard.
    """

    def __init__(
        self,
        *,
        allow: Collection[str],
        resolver: Resolver | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow=allow, resolver=resolver),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            response = await self._pool.handle_async_request(core_request)
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


def guarded_transport(
    *, allow: Collection[str], resolver: Resolver | None = None
) -> GuardedTransport:
    """The transport `Fetcher` uses: every connection goes through `GuardedBackend`."""
    return GuardedTransport(allow=allow, resolver=resolver)


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


# httpcore's errors and the httpx errors they stand for, most specific first.
_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    """Re-raise httpcore's errors as httpx's; anything else (BlockedAddress) as it is."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        raise _mapped(exc) from exc
    except (httpcore.NetworkError, httpcore.ProxyError, httpcore.UnsupportedProtocol,
            httpcore.ProtocolError) as exc:
        raise _mapped(exc) from exc


def _mapped(exc: Exception) -> httpx.TransportError:
    for core, mapped in _ERRORS:
        if isinstance(exc, core):
            return mapped(str(exc))
    raise AssertionError(f"unmapped httpcore error {exc!r}")  # pragma: no cover


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Certificate verification context, built once: loading the CA bundle takes ~0.1 s."""
    return httpx.create_ssl_context()


def _ip_literal(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _SIX_TO_FOUR:
        return ip.sixtofour
    return None


def _normalize_allow_entry(entry: str) -> str:
    entry = entry.strip().lower()
    host, sep, port = entry.rpartition(":")
    if sep and port.isdigit() and (not host.count(":") or host.endswith("]")):
        return f"{_normalize_allow_host(host)}:{port}"
    return _normalize_allow_host(entry)


def _normalize_allow_host(host: str) -> str:
    try:
        name = normalize_host(host)
    except InvalidURL:
        return host
    name = name.rstrip(".")
    return f"[{name}]" if ":" in name else name
